"""What verify needs to know of the data model and of the Parquet files build writes, without pyarrow
(0.2 s to import): every table's key, and the fingerprint of every table's Parquet footer.

verify reads a Parquet file with DuckDB's reader only when its footer has the fingerprint build gives that
table (:data:`FOOTERS`): the same schema elements, key-value metadata (the Arrow schema pyarrow restores its
types from included), writer and column orders. pyarrow then reads the file as that schema, and DuckDB
reads the same column types (tests/test_verify_startup.py compares the two readers' digests on every table).
Any other footer is read by pyarrow, as before. A fingerprint is only a shortcut: a stale one costs speed,
never a check. Regenerate after a change of the data model, the findings table or pyarrow:

    python -m vogue_pack.release.canonical > /tmp/canonical.txt   # then paste over the two dicts below
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vogue_pack.release.format import quote_literal

if TYPE_CHECKING:
    import duckdb

# The key of every table of the data model (raw.model.TABLES, which imports pyarrow) and of findings.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "scenarios": ("scenario",),
    "catalogue_membership": ("item_id",),
    "items": ("item_id",),
    "conversations": ("conversation_id",),
    "turns": ("conversation_id", "turn"),
    "utterances": ("conversation_id", "turn", "utterance"),
    "conversation_items": ("conversation_id", "item_id"),
    "rating_rows": ("conversation_id", "role"),
    "item_ratings": ("conversation_id", "role", "item_id"),
    "satisfaction": ("conversation_id", "question"),
    "participants": ("participant_id",),
    "profile_ratings": ("participant_id", "item_id", "is_repeat"),
    "files": ("path",),
    "images": ("item_id",),
    "duplicate_pairs": ("item_a", "item_b"),
    "findings": ("finding_id",),
}

# The footer fingerprint (:func:`footer_fingerprints`) of each table's Parquet file as build writes it.
FOOTERS_WRITER = "parquet-cpp-arrow version 26.0.1"
FOOTERS: dict[str, str] = {
    "scenarios": "fc4dc8c61e4f2b43742a4b67be8d6efb98933c9b1a75b074c791f83f3a3f2569",
    "catalogue_membership": "b7a6e6c2e0434c967d5443ab855d0e886a93bd035f5d74e5b34961ecb35b5cff",
    "items": "a53af677ae34cc450982b377ead3d435247ca0629ef13bdaa84d8e15268a32cf",
    "conversations": "02aff639980a06bfd735d9ac6f6984032d5d125956f17bfff08f68207b135803",
    "turns": "98e64cf4c36de4b62c498435651495b89c2f130dfc0e582795e6cd39c9e07f95",
    "utterances": "668e67ab9da591659e0ba4726cccda15674ec8e7ea6e343ad6a50c970014cc18",
    "conversation_items": "f5cf006efd784f89904a83e09819582b98098f16ab01f6144289f3d865ecaaa9",
    "rating_rows": "f384b3cee666b33eafec37329c97e2c58a131ad38d10b68db3f19345623b81b2",
    "item_ratings": "03f178faf8f1ad6aa32fbe897b841725678e78b9e902121a32e38feca10fc183",
    "satisfaction": "5873793cb230cb9f9eebf1c95dbdf52d06f38c1ab67986da91963a2e9ee69edb",
    "participants": "c8739e0a611276a04071144784783599c8529ed7a159709c171aaf2ec7c2e452",
    "profile_ratings": "07549e5a81f75e61f7c9fb517f1b13dd6d336dc85b1048327378155435fd58ce",
    "files": "95196d643e7e133c479dfc2f7a85be23bdfcb2a9e03f88c77705f4deeef28d01",
    "images": "4b3946fc1dab218e19f1bb60f7786e15839731e647c944638525f6fed011184c",
    "duplicate_pairs": "01c89d4a29cee44dd69fa0b59ddc98f65824e7948e96288c2ef26cb62ca176a3",
    "findings": "41d454b48289a897e65cfced2a1db3cb919ac574f7d7c785ac43ebfbd466ed35",
}

# What a footer holds besides the data's size and place: the writer, format version, encryption, column
# orders; every key-value pair, bytes as hex; every schema element.
_FILE = ("SELECT file_name, num_rows, created_by, format_version, encryption_algorithm, "
         "footer_signing_key_metadata, column_orders FROM parquet_file_metadata({files})")
_KV = "SELECT file_name, hex(key), hex(value) FROM parquet_kv_metadata({files})"
_SCHEMA = ("SELECT file_name, name, type, type_length, repetition_type, num_children, converted_type, scale, "
           "precision, field_id, logical_type FROM parquet_schema({files})")


def footer_fingerprints(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> dict[str, tuple[str, int]]:
    """The sha256 of each Parquet file's footer (its writer, key-value metadata and schema, in file order)
    as DuckDB reads it, and the row count it records; ``con`` must be allowed to read ``paths``. Raises
    duckdb.Error when one cannot be read."""
    if not paths:
        return {}
    files = "[" + ", ".join(quote_literal(p) for p in paths) + "]"
    parts: dict[str, list[Any]] = {p: [] for p in paths}
    sizes: dict[str, int] = {}
    for sql in (_FILE, _KV, _SCHEMA):
        rows = con.execute(sql.format(files=files)).fetchall()
        if sql is _FILE:  # the row count is the data's, not the footer's kind: left out of the fingerprint
            sizes = {row[0]: row[1] for row in rows}
            rows = [(row[0], *row[2:]) for row in rows]
        for name in paths:
            parts[name].append([list(row[1:]) for row in rows if row[0] == name])
    return {name: (hashlib.sha256(json.dumps(found).encode("utf-8")).hexdigest(), int(sizes[name]))
            for name, found in parts.items()}


def generate() -> str:
    """The source of :data:`TABLE_KEYS`, :data:`FOOTERS_WRITER` and :data:`FOOTERS` for the installed data
    model and pyarrow: each table's footer is that of an empty table with its release schema."""
    import tempfile
    from pathlib import Path

    from vogue_pack.raw.model import TABLES
    from vogue_pack.release.format import FINDINGS_KEY, connect_memory
    from vogue_pack.release.tables import findings_schema, parquet_bytes, release_schema

    schemas = {name: release_schema(spec) for name, spec in TABLES.items()}
    schemas["findings"] = findings_schema()
    keys = {name: tuple(spec.key) for name, spec in TABLES.items()}
    keys["findings"] = FINDINGS_KEY
    with tempfile.TemporaryDirectory(prefix="vogue-footers-") as folder:
        paths = {}
        for name, schema in schemas.items():
            paths[name] = str(Path(folder) / f"{name}.parquet")
            Path(paths[name]).write_bytes(parquet_bytes(schema.empty_table()))
        con = connect_memory(allowed_paths=list(paths.values()))
        try:
            prints = footer_fingerprints(con, list(paths.values()))
            writer = con.execute(f"SELECT created_by FROM parquet_file_metadata({quote_literal(paths['findings'])})"
                                 ).fetchone()
        finally:
            con.close()
    def text(value: str) -> str:
        return json.dumps(value)

    lines = ["TABLE_KEYS: dict[str, tuple[str, ...]] = {"]
    lines += [f"    {text(name)}: ({', '.join(map(text, key))}{',' if len(key) == 1 else ''}),"
              for name, key in keys.items()]
    lines += ["}", "", f"FOOTERS_WRITER = {text((writer or [''])[0])}", "FOOTERS: dict[str, str] = {"]
    lines += [f"    {text(name)}: {text(prints[paths[name]][0])}," for name in schemas]
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(generate(), end="")
