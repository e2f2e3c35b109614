"""The validation report: findings collected under a limit, summarised, rendered as text or JSON."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vogue_pack._version import __version__
from vogue_pack.console import plural
from vogue_pack.report.findings import Finding, Severity, map_strings

REPORT_FORMAT_VERSION = "1"
DEFAULT_MAX_FINDINGS = 10_000


@dataclass
class Report:
    """All findings of one run, in a deterministic order, plus context (root, statistics).

    ``add`` keeps at most ``max_findings`` findings, errors first: when the limit cuts, every error is kept
    ahead of any warning (warnings never crowd errors out), and within a severity the first ones in
    file-and-position order are kept, whatever order they arrived in. The report remembers how many of
    each severity it dropped, so it never silently hides that it was cut; that notice is part of the
    summary (``notice``), not a finding, so it is never counted among them.
    """

    root: str = ""
    max_findings: int = DEFAULT_MAX_FINDINGS
    findings: list[Finding] = field(default_factory=list)
    dropped: int = 0
    dropped_errors: int = 0
    context: dict[str, Any] = field(default_factory=dict)

    def add(self, items: Iterable[Finding]) -> None:
        """Collect findings: up to ``max_findings`` in all, errors ahead of warnings."""
        buffer = self.findings
        # cut now and then rather than at every finding: memory stays bounded, the work O(n log limit)
        slack = 2 * self.max_findings + 1024
        for item in items:
            buffer.append(item)
            if len(buffer) > slack:
                self._cut(buffer)
        if len(buffer) > self.max_findings:
            self._cut(buffer)

    def _cut(self, buffer: list[Finding]) -> None:
        buffer.sort(key=lambda f: (f.severity is not Severity.ERROR, f.sort_key()))
        for item in buffer[self.max_findings:]:
            self.dropped += 1
            if item.severity is Severity.ERROR:
                self.dropped_errors += 1
        del buffer[self.max_findings:]

    @property
    def dropped_warnings(self) -> int:
        """Warnings not collected because of the limit."""
        return self.dropped - self.dropped_errors

    def finalise(self) -> None:
        """Sort findings deterministically (the truncation notice is in the summary, see ``notice``)."""
        self.findings.sort(key=Finding.sort_key)

    @property
    def notice(self) -> str | None:
        """The sentence that says the limit cut the report, or None when nothing was dropped."""
        if not self.dropped:
            return None
        return (f"report truncated: {plural(self.dropped_errors, 'error')} and "
                f"{plural(self.dropped_warnings, 'warning')} were not "
                f"collected (limit --max-findings {self.max_findings}; errors are kept ahead of warnings). "
                "Fix the first ones or raise the limit.")

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def error_count(self) -> int:
        """Errors, including those dropped by the limit."""
        return len(self.errors) + self.dropped_errors

    @property
    def warning_count(self) -> int:
        """Warnings, including those dropped by the limit."""
        return len(self.warnings) + self.dropped_warnings

    @property
    def ok(self) -> bool:
        """True when there is no error finding (exit code 0)."""
        return self.error_count == 0

    def counts_by_code(self) -> dict[str, dict[str, Any]]:
        """``{code: {"severity": ..., "count": n}}`` sorted by code."""
        counter = Counter((f.code, f.severity.value) for f in self.findings)
        return {code: {"severity": sev, "count": n} for (code, sev), n in sorted(counter.items())}

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (format version 1). Deterministic for identical input."""
        return {
            "format_version": REPORT_FORMAT_VERSION,
            "tool": {"name": "vogue-pack", "version": __version__},
            "root": self.root,
            "valid": self.ok,
            "summary": {
                "errors": self.error_count,
                "warnings": self.warning_count,
                "findings_collected": len(self.findings),
                "findings_dropped": self.dropped,
                "errors_dropped": self.dropped_errors,
                "warnings_dropped": self.dropped_warnings,
                "max_findings": self.max_findings,
                "truncated": self.dropped > 0,
                "notice": self.notice,
                "by_code": self.counts_by_code(),
            },
            "context": self.context,
            "findings": [f.to_dict() for f in self.findings],
        }

    def map_strings(self, fn: Callable[[str], str], *, root: str | None = None) -> Report:
        """A copy with ``fn`` applied to every string of its findings and context (and ``root`` replaced
        when given): what a release stores instead of host paths. Counts and the limit are kept."""
        return dataclasses.replace(
            self, root=self.root if root is None else root,
            findings=[f.map_strings(fn) for f in self.findings], context=map_strings(dict(self.context), fn))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def write_json(self, path: Path) -> None:
        """Write the JSON report atomically (temporary name in the same folder, then rename)."""
        from vogue_pack.fsutil import atomic_write_text

        atomic_write_text(path, self.to_json())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Read a report written by :meth:`to_dict` (e.g. a release's report.json)."""
        report = cls(root=data.get("root", ""), max_findings=data["summary"]["max_findings"])
        # reports written before the notice moved into the summary held it as a finding: not a finding
        report.findings = [Finding.from_dict(d) for d in data.get("findings", [])
                           if d.get("code") != "report.truncated"]
        report.dropped = data["summary"].get("findings_dropped", 0)
        report.dropped_errors = data["summary"].get("errors_dropped", 0)
        report.context = data.get("context", {})
        return report


def summary_line(report: Report, report_path: str | None = None) -> str:
    """The end line, e.g. ``valid: 0 errors, 12 warnings — report: out.json``."""
    state = "valid" if report.ok else "INVALID"
    line = f"{state}: {plural(report.error_count, 'error')}, {plural(report.warning_count, 'warning')}"
    if report.dropped:
        line += (f" (report truncated: {plural(report.dropped, 'finding')} not collected: "
                 f"{plural(report.dropped_errors, 'error')}, {plural(report.dropped_warnings, 'warning')})")
    if report_path:
        line += f" — report: {report_path}"
    return line


def render_text(report: Report, max_per_group: int = 5, max_groups: int = 40) -> str:
    """A bounded terminal summary: counts by code, errors grouped by file, warnings by code.

    Never thousands of lines: each group shows ``max_per_group`` samples and says how many more
    there are; the JSON report has everything.
    """
    if not report.findings:
        return report.notice or ""
    lines: list[str] = ["Findings by code:"]
    counts = report.counts_by_code()
    width = max(len(code) for code in counts)
    for code, entry in sorted(counts.items(), key=lambda kv: (kv[1]["severity"] != "error", kv[0])):
        lines.append(f"  {entry['severity']:<7} {code:<{width}}  {entry['count']:>6}")
    errors = report.errors
    if errors:
        lines += ["", "Errors by file:"]
        by_file: dict[str, list[Finding]] = {}
        for item in errors:
            by_file.setdefault(escape_controls(item.file or "(tree)"), []).append(item)
        for shown, file_name in enumerate(sorted(by_file)):
            if shown >= max_groups:
                lines.append(f"  … and {len(by_file) - shown} more files with errors (see the JSON report)")
                break
            items = by_file[file_name]
            lines.append(f"  {file_name}  ({plural(len(items), 'error')})")
            by_code: dict[str, list[Finding]] = {}
            for item in items:
                by_code.setdefault(item.code, []).append(item)
            for code in sorted(by_code):
                group = by_code[code]
                lines.append(f"    {code}  ×{len(group)}")
                lines += _samples(group, max_per_group, indent="      ", with_file=False)
    warnings = report.warnings
    if warnings:
        lines += ["", "Warnings by code:"]
        by_code = {}
        for item in warnings:
            by_code.setdefault(item.code, []).append(item)
        for code in sorted(by_code):
            group = by_code[code]
            lines.append(f"  {code}  ×{len(group)}")
            lines += _samples(group, min(3, max_per_group), indent="    ", with_file=True)
    if report.notice:
        lines += ["", report.notice]
    return "\n".join(lines)


def _samples(group: list[Finding], limit: int, indent: str, with_file: bool) -> list[str]:
    out = []
    for item in group[:limit]:
        where = ", ".join(p for p in ((item.file or "") if with_file else "", item.location) if p)
        out.append(escape_controls(f"{indent}{where + ': ' if where else ''}{item.message}"))
    if len(group) > limit:
        out.append(f"{indent}… {len(group) - limit} more")
    return out


_CONTROLS = {**{c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))},
             0x2028: "\\u2028", 0x2029: "\\u2029"}


def escape_controls(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1, line/paragraph separators) written as escapes.

    A file name may hold a newline or an ANSI escape sequence; printed raw it would forge lines or
    recolour the terminal. Text output escapes them; the JSON report keeps the real name.
    """
    if text.isprintable():
        return text
    return text.translate(_CONTROLS)
