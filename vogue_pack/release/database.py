"""The release database (vogue.duckdb): every table with its comments, then the packaged SQL files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from vogue_pack.release.format import (
    connect_database,
    content_digest,
    definition_digests,
    quote_ident,
    quote_literal,
    sha256_bytes,
)

if TYPE_CHECKING:
    import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"


def _create_tables(con: duckdb.DuckDBPyConnection, tables: Mapping[str, pa.Table]) -> None:
    comments: list[str] = []
    for name, table in tables.items():
        con.register("_vogue_source", table)
        con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM _vogue_source")
        con.unregister("_vogue_source")
        description = (table.schema.metadata or {}).get(b"description", b"").decode("utf-8")
        comments.append(f"COMMENT ON TABLE {quote_ident(name)} IS {quote_literal(description)};")
        for column in table.schema:
            text = (column.metadata or {}).get(b"description", b"").decode("utf-8")
            comments.append(f"COMMENT ON COLUMN {quote_ident(name)}.{quote_ident(column.name)} "
                            f"IS {quote_literal(text)};")
    con.execute("\n".join(comments))


def sql_files() -> list[Path]:
    """Every packaged SQL file in name order: the release views (``vogue_pack/release/sql/``) and the
    metric views (``vogue_pack/analysis/sql/``)."""
    from vogue_pack.analysis.metrics import metric_sql_files

    return sorted([*SQL_DIR.glob("*.sql"), *metric_sql_files()], key=lambda p: p.name)


def build_database(path: Path, tables: Mapping[str, pa.Table]) -> dict[str, Any]:
    """Write ``vogue.duckdb``: every table, then every packaged SQL file; returns the manifest section
    (content digest per table, views, the digest of every view and macro definition, SQL files)."""
    import duckdb

    con = connect_database(path, read_only=False)
    try:
        con.execute("BEGIN TRANSACTION")  # one commit for everything: per-statement commits are slow
        _create_tables(con, tables)
        scripts = []
        for script in sql_files():
            text = script.read_text(encoding="utf-8")
            try:
                con.execute(text)
            except duckdb.Error as exc:  # a broken packaged file is a bug in vogue-pack: name the file
                raise RuntimeError(f"packaged SQL file {script.name} failed: {exc}") from exc
            scripts.append({"name": script.name, "sha256": sha256_bytes(text.encode("utf-8"))})
        con.execute("COMMIT")
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name").fetchall()]
        views = [{"name": name, "description": comment or ""} for name, comment in con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND NOT temporary "
            "ORDER BY view_name").fetchall()]
        digests = {}
        for name in names:
            rows, digest = content_digest(con, quote_ident(name))
            digests[name] = {"rows": rows, "content_digest": digest}
        definitions = [{"kind": kind, "name": name, "sha256": digest}
                       for (kind, name), digest in sorted(definition_digests(con).items())]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"tables": digests, "views": views, "definitions": definitions, "sql": scripts}
