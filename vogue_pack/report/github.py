"""The report as GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding.

GitHub shows each annotation on the file and line it names, in the pull request's diff and the run's
summary. ``file`` must be relative to the repository checkout, which is the job's working directory: a
finding's file (relative to the raw root) is joined to the root as the user named it (``raw/data``), so
``vogue-pack validate raw/ --format github`` run from the checkout names ``raw/data/…/ratings.csv``.

Grammar (https://docs.github.com/actions/reference/workflow-commands-for-github-actions):
``::error file=F,line=L,col=C,title=T::MESSAGE``; in MESSAGE ``%``, ``\\r`` and ``\\n`` are escaped as
``%25``, ``%0D`` and ``%0A``; in a property value also ``:`` and ``,`` as ``%3A`` and ``%2C``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from vogue_pack.report.findings import Finding, Severity
from vogue_pack.report.report import Report


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), escaped as GitHub's runner unescapes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_path(root: str, file: str | None, cwd: str | None = None) -> str | None:
    """The finding's file relative to the current directory (the checkout in a workflow), POSIX-style.

    ``root`` is the raw root as the user named it; an absolute root inside ``cwd`` is made relative, one
    outside it stays absolute (GitHub then shows the annotation without a file link).
    """
    if file is None:
        return root or None
    path = PurePosixPath(root or ".") / file
    if path.is_absolute():
        try:
            relative: str | None = os.path.relpath(path, cwd if cwd is not None else os.getcwd())
        except ValueError:  # another drive (Windows)
            relative = None
        if relative is not None and not relative.startswith(".."):
            path = PurePosixPath(Path(relative).as_posix())
    parts = [p for p in path.parts if p != "."]
    return PurePosixPath(*parts).as_posix() if parts else "."


def finding_line(finding: Finding) -> int | None:
    """The 1-based line a finding points at: a CSV row's line number, or a JSON parse error's line."""
    return finding.row


def render_annotation(finding: Finding, root: str, cwd: str | None = None) -> str:
    """One workflow command for one finding."""
    command = "error" if finding.severity == Severity.ERROR else "warning"
    props: list[str] = []
    path = annotation_path(root, finding.file, cwd)
    if path is not None:
        props.append(f"file={escape_property(path)}")
    line = finding_line(finding)
    if line is not None:
        props.append(f"line={line}")
    props.append(f"title={escape_property(finding.code)}")
    where = finding.location
    if finding.row is not None:  # the line is a property already; keep the rest of the location
        where = ", ".join(p for p in (f"column {finding.column}" if finding.column else "",
                                      finding.pointer or "") if p)
    message = f"{where}: {finding.message}" if where else finding.message
    return f"::{command} {','.join(props)}::{escape_data(message)}"


def render_github(report: Report, summary: str, cwd: str | None = None) -> str:
    """Every finding as an annotation, then a ``::notice`` with the summary line."""
    lines = [render_annotation(f, report.root, cwd) for f in report.findings]
    if report.notice:
        lines.append(f"::warning title=vogue-pack::{escape_data(report.notice)}")
    lines.append(f"::notice title=vogue-pack validate::{escape_data(summary)}")
    return "\n".join(lines) + "\n"
