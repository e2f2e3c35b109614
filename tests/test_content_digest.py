"""The table content digest (vogue-content-v3, vogue_pack.release.format): what it covers, that it does not
depend on row order or storage, and that the unsorted path taken for a table already in key order gives the
digest of the definition."""

from __future__ import annotations

import hashlib
import json
import random

import pyarrow as pa
import pytest

from vogue_pack.release.format import (
    CONTENT_DIGEST_METHOD,
    _in_strict_key_order,
    connect_memory,
    content_digest,
    table_content_digest,
)

KEY = ("group", "name", "flag")


def _table(rows: int = 2_000, seed: int = 3) -> pa.Table:
    """A table in strictly increasing key order (int, then string with non-ASCII and mixed case, then bool),
    with nulls, lists and floats among the other columns."""
    rng = random.Random(seed)
    names = ["Zoë", "zoe", "Émile", "ábc", "a", "A", "b\u00e9", "be", "日本", "~", "a b"]
    keys = sorted({(rng.randrange(40), rng.choice(names), rng.random() < 0.5) for _ in range(rows)},
                  key=lambda k: (k[0], k[1].encode("utf-8"), k[2]))
    schema = pa.schema([("group", pa.int32()), ("name", pa.string()), ("flag", pa.bool_()),
                        ("score", pa.float64()), ("tags", pa.list_(pa.string())), ("note", pa.string())],
                       metadata={"key": ",".join(KEY)})
    return pa.Table.from_pydict({
        "group": [k[0] for k in keys], "name": [k[1] for k in keys], "flag": [k[2] for k in keys],
        "score": [None if i % 7 == 0 else rng.random() * 10 for i in range(len(keys))],
        "tags": [[rng.choice(names) for _ in range(i % 3)] if i % 5 else None for i in range(len(keys))],
        "note": [f"line\nwith \"quotes\" {i}" if i % 4 else None for i in range(len(keys))],
    }, schema=schema)


def _by_definition(table: pa.Table, key: tuple[str, ...]) -> tuple[int, str]:
    """The method as written in CONTENT_DIGEST_METHOD, computed apart: each row's to_json line from DuckDB,
    sorted in Python by (key values, line bytes)."""
    con = connect_memory()
    con.register("t", table)
    rows = con.execute("SELECT to_json(t) || chr(10), " + ", ".join(f'"{k}"' for k in key) + " FROM t AS t").fetchall()
    con.close()
    rows.sort(key=lambda r: (tuple((v.encode("utf-8") if isinstance(v, str) else v) for v in r[1:]),
                             r[0].encode("utf-8")))
    digest = hashlib.sha256((json.dumps(table.column_names) + "\n").encode("utf-8"))
    for row in rows:
        digest.update(row[0].encode("utf-8"))
    return len(rows), digest.hexdigest()


def _shuffled(table: pa.Table, seed: int = 1) -> pa.Table:
    order = list(range(table.num_rows))
    random.Random(seed).shuffle(order)
    return table.take(pa.array(order))


def test_the_method_names_version_three() -> None:
    assert CONTENT_DIGEST_METHOD.startswith("vogue-content-v3:")


def test_a_table_in_key_order_digests_as_the_definition_says() -> None:
    table = _table()
    assert _in_strict_key_order(table, KEY)
    assert table_content_digest(table, KEY) == _by_definition(table, KEY)


def test_row_order_does_not_matter() -> None:
    table = _table()
    shuffled = _shuffled(table)
    assert not _in_strict_key_order(shuffled, KEY)  # the sorting path
    con = connect_memory()
    con.register("s", shuffled)
    assert content_digest(con, "s", KEY) == table_content_digest(shuffled, KEY) == table_content_digest(table, KEY)
    con.close()


def test_rows_with_equal_keys_are_ordered_by_their_line() -> None:
    """A repeated key (a tampered table) still gives one digest for one multiset of rows."""
    table = _table(300)
    doubled = pa.concat_tables([table, table.slice(10, 50).set_column(5, "note", pa.array(["x"] * 50))])
    assert not _in_strict_key_order(doubled.sort_by([(k, "ascending") for k in KEY]), KEY)
    digests = {table_content_digest(_shuffled(doubled, seed), KEY) for seed in range(4)}
    assert digests == {_by_definition(doubled, KEY)}


@pytest.mark.parametrize("change", ["cell", "null", "duplicate", "drop", "swap", "column", "type"])
def test_every_change_of_content_changes_the_digest(change: str) -> None:
    table = _table(500)
    rows = table.to_pylist()
    if change == "cell":
        rows[123]["note"] = (rows[123]["note"] or "") + "."
    elif change == "null":
        rows[124]["score"] = None if rows[124]["score"] is not None else 1.0
    elif change == "duplicate":
        rows.insert(200, dict(rows[200]))
    elif change == "drop":
        del rows[321]
    elif change == "swap":  # the same values, in other rows: the multiset of rows differs
        rows[5]["score"], rows[6]["score"] = rows[6]["score"], rows[5]["score"]
        if rows[5]["score"] == rows[6]["score"]:
            rows[5]["score"] = 99.0
    changed = pa.Table.from_pylist(rows, schema=table.schema)
    if change == "column":
        changed = table.rename_columns([*table.column_names[:-1], "comment"])
    elif change == "type":
        changed = table.set_column(0, "group", table.column("group").cast(pa.int64()).cast(pa.string()))
    before = table_content_digest(table, KEY)
    after = table_content_digest(changed, KEY)
    assert after[1] != before[1]
    con = connect_memory()
    con.register("c", changed)
    assert content_digest(con, "c", KEY) == after  # the sorting path agrees
    con.close()


def test_a_key_column_the_table_lacks_is_left_out_of_the_order() -> None:
    table = _table(200)
    con = connect_memory()
    con.register("t", table.drop_columns(["flag"]))
    rows, digest = content_digest(con, "t", KEY)
    con.close()
    assert rows == table.num_rows
    assert digest == _by_definition(table.drop_columns(["flag"]), ("group", "name"))[1]
