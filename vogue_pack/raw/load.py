"""Parse every raw file once into the tidy Arrow tables of the data model, with per-file findings.

Each loader reads its file(s), runs the file's declarative schema (schemas/), applies the per-file
rules JSON Schema and pandera cannot express (file-name agreement, turn numbering, list literals
equal to their columns, style-vibe parsing...), and appends rows to columnar buffers.
"""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from vogue_pack.raw.fileschemas import CsvRows, JsonSchema, check_csv, json_schema, tag_codes, tag_placeholder
from vogue_pack.raw.model import TABLES, table_from_columns
from vogue_pack.raw.reader import FAILED, ReadLimits, parse_int_list, parse_json_certified, read_csv, read_text
from vogue_pack.raw.transcript_shape import certifier
from vogue_pack.raw.tree import ID, ID_MAX, REQUIRED_FILES, RawFile, RawTree, parse_transcript_name
from vogue_pack.report.findings import Finding, finding

STYLE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("Chic", "Elegant, polished, often minimalist"),
    ("Preppy", "Clean-cut, collegiate, often includes polos, blazers"),
    ("Streetwear", "Trend-driven, urban, sneakers, oversized fits"),
    ("Casual", "Everyday wear, laid-back, basic staples"),
    ("Sporty / Athleisure", "Athletic-inspired, leggings, sneakers"),
    ("Minimalist", "Simple cuts, neutral tones, low ornamentation"),
    ("Vintage", "Retro aesthetics, often 70s-90s inspired"),
    ("Grunge", "Dark tones, distressed fabrics, layered"),
    ("Classic", "Timeless cuts and colors, traditional"),
    ("Goth", "Dark, dramatic, black-heavy ensembles"),
    ("Y2K", "2000s nostalgia, playful, low-rise, shiny materials"),
    ("E-girl / E-boy", "Online-influenced, alt fashion, anime"),
    ("High Concept", "Fashion-forward, unconventional, runway-inspired pieces"),
    ("Business Casual", "Office-appropriate, structured but not formal"),
    ("Luxury", "Designer-driven, high-end textures and brands"),
    ("Cozy / Loungewear", "Comfortable, soft fabrics, homey feel"),
    ("Techwear", "Futuristic, utilitarian, function-oriented"),
)
PURCHASE_FREQUENCIES = ("Weekly", "Biweekly", "Monthly", "Quarterly", "Yearly")
MONTHLY_SPEND = ("< $50", "$50 - $100", "$101 - $200", "$201 - $300", "$301 - $400", "$401 - $500", "> $500")
IMPORTANCE_COLUMNS = ("comfort", "style", "practicality", "trends", "brand", "self_expression",
                      "sustainability", "price", "color_importance")
PROFILE_HEADER = ("participant_id", "style_preferences", "style_vibes", *IMPORTANCE_COLUMNS, "importance_vec",
                  "purchase_frequency", "monthly_spend", "best_colors", "clothing_feel")
LIKERT_STATEMENTS = (
    "The Assistant's selection of items was good.",
    "The Assistant's selection of items was well justified.",
    "I would actually purchase the item(s) I chose.",
    "I felt in control of the conversation.",
    "The Assistant's recommendations were helpful.",
)
RATING_PREFIX = ("role", "participant_id", "conversation_id", "catalogue", "scenario")
RATING_SUFFIX = {"seeker": tuple(f"likert_{k}" for k in range(1, 6)), "assistant": ("assistant_interpretation",)}
TRANSCRIPT_TABLES = ("conversations", "turns", "utterances")
PARALLEL_TRANSCRIPTS = 4000  # below this many files a process pool costs more than it saves
ROLE_OF_FILE = {"seeker": "Seeker", "assistant": "Assistant"}
_A_ROLE = {"Seeker": "a Seeker", "Assistant": "an Assistant"}  # the role with its article, in messages

# the id grammar of file names (raw/tree.py) holds for column names too; use with fullmatch only.
# At most 10 digits and checked against the 32-bit range: ids are stored in 32-bit columns.
_ITEM_COLUMN = re.compile(rf"item_({ID})")
_PROFILE_ITEM_COLUMN = re.compile(rf"item_({ID})(_duplicate)?")
_CANONICAL_INT = r"^-?(?:0|[1-9][0-9]{0,8})$"  # an integer json.loads and the schema read alike (32-bit)
_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})


@dataclass
class Loaded:
    """The tidy tables that could be built, why the others could not, and the per-file findings."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def load(tree: RawTree, progress: Callable[[str, int, int | None], None] | None = None,
         limits: ReadLimits | None = None) -> Loaded:
    """Parse every file of ``tree`` once into the model's tables.

    ``progress(stage, done, total)`` is called as transcripts are read (the bulk of a large tree).
    ``limits`` bounds what one file may cost (a larger file is a file.too-large finding, not parsed).
    """
    loader = _Loader(tree, progress, limits or ReadLimits())
    loader.run()
    return loader.out


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _strict_int(value: Any) -> int | None:
    """An int (not bool, not float) that fits the model's 32-bit id columns; None otherwise (the JSON
    Schema reports the value)."""
    return value if type(value) is int and _INT32_MIN <= value <= _INT32_MAX else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _seconds(stamp: Any) -> int | None:
    """Seconds since midnight of an ``HH:MM:SS`` time of day (ASCII digits, 00-23:00-59:00-59); else None."""
    return _seconds_of_text(stamp) if type(stamp) is str else None


@functools.lru_cache(maxsize=1 << 17)  # a day has 86,400 valid stamps; 1.6 million turns repeat them
def _seconds_of_text(stamp: str) -> int | None:
    match = _TIME_OF_DAY.fullmatch(stamp)
    if match is None:
        return None
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + int(match.group(3))


def _item_column_id(column: str, pattern: re.Pattern[str] = _ITEM_COLUMN) -> int | None:
    """The item id of an ``item_{id}`` column (grammar of raw/tree.py, 32-bit range); None otherwise."""
    match = pattern.fullmatch(column)
    return int(match.group(1)) if match is not None and int(match.group(1)) <= ID_MAX else None


def parse_style_vibes(text: str) -> tuple[list[str], list[str], bool]:
    """Split a style_vibes cell by matching the known options (never by commas).

    Returns (matched labels, unmatched free-text parts, in_survey_order).
    """
    normalised = text.translate(_DASHES).strip()
    options = sorted(((f"{label} - {desc}", label) for label, desc in STYLE_OPTIONS),
                     key=lambda o: -len(o[0]))
    labels: list[str] = []
    other: list[str] = []
    pos = 0
    while pos < len(normalised):
        for full, label in options:
            if normalised.startswith(full, pos) and (
                    len(normalised) == pos + len(full) or normalised.startswith(",", pos + len(full))):
                labels.append(label)
                pos += len(full)
                break
        else:
            # free text up to the next separator that starts a known option (or the end)
            nxt = len(normalised)
            for full, _ in options:
                at = normalised.find(", " + full, pos)
                if at != -1 and at < nxt:
                    nxt = at
            fragment = normalised[pos:nxt].strip()
            if fragment:
                other.append(fragment)
            pos = nxt
        while pos < len(normalised) and normalised[pos] in ", ":
            pos += 1
    order = [label for label, _ in STYLE_OPTIONS]
    positions = [order.index(label) for label in labels]
    return labels, other, positions == sorted(positions)


class _Loader:
    columnwise = True  # plain rating files column-wise (False: every row through the row-by-row path)

    def __init__(self, tree: RawTree, progress: Callable[[str, int, int | None], None] | None = None,
                 limits: ReadLimits | None = None) -> None:
        self.tree = tree
        self.progress = progress
        self.limits = limits or ReadLimits()
        self.out = Loaded()
        self.f = self.out.findings
        self.cols: dict[str, dict[str, list[Any]]] = {name: defaultdict(list) for name in TABLES}
        self.catalogue_items: dict[str, list[int]] | None = None
        self._parts: dict[str, list[pa.Table]] = {}

    # --- helpers ---------------------------------------------------------------------------------
    def add(self, table: str, **values: Any) -> None:
        buffer = self.cols[table]
        for key, value in values.items():
            buffer[key].append(value)

    def add_rows(self, table: str, **columns: list[Any]) -> None:
        """Several rows at once, one list per column (one call per source row, not per cell)."""
        buffer = self.cols[table]
        for key, values in columns.items():
            buffer[key].extend(values)

    def add_part(self, table: str, columns: dict[str, Any]) -> None:
        """Rows built column-wise (lists or Arrow arrays), after the rows added so far."""
        self._flush(table).append(table_from_columns(table, columns))
        self.finish(table)

    def finish(self, table: str) -> None:
        """Turn the rows added since the last ``finish`` into Arrow and free their Python buffers; a table
        finished again (the item ratings of each role) holds all its parts, in the order added."""
        parts = self._flush(table)
        if not parts:
            parts.append(_build_table(table, self.cols[table]))  # no rows: the empty table
        self.out.tables.pop(table, None)  # (its earlier parts are in ``parts``)
        self.out.tables[table] = parts[0] if len(parts) == 1 else concatenated(parts)
        parts[:] = [self.out.tables[table]]

    def _flush(self, table: str) -> list[pa.Table]:
        """The table's parts, with the rows buffered since the last one built into a part of their own."""
        parts = self._parts.setdefault(table, [])
        if self.cols[table]:
            parts.append(_build_table(table, self.cols[table]))
            self.cols[table] = defaultdict(list)
        return parts

    def unavailable(self, table: str, why: str) -> None:
        self.out.unavailable[table] = why

    def required_text(self, kind: str) -> tuple[str | None, str]:
        rel = REQUIRED_FILES[kind]
        entry = self.tree.one(kind)
        if entry is None:
            return None, rel
        return self.read_text(entry), rel

    def read_text(self, entry: RawFile) -> str | None:
        return read_text(self.tree, entry, self.f, self.limits)

    def checked_json(self, text: str | None, rel: str, schema: JsonSchema,
                     certify: Callable[[Any], int | None] | None = None) -> Any:
        """Parse ``text`` strictly and check it against ``schema``; FAILED when unreadable or not JSON.

        ``certify`` (see raw/transcript_shape.py) may vouch that the document satisfies ``schema``: the
        schema then has nothing to report and is not run."""
        if text is None:
            return FAILED
        doc, certified = parse_json_certified(text, rel, self.f, self.limits.values, certify)
        if doc is not FAILED and not certified:
            self.f.extend(schema.check(doc, rel))
        return doc

    def required_csv(self, kind: str) -> tuple[CsvRows | None, str]:
        text, rel = self.required_text(kind)
        if text is None:
            return None, rel
        return read_csv(text, rel, self.f, self.limits.values), rel

    def check_list_literal(self, rel: str, line: int, column: str, raw: str | None, parsed: list[int] | None,
                           cells: list[Any], what: str, keys: dict[str, Any]) -> None:
        """A list-literal cell must parse and equal, in order, the cells it summarises."""
        if raw is None:
            return
        if parsed is None:
            self.f.append(finding("csv.list-literal", f"{column} is not a list literal of integers", file=rel,
                                  row=line, column=column, value=raw, expected="[r1, r2, ...]", keys=keys))
        elif None not in cells and parsed != cells:
            self.f.append(finding("csv.list-mismatch", f"{column} differs from {what} "
                                  f"({_first_difference(parsed, cells)})", file=rel, row=line, column=column,
                                  value=raw, expected=str(cells), keys=keys))

    # --- the run ----------------------------------------------------------------------------------
    def run(self) -> None:
        self.load_mapping()
        self.load_items()
        self.load_scenarios()
        with self.transcripts_alongside():  # a large tree's transcripts parse in workers meanwhile
            for role in ("seeker", "assistant"):
                self.load_ratings(role)
            self.load_profiles()
            self.load_profile_ratings()
            self.load_surveys()
        self.derive_conversation_items()
        self.load_files()

    def load_files(self) -> None:
        for entry in sorted(self.tree.files.values(), key=lambda e: e.path):
            self.add("files", path=entry.path, kind=entry.kind, bytes=entry.size)
        self.finish("files")

    def load_surveys(self) -> None:
        for kind in ("profile_survey", "item_rating_survey"):
            self.required_text(kind)

    # --- supplements/catalogue_mapping.csv --------------------------------------------------------
    def load_mapping(self) -> None:
        rows, rel = self.required_csv("catalogue_mapping")
        if rows is None:
            self.unavailable("catalogue_membership", f"{rel} is missing or unreadable")
            return
        if rows.header != ["id", "catalogue"]:
            self.f.append(finding("csv.header", f"header must be exactly id,catalogue; found {','.join(rows.header)}",
                                  file=rel, row=1, value=rows.header, expected=["id", "catalogue"]))
            if not {"id", "catalogue"} <= set(rows.header):
                self.unavailable("catalogue_membership", f"{rel} lacks the id or catalogue column")
                return
        typed, found = check_csv("catalogue_mapping", rows)
        self.f.extend(found)
        items_with_json = {e.item_id for e in self.tree.of_kind("item_json")}
        blocks: dict[str, list[int]] = defaultdict(list)
        for line, item_id, letter in zip(rows.lines, typed["id"], typed["catalogue"], strict=True):
            if item_id is None:
                continue
            has_meta = item_id in items_with_json
            self.add("catalogue_membership", item_id=item_id, catalogue=letter, has_metadata=has_meta,
                     source_row=line)
            if has_meta and letter:
                blocks[letter].append(item_id)
        self.catalogue_items = {k: sorted(v) for k, v in blocks.items()}
        self.finish("catalogue_membership")

    # --- metadata/item_{id}.json --------------------------------------------------------------------
    def load_items(self) -> None:
        schema = json_schema("item")
        for entry in self.tree.of_kind("item_json"):
            doc = self.checked_json(self.read_text(entry), entry.path, schema)
            if not isinstance(doc, dict):
                continue
            item_id = _strict_int(doc.get("id"))
            if item_id is None:
                continue
            if item_id != entry.item_id:
                self.f.append(finding("item.filename-mismatch", f"id is {item_id} but the file is named "
                                      f"item_{entry.item_id}.json", file=entry.path, pointer="/id",
                                      value=item_id, expected=entry.item_id))
            raw_rating = _str(doc.get("product_rating"))
            rating: float | None = None
            if raw_rating is not None:
                try:
                    rating = float(raw_rating)
                except ValueError:
                    rating = None
                if rating is None or not 0 <= rating <= 5:
                    self.f.append(finding("item.rating", f"product_rating {raw_rating!r} is not a number in "
                                          "[0, 5]", file=entry.path, pointer="/product_rating",
                                          value=raw_rating, expected="a number in [0, 5]"))
                    rating = None
            categories = doc.get("categories")
            if categories == []:
                self.f.append(finding("item.empty-categories", "categories is an empty list", file=entry.path,
                                      pointer="/categories", keys={"item_id": item_id}))
            detail = doc.get("product_detail")
            self.add(
                "items", item_id=item_id, catalogue=_str(doc.get("catalogue")),
                categories=_str_list(categories),
                product_name=_str(doc.get("product_name")), product_brand=_str(doc.get("product_brand")),
                product_rating=rating, product_rating_raw=raw_rating,
                product_description=_str_list(doc.get("product_description")),
                about_product=_str_list(doc.get("about_product")),
                product_detail=([{"key": str(k), "value": v} for k, v in detail.items() if isinstance(v, str)]
                                if isinstance(detail, dict) else None),
                reviews=_str(doc.get("reviews")), source_file=entry.path,
            )
        self.finish("items")

    # --- conversation_trials/scenarios.json ---------------------------------------------------------
    def load_scenarios(self) -> None:
        text, rel = self.required_text("scenarios")
        doc = self.checked_json(text, rel, json_schema("scenarios"))
        if doc is FAILED:
            self.unavailable("scenarios", f"{rel} is missing or could not be parsed")
            return
        if not isinstance(doc, list):
            self.unavailable("scenarios", f"{rel} is not a JSON array")
            return
        seen: dict[int, int] = {}
        for index, obj in enumerate(doc):
            if not isinstance(obj, dict):
                continue
            number = _strict_int(obj.get("Scenario"))
            body = _str(obj.get("Body"))
            if number is None:
                continue
            if number in seen:
                self.f.append(finding("scenario.duplicate", f"Scenario {number} is defined twice (also at "
                                      f"/{seen[number]})", file=rel, pointer=f"/{index}/Scenario", value=number))
                continue
            seen[number] = index
            title = description = None
            if body is not None:
                title_part, sep, desc_part = body.partition(": ")
                if sep and title_part.strip() and desc_part.strip():
                    title, description = title_part.strip(), desc_part.strip()
                else:
                    self.f.append(finding("scenario.body", "Body must read '<Title>: <description>'",
                                          file=rel, pointer=f"/{index}/Body", value=body,
                                          expected="<Title>: <description>"))
            self.add("scenarios", scenario=number, title=title, description=description, body=body,
                     source_pointer=f"/{index}")
        self.finish("scenarios")

    # --- transcripts ---------------------------------------------------------------------------------
    @contextmanager
    def transcripts_alongside(self) -> Iterator[None]:
        """Load the transcripts; for a large tree, in worker processes while the body of the ``with`` runs.

        The findings keep the order of a serial run (the transcripts', then the body's), and chunks are
        concatenated in path order, so the result depends neither on the number of workers nor on timing.
        """
        entries = self.tree.of_kind("transcript")
        if not entries and (self.tree.root / "conversation_trials").is_dir():
            self.f.append(finding("tree.missing-file", "no transcript files in conversation_trials/transcripts/",
                                  file="conversation_trials/transcripts"))
        jobs = min(os.cpu_count() or 1, 8)
        stage = "reading transcripts"
        if len(entries) < PARALLEL_TRANSCRIPTS or jobs < 2:
            self.transcript_batch(entries, stage)
            for table in TRANSCRIPT_TABLES:
                self.finish(table)
            yield
            return
        # Large trees: each worker returns Arrow tables (cheap to pickle) and its findings.
        size = max(1, len(entries) // (jobs * 4))
        chunks = [entries[i:i + size] for i in range(0, len(entries), size)]
        results = []
        done = 0
        later: list[Finding] = []
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            jobs_in = [(self.tree.root, chunk, self.limits) for chunk in chunks]
            pending = pool.map(_transcript_chunk, jobs_in)
            self.f = later
            try:
                yield
            finally:
                self.f = self.out.findings
            for chunk, result in zip(chunks, pending, strict=True):
                results.append(result)
                done += len(chunk)
                if self.progress is not None:
                    self.progress(stage, done, len(entries))
        for table in TRANSCRIPT_TABLES:  # each worker's part is released once it is in the combined table
            self.out.tables[table] = concatenated([r[0].pop(table) for r in results])
        for _, found in results:
            self.f.extend(found)
        self.f.extend(later)

    def transcript_batch(self, entries: list[RawFile], stage: str | None = None) -> None:
        """Parse and check transcripts into the conversations/turns/utterances buffers."""
        schema = json_schema("transcript")
        certify = certifier(schema.raw)
        codes = tag_codes()
        placeholder = tag_placeholder()
        for done, entry in enumerate(entries):
            if self.progress is not None and stage is not None and done % 50 == 0:
                self.progress(stage, done, len(entries))
            doc = self.checked_json(self.read_text(entry), entry.path, schema, certify)
            if isinstance(doc, dict):
                self._transcript(entry.path, doc, codes, placeholder)
        if self.progress is not None and stage is not None:
            self.progress(stage, len(entries), len(entries))

    def _int_field(self, doc: dict[str, Any], key: str, file: str) -> int | None:
        value = doc.get(key)
        if isinstance(value, float) and value.is_integer():
            self.f.append(finding("json.schema", f"{key} must be an integer, found {value!r}", file=file,
                                  pointer=f"/{key}", value=value, expected="integer"))
        return _strict_int(value)

    def _transcript(self, rel: str, doc: dict[str, Any], codes: dict[str, frozenset[str]],
                    placeholder: str) -> None:
        f = self.f
        cid = self._int_field(doc, "conversation_id", rel)
        scenario = self._int_field(doc, "scenario", rel)
        catalogue = _str(doc.get("catalogue"))
        name = rel.rsplit("/", 1)[-1]
        parsed_name = parse_transcript_name(name)
        if parsed_name is None:
            f.append(finding("transcript.filename", f"file name {name!r} is not c{{cid}}_{{cat}}_{{scen}}.json "
                             "(ids in ASCII digits without leading zeros, the catalogue a lower-case letter)",
                             file=rel, value=name, expected="c{cid}_{cat}_{scen}.json"))
        else:
            for key, actual, from_name in (("conversation_id", cid, parsed_name[0]),
                                           ("catalogue", catalogue, parsed_name[1]),
                                           ("scenario", scenario, parsed_name[2])):
                if actual is not None and actual != from_name:
                    f.append(finding("transcript.filename-mismatch", f"{key} is {actual!r} but the file name "
                                     f"says {from_name!r}", file=rel, pointer=f"/{key}", value=actual,
                                     expected=from_name))
        if cid is None:
            return
        session = _str(doc.get("session_code"))
        if session and catalogue and re.fullmatch(r"[a-z](000|001|010|011|100)", session) \
                and session[0] != catalogue:
            f.append(finding("transcript.session-code", f"session_code {session!r} does not start with the "
                             f"catalogue letter {catalogue!r}", file=rel, pointer="/session_code",
                             value=session, expected=f"{catalogue}000|001|010|011|100"))
        mentioned = _int_list(doc.get("mentioned_items"))
        gt = _int_list(doc.get("gt_items"))
        if mentioned:
            for i in range(1, len(mentioned)):
                if mentioned[i] <= mentioned[i - 1]:
                    f.append(finding("transcript.items-order", "mentioned_items must be unique and ascending",
                                     file=rel, pointer=f"/mentioned_items/{i}", value=mentioned[i],
                                     expected=f"> {mentioned[i - 1]}"))
                    break
        if gt is not None and mentioned is not None:
            for i, item in enumerate(gt):
                if item not in mentioned:
                    f.append(finding("transcript.gt-not-mentioned", f"chosen item {item} is not in "
                                     "mentioned_items", file=rel, pointer=f"/gt_items/{i}", value=item,
                                     expected="an id of mentioned_items", keys={"conversation_id": cid}))
        content = doc.get("conversation_content")
        turns = content if isinstance(content, list) else []
        previous_turn = 0
        previous_seconds: int | None = None
        previous_role: str | None = None
        for i, turn in enumerate(turns):
            if not isinstance(turn, dict):
                continue
            where = f"/conversation_content/{i}"
            number = _strict_int(turn.get("turn"))
            if number is not None:
                if number != previous_turn + 1:
                    f.append(finding("transcript.turn-sequence", f"turn {number} follows turn {previous_turn}; "
                                     "turns run 1..n with no gaps", file=rel, pointer=f"{where}/turn",
                                     value=number, expected=previous_turn + 1))
                previous_turn = number
            stamp = turn.get("timestamp")
            seconds = _seconds(stamp)
            if seconds is None and isinstance(stamp, str):
                f.append(finding("transcript.timestamp", f"timestamp {stamp!r} is not a time of day HH:MM:SS "
                                 "(ASCII digits, hours 00-23, minutes and seconds 00-59)", file=rel,
                                 pointer=f"{where}/timestamp", value=stamp, expected="HH:MM:SS"))
            if seconds is not None:  # order is checked between valid times only
                if previous_seconds is not None and seconds < previous_seconds:
                    f.append(finding("transcript.timestamp-order", f"timestamp {stamp} is earlier than the "
                                     "previous turn's", file=rel, pointer=f"{where}/timestamp", value=stamp))
                previous_seconds = seconds
            body = turn.get("content")
            body = body if isinstance(body, dict) else {}
            role = body.get("role") if body.get("role") in ("Seeker", "Assistant") else None
            if role is not None:
                if previous_role is None and role == "Seeker" and i == 0:
                    f.append(finding("transcript.seeker-opens", "the Seeker opens the conversation",
                                     file=rel, pointer=f"{where}/content/role", value=role,
                                     keys={"conversation_id": cid}))
                if role == previous_role:
                    f.append(finding("transcript.role-repeat", f"{role} speaks twice in a row", file=rel,
                                     pointer=f"{where}/content/role", value=role, keys={"conversation_id": cid}))
                previous_role = role
            utterances = body.get("utterances")
            utterances = utterances if isinstance(utterances, list) else []
            tags = body.get("tags")
            if tags == placeholder:
                f.append(finding("transcript.tag-placeholder", f"placeholder {placeholder!r} instead of the tag "
                                 "lists", file=rel, pointer=f"{where}/content/tags", value=tags))
                tags = [[placeholder] for _ in utterances]
            tags = tags if isinstance(tags, list) else None
            if tags is not None and len(tags) != len(utterances):
                f.append(finding("transcript.tags-count", f"{len(tags)} tag lists for {len(utterances)} "
                                 "utterances; give exactly one tag list per utterance", file=rel,
                                 pointer=f"{where}/content/tags", value=len(tags), expected=len(utterances)))
            for j, inner in enumerate(tags or []):
                if inner == placeholder:
                    f.append(finding("transcript.tag-placeholder", f"placeholder {placeholder!r} instead of a "
                                     "tag list", file=rel, pointer=f"{where}/content/tags/{j}", value=inner))
                    tags[j] = [placeholder]  # type: ignore[index]
                    continue
                if not isinstance(inner, list):
                    continue
                for k, code in enumerate(inner):
                    if code == placeholder:
                        f.append(finding("transcript.tag-placeholder", f"placeholder {placeholder!r} instead of "
                                         "a tag code", file=rel, pointer=f"{where}/content/tags/{j}/{k}",
                                         value=code))
                    elif isinstance(code, str) and role is not None and code not in codes[role]:
                        other = "Assistant" if role == "Seeker" else "Seeker"
                        hint = f" (it is {_A_ROLE[other]} code)" if code in codes[other] else ""
                        f.append(finding("transcript.tag-code", f"{code!r} is not {_A_ROLE[role]} tag code{hint}; use "
                                         f"one of {', '.join(sorted(codes[role]))}",
                                         file=rel, pointer=f"{where}/content/tags/{j}/{k}", value=code,
                                         expected=f"{_A_ROLE[role]} code"))
            if number is None:
                continue
            t_cols = self.cols["turns"]
            for key, value in (("conversation_id", cid), ("turn", number), ("timestamp", _str(stamp)),
                               ("seconds", seconds), ("role", role), ("n_utterances", len(utterances)),
                               ("source_pointer", where)):
                t_cols[key].append(value)
            u_cols = self.cols["utterances"]
            for j, text in enumerate(utterances):
                text_value = _str(text)
                inner = tags[j] if tags is not None and j < len(tags) else None
                u_cols["conversation_id"].append(cid)
                u_cols["turn"].append(number)
                u_cols["utterance"].append(j + 1)
                u_cols["role"].append(role)
                u_cols["text"].append(text_value)
                u_cols["tags"].append(_str_list(inner))
                u_cols["n_tokens"].append(len(text_value.split()) if text_value is not None else None)
                u_cols["source_pointer"].append(f"{where}/content/utterances/{j}")
        self.add("conversations", conversation_id=cid, catalogue=catalogue, scenario=scenario,
                 session_code=session, mentioned_items=mentioned, gt_items=gt, n_turns=len(turns),
                 source_file=rel)

    # --- item ratings ---------------------------------------------------------------------------------
    def load_ratings(self, role_file: str) -> None:
        kind = f"{role_file}_ratings"
        rows, rel = self.required_csv(kind)
        tables = ("rating_rows", "item_ratings") + (("satisfaction",) if role_file == "seeker" else ())
        if rows is None:
            for table in tables:
                self.unavailable(table, f"{rel} is missing or could not be parsed")
            return
        suffix = RATING_SUFFIX[role_file]
        item_columns = [c for c in rows.header if _item_column_id(c) is not None]
        self._rating_header(rows, rel, item_columns, suffix)
        if "conversation_id" not in rows.header:
            for table in tables:
                self.unavailable(table, f"{rel} has no conversation_id column")
            return
        typed, found = check_csv(kind, rows)
        column_ids = {c: _item_column_id(c) for c in item_columns}
        self.f.extend(found)
        role = ROLE_OF_FILE[role_file]
        if self.columnwise and self._ratings_at_once(rows, rel, typed, item_columns,
                                                     [column_ids[c] for c in item_columns], role):
            for table in tables:
                self.finish(table)
            return
        none = [None] * len(rows.lines)
        raw_vecs: list[str | None] = [*(rows.values("rating_vec") or none)]
        for index, line in enumerate(rows.lines):
            cid = typed["conversation_id"][index]
            if cid is None:
                continue
            pid = (typed.get("participant_id") or none)[index]
            raw_vec = raw_vecs[index]
            vec = parse_int_list(raw_vec)
            cells = [(column_ids[c], typed[c][index]) for c in item_columns]
            self.check_list_literal(rel, line, "rating_vec", raw_vec, vec, [v for _, v in cells],
                                    "the item columns", {"conversation_id": cid})
            self.add("rating_rows", conversation_id=cid, role=role, participant_id=pid,
                     catalogue=(typed.get("catalogue") or none)[index],
                     scenario=(typed.get("scenario") or none)[index], rating_vec=vec,
                     assistant_interpretation=(typed.get("assistant_interpretation") or none)[index],
                     source_file=rel, source_row=line)
            rated = [(item_id, value) for item_id, value in cells if value != -1]
            n_rated = len(rated)  # 2.8 million rows at 60,000 conversations: added per source row
            self.add_rows("item_ratings", conversation_id=[cid] * n_rated, item_id=[i for i, _ in rated],
                          role=[role] * n_rated, participant_id=[pid] * n_rated, rating=[v for _, v in rated],
                          source_file=[rel] * n_rated, source_row=[line] * n_rated)
            if role_file == "seeker":
                for question in range(1, 6):
                    column = f"likert_{question}"
                    if column not in typed:
                        continue
                    score = typed[column][index]
                    raw = (rows.values(column) or [""] * len(rows.lines))[index]
                    if score is None and not raw.strip():
                        self.f.append(_likert_blank(rel, line, column, cid))
                    self.add("satisfaction", conversation_id=cid, participant_id=pid, question=question,
                             statement=LIKERT_STATEMENTS[question - 1], score=score, source_row=line)
        for table in tables:
            self.finish(table)

    def _ratings_at_once(self, rows: CsvRows, rel: str, typed: dict[str, list[Any]], item_columns: list[str],
                         item_ids: list[int | None], role: str) -> bool:
        """Add a rating file's rows column-wise when every row is plain; False, with nothing added, otherwise.

        Plain: every item cell of every row with a conversation id is a canonical integer (what
        ``json.loads`` reads as the value the schema typed) within the rating column's range, and every
        ``rating_vec`` is exactly ``[`` + those cells joined by ``", "`` + ``]``, so the row-by-row path would
        parse each literal into the same list and report nothing about it. The tables, their row order and
        the findings (only blank Likert answers can remain) are the row-by-row path's, which
        tests/test_rating_rows.py checks on generated damaged files.
        """
        import numpy as np
        import pyarrow.compute as pc

        cids = typed["conversation_id"]
        keep = [i for i, cid in enumerate(cids) if cid is not None]
        if not item_columns or not keep or any(c not in typed for c in item_columns) or None in item_ids:
            return False
        take = pa.array(keep, type=pa.int64())
        cells = [rows.columns[c].take(take) for c in item_columns]
        if not all(pc.all(pc.match_substring_regex(a, _CANONICAL_INT)).as_py() for a in cells):
            return False
        vecs = rows.columns.get("rating_vec")
        rating_vec: Any = [None] * len(keep)
        if vecs is not None:
            literal = pc.binary_join_element_wise("[", pc.binary_join_element_wise(*cells, ", "), "]", "")
            if not pc.all(pc.equal(literal, vecs.take(take))).as_py():
                return False
        values = np.stack([pc.cast(a, pa.int64()).to_numpy() for a in cells], axis=1)
        rated = values != -1
        bounds = np.iinfo(np.int16)
        if ((values[rated] < bounds.min) | (values[rated] > bounds.max)).any():
            return False  # out of the rating column's range: the row-by-row path turns it into a null
        width = len(item_columns)
        if vecs is not None:
            offsets = pa.array(np.arange(0, len(keep) * width + 1, width), type=pa.int32())
            rating_vec = pa.ListArray.from_arrays(offsets, pa.array(values.ravel(), type=pa.int32()))
        lines = np.array(rows.lines, dtype=np.int64)[keep]

        def column(name: str) -> list[Any]:
            return [None] * len(keep) if name not in typed else [typed[name][i] for i in keep]

        self.add_part("rating_rows", {
            "conversation_id": column("conversation_id"), "role": [role] * len(keep),
            "participant_id": column("participant_id"), "catalogue": column("catalogue"),
            "scenario": column("scenario"), "rating_vec": rating_vec,
            "assistant_interpretation": column("assistant_interpretation"), "source_file": [rel] * len(keep),
            "source_row": pa.array(lines)})
        row, position = np.nonzero(rated)  # row-major: each source row's cells in column order
        participants = pa.array(column("participant_id"), type=pa.string())
        self.add_part("item_ratings", {
            "conversation_id": pa.array(np.array(column("conversation_id"), dtype=np.int64)[row]),
            "item_id": pa.array(np.array(item_ids, dtype=np.int64)[position]),
            "role": pa.array([role], type=pa.string()).take(pa.array(np.zeros(len(row), dtype=np.int64))),
            "participant_id": participants.take(pa.array(row)), "rating": pa.array(values[row, position]),
            "source_file": pa.array([rel], type=pa.string()).take(pa.array(np.zeros(len(row), dtype=np.int64))),
            "source_row": pa.array(lines[row])})
        if role == ROLE_OF_FILE["seeker"]:
            self._satisfaction_at_once(rows, rel, typed, keep, lines)
        return True

    def _satisfaction_at_once(self, rows: CsvRows, rel: str, typed: dict[str, list[Any]], keep: list[int],
                              lines: Any) -> None:
        """The Likert answers of the rows ``keep``, row by row and question by question, as the row-by-row
        path adds them, with a finding for each blank answer."""
        questions = [q for q in range(1, 6) if f"likert_{q}" in typed]
        scores = [typed[f"likert_{q}"] for q in questions]
        score = [answers[i] for i in keep for answers in scores]
        for at, value in enumerate(score):
            if value is None:
                index, q = divmod(at, len(questions))
                column = f"likert_{questions[q]}"
                if not (rows.values(column) or [])[keep[index]].strip():
                    self.f.append(_likert_blank(rel, int(lines[index]), column, typed["conversation_id"][keep[index]]))
        per_row = len(questions)
        participants = typed.get("participant_id") or [None] * len(rows.lines)
        self.add_part("satisfaction", {
            "conversation_id": [typed["conversation_id"][i] for i in keep for _ in questions],
            "participant_id": [participants[i] for i in keep for _ in questions],
            "question": questions * len(keep),
            "statement": [LIKERT_STATEMENTS[q - 1] for q in questions] * len(keep), "score": score,
            "source_row": [int(line) for line in lines for _ in range(per_row)]})

    def _rating_header(self, rows: CsvRows, rel: str, item_columns: list[str], suffix: tuple[str, ...]) -> None:
        header = rows.header
        for column in (*RATING_PREFIX, "rating_vec", *suffix):
            if column not in header:
                self.f.append(finding("csv.header", f"column {column!r} is missing", file=rel, row=1,
                                      column=column, expected=column))
        allowed = {*RATING_PREFIX, "rating_vec", *suffix, *item_columns}
        for column in header:
            if column not in allowed:
                self.f.append(finding("csv.header", f"unexpected column {column!r}", file=rel, row=1,
                                      column=column, value=column))
        expected_order = [c for c in (*RATING_PREFIX, *sorted(item_columns, key=lambda c: int(c[5:])),
                                      "rating_vec", *suffix) if c in header]
        if [c for c in header if c in allowed] != expected_order:
            self.f.append(finding("csv.header", "columns are out of order; expected role, participant_id, "
                                  "conversation_id, catalogue, scenario, item_1..item_N, rating_vec, then "
                                  f"{', '.join(suffix)}", file=rel, row=1, value=header, expected=expected_order))
        ids = sorted(int(c[5:]) for c in item_columns)
        if self.catalogue_items is not None:
            expected_ids = sorted(i for block in self.catalogue_items.values() for i in block)
        else:
            expected_ids = list(range(1, len(ids) + 1))
        for item_id in sorted(set(expected_ids) - set(ids)):
            self.f.append(finding("csv.header", f"no column item_{item_id} for catalogue item {item_id}",
                                  file=rel, row=1, column=f"item_{item_id}", expected=f"item_{item_id}"))
        for item_id in sorted(set(ids) - set(expected_ids)):
            self.f.append(finding("csv.header", f"column item_{item_id} is not a catalogue item (no item JSON "
                                  "in the mapping)", file=rel, row=1, column=f"item_{item_id}",
                                  value=f"item_{item_id}"))

    # --- fashion_profiles/profiles.csv -----------------------------------------------------------------
    def load_profiles(self) -> None:
        rows, rel = self.required_csv("profiles")
        if rows is None:
            self.unavailable("participants", f"{rel} is missing or could not be parsed")
            return
        if tuple(rows.header) != PROFILE_HEADER:
            missing = [c for c in PROFILE_HEADER if c not in rows.header]
            extra = [c for c in rows.header if c not in PROFILE_HEADER]
            # one finding per column, located like the rating files' header findings
            for column in missing:
                self.f.append(finding("csv.header", f"column {column!r} is missing", file=rel, row=1,
                                      column=column, expected=column))
            for column in extra:
                self.f.append(finding("csv.header", f"unexpected column {column!r}", file=rel, row=1,
                                      column=column, value=column))
            if not missing and not extra:
                self.f.append(finding("csv.header", "header differs from the format: columns out of order or "
                                      "repeated", file=rel, row=1, value=rows.header, expected=list(PROFILE_HEADER)))
        if "participant_id" not in rows.header:
            self.unavailable("participants", f"{rel} has no participant_id column")
            return
        typed, found = check_csv("profiles", rows)
        self.f.extend(found)
        none = [None] * len(rows.lines)
        columns = {column: rows.values(column) or none for column in rows.columns}
        for index, line in enumerate(rows.lines):
            pid = typed["participant_id"][index]
            if pid is None:
                continue
            cells = {column: values[index] for column, values in columns.items()}
            raw_vibes = cells.get("style_vibes")
            labels: list[str] = []
            other: list[str] = []
            if raw_vibes and raw_vibes.strip():
                labels, other, ordered = parse_style_vibes(raw_vibes)
                for text in other:
                    self.f.append(finding("profiles.style-vibe-unmatched", f"style vibe {text!r} is not one of "
                                          "the 17 survey options (free text)", file=rel, row=line,
                                          column="style_vibes", value=text, keys={"participant_id": pid}))
                if not ordered:
                    self.f.append(finding("profiles.style-vibe-order", "style vibes are not in survey order",
                                          file=rel, row=line, column="style_vibes", value=labels))
            importance = [(typed.get(c) or none)[index] for c in IMPORTANCE_COLUMNS]
            raw_vec = cells.get("importance_vec")
            vec = parse_int_list(raw_vec)
            self.check_list_literal(rel, line, "importance_vec", raw_vec, vec, importance,
                                    "the nine importance columns", {"participant_id": pid})
            for column, allowed in (("purchase_frequency", PURCHASE_FREQUENCIES), ("monthly_spend", MONTHLY_SPEND)):
                value = cells.get(column)
                if value is not None and value.strip() and value.strip() not in allowed:
                    self.f.append(finding("profiles.free-text", f"{column} {value!r} is free text, not one of "
                                          "the listed options", file=rel, row=line, column=column, value=value,
                                          expected=list(allowed), keys={"participant_id": pid}))
            self.add("participants", participant_id=pid,
                     role={"s": "Seeker", "a": "Assistant"}.get(pid[:1]),
                     style_preferences=cells.get("style_preferences"), style_vibes=labels,
                     style_vibes_other=other, style_vibes_raw=raw_vibes,
                     **{c: (typed.get(c) or none)[index] for c in IMPORTANCE_COLUMNS},
                     purchase_frequency=cells.get("purchase_frequency"), monthly_spend=cells.get("monthly_spend"),
                     best_colors=cells.get("best_colors"), clothing_feel=cells.get("clothing_feel"),
                     source_row=line)
        self.finish("participants")

    # --- fashion_profiles/ratings.csv ---------------------------------------------------------------------
    def load_profile_ratings(self) -> None:
        rows, rel = self.required_csv("profile_ratings")
        if rows is None:
            self.unavailable("profile_ratings", f"{rel} is missing or could not be parsed")
            return
        header = rows.header
        item_columns = [c for c in header if _item_column_id(c, _PROFILE_ITEM_COLUMN) is not None]
        for column in ("participant_id", "40_rating_vec"):
            if column not in header:
                self.f.append(finding("csv.header", f"column {column!r} is missing", file=rel, row=1,
                                      column=column, expected=column))
        for column in header:
            if column not in ("participant_id", "40_rating_vec") and column not in item_columns:
                self.f.append(finding("csv.header", f"unexpected column {column!r}", file=rel, row=1,
                                      column=column, value=column))
        for position, column in enumerate(header):
            if column.endswith("_duplicate"):
                base = column[: -len("_duplicate")]
                if position == 0 or header[position - 1] != base:
                    self.f.append(finding("profiles.duplicate-column", f"{column} must directly follow {base}",
                                          file=rel, row=1, column=column, expected=f"right after {base}"))
        if "participant_id" not in header:
            self.unavailable("profile_ratings", f"{rel} has no participant_id column")
            return
        typed, found = check_csv("profile_ratings", rows)
        self.f.extend(found)
        matches = [_PROFILE_ITEM_COLUMN.fullmatch(column) for column in item_columns]
        item_ids = [int(match.group(1)) for match in matches if match is not None]
        repeats = [bool(match.group(2)) for match in matches if match is not None]
        n = len(item_columns)
        assert len(item_ids) == n
        vec_cells = rows.values("40_rating_vec")
        raw_vecs: list[str | None] = [None] * len(rows.lines) if vec_cells is None else list(vec_cells)
        for index, line in enumerate(rows.lines):
            pid = typed["participant_id"][index]
            if pid is None:
                continue
            values = [typed[c][index] for c in item_columns]
            raw_vec = raw_vecs[index]
            vec = parse_int_list(raw_vec)
            self.check_list_literal(rel, line, "40_rating_vec", raw_vec, vec, values, "the item columns",
                                    {"participant_id": pid})
            self.add_rows("profile_ratings", participant_id=[pid] * n, item_id=item_ids, is_repeat=repeats,
                          rating=[None if v in (None, -1) else v for v in values], column=item_columns,
                          source_row=[line] * n)
        self.finish("profile_ratings")

    # --- derived: conversation_items -------------------------------------------------------------------
    def derive_conversation_items(self) -> None:
        if self.catalogue_items is None:
            self.unavailable("conversation_items", "the catalogue mapping could not be loaded")
            return
        conv = self.out.tables["conversations"].select(
            ["conversation_id", "catalogue", "mentioned_items", "gt_items"]).to_pydict()
        for cid, catalogue, mentioned, gt in zip(conv["conversation_id"], conv["catalogue"],
                                                 conv["mentioned_items"], conv["gt_items"], strict=True):
            mentioned_set = set(mentioned or [])
            gt_set = set(gt or [])
            buffer = self.cols["conversation_items"]
            for item_id in self.catalogue_items.get(catalogue or "", []):
                buffer["conversation_id"].append(cid)
                buffer["item_id"].append(item_id)
                buffer["mentioned"].append(item_id in mentioned_set)
                buffer["chosen"].append(item_id in gt_set)
        self.finish("conversation_items")


def _likert_blank(rel: str, line: int, column: str, cid: Any) -> Finding:
    return finding("ratings.likert-blank", f"{column} is blank (unanswered)", file=rel, row=line, column=column,
                   keys={"conversation_id": cid})


def _transcript_chunk(job: tuple[Path, list[RawFile], ReadLimits]) -> tuple[dict[str, pa.Table], list[Finding]]:
    """Worker: parse one chunk of transcripts into Arrow tables."""
    root, entries, limits = job
    loader = _Loader(RawTree(root=root, files={e.path: e for e in entries}), limits=limits)
    loader.transcript_batch(entries)
    tables = {name: _build_table(name, loader.cols[name]) for name in TRANSCRIPT_TABLES}
    return tables, loader.f


def concatenated(parts: list[pa.Table]) -> pa.Table:
    """``pa.concat_tables(parts).combine_chunks()``, built one column at a time while ``parts`` is emptied:
    each column of the parts is freed as soon as its combined copy exists (when nothing else holds the
    parts), so combining costs one column more than the parts, not a second copy of the table. Arrow's
    memory no longer used is then handed back to the system."""
    schema = parts[0].schema
    if any(not part.schema.equals(schema) for part in parts):  # concat_tables says why
        table = pa.concat_tables(parts).combine_chunks()
        parts.clear()
        return table
    columns = [[chunk for part in parts for chunk in part.column(i).chunks] for i in range(len(schema))]
    parts.clear()
    combined: list[pa.Array] = []
    for i, column in enumerate(schema):
        combined.append(pa.chunked_array(columns[i], type=column.type).combine_chunks())
        columns[i] = []
        release_memory()
    return pa.Table.from_arrays(combined, schema=schema)


def release_memory() -> None:
    """Hand freed memory back to the system: Arrow's allocator keeps what it freed for reuse (per thread:
    call this on the thread that did the work), and so does the C library's ``malloc``, which holds the
    buffers of tables a worker process sent (unpickled as Python bytes). Without it a table's freed copy
    still counts in the process's resident memory while the next one is built."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError, TypeError):  # TypeError: Windows, where CDLL needs a library name
        return None


def _int_list(value: Any) -> list[int] | None:
    if not isinstance(value, list):
        return None
    return [v for v in value if _strict_int(v) is not None]


def _build_table(name: str, columns: dict[str, list[Any]]) -> pa.Table:
    """The model table from column lists. Integers too large for their column (a rating of 70000 in a
    16-bit column, a list literal holding 1e12) have been reported as findings; they become nulls
    here instead of stopping the run."""
    try:
        return table_from_columns(name, columns)
    except (pa.ArrowInvalid, OverflowError):
        return table_from_columns(name, _fit_ints(name, columns))


def _fit_ints(name: str, columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    fitted = dict(columns)
    for column in TABLES[name].columns:
        data_type = column.type
        is_list = pa.types.is_list(data_type)
        value_type = data_type.value_type if is_list else data_type
        if column.name not in columns or not pa.types.is_integer(value_type):
            continue
        bits = value_type.bit_width
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

        def fit(value: Any, low: int = low, high: int = high) -> Any:
            return value if not isinstance(value, int) or low <= value <= high else None

        fitted[column.name] = [([fit(v) for v in value] if isinstance(value, list) else value) if is_list
                               else fit(value) for value in columns[column.name]]
    return fitted


def _str_list(value: Any) -> list[str] | None:
    """The strings of a list (a copy); None when it is not a list. The common all-strings case without a
    comprehension: 2.8 million tag lists at 60,000 conversations."""
    if not isinstance(value, list):
        return None
    for item in value:
        if type(item) is not str:
            return [v for v in value if isinstance(v, str)]
    return value.copy()


def _first_difference(actual: list[Any], expected: list[Any]) -> str:
    if len(actual) != len(expected):
        return f"{len(actual)} values for {len(expected)} columns"
    for position, (a, b) in enumerate(zip(actual, expected, strict=True)):
        if a != b:
            return f"position {position + 1}: {a} in the list, {b} in the column"
    return "same values"
