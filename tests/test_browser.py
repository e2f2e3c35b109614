"""End to end in a real browser: the HTML report of a synthetic tree opened in headless Chromium.

Needs Debian's chromium (``apt-get install chromium``; .ci/run installs it) driven by Playwright's Python
package (never ``playwright install``). A missing browser FAILS these tests, it does not skip them: the
report's promises (summary, locations, thumbnails, filter, paging) are only proven in a browser.
``VOGUE_PACK_CHROMIUM`` points at another Chromium binary; ``VOGUE_PACK_UPDATE_SCREENSHOTS=1`` also copies
the screenshots into docs/screenshots/.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_raw_tree
from PIL import Image

from vogue_pack.report.findings import Finding, finding
from vogue_pack.report.html import PAGE_SIZE, render_validation_html, write_html
from vogue_pack.report.report import Report
from vogue_pack.synth import SynthInfo
from vogue_pack.validate.pipeline import ValidateOptions, Validation, validate

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("VOGUE_PACK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser test must run. Install Debian's "
                    "chromium (apt-get install chromium, as .ci/run does) or set VOGUE_PACK_CHROMIUM.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


class Page:
    """A Playwright page that records console errors and every request it makes."""

    def __init__(self, browser: Any, url: str) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_selector("#findings-body tr")

    def status(self) -> str:
        return str(self.page.inner_text("#findings-status"))


def _plant_errors(data_root: Path) -> None:
    """A rating of 9 (conversation 7, first catalogue item) and a turn-number gap (conversation 9)."""
    path = data_root / "conversation_trials/item_ratings/seeker_ratings.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    row = next(r for r in rows[1:] if r[rows[0].index("conversation_id")] == "7")
    first = next(i for i, name in enumerate(rows[0]) if name.startswith("item_") and row[i] != "-1")
    row[first] = "9"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    transcript = next((data_root / "conversation_trials/transcripts").glob("c9_*.json"))
    transcript.write_text(transcript.read_text(encoding="utf-8").replace('"turn": 3,', '"turn": 4,', 1),
                          encoding="utf-8")


@pytest.fixture(scope="module")
def faulty(clean_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Validation, Path]:
    root = copy_raw_tree(clean_tree, tmp_path_factory.mktemp("browser") / "raw")
    _plant_errors(root)
    validation = validate(root, ValidateOptions())
    validation.report.root = "raw/data"  # as a user would type it; the temporary path means nothing here
    page = root.parent.parent / "report.html"
    page.write_text(render_validation_html(validation), encoding="utf-8")
    return validation, page


def _first(report: Report, code: str) -> Finding:
    return next(f for f in report.findings if f.code == code)


def test_summary_location_thumbnails_and_filter(browser: Any, faulty: tuple[Validation, Path],
                                                tmp_path: Path) -> None:
    validation, html_path = faulty
    report = validation.report
    assert report.error_count >= 2  # the planted rating and turn gap at least
    view = Page(browser, html_path.as_uri())
    page = view.page

    # Summary: failed, with the counts of the report.
    assert page.is_visible("header .status.fail")
    cards = page.inner_text("#summary .cards")
    assert f"{report.error_count}\nERRORS" in cards.upper()
    assert f"{report.warning_count}\nWARNINGS" in cards.upper()
    assert page.is_visible("#by-code >> text=schema.value")

    # The first page is drawn, grouped by file, never more than one page of rows.
    n_rows = page.locator("#findings-body tr.finding").count()
    assert n_rows == min(PAGE_SIZE, len(report.findings))
    assert view.status().startswith(f"Showing 1–{n_rows} of {len(report.findings):,} matching")

    # Filter by severity: only errors remain, each one visible with its location.
    page.select_option("#f-sev", "error")
    assert view.status() == f"Showing 1–{len(report.errors)} of {len(report.errors)} matching findings " \
                            f"({len(report.findings):,} in total)"
    badges = page.locator("#findings-body tr.finding .badge").all_inner_texts()
    assert [b.lower() for b in badges] == ["error"] * len(report.errors)
    planted = _first(report, "schema.value")
    assert planted.location == "row 8, column item_1"  # conversation 7 is data row 7, line 8
    row = page.locator("#findings-body tr.finding", has_text=planted.message)
    assert row.is_visible()
    assert row.locator("td.loc").inner_text() == "row 8, column item_1"
    assert row.locator("td.val").first.inner_text() == json.dumps(planted.value)  # the cell as read: "9"
    group = page.locator("#findings-body tr.group", has_text="conversation_trials/item_ratings/seeker_ratings.csv")
    assert group.is_visible()

    # Filter by code from the summary table, then group by code: the file moves into the location cell.
    page.select_option("#f-sev", "")
    page.click("#by-code a[data-value='transcript.turn-sequence']")
    turn_gaps = [f for f in report.findings if f.code == "transcript.turn-sequence"]
    assert page.input_value("#f-code") == "transcript.turn-sequence"
    assert page.locator("#findings-body tr.finding").count() == len(turn_gaps)
    page.check("input[name=group][value=code]")
    assert page.locator("#findings-body tr.group").all_inner_texts() == [
        f"transcript.turn-sequence — Turn numbers not 1..n{len(turn_gaps)} findings"]
    first_loc = page.locator("#findings-body tr.finding td.loc").first.inner_text()
    assert first_loc == f"{turn_gaps[0].file}\n{turn_gaps[0].location}"

    # Free-text search and reset.
    page.click("#f-reset")
    expected = sum(1 for f in report.findings if "c9_" in json.dumps(f.to_dict(), ensure_ascii=False).lower())
    assert expected >= 2  # the two turn-sequence errors at least
    page.fill("#f-q", "C9_")
    page.locator("#findings-status", has_text=f"of {expected} matching").wait_for()  # the search is debounced
    assert page.locator("#findings-body tr.finding").count() == expected

    # Duplicate gallery: each planted pair is a cluster of two decoded thumbnails with its distance.
    pairs = validation.tables["duplicate_pairs"].to_pylist()
    assert pairs
    for pair in pairs:
        cluster = page.locator(f"#cluster-{pair['cluster']}")
        cluster.scroll_into_view_if_needed()
        images = cluster.locator("img")
        assert images.count() == 2
        for i in range(2):
            assert images.nth(i).is_visible()
            assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
        assert cluster.locator(".thumb figcaption").all_inner_texts()[0].startswith(f"item {pair['item_a']}")
        assert f"{pair['item_a']} ↔ {pair['item_b']}" in cluster.inner_text()

    assert view.errors == []  # no script error, no Content-Security-Policy violation
    assert all(url.startswith(("file://", "data:")) for url in view.requests)

    # Screenshots (docs/screenshots/ is refreshed with VOGUE_PACK_UPDATE_SCREENSHOTS=1).
    page.click("#f-reset")
    page.check("input[name=group][value=file]")
    page.evaluate("window.scrollTo(0, 0)")
    shots = {name: tmp_path / name for name in ("report.png", "report-findings.png", "report-duplicates.png")}
    page.screenshot(path=str(shots["report.png"]))
    page.locator("#findings").screenshot(path=str(shots["report-findings.png"]))
    page.locator("#duplicates").screenshot(path=str(shots["report-duplicates.png"]))
    with Image.open(shots["report.png"]) as shot:
        assert shot.size == (1280, 900)
    if os.environ.get("VOGUE_PACK_UPDATE_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        for name, path in shots.items():
            shutil.copyfile(path, target / name)
    page.close()


def test_one_hundred_thousand_findings_stay_paged(browser: Any, tmp_path: Path) -> None:
    n = 100_000
    report = Report(root="raw", max_findings=n + 10)
    report.add(finding("schema.range", f"item_{i % 36 + 1} = 9 is outside 1..5",
                       file=f"conversation_trials/item_ratings/{('seeker', 'assistant')[i % 2]}_ratings.csv",
                       row=i // 2 + 2, column=f"item_{i % 36 + 1}", value=9, expected=[1, 5]) for i in range(n))
    report.add([finding("transcript.role-repeat", "needle: turn 5 repeats the Seeker role",
                        file="conversation_trials/transcripts/c2_a_2.json", pointer="/conversation_content/4")])
    report.finalise()
    path = tmp_path / "big.html"
    write_html(path, report)
    view = Page(browser, path.as_uri())
    page = view.page
    assert page.locator("#findings-body tr.finding").count() == PAGE_SIZE
    assert view.status() == f"Showing 1–100 of {n + 1:,} matching findings"
    pages = -(-(n + 1) // PAGE_SIZE)  # ceiling division
    assert page.inner_text("#page-label") == f"Page 1 of {pages:,}"
    page.click("#page-last")
    assert page.inner_text("#page-label") == f"Page {pages:,} of {pages:,}"
    assert page.locator("#findings-body tr.finding").count() == (n + 1) - (pages - 1) * PAGE_SIZE
    page.select_option("#f-sev", "warning")
    assert view.status() == f"Showing 1–1 of 1 matching finding ({n + 1:,} in total)"
    page.select_option("#f-sev", "")
    page.fill("#f-q", "needle")
    page.locator("#findings-status", has_text="of 1 matching").wait_for()
    assert page.locator("#findings-body tr.finding").inner_text().endswith("needle: turn 5 repeats the Seeker role")
    assert view.errors == []
    page.close()


def test_leaderboard_page_renders_offline(browser: Any, tmp_path: Path) -> None:
    """`evaluate --html`: the leaderboard, the distributions, MAE by true rating and mentioned vs unmentioned
    render in Chromium with no error, no request and no Content-Security-Policy violation."""
    from test_leaderboard import _example, _predictor

    from vogue_pack.analysis.leaderboard import baseline_predictor, build_leaderboard
    from vogue_pack.analysis.leaderboard_html import write_leaderboard_html

    tables, predictions, _ = _example()
    predictors = [_predictor("A", predictions["A"]), _predictor("model <b>B</b>", predictions["B"]),
                  baseline_predictor(tables, "mode")]
    board = build_leaderboard(tables, predictors, reference="A", resamples=300, seed=0)
    path = tmp_path / "board.html"
    write_leaderboard_html(board, path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector("#board-all tbody tr")
    for subset in ("all", "mentioned", "unmentioned"):
        rows = page.locator(f"#board-{subset} tbody tr")
        assert rows.count() == 3
        assert rows.nth(0).locator("td").first.inner_text().startswith("A")
    # the predictor's name is text, never markup
    assert page.locator("#board-all tbody tr").nth(1).locator("td").first.inner_text() == "model <b>B</b>"
    b_mae = board.row("model <b>B</b>").comparison["all"]["mae"]  # type: ignore[index]
    cell = page.locator("#board-all tbody tr").nth(1).locator("td").nth(4)
    assert f"Δ {b_mae.difference:+.3f} *" in cell.inner_text() and b_mae.excludes_zero
    assert cell.locator(".diff.sig").is_visible()
    assert page.locator("#distribution-charts svg").count() == 3
    bars = page.locator("#distribution-charts svg").first.locator("rect.bar")
    assert bars.count() == 10  # predicted and true for 1..5
    for chart in ("#mae-by-rating", "#mentioned-mae", "#mentioned-accuracy"):
        box = page.locator(chart).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
        assert page.locator(f"{chart} circle.dot").count() > 0
    csp = page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content")
    assert csp is not None and csp.startswith("default-src 'none'")
    assert errors == []
    assert requests == [path.as_uri()]
    shot = tmp_path / "evaluate.png"
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as image:
        assert image.size[0] == 1280 and image.size[1] > 900
    page.close()
