"""Find the raw root, list and classify every file, refuse links and paths outside the root."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from vogue_pack.errors import UsageError
from vogue_pack.report.findings import Finding, finding

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
_ITEM_JSON = re.compile(r"^metadata/item_(\d{1,9})\.json$")  # ids are 32-bit in the model
_ITEM_PNG = re.compile(r"^metadata/item_(\d{1,9})\.png$")
_TRANSCRIPT = re.compile(r"^conversation_trials/transcripts/(?:conversations/)?[^/]+\.json$")
_SUPPLEMENT = re.compile(r"^supplements/.+\.(?:pdf|png|PNG|txt|jpg|jpeg)$")


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
    """The kind of a file from its relative path (``unknown`` for files the format does not describe)."""
    kind = _BY_PATH.get(rel)
    if kind:
        return kind, None
    match = _ITEM_JSON.match(rel)
    if match:
        return "item_json", int(match.group(1))
    match = _ITEM_PNG.match(rel)
    if match:
        return "image", int(match.group(1))
    if _TRANSCRIPT.match(rel):
        return "transcript", None
    if _SUPPLEMENT.match(rel):
        return "supplement", None
    return "unknown", None


def discover(path: Path) -> tuple[RawTree, list[Finding]]:
    """List and classify every file under the raw root, never following links."""
    root = find_root(path)
    real_root = os.path.realpath(root)
    tree = RawTree(root=root)
    findings: list[Finding] = []

    def walk(folder: Path, rel_folder: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            findings.append(finding("tree.unreadable", f"cannot list folder: {exc.strerror}",
                                    file=rel_folder or "."))
            return
        for entry in entries:
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
            real = os.path.realpath(entry.path)
            if os.path.commonpath([real_root, real]) != real_root:
                findings.append(finding("tree.outside-root", "path resolves outside the raw root; not read",
                                        file=rel, value=real))
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                findings.append(finding("tree.unreadable", f"cannot stat: {exc.strerror}", file=rel))
                continue
            if stat.S_ISDIR(info.st_mode):
                if rel in _BY_PATH or classify(rel)[0] in ("item_json", "image"):
                    findings.append(finding("tree.not-a-file",
                                            "this path must be a file but is a folder", file=rel))
                    continue
                walk(Path(entry.path), rel)
                continue
            if not stat.S_ISREG(info.st_mode):
                findings.append(finding("tree.not-a-file", "not a regular file (device, socket or pipe); "
                                        "not read", file=rel))
                continue
            kind, item_id = classify(rel)
            tree.files[rel] = RawFile(path=rel, kind=kind, size=info.st_size, item_id=item_id)
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
    for kind, rel in REQUIRED_FILES.items():
        top = rel.split("/")[0]
        if rel not in tree.files and (root / top).is_dir() and not (root / top).is_symlink():
            if not any(f.file == rel for f in findings):
                what = kind.replace("_", " ")
                findings.append(finding("tree.missing-file", f"required file is missing ({what}); restore it from "
                                        "the source release", file=rel))
    return tree, findings
