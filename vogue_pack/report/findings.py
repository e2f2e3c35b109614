"""Findings as data: the Finding record, severities and the catalogue of finding codes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is. Only ``error`` findings make ``validate`` exit 1."""

    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class CodeInfo:
    """One entry of the code catalogue: what a code means and how to fix it."""

    code: str
    severity: Severity
    title: str
    description: str


@dataclass(frozen=True)
class Finding:
    """One problem found in a raw tree or a release.

    ``file`` is relative to the raw root (POSIX separators). The location is whichever of
    ``row``/``column`` (CSV: ``row`` is the 1-based line number, the header being line 1),
    ``pointer`` (a JSON Pointer into a JSON file) and ``keys`` (record keys such as
    ``{"conversation_id": 7, "item_id": 3}``) applies.
    """

    code: str
    severity: Severity
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    pointer: str | None = None
    keys: dict[str, Any] = field(default_factory=dict)
    value: Any = None
    expected: Any = None

    @property
    def location(self) -> str:
        """A short human-readable location, e.g. ``row 4, column item_7`` or ``/turns/3``."""
        parts: list[str] = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.pointer is not None:
            parts.append(self.pointer or "/")
        if self.keys and not parts:
            parts.append(", ".join(f"{k}={v}" for k, v in self.keys.items()))
        return ", ".join(parts)

    def with_severity(self, severity: Severity) -> Finding:
        """A copy of this finding with another severity (used by configuration overrides)."""
        return dataclasses.replace(self, severity=severity)

    def map_strings(self, fn: Callable[[str], str]) -> Finding:
        """A copy with ``fn`` applied to every string of the finding's text and location (not its code or
        severity), as its JSON form would show them (e.g. to replace host paths in a release's report)."""
        return dataclasses.replace(
            self, message=fn(self.message), file=map_strings(self.file, fn), column=map_strings(self.column, fn),
            pointer=map_strings(self.pointer, fn), keys=map_strings(dict(self.keys), fn),
            value=map_strings(_jsonable(self.value), fn), expected=map_strings(_jsonable(self.expected), fn))

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: file, position, code."""
        return (
            self.file or "",
            self.row if self.row is not None else -1,
            self.pointer or "",
            self.column or "",
            self.code,
            repr(sorted(self.keys.items())),
            repr(self.value),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``findings`` entries of a report)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "pointer": self.pointer,
            "keys": dict(self.keys),
            "value": _jsonable(self.value),
            "expected": _jsonable(self.expected),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Inverse of :meth:`to_dict`."""
        return cls(
            code=data["code"],
            severity=Severity(data["severity"]),
            message=data["message"],
            file=data.get("file"),
            row=data.get("row"),
            column=data.get("column"),
            pointer=data.get("pointer"),
            keys=dict(data.get("keys") or {}),
            value=data.get("value"),
            expected=data.get("expected"),
        )


def map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """``value`` with ``fn`` applied to every string inside it (lists and dict values, not dict keys)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: map_strings(v, fn) for k, v in value.items()}
    return value


def _jsonable(value: Any) -> Any:
    """Values in findings come from broken data: make them JSON-safe and short."""
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str) and len(value) > 200:
            return value[:200] + "…"
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return repr(value)
        return value
    if isinstance(value, list | tuple):
        items = [_jsonable(v) for v in list(value)[:50]]
        return items
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in list(value.items())[:50]}
    text = repr(value)
    return text[:200] + "…" if len(text) > 200 else text


_E = Severity.ERROR
_W = Severity.WARNING

# The catalogue of codes emitted by Python code. Cross-file checks declare their own codes in
# the headers of checks/*.sql and are merged in by vogue_pack.validate.crosscheck (see vogue_pack.validate.catalogue).
_PY_CODES: list[CodeInfo] = [
    # tree layout
    CodeInfo("tree.missing-file", _E, "Required file missing",
             "A file the format requires does not exist. Restore it from the source release."),
    CodeInfo("tree.missing-folder", _E, "Required folder missing",
             "One of the five top-level folders is missing."),
    CodeInfo("tree.not-a-file", _E, "Not a regular file",
             "A path the format names as a file (or a name like one, such as a folder called c10_b_4.json) is "
             "a folder, or the entry is a FIFO, socket or device. It is not read: replace it with the file."),
    CodeInfo("tree.symlink", _E, "Symbolic link in the tree",
             "Symbolic links are never followed: replace the link with the real file."),
    CodeInfo("tree.outside-root", _E, "Path resolves outside the root",
             "A path resolves outside the raw root; it is not read."),
    CodeInfo("tree.bad-name", _W, "File name not UTF-8",
             "A file or folder name is not valid UTF-8 (shown with \\x escapes); it is not read. Rename it."),
    CodeInfo("tree.id-name", _E, "Id-bearing file name off the grammar",
             "The name looks like item_{id}.json/.png or c{cid}_{cat}_{scen}.json but is not exactly that: ids "
             "are ASCII digits without leading zeros (item_5, not item_05 or a fullwidth digit), nothing may "
             "follow the extension (no trailing space or newline), names are lower case, and ids fit 32 bits. "
             "The file is not read: rename it to the name the message suggests, or remove it."),
    CodeInfo("tree.duplicate-id", _E, "Two files claim one id",
             "Two files name the same item or conversation id (item_5.json and item_05.json; c10_a_1.json "
             "and c10_b_4.json). The finding is at the extra file and names the other: keep exactly one."),
    CodeInfo("tree.unknown-file", _W, "Unknown extra file",
             "A file the format does not describe. It is listed but not used."),
    CodeInfo("tree.unreadable", _E, "File cannot be read",
             "The operating system refused to read the file (permissions or I/O error)."),
    # encodings and parsing
    CodeInfo("file.empty", _E, "Empty file", "The file has zero bytes."),
    CodeInfo("file.encoding", _E, "Not UTF-8",
             "The file is not valid UTF-8. Re-save it as UTF-8 without a byte-order mark."),
    CodeInfo("file.bom", _W, "Byte-order mark",
             "The file starts with a UTF-8 byte-order mark; it is ignored, but remove it."),
    CodeInfo("file.too-large", _E, "File too large",
             "The file is over one of the budgets of a raw text file: its size (--max-file-mb, 8 MiB by "
             "default) or its number of values (--max-values, 200,000 JSON values or CSV cells). It was not "
             "parsed, so memory stays bounded. A VOGUE file is far smaller: check the file; if it is genuine, "
             "raise the budget."),
    CodeInfo("json.parse", _E, "Invalid JSON", "The file is not valid JSON (location: line and column)."),
    CodeInfo("json.duplicate-key", _E, "Duplicate JSON key",
             "An object has the same key twice; JSON readers silently keep one of them."),
    CodeInfo("json.non-finite", _E, "NaN or infinite number",
             "JSON has no NaN/Infinity, and numbers like 1e309 overflow to infinity."),
    CodeInfo("json.depth", _E, "JSON nested too deeply",
             "Arrays and objects are nested deeper than the limit (64 levels; a VOGUE file needs 6). The file "
             "is not checked further: a file this deep is damaged or hostile. Restore it from the source."),
    CodeInfo("json.schema", _E, "JSON structure violation",
             "A value breaks the file's JSON Schema (schemas/*.schema.json): wrong type, missing "
             "or extra key, value out of range or not allowed."),
    CodeInfo("csv.parse", _E, "Invalid CSV",
             "The CSV file cannot be parsed (a cell over the CSV reader's field limit), or holds a NUL character "
             "(a damaged or binary copy: one finding per file, at the first one's line)."),
    CodeInfo("csv.stray-quote", _W, "Stray quote in a CSV cell",
             "A cell holds a quote character that neither opens nor closes a quoted cell: a quote in an unquoted "
             "cell (5'6\"), or text after a closing quote (\"a\"b). The cell is read as Python's csv module reads "
             "it (5'6\" as is, \"a\"b as ab); other readers may split it differently. Quote the whole cell and write "
             "a quote inside it twice (\"\")."),
    CodeInfo("csv.unterminated-quote", _E, "Unterminated quote",
             "A quoted cell opened on the row given is never closed where the row should end, so it swallows "
             "the following lines (up to the next quote or the end of the file). Close the quote; a quote "
             "character inside a cell is written twice (\"\")."),
    CodeInfo("csv.header", _E, "Wrong CSV header",
             "Columns are missing, unexpected, duplicated or out of order."),
    CodeInfo("csv.row-length", _E, "Wrong number of cells",
             "A row has more or fewer cells than the header."),
    CodeInfo("csv.duplicate-key", _E, "Duplicate row key",
             "Two rows of one CSV file have the same key (conversation, participant or item id)."),
    CodeInfo("csv.list-literal", _E, "Bad list literal",
             "A list-literal cell (rating_vec, importance_vec, 40_rating_vec) does not parse as a JSON "
             "list of integers."),
    CodeInfo("csv.list-mismatch", _E, "List literal disagrees with its columns",
             "A list-literal cell differs from the cells it summarises, in order."),
    # table schemas (pandera)
    CodeInfo("schema.type", _E, "Wrong cell type", "A cell cannot be read as the column's type."),
    CodeInfo("schema.missing", _E, "Missing value", "A required cell is blank."),
    CodeInfo("schema.range", _E, "Value out of range", "A number lies outside its allowed range."),
    CodeInfo("schema.pattern", _E, "Value does not match its pattern",
             "A string does not match the column's pattern (ids, timestamps, letters)."),
    CodeInfo("schema.value", _E, "Value not allowed", "A value is not one of the allowed values."),
    CodeInfo("schema.unique", _E, "Duplicate value", "A column that must be unique repeats a value."),
    CodeInfo("schema.check", _E, "Schema check failed", "A table-level schema check failed."),
    # transcripts
    CodeInfo("transcript.filename", _E, "Transcript file name",
             "The file name is not c{cid}_{cat}_{scen}.json."),
    CodeInfo("transcript.filename-mismatch", _E, "File name disagrees with content",
             "conversation_id, catalogue or scenario differ between the file name and the JSON."),
    CodeInfo("transcript.turn-sequence", _E, "Turn numbers not 1..n",
             "Turns must be numbered 1, 2, ..., n in order with no gaps or repeats."),
    CodeInfo("transcript.timestamp", _E, "Timestamp not a time of day",
             "timestamp must be HH:MM:SS in ASCII digits with hours 00-23 and minutes and seconds 00-59 "
             "(25:61:07 is not a time); correct it from the recording. Order is checked between valid times."),
    CodeInfo("transcript.timestamp-order", _E, "Timestamp goes backwards",
             "Timestamps never decrease within a conversation."),
    CodeInfo("transcript.tags-count", _E, "Tags do not match utterances",
             "tags must hold exactly one inner list per utterance."),
    CodeInfo("transcript.tag-code", _E, "Unknown tag code for role",
             "A tag code is not in the tag set of the turn's role (codes depend on the role)."),
    CodeInfo("transcript.tag-placeholder", _W, "Placeholder tag",
             "The literal placeholder '<no tag available>' stands where a tag code should be."),
    CodeInfo("transcript.items-order", _E, "mentioned_items not unique and ascending",
             "mentioned_items must be unique and sorted ascending."),
    CodeInfo("transcript.gt-not-mentioned", _E, "Chosen item not mentioned",
             "Every gt_items id must also be in mentioned_items."),
    CodeInfo("transcript.session-code", _E, "session_code malformed",
             "session_code is the catalogue letter followed by 000, 001, 010, 011 or 100."),
    CodeInfo("transcript.role-repeat", _W, "Same role twice in a row",
             "Roles usually alternate; this turn has the same role as the previous one."),
    CodeInfo("transcript.seeker-opens", _W, "Seeker opens the conversation",
             "The Assistant usually opens; here the Seeker does."),
    # ratings
    CodeInfo("ratings.likert-blank", _W, "Blank satisfaction answer",
             "A likert_k cell is blank (the Seeker did not answer)."),
    # profiles
    CodeInfo("profiles.style-vibe-unmatched", _W, "Style vibe not a survey option",
             "A style_vibes entry is free text ('Other') or does not match one of the 17 options."),
    CodeInfo("profiles.style-vibe-order", _W, "Style vibes not in survey order",
             "Selected options are normally written in survey order."),
    CodeInfo("profiles.free-text", _W, "Free-text survey answer",
             "purchase_frequency or monthly_spend holds free text instead of a listed option."),
    CodeInfo("profiles.duplicate-column", _E, "Bad repeated-item column",
             "An item_k_duplicate column must directly follow its base column item_k."),
    # items and mapping
    CodeInfo("item.filename-mismatch", _E, "Item id disagrees with file name",
             "The id key of item_{id}.json must equal the id in its file name."),
    CodeInfo("item.empty-categories", _W, "Empty categories",
             "The item has an empty categories list."),
    CodeInfo("item.rating", _E, "Bad product_rating",
             "product_rating must be a string holding a number in [0, 5]."),
    CodeInfo("scenario.duplicate", _E, "Scenario defined twice",
             "Two objects of scenarios.json have the same Scenario number."),
    CodeInfo("scenario.body", _E, "Bad scenario body",
             "Body must read '<Title>: <description>' with both parts non-empty."),
    # the licence file beside the data (vogue_pack.raw.licence)
    CodeInfo("licence.missing", _W, "No licence file",
             "Neither the raw root nor, for a data/ root, the folder above it holds LICENSE.txt: a release "
             "without terms cannot be reused safely. Restore it from the source repository."),
    CodeInfo("licence.unreadable", _W, "Licence file unreadable",
             "The licence file is not a regular file, too large, unreadable or not UTF-8: its terms cannot be "
             "stated. A readable one is still copied into a release unchanged."),
    CodeInfo("licence.unrecognised", _W, "Licence terms not understood",
             "No licence could be matched to a part of the dataset, or one part is given two licences: the "
             "release card then refers to the licence file instead of stating the terms."),
    CodeInfo("licence.partial", _W, "Licence names no terms for some parts",
             "The licence file names no licence for some parts of the dataset (transcripts, profiles and "
             "surveys, ratings, annotations, images, item metadata); the card refers to the file for them."),
    # images (integrity and duplicates; vogue_pack.images.inspect / vogue_pack.images.dedup)
    CodeInfo("image.missing", _E, "Image missing", "A mapped item has no item_{id}.png."),
    CodeInfo("image.empty", _E, "Empty image file", "The image file has zero bytes."),
    CodeInfo("image.signature", _E, "Bytes do not match the extension",
             "The file's magic bytes are not those of the format its name says."),
    CodeInfo("image.decode", _E, "Image does not decode",
             "The image is truncated or corrupt: a full decode failed."),
    CodeInfo("image.bomb", _E, "Decompression bomb",
             "The image would decompress to an absurd number of pixels and was refused."),
    CodeInfo("image.mode", _E, "Unsupported image mode",
             "The image's mode is none that PNG or JPEG carries (1, L, LA, P, PA, I;16, RGB, RGBA, CMYK)."),
    CodeInfo("image.animated", _E, "Animated image",
             "Catalogue images must be single-frame (an APNG, animated GIF or WebP, whatever its name)."),
    CodeInfo("image.trailing-data", _W, "Data after the end of the image",
             "Bytes follow the PNG's IEND chunk or the JPEG's EOI marker: a hidden payload or a botched copy."),
    CodeInfo("image.size", _E, "Implausible image size",
             "Image sides are expected roughly between 16 and 10,000 pixels."),
    CodeInfo("image.unmapped", _E, "Image of no mapped item",
             "An item_{id}.png exists for an id that the catalogue mapping lacks."),
    CodeInfo("image.duplicate", _W, "Two items share an identical image",
             "Two different items have byte-identical images."),
    CodeInfo("image.near-duplicate", _W, "Two items have near-identical images",
             "Two different items have images within the perceptual-hash threshold."),
    # privacy
    CodeInfo("privacy.email", _W, "E-mail address in free text", "Redact it before publishing."),
    CodeInfo("privacy.phone", _W, "Phone number in free text", "Redact it before publishing."),
    CodeInfo("privacy.url", _W, "URL in free text", "Check that it does not identify a participant."),
    CodeInfo("privacy.handle", _W, "Social-media handle in free text", "Redact it before publishing."),
    CodeInfo("privacy.postcode", _W, "Postal code in free text", "Redact it before publishing."),
    # predictions files scored by `evaluate` (vogue_pack.analysis.metrics); any of these makes evaluate exit 1
    CodeInfo("predictions.read", _E, "Predictions file unreadable",
             "Not a readable CSV (UTF-8) or Parquet file, or a CSV row has the wrong number of cells."),
    CodeInfo("predictions.columns", _E, "Predictions layout not recognised",
             "Long layout: conversation_id,item_id,rating. Wide: conversation_id,item_1..item_N[,rating_vec]."),
    CodeInfo("predictions.value", _E, "Bad predictions cell", "An id is not an integer or a rating is blank."),
    CodeInfo("predictions.range", _E, "Rating out of range",
             "Predicted ratings are integers 1..5 (the wide layout also allows -1 or blank: no prediction)."),
    CodeInfo("predictions.duplicate", _E, "Cell predicted twice", "One (conversation, item) cell appears twice."),
    CodeInfo("predictions.extra", _E, "Prediction without ground truth",
             "The conversation does not exist or the item is not in its catalogue (no Seeker rating)."),
    CodeInfo("predictions.missing", _E, "Cells without prediction",
             "Rated cells have no prediction; --allow-missing scores the rest and reports the coverage."),
    CodeInfo("predictions.rating-vec", _E, "rating_vec disagrees",
             "The wide layout's rating_vec is not the list of its item columns in order."),
    # release expectations (Great Expectations suites in checks/expectations/; vogue_pack.validate.expectations)
    CodeInfo("expect.row-count", _E, "Row count outside its expected range",
             "A release table has more or fewer rows than the raw tree implies (one conversation per transcript)."),
    CodeInfo("expect.unique", _E, "Release key not unique", "A key column (or column combination) repeats a value."),
    CodeInfo("expect.value-set", _E, "Value outside the expected set or pattern",
             "A release-table column holds a value outside its allowed set or pattern."),
    CodeInfo("expect.range", _E, "Value outside its expected range",
             "Release-table values lie outside their range (e.g. image sides, utterances per turn)."),
    CodeInfo("expect.distribution", _E, "Implausible distribution",
             "E.g. all Seeker ratings have one value, or mean satisfaction is out of range: a processing fault."),
    CodeInfo("expect.missing", _E, "Unexpected missing values", "A release-table column has nulls."),
    CodeInfo("expect.failed", _E, "Expectation failed", "A release expectation failed; the message names it."),
    CodeInfo("expect.not-run", _E, "Expectation could not run",
             "Its table, column or a bound it needs is missing; fix the earlier findings first."),
    # checks that could not run
    CodeInfo("check.not-run", _E, "Check could not run",
             "A check's input table is missing because its file failed to load; fix that first."),
]

PY_CODES: dict[str, CodeInfo] = {info.code: info for info in _PY_CODES}


def register_codes(infos: list[CodeInfo]) -> None:
    """Add codes declared outside Python (checks/*.sql headers, expectations) to the catalogue."""
    for info in infos:
        known = PY_CODES.get(info.code)
        if known is None:
            PY_CODES[info.code] = info


def code_info(code: str) -> CodeInfo:
    """The catalogue entry of ``code`` (KeyError for an unknown code: a bug)."""
    return PY_CODES[code]


def finding(code: str, message: str, **kwargs: Any) -> Finding:
    """Build a finding whose severity is the catalogue default of ``code``."""
    return Finding(code=code, severity=code_info(code).severity, message=message, **kwargs)


def python_codes() -> list[CodeInfo]:
    """The codes declared here in Python (the shipped catalogue adds those of checks/*.sql)."""
    return list(_PY_CODES)


def registered_codes() -> dict[str, CodeInfo]:
    """Every code registered so far in this process (the Python codes plus any registered by a check runner),
    sorted. The shipped catalogue, independent of what ran, is ``vogue_pack.validate.catalogue.all_codes``."""
    return dict(sorted(PY_CODES.items()))
