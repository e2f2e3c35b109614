"""The loader: tidy tables of a clean tree (counts computed from the raw files), strict JSON and CSV
reading, style-vibe parsing, and tables that cannot be built."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from gallery.trees import ASSISTANT, MAPPING, PROFILE_RATINGS, PROFILES, SEEKER, TRANSCRIPTS
from hypothesis import given, settings
from hypothesis import strategies as st

from vogue_pack.raw.load import STYLE_OPTIONS, Loaded, concatenated, load, parse_style_vibes
from vogue_pack.raw.model import TABLES
from vogue_pack.raw.reader import (
    FAILED,
    MAX_JSON_DEPTH,
    count_json_values,
    parse_int_list,
    parse_json,
    read_csv,
)
from vogue_pack.raw.tree import discover
from vogue_pack.report.findings import Finding
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def loaded(small_tree: SynthInfo) -> Loaded:
    tree, _ = discover(small_tree.root)
    return load(tree)


def _records(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_clean_tree_loads_every_table_without_errors(loaded: Loaded) -> None:
    assert loaded.unavailable == {}
    assert not [f for f in loaded.findings if f.severity.value == "error"]
    for name, table in loaded.tables.items():
        assert table.schema.equals(TABLES[name].schema), name


def test_transcript_tables_match_the_files(loaded: Loaded, small_tree: SynthInfo) -> None:
    documents = [json.loads(p.read_text(encoding="utf-8"))
                 for p in sorted((small_tree.root / TRANSCRIPTS).glob("*.json"))]
    turns = [t for d in documents for t in d["conversation_content"]]
    utterances = [u for t in turns for u in t["content"]["utterances"]]
    assert loaded.tables["conversations"].num_rows == len(documents)
    assert loaded.tables["turns"].num_rows == len(turns)
    assert loaded.tables["utterances"].num_rows == len(utterances)
    assert sum(loaded.tables["utterances"].column("n_tokens").to_pylist()) == sum(len(u.split())
                                                                                 for u in utterances)
    tags = [tag for t in turns for tag in t["content"]["tags"]]
    assert loaded.tables["utterances"].column("tags").to_pylist() == tags
    gt = {d["conversation_id"]: set(d["gt_items"]) for d in documents}
    chosen = {(r["conversation_id"], r["item_id"]) for r in loaded.tables["conversation_items"].to_pylist()
              if r["chosen"]}
    assert chosen == {(cid, item) for cid, items in gt.items() for item in items}


def test_rating_tables_match_the_files(loaded: Loaded, small_tree: SynthInfo) -> None:
    seeker = _records(small_tree.root / SEEKER)
    assistant = _records(small_tree.root / ASSISTANT)
    rated = [(int(r["conversation_id"]), int(k[5:]), role, int(v))
             for rows, role in ((seeker, "Seeker"), (assistant, "Assistant"))
             for r in rows for k, v in r.items() if k.startswith("item_") and v != "-1"]
    table = loaded.tables["item_ratings"]
    got = list(zip(table.column("conversation_id").to_pylist(), table.column("item_id").to_pylist(),
                   table.column("role").to_pylist(), table.column("rating").to_pylist(), strict=True))
    assert sorted(got) == sorted(rated)
    assert loaded.tables["rating_rows"].num_rows == len(seeker) + len(assistant)
    scores = sorted((int(r["conversation_id"]), q, float(r[f"likert_{q}"]) if r[f"likert_{q}"] else None)
                    for r in seeker for q in range(1, 6))
    satisfaction = loaded.tables["satisfaction"]
    assert sorted(zip(satisfaction.column("conversation_id").to_pylist(),
                      satisfaction.column("question").to_pylist(),
                      satisfaction.column("score").to_pylist(), strict=True)) == scores


def test_profile_tables_match_the_files(loaded: Loaded, small_tree: SynthInfo) -> None:
    profiles = _records(small_tree.root / PROFILES)
    assert sorted(loaded.tables["participants"].column("participant_id").to_pylist()) == sorted(
        r["participant_id"] for r in profiles)
    ratings = _records(small_tree.root / PROFILE_RATINGS)
    cells = [(r["participant_id"], k) for r in ratings for k in r if k.startswith("item_")]
    table = loaded.tables["profile_ratings"]
    assert table.num_rows == len(cells)
    repeats = sum(1 for _, k in cells if k.endswith("_duplicate"))
    assert sum(table.column("is_repeat").to_pylist()) == repeats
    mapping = _records(small_tree.root / MAPPING)
    assert loaded.tables["catalogue_membership"].num_rows == len(mapping)
    assert loaded.tables["items"].num_rows == len(list((small_tree.root / "metadata").glob("item_*.json")))


def test_a_missing_file_makes_its_tables_unavailable(small_raw_copy: Path) -> None:
    (small_raw_copy / SEEKER).unlink()
    (small_raw_copy / MAPPING).unlink()
    tree, _ = discover(small_raw_copy)
    result = load(tree)
    assert {"satisfaction", "catalogue_membership", "conversation_items"} <= set(result.unavailable)
    assert "satisfaction" not in result.tables


# --- strict JSON --------------------------------------------------------------------------------------

def _parse(text: str) -> tuple[object, list[Finding]]:
    found: list[Finding] = []
    return parse_json(text, "x.json", found), found


@pytest.mark.parametrize(("text", "pointer"), [
    ('{"a": 1, "a": 2}', "/a"),
    ('{"x": [{"b": 1}, {"b": 1, "b": 2}]}', "/x/1/b"),
    ('{"a/b": {"~": 1, "~": 1}}', "/a~1b/~0"),
])
def test_duplicate_keys_are_located(text: str, pointer: str) -> None:
    _, found = _parse(text)
    assert [(f.code, f.pointer) for f in found] == [("json.duplicate-key", pointer)]


@pytest.mark.parametrize(("text", "pointer"), [
    ('{"a": NaN}', "/a"),
    ('{"a": [1, Infinity]}', "/a/1"),
    ('{"a": {"b": -Infinity}}', "/a/b"),
    ('{"a": 1e309}', "/a"),
    ("-1e400", "/"),
])
def test_non_finite_numbers_are_located(text: str, pointer: str) -> None:
    _, found = _parse(text)
    assert [(f.code, f.pointer) for f in found] == [("json.non-finite", pointer)]


@pytest.mark.parametrize(("text", "line"), [("{\n\n  \"a\": }", 3), ("", 1), ("[1,\n2,\n", 3), ('{"a": 1}\n{}', 2)])
def test_invalid_json_reports_its_line(text: str, line: int) -> None:
    document, found = _parse(text)
    assert document is FAILED
    assert [(f.code, f.row) for f in found] == [("json.parse", line)]


def test_deep_nesting_is_a_finding_not_a_crash() -> None:
    document, found = _parse("[" * 200_000 + "]" * 200_000)
    assert document is FAILED and [f.code for f in found] == ["json.depth"]


def test_nesting_limit_is_exact_and_located() -> None:
    at_limit, found = _parse('{"a": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}")
    assert at_limit is not FAILED and found == []
    # one level more, below the interpreter's own limit: still refused, at the first container too deep
    over, found = _parse('{"a": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}")
    assert over is FAILED and [(f.code, f.pointer) for f in found] == [
        ("json.depth", "/a" + "/0" * (MAX_JSON_DEPTH - 1))]


def test_too_many_values_are_refused_before_parsing() -> None:
    text = "[" + ",".join(["{}"] * 50) + "]"
    found: list[Finding] = []
    assert parse_json(text, "t.json", found, max_values=50) is FAILED
    assert [(f.code, f.value) for f in found] == [("file.too-large", 51)]
    found = []
    assert parse_json(text, "t.json", found, max_values=51) == [{}] * 50 and found == []
    # commas and brackets inside strings are not values
    quoted = json.dumps(["a,b,[c]{d}" * 10])
    assert count_json_values(quoted, at_most=1) == 2


# --- CSV ------------------------------------------------------------------------------------------------

def test_csv_line_numbers_count_physical_lines() -> None:
    text = 'a,b\n1,2\n\n"multi\nline",3\n4\n5,6\n'
    found: list[Finding] = []
    rows = read_csv(text, "t.csv", found)
    assert rows is not None
    # line 3 is blank (skipped); the quoted cell spans lines 4-5; line 6 is short; line 7 is fine
    assert rows.lines == [2, 4, 7]
    assert [(f.code, f.row) for f in found] == [("csv.row-length", 6)]


def test_csv_duplicate_header_column() -> None:
    found: list[Finding] = []
    read_csv("a,b,a\n1,2,3\n", "t.csv", found)
    assert [(f.code, f.row, f.column) for f in found] == [("csv.header", 1, "a")]


@pytest.mark.parametrize(("text", "value"), [
    ("[3, 5, -1]", [3, 5, -1]), ("[]", []), ("[1.0]", None), ("[true]", None), ("3", None),
    ("[1, 2", None), ("", None), (None, None), ('["1"]', None),
])
def test_parse_int_list(text: str | None, value: list[int] | None) -> None:
    assert parse_int_list(text) == value


# --- style vibes ------------------------------------------------------------------------------------------

def _option(label: str) -> str:
    return f"{label} - {dict(STYLE_OPTIONS)[label]}"


def test_style_vibes_split_by_options_not_commas() -> None:
    text = ", ".join(_option(label) for label in ("Chic", "Streetwear", "Sporty / Athleisure"))
    assert parse_style_vibes(text) == (["Chic", "Streetwear", "Sporty / Athleisure"], [], True)


def test_style_vibes_en_dash_free_text_and_order() -> None:
    text = f"{_option('Goth').replace(' - ', ' – ')}, Boho – earthy, flowy, {_option('Chic')}"
    labels, other, ordered = parse_style_vibes(text)
    assert labels == ["Goth", "Chic"]
    assert other == ["Boho - earthy, flowy"]
    assert ordered is False  # Chic comes before Goth in the survey


def test_parallel_and_serial_loading_agree_and_report_progress(
        small_tree: SynthInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process-pool path (large trees: transcripts parse in workers while the CSV files load) gives the
    same tables and the same findings in the same order as the serial path."""
    import vogue_pack.raw.load as load_module

    tree, _ = discover(small_tree.root)
    calls: list[tuple[str, int, int | None]] = []
    serial = load(tree, lambda stage, done, total: calls.append((stage, done, total)))
    n = len(tree.of_kind("transcript"))
    assert calls[-1] == ("reading transcripts", n, n)
    monkeypatch.setattr(load_module, "PARALLEL_TRANSCRIPTS", 1)
    monkeypatch.setattr(load_module.os, "cpu_count", lambda: 2)
    parallel = load(tree)
    assert set(parallel.tables) == set(serial.tables) and len(serial.tables) >= 10
    for name, table in serial.tables.items():
        assert parallel.tables[name].equals(table), name
    assert parallel.findings and [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in serial.findings]


@pytest.mark.parametrize("stamp", ["25:61:07", "24:00:00", "12:60:00", "12:00:60", "1:02:03", "12:00:00\n",
                                   "\uff11\uff12:00:00", "12:00", "12-00-00", " 12:00:00"])
def test_a_timestamp_that_is_not_a_time_of_day_is_reported_at_its_own_turn(small_raw_copy: Path,
                                                                               stamp: str) -> None:
    path = sorted((small_raw_copy / TRANSCRIPTS).rglob("c1_*.json"))[0]
    document = json.loads(path.read_text(encoding="utf-8"))
    turns = document["conversation_content"]
    turns[1]["timestamp"] = stamp
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    loaded = load(discover(small_raw_copy)[0])
    rel = path.relative_to(small_raw_copy).as_posix()
    on_file = [(f.code, f.pointer) for f in loaded.findings if f.file == rel]
    assert on_file == [("transcript.timestamp", "/conversation_content/1/timestamp")]
    # order is checked between valid times only: no ordering finding at the next turn


def test_boundary_times_of_day_are_valid(small_raw_copy: Path) -> None:
    path = sorted((small_raw_copy / TRANSCRIPTS).rglob("c2_*.json"))[0]
    document = json.loads(path.read_text(encoding="utf-8"))
    turns = document["conversation_content"]
    for turn, stamp in zip(turns, ["00:00:00", "09:59:59", "19:00:00", "23:59:59"], strict=False):
        turn["timestamp"] = stamp
    for turn in turns[4:]:
        turn["timestamp"] = "23:59:59"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    loaded = load(discover(small_raw_copy)[0])
    rel = path.relative_to(small_raw_copy).as_posix()
    assert not [f for f in loaded.findings if f.file == rel and "timestamp" in f.code]


# --- the fast JSON path gives the full path's answer ----------------------------------------------------

_KEYS = st.sampled_from(["a", "b", 'q"', "c:", 'x\\":', "~/", "é"])
_SCALARS = st.one_of(st.integers(-5, 10**20), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                     st.none(), st.sampled_from(["t", '":', '\\": ', "19:27:40", '" :']))


def _json_text(draw: st.DrawFn, depth: int = 0) -> str:
    """A JSON text written by hand: repeated keys, blanks around colons, quotes and colons inside strings,
    non-finite numbers and nesting near the limit."""
    kind = draw(st.integers(0, 3 if depth < 4 else 1))
    if kind == 0:
        return json.dumps(draw(_SCALARS)) if draw(st.integers(0, 9)) else draw(st.sampled_from(
            ["NaN", "-Infinity", "1e400", "1" + "0" * 320 + ".0"]))
    if kind == 1:
        return "[" + ", ".join(_json_text(draw, depth + 1) for _ in range(draw(st.integers(0, 3)))) + "]"
    if kind == 2:
        nested = draw(st.sampled_from([MAX_JSON_DEPTH - depth - 1, MAX_JSON_DEPTH - depth, 1]))
        return "[" * nested + "0" + "]" * nested
    members = []
    for _ in range(draw(st.integers(0, 4))):
        key = json.dumps(draw(_KEYS))
        blank = draw(st.sampled_from(["", "", " ", "\n  ", "\t"]))
        members.append(f"{key}{blank}:{draw(st.sampled_from(['', ' ']))}{_json_text(draw, depth + 1)}")
    return "{" + ",".join(members) + "}"


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_fast_json_path_equals_the_hooked_parse(data: st.DataObject) -> None:
    from vogue_pack.raw.reader import _parse_json_hooked

    text = data.draw(st.composite(_json_text)())
    fast: list[Finding] = []
    full: list[Finding] = []
    fast_doc = parse_json(text, "x.json", fast)
    full_doc = _parse_json_hooked(text, "x.json", full)
    assert fast == full
    assert (fast_doc is FAILED) == (full_doc is FAILED)
    if fast_doc is not FAILED:
        assert json.dumps(fast_doc, sort_keys=True, allow_nan=True) == json.dumps(full_doc, sort_keys=True,
                                                                                    allow_nan=True)


def test_parts_are_combined_column_by_column_into_what_concat_tables_gives(loaded: Loaded) -> None:
    """The loader's combined table (one chunk per column) equals Arrow's concatenation of the parts, and
    the list of parts is emptied so that each part can be freed as it is combined."""
    import pyarrow as pa

    utterances = loaded.tables["utterances"]
    parts = [utterances.slice(0, 5), utterances.slice(5, 40), utterances.slice(45)]
    expected = pa.concat_tables(parts).combine_chunks()
    combined = concatenated(parts)
    assert parts == []
    assert combined.equals(expected) and combined.schema.equals(expected.schema, check_metadata=True)
    assert all(column.num_chunks == 1 for column in combined.columns)
