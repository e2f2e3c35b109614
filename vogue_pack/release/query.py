"""Read-only SQL over a release (vogue.duckdb), and the renderings `vogue-pack query` prints."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from vogue_pack.console import human_number, plural
from vogue_pack.errors import UsageError
from vogue_pack.release.format import DATABASE, connect_database

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb
    import pyarrow as pa

_T = TypeVar("_T")
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


class QueryRows(NamedTuple):
    """A query result as Python values: the column names and one dict per row (``pa.Table.to_pylist()``)."""

    names: list[str]
    rows: list[dict[str, Any]]


# DuckDB types whose Python values from ``fetchall`` are exactly what ``to_arrow_table().to_pylist()`` gives
# (same type, same value; tests/test_query_fast.py checks each, edge values included). Any other type in a
# result (HUGEINT, dates and times, INTERVAL, UUID, MAP, ARRAY, BIT, ...) goes through Arrow, as before.
_PLAIN_TYPES = frozenset({"boolean", "null", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint",
                          "uinteger", "ubigint", "float", "double", "varchar", "decimal", "blob", "enum"})


def _plain_type(duck_type: Any) -> bool:
    kind = duck_type.id
    if kind in ("list", "struct"):
        return all(_plain_type(child) for _, child in duck_type.children)
    return kind in _PLAIN_TYPES


def query_release(path: Path, sql: str) -> pa.Table:
    """Run ``sql`` on the release folder's ``vogue.duckdb`` in the read-only sandbox.

    Only one SELECT statement is permitted (see :data:`PERMITTED`); anything else, a bad query, or an
    attempt to read outside the database raises UsageError with a message saying what is allowed.
    """
    import pyarrow as pa

    def fetch(relation: duckdb.DuckDBPyRelation | None) -> pa.Table:
        return pa.table({}) if relation is None else relation.to_arrow_table()

    return _run_query(path, sql, fetch)


def query_rows(path: Path, sql: str) -> QueryRows:
    """:func:`query_release` as Python rows, without importing pyarrow when every column's type allows:
    what ``vogue-pack query`` prints (render_result gives the same text for both)."""

    def fetch(relation: duckdb.DuckDBPyRelation | None) -> QueryRows:
        if relation is None:
            return QueryRows([], [])
        names = list(relation.columns)
        if all(_plain_type(t) for t in relation.types):
            return QueryRows(names, [dict(zip(names, row, strict=True)) for row in relation.fetchall()])
        return QueryRows(names, relation.to_arrow_table().to_pylist())

    return _run_query(path, sql, fetch)


def _run_query(path: Path, sql: str, fetch: Callable[[duckdb.DuckDBPyRelation | None], _T]) -> _T:
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
        return fetch(con.sql(statement))
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


def render_result(table: pa.Table | QueryRows, fmt: str, max_rows: int | None = None,
                  max_width: int = CELL_WIDTH) -> str:
    """Render a query result as ``table`` (aligned text), ``csv`` or ``json`` (an array of objects).

    ``max_rows`` and ``max_width`` (characters per cell, longer ones end in ``…``; 0: no limit) shape the
    ``table`` format only (a line says how many rows were left out); its floats show three decimals, csv
    and json keep every digit.
    """
    if fmt not in QUERY_FORMATS:
        raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(QUERY_FORMATS)}")
    if isinstance(table, QueryRows):
        names, rows = table
    else:
        rows, names = table.to_pylist(), table.column_names
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
