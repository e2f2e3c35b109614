"""Find the raw tree's licence file, read it once, and derive its terms: which parts of the dataset fall
under which licence.

Where: ``LICENSE.txt`` in the raw root, or, when the root is the repository's ``data/`` folder, one level up
(docs/vogue-format section 1.1); never further out, never through a link.

How the terms are derived (nothing the file says is assumed): the text is cut into blocks (paragraphs,
and each bullet or numbered line on its own) and each block into sentences. A sentence that names exactly
one licence assigns it to the parts of the dataset it mentions (:data:`CATEGORY_PATTERNS`); a block that
names parts but no licence (a heading such as "1. Product images") hands its parts to the next block that
names a licence but no part. Licences are recognised by pattern: Creative Commons by short form (``CC BY
4.0``, ``CC-BY-NC-4.0``) or long form ("Creative Commons Attribution-NonCommercial 4.0 International"),
CC0, and custom terms by their restrictions (research use only, non-commercial, no redistribution). A part
that two sentences assign to different licences, a sentence naming two licences, or a file in which no
licence or no part can be recognised is not guessed at: the part stays unassigned and a finding says so.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vogue_pack.raw.limits import MAX_TEXT_BYTES  # not raw.reader (csv, the file schemas): verify reads licences
from vogue_pack.raw.tree import LICENCE_NAMES
from vogue_pack.report.findings import Finding, finding

MAX_LICENCE_BYTES = MAX_TEXT_BYTES

# The parts of the dataset a licence can name, and the words that name them in a licence text.
CATEGORY_PATTERNS: dict[str, re.Pattern[str]] = {
    "transcripts": re.compile(r"\b(?:transcripts?|dialogues?(?![- ]act)|conversations?|utterances?)\b", re.I),
    "surveys": re.compile(r"\b(?:surveys?|survey responses?|profiles?|questionnaires?|satisfaction)\b", re.I),
    # "product ratings" and "customer ratings" are fields of the item metadata, not the participants' ratings
    "ratings": re.compile(r"(?<!product )(?<!customer )(?<!star )\bratings?\b", re.I),
    "annotations": re.compile(r"\b(?:annotations?|dialogue[- ]act|tags?|labels?)\b", re.I),
    "images": re.compile(r"\b(?:images?|photos?|photographs?|pictures?|png)\b", re.I),
    "item_metadata": re.compile(r"\b(?:metadata|item_\*\.json|product (?:information|descriptions?|details))\b",
                                re.I),
}
CATEGORY_TITLES = {
    "transcripts": "dialogue transcripts",
    "surveys": "profiles and survey responses",
    "ratings": "ratings",
    "annotations": "annotations",
    "images": "product images",
    "item_metadata": "item metadata",
}

_CC_SHORT = re.compile(r"\bCC[ -]?(BY(?:[ -](?:NC|SA|ND))*)[ -]?v?([1-4]\.0)\b", re.I)
_CC_LONG = re.compile(r"\bCreative\s+Commons\s+(Attribution(?:[\s-]+(?:Non-?Commercial|Share-?Alike|"
                      r"No-?Deriv(?:ative)?s?))*)(?:\s+License|\s+Licence)?\s+(?:version\s+)?v?([1-4]\.0)\b",
                      re.I)
_CC_ZERO = re.compile(r"\bCC[ -]?0\b|\bCC[ -]?Zero\b|\bpublic domain dedication\b", re.I)
_CC_WORDS = {"attribution": "BY", "noncommercial": "NC", "non-commercial": "NC", "sharealike": "SA",
             "share-alike": "SA"}
# Custom terms: each restriction the text states, with the words that state it.
RESTRICTIONS: dict[str, re.Pattern[str]] = {
    "research-only": re.compile(r"\bresearch\b[^.;]{0,60}\bonly\b|\b(?:only|solely|exclusively)\b[^.;]{0,30}"
                                r"\bresearch\b|\bresearch\b[^.;]{0,30}\b(?:use|purposes?)\b", re.I),
    "non-commercial": re.compile(r"\bnon-?commercial\b|\bno\s+commercial\b|\bnot\s+(?:be\s+)?(?:used\s+)?"
                                 r"(?:for\s+)?commercial", re.I),
    "no-redistribution": re.compile(r"\b(?:not|never|no)\b[^.;]{0,40}\bredistribut", re.I),
}
RESTRICTION_TITLES = {"research-only": "research use only", "non-commercial": "non-commercial",
                      "no-redistribution": "no redistribution apart from the dataset"}
_COPYRIGHT = re.compile(r"\bcopyright(?:ed)?\b|©", re.I)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)])\s+")


@dataclass(frozen=True)
class Licence:
    """One licence the file grants: a Creative Commons licence (``spdx`` set) or custom terms."""

    id: str  # SPDX id (``CC-BY-4.0``) or a slug of the custom terms (``research-only-non-commercial``)
    name: str
    spdx: str | None = None
    url: str | None = None  # the licence's canonical deed, for SPDX licences
    restrictions: tuple[str, ...] = ()
    quote: str = ""  # the first sentence of the file that grants it

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "spdx": self.spdx, "url": self.url,
                "restrictions": list(self.restrictions), "quote": self.quote}


@dataclass
class LicenceTerms:
    """What the licence file says: the licences, and for each part of the dataset the id of its licence."""

    licences: dict[str, Licence] = field(default_factory=dict)  # id -> licence, in order of appearance
    categories: dict[str, str] = field(default_factory=dict)  # category -> licence id
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # category -> licence ids it was given
    ambiguous: list[str] = field(default_factory=list)  # sentences naming two licences (not used)

    @property
    def understood(self) -> bool:
        """At least one licence was recognised and assigned to at least one part."""
        return bool(self.licences) and bool(self.categories)

    @property
    def unassigned(self) -> list[str]:
        return [c for c in CATEGORY_PATTERNS if c not in self.categories]

    def licence_of(self, category: str) -> Licence | None:
        lid = self.categories.get(category)
        return self.licences.get(lid) if lid is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {"licences": [lic.to_dict() for lic in self.licences.values()],
                "categories": dict(self.categories), "unassigned": self.unassigned,
                "conflicts": dict(self.conflicts), "understood": self.understood}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LicenceTerms:
        licences = {entry["id"]: Licence(id=entry["id"], name=entry["name"], spdx=entry.get("spdx"),
                                         url=entry.get("url"), restrictions=tuple(entry.get("restrictions", ())),
                                         quote=entry.get("quote", ""))
                    for entry in data.get("licences", [])}
        return cls(licences=licences, categories=dict(data.get("categories", {})),
                   conflicts={k: list(v) for k, v in data.get("conflicts", {}).items()})


@dataclass(frozen=True)
class LicenceFile:
    """The licence file found beside the data: its path relative to the raw root (``LICENSE.txt`` or
    ``../LICENSE.txt``), its bytes, and its text (None when it is not UTF-8)."""

    path: str
    data: bytes
    text: str | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def licence_candidates(root: Path) -> list[tuple[str, Path]]:
    """Where the licence file may be: (path relative to the raw root, absolute path), in search order."""
    root = Path(root)
    found = [(name, root / name) for name in LICENCE_NAMES]
    if root.name == "data":  # the repository's data/ folder: the licence sits beside it, and no further out
        found += [(f"../{name}", root.parent / name) for name in LICENCE_NAMES]
    return found


def read_licence(root: Path, max_bytes: int = MAX_LICENCE_BYTES) -> tuple[LicenceFile | None, list[Finding]]:
    """Find and read the licence file once. Missing, a link, not a regular file, too large, unreadable or
    not UTF-8: a finding (the file is still returned, bytes only, when it was read but is not UTF-8)."""
    findings: list[Finding] = []
    for rel, path in licence_candidates(root):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            findings.append(finding("licence.unreadable", f"cannot stat the licence file: {exc.strerror}", file=rel))
            return None, findings
        beside = rel.startswith("../")  # inside the root, discovery reports links and special files already
        if stat.S_ISLNK(info.st_mode):
            if beside:
                findings.append(finding("tree.symlink", "the licence file is a symbolic link; links are never "
                                        "followed: replace it with the real file", file=rel,
                                        value=os.readlink(path)))
            return None, findings
        if not stat.S_ISREG(info.st_mode):
            findings.append(finding("licence.unreadable", "the licence file is not a regular file; not read",
                                    file=rel))
            return None, findings
        if info.st_size > max_bytes:
            findings.append(finding("licence.unreadable", f"{info.st_size:,} bytes; not read (limit "
                                    f"{max_bytes:,} bytes)", file=rel, value=info.st_size))
            return None, findings
        try:
            data = path.read_bytes()
        except OSError as exc:
            findings.append(finding("licence.unreadable", f"cannot read the licence file: {exc.strerror}",
                                    file=rel))
            return None, findings
        from vogue_pack.raw.reader import decode_text

        scratch: list[Finding] = []
        text = decode_text(data, rel, scratch)
        problems = [f for f in scratch if f.severity.value == "error"]
        if problems or text is None:
            reason = problems[0].message if problems else "the file is empty"
            findings.append(finding("licence.unreadable", f"the licence file cannot be read as text ({reason}); "
                                    "it is copied into a release unchanged, but its terms cannot be stated",
                                    file=rel, value=problems[0].value if problems else None))
            return LicenceFile(rel, data, None), findings
        return LicenceFile(rel, data, text), findings
    where = " or ".join(rel for rel, _path in licence_candidates(root))
    findings.append(finding("licence.missing", f"no licence file ({where}): a release without terms cannot be "
                            "reused safely; restore LICENSE.txt from the source repository",
                            file=licence_candidates(root)[-1][0], expected=where))  # where the repository has it
    return None, findings


def _cc_licence(parts: str, version: str) -> tuple[str, str]:
    """(SPDX id, name) of a Creative Commons licence from its elements (``BY-NC``) and version."""
    elements = [e.upper() for e in re.split(r"[ -]+", parts.strip()) if e]
    spdx = "CC-" + "-".join(elements) + f"-{version}"
    words = {"BY": "Attribution", "NC": "NonCommercial", "SA": "ShareAlike", "ND": "NoDerivatives"}
    name = "Creative Commons " + "-".join(words[e] for e in elements) + f" {version}"
    if version == "4.0":
        name += " International"
    return spdx, f"{name} (CC {'-'.join(elements)} {version})"


def _cc_url(spdx: str) -> str:
    elements, version = spdx.lower().split("-")[1:-1], spdx.split("-")[-1]
    return f"https://creativecommons.org/licenses/{'-'.join(elements)}/{version}/"


def _long_elements(words: str) -> str:
    out = []
    for word in re.split(r"[\s]+|-(?=[A-Z])", words.strip()):
        key = word.lower()
        if key.startswith("noderiv"):
            out.append("ND")
        elif key in _CC_WORDS:
            out.append(_CC_WORDS[key])
    return "-".join(out)


def licences_in(sentence: str) -> list[Licence]:
    """The licences one sentence names (Creative Commons, CC0, or custom terms by their restrictions)."""
    found: dict[str, Licence] = {}
    for match in _CC_SHORT.finditer(sentence):
        spdx, name = _cc_licence(match.group(1), match.group(2))
        found.setdefault(spdx, Licence(spdx, name, spdx=spdx, url=_cc_url(spdx), quote=sentence))
    for match in _CC_LONG.finditer(sentence):
        spdx, name = _cc_licence(_long_elements(match.group(1)), match.group(2))
        found.setdefault(spdx, Licence(spdx, name, spdx=spdx, url=_cc_url(spdx), quote=sentence))
    if _CC_ZERO.search(sentence):
        found.setdefault("CC0-1.0", Licence("CC0-1.0", "Creative Commons Zero 1.0 (CC0 1.0)", spdx="CC0-1.0",
                                            url="https://creativecommons.org/publicdomain/zero/1.0/",
                                            quote=sentence))
    restrictions = tuple(name for name, pattern in RESTRICTIONS.items() if pattern.search(sentence))
    # a non-commercial CC licence states "non-commercial" itself; any other restriction beside a CC licence
    # makes the sentence name two licences (it is then not used)
    implied = {"non-commercial"} if any(lic.spdx and "NC" in lic.spdx.split("-") for lic in found.values()) else set()
    if set(restrictions) - implied:
        found.setdefault("custom", Licence("custom", "", restrictions=restrictions, quote=sentence))
    return list(found.values())


def _blocks(text: str) -> list[str]:
    """Paragraphs, with each bullet or numbered line a block of its own; lines of a block are joined."""
    blocks: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            blocks.append([])
        elif _BULLET.match(line):
            blocks.append([_BULLET.sub("", line)])
        else:
            blocks[-1].append(line.strip())
    return [" ".join(lines) for lines in blocks if lines]


def categories_in(text: str) -> list[str]:
    """The parts of the dataset a piece of licence text mentions, in :data:`CATEGORY_PATTERNS` order."""
    return [name for name, pattern in CATEGORY_PATTERNS.items() if pattern.search(text)]


def parse_licence(text: str) -> LicenceTerms:
    """Derive the terms from a licence text (see the module docstring); never raises."""
    terms = LicenceTerms()
    given: dict[str, list[str]] = {}
    custom: list[tuple[Licence, str]] = []  # custom terms and the block that states them
    pending: list[str] = []  # parts named by a heading, waiting for the block that licenses them

    def assign(categories: list[str], licence: Licence, block: str) -> None:
        if licence.id == "custom":
            custom.append((licence, block))
        else:
            terms.licences.setdefault(licence.id, licence)
        for category in categories:
            ids = given.setdefault(category, [])
            if licence.id not in ids:
                ids.append(licence.id)

    for block in _blocks(text):
        block_categories = categories_in(block)
        sentences = [s for s in _SENTENCE.split(block) if s.strip()]
        licensed = False
        for sentence in sentences:
            licences = licences_in(sentence)
            if len(licences) > 1:
                terms.ambiguous.append(sentence)
                licensed = True
                continue
            if not licences:
                continue
            licensed = True
            categories = categories_in(sentence) or categories_in(block) or pending
            assign(categories, licences[0], block)
        if licensed:
            pending = []
        elif block_categories:
            pending = block_categories
    if custom:  # all custom terms of one file are one licence: the file's own terms
        restrictions = tuple(name for name in RESTRICTIONS if any(name in c.restrictions for c, _ in custom))
        copyrighted = any(_COPYRIGHT.search(block) for _, block in custom)
        slug = "-".join(restrictions)
        name = "Custom terms: " + ", ".join(RESTRICTION_TITLES[r] for r in restrictions) + \
            ("; copyright of the rights holders" if copyrighted else "")
        terms.licences[slug] = Licence(slug, name, restrictions=restrictions, quote=custom[0][0].quote)
        given = {c: [slug if i == "custom" else i for i in ids] for c, ids in given.items()}
    for category in CATEGORY_PATTERNS:
        ids = list(dict.fromkeys(given.get(category, [])))
        if len(ids) == 1:
            terms.categories[category] = ids[0]
        elif len(ids) > 1:
            terms.conflicts[category] = ids
    used = set(terms.categories.values())
    terms.licences = {lid: lic for lid, lic in terms.licences.items()
                      if lid in used or any(lid in ids for ids in terms.conflicts.values())}
    return terms


def licence_findings(licence: LicenceFile, terms: LicenceTerms) -> list[Finding]:
    """What could not be derived from a readable licence file."""
    if not terms.understood:
        return [finding("licence.unrecognised", "no licence could be matched to any part of the dataset in the "
                        "licence file; a release states only that the terms are in the file",
                        file=licence.path)]
    found = []
    for category, ids in terms.conflicts.items():
        found.append(finding("licence.unrecognised", f"the licence file gives the {CATEGORY_TITLES[category]} "
                             f"more than one licence ({', '.join(ids)}); a release does not choose one",
                             file=licence.path, value=ids, keys={"part": category}))
    unassigned = [c for c in terms.unassigned if c not in terms.conflicts]
    if unassigned:
        titles = ", ".join(CATEGORY_TITLES[c] for c in unassigned)
        found.append(finding("licence.partial", f"the licence file names no licence for: {titles}; a release "
                             "refers to the file for them", file=licence.path, value=unassigned))
    return found


def inspect_licence(root: Path) -> tuple[LicenceFile | None, LicenceTerms | None, list[Finding]]:
    """Read the licence file and derive its terms, with every finding about it."""
    licence, findings = read_licence(root)
    if licence is None or licence.text is None:
        return licence, None, findings
    terms = parse_licence(licence.text)
    return licence, terms, findings + licence_findings(licence, terms)


def licence_context(licence: LicenceFile | None) -> dict[str, Any]:
    """What a validation records about the licence file (``report.context["licence"]``): build checks that
    the file it copies is the one validated."""
    if licence is None:
        return {"file": None, "sha256": None}
    return {"file": licence.path, "sha256": licence.sha256, "bytes": len(licence.data)}
