"""verify's faster content digests: computed inside DuckDB (batch_content_digests), one statement per side,
the database read in a second thread. The digest is content_digest's, on every table of a release and on
awkward tables; large tables stream through content_digest itself; a failing statement falls back to one
table at a time; a macro named like a built-in function neither changes the digest nor goes unreported."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from release_support import DATABASE, build, shared_image_cache, validate_tree
from tamper import refile

from vogue_pack.raw.model import TABLES
from vogue_pack.release import verify as verify_module
from vogue_pack.release.format import connect_database, connect_memory, content_digest, quote_ident, read_manifest
from vogue_pack.release.verify import batch_content_digests, verify_release
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("verify-fast-release")).path


@pytest.fixture
def release_copy(release: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(release, tmp_path / "1.0"))


def test_the_batch_digest_is_content_digest_on_every_database_table(release: Path) -> None:
    con = connect_database(release / DATABASE, read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        assert len(names) == len(read_manifest(release)["duckdb"]["tables"])
        relations = {name: quote_ident(name) for name in names}
        keys = {name: verify_module._DatabaseRead.key(name) for name in names}
        assert batch_content_digests(con, relations, keys) == {n: content_digest(con, r, keys[n])
                                                               for n, r in relations.items()}
    finally:
        con.close()


def test_the_batch_digest_is_content_digest_on_every_parquet_table(release: Path) -> None:
    manifest = read_manifest(release)
    entries = {**manifest["tables"], "findings": manifest["findings"]}
    awkward = {
        "empty": pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.string())}),
        "repeated_names": pa.table([pa.array([1, 2]), pa.array(["x", None])], names=["a", "a"]),
        "text": pa.table({"é \"q\"": ["line\nbreak", "tab\t", "", None, "ünï", "line\nbreak"],
                          "n": [1.5, float("nan"), None, -0.0, 1e300, 1.5]}),
    }
    con = connect_memory()
    try:
        relations = {}
        for index, (name, table) in enumerate([*((n, pq.read_table(release / e["path"])) for n, e in entries.items()),
                                                *awkward.items()]):
            con.register(f"t{index}", table)
            relations[name] = f"t{index}"
        keys = {name: entries[name].get("key") or () if name in entries else ("a",) for name in relations}
        batched = batch_content_digests(con, relations, keys)
        assert batched == {n: content_digest(con, r, keys[n]) for n, r in relations.items()}
        for name, entry in entries.items():
            assert batched[name] == (entry["rows"], entry["content_digest"]), name
    finally:
        con.close()


def test_large_tables_stream_through_content_digest(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batched = verify_release(release)
    monkeypatch.setattr(verify_module, "_BATCH_ROWS", 0)
    monkeypatch.setattr(verify_module, "batch_content_digests", _refuse_nonempty)
    streamed = verify_release(release)
    assert streamed.ok and batched.ok
    assert streamed.table_digests == batched.table_digests


def _refuse_nonempty(con: duckdb.DuckDBPyConnection, relations: dict[str, str],
                     keys: object) -> dict[str, tuple[int, str]]:
    assert not relations, "a table over _BATCH_ROWS was batched"
    return {}


def test_a_failing_batch_falls_back_to_one_table_at_a_time(release_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise duckdb.BinderException("no batch")

    monkeypatch.setattr(verify_module, "batch_content_digests", fail)
    assert verify_release(release_copy).ok
    con = connect_database(release_copy / DATABASE, read_only=False)
    con.execute("UPDATE item_ratings SET rating = 1")
    con.close()
    problems = verify_release(release_copy).problems
    assert any(p.kind == "content" and p.path == DATABASE and "item_ratings" in p.message for p in problems)


def test_a_bug_while_reading_the_database_is_not_swallowed(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(con: duckdb.DuckDBPyConnection, functions: object = None) -> None:
        raise RuntimeError("bug in the reader thread")

    monkeypatch.setattr(verify_module, "definition_digests", broken)
    with pytest.raises(RuntimeError, match="bug in the reader thread"):
        verify_release(release)


@pytest.mark.parametrize("batch_rows", [None, 0])  # 0: every table through format.content_digest
def test_macros_named_like_built_ins_are_reported_and_do_not_change_the_digest(
        release_copy: Path, batch_rows: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if batch_rows is not None:
        monkeypatch.setattr(verify_module, "_BATCH_ROWS", batch_rows)
    con = connect_database(release_copy / DATABASE, read_only=False)
    con.execute("UPDATE item_ratings SET rating = 1")  # the change the macros try to hide
    for sql in ("CREATE MACRO sha256(x) AS 'forged'", "CREATE MACRO to_json(x) AS 'forged'",
                "CREATE MACRO string_agg(x, y) AS 'forged'", 'CREATE MACRO "||"(a, b) AS \'forged\'',
                "CREATE MACRO concat(a, b) AS 'forged'",
                # hides every macro from definition_digests, which reads duckdb_functions()
                "CREATE MACRO duckdb_functions() AS TABLE SELECT 'x' AS function_name, 'x' AS function_type, "
                "NULL AS parameters, NULL AS macro_definition, false AS internal, 'x' AS database_name WHERE false"):
        con.execute(sql)
    con.close()
    refile(release_copy, DATABASE)  # SHA256SUMS and the manifest's files list agree with the new bytes
    problems = verify_release(release_copy).problems
    messages = [p.message for p in problems if p.kind == "content" and p.path == DATABASE]
    for name in ("sha256", "to_json", "string_agg", "||", "concat", "duckdb_functions"):
        assert any(m.startswith(f"macro {name} ") or m.startswith(f"table_macro {name} ") for m in messages), name
    assert any("table item_ratings" in m for m in messages), messages
    con = connect_database(release_copy / DATABASE, read_only=True)
    try:
        rows, digest = batch_content_digests(con, {"scenarios": "scenarios"},
                                             {"scenarios": TABLES["scenarios"].key})["scenarios"]
    finally:
        con.close()
    assert (rows, digest) == (read_manifest(release_copy)["tables"]["scenarios"]["rows"],
                              read_manifest(release_copy)["tables"]["scenarios"]["content_digest"])
