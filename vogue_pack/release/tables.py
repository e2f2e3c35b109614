"""The tables of a release in canonical form (explicit schema, key order, one chunk) and as Parquet bytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from vogue_pack.raw.model import FORMAT_VERSION, TableSpec
from vogue_pack.release.format import RELEASE_FORMAT_VERSION, _in_strict_key_order, sha256_file
from vogue_pack.validate.catalogue import all_codes

# Fixed Parquet writer options: with a canonical table (one explicit schema, rows sorted by the key,
# one chunk per column) pyarrow then writes identical bytes on every run.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 6,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "data_page_size": 1 << 20,
    "row_group_size": 128 * 1024,
    "write_page_index": False,
    "store_schema": True,
    "use_compliant_nested_type": True,
}


def release_field(spec_field: pa.Field) -> pa.Field:
    """The field as released. A map column is stored as a list of ``{key, value}`` structs (its Parquet
    physical layout) because Hugging Face ``datasets`` and Croissant have no map type. List items are
    named ``element``, as Parquet's compliant nested types name them, so a table reads back equal."""
    dtype = spec_field.type
    metadata = dict(spec_field.metadata or {})
    if pa.types.is_map(dtype):
        entry = pa.struct([pa.field("key", dtype.key_type, nullable=False), pa.field("value", dtype.item_type)])
        description = metadata.get(b"description", b"").decode("utf-8")
        metadata[b"description"] = (description + " Stored as a list of {key, value} entries "
                                    "(DuckDB: map_from_entries(column)).").strip().encode("utf-8")
        dtype = pa.list_(pa.field("element", entry))
    elif pa.types.is_list(dtype):
        dtype = pa.list_(pa.field("element", dtype.value_type, nullable=dtype.value_field.nullable))
    return pa.field(spec_field.name, dtype, nullable=spec_field.nullable, metadata=metadata)


def release_schema(spec: TableSpec) -> pa.Schema:
    """The explicit Arrow schema of a released table, with table and column descriptions as metadata."""
    fields = [release_field(f) for f in spec.schema]
    metadata = {
        "vogue.table": spec.name,
        "vogue.format_version": RELEASE_FORMAT_VERSION,
        "vogue.model_version": FORMAT_VERSION,
        "description": spec.description,
        "key": ",".join(spec.key),
        "vogue.column_descriptions": json.dumps(
            {f.name: (f.metadata or {}).get(b"description", b"").decode("utf-8") for f in fields},
            ensure_ascii=False),
    }
    return pa.schema(fields, metadata=metadata)


def canonical_table(spec: TableSpec, table: pa.Table) -> pa.Table:
    """``table`` in the released, canonical form: the model's columns in order, cast to the explicit
    schema, rows sorted by the table key, one chunk per column. A table already in that form (one chunk
    per column, in key order, the release schema) is returned as it is, without a copy.

    A duplicated key means the validator let a corrupt table through: that is a bug (RuntimeError).
    """
    holder = [table]
    del table
    return take_canonical(spec, holder)


def take_canonical(spec: TableSpec, holder: list[pa.Table]) -> pa.Table:
    """:func:`canonical_table` of the one table in ``holder``, taken out of it once it is known to be
    sound: when the caller holds no other reference, each original column is freed as soon as its
    reordered copy exists, so a table being sorted costs one column more, not a second table. On a
    RuntimeError (columns or keys wrong) the table is still in ``holder``."""
    table = holder[0]
    missing = [c for c in spec.column_names if c not in table.column_names]
    extra = [c for c in table.column_names if c not in spec.column_names]
    if missing or extra:
        raise RuntimeError(f"table {spec.name}: columns differ from the data model "
                           f"(missing {missing}, unexpected {extra})")
    schema = release_schema(spec)
    if table.schema.equals(schema, check_metadata=True) and all(c.num_chunks == 1 for c in table.columns) and (
            table.num_rows < 2 or _in_strict_key_order(table, spec.key)):
        holder.clear()
        return table
    table = table.select(spec.column_names).cast(spec.schema)
    columns = table.columns
    if table.num_rows > 1 and not _in_strict_key_order(table, spec.key):  # strict order: sorted, keys unique
        order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in spec.key])
        keys = table.select(list(spec.key)).take(order)
        repeats = _repeated_keys(keys, spec.key)
        if repeats:
            raise RuntimeError(f"table {spec.name}: {repeats} rows repeat a key {spec.key}; validation "
                               "should have reported this as an error")
        del table
        holder.clear()
        for i, name in enumerate(spec.column_names):  # one column at a time: its original is freed next
            columns[i] = keys.column(name) if name in spec.key else columns[i].take(order)
        del keys, order
    else:
        del table
        holder.clear()
    for i, target in enumerate(schema):
        columns[i] = columns[i].cast(target.type)
    return pa.Table.from_arrays(columns, schema=schema).combine_chunks()


def _repeated_keys(table: pa.Table, key: Iterable[str]) -> int:
    """How many rows of a key-sorted table have the same key as the row before them."""
    same: pa.Array | None = None
    for column in key:
        values = table.column(column)
        equal = pc.equal(values.slice(1), values.slice(0, table.num_rows - 1))
        same = equal if same is None else pc.and_(same, equal)
    return 0 if same is None else int(pc.sum(same).as_py() or 0)


def parquet_bytes(table: pa.Table) -> bytes:
    """The Parquet file of a canonical table, written with :data:`PARQUET_OPTIONS`."""
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **PARQUET_OPTIONS)
    return bytes(sink.getvalue().to_pybytes())


def write_parquet(table: pa.Table, path: Path) -> tuple[int, str]:
    """Write :func:`parquet_bytes` of ``table`` straight into a new file at ``path`` (never held in memory
    as a whole); returns the file's size and sha256."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        pq.write_table(table, handle, **PARQUET_OPTIONS)
    return path.stat().st_size, sha256_file(path)


FINDINGS_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("finding_id", pa.int32(), "Position of the finding in report.json (1-based)."),
    ("code", pa.string(), "Stable finding code, e.g. transcript.role-repeat."),
    ("severity", pa.string(), "error or warning (a release holds warnings only)."),
    ("title", pa.string(), "Title of the code in the finding catalogue."),
    ("message", pa.string(), "What is wrong, in words."),
    ("file", pa.string(), "Raw file, relative to the raw root."),
    ("row", pa.int32(), "CSV line number (header = 1)."),
    ("column", pa.string(), "CSV column."),
    ("pointer", pa.string(), "JSON Pointer into the raw JSON file."),
    ("keys", pa.string(), "Record keys as a JSON object, e.g. {\"conversation_id\": 7}."),
    ("value", pa.string(), "The offending value, JSON-encoded."),
    ("expected", pa.string(), "What was expected, JSON-encoded."),
)


def findings_schema() -> pa.Schema:
    """Schema of findings.parquet (the validation report as a table)."""
    fields = [pa.field(name, dtype, nullable=name not in ("finding_id", "code", "severity", "message"),
                       metadata={"description": text}) for name, dtype, text in FINDINGS_COLUMNS]
    return pa.schema(fields, metadata={
        "vogue.table": "findings",
        "vogue.format_version": RELEASE_FORMAT_VERSION,
        "description": "The findings of the validation the release was built with (warnings included).",
        "key": "finding_id",
        "vogue.column_descriptions": json.dumps({n: t for n, _d, t in FINDINGS_COLUMNS}),
    })


def findings_table(report_dict: Mapping[str, Any]) -> pa.Table:
    """The findings of a (scrubbed) JSON report as a canonical table, in report order."""
    rows: dict[str, list[Any]] = {name: [] for name, _t, _d in FINDINGS_COLUMNS}
    catalogue = all_codes()  # the whole catalogue, whatever has been imported so far
    for position, item in enumerate(report_dict.get("findings", []), start=1):
        info = catalogue.get(item["code"])
        rows["finding_id"].append(position)
        rows["title"].append(info.title if info else None)
        for name in ("code", "severity", "message", "file", "row", "column", "pointer"):
            rows[name].append(item.get(name))
        rows["keys"].append(json.dumps(item.get("keys") or {}, ensure_ascii=False, sort_keys=True))
        for name in ("value", "expected"):
            value = item.get(name)
            rows[name].append(None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True))
    schema = findings_schema()
    return pa.Table.from_pydict(rows, schema=schema).combine_chunks()
