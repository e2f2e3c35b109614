"""A leaderboard of rating predictors: every metric with a bootstrap confidence interval over conversations,
and each predictor's paired difference from a reference with its interval and a paired bootstrap p-value.

The unit of resampling is the conversation (its cells are not independent: one Seeker rates one catalogue).
One index matrix ``R`` (B resamples x C conversations, drawn with ``numpy.random.default_rng(seed)
.integers(0, C, size=(B, C))`` over the ground truth's conversations in ascending id order) serves every
predictor, so each comparison is paired: both sides of a difference see the same resampled conversations.
Every metric is a ratio of per-conversation sums (accuracy, MAE, MAE[GT=k], the rating shares of TV and W1)
or a mean of per-conversation values (PC, M-MAE), so a resample is a matrix product of the count matrix
``W`` (``W[b, c]`` = how often conversation c was drawn in resample b) with per-conversation statistics:
all resamples of all predictors cost a few small matrix products. Definitions and the p-value:
docs/metrics.md ("Leaderboard").
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from vogue_pack.analysis.metrics import SUBSETS, EvaluationResult, evaluate
from vogue_pack.analysis.predictions import (
    BASELINES,
    RATING_VALUES,
    PredictionsInvalid,
    baseline_predictions,
    check_predictions,
    ground_truth,
    integer_ratings,
    parse_predictions,
)
from vogue_pack.analysis.stats import Source, load_source
from vogue_pack.errors import UsageError
from vogue_pack.report.findings import Finding

LEADERBOARD_FORMAT_VERSION = "1"
CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 1000
# metric keys, in table order; MAE[GT=k] is mae_gt_k
METRICS = ("accuracy", "pc", "mae", "macro_mae", *(f"mae_gt_{k}" for k in RATING_VALUES),
           "total_variation", "wasserstein_1")
METRIC_LABELS = {"accuracy": "accuracy", "pc": "PC", "mae": "MAE", "macro_mae": "M-MAE",
                 **{f"mae_gt_{k}": f"MAE[GT={k}]" for k in RATING_VALUES},
                 "total_variation": "TV", "wasserstein_1": "W1"}
_K = len(RATING_VALUES)


# --- per-conversation sufficient statistics ---------------------------------------------------------


@dataclass(frozen=True)
class ConversationStats:
    """Per-conversation sums of one predictor on one subset; every array has one row per conversation."""

    items: np.ndarray  # (C,) scored cells
    correct: np.ndarray  # (C,) cells with p == g
    abs_error: np.ndarray  # (C,) sum |p - g|
    class_items: np.ndarray  # (C, K) cells with g == k
    class_abs_error: np.ndarray  # (C, K) sum |p - g| over cells with g == k
    predicted_counts: np.ndarray  # (C, K) cells with p == k
    pearson: np.ndarray  # (C,) the conversation's Pearson correlation, 0 where undefined
    pearson_defined: np.ndarray  # (C,) 1.0 where defined
    macro_mae: np.ndarray  # (C,) the conversation's macro MAE, 0 where it has no cell
    has_items: np.ndarray  # (C,) 1.0 where the conversation has a cell


def conversation_stats(conversation_index: np.ndarray, predicted: np.ndarray, truth: np.ndarray,
                       n_conversations: int) -> ConversationStats:
    """The sums of :class:`ConversationStats` for cells given as (conversation index 0..C-1, p, g).

    Pearson and macro MAE follow the per-conversation definitions of :mod:`vogue_pack.analysis.metrics`.
    """
    c = n_conversations
    group = conversation_index.astype(np.int64)
    p = predicted.astype(float)
    g = truth.astype(float)
    counts = np.bincount(group, minlength=c).astype(float)
    errors = np.abs(p - g)
    safe = np.where(counts > 0, counts, 1.0)
    dp = p - (np.bincount(group, p, c) / safe)[group]
    dg = g - (np.bincount(group, g, c) / safe)[group]
    spp = np.bincount(group, dp * dp, c)
    sgg = np.bincount(group, dg * dg, c)
    spg = np.bincount(group, dp * dg, c)
    defined = (counts >= 2) & (spp > 0) & (sgg > 0)
    pearson = np.zeros(c)
    pearson[defined] = spg[defined] / np.sqrt(spp[defined] * sgg[defined])
    cell = group * _K + (truth.astype(np.int64) - RATING_VALUES[0])
    class_items = np.bincount(cell, minlength=c * _K).reshape(c, _K).astype(float)
    class_errors = np.bincount(cell, errors, c * _K).reshape(c, _K)
    present = class_items > 0
    class_mae = np.divide(class_errors, class_items, out=np.zeros_like(class_errors), where=present)
    n_present = present.sum(axis=1)
    macro = np.divide(class_mae.sum(axis=1), n_present, out=np.zeros(c), where=n_present > 0)
    predicted_cell = group * _K + (predicted.astype(np.int64) - RATING_VALUES[0])
    return ConversationStats(
        items=counts,
        correct=np.bincount(group, (p == g).astype(float), c),
        abs_error=np.bincount(group, errors, c),
        class_items=class_items,
        class_abs_error=class_errors,
        predicted_counts=np.bincount(predicted_cell, minlength=c * _K).reshape(c, _K).astype(float),
        pearson=pearson,
        pearson_defined=defined.astype(float),
        macro_mae=macro,
        has_items=(counts > 0).astype(float),
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast(numerator, denominator).shape, math.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def weighted_metrics(stats: ConversationStats, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` for each row of ``weights`` (B x C conversation counts): (B,) arrays.

    A row of ones gives the metrics of the data itself; NaN where a metric is undefined in a resample
    (for example MAE[GT=1] when no resampled cell has g = 1).
    """
    w = np.asarray(weights, dtype=float)
    items = w @ stats.items
    out = {
        "accuracy": _ratio(w @ stats.correct, items),
        "pc": _ratio(w @ stats.pearson, w @ stats.pearson_defined),
        "mae": _ratio(w @ stats.abs_error, items),
        "macro_mae": _ratio(w @ stats.macro_mae, w @ stats.has_items),
    }
    class_items = w @ stats.class_items
    class_mae = _ratio(w @ stats.class_abs_error, class_items)
    for n, k in enumerate(RATING_VALUES):
        out[f"mae_gt_{k}"] = class_mae[:, n]
    share_gap = _ratio(w @ stats.predicted_counts - class_items, items[:, None])
    out["total_variation"] = 0.5 * np.abs(share_gap).sum(axis=1)
    out["wasserstein_1"] = np.abs(np.cumsum(share_gap, axis=1)[:, :-1]).sum(axis=1)
    return out


def resample_counts(n_conversations: int, resamples: int, seed: int) -> np.ndarray:
    """The B x C count matrix of the bootstrap: row b counts how often each conversation was drawn.

    The draws are ``numpy.random.default_rng(seed).integers(0, C, size=(B, C))`` (see :func:`resample_indices`).
    """
    index = resample_indices(n_conversations, resamples, seed)
    offsets = index + (np.arange(resamples, dtype=np.int64) * n_conversations)[:, None]
    return np.bincount(offsets.ravel(), minlength=resamples * n_conversations).reshape(
        resamples, n_conversations).astype(float)


def resample_indices(n_conversations: int, resamples: int, seed: int) -> np.ndarray:
    """The B x C matrix of resampled conversation positions (0..C-1, ascending conversation id order)."""
    return np.random.default_rng(seed).integers(0, n_conversations, size=(resamples, n_conversations))


def percentile_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The percentile bootstrap interval: the (1-c)/2 and (1+c)/2 quantiles of the defined resamples,
    with numpy's default linear interpolation between order statistics; NaN when none is defined."""
    defined = values[~np.isnan(values)]
    if len(defined) == 0:
        return math.nan, math.nan
    low, high = np.quantile(defined, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def paired_p_value(differences: np.ndarray, observed: float) -> float:
    """Two-sided paired bootstrap p-value of an observed difference (docs/metrics.md):
    ``(1 + #{b : |d_b - mean(d)| >= |observed|}) / (1 + B)`` over the B defined resampled differences
    ``d_b``; centring on the mean imposes the null hypothesis of no difference (as sacreBLEU does)."""
    defined = differences[~np.isnan(differences)]
    if len(defined) == 0 or math.isnan(observed):
        return math.nan
    centred = np.abs(defined - defined.mean())
    return float((1 + int((centred >= abs(observed)).sum())) / (1 + len(defined)))


# --- the leaderboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A metric's value and its percentile bootstrap interval (NaN ends when there is no bootstrap)."""

    value: float
    low: float = math.nan
    high: float = math.nan

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def to_dict(self) -> dict[str, Any]:
        return {"value": _jf(self.value), "low": _jf(self.low), "high": _jf(self.high)}


@dataclass(frozen=True)
class Comparison:
    """A predictor minus the reference on one metric: the difference, its interval and the p-value."""

    difference: float
    low: float
    high: float
    p_value: float

    @property
    def excludes_zero(self) -> bool:
        """The interval lies entirely above or below zero."""
        return bool(self.low > 0 or self.high < 0)

    def to_dict(self) -> dict[str, Any]:
        return {"difference": _jf(self.difference), "low": _jf(self.low), "high": _jf(self.high),
                "p_value": _jf(self.p_value), "interval_excludes_zero": self.excludes_zero}


@dataclass(frozen=True)
class Predictor:
    """A named set of predictions: a file or folder (with its detected layout) or a built-in baseline."""

    name: str
    source: str  # the path, or "baseline NAME"
    layout: str  # long, wide, jsonl, folder, or baseline
    table: pa.Table  # conversation_id, item_id, rating


@dataclass
class LeaderboardRow:
    predictor: Predictor
    result: EvaluationResult
    estimates: dict[str, dict[str, Estimate]]  # subset -> metric -> estimate
    comparison: dict[str, dict[str, Comparison]] | None  # None for the reference itself
    cells: pa.Table  # conversation_id, item_id, mentioned, predicted, true


@dataclass
class Leaderboard:
    """Every predictor scored on the same ground truth, with intervals and paired comparisons."""

    rows: list[LeaderboardRow]
    reference: str
    resamples: int
    seed: int
    conversations: int
    confidence: float = CONFIDENCE
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> LeaderboardRow:
        return next(r for r in self.rows if r.predictor.name == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, format version 1 (docs/metrics.md)."""
        return {
            "format_version": LEADERBOARD_FORMAT_VERSION,
            "kind": "leaderboard",
            "bootstrap": {"resamples": self.resamples, "seed": self.seed, "confidence": self.confidence,
                          "interval": "percentile", "unit": "conversation", "conversations": self.conversations,
                          "p_value": "two-sided paired bootstrap, (1 + #{|d_b - mean(d)| >= |d|}) / (1 + B)"},
            "reference": self.reference,
            "metrics": list(METRICS),
            "predictors": [{
                "name": row.predictor.name,
                "source": row.predictor.source,
                "layout": row.predictor.layout,
                "is_reference": row.predictor.name == self.reference,
                "coverage": row.result.to_dict()["coverage"],
                "metrics": {s: {m: e.to_dict() for m, e in row.estimates[s].items()} for s in SUBSETS},
                "comparison": None if row.comparison is None else {
                    s: {m: c.to_dict() for m, c in row.comparison[s].items()} for s in SUBSETS},
                "details": row.result.to_dict()["metrics"],
            } for row in self.rows],
            "notes": self.notes,
        }


def _jf(value: float) -> float | None:
    return None if math.isnan(value) else value


def _cells(tables: dict[str, pa.Table], predictions: pa.Table) -> pa.Table:
    """The scored cells (predicted ones with ground truth), sorted by (conversation_id, item_id)."""
    truth = ground_truth(tables)
    predicted = pa.table({
        "conversation_id": predictions.column("conversation_id").cast(pa.int32()),
        "item_id": predictions.column("item_id").cast(pa.int32()),
        "predicted": integer_ratings(predictions.column("rating")).cast(pa.int16()),
    })
    scored = truth.join(predicted, ["conversation_id", "item_id"], join_type="inner").sort_by(
        [("conversation_id", "ascending"), ("item_id", "ascending")])
    return pa.table({"conversation_id": scored.column("conversation_id"), "item_id": scored.column("item_id"),
                     "mentioned": scored.column("mentioned"), "predicted": scored.column("predicted"),
                     "true": scored.column("rating")}).combine_chunks()


def _subset_stats(cells: pa.Table, conversation_ids: np.ndarray) -> dict[str, ConversationStats]:
    cids = cells.column("conversation_id").to_numpy().astype(np.int64)
    position = np.searchsorted(conversation_ids, cids)
    predicted = cells.column("predicted").to_numpy().astype(np.int64)
    truth = cells.column("true").to_numpy().astype(np.int64)
    mentioned = cells.column("mentioned").to_numpy(zero_copy_only=False).astype(bool)
    masks = {"all": np.ones(len(cids), dtype=bool), "mentioned": mentioned, "unmentioned": ~mentioned}
    return {s: conversation_stats(position[m], predicted[m], truth[m], len(conversation_ids))
            for s, m in masks.items()}


def build_leaderboard(tables: dict[str, pa.Table], predictors: Sequence[Predictor], reference: str = "human",
                      resamples: int = DEFAULT_RESAMPLES, seed: int = 0, allow_missing: bool = False,
                      baseline_seed: int = 0) -> Leaderboard:
    """Score every predictor; with ``resamples`` > 0 add intervals and paired comparisons with ``reference``.

    ``reference`` names one of ``predictors`` or a built-in baseline (then scored and added as a row).
    Raises :class:`PredictionsInvalid` with the problems of every invalid predictor at once.
    """
    if resamples < 0:
        raise UsageError("--bootstrap must be 0 (no intervals) or a positive number of resamples")
    names = [p.name for p in predictors]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise UsageError(f"two predictors are named {', '.join(duplicated)}: name them with NAME=PATH")
    predictors = list(predictors)
    if reference not in names:
        if reference not in BASELINES:
            raise UsageError(f"--reference {reference!r} is neither a predictor of this run ({', '.join(names)}) "
                             f"nor a baseline ({', '.join(BASELINES)})")
        predictors.insert(0, baseline_predictor(tables, reference, baseline_seed))
    problems = []
    for predictor in predictors:
        problems += check_predictions(tables, predictor.table, allow_missing, source=predictor.source)
    if problems:
        raise PredictionsInvalid(problems, ", ".join(p.source for p in predictors))
    conversation_ids = np.unique(ground_truth(tables).column("conversation_id").to_numpy().astype(np.int64))
    n_conv = len(conversation_ids)
    weights = resample_counts(n_conv, resamples, seed) if resamples else np.zeros((0, n_conv))
    ones = np.ones((1, n_conv))
    scored: list[tuple[Predictor, EvaluationResult, pa.Table, dict[str, dict[str, np.ndarray]],
                       dict[str, dict[str, float]]]] = []
    for predictor in predictors:
        result = evaluate(tables, predictor.table, allow_missing, predictor=predictor.name)
        cells = _cells(tables, predictor.table)
        stats = _subset_stats(cells, conversation_ids)
        point = {s: {m: float(v[0]) for m, v in weighted_metrics(st, ones).items()} for s, st in stats.items()}
        boot = {s: weighted_metrics(st, weights) for s, st in stats.items()}
        scored.append((predictor, result, cells, boot, point))
    ref = next(item for item in scored if item[0].name == reference)
    rows = []
    for predictor, result, cells, boot, point in scored:
        estimates = {s: {m: Estimate(point[s][m], *(percentile_interval(boot[s][m]) if resamples
                                                    else (math.nan, math.nan)))
                         for m in METRICS} for s in SUBSETS}
        comparison: dict[str, dict[str, Comparison]] | None = None
        if predictor.name != reference and resamples:
            comparison = {}
            for s in SUBSETS:
                comparison[s] = {}
                for m in METRICS:
                    differences = boot[s][m] - ref[3][s][m]
                    observed = point[s][m] - ref[4][s][m]
                    low, high = percentile_interval(differences)
                    comparison[s][m] = Comparison(observed, low, high, paired_p_value(differences, observed))
        rows.append(LeaderboardRow(predictor, result, estimates, comparison, cells))
    notes = []
    if allow_missing and any(r.result.missing_items for r in rows):
        notes.append("some predictors miss cells (--allow-missing): each is scored on its own cells, so "
                     "differences mix predictor and coverage")
    return Leaderboard(rows, reference, resamples, seed, n_conv, notes=notes)


def baseline_predictor(tables: dict[str, pa.Table], name: str, seed: int = 0) -> Predictor:
    """A built-in baseline as a :class:`Predictor` (named by the baseline)."""
    source = f"baseline {name}" + (f" (seed {seed})" if name == "random" else "")
    return Predictor(name, source, "baseline", baseline_predictions(tables, name, seed))


def predictor_spec(spec: str) -> tuple[str, Path]:
    """``PATH`` or ``NAME=PATH``: the predictor's name (the file's stem or the folder's name) and path."""
    path = Path(spec)
    if not path.exists() and "=" in spec:
        name, _, rest = spec.partition("=")
        if name.strip():
            path = Path(rest)
            if not path.exists():
                raise UsageError(f"{rest}: no such predictions file or folder")
            return name.strip(), path
    if not path.exists():
        raise UsageError(f"{spec}: no such predictions file or folder")
    return (path.name if path.is_dir() else path.stem) or str(path), path


def read_predictor(spec: str, tables: dict[str, pa.Table], allow_missing: bool = False
                   ) -> tuple[Predictor, list[Finding]]:
    """A predictions file or folder as a :class:`Predictor`, with every problem of it (parse and cells)."""
    name, path = predictor_spec(spec)
    parsed = parse_predictions(path)
    predictor = Predictor(name, parsed.source, parsed.layout or "unknown", parsed.table())
    problems = parsed.problems + check_predictions(tables, predictor.table, allow_missing, source=parsed.source,
                                                   rejected=parsed.rejected)
    return predictor, problems


def run_leaderboard(source: Path | Source, predictions: Sequence[str] = (), baselines: Sequence[str] = (),
                    reference: str = "human", resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                    allow_missing: bool = False, baseline_seed: int = 0) -> Leaderboard:
    """`vogue-pack evaluate SOURCE PRED... --baseline ...`: parse every predictor, then score them together.

    Raises :class:`PredictionsInvalid` carrying the problems of every file (parse and cell problems).
    """
    names = [*baselines, *(predictor_spec(spec)[0] for spec in predictions)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:  # before any file is parsed: a usage problem, not a problem of the predictions
        raise UsageError(f"two predictors are named {', '.join(duplicated)}: name them with NAME=PATH")
    if reference not in names and reference not in BASELINES:
        raise UsageError(f"--reference {reference!r} is neither a predictor of this run ({', '.join(names)}) "
                         f"nor a baseline ({', '.join(BASELINES)})")
    if resamples < 0:
        raise UsageError("--bootstrap must be 0 (no intervals) or a positive number of resamples")
    tables = (source if isinstance(source, Source) else load_source(source, images=False)).tables
    predictors: list[Predictor] = []
    problems: list[Finding] = []
    for name in baselines:
        if name not in BASELINES:
            raise UsageError(f"unknown baseline {name!r}: choose one of {', '.join(BASELINES)}")
        predictors.append(baseline_predictor(tables, name, baseline_seed))
    for spec in predictions:
        predictor, predictor_problems = read_predictor(spec, tables, allow_missing)
        predictors.append(predictor)
        problems += predictor_problems
    if not predictors:
        raise UsageError("give predictions files or folders, or --baseline NAME")
    if problems:
        raise PredictionsInvalid(problems, ", ".join(p.source for p in predictors))
    return build_leaderboard(tables, predictors, reference, resamples, seed, allow_missing, baseline_seed)


# --- rendering ---------------------------------------------------------------------------------------


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def _with_interval(estimate: Estimate, digits: int = 3) -> str:
    if math.isnan(estimate.low):
        return _fmt(estimate.value, digits)
    return f"{_fmt(estimate.value, digits)} ± {_fmt(estimate.half_width, digits)}"


def _signed(comparison: Comparison, digits: int = 3) -> str:
    if math.isnan(comparison.difference):
        return "n/a"
    mark = "*" if comparison.excludes_zero else " "
    return f"{comparison.difference:+.{digits}f}{mark}"


TABLE_METRICS = ("accuracy", "pc", "mae", "macro_mae", "total_variation", "wasserstein_1")


def render_leaderboard(board: Leaderboard, fmt: str = "table") -> str:
    """The leaderboard as terminal text (``table``) or JSON (``json``)."""
    if fmt == "json":
        return json.dumps(board.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r}: choose table or json")
    lines: list[str] = []
    name_width = max(len("unmentioned items"), *(len(r.predictor.name) + 2 for r in board.rows))
    if board.resamples:
        lines.append(f"{round(board.confidence * 100)}% percentile bootstrap intervals over {board.conversations} "
                     f"conversations ({board.resamples} resamples, seed {board.seed}): value ± half-width")
    else:
        lines.append("no bootstrap (--bootstrap 0): values only")
    for subset in SUBSETS:
        lines += ["", f"{subset} items"]
        header = [METRIC_LABELS[m] for m in TABLE_METRICS]
        cells = [[_with_interval(r.estimates[subset][m]) for m in TABLE_METRICS] for r in board.rows]
        width = max(len(h) for h in header)
        width = max(width, *(len(c) for row in cells for c in row))
        lines.append(f"{'predictor':<{name_width}}  {'items':>6}  " + "  ".join(f"{h:>{width}}" for h in header))
        for row, values in zip(board.rows, cells, strict=True):
            label = row.predictor.name + (" ◆" if row.predictor.name == board.reference else "")
            lines.append(f"{label:<{name_width}}  {row.result.metrics[subset].items:>6}  "
                         + "  ".join(f"{v:>{width}}" for v in values))
    lines += ["", "MAE by true rating (all items)"]
    header = [METRIC_LABELS[f"mae_gt_{k}"] for k in RATING_VALUES]
    cells = [[_with_interval(r.estimates["all"][f"mae_gt_{k}"]) for k in RATING_VALUES] for r in board.rows]
    width = max(len(h) for h in header)
    width = max(width, *(len(c) for row in cells for c in row))
    lines.append(f"{'predictor':<{name_width}}  " + "  ".join(f"{h:>{width}}" for h in header))
    for row, values in zip(board.rows, cells, strict=True):
        lines.append(f"{row.predictor.name:<{name_width}}  " + "  ".join(f"{v:>{width}}" for v in values))
    compared = [r for r in board.rows if r.comparison is not None]
    if compared:
        lines += ["", f"difference from the reference {board.reference} (predictor − reference; * = the "
                  f"{round(board.confidence * 100)}% interval excludes 0; p = paired bootstrap p-value)"]
        for subset in SUBSETS:
            header = [METRIC_LABELS[m] for m in TABLE_METRICS]
            width = max(15, *(len(h) for h in header))
            lines.append(f"{subset + ' items':<{name_width}}  " + "  ".join(f"{h:>{width}}" for h in header))
            for row in compared:
                assert row.comparison is not None
                values = [f"{_signed(row.comparison[subset][m])} p={_fmt(row.comparison[subset][m].p_value, 3)}"
                          for m in TABLE_METRICS]
                lines.append(f"{row.predictor.name:<{name_width}}  " + "  ".join(f"{v:>{width}}" for v in values))
    lines += ["", "◆ reference. Higher is better for accuracy and PC, lower for the others. "
              "--format json has every interval and p-value."]
    for row in board.rows:
        if row.result.missing_items:
            lines.append(f"note: {row.predictor.name}: {row.result.missing_items} of {row.result.expected_items} "
                         "rated items have no prediction and were not scored")
    lines += [f"note: {n}" for n in board.notes]
    return "\n".join(lines) + "\n"


def cells_table(board: Leaderboard) -> pa.Table:
    """Every scored cell of every predictor: predictor, conversation_id, item_id, mentioned, predicted, true."""
    parts = []
    for row in board.rows:
        cells = row.cells
        parts.append(pa.table({
            "predictor": pa.array([row.predictor.name] * cells.num_rows, pa.string()),
            "conversation_id": cells.column("conversation_id"),
            "item_id": cells.column("item_id"),
            "mentioned": cells.column("mentioned"),
            "predicted": cells.column("predicted"),
            "true": cells.column("true"),
        }))
    return pa.concat_tables(parts).combine_chunks()


def write_cells(board: Leaderboard, path: Path) -> int:
    """Write :func:`cells_table` as Parquet to ``path`` (atomically); returns the number of rows."""
    import io

    import pyarrow.parquet as pq

    from vogue_pack.fsutil import atomic_write_bytes

    table = cells_table(board)
    table = table.replace_schema_metadata({"vogue.table": "evaluation_cells",
                                           "vogue.format_version": LEADERBOARD_FORMAT_VERSION})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    try:
        atomic_write_bytes(Path(path), sink.getvalue())
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the cells file: {exc.strerror or exc}") from exc
    return table.num_rows
