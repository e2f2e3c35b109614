"""Find the raw root, list and classify every file, refuse links and paths outside the root."""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vogue_pack.errors import UsageError
from vogue_pack.report.findings import Finding, finding

RELEASE_IMAGES_DIR = "images"  # the folder of a release that holds the images (raw/model.py's path column)

TOP_FOLDERS = ("conversation_trials", "fashion_profiles", "metadata", "supplements", "surveys")

# kind -> required relative path
REQUIRED_FILES = {
    "scenarios": "conversation_trials/scenarios.json",
    "seeker_ratings": "conversation_trials/item_ratings/seeker_ratings.csv",
    "assistant_ratings": "conversation_trials/item_ratings/assistant_ratings.csv",
    "profiles": "fashion_profiles/profiles.csv",
    "profile_ratings": "fashion_profiles/ratings.csv",
    "catalogue_mapping": "supplements/catalogue_mapping.csv",
    "profile_survey": "surveys/profile_survey.txt",
    "item_rating_survey": "surveys/item_rating_survey.txt",
}
_BY_PATH = {path: kind for kind, path in REQUIRED_FILES.items()}
# The licence file: in the raw root, or one level above a data/ root (vogue_pack.raw.licence reads it)
LICENCE_NAMES = ("LICENSE.txt",)
# folders below the top level that the format names (a file or pipe in their place is a finding there)
_FOLDERS = frozenset({"conversation_trials/transcripts", "conversation_trials/item_ratings"})

# The one grammar of ids in file names: ASCII digits, no leading zero, the whole name matched. Patterns are
# used with re.fullmatch only ([0-9], never \d, which takes any Unicode digit; never $, which lets a trailing
# newline through). Ids are 32-bit in the data model: a longer one is a finding, not a silent skip.
ID = r"(?:0|[1-9][0-9]*)"
ID_MAX = 2**31 - 1
_ITEM_FILE = re.compile(rf"metadata/item_({ID})\.(json|png)")
_TRANSCRIPT_FOLDER = re.compile(r"conversation_trials/transcripts/(?:conversations/)?")
_TRANSCRIPT_FILE = re.compile(r"conversation_trials/transcripts/(?:conversations/)?[^/]+\.json")
TRANSCRIPT_NAME = re.compile(rf"c({ID})_([a-z])_({ID})\.json")
_SUPPLEMENT = re.compile(r"supplements/[^/].*\.(?:pdf|png|PNG|txt|jpg|jpeg)", re.DOTALL)
# What a name that *nearly* follows the grammar looks like once normalised (see ``_normalise``)
_LOOSE_ITEM_FILE = re.compile(r"metadata/item_([0-9]+)\.(json|png)")
_LOOSE_TRANSCRIPT_NAME = re.compile(r"c([0-9]+)_([a-z])_([0-9]+)\.json")


def parse_transcript_name(name: str) -> tuple[int, str, int] | None:
    """``c10_b_4.json`` -> ``(10, "b", 4)``; None unless the whole name follows the grammar with ids in range."""
    match = TRANSCRIPT_NAME.fullmatch(name)
    if match is None or int(match.group(1)) > ID_MAX or int(match.group(3)) > ID_MAX:
        return None
    return int(match.group(1)), match.group(2), int(match.group(3))


def _normalise(name: str) -> str:
    """A name as a careless copy would have meant it: compatibility forms folded (fullwidth digits), outer
    white space and control characters dropped, lower case, leading zeros of digit runs removed."""
    folded = unicodedata.normalize("NFKC", name)
    folded = "".join(ch for ch in folded if unicodedata.category(ch)[0] != "C").strip().lower()
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", folded)


def claimed_id(rel: str) -> tuple[str, int, str] | None:
    """What a file name claims to be, read loosely: ``(kind, id, canonical path)`` for an item file or a
    transcript, also when the name only nearly follows the grammar (``item_05.json``, ``item_５.json``,
    ``c10_b_4.json\n``). None for names that claim no id. The strict check is :func:`classify`."""
    folder, _, name = rel.rpartition("/")
    if _TRANSCRIPT_FOLDER.fullmatch(folder + "/"):
        loose = _LOOSE_TRANSCRIPT_NAME.fullmatch(_normalise(name))
        if loose:
            canonical = f"c{int(loose.group(1))}_{loose.group(2)}_{int(loose.group(3))}.json"
            return "transcript", int(loose.group(1)), f"{folder}/{canonical}"
        return None
    loose = _LOOSE_ITEM_FILE.fullmatch(f"{folder}/{_normalise(name)}")
    if loose:
        kind = "item_json" if loose.group(2) == "json" else "image"
        return kind, int(loose.group(1)), f"metadata/item_{int(loose.group(1))}.{loose.group(2)}"
    return None


@dataclass(frozen=True)
class RawFile:
    """One regular file of the raw tree."""

    path: str  # relative to the root, POSIX separators
    kind: str
    size: int
    item_id: int | None = None


@dataclass
class RawTree:
    """The raw tree: its root folder and its classified regular files (links are never listed)."""

    root: Path
    files: dict[str, RawFile] = field(default_factory=dict)

    def absolute(self, rel: str) -> Path:
        """Absolute path of a listed file."""
        return self.root / rel

    def of_kind(self, kind: str) -> list[RawFile]:
        """Listed files of one kind, sorted by path."""
        return sorted((f for f in self.files.values() if f.kind == kind), key=lambda f: f.path)

    def one(self, kind: str) -> RawFile | None:
        """The single required file of ``kind`` if it is present."""
        rel = REQUIRED_FILES[kind]
        entry = self.files.get(rel)
        return entry if entry is not None and entry.kind == kind else None


def find_root(path: Path) -> Path:
    """The folder holding the five data folders: ``path`` itself or ``path/data``.

    Raises UsageError when ``path`` does not exist or holds neither layout.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such folder")
    if not path.is_dir():
        raise UsageError(f"{path}: not a folder (give the raw tree's root or its data/ folder)")

    def score(candidate: Path) -> int:
        return sum(1 for name in TOP_FOLDERS if (candidate / name).exists() or (candidate / name).is_symlink())

    data = path / "data"
    own, nested = score(path), (score(data) if data.is_dir() and not data.is_symlink() else 0)
    if nested > own:
        return data
    if own:
        return path
    if data.is_symlink():
        raise UsageError(f"{data}: is a symbolic link; vogue-pack never follows links out of a raw tree")
    raise UsageError(
        f"{path}: not a VOGUE raw tree (expected the folders {', '.join(TOP_FOLDERS)} here or under data/)"
    )


def classify(rel: str) -> tuple[str, int | None]:
    """The kind of a file from its relative path (``unknown`` for files the format does not describe), and
    its id for item files. This is the one place where a path is given its kind."""
    kind = _BY_PATH.get(rel)
    if kind:
        return kind, None
    if rel in LICENCE_NAMES:
        return "licence", None
    match = _ITEM_FILE.fullmatch(rel)
    if match and int(match.group(1)) <= ID_MAX:
        return ("item_json" if match.group(2) == "json" else "image"), int(match.group(1))
    if _TRANSCRIPT_FILE.fullmatch(rel):
        return "transcript", None
    if _SUPPLEMENT.fullmatch(rel):
        return "supplement", None
    return "unknown", None


def discover(path: Path) -> tuple[RawTree, list[Finding]]:
    """List and classify every file under the raw root, never following links."""
    root = find_root(path)
    real_root = os.path.realpath(root)
    tree = RawTree(root=root)
    findings: list[Finding] = []
    claims: dict[tuple[str, int], list[tuple[bool, str]]] = {}  # (kind, id) -> [(not strict, path)]

    def listing(folder: Path, rel_folder: str) -> Iterator[os.DirEntry[str]]:
        try:
            return iter(sorted(os.scandir(folder), key=lambda e: e.name))
        except OSError as exc:
            findings.append(finding("tree.unreadable", f"cannot list folder: {exc.strerror}",
                                    file=rel_folder or "."))
            return iter(())

    def walk(folder: Path, rel_folder: str) -> None:
        # depth first in name order, with an explicit stack: folders nested thousands deep are only
        # deep, never a RecursionError
        stack = [(listing(folder, rel_folder), rel_folder)]
        while stack:
            entries, rel_folder = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes in the name (surrogate escapes): never read
                shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
                findings.append(finding("tree.bad-name", "name is not valid UTF-8; not read: rename it",
                                        file=shown, value=shown))
                continue
            if rel in TOP_FOLDERS and not entry.is_dir(follow_symlinks=False):
                continue  # a top-level folder that is a link or a file: reported once below, never read
            if entry.is_symlink():
                target = os.readlink(entry.path)
                findings.append(finding(
                    "tree.symlink", f"symbolic link to {target!r}: replace it with the real file; links are "
                    "never followed", file=rel, value=target))
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                findings.append(finding("tree.unreadable", f"cannot stat: {exc.strerror}", file=rel))
                continue
            if stat.S_ISDIR(info.st_mode):
                if classify(rel)[0] not in ("unknown", "supplement") or claimed_id(rel) is not None:
                    findings.append(finding("tree.not-a-file", "this path is named like a data file but is a "
                                            "folder; not read: replace it with the file", file=rel))
                    continue
                # Links are never followed, so every entry of a folder reached through real folders lies
                # inside the root: the resolution is checked once per folder, not once per file.
                real = os.path.realpath(entry.path)
                if os.path.commonpath([real_root, real]) != real_root:
                    findings.append(finding("tree.outside-root", "path resolves outside the raw root; not read",
                                            file=rel, value=real))
                    continue
                stack.append((listing(Path(entry.path), rel), rel))
                continue
            if rel in _FOLDERS:
                findings.append(finding("tree.not-a-file", f"{rel} must be a folder; not read", file=rel))
                continue
            if not stat.S_ISREG(info.st_mode):
                findings.append(finding("tree.not-a-file", "not a regular file (device, socket or pipe); "
                                        "not read", file=rel))
                continue
            kind, item_id = classify(rel)
            tree.files[rel] = RawFile(path=rel, kind=kind, size=info.st_size, item_id=item_id)
            claim = claimed_id(rel)
            if claim is not None:
                strict = kind != "unknown" and (kind != "transcript" or
                                                parse_transcript_name(rel.rsplit("/", 1)[-1]) is not None)
                claims.setdefault(claim[:2], []).append((not strict, rel))
                if kind == "unknown":
                    findings.append(_id_name_finding(rel, claim))
                    continue
            if kind == "unknown":
                findings.append(finding("tree.unknown-file", "file not described by the VOGUE format; "
                                        "listed but not used", file=rel))

    for name in TOP_FOLDERS:
        folder = root / name
        if folder.is_symlink():
            findings.append(finding("tree.symlink", "top-level folder is a symbolic link; not read",
                                    file=name, value=os.readlink(folder)))
        elif not folder.exists():
            findings.append(finding("tree.missing-folder", f"folder {name}/ is missing", file=name))
        elif not folder.is_dir():
            findings.append(finding("tree.not-a-file", f"{name} must be a folder", file=name))
    walk(root, "")
    findings.extend(_duplicate_ids(claims))
    for kind, rel in REQUIRED_FILES.items():
        top = rel.split("/")[0]
        if rel not in tree.files and (root / top).is_dir() and not (root / top).is_symlink():
            if not any(f.file == rel for f in findings):
                what = kind.replace("_", " ")
                findings.append(finding("tree.missing-file", f"required file is missing ({what}); restore it from "
                                        "the source release", file=rel))
    return tree, findings


def _id_name_finding(rel: str, claim: tuple[str, int, str]) -> Finding:
    """A file whose name nearly follows the id grammar (or holds an id beyond the 32-bit range)."""
    kind, number, canonical = claim
    what = "a transcript" if kind == "transcript" else f"item_{{id}}.{'json' if kind == 'item_json' else 'png'}"
    if number > ID_MAX:
        reason = f"its id {number} is beyond the 32-bit range of the data model"
    else:
        reason = (f"ids in file names are ASCII digits without leading zeros and the name must match exactly; "
                  f"did you mean {canonical.rsplit('/', 1)[-1]!r}?")
    return finding("tree.id-name", f"name looks like {what} but does not follow the grammar: {reason}; the file "
                   "is not read", file=rel, value=rel.rsplit("/", 1)[-1], expected=canonical.rsplit("/", 1)[-1])


def _duplicate_ids(claims: dict[tuple[str, int], list[tuple[bool, str]]]) -> list[Finding]:
    """Two files that claim one id (``item_5.json`` and ``item_05.json``; ``c10_a_1.json`` and
    ``c10_b_4.json``): an error at each extra file, naming both."""
    found: list[Finding] = []
    for (kind, number), files in sorted(claims.items()):
        if len(files) < 2:
            continue
        ordered = sorted(files)  # the strictly named file first: it is the one the loader reads
        first = ordered[0][1]
        what = f"conversation {number}" if kind == "transcript" else f"item {number}"
        for _, rel in ordered[1:]:
            found.append(finding(
                "tree.duplicate-id", f"{rel!r} and {first!r} both claim {what}; keep exactly one file per id",
                file=rel, value=rel, expected=first, keys={"id": number}))
    return found
