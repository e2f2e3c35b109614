"""Dataset statistics: hand-built tables, a synthetic raw tree read independently, renderings, the CLI."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from vogue_pack.analysis.stats import compute_stats, load_source, load_tables, render_stats
from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.raw.model import TABLES, empty_table, table_from_columns


def small_tables() -> dict[str, Any]:
    """Two conversations, small enough to count by hand (counts in the test comments)."""
    return {
        "conversations": table_from_columns("conversations", {
            "conversation_id": [1, 2], "source_file": ["c1.json", "c2.json"]}),
        # conversation 1: A, S, A; conversation 2: S, A
        "turns": table_from_columns("turns", {
            "conversation_id": [1, 1, 1, 2, 2], "turn": [1, 2, 3, 1, 2],
            "role": ["Assistant", "Seeker", "Assistant", "Seeker", "Assistant"],
            "source_pointer": ["/"] * 5}),
        # utterances per turn: 2, 1, 1, 1, 1; tokens: A 3+2, S 4, A 1, S 5, A 2
        "utterances": table_from_columns("utterances", {
            "conversation_id": [1, 1, 1, 1, 2, 2], "turn": [1, 1, 2, 3, 1, 2], "utterance": [1, 2, 1, 1, 1, 1],
            "role": ["Assistant", "Assistant", "Seeker", "Assistant", "Seeker", "Assistant"],
            "tags": [["RTI"], ["RP", "ACK"], ["IQ"], ["ACK"], ["IQ", "PEP"], ["RS"]],
            "n_tokens": [3, 2, 4, 1, 5, 2], "source_pointer": ["/"] * 6}),
        "participants": table_from_columns("participants", {
            "participant_id": ["s1", "s2", "a1"], "role": ["Seeker", "Seeker", "Assistant"],
            "source_row": [2, 3, 4]}),
        "rating_rows": table_from_columns("rating_rows", {
            "conversation_id": [1, 1, 2, 2], "role": ["Seeker", "Assistant", "Seeker", "Assistant"],
            "participant_id": ["s1", "a1", "s2", "a1"], "source_file": ["x"] * 4, "source_row": [2, 2, 3, 3]}),
        # conversation 1: 3 catalogue items, 2 mentioned, 1 chosen; conversation 2: 3 items, 1 mentioned, 1 chosen
        "conversation_items": table_from_columns("conversation_items", {
            "conversation_id": [1, 1, 1, 2, 2, 2], "item_id": [1, 2, 3, 1, 2, 3],
            "mentioned": [True, True, False, False, True, False],
            "chosen": [True, False, False, False, True, False]}),
        # Seeker ratings 1, 1, 5, 3 (mean 2.5); Assistant 2 and one unreadable (null)
        "item_ratings": table_from_columns("item_ratings", {
            "conversation_id": [1, 1, 2, 2, 1, 2], "item_id": [1, 2, 1, 2, 1, 1],
            "role": ["Seeker", "Seeker", "Seeker", "Seeker", "Assistant", "Assistant"],
            "rating": [1, 1, 5, 3, 2, None], "source_file": ["x"] * 6, "source_row": [2] * 6}),
        # question 1: 4 and 5 -> 4.5; question 4: 3 and blank -> 3 (1 blank)
        "satisfaction": table_from_columns("satisfaction", {
            "conversation_id": [1, 2, 1, 2], "question": [1, 1, 4, 4],
            "statement": ["good", "good", "control", "control"], "score": [4.0, 5.0, 3.0, None],
            "source_row": [2, 3, 2, 3]}),
        "images": table_from_columns("images", {"item_id": [1, 2, 3], "path": ["a", "b", "c"],
                                                "ok": [True, True, False]}),
        # one cluster {1, 2, 3} from two pairs
        "duplicate_pairs": table_from_columns("duplicate_pairs", {
            "item_a": [1, 1], "item_b": [2, 3], "kind": ["exact", "near"], "distance": [0, 3],
            "mirrored": [False, False], "cluster": [1, 1]}),
        # s1 repeats item 37 (4 vs 4: agree) and 38 (2 vs 5: disagree by 3); s2's repeat of 37 is not rated
        "profile_ratings": table_from_columns("profile_ratings", {
            "participant_id": ["s1", "s1", "s1", "s1", "s2", "s2"], "item_id": [37, 37, 38, 38, 37, 37],
            "is_repeat": [False, True, False, True, False, True], "rating": [4, 4, 2, 5, 3, None],
            "column": ["item_37", "item_37_duplicate", "item_38", "item_38_duplicate", "item_37",
                       "item_37_duplicate"], "source_row": [2, 2, 2, 2, 3, 3]}),
    }


def test_stats_counted_by_hand() -> None:
    stats = compute_stats(small_tables())
    assert stats["conversations"] == 2
    assert stats["participants"] == {"Seeker": 2, "Assistant": 1, "total": 3}
    assert stats["participants_in_conversations"] == {"Seeker": 2, "Assistant": 1, "pairs": 2}
    assert (stats["turns"], stats["utterances"], stats["tokens"]) == (5, 6, 17)
    assert stats["turns_per_conversation"] == 2.5
    assert stats["tokens_per_turn"] == 17 / 5
    assert stats["by_role"]["Assistant"] == {"turns": 3, "utterances": 4, "tokens": 8,
                                             "tokens_per_turn": 8 / 3, "utterances_per_turn": 4 / 3}
    assert stats["by_role"]["Seeker"]["tokens"] == 9
    assert stats["items"]["mentioned_per_conversation"] == {"total": 3, "mean": 1.5, "min": 1, "max": 2}
    assert stats["items"]["chosen_per_conversation"] == {"total": 2, "mean": 1.0, "min": 1, "max": 1}
    assert stats["ratings"]["Seeker"] == {"count": 4, "distribution": {"1": 2, "2": 0, "3": 1, "4": 0, "5": 1},
                                          "mean": 2.5, "unreadable": 0}
    assert stats["ratings"]["Assistant"]["unreadable"] == 1
    assert stats["satisfaction"] == [
        {"question": 1, "statement": "good", "answered": 2, "blank": 0, "mean": 4.5},
        {"question": 4, "statement": "control", "answered": 1, "blank": 1, "mean": 3.0},
    ]
    # Assistant: ACK twice, then RP, RS, RTI once each (ties by code)
    assert list(stats["tags"]["Assistant"].items()) == [("ACK", 2), ("RP", 1), ("RS", 1), ("RTI", 1)]
    assert stats["tags"]["Seeker"] == {"IQ": 2, "PEP": 1}
    assert stats["images"] == {"images": 3, "images_ok": 2, "duplicate_pairs": 2, "exact_pairs": 1,
                               "near_pairs": 1, "duplicate_clusters": 1, "items_in_duplicate_clusters": 3}
    assert stats["profile_repeats"] == {"repeat_cells": 3, "repeated_items": 2, "compared": 2, "agree": 1,
                                        "disagree": 1, "agreement": 0.5, "mean_abs_difference": 1.5}
    json.dumps(stats, allow_nan=False)  # JSON-ready


def test_stats_of_empty_tables() -> None:
    stats = compute_stats({name: empty_table(name) for name in TABLES})
    assert stats["conversations"] == 0 and stats["turns_per_conversation"] is None
    assert stats["items"]["mentioned_per_conversation"]["mean"] is None
    assert compute_stats({}) == stats  # absent tables count as empty
    for fmt in ("table", "markdown", "json"):
        assert render_stats(stats, fmt)


def test_render_formats() -> None:
    stats = compute_stats(small_tables())
    assert json.loads(render_stats(stats, "json")) == stats
    markdown = render_stats(stats, "markdown")
    assert "### Overview" in markdown and "| turns | 5 |" in markdown
    table = render_stats(stats, "table")
    assert "Seeker" in table and "3 turns, 4 utterances, 8 tokens" in table
    with pytest.raises(UsageError):
        render_stats(stats, "html")


def test_stats_are_deterministic_and_order_free() -> None:
    tables = small_tables()
    reversed_tables = {name: table.take(list(range(table.num_rows))[::-1]) for name, table in tables.items()}
    assert json.dumps(compute_stats(tables)) == json.dumps(compute_stats(reversed_tables))


def _row_loop_stats(tables: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """compute_stats with the row loops (the definition) in place of the column-wise versions."""
    import vogue_pack.analysis.stats as stats

    with monkeypatch.context() as patch:
        for name in ("_item_stats", "_rating_stats", "_satisfaction_stats", "_repeat_stats"):
            patch.setattr(stats, name, getattr(stats, f"{name}_rows"))
        patch.setattr(stats, "_typed", lambda *_args: False)  # the participant counts' row loop too
        return stats.compute_stats(tables)


def _odd_tables() -> dict[str, Any]:
    """Tables no valid release has: repeated keys, nulls, a rating outside 1-5, fractional and NaN scores,
    participants without a pair, repeats without a base cell."""
    tables = small_tables()
    tables["conversation_items"] = table_from_columns("conversation_items", {
        "conversation_id": [1, 1, 3, 3, 9], "item_id": [1, 1, 2, 3, 4],
        "mentioned": [True, None, True, True, False], "chosen": [None, True, False, True, True]})
    tables["item_ratings"] = table_from_columns("item_ratings", {
        "conversation_id": [1, 1, 2, 2, 1], "item_id": [1, 1, 1, 2, 3],
        "role": ["Seeker", "Seeker", "Guest", "Assistant", "Assistant"], "rating": [7, None, 2, 0, None],
        "source_file": ["x"] * 5, "source_row": [2] * 5})
    tables["satisfaction"] = table_from_columns("satisfaction", {
        "conversation_id": [1, 2, 3, 1, 2, 3], "question": [2, 2, 2, 5, 5, 5],
        "statement": ["first", "second", "third", "s", "s", "s"],
        "score": [0.1, 0.2, float("nan"), 1e17, 3.0, None], "source_row": [2, 3, 4, 2, 3, 4]})
    tables["rating_rows"] = table_from_columns("rating_rows", {
        "conversation_id": [1, 1, 2, 3, 3, 3], "role": ["Seeker", "Assistant", "Seeker", "Seeker", "Assistant",
                                                        "Assistant"],
        "participant_id": ["s1", "a1", "s2", "s1", None, "a2"], "source_file": ["x"] * 6,
        "source_row": [2, 2, 3, 4, 4, 5]})
    tables["profile_ratings"] = table_from_columns("profile_ratings", {
        "participant_id": ["s1", "s1", "s1", "s2", "s3", "s3"], "item_id": [37, 37, 37, 38, 39, 39],
        "is_repeat": [False, False, True, True, True, None], "rating": [1, 4, 5, None, 2, 3],
        "column": ["c"] * 6, "source_row": [2] * 6})
    return tables


@pytest.mark.parametrize("make", [small_tables, _odd_tables])
def test_column_wise_stats_are_the_row_loops(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The column-wise statistics give exactly what the row loops give, odd tables included."""
    tables = make()
    fast = compute_stats(tables)
    assert json.dumps(fast) == json.dumps(_row_loop_stats(tables, monkeypatch))
    shuffled = {name: table.take(list(range(table.num_rows))[::-1]) for name, table in tables.items()}
    assert json.dumps(compute_stats(shuffled)) == json.dumps(_row_loop_stats(shuffled, monkeypatch))


@st.composite
def profile_ratings(draw: st.DrawFn) -> pa.Table:
    """Profile-survey cells as a damaged file gives them: base cells twice (sometimes), repeats without a
    base cell, null ratings and repeat flags, participant ids as strings or numbers, item ids beyond int32."""
    numbers = draw(st.booleans())
    people = st.integers(1, 3) if numbers else st.sampled_from(["s1", "s2", "a1"])
    items = st.integers(37, 40) if draw(st.integers(0, 9)) else st.sampled_from([37, 2**40])
    base = draw(st.lists(st.tuples(people, items), max_size=12, unique=True))
    base += draw(st.lists(st.sampled_from(base), max_size=1)) if base and not draw(st.integers(0, 3)) else []
    repeats = draw(st.lists(st.one_of(st.sampled_from(base), st.tuples(people, items)) if base
                            else st.tuples(people, items), max_size=12))
    cells = [(*cell, draw(st.one_of(st.just(False), st.none()))) for cell in base] + [
        (*cell, True) for cell in repeats]
    order = draw(st.permutations(range(len(cells))))
    cells = [cells[k] for k in order]
    ratings = draw(st.lists(st.one_of(st.integers(1, 5), st.none()), min_size=len(cells), max_size=len(cells)))
    return pa.table({
        "participant_id": pa.array([c[0] for c in cells], pa.int64() if numbers else pa.string()),
        "item_id": pa.array([c[1] for c in cells], pa.int64()),
        "is_repeat": pa.array([c[2] for c in cells], pa.bool_()),
        "rating": pa.array(ratings, pa.int16()),
    })


@settings(max_examples=200, deadline=None)
@given(profile_ratings())
def test_column_wise_repeat_stats_are_the_row_loop(table: pa.Table) -> None:
    from vogue_pack.analysis.stats import _repeat_stats, _repeat_stats_rows

    assert json.dumps(_repeat_stats(table)) == json.dumps(_repeat_stats_rows(table))


def test_the_satisfaction_mean_adds_fractions_in_table_order() -> None:
    tables = _odd_tables()
    question = next(q for q in compute_stats(tables)["satisfaction"] if q["question"] == 2)
    assert question == {"question": 2, "statement": "first", "answered": 2, "blank": 1,
                        "mean": (0.0 + 0.1 + 0.2) / 2}


# --- a synthetic raw tree, read independently of the loader ------------------------------------------


@pytest.fixture(scope="module")
def raw_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vogue_pack.synth import write_tree

    return write_tree(tmp_path_factory.mktemp("synth") / "raw", conversations=12, seed=3).root


def independent_stats(root: Path) -> dict[str, Any]:
    """The statistics recomputed straight from the raw files with json/csv (no vogue_pack code)."""
    transcripts = sorted((root / "conversation_trials" / "transcripts").rglob("*.json"))
    turns: Counter[str] = Counter()
    utterances: Counter[str] = Counter()
    tokens: Counter[str] = Counter()
    tags: dict[str, Counter[str]] = {"Seeker": Counter(), "Assistant": Counter()}
    for path in transcripts:
        for turn in json.loads(path.read_text(encoding="utf-8"))["conversation_content"]:
            role = turn["content"]["role"]
            turns[role] += 1
            utterances[role] += len(turn["content"]["utterances"])
            tokens[role] += sum(len(u.split()) for u in turn["content"]["utterances"])
            for inner in turn["content"]["tags"]:
                tags[role].update(inner)
    with (root / "conversation_trials" / "item_ratings" / "seeker_ratings.csv").open(encoding="utf-8") as f:
        seeker_rows = list(csv.DictReader(f))
    ratings = Counter(int(v) for row in seeker_rows for k, v in row.items()
                      if k.startswith("item_") and int(v) != -1)
    likert_4 = [float(row["likert_4"]) for row in seeker_rows if row["likert_4"].strip()]
    return {"conversations": len(transcripts), "turns": turns, "utterances": utterances, "tokens": tokens,
            "tags": tags, "ratings": ratings, "likert_4": likert_4}


def test_raw_tree_stats_match_the_files(raw_tree: Path) -> None:
    expected = independent_stats(raw_tree)
    stats = compute_stats(load_tables(raw_tree))
    assert stats["conversations"] == expected["conversations"] == 12
    assert stats["turns"] == sum(expected["turns"].values())
    assert stats["utterances"] == sum(expected["utterances"].values())
    assert stats["tokens"] == sum(expected["tokens"].values())
    for role in ("Seeker", "Assistant"):
        assert stats["by_role"][role]["turns"] == expected["turns"][role]
        assert stats["by_role"][role]["tokens"] == expected["tokens"][role]
        assert stats["tags"][role] == dict(expected["tags"][role])
    assert stats["ratings"]["Seeker"]["distribution"] == {str(k): expected["ratings"][k] for k in range(1, 6)}
    question_4 = next(q for q in stats["satisfaction"] if q["question"] == 4)
    assert question_4["answered"] == len(expected["likert_4"])
    assert question_4["mean"] == pytest.approx(sum(expected["likert_4"]) / len(expected["likert_4"]))
    # planted: items 40/72 byte-identical and 15/66 near-identical (two clusters); s1's repeat of item 39
    assert stats["images"]["duplicate_clusters"] == 2 and stats["images"]["exact_pairs"] == 1
    assert stats["profile_repeats"]["disagree"] >= 1


def test_release_folder_reads_the_same_tables(raw_tree: Path, tmp_path: Path) -> None:
    tables = load_tables(raw_tree)
    (tmp_path / "tables").mkdir()
    for name, table in tables.items():
        pq.write_table(table, tmp_path / "tables" / f"{name}.parquet")
    source = load_source(tmp_path)
    assert source.kind == "release"
    assert compute_stats(source.tables) == compute_stats(tables)


def test_cli_stats(raw_tree: Path) -> None:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["stats", str(raw_tree), "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["conversations"] == 12
    table = runner.invoke(cli, ["stats", str(raw_tree)])
    assert table.exit_code == 0 and "Overview" in table.stdout
    markdown = runner.invoke(cli, ["stats", str(raw_tree), "--format", "markdown"])
    assert markdown.exit_code == 0 and "| conversations | 12 |" in markdown.stdout


def test_cli_stats_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["stats", str(tmp_path / "missing")]).exit_code == 2
    (tmp_path / "tables").mkdir()  # a release folder without tables
    assert runner.invoke(cli, ["stats", str(tmp_path)]).exit_code == 2
    assert runner.invoke(cli, ["stats", str(tmp_path), "--format", "xml"]).exit_code == 2


def test_cli_stats_warns_about_an_invalid_raw_tree(raw_tree: Path, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "raw"
    shutil.copytree(raw_tree, broken)
    (broken / "conversation_trials" / "transcripts" / "c1_a_1.json").unlink()  # conversation 1 loses its transcript
    result = CliRunner().invoke(cli, ["stats", str(broken), "--format", "json"])
    assert result.exit_code == 0
    assert "validation errors" in result.stderr
    assert json.loads(result.stdout)["conversations"] == 11
