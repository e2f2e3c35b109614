"""What verify does to start faster must decide as before: the manifest checked without jsonschema
(format.manifest_conforms) accepts exactly the manifests jsonschema accepts; one scan of duckdb_functions()
gives the same definitions and the same functions named like built-ins as the separate queries did; a
Parquet file with build's footer read by DuckDB gives pyarrow's digest, and every tampered or damaged file
gives the problems it gives when pyarrow reads every file."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from release_support import DATABASE, build, shared_image_cache, validate_tree
from tamper import refile

from vogue_pack.release import verify as verify_module
from vogue_pack.release.canonical import FOOTERS, FOOTERS_WRITER, TABLE_KEYS, footer_fingerprints, generate
from vogue_pack.release.format import (
    FUNCTION_ROWS,
    MANIFEST_SCHEMA,
    connect_database,
    connect_memory,
    content_digest,
    definition_digests,
    manifest_conforms,
    quote_literal,
)
from vogue_pack.release.verify import verify_release
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("verify-startup-release")).path


@pytest.fixture(scope="module")
def manifest(release: Path) -> dict[str, Any]:
    return dict(json.loads((release / "manifest.json").read_text(encoding="utf-8")))


def reference(data: Any) -> bool:
    """jsonschema's verdict, as read_manifest asked it before."""
    return jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(MANIFEST_SCHEMA).iter_errors(data)) is None


def places(data: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``data`` (keys and list positions), ``data`` itself first."""
    found = [where]
    if isinstance(data, dict):
        for key, value in data.items():
            found += places(value, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += places(value, (*where, index))
    return found


# Words the schema names, so that mutated objects often hold a property it checks.
SCHEMA_WORDS = sorted({part for where in places(MANIFEST_SCHEMA) for part in where if isinstance(part, str)}
                      | {name for text in [json.dumps(MANIFEST_SCHEMA)] for name in json.loads(text)["required"]})
SCALARS = (st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, 1.0, -2.0, 1.5, 1e300])
           | st.floats(allow_nan=True) | st.text(max_size=3) | st.just("vogue-pack-release"))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(SCHEMA_WORDS) | st.text(max_size=3), inner, max_size=3), max_leaves=6)


def mutate(data: Any, where: tuple[Any, ...], how: str, value: Any) -> Any:
    """``data`` with the value at ``where`` replaced (``how`` = set), removed (drop), given an extra
    property (add) or element (append)."""
    data = copy.deepcopy(data)
    if not where:
        return value if how == "set" else data
    parent = data
    for part in where[:-1]:
        parent = parent[part]
    last = where[-1]
    target = parent[last]
    if how == "set":
        parent[last] = value
    elif how == "drop":
        del parent[last]
    elif how == "add" and isinstance(target, dict):
        target[str(value)[:8]] = value
    elif how == "append" and isinstance(target, list):
        target.append(value)
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_manifest_conforms_decides_as_jsonschema_on_mutated_manifests(manifest: dict[str, Any],
                                                                      data: st.DataObject) -> None:
    everywhere = places(manifest)
    mutated: Any = manifest
    for _ in range(data.draw(st.integers(1, 3))):
        spots = places(mutated) if isinstance(mutated, (dict, list)) else [()]
        where = data.draw(st.sampled_from(spots if data.draw(st.booleans()) else everywhere[:1] + spots))
        how = data.draw(st.sampled_from(["set", "drop", "add", "append"]))
        mutated = mutate(mutated, where, how, data.draw(VALUES))
    verdict = reference(mutated)
    event(f"jsonschema accepts: {verdict}")  # both verdicts occur (pytest --hypothesis-show-statistics)
    assert manifest_conforms(mutated) == verdict


@pytest.mark.parametrize(("where", "value"), [
    (("tables", "turns", "rows"), 3.0),  # an integral float is an integer to JSON Schema
    (("tables", "turns", "rows"), 3.5),
    (("tables", "turns", "rows"), True),  # a boolean is not
    (("tables", "turns", "rows"), float("inf")),
    (("tables", "turns", "key"), "conversation_id"),
    (("tables", "turns", "key"), [1]),
    (("files", 0, "bytes"), None),
    (("duckdb", "views", 0), {"nom": "x"}),
    (("format",), "vogue-pack-release "),
    (("dataset",), []),
    (("libraries", "duckdb"), 2),
    (("findings", "columns"), {}),
])
def test_manifest_conforms_decides_as_jsonschema_on_chosen_values(manifest: dict[str, Any],
                                                                  where: tuple[Any, ...], value: Any) -> None:
    mutated = mutate(manifest, where, "set", value)
    assert manifest_conforms(mutated) == reference(mutated)
    assert manifest_conforms(manifest) and reference(manifest)
    for name in MANIFEST_SCHEMA["required"]:
        assert not manifest_conforms(mutate(manifest, (name,), "drop", None))


def test_manifest_conforms_refuses_a_schema_it_does_not_implement() -> None:
    with pytest.raises(ValueError, match="does not implement"):
        manifest_conforms({}, {"type": "object", "minProperties": 1})
    with pytest.raises(ValueError, match="does not implement"):
        manifest_conforms(1, {"type": "number"})


def test_one_functions_scan_gives_the_definitions_and_the_shadowing_of_separate_queries(
        release: Path, tmp_path: Path) -> None:
    copied = Path(shutil.copytree(release, tmp_path / "1.0"))
    con = connect_database(copied / DATABASE, read_only=False)
    con.execute("CREATE MACRO lower(x) AS x")  # named like a built-in
    con.execute("CREATE MACRO twice(x) AS x * 2, (x, y) AS x * y")  # two overloads
    con.execute("CREATE MACRO rows_of(n) AS TABLE SELECT * FROM range(n)")
    con.execute("CREATE SCHEMA extra")
    con.execute("CREATE MACRO extra.hidden(x) AS x + 1")
    con.close()
    con = connect_database(copied / DATABASE, read_only=True)
    try:
        functions = con.execute(FUNCTION_ROWS).fetchall()
        separate = definition_digests(con)
        assert definition_digests(con, functions) == separate
        assert {("macro", "lower"), ("macro", "twice"), ("macro", "rows_of"), ("macro", "hidden")} <= set(separate)
        by_query = con.execute("SELECT DISTINCT internal, function_type, function_name "
                               "FROM system.main.duckdb_functions()").fetchall()
        built_in = {str(name) for internal, _, name in by_query if internal}
        expected = sorted({(str(kind), str(name)) for internal, kind, name in by_query
                           if not internal and str(name) in built_in})
        assert verify_module._shadowing(functions) == expected
        assert ("macro", "lower") in expected
    finally:
        con.close()


def test_the_table_keys_are_the_data_models() -> None:
    from vogue_pack.raw.model import TABLES
    from vogue_pack.release.format import FINDINGS_KEY

    assert {**{name: tuple(spec.key) for name, spec in TABLES.items()}, "findings": FINDINGS_KEY} == TABLE_KEYS


def test_the_footer_fingerprints_are_those_build_writes(release: Path) -> None:
    """Regenerate (python -m vogue_pack.release.canonical) when this fails: the data model, the findings
    table or pyarrow changed, and verify reads every Parquet file with pyarrow until then."""
    import pyarrow as pa

    paths = {name: str(release / entry["path"]) for name, entry in table_entries(release).items()}
    con = connect_memory(allowed_paths=list(paths.values()))
    try:
        found = footer_fingerprints(con, list(paths.values()))
    finally:
        con.close()
    writer = f"parquet-cpp-arrow version {pa.__version__}"
    if writer != FOOTERS_WRITER:
        # another pyarrow: its footers name another writer, so none is build's known footer and verify reads
        # every file with pyarrow (correct, only slower) until the fingerprints are regenerated for it
        assert not {name for name, path in paths.items() if found[path][0] == FOOTERS.get(name)}
        return
    assert {name: found[path][0] for name, path in paths.items()} == FOOTERS
    generated: dict[str, Any] = {}
    exec(generate(), generated)  # the source generate() writes for canonical.py
    assert (generated["TABLE_KEYS"], generated["FOOTERS_WRITER"], generated["FOOTERS"]) == (
        TABLE_KEYS, FOOTERS_WRITER, FOOTERS)


def table_entries(release: Path) -> dict[str, Any]:
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    return {**manifest["tables"], "findings": manifest["findings"]}


def test_duckdb_and_pyarrow_read_every_table_alike(release: Path) -> None:
    """Every table of a release: the digest of its Parquet file read by DuckDB's reader is the digest of the
    file read by pyarrow, which is the manifest's."""
    import pyarrow.parquet as pq

    entries = table_entries(release)
    paths = {name: str(release / entry["path"]) for name, entry in entries.items()}
    con = connect_memory(allowed_paths=list(paths.values()))
    try:
        for name, path in paths.items():
            key = entries[name]["key"]
            con.execute(f"CREATE VIEW direct AS SELECT * FROM read_parquet({quote_literal(path)}, "
                        "hive_partitioning = false)")
            con.register("arrow", pq.read_table(path))
            by_duckdb = content_digest(con, "direct", key)
            assert by_duckdb == content_digest(con, "arrow", key) == (entries[name]["rows"],
                                                                      entries[name]["content_digest"]), name
            assert [r[1] for r in con.execute("DESCRIBE direct").fetchall()] == [
                r[1] for r in con.execute("DESCRIBE arrow").fetchall()], name
            con.execute("DROP VIEW direct")
            con.unregister("arrow")
    finally:
        con.close()


@pytest.fixture
def release_copy(release: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(release, tmp_path / "1.0"))


def both_ways(release: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[str, str]], list[tuple[str, str]],
                                                                        int]:
    """verify's (kind, path) problems as it runs, and with every Parquet file read by pyarrow (no known
    footer); and how many files pyarrow read as it runs."""
    read_by_arrow = []
    register = verify_module._register_arrow

    def counted(con: Any, relation: str, path: Path) -> Any:
        read_by_arrow.append(path)
        return register(con, relation, path)

    with monkeypatch.context() as patch:
        patch.setattr(verify_module, "_register_arrow", counted)
        fast = [(p.kind, p.path) for p in verify_release(release).problems]
    with monkeypatch.context() as patch:
        patch.setattr(verify_module, "FOOTERS", {})
        slow = [(p.kind, p.path) for p in verify_release(release).problems]
    return fast, slow, len(read_by_arrow)


def rewrite(release: Path, rel: str, change: Any, canonical_writer: bool = True) -> None:
    """Rewrite a Parquet file with ``change(table)`` (by build's writer, or pyarrow's defaults) and make
    SHA256SUMS and manifest.files agree with it."""
    import pyarrow.parquet as pq

    from vogue_pack.release.tables import parquet_bytes

    table = change(pq.read_table(release / rel))
    if canonical_writer:
        (release / rel).write_bytes(parquet_bytes(table))
    else:
        pq.write_table(table, release / rel)
    refile(release, rel)


def test_an_intact_release_is_read_by_duckdb_alone(release_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow, by_arrow = both_ways(release_copy, monkeypatch)
    assert fast == slow == []
    assert by_arrow == 0


def test_a_changed_value_in_a_file_with_builds_footer_is_caught(release_copy: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    def change(table: Any) -> Any:
        index = table.schema.get_field_index("rating")
        values = table.column(index).to_pylist()
        values[0] = (values[0] or 0) + 1
        return table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))

    rewrite(release_copy, "tables/item_ratings.parquet", change)
    fast, slow, by_arrow = both_ways(release_copy, monkeypatch)
    assert by_arrow == 0  # the footer is build's: DuckDB read it
    assert fast == slow
    assert ("content", "tables/item_ratings.parquet") in fast and ("content", DATABASE) in fast


@pytest.mark.parametrize(("how", "read_by_arrow"), [("metadata", 1), ("type", 1), ("writer", 0)])
def test_a_changed_footer_is_read_by_pyarrow_as_before(release_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                       how: str, read_by_arrow: int) -> None:
    """A footer that is not build's (other key-value metadata, or a column type) sends the file to pyarrow;
    pyarrow's default writer options (compression, page sizes: not in the schema) leave the footer build's.
    A value changed with it is caught as before either way."""
    import pyarrow as pa

    def change(table: Any) -> Any:
        if how == "metadata":
            table = table.replace_schema_metadata({**table.schema.metadata, b"description": b"other"})
        elif how == "type":
            table = table.set_column(0, pa.field(table.schema.field(0).name, pa.int64(), nullable=False),
                                     table.column(0).cast(pa.int64()))
        index = table.schema.get_field_index("seconds")
        return table.set_column(index, table.schema.field(index), pa.array([7] * table.num_rows, pa.int32()))

    rewrite(release_copy, "tables/turns.parquet", change, canonical_writer=how != "writer")
    fast, slow, by_arrow = both_ways(release_copy, monkeypatch)
    assert by_arrow == read_by_arrow
    assert fast == slow
    assert ("content", "tables/turns.parquet") in fast


@pytest.mark.parametrize("where", ["footer", "data", "end"])
def test_a_damaged_file_is_reported_as_before(release_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                              where: str) -> None:
    """Bytes of the footer, of the data pages (the footer still build's: DuckDB reads it first, then pyarrow
    when DuckDB cannot), or the end of the file overwritten, with SHA256SUMS and the manifest updated."""
    rel = "tables/utterances.parquet"
    data = bytearray((release_copy / rel).read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    at = {"footer": len(data) - 8 - footer // 2, "data": 4 + (len(data) - 8 - footer) // 2, "end": len(data) - 6}
    data[at[where]:at[where] + 4] = b"\xff\x00\xfe\x01"
    (release_copy / rel).write_bytes(bytes(data))
    refile(release_copy, rel)
    fast, slow, by_arrow = both_ways(release_copy, monkeypatch)
    assert fast == slow
    assert by_arrow == 1  # this file alone, whose message names what is wrong
    assert [path for _kind, path in fast] == [rel], fast


@pytest.mark.parametrize("folder", ["rel[1]", "version=1.0", "it's a copy"])
def test_a_release_in_any_folder_verifies(release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          folder: str) -> None:
    """A folder name DuckDB would read as a glob sends the files to pyarrow; one that looks like a Hive
    partition adds no column."""
    copied = Path(shutil.copytree(release, tmp_path / folder / "1.0"))
    fast, slow, by_arrow = both_ways(copied, monkeypatch)
    assert fast == slow == []
    assert by_arrow == (len(table_entries(release)) if "[" in folder else 0)


def test_the_sandbox_reads_its_allowed_files_alone(release: Path, tmp_path: Path) -> None:
    """verify's sandbox may read the Parquet files it was given, by their exact paths, and nothing else: not a
    sibling, not a glob over the folder, not a text file; and the list cannot be widened from SQL."""
    import duckdb

    allowed = str(release / "tables" / "items.parquet")
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n", encoding="utf-8")
    con = connect_memory(allowed_paths=[allowed])
    try:
        assert con.execute(f"SELECT count(*) FROM read_parquet('{allowed}')").fetchone()[0] >= 1
        for sql in (f"SELECT * FROM read_parquet('{release / 'tables' / 'turns.parquet'}')",
                    f"SELECT * FROM read_parquet('{release / 'tables'}/*.parquet')",
                    f"SELECT * FROM read_csv('{secret}')",
                    f"SELECT * FROM read_text('{secret}')",
                    f"SET allowed_paths = ['{secret}']",
                    "SET enable_external_access = true"):
            # refused for what it is (no access, a locked setting), not as a mistake in the SQL
            with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
                con.execute(sql).fetchall()
    finally:
        con.close()
