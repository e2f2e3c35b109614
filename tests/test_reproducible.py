"""Reproducible releases: copies of one raw tree, on other paths, clocks, time zones, hosts and users, build
byte-identical releases (vogue.duckdb included); the release date never comes from the machine."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import copy_raw_tree
from release_support import DATABASE, EPOCH, build, differing_files, release_files, shared_image_cache, validate_tree

from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.release import dates
from vogue_pack.release.database import (
    build_database,
    duckdb_checksum,
    stabilise_file_identifier,
    table_digests,
    table_key,
)
from vogue_pack.release.dates import resolve_source_date
from vogue_pack.release.format import connect_database, content_digest, table_content_digest
from vogue_pack.release.verify import verify_release
from vogue_pack.synth import SynthInfo

# The bytes DuckDB randomises in a new file (docs/release-format.md, "vogue.duckdb"): the main header's
# checksum and the 16-byte database identifier.
RANDOM_HEADER_BYTES = set(range(0, 8)) | set(range(124, 140))
COMMIT_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z


@pytest.fixture(scope="module")
def image_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_image_cache(tmp_path_factory)


def _manifest(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_text(encoding="utf-8"))


def _plain_copy(info: SynthInfo, destination: Path) -> Path:
    """What ``cp -r`` does: the bytes and modes, not the modification times."""
    shutil.copytree(info.root.parent, destination, copy_function=shutil.copy)
    return destination / info.root.relative_to(info.root.parent)


def _touch_everything(root: Path, when: int) -> None:
    for path in root.rglob("*"):
        os.utime(path, (when, when))


@pytest.fixture
def tokyo() -> Iterator[None]:
    """The process's local time zone is Asia/Tokyo (UTC+9) for the duration of the test."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        assert time.localtime(0).tm_hour == 9
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


# ------------------------------------------------------------------------------ the whole release


def test_copies_of_a_raw_tree_build_byte_identical_releases(small_tree: SynthInfo, tmp_path: Path,
                                                             image_cache: Path, tokyo: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """``cp -r``, and ``cp -r`` then new modification times, built on another path, from another working
    directory, in another time zone, by another host and user: every file of the release, vogue.duckdb
    and SHA256SUMS included, is byte-identical."""
    reference = build(validate_tree(small_tree.root, image_cache), tmp_path / "reference").path

    copied = _plain_copy(small_tree, tmp_path / "copied")
    touched = _plain_copy(small_tree, tmp_path / "elsewhere" / "touched")
    _touch_everything(touched.parent, 2_000_000_000)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(socket, "gethostname", lambda: "another-build-host")
    for name in ("USER", "LOGNAME", "USERNAME"):
        monkeypatch.setenv(name, "another-user")
    monkeypatch.setenv("HOME", str(tmp_path / "another-home"))
    monkeypatch.setenv("LC_ALL", "C.UTF-8")

    for raw in (copied, touched):
        rebuilt = build(validate_tree(raw, image_cache), tmp_path / f"release-{raw.parent.name}").path
        assert release_files(rebuilt) == release_files(reference)
        assert differing_files(reference, rebuilt) == []
        assert verify_release(rebuilt).ok
    assert _manifest(reference)["source_date"] == {"epoch": EPOCH, "iso": "2025-10-01T00:00:00Z",
                                                   "from": "argument"}
    assert _manifest(reference)["duckdb"]["reproducible_bytes"] is True
    card = (reference / "README.md").read_text(encoding="utf-8")
    assert f"byte-identical files, every file: `{DATABASE}` included" in card
    assert "except" not in card.split("byte-identical files")[1].split(".")[0]


def test_no_wal_or_temporary_file_beside_the_database(small_tree: SynthInfo, tmp_path: Path,
                                                      image_cache: Path) -> None:
    release = build(validate_tree(small_tree.root, image_cache), tmp_path).path
    before = (release / DATABASE).read_bytes()
    con = connect_database(release / DATABASE, read_only=True)
    con.execute("SELECT count(*) FROM utterances_in_context").fetchall()
    con.close()
    assert (release / DATABASE).read_bytes() == before
    assert sorted(p.name for p in release.iterdir() if p.name.startswith(DATABASE)) == [DATABASE]


# ------------------------------------------------------------------------------ the release date


@pytest.mark.parametrize("value", ["yesterday", "-1", "+5", "01", " 5", "5 ", "1.5", "1e9", "\u0663",
                                   "253402300800", "9" * 30])
def test_a_malformed_source_date_epoch_is_a_usage_error(value: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        resolve_source_date(tmp_path, environ={"SOURCE_DATE_EPOCH": value})


@pytest.mark.parametrize("value", ["2025-2-01", "2025-02-30", "25-01-01", "2025-01-01T00:00", "\uff12025-01-01",
                                   "2025/01/01", ""])
def test_a_malformed_date_is_a_usage_error(value: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--date"):
        resolve_source_date(tmp_path, date_text=value, environ={})


def test_date_precedence_option_then_environment(tmp_path: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": "86400"}
    assert resolve_source_date(tmp_path, environ=env).manifest_entry() == {
        "epoch": 86400, "iso": "1970-01-02T00:00:00Z", "from": "SOURCE_DATE_EPOCH"}
    assert resolve_source_date(tmp_path, date_text="2025-10-01", environ=env).manifest_entry() == {
        "epoch": EPOCH, "iso": "2025-10-01T00:00:00Z", "from": "--date"}
    assert resolve_source_date(tmp_path, source_date_epoch=0, environ=env).manifest_entry() == {
        "epoch": 0, "iso": "1970-01-01T00:00:00Z", "from": "argument"}
    with pytest.raises(UsageError, match="once"):
        resolve_source_date(tmp_path, source_date_epoch=0, date_text="2025-10-01", environ=env)


def test_no_date_anywhere_is_a_usage_error_that_says_how(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not in a git repository") as caught:
        resolve_source_date(tmp_path, environ={"SOURCE_DATE_EPOCH": ""})
    assert "--date YYYY-MM-DD" in str(caught.value) and "SOURCE_DATE_EPOCH" in str(caught.value)


def test_without_git_installed_the_error_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates.shutil, "which", lambda name: None)
    with pytest.raises(UsageError, match="git is not installed"):
        resolve_source_date(tmp_path, environ={})


def _git(repo: Path, *args: str, when: int = COMMIT_TIME) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": f"@{when} +0000",
           "GIT_COMMITTER_DATE": f"@{when} +0000", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


@pytest.fixture
def committed_tree(small_tree: SynthInfo, tmp_path: Path) -> Path:
    """A copy of the small tree committed to a fresh git repository; returns its data folder."""
    raw = copy_raw_tree(small_tree, tmp_path / "repo")
    repo = raw.parent
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("ignored.txt\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "raw tree")
    return raw


def test_the_last_commit_dates_a_clean_committed_tree(committed_tree: Path) -> None:
    files = [str(p.relative_to(committed_tree)) for p in committed_tree.rglob("*") if p.is_file()]
    _touch_everything(committed_tree, 2_000_000_000)  # file times never matter
    found = resolve_source_date(committed_tree, raw_files=files, environ={})
    head = _git(committed_tree, "rev-parse", "HEAD")
    assert found.manifest_entry() == {"epoch": COMMIT_TIME, "iso": "2023-11-14T22:13:20Z", "from": "git-commit",
                                      "commit": head}
    # a later commit elsewhere in the repository does not date the raw tree
    (committed_tree.parent / "notes.md").write_text("unrelated\n", encoding="utf-8")
    _git(committed_tree.parent, "add", "notes.md")
    _git(committed_tree.parent, "commit", "-q", "-m", "notes", when=COMMIT_TIME + 3600)
    assert _git(committed_tree.parent, "log", "-1", "--format=%ct") == str(COMMIT_TIME + 3600)
    assert resolve_source_date(committed_tree, raw_files=files, environ={}).epoch == COMMIT_TIME


@pytest.mark.parametrize("change", ["modify", "delete", "untracked", "ignored raw file"])
def test_uncommitted_changes_in_the_raw_tree_are_refused(committed_tree: Path, change: str) -> None:
    files = sorted(str(p.relative_to(committed_tree)) for p in committed_tree.rglob("*.json"))
    target = committed_tree / files[0]
    if change == "modify":
        target.write_bytes(target.read_bytes() + b"\n")
    elif change == "delete":
        target.unlink()
    elif change == "untracked":
        (committed_tree / "extra.csv").write_text("a\n", encoding="utf-8")
    else:
        (committed_tree / "ignored.txt").write_text("a\n", encoding="utf-8")
        files.append("ignored.txt")
    with pytest.raises(UsageError, match="not committed") as caught:
        resolve_source_date(committed_tree, raw_files=files, environ={})
    assert "--date" in str(caught.value)
    # an explicit date still builds
    assert resolve_source_date(committed_tree, raw_files=files, environ={}, date_text="2025-10-01").epoch == EPOCH


def test_a_fresh_clone_builds_the_same_release_dated_by_its_commit(committed_tree: Path, tmp_path: Path,
                                                                   image_cache: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(committed_tree.parent), str(clone)], check=True,
                   capture_output=True, env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull})
    releases = []
    for raw in (committed_tree, clone / committed_tree.name):
        result = CliRunner().invoke(cli, ["--quiet", "build", str(raw), "--version", "1.0", "--out",
                                          str(tmp_path / f"out-{raw.parent.name}"), "--cache-dir", str(image_cache)])
        assert result.exit_code == 0, result.output
        releases.append(Path(result.stdout.strip().splitlines()[-1]))
    assert differing_files(*releases) == []
    assert _manifest(releases[0])["source_date"]["from"] == "git-commit"
    assert _manifest(releases[0])["source_date"]["epoch"] == COMMIT_TIME


def test_cli_build_without_a_date_exits_2_before_validating(small_raw_copy: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(small_raw_copy), "--version", "1.0", "--out", str(out)])
    assert result.exit_code == 2
    assert "no release date" in result.output and "--date YYYY-MM-DD" in result.output
    assert "configuration:" not in result.output  # refused before the validation ran
    assert not (out / "1.0").exists()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    result = CliRunner().invoke(cli, ["build", str(small_raw_copy), "--version", "1.0", "--out", str(out)])
    assert result.exit_code == 2 and "SOURCE_DATE_EPOCH='soon'" in result.output
    result = CliRunner().invoke(cli, ["build", str(small_raw_copy), "--version", "1.0", "--out", str(out),
                                      "--date", "2025-13-01"])
    assert result.exit_code == 2 and "--date '2025-13-01'" in result.output


def test_cli_build_with_date(small_raw_copy: Path, tmp_path: Path, image_cache: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--quiet", "build", str(small_raw_copy), "--version", "1.0", "--out", str(out),
                                      "--date", "2024-02-29", "--cache-dir", str(image_cache)])
    assert result.exit_code == 0, result.output
    assert _manifest(out / "1.0")["source_date"] == {"epoch": 1_709_164_800, "iso": "2024-02-29T00:00:00Z",
                                                     "from": "--date"}
    assert "release date: 2024-02-29T00:00:00Z (from --date)" in (out / "1.0" / "README.md").read_text("utf-8")


# --------------------------------------------------------------------------------------- DuckDB


def _tables() -> dict[str, pa.Table]:
    rows = 300_000  # more than two row groups: the parallel insert had several threads at work
    return {"numbers": pa.table({"n": pa.array(range(rows), pa.int64()),
                                 "text": pa.array([f"row {i} " + "x" * (i % 37) for i in range(rows)])}),
            "small": pa.table({"k": pa.array([3, 1, 2], pa.int32())})}


@pytest.fixture(scope="module")
def release_tables(small_tree: SynthInfo, image_cache: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    """The tables a release database holds (read back from a small release), which its views need."""
    release = build(validate_tree(small_tree.root, image_cache), tmp_path_factory.mktemp("tables")).path
    found = {p.stem: pq.read_table(p) for p in sorted((release / "tables").glob("*.parquet"))}
    return {**found, "findings": pq.read_table(release / "findings.parquet")}


def _plain_duckdb_file(path: Path, tables: dict[str, pa.Table]) -> bytes:
    con = duckdb.connect(str(path))
    for name, table in tables.items():
        con.register("source", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM source")
        con.unregister("source")
    con.execute("CHECKPOINT")
    con.close()
    return path.read_bytes()


def test_duckdb_checksum_is_the_one_duckdb_writes(tmp_path: Path) -> None:
    """The reimplemented checksum equals what the installed DuckDB stored for its three file headers and
    its first data block (each 8-byte checksum followed by the bytes it covers)."""
    data = _plain_duckdb_file(tmp_path / "plain.duckdb", {"small": _tables()["small"]})
    for start, size in ((0, 4096), (4096, 4096), (8192, 4096), (12288, 262_144)):
        assert struct.unpack_from("<Q", data, start)[0] == duckdb_checksum(data[start + 8:start + size])


def test_duckdb_randomises_only_the_identifier_and_its_checksum(tmp_path: Path) -> None:
    """What the stabilisation relies on: two files DuckDB writes from the same tables (one thread)
    differ at most in the header checksum and the database identifier."""
    tables = {"small": _tables()["small"]}
    files = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        files.append(_plain_duckdb_file(tmp_path / name / "db.duckdb", tables))
    first, second = files
    assert len(first) == len(second)
    assert {i for i, (x, y) in enumerate(zip(first, second, strict=True)) if x != y} <= RANDOM_HEADER_BYTES


def test_release_databases_are_byte_identical_and_fully_readable(tmp_path: Path,
                                                                release_tables: dict[str, pa.Table]) -> None:
    tables = {**release_tables, **_tables()}
    written = []
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        section = build_database(tmp_path / name / DATABASE, tables)
        assert section["reproducible_bytes"] is True
        written.append((tmp_path / name / DATABASE).read_bytes())
    assert written[0] == written[1] == written[2]
    data = written[0]
    expected = hashlib.sha256(bytes(8) + data[8:124] + bytes(16) + data[140:]).digest()[:16]
    assert data[124:140] == expected
    con = connect_database(tmp_path / "a" / DATABASE, read_only=True)
    for name, table in tables.items():
        con.register("source", table)
        key = table_key(table)
        assert content_digest(con, name, key) == content_digest(con, "source", key) == table_content_digest(table, key)
        con.unregister("source")
    con.close()
    # the file stays a working database: a read-write copy takes a row and a checkpoint
    copy = tmp_path / "copy.duckdb"
    shutil.copy(tmp_path / "a" / DATABASE, copy)
    con = duckdb.connect(str(copy))
    con.execute("INSERT INTO small VALUES (4)")
    con.execute("CHECKPOINT")
    con.close()
    con = duckdb.connect(str(copy), read_only=True)
    assert con.execute("SELECT sum(k) FROM small").fetchone() == (10,)
    con.close()


def test_build_digests_the_arrow_tables_as_the_database_tables_digest(tmp_path: Path,
                                                                    release_tables: dict[str, pa.Table]) -> None:
    """Build takes each table's digest from its Arrow table, digested beside the database write: every
    written DuckDB table gives the same digest (what verify checks), and the file is the same either way."""
    rows = 250_000
    keyed = pa.table({"a": pa.array([i // 7 for i in range(rows)], pa.int32()),
                      "b": pa.array([f"k{i % 7}" for i in range(rows)]),
                      "text": pa.array([f"row {i} " + "é" * (i % 13) for i in range(rows)])}).replace_schema_metadata(
        {"key": "a,b"})
    tables = {**release_tables, "keyed": keyed, "unordered": keyed.take(pa.array(range(rows - 1, -1, -1)))}
    from_arrow = table_digests(tables)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    given = build_database(tmp_path / "a" / DATABASE, tables, digests=lambda: from_arrow)
    computed = build_database(tmp_path / "b" / DATABASE, tables)
    assert given == computed
    assert (tmp_path / "a" / DATABASE).read_bytes() == (tmp_path / "b" / DATABASE).read_bytes()
    con = connect_database(tmp_path / "a" / DATABASE, read_only=True)
    for name, table in tables.items():
        entry = given["tables"][name]
        recorded = (entry["rows"], entry["content_digest"])
        assert content_digest(con, name, table_key(table)) == from_arrow[name] == recorded, name
    con.close()
    assert from_arrow["keyed"] == from_arrow["unordered"]


def test_the_identifier_still_keeps_another_databases_wal_out(tmp_path: Path,
                                                             release_tables: dict[str, pa.Table]) -> None:
    """DuckDB compares a write-ahead log's database identifier with the file's: with content-derived
    identifiers, a log written for one release database is refused by a database with other contents, and
    replays on a byte-identical copy (as on a copy of any DuckDB file)."""
    paths = {}
    for name, rows in (("one", 3), ("other", 4)):
        (tmp_path / name).mkdir()
        paths[name] = tmp_path / name / DATABASE
        build_database(paths[name], {**release_tables, "small": pa.table({"k": pa.array(range(rows), pa.int32())})})
    twin = tmp_path / "twin" / DATABASE
    twin.parent.mkdir()
    shutil.copy(paths["one"], twin)
    con = duckdb.connect(str(paths["one"]))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("SET checkpoint_threshold = '10GB'")
    con.execute("INSERT INTO small VALUES (99)")
    con.close()
    wal = paths["one"].with_name(DATABASE + ".wal")
    assert wal.is_file()
    shutil.copy(wal, paths["other"].with_name(DATABASE + ".wal"))
    shutil.copy(wal, twin.with_name(DATABASE + ".wal"))
    with pytest.raises(duckdb.Error, match="WAL does not match database file"):
        duckdb.connect(str(paths["other"]), read_only=True)
    con = duckdb.connect(str(twin), read_only=True)
    assert con.execute("SELECT max(k) FROM small").fetchone() == (99,)
    con.close()


@pytest.mark.parametrize("damage", ["checksum", "encrypted", "unknown field", "not duckdb"])
def test_a_header_vogue_pack_does_not_know_is_left_as_duckdb_wrote_it(tmp_path: Path, damage: str) -> None:
    path = tmp_path / DATABASE
    data = bytearray(_plain_duckdb_file(path, {"small": _tables()["small"]}))
    if damage == "checksum":
        data[0] ^= 1
    elif damage == "encrypted":
        data[116] = 1
    elif damage == "unknown field":
        data[200] = 1
    else:
        data[8:12] = b"QUCK"
    if damage != "checksum":
        struct.pack_into("<Q", data, 0, duckdb_checksum(data[8:4096]))
    path.write_bytes(bytes(data))
    result = stabilise_file_identifier(path, {"small": 3})
    assert result["reproducible_bytes"] is False
    assert result["file_identifier"].startswith("as DuckDB wrote it: ")
    assert path.read_bytes() == bytes(data)
