"""Run the declarative cross-file checks of ``checks/*.sql`` against the tidy tables in DuckDB.

A check is one SQL file: a comment header (``-- key: value`` lines) followed by one ``SELECT`` that
returns one row per violation. The tables of the data model are registered as DuckDB relations straight
from Arrow (zero-copy), the shared views of ``checks/_views.sql`` are created, and each check's rows become
:class:`~vogue_pack.report.findings.Finding` records. docs/checks.md describes the convention for check authors.

Header keys (``description`` may continue on following ``--`` lines indented by two or more spaces)::

    -- code: xref.unknown-item          stable finding code (the file is named <code>.sql)
    -- severity: error                  error | warning
    -- title: ...                       one line
    -- description: ...                 what it means and how to fix it
    -- requires: conversations, ...     tables the check needs; if one is unavailable the check does not
                                        run and one check.not-run finding says why
    -- uses: rating_rows                optional tables that only refine the check; when unavailable they
                                        are empty and the check still runs

Result columns (only ``message`` is required; any other column name is an error in the check):
``file``, ``row``, ``column``, ``pointer``, ``keys`` (a STRUCT; null fields are dropped), ``value``,
``expected``, ``message``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from vogue_pack.console import plural
from vogue_pack.errors import UsageError
from vogue_pack.raw.model import TABLES, empty_table
from vogue_pack.report.findings import CodeInfo, Finding, Severity, finding, register_codes
from vogue_pack.resources import data_dir

VIEWS_FILE = "_views.sql"
RESULT_COLUMNS = ("file", "row", "column", "pointer", "keys", "value", "expected", "message")
HEADER_KEYS = ("code", "severity", "title", "description", "requires", "uses")
_REQUIRED_KEYS = ("code", "severity", "title", "description", "requires")
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$")
_HEADER_LINE = re.compile(r"^--\s?([a-z_]+):\s*(.*)$")


@dataclass(frozen=True)
class CheckSpec:
    """One parsed check file."""

    code: str
    severity: Severity
    title: str
    description: str
    requires: tuple[str, ...]
    uses: tuple[str, ...]
    sql: str
    path: Path

    @property
    def code_info(self) -> CodeInfo:
        """The catalogue entry this check declares."""
        return CodeInfo(self.code, self.severity, self.title, self.description)


def _split_tables(path: Path, key: str, text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        if name not in TABLES:
            raise UsageError(f"{path}: header '{key}' names {name!r}, which is not a table of the data "
                             f"model (known: {', '.join(sorted(TABLES))})")
    return names


def parse_check(path: Path) -> CheckSpec:
    """Parse one check file; a malformed header is a UsageError naming the file and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read check file: {exc}") from exc
    header: dict[str, str] = {}
    last_key: str | None = None
    body_start = 0
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            last_key = None
            continue
        if not stripped.startswith("--"):
            body_start = index
            break
        match = _HEADER_LINE.match(stripped)
        if match:
            key = match.group(1)
            if key not in HEADER_KEYS:
                raise UsageError(f"{path}: unknown header key '{key}' (known: {', '.join(HEADER_KEYS)})")
            if key in header:
                raise UsageError(f"{path}: header key '{key}' appears twice")
            header[key] = match.group(2).strip()
            last_key = key
        elif last_key is not None and re.match(r"^--\s{2,}\S", stripped):
            header[last_key] += " " + stripped[2:].strip()
        else:
            last_key = None  # an ordinary comment ends a continued value
    else:
        body_start = len(lines)
    for key in _REQUIRED_KEYS:
        if not header.get(key):
            raise UsageError(f"{path}: header key '{key}' is missing or empty")
    code = header["code"]
    if not _CODE.match(code):
        raise UsageError(f"{path}: header 'code' {code!r} is not a family-prefixed kebab-case code "
                         "such as xref.unknown-item")
    if path.stem != code:
        raise UsageError(f"{path}: a check file is named after its code: expected {code}.sql")
    try:
        severity = Severity(header["severity"])
    except ValueError:
        raise UsageError(f"{path}: header 'severity' must be error or warning, "
                         f"not {header['severity']!r}") from None
    requires = _split_tables(path, "requires", header["requires"])
    uses = _split_tables(path, "uses", header.get("uses", ""))
    sql = "\n".join(lines[body_start:]).strip().rstrip(";").strip()
    if not sql:
        raise UsageError(f"{path}: no SQL query after the header")
    if ";" in _strip_sql_literals(sql):
        raise UsageError(f"{path}: a check holds exactly one SELECT statement (found ';')")
    return CheckSpec(code=code, severity=severity, title=header["title"], description=header["description"],
                     requires=requires, uses=uses, sql=sql, path=path)


def _strip_sql_literals(sql: str) -> str:
    """The SQL without string literals and comments (to look for statement separators)."""
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    return re.sub(r"--[^\n]*", "", sql)


def checks_folder(checks_dir: Path | None = None) -> Path:
    """The folder of check files: ``checks_dir`` or the installed/checkout ``checks/``."""
    folder = Path(checks_dir) if checks_dir is not None else data_dir("checks")
    if not folder.is_dir():
        raise UsageError(f"{folder}: checks folder not found")
    return folder


def check_catalogue(checks_dir: Path | None = None) -> list[CheckSpec]:
    """Every check of the folder (sorted by code), its codes registered in the findings catalogue.

    Only ``*.sql`` files directly in the folder are checks; ``_*.sql`` files hold shared views and
    sub-folders (``checks/expectations/``) belong to other tools.
    """
    folder = checks_folder(checks_dir)
    specs = [parse_check(path) for path in sorted(folder.glob("*.sql")) if not path.name.startswith("_")]
    seen: dict[str, Path] = {}
    for spec in specs:
        if spec.code in seen:
            raise UsageError(f"{spec.path}: code {spec.code} is also declared by {seen[spec.code]}")
        seen[spec.code] = spec.path
    register_codes([spec.code_info for spec in specs])
    return sorted(specs, key=lambda s: s.code)


def _connect() -> Any:
    import duckdb

    # No file or network access from check SQL, no extension downloads: checks see only the tables.
    return duckdb.connect(":memory:", config={
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    })


def _raise_for_check(path: Path, exc: Exception) -> None:
    """Static SQL errors (syntax, unknown table/column, file access) mean the check file is broken."""
    import duckdb

    if isinstance(exc, duckdb.ProgrammingError | duckdb.PermissionException):
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{path}: the check's SQL is invalid: {first_line}") from exc
    exc.add_note(f"while running the check file {path}")
    raise exc


def _register_tables(con: Any, tables: Mapping[str, pa.Table], unavailable: Mapping[str, str]) -> None:
    """Register every model table; an unavailable or absent one as an empty table of its schema."""
    for name in TABLES:
        table = tables.get(name)
        if table is None or name in unavailable:
            table = empty_table(name)
        con.register(name, table)


def _create_views(con: Any, folder: Path) -> None:
    views = folder / VIEWS_FILE
    if not views.is_file():
        return
    import duckdb

    try:
        con.execute(views.read_text(encoding="utf-8"))
    except duckdb.Error as exc:
        _raise_for_check(views, exc)


def _not_run(spec: CheckSpec, missing: list[str], tables: Mapping[str, pa.Table],
             unavailable: Mapping[str, str]) -> Finding:
    reasons = []
    for name in missing:
        why = unavailable.get(name) or ("the table was not built" if name not in tables else "")
        reasons.append(f"{name} ({why})" if why else name)
    return finding(
        "check.not-run",
        f"check {spec.code} ({spec.title}) did not run: it needs the table(s) "
        f"{'; '.join(reasons)}. Fix the findings of the file(s) behind them, then validate again.",
        keys={"check": spec.code},
        value=missing,
        expected="every table in 'requires' available",
    )


def _row_findings(spec: CheckSpec, result: pa.Table) -> list[Finding]:
    unknown = [name for name in result.column_names if name not in RESULT_COLUMNS]
    if unknown or "message" not in result.column_names or \
            len(set(result.column_names)) != len(result.column_names):
        raise UsageError(
            f"{spec.path}: the query must return a 'message' column and otherwise only "
            f"{', '.join(RESULT_COLUMNS)} (each once); got {', '.join(result.column_names)}")
    n = result.num_rows
    columns = {name: result.column(name).to_pylist() for name in result.column_names}
    none: list[Any] = [None] * n
    files, rows, cols, pointers = (columns.get(k, none) for k in ("file", "row", "column", "pointer"))
    keys, values, expected, messages = (columns.get(k, none) for k in ("keys", "value", "expected", "message"))
    out = []
    for i in range(n):
        out.append(Finding(
            code=spec.code,
            severity=spec.severity,
            message=str(messages[i]) if messages[i] is not None else spec.title,
            file=files[i],
            row=int(rows[i]) if rows[i] is not None else None,
            column=cols[i],
            pointer=pointers[i],
            keys=_keys(keys[i]),
            value=values[i],
            expected=expected[i],
        ))
    return out


def _keys(raw: Any) -> dict[str, Any]:
    """A STRUCT arrives as a dict, a MAP as a list of pairs; null entries are dropped."""
    if raw is None:
        return {}
    items = raw.items() if isinstance(raw, dict) else raw
    return {str(k): v for k, v in items if v is not None}


def run_checks(tables: dict[str, pa.Table], unavailable: dict[str, str],
               checks_dir: Path | None = None, *, timings: dict[str, float] | None = None,
               skip_families: tuple[str, ...] = ()) -> list[Finding]:
    """Run every check against ``tables``; a check missing a required table yields one check.not-run.

    Checks of ``skip_families`` (e.g. ``("image",)`` under ``--no-images``) are switched off: they do not
    run and yield nothing (the caller records that they were off).

    ``unavailable`` maps a table name to why it could not be built. Findings come back in a
    deterministic order (check code, then the order of the check's rows). ``timings``, when given,
    receives the seconds spent per check (and ``_views`` for the shared tables), for benchmarks.
    """
    folder = checks_folder(checks_dir)
    specs = check_catalogue(folder)
    con = _connect()
    try:
        started = time.perf_counter()
        _register_tables(con, tables, unavailable)
        _create_views(con, folder)
        if timings is not None:
            timings["_views"] = time.perf_counter() - started
        findings: list[Finding] = []
        for spec in specs:
            if spec.code.split(".")[0] in skip_families:
                continue
            missing = [name for name in spec.requires if name in unavailable or name not in tables]
            started = time.perf_counter()
            if missing:
                findings.append(_not_run(spec, missing, tables, unavailable))
            else:
                findings.extend(_run_one(con, spec))
            if timings is not None:
                timings[spec.code] = time.perf_counter() - started
        return findings
    finally:
        con.close()


def _run_one(con: Any, spec: CheckSpec) -> list[Finding]:
    import duckdb

    try:
        result = con.sql(spec.sql).to_arrow_table()
    except duckdb.Error as exc:
        _raise_for_check(spec.path, exc)
        raise  # unreachable: _raise_for_check always raises
    return _row_findings(spec, result)


def render_markdown(specs: list[CheckSpec]) -> str:
    """The generated part of docs/checks.md: one section per check."""
    lines = ["| code | severity | title |", "|---|---|---|"]
    lines += [f"| [`{s.code}`](#{_anchor(s.code)}) | {s.severity.value} | {s.title} |" for s in specs]
    for spec in specs:
        lines += ["", f"### {spec.code}", "",
                  f"**{spec.severity.value}** — {spec.title}. File: `checks/{spec.path.name}`.", "",
                  spec.description, "",
                  f"Requires: {', '.join(f'`{t}`' for t in spec.requires) or '(nothing)'}"
                  + (f"; uses if available: {', '.join(f'`{t}`' for t in spec.uses)}" if spec.uses else "")
                  + "."]
    return "\n".join(lines) + "\n"


def _anchor(code: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", code.lower())


def render_catalogue(specs: list[CheckSpec], fmt: str = "text") -> str:
    """The check catalogue for ``vogue-pack checks``: ``text``, ``json`` or ``markdown``."""
    if fmt == "markdown":
        return render_markdown(specs)
    if fmt == "json":
        import json

        return json.dumps([{
            "code": s.code, "severity": s.severity.value, "title": s.title, "description": s.description,
            "requires": list(s.requires), "uses": list(s.uses), "file": f"checks/{s.path.name}",
        } for s in specs], indent=2) + "\n"
    width = max((len(s.code) for s in specs), default=4)
    lines = [f"{s.code:<{width}}  {s.severity.value:<7}  {s.title}" for s in specs]
    return "\n".join(lines) + f"\n{plural(len(specs), 'check')} (vogue-pack checks --format json for descriptions)\n"
