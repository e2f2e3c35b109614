"""Cross-file checks (checks/*.sql): every check file is valid and documented; each planted fault yields
exactly its finding (code, file, location, keys) and nothing else; a clean tree yields only the planted
warnings; a missing table means one check.not-run per check, never a silent pass or a cascade.

Faults are planted in a private copy of a clean 12-conversation synthetic tree: conversations 1..12,
conversation ``6 * (k - 1) + j`` is pair ``s<k>``/``a<k>`` in scenario ``j``; scenarios 1, 2 -> catalogue a
(items 1..12), 3, 4 -> b (13..24), 5, 6 -> c (25..36); survey items 37..76 map to ``p`` (vogue_pack.synth).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from gallery.trees import (
    ASSISTANT,
    MAPPING,
    PROFILE_RATINGS,
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

from vogue_pack.errors import UsageError
from vogue_pack.raw.load import load
from vogue_pack.raw.model import TABLES, empty_table, table_from_columns
from vogue_pack.raw.tree import discover
from vogue_pack.report import findings as findings_module
from vogue_pack.report.findings import Finding, Severity
from vogue_pack.synth import SynthInfo, write_tree
from vogue_pack.validate.crosscheck import (
    RESULT_COLUMNS,
    CheckSpec,
    check_catalogue,
    parse_check,
    render_markdown,
    run_checks,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHECKS = Path(__file__).resolve().parent.parent / "checks"
TRANSCRIPTS = "conversation_trials/transcripts"

Key = tuple[Any, ...]


# --- helpers -------------------------------------------------------------------------------------------

def key(item: Finding) -> Key:
    return (item.code, item.file, item.row, item.column, item.pointer, tuple(sorted(item.keys.items())))


def crosscheck(root: Path) -> list[Finding]:
    """The cross-file findings of the raw tree at ``root`` (its tables loaded by the real loader)."""
    tree, _ = discover(root)
    loaded = load(tree)
    return run_checks(loaded.tables, loaded.unavailable)


def new_findings(root: Path, baseline: set[Key]) -> list[Key]:
    """Cross-file findings of ``root`` that the clean tree does not have."""
    return sorted((key(f) for f in crosscheck(root) if key(f) not in baseline), key=repr)


def k(code: str, file: str, *, row: int | None = None, column: str | None = None, pointer: str | None = None,
      **keys: Any) -> Key:
    return (code, file, row, column, pointer, tuple(sorted(keys.items())))


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    document = read_json(path)
    change(document)
    write_json(path, document)


def edit_rows(root: Path, file: str, change: Callable[[list[list[str]]], None]) -> list[list[str]]:
    rows = read_rows(root / file)
    change(rows)
    write_rows(root / file, rows)
    return rows


def set_rating(root: Path, file: str, cid: int, item_id: int, value: int) -> int:
    """Set one item cell of conversation ``cid`` and keep rating_vec equal to the item cells (one fault)."""
    rows = read_rows(root / file)
    line = line_of(rows, "conversation_id", str(cid))
    set_cell(rows, line, f"item_{item_id}", str(value))
    items = [c for c in rows[0] if re.fullmatch(r"item_\d+", c)]
    set_cell(rows, line, "rating_vec", "[" + ", ".join(get_cell(rows, line, c) for c in items) + "]")
    write_rows(root / file, rows)
    return line


def move_scenario(root: Path, cid: int, scenario: int) -> str:
    """Give conversation ``cid`` another scenario in all three files (and the file name): one fault."""
    path = transcript(root, cid)
    edit_json(path, lambda d: d.update(scenario=scenario))
    target = path.with_name(re.sub(r"_\d+\.json$", f"_{scenario}.json", path.name))
    path.rename(target)
    for file in (SEEKER, ASSISTANT):
        edit_rows(root, file, lambda rows: set_cell(rows, line_of(rows, "conversation_id", str(cid)),
                                                     "scenario", str(scenario)))
    return rel(root, target)


def add_utterance_text(root: Path, cid: int, turn_index: int, text: str) -> str:
    """Append ``text`` to the first utterance of turn ``turn_index`` (0-based); returns its pointer."""
    def change(document: dict[str, Any]) -> None:
        content = document["conversation_content"][turn_index]["content"]
        content["utterances"][0] += " " + text
    edit_json(transcript(root, cid), change)
    return f"/conversation_content/{turn_index}/content/utterances/0"


# --- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _private_code_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks written by a test register their codes in a copy of the catalogue, not the real one."""
    monkeypatch.setattr(findings_module, "PY_CODES", dict(findings_module.PY_CODES))


@pytest.fixture(scope="module")
def tree12(tmp_path_factory: pytest.TempPathFactory) -> SynthInfo:
    """A clean 12-conversation synthetic tree (two Seeker/Assistant pairs). Do not modify."""
    return write_tree(tmp_path_factory.mktemp("xref12"), conversations=12, seed=0)


@pytest.fixture(scope="module")
def baseline(tree12: SynthInfo) -> set[Key]:
    return {key(f) for f in crosscheck(tree12.root)}


@pytest.fixture
def root(tree12: SynthInfo, tmp_path: Path) -> Path:
    """A private copy of ``tree12``; returns its data folder."""
    shutil.copytree(tree12.root.parent, tmp_path / "raw", symlinks=True)
    return tmp_path / "raw" / tree12.root.name


# --- the check files -----------------------------------------------------------------------------------

def test_every_check_file_parses_and_is_consistent() -> None:
    specs = check_catalogue()
    files = sorted(p for p in CHECKS.glob("*.sql") if not p.name.startswith("_"))
    assert [s.path.name for s in specs] == [p.name for p in files]
    for spec in specs:
        assert spec.path.stem == spec.code
        assert spec.code.split(".")[0] in ("xref", "privacy", "image")
        assert spec.title and spec.description.endswith(".") and spec.requires
        assert set(spec.requires) <= set(TABLES) and set(spec.uses) <= set(TABLES)
        info = findings_module.PY_CODES[spec.code]  # registered in the findings catalogue
        # codes that findings.py declared before (image.missing, privacy.*) keep their severity and title
        assert (info.severity, info.title) == (spec.severity, spec.title), spec.code


def test_every_check_runs_on_empty_tables_and_returns_known_columns() -> None:
    import duckdb

    from vogue_pack.validate import crosscheck as module

    con = module._connect()
    module._register_tables(con, {name: empty_table(name) for name in TABLES}, {})
    module._create_views(con, CHECKS)
    for spec in check_catalogue():
        result = con.sql(spec.sql).to_arrow_table()
        assert result.num_rows == 0, spec.code
        assert "message" in result.column_names
        assert set(result.column_names) <= set(RESULT_COLUMNS), spec.code
        if "keys" in result.column_names:
            assert pa.types.is_struct(result.schema.field("keys").type), spec.code
    with pytest.raises(duckdb.Error):  # checks see the registered tables only: no file access
        con.sql("SELECT * FROM read_csv('/etc/hostname')").fetchall()


def test_docs_checks_md_is_in_sync() -> None:
    text = (DOCS / "checks.md").read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN GENERATED CATALOGUE -->\n", "<!-- END GENERATED CATALOGUE -->"
    generated = text[text.index(begin) + len(begin):text.index(end)]
    assert generated == render_markdown(check_catalogue()), \
        "regenerate: vogue-pack checks --format markdown, and paste between the markers of docs/checks.md"
    for spec in check_catalogue():
        assert f"### {spec.code}" in text


def _write_check(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_HEADER = ("-- code: xref.test-thing\n-- severity: warning\n-- title: A thing\n"
               "-- description: What it means.\n--   Continued here.\n-- requires: conversations\n")


def test_header_parsing_and_continuation(tmp_path: Path) -> None:
    path = _write_check(tmp_path, "xref.test-thing.sql", GOOD_HEADER + "SELECT 'm' AS message\n")
    spec = parse_check(path)
    assert spec.description == "What it means. Continued here."
    assert spec.severity is Severity.WARNING and spec.requires == ("conversations",) and spec.uses == ()


@pytest.mark.parametrize(("name", "text", "complaint"), [
    ("xref.test-thing.sql", GOOD_HEADER.replace("-- severity: warning\n", ""), "'severity' is missing"),
    ("xref.test-thing.sql", GOOD_HEADER.replace("warning", "fatal"), "severity"),
    ("xref.test-thing.sql", GOOD_HEADER + "-- owner: me\n", "unknown header key 'owner'"),
    ("xref.test-thing.sql", GOOD_HEADER.replace("conversations", "conversation"), "'conversation'"),
    ("xref.other.sql", GOOD_HEADER, "named after its code"),
    ("xref.test-thing.sql", GOOD_HEADER, "no SQL"),
    ("xref.test-thing.sql", GOOD_HEADER + "SELECT 1 AS message; SELECT 2 AS message", "exactly one SELECT"),
])
def test_bad_check_file_is_a_usage_error(tmp_path: Path, name: str, text: str, complaint: str) -> None:
    path = _write_check(tmp_path, name, text)
    with pytest.raises(UsageError, match=re.escape(complaint)) as info:
        parse_check(path)
    assert str(path) in str(info.value)


def test_check_with_invalid_sql_or_columns_is_a_usage_error(tmp_path: Path) -> None:
    tables = {name: empty_table(name) for name in TABLES}
    _write_check(tmp_path, "xref.test-thing.sql", GOOD_HEADER + "SELECT no_such_column AS message FROM conversations")
    with pytest.raises(UsageError, match=re.escape("xref.test-thing.sql: the check's SQL is invalid")):
        run_checks(tables, {}, tmp_path)
    _write_check(tmp_path, "xref.test-thing.sql", GOOD_HEADER + "SELECT 'x' AS message, 1 AS line")
    with pytest.raises(UsageError, match="'message' column and otherwise only"):
        run_checks(tables, {}, tmp_path)


def test_a_check_added_as_a_file_runs_and_maps_columns(tmp_path: Path) -> None:
    """Adding a check = adding a file: its rows become findings field by field (keys' nulls dropped)."""
    _write_check(tmp_path, "xref.test-thing.sql", GOOD_HEADER + (
        "SELECT source_file AS file, 7 AS row, 'c' AS \"column\", '/x' AS pointer,\n"
        "       {'conversation_id': conversation_id, 'turn': NULL::INTEGER} AS keys, [1, 2] AS value,\n"
        "       'e' AS expected, format('conversation {}', conversation_id) AS message\n"
        "FROM conversations"))
    tables = {"conversations": table_from_columns("conversations", {
        "conversation_id": [3], "source_file": ["conversation_trials/transcripts/c3_a_1.json"]})}
    (found,) = run_checks(tables, {}, tmp_path)
    assert found == Finding("xref.test-thing", Severity.WARNING, "conversation 3",
                            file="conversation_trials/transcripts/c3_a_1.json", row=7, column="c",
                            pointer="/x", keys={"conversation_id": 3}, value=[1, 2], expected="e")


# --- not-run: never a silent pass, never a cascade -------------------------------------------------

def test_missing_table_gives_one_not_run_per_check(tree12: SynthInfo) -> None:
    tree, _ = discover(tree12.root)
    loaded = load(tree)
    unavailable = {"rating_rows": "conversation_trials/item_ratings/seeker_ratings.csv could not be parsed"}
    found = run_checks(loaded.tables, unavailable)
    needing = {s.code for s in check_catalogue() if "rating_rows" in s.requires}
    not_run = [f for f in found if f.code == "check.not-run"]
    assert sorted(f.keys["check"] for f in not_run) == sorted(needing)
    assert all(f.severity is Severity.ERROR and "seeker_ratings.csv could not be parsed" in f.message
               for f in not_run)
    assert not [f for f in found if f.code in needing]
    # a check that only *uses* rating_rows still runs (here: on a clean tree, without findings of its own)
    assert "xref.unknown-item" not in needing and "xref.item-outside-catalogue" not in needing


def test_absent_table_counts_as_unavailable() -> None:
    found = run_checks({}, {})
    assert {f.code for f in found} == {"check.not-run"}
    assert len(found) == len(check_catalogue())
    assert "the table was not built" in found[0].message


def test_unparseable_rating_file_runs_nothing_that_needs_it(root: Path) -> None:
    (root / SEEKER).write_text('role,participant_id\n"unbalanced\n', encoding="utf-8")
    found = crosscheck(root)
    assert {f.code for f in found if f.severity is Severity.ERROR} == {"check.not-run"}


def test_unreadable_transcript_does_not_cascade(root: Path, baseline: set[Key]) -> None:
    path = transcript(root, 8)
    path.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")  # truncated JSON
    assert new_findings(root, baseline) == []  # json.parse reports it; its rating rows are not orphans


def test_empty_rating_file_is_one_finding_not_one_per_conversation(root: Path, baseline: set[Key]) -> None:
    edit_rows(root, ASSISTANT, lambda rows: rows.__delitem__(slice(1, None)))
    assert new_findings(root, baseline) == [k("xref.missing-rating-row", ASSISTANT, role="Assistant")]


# --- the clean tree --------------------------------------------------------------------------------------

def test_clean_tree_has_only_the_planted_warnings(tree12: SynthInfo) -> None:
    found = crosscheck(tree12.root)
    assert not [f.to_dict() for f in found if f.severity is Severity.ERROR]
    quirks = tree12.quirks
    expected = sorted(
        [("xref.chosen-item-rated-low", cid) for cid in quirks["gt_low_rating"]]
        + [("xref.text-mention-outside-catalogue", cid) for cid in quirks["mention_outside_catalogue"]]
        + [("xref.text-mentions-differ", cid) for cid in quirks["mention_mismatch"]])
    assert sorted((f.code, f.keys["conversation_id"]) for f in found) == expected


def test_clean_large_tree_has_no_cross_file_error(clean_tree: SynthInfo) -> None:
    found = crosscheck(clean_tree.root)
    assert not [f.to_dict() for f in found if f.severity is Severity.ERROR]


# --- 1, 7: one transcript, one seeker row, one assistant row per conversation --------------------------

@pytest.mark.parametrize(("file", "role"), [(SEEKER, "Seeker"), (ASSISTANT, "Assistant")])
def test_missing_rating_row(root: Path, baseline: set[Key], file: str, role: str) -> None:
    edit_rows(root, file, lambda rows: rows.pop(line_of(rows, "conversation_id", "8") - 1))
    assert new_findings(root, baseline) == [k("xref.missing-rating-row", file, conversation_id=8, role=role)]


def test_rating_row_without_transcript(root: Path, baseline: set[Key]) -> None:
    rows = edit_rows(root, SEEKER, lambda rows: rows.append(
        [("99" if name == "conversation_id" else cell)
         for name, cell in zip(rows[0], rows[line_of(rows, "conversation_id", "8") - 1], strict=True)]))
    assert new_findings(root, baseline) == [
        k("xref.rating-row-without-transcript", SEEKER, row=len(rows), column="conversation_id",
          conversation_id=99, role="Seeker")]


def test_deleted_transcript_orphans_both_rating_rows(root: Path, baseline: set[Key]) -> None:
    seeker_line = line_of(read_rows(root / SEEKER), "conversation_id", "8")
    assistant_line = line_of(read_rows(root / ASSISTANT), "conversation_id", "8")
    transcript(root, 8).unlink()
    assert new_findings(root, baseline) == sorted([
        k("xref.rating-row-without-transcript", SEEKER, row=seeker_line, column="conversation_id",
          conversation_id=8, role="Seeker"),
        k("xref.rating-row-without-transcript", ASSISTANT, row=assistant_line, column="conversation_id",
          conversation_id=8, role="Assistant")], key=repr)


def test_two_transcripts_claim_one_conversation(root: Path, baseline: set[Key]) -> None:
    source = transcript(root, 8)
    nested = root / TRANSCRIPTS / "conversations" / source.name
    nested.parent.mkdir()
    shutil.copyfile(source, nested)
    # paths sort "c8_a_2.json" < "conversations/...": the nested copy is the second claim
    assert new_findings(root, baseline) == [
        k("xref.duplicate-transcript", rel(root, nested), pointer="/conversation_id", conversation_id=8)]


def test_duplicate_rating_row_is_left_to_the_schema(root: Path, baseline: set[Key]) -> None:
    """A repeated row inside one CSV file is schema.unique (schemas/*.yaml); the checks add nothing."""
    edit_rows(root, SEEKER, lambda rows: rows.append(list(rows[line_of(rows, "conversation_id", "8") - 1])))
    assert new_findings(root, baseline) == []
    tree, _ = discover(root)
    assert any(f.code == "schema.unique" and f.file == SEEKER for f in load(tree).findings)


def test_rating_column_of_an_unmapped_item_is_left_to_the_loader(root: Path, baseline: set[Key]) -> None:
    """The loader sees the header: a column item_99 (all -1) is csv.header; no cross-file cascade."""
    def add_column(rows: list[list[str]]) -> None:
        at = rows[0].index("rating_vec")
        for index, row in enumerate(rows):
            row.insert(at, "item_99" if index == 0 else "-1")
            if index:
                row[at + 1] = row[at + 1][:-1] + ", -1]"
    edit_rows(root, SEEKER, add_column)
    assert new_findings(root, baseline) == []
    tree, _ = discover(root)
    assert [(f.code, f.column) for f in load(tree).findings
            if f.file == SEEKER and f.severity is Severity.ERROR] == [("csv.header", "item_99")]


# --- 2: listed items exist, have metadata, lie in the conversation's catalogue ------------------------

def test_unknown_listed_item(root: Path, baseline: set[Key]) -> None:
    path = transcript(root, 8)
    edit_json(path, lambda d: d["mentioned_items"].append(99))
    position = len(read_json(path)["mentioned_items"]) - 1
    assert new_findings(root, baseline) == [
        k("xref.unknown-item", rel(root, path), pointer=f"/mentioned_items/{position}", conversation_id=8,
          item_id=99)]


def test_listed_item_outside_the_catalogue(root: Path, baseline: set[Key]) -> None:
    path = transcript(root, 8)  # catalogue a; item 30 is in catalogue c
    edit_json(path, lambda d: d.update(mentioned_items=sorted([*d["mentioned_items"], 30])))
    position = read_json(path)["mentioned_items"].index(30)
    assert new_findings(root, baseline) == [
        k("xref.item-outside-catalogue", rel(root, path), pointer=f"/mentioned_items/{position}",
          conversation_id=8, item_id=30)]


def test_chosen_item_outside_the_catalogue(root: Path, baseline: set[Key]) -> None:
    path = transcript(root, 8)

    def change(d: dict[str, Any]) -> None:
        d["mentioned_items"] = sorted([*d["mentioned_items"], 30])
        d["gt_items"].append(30)
    edit_json(path, change)
    document = read_json(path)
    assert new_findings(root, baseline) == sorted([
        k("xref.item-outside-catalogue", rel(root, path), pointer=f"/gt_items/{len(document['gt_items']) - 1}",
          conversation_id=8, item_id=30),
        k("xref.item-outside-catalogue", rel(root, path),
          pointer=f"/mentioned_items/{document['mentioned_items'].index(30)}", conversation_id=8, item_id=30),
    ], key=repr)


def test_listed_item_without_metadata(root: Path, baseline: set[Key]) -> None:
    item_json(root, 5).unlink()  # item 5 (catalogue a) is listed by conversation 8
    found = new_findings(root, baseline)
    mapping_line = line_of(read_rows(root / MAPPING), "id", "5")
    # the same missing file seen from the transcripts and from the mapping's catalogue block
    assert found == sorted([
        k("xref.item-without-metadata", "metadata/item_5.json", item_id=5),
        k("xref.catalogue-block", MAPPING, row=mapping_line, item_id=5),
    ], key=repr)


# --- catalogue / scenario agreement ------------------------------------------------------------------

@pytest.mark.parametrize("file", [SEEKER, ASSISTANT])
def test_rating_row_catalogue_differs(root: Path, baseline: set[Key], file: str) -> None:
    rows = edit_rows(root, file, lambda rows: set_cell(rows, line_of(rows, "conversation_id", "8"), "catalogue", "b"))
    line = line_of(rows, "conversation_id", "8")
    assert new_findings(root, baseline) == [
        k("xref.catalogue-mismatch", file, row=line, column="catalogue", conversation_id=8)]


def test_transcript_catalogue_differs(root: Path, baseline: set[Key]) -> None:
    path = transcript(root, 8)
    edit_json(path, lambda d: d.update(catalogue="b"))
    # both rating rows still say a: the transcript is the odd one out, and nothing cascades into its items
    assert new_findings(root, baseline) == [
        k("xref.catalogue-mismatch", rel(root, path), pointer="/catalogue", conversation_id=8)]


def test_rating_row_scenario_differs(root: Path, baseline: set[Key]) -> None:
    rows = edit_rows(root, ASSISTANT, lambda rows: set_cell(rows, line_of(rows, "conversation_id", "8"),
                                                             "scenario", "1"))
    found = crosscheck(root)
    (finding,) = [f for f in found if key(f) not in baseline]
    assert key(finding) == k("xref.scenario-mismatch", ASSISTANT, row=line_of(rows, "conversation_id", "8"),
                             column="scenario", conversation_id=8)
    assert (finding.value, finding.expected) == (1, 2)


def test_scenario_missing_from_scenarios_json(root: Path, baseline: set[Key]) -> None:
    edit_json(root / SCENARIOS, lambda d: d.pop())  # scenario 6 (conversations 6 and 12)
    found = [f for f in crosscheck(root) if key(f) not in baseline]
    assert [key(f) for f in found] == [k("xref.unknown-scenario", SCENARIOS, scenario=6)]
    assert "2 conversation(s)" in found[0].message


def test_scenario_used_with_two_catalogues(root: Path, baseline: set[Key]) -> None:
    edit_json(root / SCENARIOS, lambda d: d.append({"Scenario": 7, "Body": "Festival: three days outdoors."}))
    move_scenario(root, 2, 7)  # pair s1, catalogue a
    moved = move_scenario(root, 12, 7)  # pair s2, catalogue c: a tie, a (the smaller letter) is the usual one
    assert new_findings(root, baseline) == [
        k("xref.scenario-catalogue", moved, pointer="/scenario", conversation_id=12, scenario=7)]


# --- 3: both roles rate exactly the conversation's catalogue items -----------------------------------

def test_catalogue_item_not_rated(root: Path, baseline: set[Key]) -> None:
    line = set_rating(root, SEEKER, 8, 3, -1)
    assert new_findings(root, baseline) == [
        k("xref.rating-missing", SEEKER, row=line, column="item_3", conversation_id=8, role="Seeker", item_id=3)]


def test_item_not_rated_by_anyone_is_one_finding(root: Path, baseline: set[Key]) -> None:
    for cid in (1, 2, 7, 8):  # every catalogue-a conversation
        set_rating(root, ASSISTANT, cid, 3, -1)
    assert new_findings(root, baseline) == [k("xref.rating-missing", ASSISTANT, column="item_3", item_id=3)]


def test_item_of_another_catalogue_rated(root: Path, baseline: set[Key]) -> None:
    line = set_rating(root, ASSISTANT, 8, 20, 4)
    assert new_findings(root, baseline) == [
        k("xref.rating-outside-catalogue", ASSISTANT, row=line, column="item_20", conversation_id=8,
          role="Assistant", item_id=20)]


# --- 4: participants in rating files, profiles.csv and ratings.csv -----------------------------------

def test_rater_without_profile(root: Path, baseline: set[Key]) -> None:
    edit_rows(root, PROFILES, lambda rows: rows.pop(line_of(rows, "participant_id", "s2") - 1))
    assert new_findings(root, baseline) == [
        k("xref.participant-not-in-profiles", PROFILES, participant_id="s2")]


def test_rater_without_profile_ratings(root: Path, baseline: set[Key]) -> None:
    edit_rows(root, PROFILE_RATINGS, lambda rows: rows.pop(line_of(rows, "participant_id", "a2") - 1))
    assert new_findings(root, baseline) == [
        k("xref.participant-not-in-profile-ratings", PROFILE_RATINGS, participant_id="a2")]


def test_profile_without_profile_ratings_and_the_reverse(root: Path, baseline: set[Key]) -> None:
    edit_rows(root, PROFILES, lambda rows: rows.append(["s9", *rows[1][1:]]))
    edit_rows(root, PROFILE_RATINGS, lambda rows: rows.append(["a9", *rows[1][1:]]))
    assert new_findings(root, baseline) == sorted([
        k("xref.participant-not-in-profile-ratings", PROFILE_RATINGS, participant_id="s9"),
        k("xref.participant-not-in-profiles", PROFILES, participant_id="a9")], key=repr)


# --- 5: pairing ------------------------------------------------------------------------------------------

def test_seeker_with_another_assistant(root: Path, baseline: set[Key]) -> None:
    rows = edit_rows(root, ASSISTANT, lambda rows: set_cell(rows, line_of(rows, "conversation_id", "8"),
                                                             "participant_id", "a1"))
    found = [f for f in crosscheck(root) if key(f) not in baseline]
    assert [key(f) for f in found] == [
        k("xref.pairing", ASSISTANT, row=line_of(rows, "conversation_id", "8"), column="participant_id",
          conversation_id=8, seeker_id="s2", assistant_id="a1")]
    assert (found[0].value, found[0].expected) == ("a1", "a2")


def test_unknown_seeker_id_is_blamed_on_the_seeker_row(root: Path, baseline: set[Key]) -> None:
    # s9 works only here (its usual partner is a2), while a2 usually works with s2: the Seeker cell is odd
    rows = edit_rows(root, SEEKER, lambda rows: set_cell(rows, line_of(rows, "conversation_id", "8"),
                                                          "participant_id", "s9"))
    assert new_findings(root, baseline) == sorted([
        k("xref.pairing", SEEKER, row=line_of(rows, "conversation_id", "8"), column="participant_id",
          conversation_id=8, seeker_id="s9", assistant_id="a2"),
        k("xref.participant-not-in-profiles", PROFILES, participant_id="s9"),
        k("xref.participant-not-in-profile-ratings", PROFILE_RATINGS, participant_id="s9"),
    ], key=repr)


def test_swapped_pair_is_one_finding_naming_both_rows(root: Path, baseline: set[Key]) -> None:
    # s2 -> s1 in conversation 8: s1 usually works with a1 and a2 with s2, so either id may be wrong
    edit_rows(root, SEEKER, lambda rows: set_cell(rows, line_of(rows, "conversation_id", "8"),
                                                   "participant_id", "s1"))
    found = [f for f in crosscheck(root) if key(f) not in baseline]
    assert [(f.code, f.file, f.keys) for f in found] == [
        ("xref.pairing", ASSISTANT, {"conversation_id": 8, "seeker_id": "s1", "assistant_id": "a2"})]
    assert "one of the two participant ids is wrong" in found[0].message and SEEKER in found[0].message


def test_pair_covers_a_scenario_twice(root: Path, baseline: set[Key]) -> None:
    moved = move_scenario(root, 12, 5)  # pair s2 already covered scenario 5 in conversation 11 (catalogue c)
    assert new_findings(root, baseline) == [
        k("xref.pair-repeats-scenario", moved, pointer="/scenario", conversation_id=12, seeker_id="s2",
          assistant_id="a2", scenario=5)]


# --- 6: item JSON, mapping and images -----------------------------------------------------------------

def test_item_json_catalogue_differs_from_mapping(root: Path, baseline: set[Key]) -> None:
    path = item_json(root, 5)
    document = read_json(path)
    document["catalogue"] = "b"
    path.write_text(json.dumps(document, indent=4, ensure_ascii=False), encoding="utf-8")
    assert new_findings(root, baseline) == [
        k("xref.item-catalogue-mismatch", "metadata/item_5.json", pointer="/catalogue", item_id=5)]


def test_item_json_without_mapping_row(root: Path, baseline: set[Key]) -> None:
    shutil.copyfile(item_json(root, 5), item_json(root, 80))
    edit_json(item_json(root, 80), lambda d: d.update(id=80))
    assert new_findings(root, baseline) == [k("xref.item-not-mapped", "metadata/item_80.json", item_id=80)]


def test_mapped_item_without_image(root: Path, baseline: set[Key]) -> None:
    (root / "metadata" / "item_50.png").unlink()
    assert new_findings(root, baseline) == [k("image.missing", "metadata/item_50.png", item_id=50)]


def test_image_without_mapped_item(root: Path, baseline: set[Key]) -> None:
    shutil.copyfile(root / "metadata" / "item_50.png", root / "metadata" / "item_90.png")
    assert new_findings(root, baseline) == [k("image.unmapped", "metadata/item_90.png", item_id=90)]


def test_no_images_at_all_is_one_finding(root: Path, baseline: set[Key]) -> None:
    for path in (root / "metadata").glob("*.png"):
        path.unlink()
    assert new_findings(root, baseline) == [k("image.missing", "metadata")]


def test_survey_item_with_item_json_breaks_the_blocks(root: Path, baseline: set[Key]) -> None:
    shutil.copyfile(item_json(root, 5), item_json(root, 40))
    edit_json(item_json(root, 40), lambda d: d.update(id=40, catalogue="p"))
    line = line_of(read_rows(root / MAPPING), "id", "40")
    assert new_findings(root, baseline) == [k("xref.catalogue-block", MAPPING, row=line, item_id=40)]


def test_item_mapped_to_another_catalogue_inside_a_block(root: Path, baseline: set[Key]) -> None:
    edit_rows(root, MAPPING, lambda rows: set_cell(rows, line_of(rows, "id", "7"), "catalogue", "b"))
    found = [f for f in crosscheck(root) if key(f) not in baseline]
    line = line_of(read_rows(root / MAPPING), "id", "7")
    # one block finding for item 7 (a hole of block a and a stray of b), whatever else the mapping breaks
    assert [key(f) for f in found if f.code == "xref.catalogue-block"] == [
        k("xref.catalogue-block", MAPPING, row=line, item_id=7)]
    # each rating file: every catalogue-a row rates item 7, now "of catalogue b": one finding per file
    assert sorted(key(f) for f in found if f.code == "xref.rating-outside-catalogue") == sorted(
        k("xref.rating-outside-catalogue", file, column="item_7", item_id=7, catalogue="a")
        for file in (SEEKER, ASSISTANT))


def test_block_of_other_size(root: Path, baseline: set[Key]) -> None:
    item_json(root, 36).unlink()  # the edge of block c: c holds 11 items, a and b 12
    found = [f for f in crosscheck(root) if key(f) not in baseline]
    assert [key(f) for f in found if f.code == "xref.catalogue-block"] == [
        k("xref.catalogue-block", MAPPING, catalogue="c")]
    assert (found[0].value, "most catalogues hold 12") == (11, "most catalogues hold 12")


# --- warnings: low-rated chosen items, text mentions -------------------------------------------------

def test_chosen_item_rated_low(root: Path, baseline: set[Key]) -> None:
    chosen = read_json(transcript(root, 8))["gt_items"][0]
    line = set_rating(root, SEEKER, 8, chosen, 1)
    found = [f for f in crosscheck(root) if key(f) not in baseline]
    assert [key(f) for f in found] == [
        k("xref.chosen-item-rated-low", SEEKER, row=line, column=f"item_{chosen}", conversation_id=8,
          item_id=chosen)]
    assert found[0].severity is Severity.WARNING


def test_text_mention_outside_catalogue_once_per_item(root: Path, baseline: set[Key]) -> None:
    pointer = add_utterance_text(root, 8, 2, "Or maybe Item30?")
    add_utterance_text(root, 8, 4, "No, item 30 again.")  # a repetition: still one finding
    path = rel(root, transcript(root, 8))
    assert new_findings(root, baseline) == [
        k("xref.text-mention-outside-catalogue", path, pointer=pointer, conversation_id=8, item_id=30)]


def test_text_mentions_an_item_missing_from_mentioned_items(root: Path, baseline: set[Key]) -> None:
    listed = read_json(transcript(root, 8))["mentioned_items"]
    other = next(i for i in range(1, 13) if i not in listed)
    pointer = add_utterance_text(root, 8, 2, f"What about ITEM {other:02d}?")
    assert new_findings(root, baseline) == [
        k("xref.text-mentions-differ", rel(root, transcript(root, 8)), pointer=pointer, conversation_id=8,
          item_id=other)]


def test_mentioned_item_never_named_in_text(root: Path, baseline: set[Key]) -> None:
    path = transcript(root, 8)
    listed = read_json(path)["mentioned_items"]
    other = next(i for i in range(1, 13) if i not in listed)
    edit_json(path, lambda d: d.update(mentioned_items=sorted([*listed, other])))
    position = sorted([*listed, other]).index(other)
    assert new_findings(root, baseline) == [
        k("xref.text-mentions-differ", rel(root, path), pointer=f"/mentioned_items/{position}",
          conversation_id=8, item_id=other)]


# --- privacy ---------------------------------------------------------------------------------------------

def test_privacy_findings_in_every_free_text_field(root: Path, baseline: set[Key]) -> None:
    path = rel(root, transcript(root, 8))
    pointer = add_utterance_text(root, 8, 1, "Mail me at jane.doe@example.com or call 555-123-4567.")
    profile_line = line_of(read_rows(root / PROFILES), "participant_id", "s2")
    edit_rows(root, PROFILES, lambda rows: set_cell(rows, profile_line, "best_colors",
                                                     "Navy; see instagram @jane_styles"))
    assistant_line = line_of(read_rows(root / ASSISTANT), "conversation_id", "8")
    edit_rows(root, ASSISTANT, lambda rows: set_cell(rows, assistant_line, "assistant_interpretation",
                                                      "Moving to SW1A 1AA; they liked www.shop-example.com"))
    found = [f for f in crosscheck(root) if key(f) not in baseline]
    utterance = {"conversation_id": 8, "turn": 2, "utterance": 1}
    assert sorted(key(f) for f in found) == sorted([
        k("privacy.email", path, pointer=pointer, **utterance),
        k("privacy.phone", path, pointer=pointer, **utterance),
        k("privacy.handle", PROFILES, row=profile_line, column="best_colors", participant_id="s2"),
        k("privacy.postcode", ASSISTANT, row=assistant_line, column="assistant_interpretation",
          conversation_id=8, participant_id="a2"),
        k("privacy.url", ASSISTANT, row=assistant_line, column="assistant_interpretation",
          conversation_id=8, participant_id="a2"),
    ])
    assert all(f.severity is Severity.WARNING for f in found)
    assert not any("jane.doe@example.com" in repr(f.to_dict()) for f in found)  # the report does not spread it


def _privacy_codes(texts: list[str]) -> list[set[str]]:
    """The privacy codes each text triggers, checked as utterances of one conversation."""
    tables = {
        "conversations": table_from_columns("conversations", {
            "conversation_id": [1], "catalogue": ["a"],
            "source_file": ["conversation_trials/transcripts/c1_a_1.json"]}),
        "utterances": table_from_columns("utterances", {
            "conversation_id": [1] * len(texts), "turn": list(range(1, len(texts) + 1)),
            "utterance": [1] * len(texts), "text": texts,
            "source_pointer": [f"/conversation_content/{i}/content/utterances/0" for i in range(len(texts))]}),
        "participants": empty_table("participants"),
        "rating_rows": empty_table("rating_rows"),
    }
    found = [f for f in run_checks(tables, {}) if f.code.startswith("privacy.")]
    return [{f.code for f in found if f.keys.get("turn") == i + 1} for i in range(len(texts))]


FASHION_TALK = [
    "I'd spend $50 - $100, maybe $101 - $200 for something special.",
    "Item12 is nice, and Item 07 too; item 3 less so.",
    "I wear a 10.5 in sneakers, size 8-10 in dresses, W32 L34 jeans.",
    "Can we meet at 10:30? The call started 12:45:00.",
    "It's $1,299.99 but 30-40% off until 2024-05-12.",
    "Rated 4.5 stars by 1200 reviewers; 3 - 4 weeks delivery.",
    "A 2XL or XL works, UK 8 to 10, EU 36.",
    "Between 100 and 200 dollars, 50/50 on the colour.",
    "I love it.It is great, e.g. for hiking; i.e. the hood.",
    "Price < $50 or > $500? Budget: $80.",
    "Monthly, around 1,000 steps a day lol, 24/7 comfy.",
    "Got it @ the outlet, for 20% less.",
]


def test_fashion_talk_is_not_flagged() -> None:
    assert _privacy_codes(FASHION_TALK) == [set()] * len(FASHION_TALK)


@pytest.mark.parametrize(("text", "code"), [
    ("write to Jane_Doe+vogue@mail.example.co.uk please", "privacy.email"),
    ("call me on (555) 123-4567", "privacy.phone"),
    ("my number is +44 20 7946 0958", "privacy.phone"),
    ("ring 020 7946 0958 after six", "privacy.phone"),
    ("1-800-555-0199 is the store", "privacy.phone"),
    ("text 5551234567", "privacy.phone"),
    ("see https://example.org/u/jane", "privacy.url"),
    ("it is on www.example.net", "privacy.url"),
    ("my blog janestyle.com has it", "privacy.url"),
    ("follow @jane.styles on insta", "privacy.handle"),
    ("I live near SW1A 1AA", "privacy.postcode"),
    ("ship it to K1A 0B1", "privacy.postcode"),
    ("Springfield, IL 62704", "privacy.postcode"),
    ("my zip code is 94110", "privacy.postcode"),
    ("94110-1234", "privacy.postcode"),
])
def test_contact_details_are_flagged(text: str, code: str) -> None:
    assert _privacy_codes([text]) == [{code}]


def test_check_catalogue_is_sorted_and_specs_are_frozen() -> None:
    specs = check_catalogue()
    assert [s.code for s in specs] == sorted(s.code for s in specs)
    with pytest.raises(AttributeError):
        specs[0].code = "x"  # type: ignore[misc]
    assert isinstance(specs[0], CheckSpec)


# --- the checks never fail on strange data --------------------------------------------------------------

def _random_tables(draw: Any) -> dict[str, pa.Table]:
    from hypothesis import strategies as st

    ids = st.one_of(st.none(), st.integers(-3, 40), st.sampled_from([2**31 - 1, -(2**31)]))
    small = st.integers(0, 5)
    letters = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "p", "", "é"]))
    text = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(
        ["Item99999999999999999999", "item 3 @x a@b.co 555-123-4567", "ITEM07", "SW1A 1AA www.x.com"]))
    files = st.sampled_from([SEEKER, ASSISTANT, "conversation_trials/transcripts/c1_a_1.json",
                             "metadata/item_99999999999999999999.png", "metadata/item_3.json", "x"])

    def rows(n: int, make: Callable[[], dict[str, Any]]) -> dict[str, list[Any]]:
        records = [make() for _ in range(n)]
        return {name: [r[name] for r in records] for name in (records[0] if records else {})}

    def nn(value: Any, default: Any) -> Any:
        return default if value is None else value

    n = draw(small)
    return {
        "conversations": table_from_columns("conversations", rows(n, lambda: {
            "conversation_id": nn(draw(ids), 1), "catalogue": draw(letters), "scenario": draw(ids),
            "mentioned_items": draw(st.one_of(st.none(), st.lists(ids, max_size=4))),
            "gt_items": draw(st.one_of(st.none(), st.lists(ids, max_size=3))), "source_file": draw(files)})),
        "utterances": table_from_columns("utterances", rows(n, lambda: {
            "conversation_id": nn(draw(ids), 1), "turn": nn(draw(ids), 1), "utterance": 1, "text": draw(text),
            "source_pointer": "/conversation_content/0/content/utterances/0"})),
        "rating_rows": table_from_columns("rating_rows", rows(draw(small), lambda: {
            "conversation_id": nn(draw(ids), 1), "role": "Seeker", "participant_id": draw(text),
            "catalogue": draw(letters), "scenario": draw(ids), "assistant_interpretation": draw(text),
            "source_file": draw(files), "source_row": nn(draw(ids), 2)})),
        "item_ratings": table_from_columns("item_ratings", rows(draw(small), lambda: {
            "conversation_id": nn(draw(ids), 1), "item_id": nn(draw(ids), 1), "role": "Seeker",
            "rating": draw(st.one_of(st.none(), st.integers(-2, 9))), "source_file": draw(files),
            "source_row": nn(draw(ids), 2)})),
        "catalogue_membership": table_from_columns("catalogue_membership", rows(draw(small), lambda: {
            "item_id": nn(draw(ids), 1), "catalogue": draw(letters), "has_metadata": draw(st.booleans()),
            "source_row": nn(draw(ids), 2)})),
        "items": table_from_columns("items", rows(draw(small), lambda: {
            "item_id": nn(draw(ids), 1), "catalogue": draw(letters), "source_file": draw(files)})),
        "scenarios": table_from_columns("scenarios", rows(draw(small), lambda: {
            "scenario": nn(draw(ids), 1), "source_pointer": "/0"})),
        "participants": table_from_columns("participants", rows(draw(small), lambda: {
            "participant_id": nn(draw(text), "s1"), "best_colors": draw(text), "source_row": 2})),
        "profile_ratings": table_from_columns("profile_ratings", rows(draw(small), lambda: {
            "participant_id": nn(draw(text), "s1"), "item_id": nn(draw(ids), 1), "is_repeat": False,
            "column": "item_1", "source_row": 2})),
        "files": table_from_columns("files", rows(draw(small), lambda: {
            "path": draw(files), "kind": "unknown"})),
    }


def test_checks_never_fail_on_arbitrary_tables() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: Any) -> None:
        tables = _random_tables(data.draw)
        found = run_checks(tables, {})
        assert all(f.code != "check.not-run" or f.keys["check"] for f in found)
        assert all(isinstance(f.message, str) and f.message for f in found)

    run()
