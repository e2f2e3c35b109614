"""The report as GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding.

GitHub shows each annotation on the file and line it names, in the pull request's diff and the run's
summary. ``file`` must be relative to the repository checkout, which is the job's working directory: a
finding's file (relative to the raw root) is joined to the root as the user named it (``raw/data``), so
``vogue-pack validate raw/ --format github`` run from the checkout names ``raw/data/…/ratings.csv``.
``line`` is the CSV line, a JSON syntax error's line, or the line where the value at the finding's JSON
Pointer starts (read back from the file); findings located only by keys have no line.

Grammar (https://docs.github.com/actions/reference/workflow-commands-for-github-actions):
``::error file=F,line=L,col=C,title=T::MESSAGE``; in MESSAGE ``%``, ``\\r`` and ``\\n`` are escaped as
``%25``, ``%0D`` and ``%0A``; in a property value also ``:`` and ``,`` as ``%3A`` and ``%2C``.
"""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path, PurePosixPath

from vogue_pack.report.findings import Finding, Severity
from vogue_pack.report.report import Report

_MAX_DEPTH = 200  # deeper documents are not located (their findings keep only the pointer)
_MAX_LOCATE_BYTES = 64 * 2**20


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


def finding_line(finding: Finding, lines: Callable[[str], dict[str, int]] | None = None) -> int | None:
    """The 1-based line a finding points at: a CSV row's line number, a JSON parse error's line, or the line of
    its JSON Pointer's value (the deepest part of the pointer that exists) when ``lines(file)`` maps them."""
    if finding.row is not None:
        return finding.row
    if finding.pointer is None or finding.file is None or lines is None:
        return None
    known = lines(finding.file)
    pointer = finding.pointer
    while pointer not in known and pointer:
        pointer = pointer.rpartition("/")[0]
    return known.get(pointer)


def pointer_lines(text: str) -> dict[str, int]:
    """Every JSON Pointer of the document ``text`` -> the 1-based line its value starts on ({} if unreadable)."""
    breaks = [i for i, c in enumerate(text) if c == "\n"]
    found: dict[str, int] = {}
    decoder = json.JSONDecoder()

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    def value(pos: int, pointer: str, depth: int) -> int:
        if depth > _MAX_DEPTH:
            raise ValueError("too deep")
        pos = skip(pos)
        found[pointer] = bisect.bisect_left(breaks, pos) + 1
        opener = text[pos:pos + 1]
        if opener in ("{", "["):
            closer, index = ("}" if opener == "{" else "]"), 0
            pos = skip(pos + 1)
            while text[pos:pos + 1] != closer:
                if opener == "{":
                    key, pos = scanstring(text, skip(pos) + 1)
                    pos = skip(pos)
                    if text[pos:pos + 1] != ":":
                        raise ValueError("expected ':'")
                    child = key.replace("~", "~0").replace("/", "~1")
                    pos = value(pos + 1, f"{pointer}/{child}", depth + 1)
                else:
                    pos = value(pos, f"{pointer}/{index}", depth + 1)
                    index += 1
                pos = skip(pos)
                if text[pos:pos + 1] == ",":
                    pos = skip(pos + 1)
                elif text[pos:pos + 1] != closer:
                    raise ValueError("expected ',' or the end of a container")
            return pos + 1
        return decoder.raw_decode(text, pos)[1]

    try:
        value(0, "", 0)
    except (ValueError, IndexError):
        return {}
    return found


def _file_lines(root: str) -> Callable[[str], dict[str, int]]:
    """``file -> pointer_lines`` of the raw tree's JSON files (each read once; {} for anything else)."""
    cache: dict[str, dict[str, int]] = {}

    def lines(file: str) -> dict[str, int]:
        if file not in cache:
            cache[file] = {}
            if file.endswith(".json"):
                try:
                    data = (Path(root or ".") / file).read_bytes()
                except OSError:
                    data = b""
                if len(data) <= _MAX_LOCATE_BYTES:
                    cache[file] = pointer_lines(data.decode("utf-8-sig", errors="replace"))
        return cache[file]

    return lines


def render_annotation(finding: Finding, root: str, cwd: str | None = None,
                      lines: Callable[[str], dict[str, int]] | None = None) -> str:
    """One workflow command for one finding (``lines``: see finding_line)."""
    command = "error" if finding.severity == Severity.ERROR else "warning"
    props: list[str] = []
    # a release expectation's file is the table it checks (its message names it), not a file of the tree
    path = None if finding.code.startswith("expect.") else annotation_path(root, finding.file, cwd)
    if path is not None:
        props.append(f"file={escape_property(path)}")
    line = finding_line(finding, lines)
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
    located = _file_lines(report.root)
    lines = [render_annotation(f, report.root, cwd, located) for f in report.findings]
    if report.notice:
        lines.append(f"::warning title=vogue-pack::{escape_data(report.notice)}")
    lines.append(f"::notice title=vogue-pack validate::{escape_data(summary)}")
    return "\n".join(lines) + "\n"
