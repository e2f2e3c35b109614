"""Fault planters: each takes a raw root (a private copy of a clean synthetic tree), plants ONE fault and
returns the finding ``validate`` must produce for it.

Planters only rely on what every synthetic tree of at least 6 conversations has (conversations 1..6, one per
scenario; participants s1 and a1; catalogue items 1..36 in blocks a, b, c; survey items from 37). Expected
rows are computed from the file being changed (header = line 1); pointers are written by hand from the
change the planter makes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gallery.trees import (
    ASSISTANT,
    MAPPING,
    PROFILE_RATINGS,
    PROFILE_SURVEY,
    PROFILES,
    SCENARIOS,
    SEEKER,
    get_cell,
    item_json,
    line_of,
    read_json,
    read_rows,
    rel,
    set_cell,
    transcript,
    write_json,
    write_rows,
)


@dataclass(frozen=True)
class Expect:
    """The finding a planted fault must produce: exact code, severity, file and location.

    ``value`` is compared only when it is not None.
    """

    code: str
    file: str
    row: int | None = None
    column: str | None = None
    pointer: str | None = None
    severity: str = "error"
    value: Any = None

    def matches(self, item: Any) -> bool:
        """True when the finding ``item`` is this one (code, severity, file and every location field)."""
        return (item.code == self.code and item.severity.value == self.severity and item.file == self.file
                and item.row == self.row and item.column == self.column and item.pointer == self.pointer
                and (self.value is None or item.value == self.value))


Planter = Callable[[Path], Expect]
GALLERY: dict[str, Planter] = {}
# faults that need the image checks switched on
NEEDS_IMAGES: set[str] = set()


def fault(func: Planter) -> Planter:
    """Register a planter under its function name."""
    GALLERY[func.__name__] = func
    return func


def image_fault(func: Planter) -> Planter:
    NEEDS_IMAGES.add(func.__name__)
    return fault(func)


def _edit_transcript(root: Path, cid: int, change: Callable[[dict[str, Any]], None]) -> str:
    path = transcript(root, cid)
    document = read_json(path)
    change(document)
    write_json(path, document)
    return rel(root, path)


def _edit_item(root: Path, item_id: int, change: Callable[[dict[str, Any]], None]) -> str:
    path = item_json(root, item_id)
    document = read_json(path)
    change(document)
    path.write_text(json.dumps(document, indent=4, ensure_ascii=False), encoding="utf-8")
    return rel(root, path)


def _edit_cell(root: Path, file: str, key_column: str, key: str, column: str, value: str) -> int:
    """Set one CSV cell; returns the line it is on."""
    rows = read_rows(root / file)
    line = line_of(rows, key_column, key)
    set_cell(rows, line, column, value)
    write_rows(root / file, rows)
    return line


def _first_catalogue_item_column(root: Path, file: str, cid: int) -> str:
    """The first item_k column that conversation ``cid`` rated (cell != -1)."""
    rows = read_rows(root / file)
    line = line_of(rows, "conversation_id", str(cid))
    for column in rows[0]:
        if column.startswith("item_") and get_cell(rows, line, column) != "-1":
            return column
    raise AssertionError("no rated item")


# --- bytes, encodings and JSON syntax ---------------------------------------------------------------

@fault
def json_truncated(root: Path) -> Expect:
    path = transcript(root, 3)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:10]), encoding="utf-8")
    # ten complete lines kept: the parser hits the end of the text at the start of line 11
    return Expect("json.parse", rel(root, path), row=11)


@fault
def json_invalid_token(root: Path) -> Expect:
    path = item_json(root, 5)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[2].strip().startswith('"catalogue":')
    lines[2] = lines[2].replace('"catalogue":', '"catalogue" =')
    path.write_text("\n".join(lines), encoding="utf-8")
    return Expect("json.parse", rel(root, path), row=3)  # line 3 holds the broken key


@fault
def json_trailing_data(root: Path) -> Expect:
    path = transcript(root, 2)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n{}", encoding="utf-8")
    # the extra object starts on the line after the last line of the original text
    return Expect("json.parse", rel(root, path), row=text.count("\n") + 2)


@fault
def json_deeply_nested(root: Path) -> Expect:
    path = item_json(root, 6)
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return Expect("json.depth", rel(root, path))


@fault
def json_duplicate_key(root: Path) -> Expect:
    path = item_json(root, 5)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"catalogue":', '"product_name": "Twice",\n    "catalogue":', 1), encoding="utf-8")
    return Expect("json.duplicate-key", rel(root, path), pointer="/product_name")


@fault
def json_duplicate_key_nested(root: Path) -> Expect:
    path = transcript(root, 2)
    text = path.read_text(encoding="utf-8")
    first = text.index('"timestamp": ')
    second = text.index('"timestamp": ', first + 1)  # the second turn's timestamp
    line_start = text.rindex("\n", 0, second) + 1
    line_end = text.index("\n", second) + 1
    path.write_text(text[:line_end] + text[line_start:line_end] + text[line_end:], encoding="utf-8")
    return Expect("json.duplicate-key", rel(root, path), pointer="/conversation_content/1/timestamp")


@fault
def json_nan(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["mentioned_items"][0] = float("nan")  # json.dumps writes the bare literal NaN
    return Expect("json.non-finite", _edit_transcript(root, 4, change), pointer="/mentioned_items/0")


@fault
def json_overflow_1e309(root: Path) -> Expect:
    path = item_json(root, 9)
    text = path.read_text(encoding="utf-8")
    start = text.index('"product_rating": ')
    end = text.index("\n", start)
    path.write_text(text[:start] + '"product_rating": 1e309,' + text[end:], encoding="utf-8")
    return Expect("json.non-finite", rel(root, path), pointer="/product_rating")


@fault
def bom_in_csv(root: Path) -> Expect:
    path = root / PROFILES
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return Expect("file.bom", PROFILES, severity="warning")


@fault
def bom_in_json(root: Path) -> Expect:
    path = transcript(root, 1)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return Expect("file.bom", rel(root, path), severity="warning")


@fault
def latin1_bytes(root: Path) -> Expect:
    path = root / ASSISTANT
    rows = read_rows(path)
    line = line_of(rows, "conversation_id", "4")
    marker = "@@LATIN1@@"
    set_cell(rows, line, "assistant_interpretation", get_cell(rows, line, "assistant_interpretation") + marker)
    write_rows(path, rows)
    path.write_bytes(path.read_bytes().replace(marker.encode(), " caf\xe9".encode("latin-1")))
    return Expect("file.encoding", ASSISTANT, row=line)


@fault
def empty_csv(root: Path) -> Expect:
    (root / SEEKER).write_bytes(b"")
    return Expect("file.empty", SEEKER)


@fault
def whitespace_only_json(root: Path) -> Expect:
    path = item_json(root, 11)
    path.write_bytes(b"  \n\n")
    return Expect("file.empty", rel(root, path))


@fault
def empty_survey(root: Path) -> Expect:
    (root / PROFILE_SURVEY).write_bytes(b"")
    return Expect("file.empty", PROFILE_SURVEY)


@fault
def file_too_large(root: Path) -> Expect:
    path = item_json(root, 12)
    with path.open("r+b") as handle:  # sparse: instant, and never read by the validator
        handle.truncate(300 * 2**20)
    return Expect("file.too-large", rel(root, path))


# --- tree layout -------------------------------------------------------------------------------------

@fault
def directory_instead_of_csv(root: Path) -> Expect:
    (root / PROFILES).unlink()
    (root / PROFILES).mkdir()
    return Expect("tree.not-a-file", PROFILES)


@fault
def directory_instead_of_item_json(root: Path) -> Expect:
    path = item_json(root, 5)
    path.unlink()
    path.mkdir()
    (path / "inner.json").write_text("{}", encoding="utf-8")
    return Expect("tree.not-a-file", rel(root, path))


@fault
def symlink_inside_root(root: Path) -> Expect:
    path = item_json(root, 3)
    path.unlink()
    path.symlink_to("item_4.json")
    return Expect("tree.symlink", rel(root, path))


@fault
def symlink_outside_root(root: Path) -> Expect:
    outside = root.parent.parent / "outside.json"
    outside.write_text("this is not JSON and must never be read", encoding="utf-8")
    path = transcript(root, 2)
    path.unlink()
    path.symlink_to(outside)
    return Expect("tree.symlink", rel(root, path))


@fault
def symlinked_folder_outside_root(root: Path) -> Expect:
    folder = root / "conversation_trials" / "transcripts"
    outside = root.parent.parent / "outside-transcripts"
    shutil.move(folder, outside)
    folder.symlink_to(outside, target_is_directory=True)
    return Expect("tree.symlink", "conversation_trials/transcripts")


@fault
def unknown_extra_file(root: Path) -> Expect:
    (root / "conversation_trials" / "notes.md").write_text("# my notes\n", encoding="utf-8")
    return Expect("tree.unknown-file", "conversation_trials/notes.md", severity="warning")


@fault
def missing_scenarios(root: Path) -> Expect:
    (root / SCENARIOS).unlink()
    return Expect("tree.missing-file", SCENARIOS)


@fault
def missing_mapping(root: Path) -> Expect:
    (root / MAPPING).unlink()
    return Expect("tree.missing-file", MAPPING)


@fault
def missing_survey(root: Path) -> Expect:
    (root / PROFILE_SURVEY).unlink()
    return Expect("tree.missing-file", PROFILE_SURVEY)


@fault
def missing_folder(root: Path) -> Expect:
    shutil.rmtree(root / "surveys")
    return Expect("tree.missing-folder", "surveys")


# --- CSV structure -------------------------------------------------------------------------------------

@fault
def csv_missing_column(root: Path) -> Expect:
    rows = read_rows(root / ASSISTANT)
    index = rows[0].index("scenario")
    write_rows(root / ASSISTANT, [row[:index] + row[index + 1:] for row in rows])
    return Expect("csv.header", ASSISTANT, row=1, column="scenario")


@fault
def csv_row_length(root: Path) -> Expect:
    rows = read_rows(root / SEEKER)
    line = line_of(rows, "conversation_id", "4")
    rows[line - 1] = rows[line - 1][:-1]
    write_rows(root / SEEKER, rows)
    return Expect("csv.row-length", SEEKER, row=line)


@fault
def csv_huge_line(root: Path) -> Expect:
    from vogue_pack.raw.reader import MAX_TEXT_BYTES

    path = root / ASSISTANT
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    with path.open("a", encoding="utf-8") as handle:  # half the size budget of a file: still read
        handle.write("x" * (MAX_TEXT_BYTES // 2) + "\n")
    # one record per line: the 50 MB record is on the line after the last one
    return Expect("csv.row-length", ASSISTANT, row=text.count("\n") + 1)


@fault
def profiles_header_wrong(root: Path) -> Expect:
    rows = read_rows(root / PROFILES)
    rows[0][rows[0].index("comfort")] = "comfrot"
    write_rows(root / PROFILES, rows)
    return Expect("csv.header", PROFILES, row=1, column="comfort")


@fault
def mapping_header_wrong(root: Path) -> Expect:
    rows = read_rows(root / MAPPING)
    rows[0] = ["id", "cat"]
    write_rows(root / MAPPING, rows)
    return Expect("csv.header", MAPPING, row=1)


@fault
def mapping_survey_item_catalogue_garbled(root: Path) -> Expect:
    rows = read_rows(root / MAPPING)
    line = len(rows)  # the last id: a profile-survey item (no item JSON), like every id after the catalogues
    assert not (root / f"metadata/item_{rows[-1][0]}.json").exists()
    rows[-1][1] += "[[["
    write_rows(root / MAPPING, rows)
    return Expect("xref.catalogue-singleton", MAPPING, row=line, column="catalogue", severity="warning",
                  value=rows[-1][1])


@fault
def duplicate_column_misplaced(root: Path) -> Expect:
    path = root / PROFILE_RATINGS
    rows = read_rows(path)
    duplicate = rows[0].index("item_44_duplicate")
    assert rows[0][duplicate + 1] == "item_45"
    for row in rows:  # swap item_44_duplicate and item_45, cells included
        row[duplicate], row[duplicate + 1] = row[duplicate + 1], row[duplicate]
    vec_index = rows[0].index("40_rating_vec")
    for row in rows[1:]:  # keep 40_rating_vec equal to the cells in column order: one fault only
        row[vec_index] = "[" + ", ".join(row[1:vec_index]) + "]"
    write_rows(path, rows)
    return Expect("profiles.duplicate-column", PROFILE_RATINGS, row=1, column="item_44_duplicate")


@fault
def duplicate_conversation_row(root: Path) -> Expect:
    rows = read_rows(root / SEEKER)
    line = line_of(rows, "conversation_id", "2")
    rows.append(list(rows[line - 1]))
    write_rows(root / SEEKER, rows)
    return Expect("schema.unique", SEEKER, row=len(rows), column="conversation_id")


@fault
def mapping_duplicate_id(root: Path) -> Expect:
    rows = read_rows(root / MAPPING)
    rows.append(["5", "a"])
    write_rows(root / MAPPING, rows)
    return Expect("schema.unique", MAPPING, row=len(rows), column="id")


# --- CSV cells -----------------------------------------------------------------------------------------

@fault
def nan_rating_cell(root: Path) -> Expect:
    column = _first_catalogue_item_column(root, SEEKER, 2)
    line = _edit_cell(root, SEEKER, "conversation_id", "2", column, "NaN")
    return Expect("schema.type", SEEKER, row=line, column=column, value="NaN")


@fault
def overflow_rating_cell(root: Path) -> Expect:
    column = _first_catalogue_item_column(root, ASSISTANT, 1)
    line = _edit_cell(root, ASSISTANT, "conversation_id", "1", column, "1e309")
    return Expect("schema.type", ASSISTANT, row=line, column=column, value="1e309")


@fault
def rating_seven(root: Path) -> Expect:
    column = _first_catalogue_item_column(root, SEEKER, 3)
    line = _edit_cell(root, SEEKER, "conversation_id", "3", column, "7")
    return Expect("schema.value", SEEKER, row=line, column=column, value="7")


@fault
def rating_vec_mismatch(root: Path) -> Expect:
    rows = read_rows(root / ASSISTANT)
    line = line_of(rows, "conversation_id", "5")
    vec = json.loads(get_cell(rows, line, "rating_vec"))
    vec[0] = 5 if vec[0] != 5 else 4
    set_cell(rows, line, "rating_vec", json.dumps(vec))
    write_rows(root / ASSISTANT, rows)
    return Expect("csv.list-mismatch", ASSISTANT, row=line, column="rating_vec")


@fault
def rating_vec_unparseable(root: Path) -> Expect:
    line = _edit_cell(root, SEEKER, "conversation_id", "6", "rating_vec", "[1, 2,")
    return Expect("csv.list-literal", SEEKER, row=line, column="rating_vec")


@fault
def importance_vec_unparseable(root: Path) -> Expect:
    line = _edit_cell(root, PROFILES, "participant_id", "a1", "importance_vec", "[3; 4; 4]")
    return Expect("csv.list-literal", PROFILES, row=line, column="importance_vec")


@fault
def likert_out_of_range(root: Path) -> Expect:
    line = _edit_cell(root, SEEKER, "conversation_id", "1", "likert_2", "6.0")
    return Expect("schema.range", SEEKER, row=line, column="likert_2", value="6.0")


@fault
def likert_not_a_number(root: Path) -> Expect:
    line = _edit_cell(root, SEEKER, "conversation_id", "2", "likert_3", "very")
    return Expect("schema.type", SEEKER, row=line, column="likert_3", value="very")


@fault
def seeker_role_wrong(root: Path) -> Expect:
    line = _edit_cell(root, SEEKER, "conversation_id", "3", "role", "Assistant")
    return Expect("schema.value", SEEKER, row=line, column="role", value="Assistant")


@fault
def seeker_participant_pattern(root: Path) -> Expect:
    line = _edit_cell(root, SEEKER, "conversation_id", "4", "participant_id", "a1")
    return Expect("schema.pattern", SEEKER, row=line, column="participant_id", value="a1")


@fault
def interpretation_blank(root: Path) -> Expect:
    line = _edit_cell(root, ASSISTANT, "conversation_id", "6", "assistant_interpretation", "")
    return Expect("schema.missing", ASSISTANT, row=line, column="assistant_interpretation")


@fault
def importance_out_of_range(root: Path) -> Expect:
    rows = read_rows(root / PROFILES)
    line = line_of(rows, "participant_id", "s1")
    set_cell(rows, line, "comfort", "9")
    vec = json.loads(get_cell(rows, line, "importance_vec"))
    vec[0] = 9  # comfort is the first importance column: the list literal still agrees
    set_cell(rows, line, "importance_vec", json.dumps(vec))
    write_rows(root / PROFILES, rows)
    return Expect("schema.range", PROFILES, row=line, column="comfort", value="9")


@fault
def profile_participant_pattern(root: Path) -> Expect:
    line = _edit_cell(root, PROFILE_RATINGS, "participant_id", "s1", "participant_id", "x1")
    return Expect("schema.pattern", PROFILE_RATINGS, row=line, column="participant_id", value="x1")


@fault
def style_vibe_free_text(root: Path) -> Expect:
    rows = read_rows(root / PROFILES)
    line = line_of(rows, "participant_id", "a1")
    set_cell(rows, line, "style_vibes", get_cell(rows, line, "style_vibes") + ", Boho - flowy and earthy")
    write_rows(root / PROFILES, rows)
    return Expect("profiles.style-vibe-unmatched", PROFILES, row=line, column="style_vibes",
                  severity="warning", value="Boho - flowy and earthy")


@fault
def purchase_frequency_free_text(root: Path) -> Expect:
    line = _edit_cell(root, PROFILES, "participant_id", "s1", "purchase_frequency", "When I feel like it")
    return Expect("profiles.free-text", PROFILES, row=line, column="purchase_frequency", severity="warning")


# --- transcripts -----------------------------------------------------------------------------------------

@fault
def transcript_content_disagrees_with_name(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["scenario"] += 1
    return Expect("transcript.filename-mismatch", _edit_transcript(root, 3, change), pointer="/scenario")


@fault
def transcript_bad_file_name(root: Path) -> Expect:
    path = transcript(root, 4)
    target = path.with_name("conversation4.json")
    path.rename(target)
    return Expect("transcript.filename", rel(root, target))


@fault
def turn_gap(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        del doc["conversation_content"][2]  # turns now run 1, 2, 4, ...
    return Expect("transcript.turn-sequence", _edit_transcript(root, 5, change),
                  pointer="/conversation_content/2/turn", value=4)


@fault
def timestamp_backwards(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        turns = doc["conversation_content"]
        assert turns[2]["timestamp"] > "00:00:00"
        turns[3]["timestamp"] = "00:00:00"
    return Expect("transcript.timestamp-order", _edit_transcript(root, 5, change),
                  pointer="/conversation_content/3/timestamp")


@fault
def tags_count_mismatch(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][1]["content"]["tags"].append(["ACK"])
    return Expect("transcript.tags-count", _edit_transcript(root, 6, change),
                  pointer="/conversation_content/1/content/tags")


@fault
def tag_code_of_other_role(root: Path) -> Expect:
    where: list[int] = []

    def change(doc: dict[str, Any]) -> None:
        index = next(i for i, turn in enumerate(doc["conversation_content"])
                     if turn["content"]["role"] == "Assistant")
        doc["conversation_content"][index]["content"]["tags"][0][0] = "IQ"  # a Seeker-only code
        where.append(index)
    file = _edit_transcript(root, 1, change)
    return Expect("transcript.tag-code", file, pointer=f"/conversation_content/{where[0]}/content/tags/0/0",
                  value="IQ")


@fault
def mentioned_items_not_ascending(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        assert len(doc["mentioned_items"]) >= 2
        doc["mentioned_items"].reverse()
    return Expect("transcript.items-order", _edit_transcript(root, 4, change), pointer="/mentioned_items/1")


@fault
def gt_not_mentioned(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        assert len(doc["mentioned_items"]) > 1
        doc["mentioned_items"].remove(doc["gt_items"][0])
    return Expect("transcript.gt-not-mentioned", _edit_transcript(root, 2, change), pointer="/gt_items/0")


@fault
def session_code_malformed(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["session_code"] = "zz9"
    return Expect("json.schema", _edit_transcript(root, 6, change), pointer="/session_code", value="zz9")


@fault
def session_code_wrong_letter(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        letter = "b" if doc["catalogue"] != "b" else "a"
        doc["session_code"] = letter + doc["session_code"][1:]
    return Expect("transcript.session-code", _edit_transcript(root, 1, change), pointer="/session_code")


@fault
def transcript_not_an_object(root: Path) -> Expect:
    path = transcript(root, 2)
    path.write_text("[1, 2]", encoding="utf-8")
    return Expect("json.schema", rel(root, path), pointer="")


@fault
def transcript_missing_key(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        del doc["gt_items"]
    return Expect("json.schema", _edit_transcript(root, 3, change), pointer="", value="gt_items")


@fault
def empty_conversation(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"] = []
    return Expect("json.schema", _edit_transcript(root, 4, change), pointer="/conversation_content")


@fault
def empty_utterance(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][0]["content"]["utterances"][0] = ""
    return Expect("json.schema", _edit_transcript(root, 5, change),
                  pointer="/conversation_content/0/content/utterances/0")


@fault
def unknown_role(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][0]["content"]["role"] = "Customer"
    return Expect("json.schema", _edit_transcript(root, 6, change), pointer="/conversation_content/0/content/role",
                  value="Customer")


@fault
def timestamp_malformed(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][2]["timestamp"] = "7:05"
    return Expect("transcript.timestamp", _edit_transcript(root, 1, change),
                  pointer="/conversation_content/2/timestamp", value="7:05")


@fault
def conversation_id_as_string(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_id"] = str(doc["conversation_id"])
    return Expect("json.schema", _edit_transcript(root, 2, change), pointer="/conversation_id")


# --- items and scenarios ---------------------------------------------------------------------------------

@fault
def item_id_mismatch(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["id"] += 1
    return Expect("item.filename-mismatch", _edit_item(root, 5, change), pointer="/id", value=6)


@fault
def product_rating_out_of_range(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["product_rating"] = "7.5"
    return Expect("item.rating", _edit_item(root, 6, change), pointer="/product_rating", value="7.5")


@fault
def product_rating_not_a_number(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["product_rating"] = "four"
    return Expect("item.rating", _edit_item(root, 8, change), pointer="/product_rating", value="four")


@fault
def item_extra_key(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["colour"] = "red"
    return Expect("json.schema", _edit_item(root, 10, change), pointer="/colour")


@fault
def item_missing_key(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        del doc["reviews"]
    return Expect("json.schema", _edit_item(root, 11, change), pointer="", value="reviews")


@fault
def item_detail_not_text(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["product_detail"]["Weight"] = 1.5
    return Expect("json.schema", _edit_item(root, 2, change), pointer="/product_detail/Weight", value=1.5)


@fault
def scenario_body_without_colon(root: Path) -> Expect:
    path = root / SCENARIOS
    scenarios = read_json(path)
    scenarios[2]["Body"] = scenarios[2]["Body"].replace(": ", " - ", 1)
    write_json(path, scenarios)
    return Expect("scenario.body", SCENARIOS, pointer="/2/Body")


@fault
def scenario_defined_twice(root: Path) -> Expect:
    path = root / SCENARIOS
    scenarios = read_json(path)
    scenarios[5]["Scenario"] = scenarios[4]["Scenario"]
    write_json(path, scenarios)
    return Expect("scenario.duplicate", SCENARIOS, pointer="/5/Scenario")


@fault
def scenario_key_lowercase(root: Path) -> Expect:
    path = root / SCENARIOS
    scenarios = read_json(path)
    scenarios[1] = {"scenario": scenarios[1]["Scenario"], "Body": scenarios[1]["Body"]}
    write_json(path, scenarios)
    return Expect("json.schema", SCENARIOS, pointer="/1/scenario")


# --- images (need the image checks) ---------------------------------------------------------------------

@image_fault
def image_truncated(root: Path) -> Expect:
    path = root / "metadata" / "item_20.png"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return Expect("image.decode", rel(root, path))


@image_fault
def image_not_a_png(root: Path) -> Expect:
    path = root / "metadata" / "item_21.png"
    path.write_bytes(b"GIF89a" + b"\0" * 64)
    return Expect("image.signature", rel(root, path))


# --- numbers and names beyond what the model can store ----------------------------------------------------

@fault
def json_integer_of_5000_digits(root: Path) -> Expect:
    path = transcript(root, 6)
    text = path.read_text(encoding="utf-8")
    start = text.index('"mentioned_items": [') + len('"mentioned_items": [')
    end = text.index(",", start)  # the first id of the indented list
    path.write_text(text[:start] + "\n    " + "9" * 5000 + text[end:], encoding="utf-8")
    return Expect("json.non-finite", rel(root, path), pointer="/mentioned_items/0")


@fault
def conversation_id_beyond_32_bits(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_id"] = 2**31
    return Expect("json.schema", _edit_transcript(root, 3, change), pointer="/conversation_id", value=2**31)


@fault
def csv_conversation_id_beyond_32_bits(root: Path) -> Expect:
    line = _edit_cell(root, ASSISTANT, "conversation_id", "2", "conversation_id", "99999999999")
    return Expect("schema.type", ASSISTANT, row=line, column="conversation_id", value="99999999999")


@fault
def rating_beyond_16_bits(root: Path) -> Expect:
    column = _first_catalogue_item_column(root, SEEKER, 5)
    line = _edit_cell(root, SEEKER, "conversation_id", "5", column, "70000")
    return Expect("schema.value", SEEKER, row=line, column=column, value="70000")


@fault
def item_file_id_too_long(root: Path) -> Expect:
    path = root / "metadata" / ("item_" + "9" * 12 + ".json")
    shutil.copyfile(item_json(root, 5), path)
    # not an item id the model can hold: a finding at the file itself, never a silent skip
    return Expect("tree.id-name", rel(root, path), value=path.name)


@fault
def file_name_not_utf8(root: Path) -> Expect:
    folder = root / "supplements"
    name = b"caf\xe9.txt"  # latin-1 bytes in a file name
    with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
        handle.write(b"notes\n")
    return Expect("tree.bad-name", "supplements/caf\\xe9.txt", severity="warning")


# --- the id grammar of file names: near misses and two files for one id ---------------------------------

@fault
def item_json_leading_zero_beside_the_real_one(root: Path) -> Expect:
    shutil.copyfile(item_json(root, 5), root / "metadata" / "item_05.json")
    return Expect("tree.duplicate-id", "metadata/item_05.json", value="metadata/item_05.json")


@fault
def image_leading_zero(root: Path) -> Expect:
    shutil.copyfile(root / "metadata" / "item_40.png", root / "metadata" / "item_040.png")
    return Expect("tree.id-name", "metadata/item_040.png", value="item_040.png")


@fault
def item_json_fullwidth_digit(root: Path) -> Expect:
    name = "item_\uff15.json"  # FULLWIDTH DIGIT FIVE: a digit to \\d and int(), not to the grammar
    shutil.copyfile(item_json(root, 5), root / "metadata" / name)
    return Expect("tree.id-name", f"metadata/{name}", value=name)


@fault
def item_json_upper_case(root: Path) -> Expect:
    path = item_json(root, 6)
    path.rename(path.with_name("ITEM_6.JSON"))
    return Expect("tree.id-name", "metadata/ITEM_6.JSON", value="ITEM_6.JSON")


@fault
def transcript_name_with_trailing_newline(root: Path) -> Expect:
    path = transcript(root, 2)
    shutil.copyfile(path, path.with_name(path.name + "\n"))
    return Expect("tree.duplicate-id", rel(root, path) + "\n", value=rel(root, path) + "\n")


@fault
def transcript_name_with_trailing_space(root: Path) -> Expect:
    path = transcript(root, 3)
    target = path.with_name(path.name + " ")
    path.rename(target)
    return Expect("tree.id-name", rel(root, target), value=target.name)


@fault
def transcript_id_with_leading_zero(root: Path) -> Expect:
    path = transcript(root, 4)
    target = path.with_name("c0" + path.name[1:])
    path.rename(target)
    # still read (it is a .json in transcripts/), and its name is the finding
    return Expect("transcript.filename", rel(root, target), value=target.name)


@fault
def two_transcripts_claim_one_conversation(root: Path) -> Expect:
    path = transcript(root, 1)
    other = path.with_name("c1_b_3.json")
    shutil.copyfile(path, other)
    return Expect("tree.duplicate-id", rel(root, other), value=rel(root, other))


@fault
def folder_named_like_a_transcript(root: Path) -> Expect:
    path = transcript(root, 6)
    path.unlink()
    path.mkdir()
    return Expect("tree.not-a-file", rel(root, path))


@fault
def fifo_named_like_a_transcript(root: Path) -> Expect:
    path = transcript(root, 5)
    path.unlink()
    os.mkfifo(path)
    return Expect("tree.not-a-file", rel(root, path))


@fault
def socket_named_like_an_item(root: Path) -> Expect:
    import socket

    path = item_json(root, 9)
    path.unlink()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
    return Expect("tree.not-a-file", rel(root, path))


@fault
def control_characters_in_an_unknown_name(root: Path) -> Expect:
    name = "notes\x1b[31m\r.md"
    (root / "metadata" / name).write_text("x\n", encoding="utf-8")
    return Expect("tree.unknown-file", f"metadata/{name}", severity="warning")


# --- timestamps as times of day -------------------------------------------------------------------------

@fault
def timestamp_impossible_time(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][1]["timestamp"] = "25:61:07"
    return Expect("transcript.timestamp", _edit_transcript(root, 2, change),
                  pointer="/conversation_content/1/timestamp", value="25:61:07")


@fault
def timestamp_fullwidth_digits(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][0]["timestamp"] = "\uff10\uff10:00:01"
    return Expect("transcript.timestamp", _edit_transcript(root, 3, change),
                  pointer="/conversation_content/0/timestamp", value="\uff10\uff10:00:01")


@fault
def timestamp_trailing_newline(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][0]["timestamp"] += "\n"
    return Expect("transcript.timestamp", _edit_transcript(root, 4, change),
                  pointer="/conversation_content/0/timestamp")


# --- sizes, depths and quotes -----------------------------------------------------------------------------

@fault
def csv_unterminated_quote(root: Path) -> Expect:
    path = root / SEEKER
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].rstrip("\n").rsplit(",", 1)  # row 2: open a quote in its last cell, never closed
    lines[1] = f'{cells[0]},"{cells[1]}\n'
    path.write_text("".join(lines), encoding="utf-8")
    return Expect("csv.unterminated-quote", SEEKER, row=2, column="likert_5")


def _plant_bytes(root: Path, file: str, key_column: str, key: str, column: str, raw: bytes) -> int:
    """Write ``raw`` as it is (no CSV quoting) into a cell of the row whose ``key_column`` is ``key``; returns
    the row's line."""
    path = root / file
    rows = read_rows(path)
    line = line_of(rows, key_column, key)
    marker = "@@PLANTED@@"
    set_cell(rows, line, column, marker)
    write_rows(path, rows)
    path.write_bytes(path.read_bytes().replace(marker.encode(), raw))
    return line


@fault
def csv_stray_quote_in_unquoted_cell(root: Path) -> Expect:
    # an unquoted free-text cell with a quote in it: 5'6" written as is
    line = _plant_bytes(root, PROFILES, "participant_id", "s1", "style_preferences", b"I am 5'6\" and petite")
    return Expect("csv.stray-quote", PROFILES, row=line, column="style_preferences", severity="warning",
                  value="I am 5'6\" and petite")


@fault
def csv_text_after_closing_quote(root: Path) -> Expect:
    line = _plant_bytes(root, ASSISTANT, "conversation_id", "2", "assistant_interpretation",
                        b'"smart, not too pricey"."')
    return Expect("csv.stray-quote", ASSISTANT, row=line, column="assistant_interpretation", severity="warning",
                  value='smart, not too pricey."')


@fault
def csv_nul_character(root: Path) -> Expect:
    return Expect("csv.parse", PROFILES, row=_plant_bytes(root, PROFILES, "participant_id", "a1", "clothing_feel",
                                                          b"soft\x00"))


@fault
def csv_with_too_many_cells(root: Path) -> Expect:
    from vogue_pack.raw.reader import MAX_VALUES

    rows = read_rows(root / PROFILE_RATINGS)
    copies = MAX_VALUES // len(rows[0]) + 1
    write_rows(root / PROFILE_RATINGS, [rows[0], *([rows[1]] * copies)])
    # every line (the header is line 1) holds n cells: line L is the first with n * L cells past the limit
    return Expect("file.too-large", PROFILE_RATINGS, row=MAX_VALUES // len(rows[0]) + 1)


@fault
def transcript_with_too_many_values(root: Path) -> Expect:
    from vogue_pack.raw.reader import MAX_VALUES

    def change(doc: dict[str, Any]) -> None:
        doc["gt_items"] = [1] * MAX_VALUES
    return Expect("file.too-large", _edit_transcript(root, 6, change))


@fault
def json_nested_just_past_the_limit(root: Path) -> Expect:
    from vogue_pack.raw.reader import MAX_JSON_DEPTH

    def change(doc: dict[str, Any]) -> None:
        nest: list[Any] = []
        for _ in range(MAX_JSON_DEPTH - 1):
            nest = [nest]
        doc["conversation_content"][0]["content"]["tags"][0] = nest  # depth 5 + 63 > 64
    return Expect("json.depth", _edit_transcript(root, 1, change),
                  pointer="/conversation_content/0/content/tags/0" + "/0" * (MAX_JSON_DEPTH - 5))


@fault
def transcript_turn_beyond_64_bits(root: Path) -> Expect:
    def change(doc: dict[str, Any]) -> None:
        doc["conversation_content"][0]["turn"] = 2**70
    return Expect("json.schema", _edit_transcript(root, 2, change), pointer="/conversation_content/0/turn",
                  value=2**70)


@fault
def scenario_number_beyond_64_bits(root: Path) -> Expect:
    doc = read_json(root / SCENARIOS)
    doc[0]["Scenario"] = 10**30
    write_json(root / SCENARIOS, doc)
    return Expect("json.schema", SCENARIOS, pointer="/0/Scenario", value=10**30)


@fault
def file_instead_of_the_transcripts_folder(root: Path) -> Expect:
    folder = root / "conversation_trials" / "transcripts"
    shutil.rmtree(folder)
    folder.write_text("not a folder", encoding="utf-8")
    return Expect("tree.not-a-file", "conversation_trials/transcripts")


@fault
def one_transcript_in_both_layouts(root: Path) -> Expect:
    path = transcript(root, 3)
    nested = root / "conversation_trials" / "transcripts" / "conversations" / path.name
    nested.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, nested)
    # the flat file sorts first ("c..." < "conversations/..."): the nested copy is the extra one
    return Expect("tree.duplicate-id", rel(root, nested), value=rel(root, nested))


@fault
def csv_just_over_the_size_limit(root: Path) -> Expect:
    from vogue_pack.raw.reader import MAX_TEXT_BYTES

    with (root / PROFILES).open("r+b") as handle:  # sparse: instant, and never read
        handle.truncate(MAX_TEXT_BYTES + 1)
    return Expect("file.too-large", PROFILES, value=MAX_TEXT_BYTES + 1)

