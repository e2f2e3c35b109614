"""Read-only SQL over a release (vogue.duckdb), and the renderings `vogue-pack query` prints."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from vogue_pack.console import human_number, plural
from vogue_pack.errors import UsageError
from vogue_pack.release.format import DATABASE, connect_database

if TYPE_CHECKING:
    import duckdb

QUERY_FORMATS = ("table", "csv", "json")
CELL_WIDTH = 40  # characters per cell of --format table (query --max-width)


# What `query` runs: one statement that reads. DESCRIBE, SHOW, SUMMARIZE, FROM-first queries, VALUES and
# UNPIVOT parse as SELECT. The engine's sandbox (connect_database) already refuses writes, host files,
# ATTACH, COPY TO, EXPORT, INSTALL, LOAD and SET; this guard also refuses what the engine would allow on a
# read-only database but is not reading (temporary tables and macros, transactions, PRAGMA, CALL,
# CHECKPOINT, VACUUM, DETACH, USE, several statements at once), and gives every refusal one clear message.
ALLOWED_STATEMENTS = ("SELECT",)
PERMITTED = ("query runs one read-only SELECT statement (also WITH ..., FROM ..., DESCRIBE, SHOW, SUMMARIZE, "
             "VALUES) over the tables and views of vogue.duckdb; it cannot write, attach, copy or export, "
             "install or load extensions, change settings, or read files outside the database")


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """The one permitted statement of ``sql``, parsed by DuckDB's own parser; UsageError otherwise."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {str(exc).strip()}") from exc
    if not statements:
        raise UsageError("the SQL query is empty")
    if len(statements) > 1:
        raise UsageError(f"{len(statements)} statements given; {PERMITTED}")
    statement = statements[0]
    kind = statement.type.name
    if kind not in ALLOWED_STATEMENTS:
        raise UsageError(f"a {kind} statement is not permitted: {PERMITTED}")
    return statement


def query_release(path: Path, sql: str) -> pa.Table:
    """Run ``sql`` on the release folder's ``vogue.duckdb`` in the read-only sandbox.

    Only one SELECT statement is permitted (see :data:`PERMITTED`); anything else, a bad query, or an
    attempt to read outside the database raises UsageError with a message saying what is allowed.
    """
    import duckdb

    database = Path(path) / DATABASE
    if database.is_symlink() or not database.is_file():
        raise UsageError(f"{path}: no {DATABASE}; give a release folder such as release/1.1")
    wal = database.with_name(database.name + ".wal")
    if wal.exists() or wal.is_symlink():
        # DuckDB would replay a write-ahead log over the released tables; a release never has one.
        raise UsageError(f"{wal} is not part of a release (DuckDB would apply it over the released tables); "
                         "run `vogue-pack verify` and restore the release")
    if not sql.strip():
        raise UsageError("the SQL query is empty")
    try:
        con = connect_database(database, read_only=True)
    except duckdb.Error as exc:
        raise UsageError(f"{database}: cannot open the database read-only: {exc}") from exc
    try:
        statement = check_statement(con, sql)
        relation = con.sql(statement)
        return pa.table({}) if relation is None else relation.to_arrow_table()
    except duckdb.PermissionException as exc:
        raise UsageError(f"query refused: {str(exc).strip()}; {PERMITTED}") from exc
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {str(exc).strip()}") from exc
    finally:
        con.close()


def _plain(value: Any) -> Any:
    """A JSON-ready value: NaN becomes null, dates and decimals become strings."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(_plain(value) if _plain(value) is not None else "")
    return json.dumps(_plain(value), ensure_ascii=False)


def render_result(table: pa.Table, fmt: str, max_rows: int | None = None, max_width: int = CELL_WIDTH) -> str:
    """Render a query result as ``table`` (aligned text), ``csv`` or ``json`` (an array of objects).

    ``max_rows`` and ``max_width`` (characters per cell, longer ones end in ``…``; 0: no limit) shape the
    ``table`` format only (a line says how many rows were left out); its floats show three decimals, csv
    and json keep every digit.
    """
    if fmt not in QUERY_FORMATS:
        raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(QUERY_FORMATS)}")
    rows = table.to_pylist()
    names = table.column_names
    if fmt == "json":
        return json.dumps([{k: _plain(v) for k, v in row.items()} for row in rows], indent=2,
                          ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([_cell(row[n]) for n in names] for row in rows)
        return out.getvalue()
    shown = rows if max_rows is None else rows[:max_rows]
    cells = [[_clip(_table_cell(row[n]), max_width) for n in names] for row in shown]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    footer = f"({plural(len(rows), 'row')})"
    if len(shown) < len(rows):
        footer = f"({plural(len(rows), 'row')}, {len(rows) - len(shown):,} not shown; use --max-rows or --format csv)"
    lines.append(footer)
    return "\n".join(lines) + "\n"


def _table_cell(value: Any) -> str:
    if isinstance(value, float) and not isinstance(value, bool):
        return human_number(value)
    return _cell(value)


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if width <= 0 or len(text) <= width else text[:width - 1] + "…"
