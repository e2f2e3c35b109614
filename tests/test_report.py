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
    # 10 collected + the truncation notice; 15 dropped, all errors
    assert len(report.findings) == 11
    assert report.dropped == 15 and report.dropped_errors == 15
    assert report.error_count == 25
    assert report.findings[-1].code == "report.truncated"
    assert "15 more findings" in report.findings[-1].message
    assert report.to_dict()["summary"]["truncated"] is True
    assert "report truncated" in summary_line(report)


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
