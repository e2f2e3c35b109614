"""The HTML report: self-contained, deterministic, safe with hostile values, complete data, gallery."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
from pathlib import Path

import pyarrow as pa
import pytest
from PIL import Image

from vogue_pack.raw.model import table_from_columns
from vogue_pack.report.findings import finding
from vogue_pack.report.html import (
    PAGE_SIZE,
    THUMBNAIL_SIZE,
    render_html,
    thumbnail_data_uri,
    write_html,
)
from vogue_pack.report.report import Report


def _report(n_schema_findings: int = 0) -> Report:
    report = Report(root="raw/data", max_findings=n_schema_findings + 10)
    report.add([
        finding("csv.row-length", "row 7 has 40 cells; the header has 47",
                file="conversation_trials/item_ratings/seeker_ratings.csv", row=7, value=40, expected=47),
        finding("transcript.role-repeat", "turn 5 repeats the Seeker role",
                file="conversation_trials/transcripts/c2_a_2.json", pointer="/conversation_content/4/content/role",
                value="Seeker", expected="Assistant"),
        finding("image.near-duplicate", "items 15 and 66 look alike", file="metadata/item_66.png",
                keys={"item_a": 15, "item_b": 66}, value=4),
    ])
    report.add(
        finding("schema.range", f"item_{i % 36 + 1} = 9 is outside 1..5",
                file="conversation_trials/item_ratings/assistant_ratings.csv", row=i + 2,
                column=f"item_{i % 36 + 1}", value=9, expected=[1, 5])
        for i in range(n_schema_findings)
    )
    report.finalise()
    return report


def _data_block(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="vp-data">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


def _write_png(path: Path, colour: tuple[int, int, int], size: tuple[int, int], alpha: bool = False) -> None:
    image = Image.new("RGBA" if alpha else "RGB", size, (*colour, 128) if alpha else colour)
    for x in range(0, size[0], 7):  # some structure, so thumbnails are not flat
        for y in range(0, size[1], 11):
            image.putpixel((x, y), (0, 0, 0, 255) if alpha else (0, 0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")


@pytest.fixture
def gallery(tmp_path: Path) -> tuple[Path, pa.Table, pa.Table]:
    """A raw root with four item images: 15/66 near duplicates, 40/72 identical."""
    root = tmp_path / "data"
    _write_png(root / "metadata/item_15.png", (200, 40, 40), (400, 300))
    _write_png(root / "metadata/item_66.png", (200, 40, 40), (320, 240))
    _write_png(root / "metadata/item_40.png", (40, 40, 200), (300, 500), alpha=True)
    (root / "metadata/item_72.png").write_bytes((root / "metadata/item_40.png").read_bytes())
    rows = {15: (400, 300, "RGB"), 40: (300, 500, "RGBA"), 66: (320, 240, "RGB"), 72: (300, 500, "RGBA")}
    images = table_from_columns("images", {
        "item_id": list(rows), "path": [f"metadata/item_{i}.png" for i in rows],
        "sha256": [hashlib.sha256((root / f"metadata/item_{i}.png").read_bytes()).hexdigest() for i in rows],
        "width": [w for w, _, _ in rows.values()], "height": [h for _, h, _ in rows.values()],
        "mode": [m for _, _, m in rows.values()], "ok": [True] * 4,
    })
    pairs = table_from_columns("duplicate_pairs", {
        "item_a": [40, 15], "item_b": [72, 66], "kind": ["exact", "near"], "distance": [0, 6],
        "mirrored": [False, True], "cluster": [40, 15],
    })
    return root, images, pairs


def test_identical_input_gives_identical_bytes(gallery: tuple[Path, pa.Table, pa.Table]) -> None:
    root, images, pairs = gallery
    stats = {"conversations": 60, "ratings": {"Seeker": {"distribution": {"1": 3, "2": 5}}}}
    first = render_html(_report(50), images=images, duplicate_pairs=pairs, image_root=root, stats=stats)
    # Reversed input order of the pairs and of the findings must not matter either.
    report = _report(50)
    report.findings.reverse()
    second = render_html(report, images=images, duplicate_pairs=pairs.take([1, 0]), image_root=root,
                         stats=stats)
    assert first == second
    assert "<img" in first  # the thumbnails are part of the compared bytes


def test_page_is_self_contained(gallery: tuple[Path, pa.Table, pa.Table]) -> None:
    root, images, pairs = gallery
    page = render_html(_report(), images=images, duplicate_pairs=pairs, image_root=root)
    assert not re.search(r"https?://", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert re.findall(r'<script(?: [^>]*)?>', page) == [
        '<script type="application/json" id="vp-data">', "<script>"]
    for src in re.findall(r'src="([^"]*)"', page):
        assert src.startswith("data:image/jpeg;base64,")
    # The Content-Security-Policy forbids any fetch and allows exactly the embedded script and style.
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in policy and "img-src data:" in policy
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert script is not None and style is not None
    for text, directive in ((script.group(1), "script-src"), (style.group(1), "style-src")):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy


def test_hostile_values_cannot_break_out() -> None:
    evil = '</script><script>alert(1)</script><!-- & "quoted" \u2028'
    report = Report(root='raw/<b>"x"</b>')
    report.add([finding("json.parse", evil, file=f"conversation_trials/transcripts/{evil}.json",
                        pointer="/a", value=evil, expected={"k": evil})])
    report.finalise()
    page = render_html(report)
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<b>" not in page  # the root is escaped in the header
    data = _data_block(page)
    assert data["findings"][0][6] == evil  # the message survives the round trip intact
    assert json.loads(data["findings"][0][4]) == evil
    assert json.loads(data["findings"][0][5]) == {"k": evil}


def test_embedded_data_holds_every_finding_with_location_and_values() -> None:
    report = _report(n_schema_findings=250)
    page = render_html(report)
    data = _data_block(page)
    assert len(data["findings"]) == len(report.findings) == 253
    assert data["page_size"] == PAGE_SIZE
    by_message = {row[6]: row for row in data["findings"]}
    row = by_message["row 7 has 40 cells; the header has 47"]
    assert data["codes"][row[1]] == "csv.row-length"
    assert data["files"][row[2]] == "conversation_trials/item_ratings/seeker_ratings.csv"
    assert (row[0], row[3], row[4], row[5]) == (0, "row 7", "40", "47")
    row = by_message["turn 5 repeats the Seeker role"]
    assert (row[0], row[3], row[4], row[5]) == (1, "/conversation_content/4/content/role", '"Seeker"', '"Assistant"')
    row = by_message["items 15 and 66 look alike"]
    assert row[3] == "item_a=15, item_b=66"
    # Rows are in the report's deterministic order (file, position, code).
    files = [data["files"][r[2]] for r in data["findings"]]
    assert files == sorted(files)
    # No finding is drawn in the static HTML: the script draws one page at a time.
    assert '<tbody id="findings-body"></tbody>' in page


def test_summary_counts_and_filters() -> None:
    report = _report(n_schema_findings=12)
    page = render_html(report)
    # 1 csv.row-length + 12 schema.range errors; 2 warnings.
    assert '<div class="n">13</div><div class="l">errors</div>' in page
    assert '<div class="n">2</div><div class="l">warnings</div>' in page
    assert '<span class="status fail">fail</span>' in page
    assert 'data-filter="code" data-value="schema.range">schema.range</a>' in page
    assert '<option value="schema.range">schema.range (12)</option>' in page
    assert ('<option value="conversation_trials/item_ratings/assistant_ratings.csv">'
            'conversation_trials/item_ratings/assistant_ratings.csv (12)</option>') in page
    assert "INVALID: 13 errors, 2 warnings" in page


def test_valid_report_passes_and_truncation_is_loud() -> None:
    clean = Report(root="raw")
    clean.finalise()
    page = render_html(clean)
    assert '<span class="status pass">pass</span>' in page
    assert _data_block(page)["findings"] == []

    cut = Report(root="raw", max_findings=3)
    cut.add(finding("schema.range", f"cell {i}", file="x.csv", row=i + 2) for i in range(10))
    cut.finalise()
    page = render_html(cut)
    assert "Report truncated: 7 more findings (7 errors)" in page
    assert '<div class="n">10</div><div class="l">errors</div>' in page


def test_gallery_shows_each_cluster_with_thumbnails_and_distances(
        gallery: tuple[Path, pa.Table, pa.Table]) -> None:
    root, images, pairs = gallery
    page = render_html(_report(), images=images, duplicate_pairs=pairs, image_root=root)
    clusters = re.findall(r'<div class="cluster" id="cluster-(\d+)"', page)
    assert clusters == ["15", "40"]
    for cluster, items, distance in (("15", ("15", "66"), "6"), ("40", ("40", "72"), "0")):
        block = page.split(f'id="cluster-{cluster}"')[1].split('<div class="cluster"')[0]
        assert re.findall(r'data-item="(\d+)"', block) == list(items)
        assert block.count('<img src="data:image/jpeg;base64,') == 2
        assert f'<td>{items[0]} ↔ {items[1]}</td>' in block
        assert f'<td class="num">{distance}</td>' in block
    # Each thumbnail decodes and fits the thumbnail box; the two identical files share one thumbnail.
    thumbs = re.findall(r'<img src="data:image/jpeg;base64,([^"]+)" alt="item \d+" width="(\d+)" height="(\d+)"',
                        page)
    assert len(thumbs) == 4
    for uri, width, height in thumbs:
        with Image.open(io.BytesIO(base64.b64decode(uri))) as thumb:
            assert thumb.format == "JPEG" and max(thumb.size) == THUMBNAIL_SIZE
            assert thumb.size == (int(width), int(height))  # drawn at its own aspect ratio
    assert thumbs[2] == thumbs[3]
    assert (thumbs[2][1], thumbs[2][2]) == ("58", "96")  # item 40 is 300 x 500: 96 * 300 / 500 = 57.6
    assert '<div class="n">2</div><div class="l">duplicate clusters</div>' in page


def test_thumbnail_of_a_transparent_image_is_flattened_on_white(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (200, 100), (0, 0, 0, 0)).save(path)
    made = thumbnail_data_uri(path)
    assert made is not None
    uri, width, height = made
    assert (width, height) == (96, 48)  # aspect ratio kept
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as thumb:
        assert thumb.size == (96, 48)
        assert thumb.convert("RGB").getpixel((48, 24)) == pytest.approx((255, 255, 255), abs=2)


def test_bad_unsafe_or_missing_images_get_no_preview(tmp_path: Path,
                                                     gallery: tuple[Path, pa.Table, pa.Table]) -> None:
    root, images, pairs = gallery
    (root / "metadata/item_15.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")  # does not decode
    outside = tmp_path / "secret.png"
    _write_png(outside, (1, 2, 3), (50, 50))
    (root / "metadata/item_72.png").unlink()
    os.symlink(outside, root / "metadata/item_72.png")  # a link out of the root: never read
    paths = images.column("path").to_pylist()
    paths[paths.index("metadata/item_66.png")] = "../secret.png"  # a path escaping the root
    images = images.set_column(images.schema.get_field_index("path"), "path", pa.array(paths))
    page = render_html(_report(), images=images, duplicate_pairs=pairs, image_root=root)
    assert page.count('<span class="none">no preview</span>') == 3
    assert page.count('<img src="data:') == 1  # item 40 only

    without_root = render_html(_report(), images=images, duplicate_pairs=pairs)
    assert "No image folder was given" in without_root
    assert '<img src="data:' not in without_root


def test_gallery_states_when_dedup_did_not_run_or_found_nothing() -> None:
    assert "Duplicate search was not run" in render_html(_report())
    empty = table_from_columns("duplicate_pairs", {})
    assert "No two items have identical or near-identical images" in render_html(_report(), duplicate_pairs=empty)


def test_statistics_are_rendered(gallery: tuple[Path, pa.Table, pa.Table]) -> None:
    stats = {
        "format_version": "1",
        "conversations": 60,
        "turns_per_conversation": 28.783333,
        "ratings": {"Seeker": {"count": 720, "distribution": {"1": 258, "5": 104}}},
        "satisfaction": [{"question": 1, "mean": 3.78}, {"question": 2, "mean": None}],
    }
    page = render_html(_report(), stats=stats)
    section = page.split('<section id="statistics">')[1]
    assert "format_version" not in section and "format version" not in section
    assert '<td>conversations</td><td class="num">60</td>' in section
    assert "28.783" in section
    assert 'aria-label="1: 258"' in section and 'aria-label="5: 104"' in section  # bars
    assert "<th>question</th><th>mean</th>" in section
    assert "<tr><td>1</td><td>3.78</td></tr><tr><td>2</td><td>—</td></tr>" in section


def test_write_html_writes_the_rendered_page(tmp_path: Path) -> None:
    report = _report()
    target = tmp_path / "out" / "report.html"
    write_html(target, report, title="Release 1.1")
    assert target.read_text(encoding="utf-8") == render_html(report, title="Release 1.1")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]  # no temporary left


def test_codes_declared_by_sql_checks_have_their_meaning() -> None:
    from vogue_pack.validate.catalogue import all_codes

    code = next(c for c in all_codes() if c.startswith("xref."))  # declared in a checks/*.sql header
    report = Report(root="raw")
    report.add([finding(code, "a cross-file problem", file="conversation_trials/scenarios.json")])
    report.finalise()
    page = render_html(report)
    assert f"<td>{html.escape(all_codes()[code].title)}</td>" in page
    assert _data_block(page)["code_titles"] == [all_codes()[code].title]
