"""vogue-pack query fetches plain results as Python rows, without Arrow: every format prints exactly what the
Arrow route (query_release, the library's API) prints, for every table and view of a release and for values
of every type, edge values included. Types not proven equal take the Arrow route."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from release_support import build, shared_image_cache, validate_tree

from vogue_pack.release import query as query_module
from vogue_pack.release.query import QUERY_FORMATS, query_release, query_rows, render_result
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("query-fast-release")).path


def _same_everywhere(release: Path, sql: str) -> None:
    arrow = query_release(release, sql)
    rows = query_rows(release, sql)
    assert rows.names == arrow.column_names
    for fmt in QUERY_FORMATS:
        for max_rows, max_width in ((None, 40), (2, 0), (1000, 5)):
            assert render_result(rows, fmt, max_rows, max_width) == render_result(arrow, fmt, max_rows, max_width), \
                (sql, fmt)


def test_every_table_and_view_prints_the_same(release: Path) -> None:
    con = duckdb.connect(str(release / "vogue.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                                           "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
    finally:
        con.close()
    assert len(names) > 16
    for name in names:
        _same_everywhere(release, f'SELECT * FROM "{name}"')
    _same_everywhere(release, "SELECT 1 AS a, 2 AS a, 'x' AS b")  # repeated column names: the last one wins
    _same_everywhere(release, "SELECT * FROM conversations WHERE false")
    _same_everywhere(release, "DESCRIBE turns")
    _same_everywhere(release, "SUMMARIZE items")


VALUES = [
    "true", "NULL", "1::TINYINT", "-3::SMALLINT", "5::INTEGER", "9223372036854775807::BIGINT", "255::UTINYINT",
    "65535::USMALLINT", "4294967295::UINTEGER", "18446744073709551615::UBIGINT", "0.1::FLOAT", "'nan'::FLOAT",
    "'-inf'::FLOAT", "'inf'::DOUBLE", "'nan'::DOUBLE", "-0.0::DOUBLE", "1e300::DOUBLE", "'héllo\n\"x,y'::VARCHAR",
    "''", "1.50::DECIMAL(5,2)", "-1.5::DECIMAL(38,10)", "'\\x00\\xff'::BLOB", "'a'::ENUM('a','b')",
    "[1,2,NULL]", "['a','b']", "[]::INTEGER[]", "NULL::INTEGER[]", "[[1]]", "[NULL]::VARCHAR[]",
    "{'x': 1, 'y': 'z'}", "{'x': NULL}::STRUCT(x INTEGER)", "{'a': [0.1::FLOAT, 'nan'::FLOAT]}",
    "[{'key': 'k', 'value': 'v'}]",
    # through Arrow (their Python values differ between the two routes)
    "1::HUGEINT", "1::UHUGEINT", "MAP {'a': 'b'}", "INTERVAL 3 DAY", "'00000000-0000-0000-0000-000000000001'::UUID",
    "1::BIT", "[1,2]::INTEGER[2]", "TIMETZ '03:04:05+02'", "DATE '2024-01-02'", "TIMESTAMP '2024-01-02 03:04:05.5'",
    "TIMESTAMPTZ '2024-01-02 03:04:05+02'", "TIME '03:04:05'", "TIMESTAMP_NS '2024-01-01 00:00:00.123456789'",
    "union_value(k := 1)", "[1::HUGEINT]", "{'m': MAP {'a': 'b'}}",
]


@pytest.mark.parametrize("value", VALUES)
def test_values_print_the_same(release: Path, value: str) -> None:
    _same_everywhere(release, f"SELECT {value} AS v, [{value}] AS l, {{'s': {value}}} AS s FROM range(2)")


def test_plain_types_are_fetched_without_arrow(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_arrow(*_: object) -> None:
        raise AssertionError("fetched through Arrow")

    monkeypatch.setattr(duckdb.DuckDBPyRelation, "to_arrow_table", no_arrow)
    assert query_rows(release, "SELECT count(*) AS n, 'x' AS s, [1.5] AS l FROM conversations").rows[0]["s"] == "x"
    with pytest.raises(AssertionError, match="through Arrow"):
        query_rows(release, "SELECT DATE '2024-01-02' AS d")
    assert query_module._plain_type(duckdb.sqltype("STRUCT(a INTEGER[], b VARCHAR)"))
    assert not query_module._plain_type(duckdb.sqltype("STRUCT(a HUGEINT)"))
