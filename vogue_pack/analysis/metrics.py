"""The paper's evaluation metrics: score 1..5 item-rating predictions against the Seeker's own ratings.

Definitions (docs/metrics.md; the format contract, section 4): accuracy, per-conversation Pearson
correlation averaged (PC), MAE, MAE per ground-truth class, macro MAE (M-MAE), each over all items and split
into mentioned / unmentioned items, plus the predicted-versus-true rating distribution with its total
variation and Wasserstein-1 distances. Baselines: ``human`` (the Assistants' ratings), ``mode`` and ``random``.
The same metrics for the human baseline exist as DuckDB views (``vogue_pack/analysis/sql/metrics_*.sql``).

Ground truth, baselines and predictions files live in :mod:`vogue_pack.analysis.predictions`, dataset statistics in
:mod:`vogue_pack.analysis.stats`; both are re-exported here (the API others use is ``vogue_pack.analysis.metrics``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vogue_pack.analysis.predictions import (
    BASELINES,
    PREDICTION_COLUMNS,
    RATING_VALUES,
    PredictionsInvalid,
    baseline_predictions,
    check_predictions,
    ground_truth,
    parse_predictions,
    problems_json,
    read_predictions,
    render_problems,
    scored_cells,
    seeker_mode,
)
from vogue_pack.analysis.stats import Source, compute_stats, load_source, load_tables, render_stats
from vogue_pack.errors import UsageError

EVALUATION_FORMAT_VERSION = "1"
SUBSETS = ("all", "mentioned", "unmentioned")
EVALUATION_FORMATS = ("table", "json")
SQL_DIR = Path(__file__).resolve().parent / "sql"

# --- the metrics -------------------------------------------------------------------------------------


def pearson(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Pearson correlation; NaN when fewer than 2 values or either side is constant (undefined)."""
    if len(truth) < 2 or predicted.min() == predicted.max() or truth.min() == truth.max():
        return math.nan
    dp = predicted - predicted.mean()
    dt = truth - truth.mean()
    return float((dp * dt).sum() / math.sqrt(float((dp * dp).sum()) * float((dt * dt).sum())))


def macro_mae(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean over the ground-truth classes present of each class's MAE (NaN for no items)."""
    if len(truth) == 0:
        return math.nan
    errors = np.abs(predicted - truth)
    return float(np.mean([errors[truth == k].mean() for k in np.unique(truth)]))


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class Distribution:
    """Predicted versus true rating histograms (counts of 1..5) and two distances between the shares."""

    predicted: dict[int, int]
    truth: dict[int, int]
    total_variation: float  # 0.5 * sum_k |P(k) - Q(k)|
    wasserstein_1: float  # sum_{k=1..4} |F_P(k) - F_Q(k)|, the earth mover's distance on 1..5

    def to_dict(self) -> dict[str, Any]:
        return {
            "predicted": {str(k): v for k, v in self.predicted.items()},
            "truth": {str(k): v for k, v in self.truth.items()},
            "total_variation": _json_float(self.total_variation),
            "wasserstein_1": _json_float(self.wasserstein_1),
        }


def rating_distribution(predicted: np.ndarray, truth: np.ndarray) -> Distribution:
    """Histograms of ``predicted`` and ``truth`` over 1..5 and their TV and Wasserstein-1 distances."""
    p_counts = {k: int((predicted == k).sum()) for k in RATING_VALUES}
    t_counts = {k: int((truth == k).sum()) for k in RATING_VALUES}
    n = len(truth)
    if n == 0:
        return Distribution(p_counts, t_counts, math.nan, math.nan)
    diff = np.array([(p_counts[k] - t_counts[k]) / n for k in RATING_VALUES])
    return Distribution(p_counts, t_counts, float(0.5 * np.abs(diff).sum()),
                        float(np.abs(np.cumsum(diff)[:-1]).sum()))


@dataclass(frozen=True)
class SubsetMetrics:
    """The metrics over one subset of the scored cells (all, mentioned or unmentioned items)."""

    items: int
    conversations: int
    accuracy: float
    pc: float
    pc_conversations: int  # conversations whose correlation is defined (averaged into pc)
    pc_undefined: int  # conversations skipped: p or g constant there (or fewer than 2 items)
    mae: float
    mae_by_class: dict[int, float]  # MAE[GT=k]; NaN when no item has g == k
    items_by_class: dict[int, int]
    macro_mae: float
    distribution: Distribution

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "conversations": self.conversations,
            "accuracy": _json_float(self.accuracy),
            "pc": _json_float(self.pc),
            "pc_conversations": self.pc_conversations,
            "pc_undefined": self.pc_undefined,
            "mae": _json_float(self.mae),
            "mae_by_class": {str(k): _json_float(v) for k, v in self.mae_by_class.items()},
            "items_by_class": {str(k): v for k, v in self.items_by_class.items()},
            "macro_mae": _json_float(self.macro_mae),
            "distribution": self.distribution.to_dict(),
        }


@dataclass(frozen=True)
class EvaluationResult:
    """Scores of one predictor: coverage, metrics per subset, and the per-conversation table."""

    predictor: str
    expected_items: int
    scored_items: int
    conversations: int
    conversations_scored: int
    metrics: dict[str, SubsetMetrics]  # keyed by SUBSETS
    per_conversation: pa.Table  # subset, conversation_id, items, accuracy, pearson, mae, macro_mae

    @property
    def missing_items(self) -> int:
        return self.expected_items - self.scored_items

    @property
    def coverage(self) -> float:
        return self.scored_items / self.expected_items if self.expected_items else math.nan

    def to_dict(self, per_conversation: bool = False) -> dict[str, Any]:
        """JSON-ready (format version 1); ``per_conversation`` adds the per-conversation rows."""
        out: dict[str, Any] = {
            "format_version": EVALUATION_FORMAT_VERSION,
            "predictor": self.predictor,
            "coverage": {
                "expected_items": self.expected_items,
                "scored_items": self.scored_items,
                "missing_items": self.missing_items,
                "share": _json_float(self.coverage),
                "conversations": self.conversations,
                "conversations_scored": self.conversations_scored,
            },
            "metrics": {name: self.metrics[name].to_dict() for name in SUBSETS},
        }
        if per_conversation:
            out["per_conversation"] = [
                {k: (_json_float(v) if isinstance(v, float) else v) for k, v in row.items()}
                for row in self.per_conversation.to_pylist()
            ]
        return out


def _per_conversation(cids: np.ndarray, predicted: np.ndarray, truth: np.ndarray
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per-conversation items, accuracy, Pearson, MAE and macro MAE, computed with grouped sums.

    Same definitions as :func:`pearson` and :func:`macro_mae` (two-pass Pearson on centred values; for
    integer ratings a sum of squared deviations is exactly 0 only when the values are constant).
    """
    unique_cids, group = np.unique(cids, return_inverse=True)
    n_groups = len(unique_cids)
    counts = np.bincount(group, minlength=n_groups).astype(float)
    p = predicted.astype(float)
    g = truth.astype(float)
    errors = np.abs(p - g)
    dp = p - (np.bincount(group, p, n_groups) / counts)[group]
    dg = g - (np.bincount(group, g, n_groups) / counts)[group]
    spp = np.bincount(group, dp * dp, n_groups)
    sgg = np.bincount(group, dg * dg, n_groups)
    spg = np.bincount(group, dp * dg, n_groups)
    defined = (counts >= 2) & (spp > 0) & (sgg > 0)
    pearsons = np.full(n_groups, math.nan)
    pearsons[defined] = spg[defined] / np.sqrt(spp[defined] * sgg[defined])
    # macro MAE: class MAE per (conversation, truth class), then the mean over the classes present
    k = len(RATING_VALUES)
    cell = group * k + (truth - RATING_VALUES[0])
    class_counts = np.bincount(cell, minlength=n_groups * k).reshape(n_groups, k)
    class_errors = np.bincount(cell, errors, n_groups * k).astype(float).reshape(n_groups, k)
    present = class_counts > 0
    class_mae = np.divide(class_errors, class_counts, out=np.zeros_like(class_errors), where=present)
    macro = class_mae.sum(axis=1) / present.sum(axis=1)
    return unique_cids, {
        "items": counts.astype(np.int64),
        "accuracy": np.bincount(group, (p == g).astype(float), n_groups) / counts,
        "pearson": pearsons,
        "mae": np.bincount(group, errors, n_groups) / counts,
        "macro_mae": macro,
    }


def _subset_metrics(cids: np.ndarray, predicted: np.ndarray, truth: np.ndarray,
                    rows: list[pa.Table], subset: str) -> SubsetMetrics:
    """Pooled and per-conversation metrics of the cells given (already restricted to one subset); the
    subset's per-conversation rows are appended to ``rows``."""
    errors = np.abs(predicted - truth).astype(float)
    unique_cids, per = _per_conversation(cids, predicted, truth)
    rows.append(pa.table({
        "subset": pa.array([subset] * len(unique_cids), pa.string()),
        "conversation_id": pa.array(unique_cids, pa.int32()),
        "items": pa.array(per["items"], pa.int32()),
        **{name: pa.array(per[name], pa.float64()) for name in ("accuracy", "pearson", "mae", "macro_mae")},
    }, schema=_PER_CONVERSATION_SCHEMA))
    correlations = per["pearson"]
    defined = correlations[~np.isnan(correlations)]
    return SubsetMetrics(
        items=len(truth),
        conversations=len(unique_cids),
        accuracy=_mean((predicted == truth).astype(float)),
        pc=_mean(defined),
        pc_conversations=len(defined),
        pc_undefined=len(correlations) - len(defined),
        mae=_mean(errors),
        mae_by_class={k: _mean(errors[truth == k]) for k in RATING_VALUES},
        items_by_class={k: int((truth == k).sum()) for k in RATING_VALUES},
        macro_mae=_mean(per["macro_mae"]),
        distribution=rating_distribution(predicted, truth),
    )


_PER_CONVERSATION_SCHEMA = pa.schema([
    ("subset", pa.string()), ("conversation_id", pa.int32()), ("items", pa.int32()),
    ("accuracy", pa.float64()), ("pearson", pa.float64()), ("mae", pa.float64()), ("macro_mae", pa.float64()),
])


def evaluate(tables: dict[str, pa.Table], predictions: pa.Table, allow_missing: bool = False,
             predictor: str = "predictions") -> EvaluationResult:
    """Score ``predictions`` (conversation_id, item_id, rating) against the Seeker's ratings.

    Raises :class:`PredictionsInvalid` when a prediction is null, out of range, duplicated or has no ground
    truth, or (unless ``allow_missing``) when a ground-truth cell has no prediction. With
    ``allow_missing`` the metrics cover the predicted cells only; the result reports the coverage.
    """
    if not set(PREDICTION_COLUMNS) <= set(predictions.column_names):  # said before any ground truth is read
        raise PredictionsInvalid(check_predictions(tables, predictions, source=predictor), predictor)
    truth = ground_truth(tables)
    problems = check_predictions(tables, predictions, allow_missing, source=predictor, truth=truth)
    if problems:
        raise PredictionsInvalid(problems, predictor)
    scored = scored_cells(truth, predictions)
    cids = scored.column("conversation_id").to_numpy().astype(np.int64)
    predicted = scored.column("prediction").to_numpy().astype(np.int64)
    actual = scored.column("rating").to_numpy().astype(np.int64)
    mentioned = scored.column("mentioned").to_numpy(zero_copy_only=False).astype(bool)
    masks = {"all": np.ones(scored.num_rows, dtype=bool), "mentioned": mentioned, "unmentioned": ~mentioned}
    rows: list[pa.Table] = []
    metrics = {name: _subset_metrics(cids[mask], predicted[mask], actual[mask], rows, name)
               for name, mask in masks.items()}
    return EvaluationResult(
        predictor=predictor,
        expected_items=truth.num_rows,
        scored_items=scored.num_rows,
        conversations=pc.count_distinct(truth.column("conversation_id"), mode="all").as_py(),
        conversations_scored=metrics["all"].conversations,
        metrics=metrics,
        per_conversation=pa.concat_tables(rows).combine_chunks(),
    )


def run_evaluation(source: Path | Source, predictions: Path | None = None, baseline: str | None = None,
                   seed: int = 0, allow_missing: bool = False) -> EvaluationResult:
    """`vogue-pack evaluate`: load a release or raw tree, then score a predictions file or a baseline.

    Every problem of a predictions file (layout, values, duplicates, extra and missing cells) is raised
    at once in one :class:`PredictionsInvalid`.
    """
    if (predictions is None) == (baseline is None):
        raise UsageError("give either a predictions file or --baseline (not both)")
    tables = (source if isinstance(source, Source) else load_source(source, images=False)).tables
    if baseline is not None:
        name = f"baseline {baseline}" + (f" (seed {seed})" if baseline == "random" else "")
        return evaluate(tables, baseline_predictions(tables, baseline, seed), allow_missing, predictor=name)
    assert predictions is not None
    parsed = parse_predictions(predictions)
    table = parsed.table()
    problems = parsed.problems + check_predictions(tables, table, allow_missing, source=parsed.source,
                                                   rejected=parsed.rejected)
    if problems:
        raise PredictionsInvalid(problems, parsed.source)
    return evaluate(tables, table, allow_missing, predictor=parsed.source)


# --- SQL views ---------------------------------------------------------------------------------------


def metric_sql_files() -> list[Path]:
    """The metric view definitions (``vogue_pack/analysis/sql/metrics_*.sql``) in the order they must run."""
    return sorted(SQL_DIR.glob("metrics_*.sql"))


def create_metric_views(connection: Any) -> None:
    """Run the metric view files in a DuckDB connection that holds item_ratings and conversation_items."""
    for path in metric_sql_files():
        connection.execute(path.read_text(encoding="utf-8"))


# --- rendering ---------------------------------------------------------------------------------------


def _num(value: float, digits: int = 4) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def render_evaluation(result: EvaluationResult, fmt: str) -> str:
    """Render an :class:`EvaluationResult` as ``table`` (terminal text) or ``json``."""
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(EVALUATION_FORMATS)}")
    m = [result.metrics[name] for name in SUBSETS]
    rows: list[tuple[str, list[str]]] = [
        ("items", [str(s.items) for s in m]),
        ("conversations", [str(s.conversations) for s in m]),
        ("accuracy", [_num(s.accuracy) for s in m]),
        ("PC", [_num(s.pc) for s in m]),
        ("PC undefined (skipped)", [f"{s.pc_undefined} of {s.conversations}" for s in m]),
        ("MAE", [_num(s.mae) for s in m]),
        *[(f"MAE[GT={k}]", [f"{_num(s.mae_by_class[k])} ({s.items_by_class[k]})" for s in m])
          for k in RATING_VALUES],
        ("M-MAE", [_num(s.macro_mae) for s in m]),
        ("rating TV distance", [_num(s.distribution.total_variation) for s in m]),
        ("rating W1 distance", [_num(s.distribution.wasserstein_1) for s in m]),
        *[(f"ratings {k}: predicted/true",
           [f"{s.distribution.predicted[k]}/{s.distribution.truth[k]}" for s in m]) for k in RATING_VALUES],
    ]
    width = max(len(label) for label, _ in rows)
    cell = max(max(len(v) for _, values in rows for v in values), len("unmentioned"))
    coverage = (f"{result.scored_items}/{result.expected_items} items scored "
                f"({100 * result.coverage:.1f}%), {result.conversations_scored}/{result.conversations} "
                "conversations")
    lines = [f"predictor: {result.predictor}", f"coverage:  {coverage}", "",
             f"{'':<{width}}  " + "  ".join(f"{name:>{cell}}" for name in SUBSETS)]
    lines += [f"{label:<{width}}  " + "  ".join(f"{v:>{cell}}" for v in values) for label, values in rows]
    lines.append("")
    lines.append("MAE[GT=k] shows the item count in brackets; PC averages the defined per-conversation "
                 "correlations.")
    return "\n".join(lines) + "\n"


__all__ = [
    "BASELINES", "EVALUATION_FORMATS", "Distribution", "EvaluationResult", "PredictionsInvalid", "Source",
    "SubsetMetrics", "baseline_predictions", "check_predictions", "compute_stats", "create_metric_views",
    "evaluate", "ground_truth", "load_source", "load_tables", "macro_mae", "metric_sql_files", "pearson",
    "problems_json", "rating_distribution", "read_predictions", "render_evaluation", "render_problems",
    "render_stats", "run_evaluation", "seeker_mode",
]
