"""The paper's metrics, baselines, predictions files, SQL views and the `evaluate` command."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vogue_pack.analysis.metrics import (
    PredictionsInvalid,
    baseline_predictions,
    check_predictions,
    create_metric_views,
    evaluate,
    macro_mae,
    pearson,
    rating_distribution,
    read_predictions,
    render_evaluation,
    run_evaluation,
    seeker_mode,
)
from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.raw.model import table_from_columns

DOCS = Path(__file__).resolve().parent.parent / "docs"

# A cell: (conversation_id, item_id, mentioned, g = Seeker rating, p = Assistant rating)
Cell = tuple[int, int, bool, int, int]


def make_tables(cells: list[Cell], assistant: bool = True) -> dict[str, pa.Table]:
    """item_ratings (Seeker g and, optionally, Assistant p) and conversation_items for ``cells``."""
    ratings: dict[str, list[Any]] = {"conversation_id": [], "item_id": [], "role": [], "rating": [],
                                     "participant_id": [], "source_file": [], "source_row": []}
    for cid, iid, _, g, p in cells:
        for role, value in (("Seeker", g), ("Assistant", p)) if assistant else (("Seeker", g),):
            ratings["conversation_id"].append(cid)
            ratings["item_id"].append(iid)
            ratings["role"].append(role)
            ratings["rating"].append(value)
            ratings["participant_id"].append(f"{role[0].lower()}{cid}")
            ratings["source_file"].append(f"conversation_trials/item_ratings/{role.lower()}_ratings.csv")
            ratings["source_row"].append(cid + 1)
    items = {"conversation_id": [c[0] for c in cells], "item_id": [c[1] for c in cells],
             "mentioned": [c[2] for c in cells], "chosen": [False] * len(cells)}
    return {"item_ratings": table_from_columns("item_ratings", ratings),
            "conversation_items": table_from_columns("conversation_items", items)}


def long_predictions(rows: list[tuple[int, int, Any]]) -> pa.Table:
    return pa.table({"conversation_id": pa.array([r[0] for r in rows], pa.int32()),
                     "item_id": pa.array([r[1] for r in rows], pa.int32()),
                     "rating": pa.array([r[2] for r in rows], pa.int16())})


def human(tables: dict[str, pa.Table], **kwargs: Any) -> Any:
    return evaluate(tables, baseline_predictions(tables, "human"), **kwargs)


# --- the worked example of docs/metrics.md -----------------------------------------------------------


def _doc_table(marker: str) -> list[list[str]]:
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- {marker} -->", 1)[1].split("<!-- end -->", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.strip().splitlines()]
    return [r for r in rows[2:]]  # skip header and separator


def worked_example() -> list[Cell]:
    return [(int(c), int(i), m == "yes", int(g), int(p)) for c, i, m, g, p in _doc_table("worked-example-input")]


def test_worked_example_by_hand() -> None:
    cells = worked_example()
    assert len(cells) == 8
    result = human(make_tables(cells))
    m = result.metrics["all"]
    assert (m.items, m.conversations) == (8, 2)
    assert m.accuracy == 4 / 8
    assert m.mae == 4 / 8
    # conversation 1: sum of deviation products 7.75, squares 10.75 (g) and 6.75 (p); conversation 2: g constant
    assert m.pc == pytest.approx(7.75 / math.sqrt(10.75 * 6.75), abs=1e-12)
    assert (m.pc_conversations, m.pc_undefined) == (1, 1)
    assert m.mae_by_class[1] == 0 and m.mae_by_class[2] == 1 and m.mae_by_class[3] == 0.5
    assert math.isnan(m.mae_by_class[4]) and m.mae_by_class[5] == 1
    assert m.items_by_class == {1: 2, 2: 1, 3: 4, 4: 0, 5: 1}
    assert m.macro_mae == pytest.approx((2 / 3 + 1 / 2) / 2, abs=1e-12)  # 7/12
    assert m.distribution.truth == {1: 2, 2: 1, 3: 4, 4: 0, 5: 1}
    assert m.distribution.predicted == {1: 2, 2: 1, 3: 3, 4: 2, 5: 0}
    assert m.distribution.total_variation == pytest.approx(0.25)  # 0.5 * (1 + 2 + 1) / 8
    assert m.distribution.wasserstein_1 == pytest.approx(0.25)  # cumulative differences 0, 0, 1, 1 over 8
    mentioned = result.metrics["mentioned"]
    assert (mentioned.accuracy, mentioned.mae, mentioned.pc, mentioned.pc_undefined) == (0.25, 0.75, 1.0, 1)
    assert mentioned.macro_mae == pytest.approx(0.75)  # (1 + 0.5) / 2
    unmentioned = result.metrics["unmentioned"]
    assert (unmentioned.accuracy, unmentioned.mae, unmentioned.pc_undefined) == (0.75, 0.25, 2)
    assert math.isnan(unmentioned.pc) and unmentioned.macro_mae == pytest.approx(0.25)
    # mode = 3 (g counts 2, 1, 4, 0, 1): conversation 1 classes 1, 2, 5 -> (2 + 1 + 2) / 3; conversation 2 -> 0
    tables = make_tables(cells)
    assert seeker_mode(tables) == 3
    mode = evaluate(tables, baseline_predictions(tables, "mode"))
    assert mode.metrics["all"].macro_mae == pytest.approx(5 / 6)


def _value(result: Any, metric: str, subset: str) -> float:
    m = result.metrics[subset]
    simple = {"items": m.items, "accuracy": m.accuracy, "PC": m.pc, "PC undefined": m.pc_undefined,
              "MAE": m.mae, "M-MAE": m.macro_mae, "TV": m.distribution.total_variation,
              "W1": m.distribution.wasserstein_1}
    if metric in simple:
        return float(simple[metric])
    k = int(re.fullmatch(r"MAE\[GT=(\d)\]", metric).group(1))  # type: ignore[union-attr]
    return m.mae_by_class[k]


def test_worked_example_matches_docs() -> None:
    result = human(make_tables(worked_example()))
    rows = _doc_table("worked-example-results")
    assert len(rows) == 13
    for metric, *values in rows:
        for subset, text in zip(("all", "mentioned", "unmentioned"), values, strict=True):
            got = _value(result, metric, subset)
            if text == "undefined":
                assert math.isnan(got), (metric, subset)
            else:
                assert got == pytest.approx(float(text), abs=5e-5), (metric, subset)


# --- the metric functions ----------------------------------------------------------------------------


def test_pearson_undefined_cases() -> None:
    a = np.array([1, 2, 3, 4])
    assert math.isnan(pearson(np.array([3, 3, 3, 3]), a))  # constant predictor
    assert math.isnan(pearson(a, np.array([2, 2, 2, 2])))  # constant truth
    assert math.isnan(pearson(np.array([4]), np.array([2])))  # one item
    assert pearson(a, a) == pytest.approx(1.0)
    assert pearson(6 - a, a) == pytest.approx(-1.0)
    # p = 1,1,2,2 against g = 1,2,1,2: deviations are orthogonal -> 0
    assert pearson(np.array([1, 1, 2, 2]), np.array([1, 2, 1, 2])) == pytest.approx(0.0)


def test_macro_mae_ignores_absent_classes() -> None:
    # classes 1 (errors 0, 2) and 5 (error 4); classes 2..4 absent: (1 + 4) / 2, not a mean over five classes
    assert macro_mae(np.array([1, 3, 1]), np.array([1, 1, 5])) == 2.5
    assert math.isnan(macro_mae(np.array([], dtype=int), np.array([], dtype=int)))


def test_distribution_distances_extremes() -> None:
    d = rating_distribution(np.array([1, 1]), np.array([5, 5]))
    assert (d.total_variation, d.wasserstein_1) == (1.0, 4.0)  # all mass moved four rating points
    same = rating_distribution(np.array([2, 4, 4]), np.array([4, 2, 4]))
    assert (same.total_variation, same.wasserstein_1) == (0.0, 0.0)
    # predicted {1: 1, 3: 1}, truth {2: 2}: |P-Q| = 1/2 + 1 + 1/2 -> TV 1; CDF diffs 1/2, -1/2, 0, 0 -> W1 1
    d = rating_distribution(np.array([1, 3]), np.array([2, 2]))
    assert (d.total_variation, d.wasserstein_1) == (1.0, 1.0)


def test_constant_predictor_makes_every_pc_undefined() -> None:
    cells = [(c, i, i % 2 == 0, 1 + (c + i) % 5, 3) for c in (1, 2, 3) for i in range(1, 7)]
    result = human(make_tables(cells))
    for subset in ("all", "mentioned", "unmentioned"):
        m = result.metrics[subset]
        assert math.isnan(m.pc) and m.pc_conversations == 0 and m.pc_undefined == 3
    assert "n/a" in render_evaluation(result, "table")
    assert json.loads(render_evaluation(result, "json"))["metrics"]["all"]["pc"] is None


def test_mode_tie_goes_to_smallest_rating() -> None:
    # Seeker ratings: two 4s, two 2s, one 5 -> tie between 2 and 4 -> 2
    cells = [(1, 1, True, 4, 1), (1, 2, False, 2, 1), (1, 3, False, 4, 1), (1, 4, False, 2, 1),
             (1, 5, False, 5, 1)]
    tables = make_tables(cells)
    assert seeker_mode(tables) == 2
    assert set(baseline_predictions(tables, "mode").column("rating").to_pylist()) == {2}


def test_random_baseline_is_seeded_and_draws_seeker_ratings() -> None:
    cells = [(c, i, False, 1 + (c * i) % 3, 1) for c in range(1, 6) for i in range(1, 13)]  # ratings 1..3
    tables = make_tables(cells)
    one = baseline_predictions(tables, "random", seed=7)
    assert one.equals(baseline_predictions(tables, "random", seed=7))
    assert not one.equals(baseline_predictions(tables, "random", seed=8))
    assert set(one.column("rating").to_pylist()) <= {1, 2, 3}
    assert one.num_rows == len(cells)


def test_unknown_baseline_and_empty_ratings_are_usage_errors() -> None:
    tables = make_tables(worked_example())
    with pytest.raises(UsageError):
        baseline_predictions(tables, "oracle")
    with pytest.raises(UsageError):
        evaluate({"item_ratings": table_from_columns("item_ratings", {})}, long_predictions([]))


def test_human_baseline_equals_assistant_ratings() -> None:
    cells = worked_example()
    predictions = baseline_predictions(make_tables(cells), "human")
    assert sorted(zip(*(predictions.column(c).to_pylist() for c in ("conversation_id", "item_id", "rating")),
                      strict=True)) == sorted((c, i, p) for c, i, _, _, p in cells)


# --- prediction problems -----------------------------------------------------------------------------


def _codes(exc: pytest.ExceptionInfo[PredictionsInvalid]) -> list[str]:
    return [f.code for f in exc.value.findings]


def test_bad_predictions_are_listed_together() -> None:
    tables = make_tables(worked_example())
    rows: list[tuple[int, int, Any]] = [(c, i, p) for c, i, _, _, p in worked_example()]
    rows = rows[1:]  # conversation 1, item 1 missing
    rows.append((1, 2, 3))  # duplicate
    rows.append((9, 1, 3))  # unknown conversation
    rows.append((2, 1, 3))  # item 1 is not in conversation 2's catalogue
    rows[0] = (1, 2, 6)  # out of range
    with pytest.raises(PredictionsInvalid) as exc:
        evaluate(tables, long_predictions(rows))
    codes = _codes(exc)
    assert codes.count("predictions.missing") == 1
    assert codes.count("predictions.duplicate") == 1
    assert codes.count("predictions.extra") == 2
    assert codes.count("predictions.range") == 1
    messages = " ".join(f.message for f in exc.value.findings)
    assert "conversation 9 is not in the dataset" in messages
    assert "no prediction for item 1 of conversation 1" in messages


def test_allow_missing_scores_what_is_there() -> None:
    cells = worked_example()
    tables = make_tables(cells)
    rows = [(c, i, p) for c, i, _, _, p in cells if c == 1]  # conversation 2 unpredicted
    with pytest.raises(PredictionsInvalid) as exc:
        evaluate(tables, long_predictions(rows))
    assert _codes(exc) == ["predictions.missing"]
    result = evaluate(tables, long_predictions(rows), allow_missing=True)
    assert (result.expected_items, result.scored_items, result.missing_items) == (8, 4, 4)
    assert (result.conversations, result.conversations_scored, result.coverage) == (2, 1, 0.5)
    assert result.metrics["all"].mae == 0.5  # errors 0, 1, 1, 0 of conversation 1
    doc = result.to_dict()
    assert doc["coverage"]["missing_items"] == 4 and doc["coverage"]["share"] == 0.5
    # --allow-missing forgives missing cells only
    with pytest.raises(PredictionsInvalid) as exc:
        evaluate(tables, long_predictions([*rows, (1, 1, 2)]), allow_missing=True)
    assert _codes(exc) == ["predictions.duplicate"]


def _write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_long_csv_and_parquet(tmp_path: Path) -> None:
    cells = worked_example()
    tables = make_tables(cells)
    csv_text = "conversation_id,item_id,rating\n" + "".join(f"{c},{i},{p}.0\n" for c, i, _, _, p in cells)
    from_csv = read_predictions(_write_csv(tmp_path / "p.csv", csv_text), tables)
    assert from_csv.column("source_row").to_pylist() == list(range(2, 10))  # header is line 1
    parquet_path = tmp_path / "p.bin"  # recognised by its magic bytes, not its name
    pq.write_table(long_predictions([(c, i, p) for c, i, _, _, p in cells]), parquet_path)
    from_parquet = read_predictions(parquet_path, tables)
    expected = human(tables).to_dict()
    assert evaluate(tables, from_csv).to_dict()["metrics"] == expected["metrics"]
    assert evaluate(tables, from_parquet).to_dict()["metrics"] == expected["metrics"]


def _wide_csv(cells: list[Cell], n_items: int, extra: str = "") -> str:
    """The raw rating files' layout: every catalogue item column, -1 outside the conversation's items."""
    header = ["role", "participant_id", "conversation_id", *[f"item_{k}" for k in range(1, n_items + 1)],
              "rating_vec"]
    lines = [",".join(header)]
    for cid in sorted({c[0] for c in cells}):
        values = {i: p for c, i, _, _, p in cells if c == cid}
        vector = [values.get(k, -1) for k in range(1, n_items + 1)]
        lines.append(",".join(["Assistant", f"a{cid}", str(cid), *map(str, vector),
                               '"' + json.dumps(vector) + '"']))
    return "\n".join(lines) + "\n" + extra


def test_read_wide_layout(tmp_path: Path) -> None:
    cells = worked_example()
    tables = make_tables(cells)
    path = _write_csv(tmp_path / "wide.csv", _wide_csv(cells, 8))
    predictions = read_predictions(path, tables)
    assert predictions.num_rows == 8
    assert evaluate(tables, predictions).to_dict()["metrics"] == human(tables).to_dict()["metrics"]
    # Parquet wide with blanks (nulls) meaning "no prediction"
    wide = pa.table({"conversation_id": [1, 2], "item_1": [1, None], "item_2": [3, None], "item_3": [4, None],
                     "item_4": [1, None], "item_5": [None, 3], "item_6": [None, 2], "item_7": [None, 4],
                     "item_8": [None, 3]})
    pq.write_table(wide, tmp_path / "wide.parquet")
    again = read_predictions(tmp_path / "wide.parquet", tables)
    assert evaluate(tables, again).to_dict()["metrics"] == human(tables).to_dict()["metrics"]


def test_wide_layout_problems(tmp_path: Path) -> None:
    cells = worked_example()
    tables = make_tables(cells)
    text = _wide_csv(cells, 8).replace('"[1, 3, 4, 1, -1, -1, -1, -1]"', '"[1, 3, 4, 2, -1, -1, -1, -1]"')
    text = text.replace("Assistant,a2,2,-1,-1,-1,-1,3,2,4,3", "Assistant,a2,2,5,-1,-1,-1,3,2,4,7")
    with pytest.raises(PredictionsInvalid) as exc:
        read_predictions(_write_csv(tmp_path / "wide.csv", text), tables)
    problems = {(f.code, f.row, f.column) for f in exc.value.findings}
    assert ("predictions.rating-vec", 2, "rating_vec") in problems
    assert ("predictions.range", 3, "item_8") in problems
    assert ("predictions.extra", None, None) in problems  # item 1 is not in conversation 2's catalogue
    assert ("predictions.rating-vec", 3, "rating_vec") in problems  # row 3's item columns changed, its vector not
    assert len(problems) == 4


def test_wide_layout_with_multiline_cell_keeps_line_numbers(tmp_path: Path) -> None:
    cells = worked_example()
    # conversation 1's record spans lines 2-3 (a quoted interpretation with a newline); conversation 2's
    # record starts on line 4 and holds an out-of-range 9 in item_5
    text = ("conversation_id,item_1,item_2,item_3,item_4,item_5,item_6,item_7,item_8,assistant_interpretation\n"
            '1,1,3,4,1,-1,-1,-1,-1,"first line\nsecond line"\n'
            "2,-1,-1,-1,-1,9,2,4,3,plain\n")
    with pytest.raises(PredictionsInvalid) as exc:
        read_predictions(_write_csv(tmp_path / "wide.csv", text), make_tables(cells))
    assert [(f.code, f.row, f.column) for f in exc.value.findings] == [("predictions.range", 4, "item_5")]


@pytest.mark.parametrize(("text", "code", "row"), [
    ("conversation_id,item_id,rating\n1,1,x\n", "predictions.range", 2),
    ("conversation_id,item_id,rating\n1,1,2.5\n", "predictions.range", 2),
    ("conversation_id,item_id,rating\n1,1,0\n", "predictions.range", 2),
    ("conversation_id,item_id,rating\n1,1,-1\n", "predictions.range", 2),
    ("conversation_id,item_id,rating\n1,1,\n", "predictions.value", 2),
    ("conversation_id,item_id,rating\none,1,3\n", "predictions.value", 2),
    ("conversation_id,item_id,rating\n1,1\n", "predictions.read", 2),
    ("conversation_id,item_id,rating,model\n1,1,3,x\n", "predictions.columns", 1),
    ("conversation_id,item_id,item_id,rating\n", "predictions.columns", 1),
    ("conv,item,score\n1,1,3\n", "predictions.columns", 1),
    ("conversation_id,item_1,notes\n1,1,x\n", "predictions.columns", 1),
    ("", "predictions.read", None),
])
def test_predictions_file_problems(tmp_path: Path, text: str, code: str, row: int | None) -> None:
    tables = make_tables(worked_example())
    with pytest.raises(PredictionsInvalid) as exc:
        read_predictions(_write_csv(tmp_path / "p.csv", text), tables)
    first = exc.value.findings[0]
    assert (first.code, first.row) == (code, row)
    assert first.file == str(tmp_path / "p.csv")


def test_binary_file_is_a_read_problem(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PredictionsInvalid) as exc:
        read_predictions(path, make_tables(worked_example()))
    assert _codes(exc) == ["predictions.read"]
    broken = tmp_path / "p.parquet"
    broken.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(PredictionsInvalid) as exc:
        read_predictions(broken, make_tables(worked_example()))
    assert _codes(exc) == ["predictions.read"]


def test_bad_value_not_reported_again_as_missing(tmp_path: Path) -> None:
    cells = worked_example()
    lines = "".join(f"{c},{i},{9 if (c, i) == (1, 1) else p}\n" for c, i, _, _, p in cells)
    path = _write_csv(tmp_path / "p.csv", "conversation_id,item_id,rating\n" + lines)
    with pytest.raises(PredictionsInvalid) as exc:
        run_evaluation(_source(make_tables(cells)), path)
    assert _codes(exc) == ["predictions.range"]


def _source(tables: dict[str, pa.Table]) -> Any:
    from vogue_pack.analysis.stats import Source

    return Source(tables, "release")


# --- properties --------------------------------------------------------------------------------------


@st.composite
def datasets(draw: st.DrawFn) -> list[Cell]:
    """1..6 conversations of 1..8 items with random g, p in 1..5 and random mentioned flags."""
    cells: list[Cell] = []
    for cid in range(1, draw(st.integers(1, 6)) + 1):
        for iid in range(1, draw(st.integers(1, 8)) + 1):
            cells.append((cid, cid * 100 + iid, draw(st.booleans()), draw(st.integers(1, 5)),
                          draw(st.integers(1, 5))))
    return cells


@settings(max_examples=60, deadline=None)
@given(datasets())
def test_perfect_predictor(cells: list[Cell]) -> None:
    tables = make_tables([(c, i, m, g, g) for c, i, m, g, _ in cells])
    m = human(tables).metrics["all"]
    assert m.accuracy == 1 and m.mae == 0 and m.macro_mae == 0
    assert m.distribution.total_variation == 0 and m.distribution.wasserstein_1 == 0
    by_conversation: dict[int, set[int]] = {}
    for c, _, _, g, _ in cells:
        by_conversation.setdefault(c, set()).add(g)
    defined = sum(1 for values in by_conversation.values() if len(values) > 1)
    assert m.pc_conversations == defined and m.pc_undefined == len(by_conversation) - defined
    if defined:
        assert m.pc == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(datasets())
def test_mode_macro_mae_follows_from_ground_truth(cells: list[Cell]) -> None:
    counts: dict[int, int] = {}
    for _, _, _, g, _ in cells:
        counts[g] = counts.get(g, 0) + 1
    mode = min(counts, key=lambda k: (-counts[k], k))
    classes: dict[int, set[int]] = {}
    for c, _, _, g, _ in cells:
        classes.setdefault(c, set()).add(g)
    expected = sum(sum(abs(mode - k) for k in ks) / len(ks) for ks in classes.values()) / len(classes)
    tables = make_tables(cells)
    result = evaluate(tables, baseline_predictions(tables, "mode"))
    assert result.metrics["all"].macro_mae == pytest.approx(expected, abs=1e-12)
    assert result.metrics["all"].pc_conversations == 0


@settings(max_examples=40, deadline=None)
@given(datasets(), st.randoms(use_true_random=False))
def test_metrics_do_not_depend_on_row_order(cells: list[Cell], rnd: random.Random) -> None:
    tables = make_tables(cells)
    predictions = baseline_predictions(tables, "human")
    shuffled_cells = list(cells)
    rnd.shuffle(shuffled_cells)
    order = list(range(predictions.num_rows))
    rnd.shuffle(order)
    one = evaluate(tables, predictions).to_dict(per_conversation=True)
    two = evaluate(make_tables(shuffled_cells), predictions.take(order)).to_dict(per_conversation=True)
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_per_conversation_rows_follow_the_metric_functions(cells: list[Cell]) -> None:
    """The grouped computation inside evaluate() equals pearson()/macro_mae() on each conversation."""
    rows = human(make_tables(cells)).per_conversation.to_pylist()
    for row in rows:
        chosen = [c for c in cells if c[0] == row["conversation_id"]
                  and (row["subset"] == "all" or c[2] == (row["subset"] == "mentioned"))]
        p = np.array([c[4] for c in chosen])
        g = np.array([c[3] for c in chosen])
        assert row["items"] == len(chosen)
        assert row["accuracy"] == pytest.approx(float((p == g).mean()))
        r = pearson(p, g)
        assert (math.isnan(r) and math.isnan(row["pearson"])) or row["pearson"] == pytest.approx(r, abs=1e-12)
        assert row["macro_mae"] == pytest.approx(macro_mae(p, g), abs=1e-12)


# --- Python == SQL -----------------------------------------------------------------------------------


def sql_metrics(tables: dict[str, pa.Table]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    con = duckdb.connect()
    try:
        for name in ("item_ratings", "conversation_items"):
            con.register(name, tables[name])
        create_metric_views(con)
        overall = con.sql("SELECT * FROM metrics_human_overall ORDER BY subset").to_arrow_table()
        per = con.sql("SELECT * FROM metrics_human_per_conversation ORDER BY subset, conversation_id")
        return overall.to_pylist(), per.to_arrow_table().to_pylist()
    finally:
        con.close()


def _same(python: float | int | None, sql: float | int | None) -> bool:
    if python is None or (isinstance(python, float) and math.isnan(python)):
        return sql is None
    return sql is not None and abs(python - sql) <= 1e-9


def assert_python_equals_sql(tables: dict[str, pa.Table]) -> None:
    result = human(tables)
    overall, per = sql_metrics(tables)
    assert [row["subset"] for row in overall] == ["all", "mentioned", "unmentioned"]
    for row in overall:
        m = result.metrics[row["subset"]]
        pairs = {
            "items": m.items, "conversations": m.conversations, "accuracy": m.accuracy, "pc": m.pc,
            "pc_conversations": m.pc_conversations, "pc_undefined": m.pc_undefined, "mae": m.mae,
            "macro_mae": m.macro_mae, "total_variation": m.distribution.total_variation,
            "wasserstein_1": m.distribution.wasserstein_1,
            **{f"mae_gt_{k}": m.mae_by_class[k] for k in range(1, 6)},
            **{f"items_gt_{k}": m.items_by_class[k] for k in range(1, 6)},
        }
        assert set(pairs) | {"subset"} == set(row)
        for key, value in pairs.items():
            assert _same(value, row[key]), (row["subset"], key, value, row[key])
    python_rows = result.per_conversation.to_pylist()
    assert len(python_rows) == len(per)
    for mine, theirs in zip(python_rows, per, strict=True):
        assert set(mine) == set(theirs)
        for key, value in mine.items():
            assert value == theirs[key] if isinstance(value, str) else _same(value, theirs[key]), (mine, theirs)


def test_sql_views_equal_python_on_worked_example() -> None:
    assert_python_equals_sql(make_tables(worked_example()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_sql_views_equal_python(cells: list[Cell]) -> None:
    assert_python_equals_sql(make_tables(cells))


@pytest.fixture(scope="module")
def synthetic_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real release (vogue-pack's builder) of a 12-conversation synthetic tree."""
    from release_support import EPOCH

    from vogue_pack.release.build import build_release
    from vogue_pack.synth import write_tree
    from vogue_pack.validate.pipeline import validate

    base = tmp_path_factory.mktemp("metrics-release")
    info = write_tree(base / "raw", conversations=12, seed=11)
    return build_release(validate(info.root), "1.0", base / "release", source_date_epoch=EPOCH).path


def test_release_database_views_equal_python(synthetic_release: Path) -> None:
    """The views inside the built vogue.duckdb reproduce evaluate(--baseline human) to 1e-9."""
    from vogue_pack.analysis.stats import load_tables
    from vogue_pack.release.format import connect_database

    tables = load_tables(synthetic_release)
    result = human(tables)
    assert result.scored_items == result.expected_items == 12 * 12
    con = connect_database(synthetic_release / "vogue.duckdb", read_only=True)
    try:
        overall = con.sql("SELECT * FROM metrics_human_overall ORDER BY subset").to_arrow_table().to_pylist()
        per = con.sql("SELECT * FROM metrics_human_per_conversation ORDER BY subset, conversation_id")
        per_rows = per.to_arrow_table().to_pylist()
    finally:
        con.close()
    for row in overall:
        m = result.metrics[row["subset"]]
        for key, value in (("items", m.items), ("accuracy", m.accuracy), ("pc", m.pc), ("mae", m.mae),
                           ("pc_undefined", m.pc_undefined), ("macro_mae", m.macro_mae),
                           ("total_variation", m.distribution.total_variation),
                           ("wasserstein_1", m.distribution.wasserstein_1),
                           *((f"mae_gt_{k}", m.mae_by_class[k]) for k in range(1, 6))):
            assert _same(value, row[key]), (row["subset"], key)
    python_rows = result.per_conversation.to_pylist()
    assert [(r["subset"], r["conversation_id"]) for r in python_rows] == [
        (r["subset"], r["conversation_id"]) for r in per_rows]
    for mine, theirs in zip(python_rows, per_rows, strict=True):
        assert all(_same(mine[k], theirs[k]) for k in ("accuracy", "pearson", "mae", "macro_mae"))


def test_release_and_raw_tree_score_alike(synthetic_release: Path) -> None:
    """The raw tree, its release and the raw assistant file read as a wide predictions file agree;
    the raw seeker file read as predictions is a perfect predictor."""
    raw = synthetic_release.parent.parent / "raw" / "data"
    from_release = run_evaluation(synthetic_release, baseline="human").to_dict()
    from_raw = run_evaluation(raw, baseline="human").to_dict()
    assistant_file = raw / "conversation_trials" / "item_ratings" / "assistant_ratings.csv"
    from_file = run_evaluation(synthetic_release, assistant_file).to_dict()
    assert from_release["metrics"] == from_raw["metrics"] == from_file["metrics"]
    from vogue_pack.analysis.stats import compute_stats, load_tables

    # the statistics of the dataset card: the release and the tree it was built from agree
    assert compute_stats(load_tables(synthetic_release)) == compute_stats(load_tables(raw))
    seeker_file = raw / "conversation_trials" / "item_ratings" / "seeker_ratings.csv"
    perfect = run_evaluation(synthetic_release, seeker_file).metrics["all"]
    assert (perfect.accuracy, perfect.mae, perfect.macro_mae) == (1.0, 0.0, 0.0)


def test_cli_evaluate_release_and_query(synthetic_release: Path) -> None:
    """`vogue-pack query` over the release's views reproduces `vogue-pack evaluate --baseline human`."""
    runner = CliRunner()
    result = runner.invoke(cli, ["evaluate", str(synthetic_release), "--baseline", "human", "--format", "json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["coverage"]["expected_items"] == 12 * 12
    query = runner.invoke(cli, ["query", str(synthetic_release), "--format", "json",
                                "SELECT subset, accuracy, pc, mae, macro_mae FROM metrics_human_overall"])
    assert query.exit_code == 0, query.output
    rows = json.loads(query.stdout)
    assert [r["subset"] for r in rows] == ["all", "mentioned", "unmentioned"]
    for row in rows:
        mine = scores["metrics"][row["subset"]]
        for key in ("accuracy", "pc", "mae", "macro_mae"):
            assert _same(mine[key], row[key]), (row["subset"], key)


# --- CLI ---------------------------------------------------------------------------------------------


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """A minimal release folder (tables/*.parquet) holding the worked example."""
    folder = tmp_path / "release" / "1.0"
    (folder / "tables").mkdir(parents=True)
    for name, table in make_tables(worked_example()).items():
        pq.write_table(table, folder / "tables" / f"{name}.parquet")
    return folder


def test_cli_evaluate_baselines(release: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(cli, ["evaluate", str(release), "--baseline", "human"])
    assert table.exit_code == 0, table.output
    assert "0.5833" in table.output and "1 of 2" in table.output
    as_json = runner.invoke(cli, ["evaluate", str(release), "--baseline", "mode", "--format", "json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["metrics"]["all"]["macro_mae"] == pytest.approx(5 / 6)
    seeded = [runner.invoke(cli, ["evaluate", str(release), "--baseline", "random", "--seed", "3",
                                  "--format", "json"]).stdout for _ in range(2)]
    assert seeded[0] == seeded[1] and json.loads(seeded[0])["predictor"] == "baseline random (seed 3)"


def test_cli_evaluate_predictions_file(release: Path, tmp_path: Path) -> None:
    cells = worked_example()
    good = _write_csv(tmp_path / "good.csv", "conversation_id,item_id,rating\n"
                      + "".join(f"{c},{i},{p}\n" for c, i, _, _, p in cells))
    result = CliRunner().invoke(cli, ["evaluate", str(release), str(good), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["metrics"]["all"]["accuracy"] == 0.5
    partial = _write_csv(tmp_path / "partial.csv", "conversation_id,item_id,rating\n1,1,1\n1,2,3\n")
    bad = CliRunner().invoke(cli, ["evaluate", str(release), str(partial)])
    assert bad.exit_code == 1
    assert "predictions.missing" in bad.stderr and "--allow-missing" in bad.stderr
    bad_json = CliRunner().invoke(cli, ["evaluate", str(release), str(partial), "--format", "json"])
    assert bad_json.exit_code == 1 and json.loads(bad_json.stdout)["valid"] is False
    allowed = CliRunner().invoke(cli, ["evaluate", str(release), str(partial), "--allow-missing"])
    assert allowed.exit_code == 0
    assert "2/8 items scored" in allowed.stdout and "6 of 8 rated items have no prediction" in allowed.stderr


@pytest.mark.parametrize("args", [
    [],  # neither predictions nor --baseline
    ["--baseline", "human", "human=PREDICTIONS"],  # two predictors of one name
    ["--baseline", "mode", "--reference", "oracle"],
    ["--baseline", "mode", "--bootstrap", "-1"],
    ["--baseline", "oracle"],
    ["--format", "xml", "--baseline", "human"],
])
def test_cli_evaluate_usage_errors(release: Path, tmp_path: Path, args: list[str]) -> None:
    predictions = _write_csv(tmp_path / "p.csv", "conversation_id,item_id,rating\n")
    args = [a.replace("PREDICTIONS", str(predictions)) for a in args]
    result = CliRunner().invoke(cli, ["evaluate", str(release), *args])
    assert result.exit_code == 2, result.output


def test_cli_evaluate_missing_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", str(tmp_path / "nope"), "--baseline", "human"])
    assert result.exit_code == 2


def test_check_predictions_on_table_without_columns() -> None:
    problems = check_predictions(make_tables(worked_example()), pa.table({"conversation_id": [1]}))
    assert [p.code for p in problems] == ["predictions.columns"]


# --- the column-wise paths equal the row loops (their definition) --------------------------------------

_IDS = st.one_of(st.integers(1, 4), st.none())


@st.composite
def damaged_tables(draw: st.DrawFn) -> dict[str, pa.Table]:
    """item_ratings and conversation_items as no valid release has them: repeated cells (a Seeker or an
    Assistant rating a cell twice), null ids, roles other than the two, null and out-of-range ratings."""
    ids = _IDS if draw(st.booleans()) else st.integers(1, 4)
    n = draw(st.integers(1, 40))
    ratings = pa.table({
        "conversation_id": pa.array(draw(st.lists(ids, min_size=n, max_size=n)), pa.int32()),
        "item_id": pa.array(draw(st.lists(ids, min_size=n, max_size=n)), pa.int32()),
        "role": pa.array(draw(st.lists(st.sampled_from(["Seeker", "Assistant", "Guest", None]),
                                       min_size=n, max_size=n)), pa.string()),
        "rating": pa.array(draw(st.lists(st.one_of(st.integers(0, 6), st.none()), min_size=n, max_size=n)),
                           pa.int16()),
    })
    m = draw(st.integers(0, 20))
    items = pa.table({
        "conversation_id": pa.array(draw(st.lists(ids, min_size=m, max_size=m)), pa.int32()),
        "item_id": pa.array(draw(st.lists(ids, min_size=m, max_size=m)), pa.int32()),
        "mentioned": pa.array(draw(st.lists(st.one_of(st.booleans(), st.none()), min_size=m, max_size=m)),
                              pa.bool_()),
    })
    return {"item_ratings": ratings, "conversation_items": items}


def _truth_or_none(tables: dict[str, pa.Table]) -> pa.Table | None:
    from vogue_pack.analysis.predictions import ground_truth

    try:
        return ground_truth(tables)
    except UsageError:  # no Seeker rating: nothing to compare
        return None


def _null_last(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(part for value in key for part in (value is None, value or 0))


@settings(max_examples=150, deadline=None)
@given(damaged_tables())
def test_ground_truth_is_its_definition(tables: dict[str, pa.Table]) -> None:
    """The Seeker's readable ratings, each mentioned when a mentioned row of the catalogue names its cell
    (a null id names nothing), in (conversation_id, item_id) order, nulls last."""
    truth = _truth_or_none(tables)
    ratings, items = tables["item_ratings"], tables["conversation_items"]
    flagged = {(c, i) for c, i, m in zip(*(items.column(n).to_pylist() for n in ("conversation_id", "item_id",
                                                                                   "mentioned")), strict=True)
               if m and c is not None and i is not None}
    expected = [(c, i, r, (c, i) in flagged)
                for c, i, role, r in zip(*(ratings.column(n).to_pylist()
                                           for n in ("conversation_id", "item_id", "role", "rating")), strict=True)
                if role == "Seeker" and r is not None]
    if truth is None:
        assert not expected
        return
    rows = list(zip(*(truth.column(n).to_pylist() for n in ("conversation_id", "item_id", "rating", "mentioned")),
                    strict=True))
    assert [r[:2] for r in rows] == sorted((r[:2] for r in expected), key=_null_last)
    assert sorted(rows, key=_null_last) == sorted(expected, key=_null_last)


@settings(max_examples=150, deadline=None)
@given(damaged_tables())
def test_human_baseline_is_its_row_loop(tables: dict[str, pa.Table]) -> None:
    from vogue_pack.analysis.predictions import _human_predictions, _human_predictions_rows

    truth = _truth_or_none(tables)
    if truth is not None:
        fast = _human_predictions(tables["item_ratings"], truth)
        assert fast.equals(_human_predictions_rows(tables["item_ratings"], truth))
        assert fast.schema == baseline_predictions(make_tables(worked_example()), "human").schema


@st.composite
def predictions_for(draw: st.DrawFn, truth: pa.Table) -> pa.Table:
    """Predictions of ``truth``'s cells, damaged at random: cells left out, predicted twice, cells of no
    conversation or of another one, null ids, ids beyond int32, ratings out of range, fractional or NaN."""
    cells = list(zip(truth.column("conversation_id").to_pylist(), truth.column("item_id").to_pylist(), strict=True))
    kept = [cell for cell in cells if draw(st.integers(0, 9)) > 0]
    kept += draw(st.lists(st.sampled_from(cells), max_size=2))  # predicted twice
    kept += draw(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), max_size=2))  # extra cells
    if draw(st.integers(0, 9)) == 0:
        kept.append((None, 1))
    wide = draw(st.integers(0, 9)) == 0
    if wide:
        kept.append((2**31 + 5, 1))
    floats = draw(st.booleans())
    good = st.integers(1, 5).map(float) if floats else st.integers(1, 5)
    odd = st.sampled_from([0.0, 2.5, math.nan, 6.0, None]) if floats else st.sampled_from([0, 6, None])
    values = [draw(odd) if draw(st.integers(0, 14)) == 0 else draw(good) for _ in kept]
    id_type = pa.int64() if wide else pa.int32()
    return pa.table({"conversation_id": pa.array([c for c, _ in kept], id_type),
                     "item_id": pa.array([i for _, i in kept], id_type),
                     "rating": pa.array(values, pa.float64() if floats else pa.int16())})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), st.data())
def test_prediction_checks_are_the_row_loop(cells: list[Cell], data: st.DataObject) -> None:
    """check_predictions answers "no problem" column-wise only when the row loop finds none; the problems
    themselves come from the row loop."""
    from vogue_pack.analysis.predictions import _prediction_problems, _scorable, ground_truth, scored_cells

    tables = make_tables(cells)
    truth = ground_truth(tables)
    predictions = data.draw(predictions_for(truth))
    for allow_missing in (False, True):
        loop = _prediction_problems(tables, truth, predictions, allow_missing, "p", None)
        if _scorable(tables, truth, predictions, allow_missing):
            assert loop == []
        assert [f.to_dict() for f in check_predictions(tables, predictions, allow_missing, "p")] == [
            f.to_dict() for f in loop]
    if not _prediction_problems(tables, truth, predictions, True, "p", None):
        from vogue_pack.analysis.predictions import integer_ratings

        joined = truth.join(pa.table({
            "conversation_id": predictions.column("conversation_id").cast(pa.int32()),
            "item_id": predictions.column("item_id").cast(pa.int32()),
            "prediction": integer_ratings(predictions.column("rating"))}),
            ["conversation_id", "item_id"], join_type="inner").sort_by(
            [("conversation_id", "ascending"), ("item_id", "ascending")])
        assert scored_cells(truth, predictions).equals(joined)


def test_clean_predictions_are_decided_column_wise() -> None:
    from vogue_pack.analysis.predictions import _scorable, ground_truth

    tables = make_tables(worked_example())
    predictions = baseline_predictions(tables, "human")
    assert _scorable(tables, ground_truth(tables), predictions, allow_missing=False)
    assert not _scorable(tables, ground_truth(tables), predictions.slice(1), allow_missing=False)
    assert _scorable(tables, ground_truth(tables), predictions.slice(1), allow_missing=True)


@settings(max_examples=60, deadline=None)
@given(datasets(), st.integers(0, 3))
def test_mode_and_random_baselines_are_their_definitions(cells: list[Cell], seed: int) -> None:
    from collections import Counter

    tables = make_tables(cells)
    ordered = sorted((c, i, g) for c, i, _, g, _ in cells)
    counts = Counter(g for _, _, g in ordered)
    mode = min(counts, key=lambda k: (-counts[k], k))
    values = sorted(counts)
    draws = np.random.default_rng(seed).choice(np.array(values), size=len(ordered),
                                               p=np.array([counts[v] / len(ordered) for v in values]))
    for name, expected in (("mode", [mode] * len(ordered)), ("random", [int(v) for v in draws])):
        table = baseline_predictions(tables, name, seed)
        assert table.equals(pa.table({"conversation_id": pa.array([c for c, _, _ in ordered], pa.int32()),
                                      "item_id": pa.array([i for _, i, _ in ordered], pa.int32()),
                                      "rating": pa.array(expected, pa.int16())}))


def test_per_conversation_table_schema() -> None:
    table = human(make_tables(worked_example())).per_conversation
    assert table.schema == pa.schema([
        ("subset", pa.string()), ("conversation_id", pa.int32()), ("items", pa.int32()),
        ("accuracy", pa.float64()), ("pearson", pa.float64()), ("mae", pa.float64()),
        ("macro_mae", pa.float64())])
    assert [row["subset"] for row in table.to_pylist()] == ["all"] * 2 + ["mentioned"] * 2 + ["unmentioned"] * 2


def test_missing_columns_are_said_before_the_ground_truth_is_read() -> None:
    empty = {"item_ratings": table_from_columns("item_ratings", {})}
    with pytest.raises(PredictionsInvalid) as exc:
        evaluate(empty, pa.table({"conversation_id": [1]}))
    assert _codes(exc) == ["predictions.columns"]
