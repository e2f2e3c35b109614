"""Report: collection limit, deterministic order, JSON round trip, text summary size."""

from __future__ import annotations

import json

from vogue_pack.report.findings import Finding, Severity, finding
from vogue_pack.report.report import Report, render_text, summary_line


def _findings(n: int, code: str = "schema.range") -> list[Finding]:
    return [finding(code, f"value {i} out of range", file=f"f{i % 3}.csv", row=i + 2, column="item_1", value=i)
            for i in range(n)]


def test_limit_cuts_and_says_so() -> None:
    report = Report(max_findings=10)
    report.add(_findings(25))
    report.finalise()
    # 10 collected; the notice is in the summary and is not itself a finding
    assert len(report.findings) == 10
    assert report.dropped == 15 and report.dropped_errors == 15 and report.dropped_warnings == 0
    assert report.error_count == 25 and report.warning_count == 0
    assert not any(f.code == "report.truncated" for f in report.findings)
    summary = report.to_dict()["summary"]
    assert summary["truncated"] is True and summary["findings_collected"] == 10
    assert summary["errors_dropped"] == 15 and summary["warnings_dropped"] == 0
    assert "15 errors and 0 warnings were not collected" in summary["notice"]
    assert "report truncated" in summary_line(report)
    assert report.notice is not None and report.notice in render_text(report)


def test_errors_are_never_crowded_out_by_warnings() -> None:
    warnings = [finding("tree.unknown-file", "unknown", file=f"extra/{i:05}.bin") for i in range(200)]
    errors = _findings(3)
    for order in (warnings + errors, errors + warnings):
        report = Report(max_findings=5)
        report.add(order)
        report.finalise()
        kept = [f.severity for f in report.findings]
        assert kept.count(Severity.ERROR) == 3 and kept.count(Severity.WARNING) == 2
        assert report.dropped_errors == 0 and report.dropped_warnings == 198
        assert report.error_count == 3 and report.warning_count == 200  # exact: the notice is not counted
        # the warnings kept are the first in file order, whatever order they came in
        assert [f.file for f in report.findings if f.severity is Severity.WARNING] == ["extra/00000.bin",
                                                                                       "extra/00001.bin"]


def test_more_errors_than_the_limit_drops_only_errors_and_counts_them() -> None:
    report = Report(max_findings=4)
    report.add([finding("tree.unknown-file", "unknown", file="x.bin"), *_findings(6)])
    report.finalise()
    assert [f.severity for f in report.findings] == [Severity.ERROR] * 4
    assert report.dropped_errors == 2 and report.dropped_warnings == 1
    assert "2 errors and 1 warning were not collected" in (report.notice or "")


def test_limit_holds_when_findings_arrive_in_many_batches() -> None:
    report = Report(max_findings=3)
    batches = [_findings(100)[start:start + 60] for start in range(50)]
    for batch in batches:
        report.add(batch)
    report.finalise()
    assert len(report.findings) == 3 and report.dropped == sum(map(len, batches)) - 3
    everything = sorted((f for batch in batches for f in batch), key=Finding.sort_key)
    assert report.findings == everything[:3]  # the first in file-and-row order, not the first to arrive


def test_order_is_deterministic_regardless_of_input_order() -> None:
    items = _findings(30)
    a, b = Report(), Report()
    a.add(items)
    b.add(list(reversed(items)))
    a.finalise()
    b.finalise()
    assert a.to_json() == b.to_json()


def test_json_round_trip() -> None:
    report = Report(root="raw")
    report.add([*_findings(3), finding("transcript.role-repeat", "twice", file="t.json", pointer="/x/1",
                                       keys={"conversation_id": 4})])
    report.finalise()
    again = Report.from_dict(json.loads(report.to_json()))
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in report.findings]
    assert again.findings[-1].severity is Severity.WARNING


def test_ok_only_without_errors() -> None:
    report = Report()
    report.add([finding("transcript.role-repeat", "twice", file="t.json")])
    report.finalise()
    assert report.ok and report.warning_count == 1
    report.add(_findings(1))
    assert not report.ok


def test_text_summary_is_bounded() -> None:
    report = Report()
    report.add(_findings(5000))
    report.finalise()
    text = render_text(report, max_per_group=5)
    # "Findings by code" + 1 code line, blank + "Errors by file", then per file (3 files, one code each):
    # file line + code line + 5 samples + "more" line
    assert len(text.splitlines()) == 2 + 2 + 3 * (1 + 1 + 5 + 1)
    # 5000 findings over i % 3: 1667, 1667 and 1666 per file, 5 shown each
    assert text.count("… 1662 more") == 2 and text.count("… 1661 more") == 1


def test_non_json_values_are_made_safe() -> None:
    item = finding("json.non-finite", "nan", file="a.json", value=float("nan"), expected=float("inf"))
    data = item.to_dict()
    assert data["value"] == "nan" and data["expected"] == "inf"
    json.dumps(data, allow_nan=False)
