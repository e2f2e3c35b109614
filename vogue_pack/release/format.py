"""The release format shared by build, verify, query and diff: file names, hashing, content digests."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from vogue_pack.errors import UsageError
from vogue_pack.raw.tree import RELEASE_IMAGES_DIR  # not raw.model, which imports pyarrow

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

# 2: view and macro definitions digested (duckdb.definitions), configuration provenance, signature file
# 3: images.path release-relative with images.raw_path; manifest images.included; LICENSE.txt; validation.switched_off
# 4: content digests vogue-content-v3 (rows in key order; v2 sorted every row's JSON line)
RELEASE_FORMAT_VERSION = "4"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
DATABASE = "vogue.duckdb"
FINDINGS = "findings.parquet"
REPORT = "report.json"
CARD = "README.md"
CROISSANT = "croissant.json"
TABLES_DIR = "tables"
FINDINGS_KEY = ("finding_id",)  # the key of the release's findings table (not a raw table)
IMAGES_DIR = RELEASE_IMAGES_DIR  # images/<file name>: the images table's path column
# The detached signature `vogue-pack sign` writes: the one file that may appear after build.
SIGNATURE = "signature.dsse.json"
RELEASE_DIGEST_PREFIX = "sha256:"
_RELEASE_DIGEST = re.compile(r"sha256:([0-9a-fA-F]{64})")
_MAX_MANIFEST_BYTES = 64 << 20

# Versions are MAJOR.MINOR or MAJOR.MINOR.PATCH without leading zeros (Croissant uses semantic versioning).
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$")

# How a table's content digest is computed. It names the method so that a future change of method
# is visible in the manifest instead of looking like changed data.
# v2 sorted the lines bytewise; v3 orders them by the table key (one sort of a few columns, none at all for a
# table already in key order, as every released table is) and only rows with equal keys by their line. The
# order is still a function of the rows alone, so the digest covers the same content as v2: any changed
# cell, added, dropped or duplicated row changes the hashed text (docs/release-format.md).
CONTENT_DIGEST_METHOD = (
    "vogue-content-v3: sha256 of the JSON list of column names and a newline, followed by every row as "
    "DuckDB's to_json(row) plus a newline, rows ordered by the table's key columns (manifest key, ascending, "
    "nulls last) and rows with equal keys by their line bytewise (so row order and storage do not matter)"
)

_CHUNK = 1 << 20


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"1.1"`` -> ``(1, 1, 0)``; None when ``text`` is not MAJOR.MINOR[.PATCH]."""
    match = _VERSION.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def semver(text: str) -> str:
    """The three-part form of a release version (``"1.1"`` -> ``"1.1.0"``), as Croissant wants it."""
    parsed = parse_version(text)
    if parsed is None:
        raise UsageError(f"version {text!r} is not MAJOR.MINOR or MAJOR.MINOR.PATCH (for example 1.1)")
    return ".".join(str(part) for part in parsed)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    with open(path, "rb") as handle:
        return sha256_stream(handle)


def sha256_stream(handle: BinaryIO) -> str:
    """Hex SHA-256 of what is left to read from an open binary file, read in chunks."""
    digest = hashlib.sha256()
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def release_digest(sums: bytes) -> str:
    """The release digest: ``sha256:`` of SHA256SUMS, which lists the sha256 of every other file."""
    return RELEASE_DIGEST_PREFIX + sha256_bytes(sums)


def parse_release_digest(text: str) -> str:
    """A published release digest in canonical form (``sha256:`` + 64 lowercase hex digits); UsageError
    when it is not one."""
    match = _RELEASE_DIGEST.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"{text!r} is not a release digest: expected sha256: and 64 hex digits, as "
                         "`vogue-pack build` prints it")
    return RELEASE_DIGEST_PREFIX + match.group(1).lower()


def unsafe_path_reason(rel: str) -> str | None:
    """Why ``rel`` (a path recorded in a release) could leave the release folder, or None when it is a
    plain relative path of ``/``-separated names. Paths are judged as text, before anything is opened."""
    if not rel:
        return "an empty path"
    if "\\" in rel or "\x00" in rel or any(ord(c) < 32 for c in rel):
        return "a backslash or control character in the path"
    if rel.startswith("/") or re.match(r"[A-Za-z]:", rel):
        return "an absolute path"
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "a '..', '.' or empty part (the path must stay inside the release)"
    return None


def quote_ident(name: str) -> str:
    """A DuckDB identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


# A row's JSON line, every function named with its catalog: a macro stored in a database can take the name of a
# built-in (to_json, chr, even ||) and would be called instead of it when the name is not qualified.
_LINE = "system.main.concat(system.main.to_json(t), system.main.chr(10))"
_CURRENT = "system.main.current_database()"


def content_digest(con: duckdb.DuckDBPyConnection, relation: str, key: Sequence[str]) -> tuple[int, str]:
    """Row count and order-independent content digest of ``relation`` (a table name or a
    ``read_parquet(...)`` call) whose key columns are ``key``, as defined by :data:`CONTENT_DIGEST_METHOD`.

    The digest is identical for a DuckDB table and the Parquet file it was loaded from, whatever the
    row order or the storage bytes, which is how ``verify`` checks ``vogue.duckdb``. A key column the
    relation lacks is left out of the order (its column list differs, and so does the digest).
    """
    columns = _columns(con, relation)
    order = [f"t.{quote_ident(k)} ASC NULLS LAST" for k in key if k in columns]
    return _digest_lines(con, columns, f"SELECT {_LINE} AS line FROM {relation} AS t "
                                       f"ORDER BY {', '.join([*order, 'line'])}")


def table_content_digest(table: pa.Table, key: Sequence[str],
                         con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, str]:
    """:func:`content_digest` of an Arrow table, in ``con`` or a new sandboxed in-memory DuckDB
    (:func:`connect_memory`). A table whose rows are already in strictly increasing key order (a released
    table is) is digested in its own order without a sort: each key is then unique, so that order is the
    method's."""
    own = con is None
    con = connect_memory() if con is None else con
    try:
        con.register("_vogue_table", table)
        if not _in_strict_key_order(table, key) or not _preserves_order(con):
            return content_digest(con, "_vogue_table", key)
        return _digest_lines(con, _columns(con, "_vogue_table"),
                             f"SELECT {_LINE} AS line FROM _vogue_table AS t")
    finally:
        con.unregister("_vogue_table")
        if own:
            con.close()


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _digest_lines(con: duckdb.DuckDBPyConnection, columns: list[str], sql: str) -> tuple[int, str]:
    """The row count and sha256 of the column list and the ``line`` column of ``sql``, in its order."""
    digest = hashlib.sha256((json.dumps(columns) + "\n").encode("utf-8"))
    count = 0
    for batch in con.sql(sql).to_arrow_reader():
        lines = batch.column(0)
        count += len(lines)
        digest.update(_string_bytes(lines))
    return count, digest.hexdigest()


def _preserves_order(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a query without ORDER BY returns rows in scan order (DuckDB's default)."""
    row = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    return bool(row and row[0])


def _in_strict_key_order(table: pa.Table, key: Sequence[str]) -> bool:
    """Whether every row's key is greater than the row before's, compared as DuckDB's ORDER BY does: integer,
    boolean and string key columns without nulls (strings bytewise); any other key is left to a sort."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not key or any(k not in table.column_names for k in key):
        return False
    for k in key:
        column = table.column(k)
        kind = column.type
        if column.null_count or not (pa.types.is_integer(kind) or pa.types.is_boolean(kind)
                                     or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return False
    if table.num_rows < 2:
        return True
    before, after = table.slice(0, table.num_rows - 1), table.slice(1)
    greater: Any = None  # after > before on the columns so far
    same: Any = None  # after == before on the columns so far
    for k in key:
        lower, higher = before.column(k), after.column(k)
        step = pc.greater(higher, lower)
        greater = step if greater is None else pc.or_(greater, pc.and_(same, step))
        equal = pc.equal(higher, lower)
        same = equal if same is None else pc.and_(same, equal)
    return bool(pc.all(greater).as_py())


def _string_bytes(array: pa.Array) -> memoryview:
    """The UTF-8 bytes of every string of ``array``, concatenated (no copy for string arrays)."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_string(array.type):
        array = array.cast(pa.large_string())  # string views and large strings alike
    width = np.int32 if pa.types.is_string(array.type) else np.int64
    offsets: Any = np.frombuffer(array.buffers()[1], dtype=width)[array.offset:array.offset + len(array) + 1]
    data = array.buffers()[2]
    if data is None or len(offsets) == 0:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]


def connect_memory(allowed_paths: Sequence[str] = ()) -> duckdb.DuckDBPyConnection:
    """A sandboxed in-memory DuckDB connection: no file or network access, no extension install or load,
    configuration locked. Data comes in only as Arrow tables the caller registers (``con.register``) and
    from the files of ``allowed_paths`` (absolute paths: DuckDB's ``allowed_paths``, the only files that
    the connection can read while external access is off, each by its exact path)."""
    import duckdb

    con = duckdb.connect(":memory:", config=_offline_config(spill=False))
    if allowed_paths:
        con.execute(f"SET allowed_paths = [{', '.join(quote_literal(p) for p in allowed_paths)}]")
        con.execute("SET parquet_metadata_cache = true")  # each footer read once, not by every statement
    return _lock(con)


def connect_database(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open a release database. A read-only connection is the sandbox every reader uses (query, verify,
    diff, the card): DuckDB's own read-only mode, external access off (no host file, no COPY TO, no ATTACH,
    no extension install or load), no spilling to disk, and the configuration locked so that no ``SET``
    can undo any of it. The build's read-write connection keeps external access (it runs only vogue-pack's
    own SQL) but never loads or installs extensions."""
    import duckdb

    con = duckdb.connect(str(path), read_only=read_only, config=_offline_config(spill=not read_only))
    return _lock(con) if read_only else con


def _offline_config(*, spill: bool) -> dict[str, Any]:
    config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                              "allow_community_extensions": False}
    if not spill:
        # A reader must not create vogue.duckdb.tmp/ inside the release folder: no spilling to disk.
        config["temp_directory"] = ""
    return config


def _lock(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Switch external access off, then lock the configuration (DuckDB enforces both from here on).

    Set by statements, in this order, because DuckDB refuses some settings once external access is off and
    every setting once the configuration is locked."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


# The macro definition definition_digests records: its kind, parameters and body in one string.
_MACRO_TEXT = "system.main.concat_ws(' ', function_type, parameters::VARCHAR, macro_definition)"
_MACRO_TYPES = ("macro", "table_macro")
_DEFINITION_QUERIES = (
    ("view", "SELECT view_name, sql FROM system.main.duckdb_views() WHERE NOT internal AND NOT temporary"),
    ("macro", f"SELECT function_name, {_MACRO_TEXT} FROM system.main.duckdb_functions() WHERE NOT internal "
              f"AND database_name = {_CURRENT} AND function_type IN {_MACRO_TYPES!r}"),
    ("sequence", "SELECT sequence_name, sql FROM system.main.duckdb_sequences() WHERE NOT temporary"),
    ("index", f"SELECT index_name, sql FROM system.main.duckdb_indexes() WHERE database_name = {_CURRENT}"),
    ("schema", "SELECT schema_name, schema_name FROM system.main.duckdb_schemas() WHERE NOT internal "
               f"AND database_name = {_CURRENT} AND schema_name <> 'main'"),
)
# Every row of duckdb_functions() (built-in and stored, in its order): (internal, function_type, function_name,
# whether it belongs to the current database, the macro text). One scan (30-60 ms: DuckDB lists every overload
# of every built-in) serves both definition_digests and verify's check for functions named like built-ins.
FUNCTION_ROWS = (f"SELECT internal, function_type, function_name, database_name = {_CURRENT}, {_MACRO_TEXT} "
                 "FROM system.main.duckdb_functions()")


def definition_digests(con: duckdb.DuckDBPyConnection,
                       functions: Sequence[tuple[Any, ...]] | None = None) -> dict[tuple[str, str], str]:
    """(kind, name) -> sha256 of the definition DuckDB stores, for every view, macro, sequence, index and
    extra schema of the database: what the manifest records and verify compares. ``functions``: the rows of
    :data:`FUNCTION_ROWS` when the caller has them (the macros are then taken from them, as the macro query
    would: not internal, of the current database, a macro or table macro, in scan order)."""
    found: dict[tuple[str, str], str] = {}
    for kind, sql in _DEFINITION_QUERIES:
        if kind == "macro" and functions is not None:
            rows = [(name, text) for internal, function_type, name, here, text in functions
                    if internal is False and here is True and function_type in _MACRO_TYPES]
        else:
            rows = con.execute(sql).fetchall()
        for name, definition in rows:
            found[(kind, str(name))] = sha256_bytes(str(definition).encode("utf-8"))
    return found


_TABLE_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["path", "rows", "key", "columns", "content_digest"],
    "properties": {
        "path": {"type": "string"}, "rows": {"type": "integer"},
        "key": {"type": "array", "items": {"type": "string"}},
        "columns": {"type": "array", "items": {"type": "string"}},
        "content_digest": {"type": "string"},
    },
}

# The parts of manifest.json that verify and diff rely on (a tampered manifest is a problem, not a crash).
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "format_version", "dataset", "libraries", "tables", "findings", "duckdb", "files"],
    "properties": {
        "format": {"const": "vogue-pack-release"},
        "format_version": {"type": "string"},
        "dataset": {"type": "object", "required": ["version"], "properties": {"version": {"type": "string"}}},
        "libraries": {"type": "object", "properties": {"duckdb": {"type": "string"}}},
        "tables": {"type": "object", "additionalProperties": _TABLE_ENTRY},
        "findings": _TABLE_ENTRY,
        "duckdb": {
            "type": "object",
            "required": ["tables", "views", "definitions"],
            "properties": {
                "tables": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["rows", "content_digest"],
                    "properties": {"rows": {"type": "integer"}, "content_digest": {"type": "string"}}}},
                "views": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                     "properties": {"name": {"type": "string"}}}},
                "definitions": {"type": "array", "items": {
                    "type": "object", "required": ["kind", "name", "sha256"],
                    "properties": {"kind": {"type": "string"}, "name": {"type": "string"},
                                   "sha256": {"type": "string"}}}},
            },
        },
        "files": {"type": "array", "items": {
            "type": "object", "required": ["path", "bytes", "sha256"],
            "properties": {"path": {"type": "string"}, "bytes": {"type": "integer"},
                           "sha256": {"type": "string"}}}},
    },
}


_SCHEMA_KEYWORDS = frozenset({"type", "const", "required", "properties", "additionalProperties", "items"})


def manifest_conforms(data: Any, schema: dict[str, Any] | bool = MANIFEST_SCHEMA) -> bool:
    """Whether ``data`` conforms to ``schema`` by JSON Schema draft 2020-12, for the keywords
    :data:`MANIFEST_SCHEMA` uses: ``type`` (object, array, string or integer), ``const`` (a string),
    ``required``, ``properties``, ``additionalProperties``, ``items``, and the schemas true and false; a
    schema with any other keyword is a ValueError. What jsonschema's Draft202012Validator accepts, without
    importing it (0.1 s): an integer is an int that is not a bool, or a float without a fractional part.
    tests/test_verify_startup.py compares the two on mutated manifests."""
    if isinstance(schema, bool):
        return schema
    unknown = set(schema) - _SCHEMA_KEYWORDS
    if unknown:
        raise ValueError(f"manifest_conforms does not implement {sorted(unknown)}")
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(data, dict):
            return False
    elif kind == "array":
        if not isinstance(data, list):
            return False
    elif kind == "string":
        if not isinstance(data, str):
            return False
    elif kind == "integer":
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, float) and data.is_integer())):
            return False
    elif kind is not None:
        raise ValueError(f"manifest_conforms does not implement type {kind!r}")
    if "const" in schema:
        if not isinstance(schema["const"], str):
            raise ValueError("manifest_conforms implements only string constants")
        if not (isinstance(data, str) and data == schema["const"]):
            return False
    if isinstance(data, dict):
        if any(name not in data for name in schema.get("required", ())):
            return False
        properties: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, value in data.items():
            sub = properties.get(name, extra)
            if sub is not None and not manifest_conforms(value, sub):
                return False
    if isinstance(data, list) and "items" in schema:
        return all(manifest_conforms(item, schema["items"]) for item in data)
    return True


def read_manifest(release: Path) -> dict[str, Any]:
    """The parsed manifest of a release folder (UsageError when it is not a release)."""
    path = Path(release) / MANIFEST
    if not Path(release).is_dir():
        raise UsageError(f"{release}: not a folder")
    if path.is_symlink() or not path.is_file():
        raise UsageError(f"{release}: no {MANIFEST} (or not a regular file); not a vogue-pack release")
    try:
        if path.stat().st_size > _MAX_MANIFEST_BYTES:
            raise UsageError(f"{path}: larger than {_MAX_MANIFEST_BYTES >> 20} MiB; not a release manifest")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: bad JSON, or a huge integer
        raise UsageError(f"{path}: cannot read the manifest: {str(exc)[:200]}") from exc
    except RecursionError as exc:
        raise UsageError(f"{path}: cannot read the manifest: nested too deeply") from exc
    if not isinstance(data, dict) or data.get("format") != "vogue-pack-release":
        raise UsageError(f"{path}: not a vogue-pack release manifest")
    if manifest_conforms(data):
        return data
    import jsonschema  # the reference validator, for the message of a manifest that does not conform

    try:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(MANIFEST_SCHEMA).iter_errors(data))
    except RecursionError as exc:
        raise UsageError(f"{path}: malformed manifest: nested too deeply") from exc
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path)[:200] or "(top level)"
        raise UsageError(f"{path}: malformed manifest at {where}: {error.message[:200]}")
    return data


def canonical_json(data: Any) -> str:
    """The JSON text of every machine-read release file: indented, key order as given, newline at end."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
