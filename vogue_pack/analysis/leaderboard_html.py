"""The leaderboard as one self-contained HTML page: tables and inline SVG charts, no script, no network.

Like the validation report (``vogue_pack.report.html``), everything is inline and a Content-Security-Policy
allows only the page's own stylesheet (by hash): nothing can be fetched. Identical input gives identical
bytes. Charts: the rating distribution of each predictor beside the truth, MAE by true rating with the
bootstrap intervals, and mentioned versus unmentioned items.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from vogue_pack._version import __version__
from vogue_pack.analysis.leaderboard import METRIC_LABELS, TABLE_METRICS, Estimate, Leaderboard
from vogue_pack.analysis.metrics import SUBSETS
from vogue_pack.analysis.predictions import RATING_VALUES
from vogue_pack.errors import UsageError
from vogue_pack.fsutil import atomic_write_text
from vogue_pack.report.html import csp_hash

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
TRUTH_COLOUR = "#444444"

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1b1b1b;
       background: #fafafa; }
header { background: #fff; border-bottom: 1px solid #ddd; padding: 14px 24px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
.meta { color: #555; font-size: 13px; }
main { padding: 0 24px 32px; max-width: 1200px; }
table { border-collapse: collapse; background: #fff; margin: 6px 0 4px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f0; font-weight: 600; }
td .diff { display: block; color: #666; font-size: 12px; }
td .diff.sig { color: #b00020; font-weight: 600; }
.ref { font-size: 11px; color: #fff; background: #555; border-radius: 3px; padding: 0 4px; margin-left: 4px; }
.note { color: #555; font-size: 13px; max-width: 900px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #ddd; padding: 8px; }
figcaption { font-size: 13px; color: #333; margin-bottom: 4px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
.legend span { display: inline-block; margin-right: 14px; font-size: 13px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
""".strip() + "\n" + "\n".join(f".swatch-{n} {{ background: {c}; }}" for n, c in enumerate(PALETTE))


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def _cell(estimate: Estimate) -> str:
    if math.isnan(estimate.low):
        return _num(estimate.value)
    return (f'<span title="95% interval {_num(estimate.low)} to {_num(estimate.high)}">'
            f"{_num(estimate.value)} ± {_num(estimate.half_width)}</span>")


def _colour(n: int) -> str:
    return PALETTE[n % len(PALETTE)]


def _table(board: Leaderboard, subset: str) -> str:
    head = "".join(f"<th>{_esc(METRIC_LABELS[m])}</th>" for m in TABLE_METRICS)
    rows = []
    for row in board.rows:
        name = _esc(row.predictor.name)
        if row.predictor.name == board.reference:
            name += '<span class="ref">reference</span>'
        cells = []
        for m in TABLE_METRICS:
            content = _cell(row.estimates[subset][m])
            if row.comparison is not None:
                c = row.comparison[subset][m]
                if not math.isnan(c.difference):
                    cls = "diff sig" if c.excludes_zero else "diff"
                    content += (f'<span class="{cls}" title="paired difference, 95% interval {_num(c.low)} to '
                                f'{_num(c.high)}">Δ {c.difference:+.3f}{" *" if c.excludes_zero else ""} '
                                f"p={_num(c.p_value)}</span>")
            cells.append(f"<td>{content}</td>")
        rows.append(f'<tr data-predictor="{_esc(row.predictor.name)}"><td>{name}</td>'
                    f"<td>{row.result.metrics[subset].items}</td>{''.join(cells)}</tr>")
    return (f'<table class="board" id="board-{subset}"><thead><tr><th>predictor</th><th>items</th>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def _distribution_svg(board: Leaderboard, n: int) -> str:
    """Bars of the shares of ratings 1..5: the predictor (colour) beside the truth (grey)."""
    row = board.rows[n]
    dist = row.result.metrics["all"].distribution
    total = max(sum(dist.truth.values()), 1)
    width, height, left, bottom, top = 260, 170, 34, 24, 10
    plot_h = height - bottom - top
    peak = max(max(dist.predicted.values()), max(dist.truth.values()), 1) / total
    scale = plot_h / max(peak, 0.05)
    group_w = (width - left - 8) / len(RATING_VALUES)
    bar_w = group_w * 0.36
    parts = [f'<svg class="chart distribution" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="rating distribution of {_esc(row.predictor.name)}">']
    for tick in range(0, 101, 20):
        share = tick / 100
        if share > peak + 1e-9 and tick:
            break
        y = height - bottom - share * scale
        parts.append(f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick}%</text>')
    for k_index, k in enumerate(RATING_VALUES):
        x0 = left + k_index * group_w + group_w * 0.12
        for offset, count, colour, what in ((0, dist.predicted[k], _colour(n), "predicted"),
                                             (bar_w, dist.truth[k], TRUTH_COLOUR, "true")):
            h = count / total * scale
            parts.append(f'<rect class="bar {what}" x="{x0 + offset:.1f}" y="{height - bottom - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{what} {k}: {count} ({100 * count / total:.1f}%)</title></rect>")
        parts.append(f'<text x="{x0 + bar_w:.1f}" y="{height - 8}" text-anchor="middle">{k}</text>')
    parts.append(f'<line x1="{left}" x2="{width - 4}" y1="{height - bottom}" y2="{height - bottom}" stroke="#999"/>')
    parts.append("</svg>")
    return (f'<figure><figcaption>{_esc(row.predictor.name)} (colour) vs truth (grey), '
            f"TV {_num(dist.total_variation)}, W1 {_num(dist.wasserstein_1)}</figcaption>{''.join(parts)}</figure>")


def _interval_chart(board: Leaderboard, groups: list[tuple[str, str, str]], chart_id: str, label: str) -> str:
    """Dots with interval whiskers: for each group (label, subset, metric) one dot per predictor."""
    values = [(n, g, board.rows[n].estimates[g[1]][g[2]]) for g in groups for n in range(len(board.rows))]
    finite = [v for _, _, e in values for v in (e.value, e.low, e.high) if not math.isnan(v)]
    high = max([*finite, 0.5]) * 1.1
    width = max(360, 70 + len(groups) * (24 + 18 * len(board.rows)))
    height, left, bottom, top = 220, 40, 26, 10
    plot_h = height - bottom - top
    group_w = (width - left - 10) / len(groups)
    parts = [f'<svg class="chart" id="{chart_id}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{_esc(label)}">']
    steps = 5
    for i in range(steps + 1):
        v = high * i / steps
        y = height - bottom - v / high * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    for g_index, (glabel, subset, metric) in enumerate(groups):
        gx = left + g_index * group_w
        parts.append(f'<text x="{gx + group_w / 2:.1f}" y="{height - 8}" text-anchor="middle">{_esc(glabel)}</text>')
        for n, row in enumerate(board.rows):
            e = row.estimates[subset][metric]
            if math.isnan(e.value):
                continue
            x = gx + group_w * (n + 1) / (len(board.rows) + 1)
            y = height - bottom - e.value / high * plot_h
            if not math.isnan(e.low):
                y_low = height - bottom - e.low / high * plot_h
                y_high = height - bottom - e.high / high * plot_h
                parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y_low:.1f}" y2="{y_high:.1f}" '
                             f'stroke="{_colour(n)}" stroke-width="2"/>')
            parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{_colour(n)}">'
                         f"<title>{_esc(row.predictor.name)}, {_esc(glabel)}: {_num(e.value)} "
                         f"[{_num(e.low)}, {_num(e.high)}]</title></circle>")
    parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{height - bottom}" y2="{height - bottom}" stroke="#999"/>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(board: Leaderboard) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i class="swatch-{n % len(PALETTE)}"></i>{_esc(r.predictor.name)}</span>'
        for n, r in enumerate(board.rows)) + "</div>"


def render_leaderboard_html(board: Leaderboard) -> str:
    """The page's HTML text (deterministic)."""
    csp = f"default-src 'none'; style-src {csp_hash(CSS)}; base-uri 'none'; form-action 'none'"
    intervals = (f"{round(board.confidence * 100)}% percentile bootstrap intervals over {board.conversations} "
                 f"conversations, {board.resamples} resamples, seed {board.seed}; value ± half the interval's "
                 "width (hover for its ends)") if board.resamples else "no bootstrap: values only"
    legend = _legend(board)  # colours by class: the CSP admits no style attribute
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="vogue-pack {_esc(__version__)}">',
        "<title>VOGUE rating prediction: leaderboard</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>VOGUE rating prediction: leaderboard</h1>",
        f'<div class="meta">{_esc(intervals)} · reference {_esc(board.reference)} · '
        f"vogue-pack {_esc(__version__)}</div></header><main>",
        '<h2 id="leaderboard">Leaderboard</h2>',
        '<p class="note">Higher is better for accuracy and PC, lower for MAE, M-MAE, TV and W1. Under each value '
        f"of a predictor: its paired difference from {_esc(board.reference)} (Δ), marked * and in red when the "
        "difference's 95% interval excludes zero, and the paired bootstrap p-value.</p>",
    ]
    for subset in SUBSETS:
        parts.append(f"<h2>{_esc(subset)} items</h2>{_table(board, subset)}")
    parts.append('<h2 id="distributions">Rating distribution, each predictor beside the truth</h2>')
    parts.append('<div class="charts" id="distribution-charts">'
                 + "".join(_distribution_svg(board, n) for n in range(len(board.rows))) + "</div>")
    parts.append('<h2 id="by-rating">MAE by true rating</h2>' + legend)
    parts.append("<figure>" + _interval_chart(board, [(f"GT={k}", "all", f"mae_gt_{k}") for k in RATING_VALUES],
                                              "mae-by-rating", "MAE by true rating") + "</figure>")
    parts.append('<h2 id="mentioned">Mentioned versus unmentioned items</h2>' + legend)
    parts.append('<div class="charts"><figure><figcaption>MAE</figcaption>'
                 + _interval_chart(board, [("mentioned", "mentioned", "mae"), ("unmentioned", "unmentioned", "mae")],
                                   "mentioned-mae", "MAE, mentioned vs unmentioned")
                 + '</figure><figure><figcaption>accuracy</figcaption>'
                 + _interval_chart(board, [("mentioned", "mentioned", "accuracy"),
                                           ("unmentioned", "unmentioned", "accuracy")],
                                   "mentioned-accuracy", "accuracy, mentioned vs unmentioned")
                 + "</figure></div>")
    notes = [f"{r.predictor.name}: {r.result.missing_items} of {r.result.expected_items} rated items have no "
             "prediction (not scored)" for r in board.rows if r.result.missing_items] + board.notes
    if notes:
        parts.append('<h2>Notes</h2><ul class="note">' + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def write_leaderboard_html(board: Leaderboard, path: Path) -> None:
    """Write :func:`render_leaderboard_html` to ``path`` atomically."""
    try:
        atomic_write_text(Path(path), render_leaderboard_html(board))
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the page: {exc.strerror or exc}") from exc
