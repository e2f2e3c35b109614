"""Read-only SQL over a release (vogue.duckdb), and the renderings `vogue-pack query` prints."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa

from vogue_pack.errors import UsageError
from vogue_pack.release.format import DATABASE, connect_database

QUERY_FORMATS = ("table", "csv", "json")
_CELL_WIDTH = 40


def query_release(path: Path, sql: str) -> pa.Table:
    """Run ``sql`` on the release folder's ``vogue.duckdb`` through a read-only connection.

    Relative paths inside the SQL (for example ``read_parquet('tables/turns.parquet')``) are the user's
    business; the views and tables need none. A bad query raises UsageError with DuckDB's message.
    """
    import duckdb

    database = Path(path) / DATABASE
    if not database.is_file():
        raise UsageError(f"{path}: no {DATABASE}; give a release folder such as release/1.1")
    if not sql.strip():
        raise UsageError("the SQL query is empty")
    try:
        con = connect_database(database, read_only=True)
    except duckdb.Error as exc:
        raise UsageError(f"{database}: cannot open the database read-only: {exc}") from exc
    try:
        relation = con.sql(sql)
        # A statement without a result (SET, PRAGMA ...) gives no relation: an empty result.
        return pa.table({}) if relation is None else relation.to_arrow_table()
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


def render_result(table: pa.Table, fmt: str, max_rows: int | None = None) -> str:
    """Render a query result as ``table`` (aligned text), ``csv`` or ``json`` (an array of objects).

    ``max_rows`` limits the ``table`` format only (a line says how many rows were left out).
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
    cells = [[_clip(_cell(row[n])) for n in names] for row in shown]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    footer = f"({len(rows)} row{'' if len(rows) == 1 else 's'})"
    if len(shown) < len(rows):
        footer = f"({len(rows)} rows, {len(rows) - len(shown)} not shown; use --max-rows or --format csv)"
    lines.append(footer)
    return "\n".join(lines) + "\n"


def _clip(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= _CELL_WIDTH else text[:_CELL_WIDTH - 1] + "…"
