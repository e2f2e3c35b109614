"""The HTML validation report: one self-contained, deterministic page people can read offline or mailed.

The page holds a summary (pass/fail, counts by severity, code and file, dataset statistics), every finding
(grouped by file or by code, filtered by severity/code/file/text, drawn one page at a time by a small
vanilla script over an embedded JSON block, so 100,000 findings never freeze a browser) and a gallery of
duplicate-image clusters with small embedded thumbnails. Nothing is fetched: styles, script and images are
inline, and a Content-Security-Policy forbids any network access. Identical input gives identical bytes
(no timestamps; data sorted; thumbnails re-encoded deterministically), so the page can be part of a
reproducible release.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from vogue_pack._version import __version__
from vogue_pack.console import plural
from vogue_pack.report.findings import CodeInfo, Finding, Severity, registered_codes
from vogue_pack.report.html_assets import CSS, JS
from vogue_pack.report.report import REPORT_FORMAT_VERSION, Report, summary_line

RELEASE_HTML_NAME = "report.html"  # the page's name in a release, beside report.json
PAGE_SIZE = 100  # findings drawn per page
THUMBNAIL_SIZE = 96  # longest side of a gallery thumbnail, pixels
THUMBNAIL_QUALITY = 85  # JPEG quality of thumbnails
MAX_GALLERY_CLUSTERS = 200  # clusters shown; the rest are counted
MAX_CLUSTER_ITEMS = 24  # thumbnails per cluster; the rest are counted
MAX_FILE_OPTIONS = 5_000  # files listed in the file filter; others are reachable by the text search
MAX_SUMMARY_FILES = 100  # rows of the "by file" summary table
# Thumbnails are made only of images whose header declares at most this many pixels (the validator
# reports bigger ones as image.bomb); larger or undecodable images get a "no preview" box.
MAX_THUMBNAIL_PIXELS = 40_000_000

_SEVERITY_INDEX = {Severity.ERROR: 0, Severity.WARNING: 1}


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _int(n: int) -> str:
    return f"{n:,}"


def _plural(n: int, word: str) -> str:
    return plural(n, word)


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source for an inline block: ``'sha256-<base64 digest>'``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _value_text(value: Any) -> str:
    """An offending or expected value as compact JSON ('' when absent), shortened as in report.json."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and len(value) <= 200:
        return encode_basestring(value)  # the common cases, without a json.dumps call each
    if isinstance(value, list) and len(value) <= 50 and all(
            v is None or isinstance(v, int) or (isinstance(v, str) and len(v) <= 200) for v in value):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    safe = Finding(code="", severity=Severity.ERROR, message="", value=value).to_dict()["value"]
    return json.dumps(safe, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _location(item: Finding) -> str:
    """Finding.location, plus the record keys when the location does not already show them."""
    location = item.location
    if item.keys and (item.row is not None or item.column is not None or item.pointer is not None):
        keys = ", ".join(f"{k}={v}" for k, v in sorted(item.keys.items()))
        location = f"{location}; {keys}" if location else keys
    return location


def _code_titles(codes: list[str], catalogue: Mapping[str, CodeInfo] | None) -> dict[str, str]:
    """Catalogue titles of ``codes`` ('' for a code the catalogue does not know, e.g. from an old report).

    ``catalogue`` is handed in by the caller (``vogue_pack.validate.catalogue.all_codes()``); without one, the
    codes registered in this process are used."""
    if catalogue is None:
        catalogue = registered_codes()
    return {code: catalogue[code].title if code in catalogue else "" for code in codes}


# --- findings data -----------------------------------------------------------------------------------

@dataclass
class _FindingsData:
    codes: list[str]
    files: list[str]
    rows: list[list[Any]]
    titles: dict[str, str] = field(default_factory=dict)
    by_code: dict[str, Counter[str]] = field(default_factory=dict)
    by_file: dict[str, Counter[str]] = field(default_factory=dict)


def _findings_data(findings: list[Finding], catalogue: Mapping[str, CodeInfo] | None) -> _FindingsData:
    codes = sorted({f.code for f in findings})
    files = sorted({f.file or "" for f in findings})
    code_index = {c: i for i, c in enumerate(codes)}
    file_index = {f: i for i, f in enumerate(files)}
    data = _FindingsData(codes=codes, files=files, rows=[], titles=_code_titles(codes, catalogue))
    for code in codes:
        data.by_code[code] = Counter()
    for name in files:
        data.by_file[name] = Counter()
    for item in findings:
        data.rows.append([
            _SEVERITY_INDEX[item.severity],
            code_index[item.code],
            file_index[item.file or ""],
            _location(item),
            _value_text(item.value),
            _value_text(item.expected),
            item.message,
        ])
        data.by_code[item.code][item.severity.value] += 1
        data.by_file[item.file or ""][item.severity.value] += 1
    return data


# --- duplicate gallery ---------------------------------------------------------------------------------

@dataclass
class _Cluster:
    cluster: int
    items: list[int]
    pairs: list[dict[str, Any]]


def _clusters(duplicate_pairs: pa.Table) -> list[_Cluster]:
    by_cluster: dict[int, _Cluster] = {}
    for pair in duplicate_pairs.to_pylist():
        cluster_id = int(pair["cluster"])
        entry = by_cluster.setdefault(cluster_id, _Cluster(cluster_id, [], []))
        entry.pairs.append(pair)
    clusters = []
    for cluster_id in sorted(by_cluster):
        entry = by_cluster[cluster_id]
        entry.pairs.sort(key=lambda p: (int(p["item_a"]), int(p["item_b"])))
        entry.items = sorted({int(p["item_a"]) for p in entry.pairs} | {int(p["item_b"]) for p in entry.pairs})
        clusters.append(entry)
    return clusters


def _safe_image_path(image_root: Path, rel: str) -> Path | None:
    """``image_root / rel`` if it is a regular file inside the root reached without symbolic links."""
    if not rel or os.path.isabs(rel) or "\\" in rel:
        return None
    parts = Path(rel).parts
    if ".." in parts:
        return None
    root = Path(os.path.realpath(image_root))
    candidate = root.joinpath(*parts)
    if os.path.realpath(candidate) != str(candidate) or not candidate.is_file():
        return None  # a symbolic link somewhere on the way, or not a regular file: never read it
    return candidate


def thumbnail_data_uri(path: Path, size: int = THUMBNAIL_SIZE) -> tuple[str, int, int] | None:
    """A JPEG data URI of the image at ``path``, longest side ``size`` px, alpha flattened onto white,
    with the thumbnail's width and height.

    Deterministic bytes for identical input. ``None`` when the file is not an image Pillow can decode,
    or declares more than :data:`MAX_THUMBNAIL_PIXELS` pixels.
    """
    from PIL import Image

    # What a corrupt file makes Pillow raise (see vogue_pack.images.inspect); a bad image gets no preview.
    decode_errors = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)
    try:
        with Image.open(path) as opened:
            if opened.width * opened.height > MAX_THUMBNAIL_PIXELS:
                return None
            opened.draft("RGB", (size * 2, size * 2))  # JPEG: decode at reduced scale
            image = opened.convert("RGBA")
    except decode_errors:
        return None
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(background, image).convert("RGB")
    flat.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    flat.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return uri, flat.width, flat.height


def _gallery_html(duplicate_pairs: pa.Table | None, images: pa.Table | None, image_root: Path | None) -> str:
    out = ['<section id="duplicates"><h2>Duplicate images</h2>']
    if duplicate_pairs is None:
        out.append('<p class="muted">Duplicate search was not run for this report.</p></section>')
        return "\n".join(out)
    clusters = _clusters(duplicate_pairs)
    if not clusters:
        out.append('<p class="muted">No two items have identical or near-identical images.</p></section>')
        return "\n".join(out)
    facts: dict[int, dict[str, Any]] = {}
    if images is not None:
        for row in images.to_pylist():
            facts[int(row["item_id"])] = row
    n_items = len({i for c in clusters for i in c.items})
    out.append(
        f'<p class="muted">{_plural(len(clusters), "cluster")} of items whose images are identical '
        f'(same bytes) or near-identical (perceptual-hash Hamming distance at most the threshold), '
        f'{_plural(n_items, "item")} in all. Distances are in bits of the hash.</p>'
    )
    if image_root is None:
        out.append('<p class="muted">No image folder was given: thumbnails are not shown.</p>')
    out.append('<div class="gallery">')
    thumbnails: dict[str, tuple[str, int, int] | None] = {}
    for cluster in clusters[:MAX_GALLERY_CLUSTERS]:
        kinds = sorted({str(p["kind"]) for p in cluster.pairs})
        out.append(f'<div class="cluster" id="cluster-{cluster.cluster}" data-cluster="{cluster.cluster}">')
        out.append(f'<h3><span>Cluster {cluster.cluster}</span>'
                   f'<span class="muted">{_plural(len(cluster.items), "item")} · {_esc(", ".join(kinds))}'
                   f'</span></h3>')
        out.append('<div class="thumbs">')
        for item_id in cluster.items[:MAX_CLUSTER_ITEMS]:
            row = facts.get(item_id)
            uri = None
            raw_path = (row.get("raw_path") or row.get("path")) if row is not None else None
            if image_root is not None and raw_path:
                key = str(raw_path)
                if key not in thumbnails:
                    path = _safe_image_path(image_root, key)
                    thumbnails[key] = thumbnail_data_uri(path) if path is not None else None
                uri = thumbnails[key]
            dims = ""
            if row is not None and row.get("width") and row.get("height"):
                dims = f'{row["width"]}×{row["height"]}'
                if row.get("mode"):
                    dims += f' {row["mode"]}'
            frame = (f'<img src="{uri[0]}" alt="item {item_id}" width="{uri[1]}" height="{uri[2]}">' if uri
                     else '<span class="none">no preview</span>')
            out.append(f'<figure class="thumb" data-item="{item_id}"><div class="frame">{frame}</div>'
                       f'<figcaption>item {item_id}<span class="dim">{_esc(dims)}</span></figcaption></figure>')
        if len(cluster.items) > MAX_CLUSTER_ITEMS:
            out.append(f'<p class="muted">… and {len(cluster.items) - MAX_CLUSTER_ITEMS} more items</p>')
        out.append('</div><table class="pairs"><thead><tr><th>Pair</th><th>Kind</th>'
                   '<th class="num">Hamming distance</th><th>Mirrored</th></tr></thead><tbody>')
        for pair in cluster.pairs:
            out.append(
                f'<tr><td>{int(pair["item_a"])} ↔ {int(pair["item_b"])}</td><td>{_esc(pair["kind"])}</td>'
                f'<td class="num">{int(pair["distance"])}</td><td>{"yes" if pair["mirrored"] else "no"}</td></tr>'
            )
        out.append('</tbody></table></div>')
    out.append('</div>')
    if len(clusters) > MAX_GALLERY_CLUSTERS:
        out.append(f'<p class="muted">… and {len(clusters) - MAX_GALLERY_CLUSTERS} more clusters '
                   '(see the duplicate_pairs table of the release).</p>')
    out.append('</section>')
    return "\n".join(out)


# --- statistics -----------------------------------------------------------------------------------------

def _scalar_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        if value != value:
            return "n/a"
        if value == int(value) and abs(value) < 1e15:
            return _int(int(value))
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)


def _distribution_html(value: dict[Any, Any]) -> str:
    """A small bar chart of a mapping label -> count (e.g. a rating distribution)."""
    peak = max((float(v) for v in value.values()), default=0.0) or 1.0
    width = 120
    rows = []
    for key, count in value.items():
        bar = max(0.0, float(count)) / peak * width
        rows.append(
            f'<tr><td class="k">{_esc(key)}</td><td><svg width="{width}" height="10" role="img" '
            f'aria-label="{_esc(key)}: {_esc(_scalar_text(count))}"><rect class="track" width="{width}" '
            f'height="10" rx="2"/><rect class="bar" width="{bar:.1f}" height="10" rx="2"/></svg></td>'
            f'<td class="num">{_esc(_scalar_text(count))}</td></tr>'
        )
    return f'<table class="dist">{"".join(rows)}</table>'


def _is_distribution(path: tuple[str, ...], value: Any) -> bool:
    """A mapping label -> count under a key that names a distribution (drawn as bars)."""
    return (isinstance(value, dict) and 0 < len(value) <= 30
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value.values())
            and any("distribution" in p or p in ("tags", "counts") for p in path))


def _compact_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f'<code>{_esc(text if len(text) <= 400 else text[:400] + "…")}</code>'


def _records_html(records: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for record in records:
        columns.extend(k for k in record if k not in columns)
    head = "".join(f"<th>{_esc(str(c).replace('_', ' '))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(_scalar_text(r.get(c)))}</td>" for c in columns) + "</tr>" for r in records)
    return f'<table class="records"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _stats_value_html(value: Any, path: tuple[str, ...]) -> str:
    if _is_distribution(path, value):
        return _distribution_html(value)
    if isinstance(value, dict):
        if len(path) >= 3 or not value:
            return _compact_json(value)
        rows = "".join(f"<tr><td>{_esc(str(k).replace('_', ' '))}</td>"
                       f"<td>{_stats_value_html(v, (*path, str(k)))}</td></tr>" for k, v in value.items())
        return f"<table>{rows}</table>"
    if isinstance(value, list | tuple):
        if len(value) <= 20 and all(not isinstance(v, dict | list | tuple) for v in value):
            return _esc(", ".join(_scalar_text(v) for v in value))
        if 0 < len(value) <= 50 and all(isinstance(v, dict) for v in value) and all(
                not isinstance(x, dict | list | tuple) for v in value for x in v.values()):
            return _records_html(list(value))
        return _compact_json(value)
    return _esc(_scalar_text(value))


def _stats_html(stats: Mapping[str, Any] | None) -> str:
    """Top-level numbers in an overview card, every nested entry in a card of its own."""
    if not stats:
        return ""
    shown = {k: v for k, v in stats.items() if k != "format_version"}
    scalars = [(k, v) for k, v in shown.items() if not isinstance(v, dict | list | tuple)]
    out = ['<section id="statistics"><h2>Dataset statistics</h2><div class="stats-grid">']
    if scalars:
        rows = "".join(f"<tr><td>{_esc(str(k).replace('_', ' '))}</td><td class=\"num\">{_esc(_scalar_text(v))}"
                       f"</td></tr>" for k, v in scalars)
        out.append(f'<div class="panel stats"><h3>Overview</h3><table><tbody>{rows}</tbody></table></div>')
    for key, value in shown.items():
        if isinstance(value, dict | list | tuple):
            wide = " wide" if isinstance(value, list | tuple) else ""
            out.append(f'<div class="panel stats{wide}"><h3>{_esc(str(key).replace("_", " "))}</h3>'
                       f'{_stats_value_html(value, (str(key),))}</div>')
    out.append("</div></section>")
    return "\n".join(out)


# --- the page --------------------------------------------------------------------------------------------

def _summary_html(report: Report, data: _FindingsData, duplicate_pairs: pa.Table | None,
                  images: pa.Table | None) -> str:
    out = ['<section id="summary"><h2>Summary</h2>']
    if report.dropped:
        out.append(f'<div class="banner warning">Report truncated: {_plural(report.dropped, "more finding")} '
                   f'({_int(report.dropped_errors)} errors) were not collected (limit '
                   f'{_int(report.max_findings)}). Counts below include them; the list does not.</div>')
    cards = [
        ("error" if report.error_count else "ok", report.error_count, "errors"),
        ("warning" if report.warning_count else "ok", report.warning_count, "warnings"),
        ("", len([f for f in data.files if f]), "files with findings"),
        ("", len(data.codes), "distinct codes"),
    ]
    if images is not None:
        cards.append(("", images.num_rows, "images checked"))
    if duplicate_pairs is not None:
        cards.append(("", len({int(c) for c in duplicate_pairs.column("cluster").to_pylist()}),
                      "duplicate clusters"))
    out.append('<div class="cards">')
    for cls, number, label in cards:
        out.append(f'<div class="card {cls}"><div class="n">{_int(number)}</div><div class="l">{label}</div></div>')
    out.append('</div><div class="panels">')

    out.append('<div class="panel scroll" id="by-code"><h3>Findings by code</h3>')
    if data.codes:
        out.append('<table><thead><tr><th>Code</th><th>Severity</th><th>Meaning</th>'
                   '<th class="num">Count</th></tr></thead><tbody>')
        ordered = sorted(data.codes, key=lambda c: (data.by_code[c]["error"] == 0, c))
        for code in ordered:
            counts = data.by_code[code]
            severities = " ".join(f'<span class="badge {s}">{s}</span>' for s in ("error", "warning")
                                  if counts[s])
            out.append(f'<tr><td><a class="filter-link mono" href="#findings" data-filter="code" '
                       f'data-value="{_esc(code)}">{_esc(code)}</a></td><td>{severities}</td>'
                       f'<td>{_esc(data.titles[code])}</td><td class="num">{_int(sum(counts.values()))}</td></tr>')
        out.append('</tbody></table>')
    else:
        out.append('<p class="muted">No findings.</p>')
    out.append('</div>')

    out.append('<div class="panel scroll" id="by-file"><h3>Findings by file</h3>')
    if data.files:
        out.append('<table><thead><tr><th>File</th><th class="num">Errors</th><th class="num">Warnings</th>'
                   '</tr></thead><tbody>')
        ordered_files = sorted(data.files, key=lambda f: (-data.by_file[f]["error"],
                                                          -data.by_file[f]["warning"], f))
        for name in ordered_files[:MAX_SUMMARY_FILES]:
            counts = data.by_file[name]
            out.append(f'<tr><td><a class="filter-link mono" href="#findings" data-filter="file" '
                       f'data-value="{_esc(name)}">{_esc(name or "(tree)")}</a></td>'
                       f'<td class="num">{_int(counts["error"])}</td><td class="num">{_int(counts["warning"])}'
                       f'</td></tr>')
        out.append('</tbody></table>')
        if len(data.files) > MAX_SUMMARY_FILES:
            out.append(f'<p class="muted">… and {_int(len(data.files) - MAX_SUMMARY_FILES)} more files '
                       '(use the file filter below).</p>')
    else:
        out.append('<p class="muted">No findings.</p>')
    out.append('</div>')
    out.append('</div></section>')
    return "\n".join(out)


def _findings_html(data: _FindingsData) -> str:
    code_options = "".join(
        f'<option value="{_esc(c)}">{_esc(c)} ({_int(sum(data.by_code[c].values()))})</option>'
        for c in data.codes)
    file_options = "".join(
        f'<option value="{_esc(f)}">{_esc(f or "(tree)")} ({_int(sum(data.by_file[f].values()))})</option>'
        for f in data.files[:MAX_FILE_OPTIONS])
    return f"""<section id="findings"><h2>Findings</h2>
<noscript><p class="muted">The finding list needs JavaScript; the summary above is complete, and every
finding is in report.json.</p></noscript>
<div id="findings-ui" hidden>
<form class="controls" role="search" id="filters">
<label>Severity<select id="f-sev"><option value="">all</option><option value="error">errors</option>
<option value="warning">warnings</option></select></label>
<label>Code<select id="f-code"><option value="">all codes</option>{code_options}</select></label>
<label>File<select id="f-file"><option value="">all files</option>{file_options}</select></label>
<label>Search<input type="search" id="f-q" placeholder="text in any field"></label>
<fieldset><legend>Group by</legend>
<label><input type="radio" name="group" value="file" checked> file</label>
<label><input type="radio" name="group" value="code"> code</label></fieldset>
<button type="button" class="reset" id="f-reset">Reset</button>
</form>
<div class="pager"><span class="status-text" id="findings-status"></span>
<button type="button" id="page-first">« First</button><button type="button" id="page-prev">‹ Prev</button>
<span id="page-label"></span>
<button type="button" id="page-next">Next ›</button><button type="button" id="page-last">Last »</button></div>
<div class="findings-table"><table>
<thead><tr><th>Severity</th><th>Code</th><th>Location</th><th>Value</th><th>Expected</th><th>Message</th></tr>
</thead><tbody id="findings-body"></tbody></table></div>
</div></section>"""


def render_html(
    report: Report,
    *,
    images: pa.Table | None = None,
    duplicate_pairs: pa.Table | None = None,
    image_root: Path | None = None,
    stats: Mapping[str, Any] | None = None,
    title: str = "VOGUE validation report",
    catalogue: Mapping[str, CodeInfo] | None = None,
) -> str:
    """Render ``report`` as one self-contained HTML page (byte-identical for identical input).

    ``images`` (the model's images table) and ``duplicate_pairs`` feed the duplicate gallery; thumbnails
    are read from ``image_root`` (the raw root ``raw_path`` is relative to; ``path`` where there is
    none) and only when it is given.
    ``stats`` (e.g. from vogue_pack.analysis.stats.compute_stats) is shown as a table in insertion order.
    ``catalogue`` gives the codes' titles (the shipped catalogue, ``vogue_pack.validate.catalogue.all_codes``).
    """
    findings = sorted(report.findings, key=Finding.sort_key)
    data = _findings_data(findings, catalogue)
    payload = {
        "codes": data.codes,
        "code_titles": [data.titles[c] for c in data.codes],
        "files": data.files,
        "findings": data.rows,
        "page_size": PAGE_SIZE,
    }
    csp = (f"default-src 'none'; img-src data:; style-src {csp_hash(CSS)}; script-src {csp_hash(JS)}; "
           "base-uri 'none'; form-action 'none'")
    valid = report.ok
    status = '<span class="status pass">pass</span>' if valid else '<span class="status fail">fail</span>'
    root = f'<span>raw tree <code>{_esc(report.root)}</code></span>' if report.root not in ("", ".") else ""
    sections = ['<a href="#summary">Summary</a>', '<a href="#findings">Findings</a>',
                '<a href="#duplicates">Duplicate images</a>']
    if stats:
        sections.append('<a href="#statistics">Statistics</a>')
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="vogue-pack {_esc(__version__)}">',
        f"<title>{_esc(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f'<header class="top"><h1>{_esc(title)} {status}</h1>',
        f'<div class="meta"><span id="summary-line">{_esc(summary_line(report))}</span>{root}'
        f'<span>vogue-pack {_esc(__version__)} · report format {_esc(REPORT_FORMAT_VERSION)}</span></div>',
        f'<nav class="sections">{"".join(sections)}</nav></header><main>',
        _summary_html(report, data, duplicate_pairs, images),
        _findings_html(data),
        _gallery_html(duplicate_pairs, images, image_root),
        _stats_html(stats),
        "</main>",
        '<footer>Generated by vogue-pack. This page is self-contained: it loads nothing from the network. '
        'The machine-readable report is report.json.</footer>',
        f'<script type="application/json" id="vp-data">{_json_for_script(payload)}</script>',
        f"<script>{JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_html(path: Path, report: Report, **kwargs: Any) -> None:
    """Render ``report`` (keyword arguments as :func:`render_html`) and write it atomically to ``path``."""
    from vogue_pack.fsutil import atomic_write_text

    atomic_write_text(Path(path), render_html(report, **kwargs))


class Validated(Protocol):
    """What the page needs from ``vogue_pack.validate.pipeline.Validation``."""

    root: Path
    tables: dict[str, pa.Table]
    report: Report


def render_validation_html(validation: Validated, *, report: Report | None = None,
                           stats: Mapping[str, Any] | None = None,
                           catalogue: Mapping[str, CodeInfo] | None = None,
                           title: str = "VOGUE validation report") -> str:
    """The page of one pipeline run: its report (or ``report``, e.g. a release's path-scrubbed copy), the
    duplicate gallery with thumbnails read from the raw root, and ``stats`` (the dataset statistics, computed
    by the caller from ``validation.tables``; this layer does not compute them)."""
    tables = validation.tables
    return render_html(
        report if report is not None else validation.report,
        images=tables.get("images"),
        duplicate_pairs=tables.get("duplicate_pairs"),
        image_root=Path(validation.root),
        stats=stats,
        title=title,
        catalogue=catalogue,
    )
