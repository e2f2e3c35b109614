"""The licence of a release: the raw tree's licence file copied unchanged, the terms derived from it
(vogue_pack.raw.licence) mapped to every file and table of the release, and their renderings for the card
(Hugging Face front matter, a per-file table) and for croissant.json.

The terms are read from the very bytes the release ships; nothing here states a licence of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vogue_pack.errors import UsageError
from vogue_pack.raw.licence import CATEGORY_TITLES, RESTRICTION_TITLES, LicenceTerms, parse_licence, read_licence
from vogue_pack.release.format import (
    CARD,
    CHECKSUMS,
    CROISSANT,
    DATABASE,
    FINDINGS,
    IMAGES_DIR,
    MANIFEST,
    REPORT,
    sha256_bytes,
)

RELEASE_LICENCE = "LICENSE.txt"

# What each release file or table holds, as parts of the dataset a licence names (vogue_pack.raw.licence).
# () marks files vogue-pack writes about the data (listings, digests, reports): no licence file names them.
TABLE_PARTS: dict[str, tuple[str, ...]] = {
    "scenarios": ("transcripts",),
    "catalogue_membership": ("item_metadata",),
    "items": ("item_metadata",),
    "conversations": ("transcripts", "annotations"),
    "turns": ("transcripts",),
    "utterances": ("transcripts", "annotations"),
    "conversation_items": ("annotations",),
    "rating_rows": ("ratings", "surveys"),
    "item_ratings": ("ratings",),
    "satisfaction": ("surveys",),
    "participants": ("surveys",),
    "profile_ratings": ("surveys", "ratings"),
    "files": (),
    "images": ("images",),
    "duplicate_pairs": ("images",),
}
_FILE_PARTS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    (f"{IMAGES_DIR}/*.png", "product images, byte-identical to the raw release", ("images",)),
    (DATABASE, "every table above", None),  # None: the union of every table's parts
    (f"{FINDINGS}`, `{REPORT}`, `report.html", "the validation report; it quotes values of the files it reports "
     "on, under those files' terms", ()),
    (f"{MANIFEST}`, `{CHECKSUMS}`, `{CARD}`, `{CROISSANT}", "descriptions and digests written by vogue-pack", ()),
)


def write_licence(root: Path, report_context: Mapping[str, Any], write: Callable[[str, bytes], None],
                  ) -> dict[str, Any]:
    """Copy the raw tree's licence file into the release as ``LICENSE.txt`` (unchanged) and return the
    manifest's ``licence`` entry with the terms derived from the copied bytes. Raises UsageError when the
    file changed since validation (its sha256 differs from the one validation recorded)."""
    licence, _findings = read_licence(root)  # validation reported the findings already
    recorded = report_context.get("licence") if isinstance(report_context.get("licence"), dict) else None
    if recorded is not None and (licence.sha256 if licence else None) != recorded.get("sha256"):
        raise UsageError(f"the licence file {recorded.get('file') or RELEASE_LICENCE} changed since it was "
                         "validated; validate and build again")
    if licence is None:
        return {"path": None, "source": None, "status": "missing", "terms": None}
    write(RELEASE_LICENCE, licence.data)
    entry: dict[str, Any] = {"path": RELEASE_LICENCE, "source": licence.path, "sha256": sha256_bytes(licence.data),
                             "bytes": len(licence.data)}
    if licence.text is None:
        return {**entry, "status": "unreadable", "terms": None}
    terms = parse_licence(licence.text)
    return {**entry, "status": "understood" if terms.understood else "not-understood", "terms": terms.to_dict()}


def _terms(entry: Mapping[str, Any] | None) -> LicenceTerms | None:
    if not entry or not entry.get("terms"):
        return None
    terms = LicenceTerms.from_dict(entry["terms"])
    return terms if terms.understood else None


def short_label(licence: Mapping[str, Any]) -> str:
    """``CC BY 4.0`` for an SPDX Creative Commons id; the restrictions of custom terms otherwise."""
    spdx = licence.get("spdx")
    if spdx:
        parts = spdx.split("-")
        return f"{parts[0]} {'-'.join(parts[1:-1])} {parts[-1]}".replace("  ", " ") if len(parts) > 2 else spdx
    return "custom terms: " + ", ".join(RESTRICTION_TITLES.get(r, r) for r in licence.get("restrictions", []))


def licence_slug(entry: Mapping[str, Any] | None) -> str:
    """The Hugging Face ``license_name``: the derived licence ids joined, or what is known of the file."""
    terms = _terms(entry)
    if terms is not None:
        return "-and-".join(lid.lower() for lid in terms.licences)
    if entry and entry.get("path"):
        return "see-license-file"
    return "unknown"


def front_matter_lines(entry: Mapping[str, Any] | None) -> list[str]:
    """Hugging Face card metadata for the licence: one SPDX licence for everything is named as such;
    anything else is ``license: other`` with the file as ``license_link``."""
    terms = _terms(entry)
    if terms is not None and not terms.unassigned and len(terms.licences) == 1:
        only = next(iter(terms.licences.values()))
        if only.spdx:
            return [f"license: {only.spdx.lower()}"]
    lines = ["license: other", f"license_name: {licence_slug(entry)}"]
    if entry and entry.get("path"):
        lines.append(f"license_link: {entry['path']}")
    return lines


def _cell(terms: LicenceTerms, parts: tuple[str, ...]) -> str:
    by_licence: dict[str, list[str]] = {}
    for part in parts:
        lic = terms.licence_of(part)
        key = short_label(lic.to_dict()) if lic else f"not named in `{RELEASE_LICENCE}`"
        by_licence.setdefault(key, []).append(CATEGORY_TITLES[part])
    if len(by_licence) == 1:
        return next(iter(by_licence))
    return "; ".join(f"{label} ({', '.join(titles)})" for label, titles in by_licence.items())


def summary_lines(entry: Mapping[str, Any] | None) -> list[str]:
    """The one-paragraph statement of the terms at the top of the card."""
    terms = _terms(entry)
    if not entry or not entry.get("path"):
        return ["> **No licence file came with the raw tree this release was built from: the terms of this "
                "data are unknown.** Ask the dataset's authors before any use. Cite the paper below."]
    if terms is None:
        return [f"> **Terms: see `{RELEASE_LICENCE}`.** The licence file of the raw tree is copied into this "
                "release unchanged; vogue-pack could not derive from it which terms apply to which part of the "
                "data, so this card states none. Read the file before any use. Cite the paper below."]
    sentences = []
    for lid, lic in terms.licences.items():
        parts = [CATEGORY_TITLES[c] for c, assigned in terms.categories.items() if assigned == lid]
        if parts:
            sentences.append(f"{', '.join(parts)}: **{lic.name}**")
    rest = [CATEGORY_TITLES[c] for c in terms.unassigned]
    tail = (f" The licence file names no terms for: {', '.join(rest)}; read it for those." if rest else "")
    return [f"> **Terms, as `{RELEASE_LICENCE}` states them:** {'; '.join(sentences)}.{tail} The file is "
            "copied into this release unchanged and is the authority; the table under *Licence* gives the "
            "terms of every file and table. Cite the paper below."]


def licence_section(entry: Mapping[str, Any] | None, table_paths: Mapping[str, str], *,
                    images: bool = True) -> list[str]:
    """The card's Licence section: where the terms come from and a table of every file and table
    (``images=False``: the release has no image files, so they get no row)."""
    terms = _terms(entry)
    tool = ("vogue-pack itself is MIT-licensed; that licence does not extend to the data.")
    if not entry or not entry.get("path"):
        return ["The raw tree held no licence file, so this release carries none and states no terms. "
                "Obtain the terms from the dataset's authors. " + tool]
    lines = [f"`{RELEASE_LICENCE}` is the licence file of the raw tree (`{entry['source']}` there), copied "
             f"unchanged (sha256 `{entry['sha256']}`)."]
    if terms is None:
        why = ("it is not readable text" if entry.get("status") == "unreadable"
               else "no licence could be matched to the parts of the data it names")
        return [*lines[:1], "", f"vogue-pack could not derive the terms from it ({why}); they are in the file "
                "and this card does not restate them. " + tool]
    lines[0] += (" The terms below are derived from its text (each part of the dataset it mentions, with the "
                 "licence the same sentence or section names); where they differ from the file, the file "
                 "prevails.")
    lines += ["", "| licence | as the file says |", "|---|---|"]
    for lic in terms.licences.values():
        link = f" ({lic.url})" if lic.url else ""
        lines.append(f"| {lic.name}{link} | {_md(lic.quote)} |")
    lines += ["", "| file or table | content | licence |", "|---|---|---|"]
    for name, path in table_paths.items():
        parts = TABLE_PARTS.get(name)
        if parts is None:
            licence = f"not classified; see `{RELEASE_LICENCE}`"
        elif parts:
            licence = _cell(terms, parts)
        else:
            licence = "no data content (written by vogue-pack)"
        content = ", ".join(CATEGORY_TITLES[p] for p in parts) if parts else "a listing of the raw files"
        lines.append(f"| `{path}` | {content} | {licence} |")
    every = tuple(dict.fromkeys(p for parts in TABLE_PARTS.values() for p in parts))
    for path, what, parts in _FILE_PARTS:
        if not images and path.startswith(f"{IMAGES_DIR}/"):
            continue
        chosen = every if parts is None else parts
        licence = _cell(terms, chosen) if chosen else "no licence of its own"
        lines.append(f"| `{path}` | {what} | {licence} |")
    lines.append(f"| `{RELEASE_LICENCE}` | the licence file | - |")
    rest = [CATEGORY_TITLES[c] for c in terms.unassigned]
    if rest:
        lines += ["", f"The licence file names no terms for: {', '.join(rest)}. Read `{RELEASE_LICENCE}` "
                  "before using them."]
    lines += ["", tool]
    return lines


def croissant_licence(entry: Mapping[str, Any] | None) -> list[Any]:
    """Croissant ``license``: the URL of each recognised SPDX licence and a CreativeWork for custom terms
    or for a file whose terms could not be derived."""
    terms = _terms(entry)
    if not entry or not entry.get("path"):
        return ["No licence file came with the raw tree; the terms are unknown."]
    if terms is None:
        return [{"@type": "sc:CreativeWork", "name": "The dataset's licence file",
                 "description": "Terms not derived by vogue-pack; read the file.", "url": RELEASE_LICENCE}]
    out: list[Any] = []
    for lid, lic in terms.licences.items():
        parts = ", ".join(CATEGORY_TITLES[c] for c, assigned in terms.categories.items() if assigned == lid)
        out.append({"@type": "sc:CreativeWork", "name": lic.name, "url": lic.url or RELEASE_LICENCE,
                    "description": f"Applies to: {parts or 'no part named'}. {lic.quote}"})
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")



def licence_problems(root: Path, manifest: Mapping[str, Any], on_disk: set[str]) -> list[tuple[str, str, str]]:
    """What ``verify`` finds wrong with the release's licence: (problem kind, path, message). The shipped
    file must be the one the manifest's ``licence`` entry records, and the terms recorded there must be the
    terms its text gives (a licence file swapped together with its checksums is still caught)."""
    entry = manifest.get("licence")
    if not isinstance(entry, Mapping):
        return [("manifest", MANIFEST, "has no licence entry")] if "licence" in manifest else []
    if entry.get("path") is None:
        if RELEASE_LICENCE in on_disk:
            return [("content", RELEASE_LICENCE, "the manifest records that the raw tree had no licence file, "
                     "but the release holds one")]
        return []
    rel = str(entry["path"])
    if rel != RELEASE_LICENCE:
        return [("manifest", MANIFEST, f"licence.path is {rel[:80]!r}, not {RELEASE_LICENCE}")]
    if rel not in on_disk:
        return []  # reported as missing already (it is listed in SHA256SUMS and the manifest's files)
    data = (root / rel).read_bytes()
    if sha256_bytes(data) != entry.get("sha256"):
        return [("content", rel, "its sha256 differs from the manifest's licence.sha256: the licence file was "
                 "replaced")]
    if entry.get("status") in ("understood", "not-understood"):
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            return [("content", rel, "not UTF-8, but the manifest records terms read from it")]
        if parse_licence(text).to_dict() != entry.get("terms"):
            return [("manifest", MANIFEST, "licence.terms are not the terms the shipped licence file gives")]
    return []
