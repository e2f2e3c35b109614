"""The paper's headline figures beside a release's: each computed from the release's tables by the existing
statistics and metrics, set against the published number from one declared reference file
(``vogue_pack/analysis/reference/paper_figures.json``), with every difference named."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from vogue_pack.errors import UsageError

PAPER_FIGURES = Path(__file__).resolve().parent / "reference" / "paper_figures.json"


@dataclass(frozen=True)
class Comparison:
    """One headline figure: the paper's value, the release's (None when it cannot be computed, with why)."""

    key: str
    label: str
    paper: float
    decimals: int
    release: float | None
    reason: str = ""  # why ``release`` is None

    @property
    def difference(self) -> float | None:
        """Release minus paper, at the paper's precision (None when the release figure is missing)."""
        if self.release is None:
            return None
        return round(round(self.release, self.decimals) - self.paper, self.decimals)

    def fmt(self, value: float) -> str:
        return f"{value:,.{self.decimals}f}"

    def sentence(self) -> str:
        """What the difference is, in words."""
        if self.release is None:
            return f"The {self.label} cannot be computed for this release: {self.reason}."
        diff = self.difference
        if not diff:
            return f"The {self.label} agree: {self.fmt(self.paper)} (at the paper's precision)."
        return (f"The release's {self.label}: {self.fmt(self.release)}, the paper's {self.fmt(self.paper)}: "
                f"{'+' if diff > 0 else '-'}{self.fmt(abs(diff))}.")


def load_paper_figures(path: Path = PAPER_FIGURES) -> dict[str, Any]:
    """The declared reference file of the paper's figures (source, and one entry per figure)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _from_stats(stats: dict[str, Any], path: str) -> tuple[float | None, str]:
    node: Any = stats
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None, f"vogue-pack stats has no {path}"
        node = node[part]
    if node is None:
        return None, "the tables it is computed from are empty"
    return float(node), ""


def _from_evaluation(tables: dict[str, pa.Table], path: str) -> tuple[float | None, str]:
    from vogue_pack.analysis.metrics import evaluate
    from vogue_pack.analysis.predictions import PredictionsInvalid, baseline_predictions

    baseline, subset, metric = path.split(".")
    if any(name not in tables for name in ("item_ratings", "conversation_items")):
        return None, "the release has no item ratings to evaluate"
    try:
        result = evaluate(tables, baseline_predictions(tables, baseline), allow_missing=True, predictor=baseline)
    except UsageError as exc:  # nothing to evaluate against (no Seeker ratings)
        return None, str(exc)
    except PredictionsInvalid as exc:
        return None, f"the {baseline} baseline cannot be scored ({exc})"
    if result.scored_items == 0:
        return None, f"no cell has both a Seeker and a {baseline} rating"
    value = getattr(result.metrics[subset], metric)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, f"the {metric} is undefined (no conversation with varying ratings)"
    return float(value), ""


def compare_with_paper(tables: dict[str, pa.Table], figures: dict[str, Any] | None = None,
                       stats: dict[str, Any] | None = None) -> list[Comparison]:
    """Each figure of the reference file beside the release's value, computed from ``tables`` (``stats``:
    their :func:`~vogue_pack.analysis.stats.compute_stats` when the caller has it already)."""
    from vogue_pack.analysis.stats import compute_stats

    figures = figures or load_paper_figures()
    stats = compute_stats(dict(tables)) if stats is None else stats
    out = []
    for entry in figures["figures"]:
        source, _, path = str(entry["release"]).partition(":")
        if source == "stats":
            value, reason = _from_stats(stats, path)
        elif source == "evaluation":
            value, reason = _from_evaluation(dict(tables), path)
        else:
            value, reason = None, f"the reference file names an unknown source {source!r}"
        out.append(Comparison(key=entry["key"], label=entry["label"], paper=float(entry["value"]),
                              decimals=int(entry["decimals"]), release=value, reason=reason))
    return out


def paper_section(tables: dict[str, pa.Table] | Any, stats: dict[str, Any] | None = None) -> list[str]:
    """Markdown lines: the paper's headline figures, the release's, the difference, and a sentence for each
    difference (``stats`` as for :func:`compare_with_paper`)."""
    figures = load_paper_figures()
    rows = compare_with_paper(dict(tables), figures, stats)
    source = figures["source"]
    lines = [f"The paper's headline figures ({source['citation']} {source['url']}; {source['where']}) beside "
             "the same figures computed from this release's tables (the statistics above, and `vogue-pack "
             "evaluate --baseline human`):", "",
             "| figure | paper | this release | difference |", "|---|---|---|---|"]
    for row in rows:
        release = row.fmt(row.release) if row.release is not None else "cannot be computed"
        diff = row.difference
        shown = "-" if diff is None else ("none" if not diff else f"{'+' if diff > 0 else '-'}{row.fmt(abs(diff))}")
        lines.append(f"| {row.label} | {row.fmt(row.paper)} | {release} | {shown} |")
    differing = [row for row in rows if row.release is None or row.difference]
    lines.append("")
    if not differing:
        lines.append("Every figure agrees with the paper at the paper's precision.")
    else:
        lines += [f"- {row.sentence()}" for row in differing]
    return lines
