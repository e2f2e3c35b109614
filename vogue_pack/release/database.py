"""The release database (vogue.duckdb): every table with its comments, then the packaged SQL files,
written so that the same tables give the same file bytes."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from vogue_pack.release.format import (
    connect_database,
    connect_memory,
    content_digest,
    definition_digests,
    quote_ident,
    quote_literal,
    sha256_bytes,
    table_content_digest,
)

if TYPE_CHECKING:
    import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"


def _comments(name: str, table: pa.Table) -> list[str]:
    """The COMMENT statements of a table and its columns (their descriptions in the schema metadata)."""
    description = (table.schema.metadata or {}).get(b"description", b"").decode("utf-8")
    comments = [f"COMMENT ON TABLE {quote_ident(name)} IS {quote_literal(description)};"]
    for column in table.schema:
        text = (column.metadata or {}).get(b"description", b"").decode("utf-8")
        comments.append(f"COMMENT ON COLUMN {quote_ident(name)}.{quote_ident(column.name)} "
                        f"IS {quote_literal(text)};")
    return comments


def sql_files() -> list[Path]:
    """Every packaged SQL file in name order: the release views (``vogue_pack/release/sql/``) and the
    metric views (``vogue_pack/analysis/sql/``)."""
    from vogue_pack.analysis.metrics import metric_sql_files

    return sorted([*SQL_DIR.glob("*.sql"), *metric_sql_files()], key=lambda p: p.name)


def table_key(table: pa.Table) -> tuple[str, ...]:
    """The key columns a released table records in its schema metadata (``key``, comma-separated)."""
    text = (table.schema.metadata or {}).get(b"key", b"").decode("utf-8")
    return tuple(part for part in text.split(",") if part)


def table_digests(tables: Mapping[str, pa.Table]) -> dict[str, tuple[int, str]]:
    """Row count and content digest of every table, from the Arrow tables (each in its key order, so no sort)."""
    con = connect_memory()
    try:
        return {name: table_content_digest(table, table_key(table), con) for name, table in tables.items()}
    finally:
        con.close()


def build_database(path: Path, tables: Mapping[str, pa.Table],
                   digests: Callable[[], Mapping[str, tuple[int, str]]] | None = None) -> dict[str, Any]:
    """Write ``vogue.duckdb``: every table, then every packaged SQL file; returns the manifest section
    (content digest per table, views, the digest of every view and macro definition, SQL files).

    ``digests`` gives :func:`table_digests` of the same tables once they are written (e.g. the result of
    computing them beside this on another core); without it each table of the written database is digested."""
    database = DatabaseWriter(path)
    try:
        for name, table in tables.items():
            database.add(name, table)
        return database.finish(digests)
    finally:
        database.close()


class DatabaseWriter:
    """``vogue.duckdb`` written one table at a time (:meth:`add`, each in a transaction of its own, so the
    caller need not hold every table at once), then :meth:`finish`: what :func:`build_database` does.

    With every table in one transaction, a large release (60,000 conversations, 7.8 million rows) came out
    with different bytes on every build; committed one table at a time, the file is the same
    (``benchmarks/run_all.py --large`` builds it twice and compares)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con: duckdb.DuckDBPyConnection | None = connect_database(path, read_only=False)
        # One thread: DuckDB's parallel insert places row groups in blocks in the order its threads finish,
        # so with more threads a large table lands in a different block layout on every build.
        self.con.execute("SET threads = 1")
        self.keys: dict[str, tuple[str, ...]] = {}
        self.comments: list[str] = []

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self.con is None:
            raise RuntimeError(f"{self.path}: the database writer is closed")
        return self.con

    def add(self, name: str, table: pa.Table) -> None:
        """Create table ``name`` from ``table`` and commit it (DuckDB keeps no reference to ``table``)."""
        con = self._connection()
        con.register("_vogue_source", table)
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM _vogue_source")
            con.execute("COMMIT")
        finally:
            con.unregister("_vogue_source")
        self.keys[name] = table_key(table)
        self.comments.extend(_comments(name, table))

    def finish(self, digests: Callable[[], Mapping[str, tuple[int, str]]] | None = None) -> dict[str, Any]:
        """The comments and every packaged SQL file, the manifest section (see :func:`build_database`), a
        checkpoint, and the file closed with its content-derived identifier."""
        import duckdb

        con = self._connection()
        con.execute("BEGIN TRANSACTION")  # one commit for the comments and every SQL file
        con.execute("\n".join(self.comments))
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
        entries: dict[str, dict[str, Any]] = {}
        row_counts: dict[str, int] = {}
        given = digests() if digests is not None else {}
        for name in names:
            if name in given:
                rows, digest = given[name]
            else:
                rows, digest = content_digest(con, quote_ident(name), self.keys.get(name, ()))
            entries[name] = {"rows": rows, "content_digest": digest}
            row_counts[name] = rows
        definitions = [{"kind": kind, "name": name, "sha256": digest}
                       for (kind, name), digest in sorted(definition_digests(con).items())]
        con.execute("CHECKPOINT")
        self.close()
        stable = stabilise_file_identifier(self.path, row_counts)
        return {"tables": entries, "views": views, "definitions": definitions, "sql": scripts, **stable}

    def close(self) -> None:
        """Close the connection (again: nothing)."""
        if self.con is not None:
            self.con.close()
            self.con = None


# ------------------------------------------------------------------------ stable file bytes
#
# A DuckDB file starts with three 4096-byte headers: the main header, then two database headers (each:
# checksum, iteration, meta block, free list, block count, block allocation size, vector size,
# serialization compatibility). Written from the same tables by one thread, every byte of the file is the
# same on every build but 24 bytes of the main header: the 16-byte database identifier, which DuckDB draws
# at random when it creates a file (storage version 67, DuckDB 1.4, and later), and the main header's
# checksum, which covers it. The identifier is the key-derivation salt of an encrypted database (a release
# is not encrypted) and is compared with the identifier a write-ahead log records, so that DuckDB never
# replays the log of one database file onto another. vogue-pack replaces it with the first 16 bytes of
# the sha256 of the file (identifier and checksum taken as zeros) and recomputes the checksum: two files
# then share an identifier only when they are byte-identical, like a copy of one file, which keeps its
# identifier too. Main header layout (src/storage/single_file_block_manager.cpp, MainHeader::Write):
_HEADER_BYTES = 4096  # Storage::FILE_HEADER_SIZE
_CHECKSUM_OFFSET = 0  # uint64: DuckDB's checksum of bytes 8..4095
_MAGIC_OFFSET, _MAGIC = 8, b"DUCK"
_VERSION_OFFSET = 12  # uint64: storage version number
_FLAGS_OFFSET = 20  # 4 x uint64
_LIBRARY_OFFSET = 52  # 32 bytes: the library version, e.g. "v2.0.1"; then 32 bytes: its source id
_ENCRYPTION_OFFSET = 116  # 8 bytes of encryption metadata, zero unless encrypted
_IDENTIFIER_OFFSET, _IDENTIFIER_BYTES = 124, 16
_CANARY_OFFSET = 140  # 8 bytes: the encrypted canary, zero unless encrypted
_HEADER_END = 148  # the rest of the 4096 bytes is zero
_IDENTIFIER_SINCE_VERSION = 67  # older storage versions write no identifier (16 zero bytes)
_CHECKSUM_MULTIPLIER = 0xBF58476D1CE4E5B9
_WORD = struct.Struct("<Q")
FILE_IDENTIFIER_METHOD = ("the 16 bytes at offset 124 of the main header (DuckDB's random database identifier) "
                          "are the first 16 bytes of the sha256 of the file with those bytes and the header "
                          "checksum (bytes 0-7) set to zero; the checksum is recomputed")


def duckdb_checksum(data: bytes | bytearray | memoryview) -> int:
    """DuckDB's block checksum (src/common/checksum.cpp) of a whole number of little-endian 64-bit words:
    5381, xor-ed with every word times 0xbf58476d1ce4e5b9 (modulo 2**64)."""
    if len(data) % 8:
        raise ValueError("DuckDB's checksum of a header or block covers whole 64-bit words")
    result = 5381
    for (word,) in _WORD.iter_unpack(data):
        result ^= (word * _CHECKSUM_MULTIPLIER) & 0xFFFF_FFFF_FFFF_FFFF
    return result


def _header_problem(header: bytes | bytearray) -> str | None:
    """Why the main header is not one whose identifier vogue-pack knows how to set, or None."""
    if len(header) < _HEADER_BYTES or header[_MAGIC_OFFSET:_MAGIC_OFFSET + 4] != _MAGIC:
        return "the file does not start with a DuckDB main header"
    stored = _WORD.unpack_from(header, _CHECKSUM_OFFSET)[0]
    if stored != duckdb_checksum(memoryview(header)[8:_HEADER_BYTES]):
        return "the main header's checksum is not DuckDB's checksum as vogue-pack computes it"
    library = bytes(header[_LIBRARY_OFFSET:_LIBRARY_OFFSET + 32]).rstrip(b"\0")
    if not library.startswith(b"v") or not library.isascii():
        return "the main header has no library version where vogue-pack expects it"
    if any(header[_ENCRYPTION_OFFSET:_IDENTIFIER_OFFSET]) or any(header[_CANARY_OFFSET:_HEADER_END]):
        return "the database is encrypted"
    if any(header[_HEADER_END:_HEADER_BYTES]):
        return "the main header has fields after the encryption canary that vogue-pack does not know"
    return None


def stabilise_file_identifier(path: Path, rows: Mapping[str, int]) -> dict[str, Any]:
    """Give the closed database file at ``path`` a content-derived identifier instead of DuckDB's random one
    (the comment above says why this is safe), then check that DuckDB opens the file and reads every table
    (``rows``: table -> row count). Returns the manifest's ``reproducible_bytes`` and ``file_identifier``;
    a header vogue-pack does not recognise is left exactly as DuckDB wrote it, with the reason."""
    import duckdb

    with open(path, "r+b") as handle:
        original = handle.read(_HEADER_BYTES)
        problem = _header_problem(original)
        if problem is not None:
            return {"reproducible_bytes": False, "file_identifier": f"as DuckDB wrote it: {problem}"}
        if _WORD.unpack_from(original, _VERSION_OFFSET)[0] < _IDENTIFIER_SINCE_VERSION:
            return {"reproducible_bytes": True, "file_identifier": "none (this storage version writes zeros)"}
        header = bytearray(original)
        header[_CHECKSUM_OFFSET:_CHECKSUM_OFFSET + 8] = bytes(8)
        header[_IDENTIFIER_OFFSET:_IDENTIFIER_OFFSET + _IDENTIFIER_BYTES] = bytes(_IDENTIFIER_BYTES)
        digest = hashlib.sha256(header)
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
        header[_IDENTIFIER_OFFSET:_IDENTIFIER_OFFSET + _IDENTIFIER_BYTES] = digest.digest()[:_IDENTIFIER_BYTES]
        _WORD.pack_into(header, _CHECKSUM_OFFSET, duckdb_checksum(memoryview(header)[8:]))
        handle.seek(0)
        handle.write(header)
    try:
        _check_readable(path, rows)
    except duckdb.Error as exc:  # never expected: keep the file DuckDB wrote, and say why it is not stable
        with open(path, "r+b") as handle:
            handle.write(original)
        _check_readable(path, rows)
        reason = str(exc).strip().splitlines()[0]
        return {"reproducible_bytes": False,
                "file_identifier": f"as DuckDB wrote it: DuckDB refused the stabilised header ({reason})"}
    return {"reproducible_bytes": True, "file_identifier": FILE_IDENTIFIER_METHOD}


def _check_readable(path: Path, rows: Mapping[str, int]) -> None:
    """Open ``path`` read-only and count every table's rows (DuckDB checks every header checksum on open)."""
    import duckdb

    con = connect_database(path, read_only=True)
    try:
        for name, expected in rows.items():
            found = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()
            if found is None or found[0] != expected:
                raise duckdb.InvalidInputException(f"table {name} reads {found} rows, not {expected}")
    finally:
        con.close()
