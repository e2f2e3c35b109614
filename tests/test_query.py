"""vogue-pack query: read-only SQL over a release, three output formats, bad SQL is exit 2 (no traceback);
and the demo, which ends with build + query."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from release_support import build, shared_image_cache, validate_tree

from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.release.query import query_release, render_result
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("query-release")).path


def test_query_returns_an_arrow_table(release: Path, small_tree: SynthInfo) -> None:
    table = query_release(release, "SELECT conversation_id FROM conversations ORDER BY 1")
    assert table.column("conversation_id").to_pylist() == list(range(1, small_tree.conversations + 1))


def test_formats(release: Path) -> None:
    sql = "SELECT item_id, categories, product_rating FROM items ORDER BY item_id LIMIT 3"
    items = pq.read_table(release / "tables/items.parquet").sort_by("item_id").slice(0, 3).to_pylist()
    runner = CliRunner()
    as_json = runner.invoke(cli, ["query", str(release), sql, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [{k: row[k] for k in ("item_id", "categories", "product_rating")}
                                          for row in items]
    as_csv = runner.invoke(cli, ["query", str(release), sql, "--format", "csv"])
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["item_id", "categories", "product_rating"]
    assert [json.loads(r[1]) for r in rows[1:]] == [row["categories"] for row in items]
    as_table = runner.invoke(cli, ["query", str(release), sql])
    lines = as_table.stdout.splitlines()
    assert lines[0].split() == ["item_id", "categories", "product_rating"]
    assert lines[-1] == "(3 rows)"


def test_table_format_limits_rows() -> None:
    import pyarrow as pa

    text = render_result(pa.table({"n": list(range(5))}), "table", max_rows=2)
    assert text.splitlines()[-1] == "(5 rows, 3 not shown; use --max-rows or --format csv)"
    assert len(text.splitlines()) == 2 + 2 + 1  # header, rule, two rows, footer


@pytest.mark.parametrize(("sql", "message"), [
    ("SELEC 1", "syntax error"),
    ("SELECT * FROM no_such_table", "no_such_table"),
    ("CREATE TABLE x AS SELECT 1", "read-only"),
    ("DELETE FROM turns", "read-only"),
    ("   ", "empty"),
])
def test_bad_or_writing_sql_is_a_usage_error(release: Path, sql: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        query_release(release, sql)
    result = CliRunner().invoke(cli, ["query", str(release), sql])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_not_a_release(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["query", str(tmp_path), "SELECT 1"])
    assert result.exit_code == 2
    assert "no vogue.duckdb" in result.stderr


def test_demo_builds_and_queries_a_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # keep the image cache out of $HOME
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "3/4 built release 1.0" in result.stdout and "verify: OK" in result.stdout
    assert "4/4 vogue-pack query" in result.stdout
    assert (tmp_path / "demo" / "release" / "1.0" / "SHA256SUMS").is_file()


# ------------------------------------------------------------------- the sandbox, tried as an attacker


def _snapshot(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


HOSTILE = [
    "COPY (SELECT * FROM scenarios) TO '{release}/tables/scenarios.parquet' (FORMAT parquet)",
    "COPY (WITH x AS (SELECT 1 AS a) SELECT * FROM x) TO '{release}/x.csv'",
    "EXPORT DATABASE '{release}/exported'",
    "ATTACH '{other}/vogue.duckdb' AS v (READ_WRITE)",
    "ATTACH '{other}/vogue.duckdb' AS v (READ_WRITE); DROP VIEW v.metrics_human_overall",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_parquet('{release}/tables/turns.parquet')",
    "SELECT * FROM '{release}/tables/turns.parquet'",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_blob('{release}/manifest.json')",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET threads = 1",
    "RESET lock_configuration",
    "PRAGMA enable_profiling",
    "PRAGMA database_list",
    "CALL pragma_version()",
    "CHECKPOINT",
    "VACUUM",
    "DETACH vogue",
    "USE vogue",
    "BEGIN TRANSACTION",
    "CREATE TEMP TABLE t AS SELECT 1",
    "CREATE TEMP MACRO m(x) AS x + 1",
    "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
    "DROP VIEW known_quirks",
    "UPDATE turns SET role = 'Seeker'",
    "SELECT 1; DROP VIEW known_quirks",
    "SELECT * FROM query('COPY (SELECT 1) TO ''{release}/q.csv''')",
]


@pytest.fixture(scope="module")
def other_release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("query-other")).path


@pytest.mark.parametrize("template", HOSTILE)
def test_every_hostile_statement_is_refused_and_no_byte_changes(release: Path, other_release: Path,
                                                                template: str) -> None:
    sql = template.format(release=release.resolve(), other=other_release.resolve())
    before = _snapshot(release, other_release)
    result = CliRunner().invoke(cli, ["query", str(release), sql])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "SELECT" in result.stderr or "query failed" in result.stderr, result.stderr
    assert _snapshot(release, other_release) == before  # same files, same bytes, nothing added


def test_the_views_still_work_in_the_sandbox(release: Path) -> None:
    for view in ("items_with_images", "ratings_side_by_side", "known_quirks", "metrics_human_overall"):
        assert query_release(release, f"SELECT count(*) AS n FROM {view}").column("n")[0].as_py() > 0
    assert query_release(release, "DESCRIBE turns").num_rows > 0
    assert query_release(release, "WITH x AS (SELECT 1 AS a) SELECT a FROM x").to_pylist() == [{"a": 1}]


def test_a_planted_write_ahead_log_is_refused(release: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(release, tmp_path / "1.0"))
    (copy / "vogue.duckdb.wal").write_bytes(b"planted")
    result = CliRunner().invoke(cli, ["query", str(copy), "SELECT 1"])
    assert result.exit_code == 2 and "not part of a release" in result.stderr
