"""The leaderboard: bootstrap intervals, paired comparisons, the cells file, and every predictions layout.

The worked bootstrap example of docs/metrics.md is recomputed here with a plain-Python loop over the same
resample indices (the only thing shared with the library is the documented index matrix), and the paired
test is checked on a predictor against itself and on a planted difference.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import copy_raw_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_metrics import make_tables

from vogue_pack.analysis.leaderboard import (
    METRICS,
    Predictor,
    build_leaderboard,
    cells_table,
    render_leaderboard,
    run_leaderboard,
)
from vogue_pack.analysis.metrics import SUBSETS, evaluate
from vogue_pack.analysis.predictions import PredictionsInvalid, baseline_predictions, ground_truth, parse_predictions
from vogue_pack.cli import cli
from vogue_pack.synth import SynthInfo

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _doc_block(marker: str) -> str:
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    return text.split(f"<!-- {marker} -->", 1)[1].split("<!-- end -->", 1)[0]


def _doc_rows(marker: str) -> list[list[str]]:
    lines = _doc_block(marker).strip().splitlines()
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines[2:]]


def _predictor(name: str, rows: list[tuple[int, int, int]]) -> Predictor:
    return Predictor(name, name, "long", pa.table({
        "conversation_id": pa.array([r[0] for r in rows], pa.int32()),
        "item_id": pa.array([r[1] for r in rows], pa.int32()),
        "rating": pa.array([r[2] for r in rows], pa.int16())}))


def _example() -> tuple[dict[str, pa.Table], dict[str, list[tuple[int, int, int]]], list[tuple[int, int, int]]]:
    """The bootstrap example: tables (g), the predictions of A and B, and the (conversation, item, g) cells."""
    rows = [(int(c), int(i), m == "yes", int(g), int(a), int(b))
            for c, i, m, g, a, b in _doc_rows("bootstrap-example-input")]
    tables = make_tables([(c, i, m, g, a) for c, i, m, g, a, _ in rows])
    predictions = {"A": [(c, i, a) for c, i, _, _, a, _ in rows], "B": [(c, i, b) for c, i, _, _, _, b in rows]}
    return tables, predictions, [(c, i, g) for c, i, _, g, _, _ in rows]


def _cells_of(table: pa.Table) -> dict[tuple[int, int], int]:
    return {(r["conversation_id"], r["item_id"]): r["rating"] for r in table.to_pylist()}


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default), written out."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def _plain_metric(cells: list[tuple[int, int, int]], predicted: dict[tuple[int, int], int], drawn: list[int],
                  metric: str) -> float:
    """accuracy or MAE of the cells of the drawn conversations (each as often as drawn), by hand."""
    right = errors = items = 0
    for cid in drawn:
        for c, i, g in cells:
            if c == cid:
                p = predicted[(c, i)]
                right += p == g
                errors += abs(p - g)
                items += 1
    return (right if metric == "accuracy" else errors) / items


def test_worked_bootstrap_example_matches_docs_and_a_plain_loop() -> None:
    tables, predictions, cells = _example()
    board = build_leaderboard(tables, [_predictor(n, p) for n, p in predictions.items()], reference="A",
                              resamples=1000, seed=0)
    conversations = sorted({c for c, _, _ in cells})
    index = np.random.default_rng(0).integers(0, len(conversations), size=(1000, len(conversations)))
    resamples = [[conversations[k] for k in row] for row in index.tolist()]
    by_cell = {name: {(c, i): p for c, i, p in rows} for name, rows in predictions.items()}

    def plain(name: str, metric: str) -> tuple[float, float, float, list[float]]:
        values = [_plain_metric(cells, by_cell[name], drawn, metric) for drawn in resamples]
        return (_plain_metric(cells, by_cell[name], conversations, metric), _quantile(values, 0.025),
                _quantile(values, 0.975), values)

    documented = {row[0]: row[1:] for row in _doc_rows("bootstrap-example-results")}
    assert len(documented) == 5
    for label, (value, interval, p_text) in documented.items():
        low_text, high_text = (t.strip() for t in interval.split(".."))
        match = re.fullmatch(r"(A|B)( − A)? (accuracy|MAE)", label)
        assert match is not None, label
        name, is_difference, metric = match.group(1), bool(match.group(2)), match.group(3).lower()
        if is_difference:
            b_value, _, _, b_values = plain(name, metric)
            a_value, _, _, a_values = plain("A", metric)
            differences = [x - y for x, y in zip(b_values, a_values, strict=True)]
            observed = b_value - a_value
            mean = sum(differences) / len(differences)
            p = (1 + sum(abs(d - mean) >= abs(observed) for d in differences)) / (1 + len(differences))
            expected = (observed, _quantile(differences, 0.025), _quantile(differences, 0.975), p)
            got = board.row(name).comparison["all"][metric]  # type: ignore[index]
            library = (got.difference, got.low, got.high, got.p_value)
            assert float(p_text) == pytest.approx(p, abs=5e-4)
        else:
            expected = plain(name, metric)[:3]
            estimate = board.row(name).estimates["all"][metric]
            library = (estimate.value, estimate.low, estimate.high)
            assert p_text == ""
        assert library == pytest.approx(expected, abs=1e-12), label
        assert (float(value), float(low_text), float(high_text)) == pytest.approx(expected[:3], abs=5e-5), label


def test_point_estimates_equal_the_single_predictor_metrics() -> None:
    tables, predictions, _ = _example()
    board = build_leaderboard(tables, [_predictor(n, p) for n, p in predictions.items()], reference="A",
                              resamples=50, seed=3)
    for row in board.rows:
        result = evaluate(tables, row.predictor.table)
        for subset in SUBSETS:
            m = result.metrics[subset]
            single = {"accuracy": m.accuracy, "pc": m.pc, "mae": m.mae, "macro_mae": m.macro_mae,
                      "total_variation": m.distribution.total_variation,
                      "wasserstein_1": m.distribution.wasserstein_1,
                      **{f"mae_gt_{k}": m.mae_by_class[k] for k in range(1, 6)}}
            for metric in METRICS:
                got = row.estimates[subset][metric].value
                assert (math.isnan(got) and math.isnan(single[metric])) or got == pytest.approx(
                    single[metric], abs=1e-12), (row.predictor.name, subset, metric)


def test_same_seed_same_numbers_and_intervals_contain_the_value() -> None:
    tables, predictions, _ = _example()
    predictors = [_predictor(n, p) for n, p in predictions.items()]
    first = build_leaderboard(tables, predictors, reference="A", resamples=200, seed=5).to_dict()
    again = build_leaderboard(tables, predictors, reference="A", resamples=200, seed=5).to_dict()
    other = build_leaderboard(tables, predictors, reference="A", resamples=200, seed=6).to_dict()
    assert json.dumps(first) == json.dumps(again)
    assert json.dumps(first) != json.dumps(other)
    for entry in first["predictors"]:
        for subset in SUBSETS:
            for metric, e in entry["metrics"][subset].items():
                if e["low"] is not None and e["value"] is not None:
                    assert e["low"] - 1e-12 <= e["value"] <= e["high"] + 1e-12 or metric == "pc"


@pytest.fixture(scope="module")
def release60(clean_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real release of the clean 60-conversation synthetic tree (and its raw tree beside it)."""
    from release_support import EPOCH

    from vogue_pack.release.build import build_release
    from vogue_pack.validate.pipeline import validate

    base = tmp_path_factory.mktemp("leaderboard-release")
    raw = copy_raw_tree(clean_tree, base / "raw")
    return build_release(validate(raw), "1.0", base / "release", source_date_epoch=EPOCH).path


def test_a_predictor_against_itself_shows_no_difference(release60: Path) -> None:
    from vogue_pack.analysis.stats import load_source

    tables = load_source(release60).tables
    human = baseline_predictions(tables, "human")
    board = build_leaderboard(tables, [Predictor("copy", "copy", "long", human)], reference="human",
                              resamples=500, seed=1)
    comparison = board.row("copy").comparison
    assert comparison is not None
    for subset in SUBSETS:
        for metric in METRICS:
            c = comparison[subset][metric]
            assert (c.difference, c.low, c.high, c.p_value) == (0.0, 0.0, 0.0, 1.0), (subset, metric)
            assert not c.excludes_zero
    assert not re.search(r"\d\*", render_leaderboard(board).split("difference from the reference")[1])


def test_a_planted_difference_is_found(release60: Path) -> None:
    """The human ratings with one in four cells corrected to the truth: better, and the test says so; the
    same predictor with the corrections undone again on the mentioned items differs there only by chance."""
    from vogue_pack.analysis.stats import load_source

    tables = load_source(release60).tables
    truth = ground_truth(tables).to_pylist()
    human = _cells_of(baseline_predictions(tables, "human"))
    improved = [(r["conversation_id"], r["item_id"],
                 r["rating"] if n % 4 == 0 else human[(r["conversation_id"], r["item_id"])])
                for n, r in enumerate(truth)]
    board = build_leaderboard(tables, [_predictor("improved", improved)], reference="human", resamples=1000, seed=0)
    comparison = board.row("improved").comparison
    assert comparison is not None
    accuracy, mae = comparison["all"]["accuracy"], comparison["all"]["mae"]
    assert accuracy.difference > 0 and accuracy.low > 0 and accuracy.excludes_zero and accuracy.p_value < 0.01
    assert mae.difference < 0 and mae.high < 0 and mae.p_value < 0.01
    table = render_leaderboard(board)
    assert re.search(r"improved\s+\+0\.\d{3}\* p=0\.00", table)


def test_cli_leaderboard_json_table_and_reference(release60: Path, tmp_path: Path) -> None:
    raw = release60.parent.parent / "raw" / "data"
    assistant = raw / "conversation_trials" / "item_ratings" / "assistant_ratings.csv"
    runner = CliRunner()
    args = ["evaluate", str(release60), f"assist={assistant}", "--baseline", "mode", "--bootstrap", "200"]
    table = runner.invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "±" in table.stdout and "human ◆" in table.stdout and "difference from the reference human" in table.stdout
    as_json = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    assert as_json["kind"] == "leaderboard" and as_json["bootstrap"]["resamples"] == 200
    assert [p["name"] for p in as_json["predictors"]] == ["human", "mode", "assist"]
    assert as_json["predictors"][0]["comparison"] is None and as_json["predictors"][0]["is_reference"]
    assert as_json["predictors"][2]["comparison"]["all"]["mae"]["p_value"] == 1.0
    by_mode = json.loads(runner.invoke(cli, [*args, "--reference", "mode", "--format", "json"]).stdout)
    assert [p["name"] for p in by_mode["predictors"]] == ["mode", "assist"]
    # one predictor without --bootstrap: the single-predictor report, unchanged
    single = runner.invoke(cli, ["evaluate", str(release60), "--baseline", "human"])
    assert single.stdout.startswith("predictor: baseline human\n")
    page = tmp_path / "board.html"
    with_page = runner.invoke(cli, ["evaluate", str(release60), "--baseline", "human", "--html", str(page)])
    assert with_page.exit_code == 0 and with_page.stdout == single.stdout
    assert "<svg" in page.read_text(encoding="utf-8")
    one_compared = runner.invoke(cli, ["evaluate", str(release60), "--baseline", "mode", "--reference", "human",
                                       "--bootstrap", "50"])
    assert "difference from the reference human" in one_compared.stdout


def test_cells_file_and_the_documented_queries(release60: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    (work / "release").mkdir(parents=True)
    shutil.copytree(release60, work / "release" / "1.0")
    monkeypatch.chdir(work)
    result = CliRunner().invoke(cli, ["evaluate", "release/1.0", "--baseline", "human", "--baseline", "mode",
                                      "--bootstrap", "0", "--cells", "cells.parquet"])
    assert result.exit_code == 0, result.output
    cells = pq.read_table(work / "cells.parquet")
    assert cells.column_names == ["predictor", "conversation_id", "item_id", "mentioned", "predicted", "true"]
    assert cells.num_rows == 2 * 720
    queries = re.findall(r"```sql\n(.*?)```", _doc_block("cells-queries"), flags=re.S)
    assert len(queries) == 3
    connection = duckdb.connect()
    answers = [connection.execute(q).fetchall() for q in queries]
    from vogue_pack.analysis.stats import load_source

    tables = load_source(release60).tables
    for predictor, mentioned, accuracy, mae in answers[0]:
        subset = "mentioned" if mentioned else "unmentioned"
        expected = evaluate(tables, baseline_predictions(tables, predictor)).metrics[subset]
        assert (accuracy, mae) == pytest.approx((expected.accuracy, expected.mae), abs=1e-12)
    human = _cells_of(baseline_predictions(tables, "human"))
    mode = baseline_predictions(tables, "mode").column("rating")[0].as_py()
    assert len(answers[1]) == sum(1 for v in human.values() if v != mode) and answers[1][0][2]
    by_rating = evaluate(tables, baseline_predictions(tables, "human")).metrics["all"].mae_by_class
    columns = [d[0] for d in connection.execute(queries[2]).description]
    for row in answers[2]:
        assert row[columns.index("human")] == pytest.approx(by_rating[row[0]], abs=1e-12)


def test_cells_table_rows_per_predictor() -> None:
    tables, predictions, cells = _example()
    board = build_leaderboard(tables, [_predictor(n, p) for n, p in predictions.items()], reference="A",
                              resamples=0)
    table = cells_table(board)
    assert table.num_rows == 2 * len(cells)
    assert all(board.row(n).comparison is None for n in ("A", "B"))


# --- every layout reads to the same cells ------------------------------------------------------------


def _write_layouts(folder: Path, rows: list[tuple[int, int, int]]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    by_conversation: dict[int, dict[int, int]] = {}
    for c, i, r in rows:
        by_conversation.setdefault(c, {})[i] = r
    items = sorted({i for _, i, _ in rows})
    paths: dict[str, Path] = {}
    paths["long.csv"] = folder / "long.csv"
    paths["long.csv"].write_text("conversation_id,item_id,rating\n" + "".join(f"{c},{i},{r}\n" for c, i, r in rows))
    paths["long.parquet"] = folder / "long.parquet"
    pq.write_table(pa.table({"conversation_id": [c for c, _, _ in rows], "item_id": [i for _, i, _ in rows],
                             "rating": [float(r) for _, _, r in rows]}), paths["long.parquet"])
    header = "conversation_id," + ",".join(f"item_{i}" for i in items)
    wide = [f"{c}," + ",".join(str(cells.get(i, -1)) for i in items) for c, cells in by_conversation.items()]
    paths["wide.csv"] = folder / "wide.csv"
    paths["wide.csv"].write_text(header + "\n" + "\n".join(wide) + "\n")
    paths["wide.parquet"] = folder / "wide.parquet"
    pq.write_table(pa.table({"conversation_id": list(by_conversation),
                             **{f"item_{i}": [cells.get(i, -1) for cells in by_conversation.values()]
                                for i in items}}), paths["wide.parquet"])
    paths["preds.jsonl"] = folder / "preds.jsonl"
    paths["preds.jsonl"].write_text("".join(
        json.dumps({"conversation_id": c, "ratings": {str(i): r for i, r in cells.items()}}) + "\n"
        for c, cells in by_conversation.items()))
    paths["list.json"] = folder / "list.json"
    paths["list.json"].write_text(json.dumps(
        [{"conversation_id": c, "ratings": {f"item_{i}": r for i, r in cells.items()}}
         for c, cells in by_conversation.items()], indent=2))
    paths["keyed.json"] = folder / "keyed.json"
    paths["keyed.json"].write_text(json.dumps({str(c): {str(i): r for i, r in cells.items()}
                                               for c, cells in by_conversation.items()}))
    for n, style in enumerate(("conv_{c}/predictions.json", "conv_{c}.json", "{c}.json", "conversation_{c}/out.json")):
        root = folder / f"folder-{n}"
        for c, cells in by_conversation.items():
            path = root / style.format(c=c)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({str(i): r for i, r in cells.items()}))
        (root / "README.md").write_text("ignored\n")
        paths[root.name] = root
    return paths


def test_every_layout_reads_to_the_same_cells(tmp_path: Path) -> None:
    tables, predictions, _ = _example()
    rows = predictions["B"]
    paths = _write_layouts(tmp_path, rows)
    assert len(paths) == 11
    expected_layouts = {"long.csv": "long", "long.parquet": "long", "wide.csv": "wide", "wide.parquet": "wide",
                        "preds.jsonl": "jsonl", "list.json": "jsonl", "keyed.json": "jsonl"}
    reference = sorted(rows)
    for name, path in paths.items():
        parsed = parse_predictions(path)
        assert parsed.problems == [], (name, parsed.problems)
        assert parsed.layout == expected_layouts.get(name, "folder"), name
        table = parsed.table()
        cells = sorted(zip(table.column("conversation_id").to_pylist(), table.column("item_id").to_pylist(),
                           table.column("rating").to_pylist(), strict=True))
        assert cells == reference, name
    board = run_leaderboard_from(tables, [str(p) for p in paths.values()])
    values = {json.dumps(row.estimates, default=str) for row in board.rows if row.predictor.name != "A"}
    assert len(values) == 1  # eleven layouts, one set of scores


def run_leaderboard_from(tables: dict[str, pa.Table], specs: list[str]) -> Any:
    from vogue_pack.analysis.stats import Source

    a = _example()[1]["A"]
    path = Path(specs[0]).parent / "A.csv"
    path.write_text("conversation_id,item_id,rating\n" + "".join(f"{c},{i},{r}\n" for c, i, r in a))
    return run_leaderboard(Source(tables, "release"), [str(path), *[f"p{n}={s}" for n, s in enumerate(specs)]],
                           reference="A", resamples=100)


# --- hostile predictions -----------------------------------------------------------------------------


def _problems(tables: dict[str, pa.Table], path: Path) -> list[Any]:
    from vogue_pack.analysis.stats import Source

    with pytest.raises(PredictionsInvalid) as exc:
        run_leaderboard(Source(tables, "release"), [str(path)], resamples=10)
    return exc.value.findings


@pytest.mark.parametrize(("name", "content", "code", "where"), [
    ("deep.jsonl", "[" * 100_000 + "]" * 100_000, "json.depth", {"row": 1}),
    ("deep-ratings.jsonl", '{"conversation_id": 1, "ratings": {"1": ' + "[" * 50_000 + "]" * 50_000 + "}}",
     "json.depth", {"row": 1}),
    ("nested-value.jsonl", '{"conversation_id": 1, "ratings": {"1": [[[[[[1]]]]]]}}', "predictions.range",
     {"row": 1, "pointer": "/ratings/1"}),
    ("huge-item.jsonl", '{"conversation_id": 1, "ratings": {"2147483648": 3}}', "predictions.value",
     {"row": 1, "pointer": "/ratings/2147483648"}),
    ("huge-int.jsonl", '{"conversation_id": 1, "ratings": {"1": ' + "9" * 5000 + "}}", "json.non-finite",
     {"row": 1}),
    ("huge-conversation.jsonl", '{"conversation_id": ' + "9" * 400 + ', "ratings": {}}', "predictions.value",
     {"row": 1, "pointer": "/conversation_id"}),
    ("float.jsonl", '{"conversation_id": 1, "ratings": {"1": 2.5}}', "predictions.range", {"pointer": "/ratings/1"}),
    ("nan.jsonl", '{"conversation_id": 1, "ratings": {"1": NaN}}', "json.non-finite", {"row": 1}),
    ("bool.jsonl", '{"conversation_id": 1, "ratings": {"1": true}}', "predictions.range", {"pointer": "/ratings/1"}),
    ("bool-id.jsonl", '{"conversation_id": true, "ratings": {"1": 1}}', "predictions.value",
     {"pointer": "/conversation_id"}),
    ("string-rating.jsonl", '{"conversation_id": 1, "ratings": {"1": "3"}}', "predictions.range",
     {"pointer": "/ratings/1"}),
    ("dup.jsonl", '{"conversation_id": 1, "ratings": {"1": 1, "1": 2}}', "json.duplicate-key",
     {"row": 1, "pointer": "/ratings/1"}),
    ("line3.jsonl", '{"conversation_id": 1, "ratings": {}}\n\n{"conversation_id": 2, "ratings": {"5": 9}}\n',
     "predictions.range", {"row": 3, "pointer": "/ratings/5"}),
    ("broken.jsonl", '{"conversation_id": 1, "ratings": {}}\n{"conversation_id": 2,\n', "json.parse", {"row": 2}),
    ("leading-zero.jsonl", '{"conversation_id": 1, "ratings": {"01": 1}}', "predictions.value",
     {"pointer": "/ratings/01"}),
    ("unicode-digit.jsonl", '{"conversation_id": 1, "ratings": {"\\u0661": 1}}', "predictions.value", {}),
    ("unknown-key.jsonl", '{"conversation_id": 1, "ratings": {}, "model": "x"}', "predictions.columns", {"row": 1}),
    ("scalar.json", "[1, 2]", "predictions.columns", {"pointer": "/0"}),
    ("latin1.jsonl", b'{"conversation_id": 1, "ratings": {"1": 1}} \xe9', "predictions.read", {}),
    ("bom-empty.jsonl", b"\xef\xbb\xbf   \n", "predictions.read", {}),
    ("empty.csv", b"", "predictions.read", {}),
    ("huge-id.csv", "conversation_id,item_id,rating\n1,2147483648,3\n", "predictions.value",
     {"row": 2, "column": "item_id"}),
    ("huge-wide.csv", "conversation_id,item_99999999999\n1,3\n", "predictions.columns", {"row": 1}),
    ("unicode-wide.csv", "conversation_id,item_\u0663\n1,3\n", "predictions.columns", {"row": 1}),
    ("deep-vec.csv", "conversation_id,item_1,rating_vec\n1,3,\"" + "[" * 100_000 + "\"\n",
     "predictions.rating-vec", {"row": 2, "column": "rating_vec"}),
    ("nul.csv", "conversation_id,item_id,rating\n1,1,\x00\n", "predictions.range", {"row": 2}),
])
def test_hostile_predictions_are_findings(tmp_path: Path, name: str, content: str | bytes, code: str,
                                          where: dict[str, Any]) -> None:
    tables, _, _ = _example()
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    problems = _problems(tables, path)
    matching = [f for f in problems if f.code == code and f.file == str(path)
                and all(getattr(f, k) == v for k, v in where.items())]
    assert matching, [(f.code, f.file, f.row, f.pointer, f.message) for f in problems]
    json.dumps([f.to_dict() for f in problems])  # every finding renders


def test_hostile_folders(tmp_path: Path) -> None:
    tables = _example()[0]
    folder = tmp_path / "run"
    (folder / "conv_1").mkdir(parents=True)
    (folder / "conv_1" / "predictions.json").write_text('{"1": 1, "2": 2, "3": 3}')
    (folder / "1.json").write_text('{"1": 1}')  # conversation 1 twice
    (folder / "notes.json").write_text("{}")  # names no conversation
    (folder / "2.json").write_text('{"conversation_id": 3, "ratings": {}}')  # disagrees with the path
    (folder / "4.json").write_bytes(b"\xff\xfe")
    outside = tmp_path / "secret.json"
    outside.write_text('{"10": 3}')
    (folder / "5.json").symlink_to(outside)
    problems = _problems(tables, folder)
    found = {(f.code, Path(f.file).name if f.file else None) for f in problems}
    assert ("predictions.duplicate", "1.json") in found or ("predictions.duplicate", "predictions.json") in found
    assert ("predictions.columns", "notes.json") in found
    assert ("predictions.value", "2.json") in found
    assert ("predictions.read", "4.json") in found
    assert ("predictions.read", "5.json") in found
    assert not any(f.code == "predictions.extra" and 10 in (f.value or []) for f in problems)  # the link unread
    empty = tmp_path / "empty"
    empty.mkdir()
    assert next(f.code for f in _problems(tables, empty)) == "predictions.read"


def test_cli_hostile_big_integer_exits_1_not_3(tmp_path: Path) -> None:
    """Regression: an item_id of 2**31 once overflowed an int32 array (exit 3)."""
    release = tmp_path / "release"
    (release / "tables").mkdir(parents=True)
    for name, table in _example()[0].items():
        pq.write_table(table, release / "tables" / f"{name}.parquet")
    bad = tmp_path / "bad.csv"
    bad.write_text("conversation_id,item_id,rating\n1,2147483648,3\n1,-99999999999999999999,2\n")
    result = CliRunner().invoke(cli, ["evaluate", str(release), str(bad)])
    assert result.exit_code == 1, result.output
    assert "is not an id of the dataset" in result.stderr


# --- property tests: evaluate never raises on arbitrary predictions ----------------------------------

PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


def _never_raises(tables: dict[str, pa.Table], spec: str) -> None:
    from vogue_pack.analysis.stats import Source

    try:
        run_leaderboard(Source(tables, "release"), [spec], resamples=5)
    except PredictionsInvalid as exc:
        assert exc.findings
        json.dumps([f.to_dict() for f in exc.findings])
        from vogue_pack.analysis.predictions import render_problems

        render_problems(exc)


@PROPERTY
@given(data=st.binary(max_size=600), name=st.sampled_from(["p.csv", "p.jsonl", "p.json", "p.parquet", "p",
                                                           "folder/conv_1/predictions.json", "folder/2.json"]))
def test_arbitrary_bytes_in_any_layout_never_raise(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                                   name: str) -> None:
    tables = _example()[0]
    base = tmp_path_factory.mktemp("bytes")
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    _never_raises(tables, str(base / "folder") if name.startswith("folder/") else str(path))


@PROPERTY
@given(prefix=st.sampled_from([b"PAR1", b"{", b"[", b"conversation_id,item_id,rating\n",
                               b"conversation_id,item_1,item_2\n"]), data=st.binary(max_size=400))
def test_arbitrary_bytes_behind_a_layout_prefix_never_raise(tmp_path_factory: pytest.TempPathFactory,
                                                            prefix: bytes, data: bytes) -> None:
    path = tmp_path_factory.mktemp("prefixed") / "p.dat"
    path.write_bytes(prefix + data)
    _never_raises(_example()[0], str(path))


@PROPERTY
@given(where=st.sampled_from(["conversation_id", "ratings", "key", "value", "record", "extra"]),
       value=JSON_VALUES, key=st.text(max_size=12), line=st.integers(0, 4))
def test_any_json_value_anywhere_in_a_record_never_raises(tmp_path_factory: pytest.TempPathFactory, where: str,
                                                          value: Any, key: str, line: int) -> None:
    tables, predictions, _ = _example()
    records: list[Any] = []
    for c in range(1, 6):
        records.append({"conversation_id": c, "ratings": {str(i): r for cc, i, r in predictions["A"] if cc == c}})
    record = records[line]
    if where == "conversation_id":
        record["conversation_id"] = value
    elif where == "ratings":
        record["ratings"] = value
    elif where == "key":
        record["ratings"][key] = 3
    elif where == "value":
        record["ratings"][next(iter(record["ratings"]))] = value
    elif where == "record":
        records[line] = value
    else:
        record[key or "x"] = value
    path = tmp_path_factory.mktemp("records") / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _never_raises(tables, str(path))
    folder = path.parent / "folder"
    for n, r in enumerate(records, start=1):
        (folder / f"conv_{n}").mkdir(parents=True, exist_ok=True)
        (folder / f"conv_{n}" / "predictions.json").write_text(json.dumps(r.get("ratings") if isinstance(r, dict)
                                                                          else r))
    _never_raises(tables, str(folder))


@PROPERTY
@given(position=st.integers(0, 10_000), byte=st.integers(0, 255))
def test_one_byte_changes_of_a_parquet_file_never_raise(tmp_path_factory: pytest.TempPathFactory, position: int,
                                                        byte: int) -> None:
    tables, predictions, _ = _example()
    path = tmp_path_factory.mktemp("parquet") / "p.parquet"
    rows = predictions["A"]
    pq.write_table(pa.table({"conversation_id": [c for c, _, _ in rows], "item_id": [i for _, i, _ in rows],
                             "rating": [r for _, _, r in rows]}), path)
    data = bytearray(path.read_bytes())
    data[position % len(data)] = byte
    path.write_bytes(bytes(data))
    _never_raises(tables, str(path))


def test_leaderboard_page_is_self_contained_and_deterministic() -> None:
    from vogue_pack.analysis.leaderboard_html import render_leaderboard_html

    tables, predictions, _ = _example()
    hostile = '</style><script src="https://evil.example/x.js"></script>'
    board = build_leaderboard(tables, [_predictor("A", predictions["A"]), _predictor(hostile, predictions["B"])],
                              reference="A", resamples=100, seed=0)
    page = render_leaderboard_html(board)
    assert page == render_leaderboard_html(board)
    import html

    assert html.escape(hostile, quote=True) in page  # the name is text
    lowered = page.replace(html.escape(hostile, quote=True), "").lower()
    for needle in ("<script", "http://", "https://", " src=", "url(", "@import", "<link", "<img", "<iframe"):
        assert needle not in lowered, needle
    assert "default-src 'none'" in html.unescape(page)
