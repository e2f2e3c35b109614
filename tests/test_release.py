"""vogue-pack build: the release layout, reproducibility, immutability, atomicity, and that every
file loads in the tools the dataset card promises (pyarrow, pandas, DuckDB, HF datasets, mlcroissant)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from release_support import (
    DATABASE,
    EPOCH,
    FakeValidation,
    build,
    build_in_child,
    differing_files,
    hidden_entries,
    offline_environment,
    release_files,
    shared_image_cache,
    validate_tree,
)

from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.raw.model import TABLES
from vogue_pack.release import build as release_module
from vogue_pack.release.build import build_release
from vogue_pack.release.format import content_digest, quote_literal
from vogue_pack.release.tables import canonical_table, release_schema
from vogue_pack.release.verify import verify_release
from vogue_pack.synth import SynthInfo
from vogue_pack.validate.pipeline import Validation

REPO = Path(__file__).resolve().parent.parent



def _reader() -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection that reads files, as a researcher's would (the sandbox reads none)."""
    return duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})


@pytest.fixture(scope="module")
def image_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_image_cache(tmp_path_factory)


@pytest.fixture(scope="module")
def validation(clean_tree: SynthInfo, image_cache: Path) -> Validation:
    result = validate_tree(clean_tree.root, image_cache)
    assert result.report.ok, "the clean synthetic tree must validate"
    return result


@pytest.fixture(scope="module")
def release(validation: Validation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release 1.0 of the clean 60-conversation tree. Read-only by convention."""
    return build(validation, tmp_path_factory.mktemp("release")).path


def _manifest(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------- layout


def test_layout_holds_every_promised_file(release: Path, validation: Validation) -> None:
    files = set(release_files(release))
    expected_top = {"manifest.json", "SHA256SUMS", "README.md", "croissant.json", "report.json",
                    "findings.parquet", DATABASE}
    assert expected_top <= files
    assert {f"tables/{name}.parquet" for name in TABLES} <= files
    image_names = {Path(p).name for p in validation.tables["images"].column("path").to_pylist()}
    assert {f for f in files if f.startswith("images/")} == {f"images/{n}" for n in image_names}


def test_images_are_byte_identical_to_the_raw_ones(release: Path, validation: Validation) -> None:
    images = validation.tables["images"]
    for rel, raw in zip(images.column("path").to_pylist(), images.column("raw_path").to_pylist(), strict=True):
        assert rel == f"images/{Path(raw).name}"
        assert (release / rel).read_bytes() == (validation.root / raw).read_bytes()


def test_tables_equal_the_validated_tables_sorted_by_key(release: Path, validation: Validation) -> None:
    for name, spec in TABLES.items():
        released = pq.read_table(release / "tables" / f"{name}.parquet")
        assert released.schema.equals(release_schema(spec), check_metadata=True), name
        assert released.num_rows == validation.tables[name].num_rows, name
        keys = released.select(list(spec.key)).to_pylist()
        assert keys == sorted(keys, key=lambda row: tuple(row.values())), f"{name} not sorted by key"
        expected = canonical_table(spec, validation.tables[name])
        assert released.equals(expected), name


def test_a_table_in_released_form_is_released_without_a_copy(validation: Validation) -> None:
    for name, spec in TABLES.items():
        once = canonical_table(spec, validation.tables[name])
        assert canonical_table(spec, once) is once, name


def test_build_release_replaces_the_validated_tables_only_when_asked(validation: Validation, release: Path,
                                                                    tmp_path: Path) -> None:
    """By default the validation's tables are left as they are; with ``replace_tables`` (what
    validate_and_build asks) each becomes its released form, and the release is the same."""
    before = dict(validation.tables)
    assert build(validation, tmp_path / "kept").release_digest == build_release_digest(release)
    assert all(validation.tables[name] is table for name, table in before.items())
    taken = Validation(root=validation.root, tree=validation.tree, tables=dict(validation.tables),
                       unavailable=dict(validation.unavailable), report=validation.report)
    built = build_release(taken, "1.0", tmp_path / "replaced", source_date_epoch=EPOCH, replace_tables=True)
    assert built.release_digest == build_release_digest(release)
    assert list(taken.tables) == list(before)
    for name, spec in TABLES.items():
        assert taken.tables[name].schema.equals(release_schema(spec), check_metadata=True), name
        assert taken.tables[name].equals(canonical_table(spec, before[name])), name


def build_release_digest(release: Path) -> str:
    from vogue_pack.release.format import release_digest

    return release_digest((release / "SHA256SUMS").read_bytes())


def test_a_table_refused_for_repeated_keys_is_left_in_place(validation: Validation) -> None:
    turns = validation.tables["turns"]
    repeated = pa.concat_tables([turns.slice(0, 2), turns.slice(0, 2)])
    tables = {"turns": repeated}
    with pytest.raises(RuntimeError, match="repeat a key"):
        release_module._release_table(tables, "turns", TABLES["turns"])
    assert tables["turns"] is repeated


def test_parquet_carries_column_descriptions(release: Path) -> None:
    metadata = pq.read_metadata(release / "tables" / "turns.parquet").metadata
    descriptions = json.loads(metadata[b"vogue.column_descriptions"])
    assert descriptions["timestamp"] == "HH:MM:SS as written (clock time or offset)."
    assert metadata[b"key"] == b"conversation_id,turn"
    assert pq.ParquetFile(release / "tables" / "turns.parquet").metadata.row_group(0).column(0).compression \
        == "ZSTD"


def test_detail_column_is_released_as_key_value_entries(release: Path, validation: Validation) -> None:
    released = pq.read_table(release / "tables" / "items.parquet").column("product_detail").to_pylist()
    raw = canonical_table(TABLES["items"], validation.tables["items"])
    first_item = min(validation.tables["items"].column("item_id").to_pylist())
    raw_json = json.loads((validation.root / "metadata" / f"item_{first_item}.json").read_text(encoding="utf-8"))
    assert released[0] == [{"key": k, "value": v} for k, v in raw_json["product_detail"].items()]
    assert raw.column("product_detail").to_pylist() == released


def test_manifest_describes_tables_and_files(release: Path) -> None:
    manifest = _manifest(release)
    assert manifest["dataset"] == {"name": "VOGUE", "version": "1.0", "semver": "1.0.0"}
    assert manifest["source_date"]["epoch"] == EPOCH
    assert manifest["source_date"]["iso"] == "2025-10-01T00:00:00Z"
    assert set(manifest["libraries"]) >= {"pyarrow", "duckdb"}
    for entry in manifest["tables"].values():
        assert entry["rows"] == pq.read_metadata(release / entry["path"]).num_rows
        assert entry["columns"] == [c["name"] for c in entry["schema"]]
    listed = {f["path"] for f in manifest["files"]}
    # Every file but the database (its bytes differ per build), the manifest and the checksums.
    assert listed == set(release_files(release)) - {DATABASE, "manifest.json", "SHA256SUMS"}
    assert manifest["raw_tree"]["digest"].startswith("sha256:")


def test_sha256sum_check_passes(release: Path) -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum is not installed")
    run = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=release, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    # Every file but SHA256SUMS itself is listed.
    listed = [line.split("  ", 1)[1] for line in (release / "SHA256SUMS").read_text().splitlines()]
    assert sorted(listed) == sorted(set(release_files(release)) - {"SHA256SUMS"})


def test_report_and_findings_hold_the_warnings(release: Path, validation: Validation) -> None:
    report = json.loads((release / "report.json").read_text(encoding="utf-8"))
    findings = pq.read_table(release / "findings.parquet")
    assert findings.num_rows == len(validation.report.findings) == len(report["findings"])
    assert findings.column("code").to_pylist() == [f.code for f in validation.report.findings]
    assert report["summary"]["warnings"] == validation.report.warning_count > 0


def test_no_host_path_in_any_release_file(release: Path, validation: Validation) -> None:
    host_paths = {str(validation.root), str(validation.root.resolve()), str(release.parent)}
    for rel in release_files(release):
        if rel == DATABASE or rel.startswith("images/"):
            continue
        data = (release / rel).read_bytes()
        for host in host_paths:
            assert host.encode() not in data, f"{rel} holds the host path {host}"


def test_duckdb_tables_match_the_parquet_files(release: Path) -> None:
    manifest = _manifest(release)
    con = _reader()
    try:
        con.execute(f"ATTACH {quote_literal(str(release / DATABASE))} AS db (READ_ONLY)")
        for name, entry in manifest["tables"].items():
            from_parquet = content_digest(con, f"read_parquet({quote_literal(str(release / entry['path']))})",
                                          entry["key"])
            from_db = content_digest(con, f"db.{name}", entry["key"])
            assert from_db == from_parquet == (entry["rows"], entry["content_digest"]), name
    finally:
        con.close()


def test_views_answer_the_common_joins(release: Path) -> None:
    from vogue_pack.release.query import query_release

    manifest = _manifest(release)
    assert {"utterances_in_context", "utterance_tags", "ratings_side_by_side", "items_with_images",
            "known_quirks"} <= {view["name"] for view in manifest["duckdb"]["views"]}
    utterances = query_release(release, "SELECT count(*) AS n, count(participant_id) AS speakers "
                                        "FROM utterances_in_context").to_pylist()[0]
    assert utterances["n"] == utterances["speakers"] == manifest["tables"]["utterances"]["rows"]
    side = query_release(release, "SELECT count(*) AS n, count(seeker_rating) AS s, count(assistant_rating) AS a "
                                  "FROM ratings_side_by_side").to_pylist()[0]
    # Every catalogue item of every conversation is rated by both roles in a clean tree.
    assert side["n"] == side["s"] == side["a"] == manifest["tables"]["conversation_items"]["rows"]
    tags = query_release(release, "SELECT count(*) AS n FROM utterance_tags").to_pylist()[0]["n"]
    tag_total = sum(len(t) for t in pq.read_table(release / "tables/utterances.parquet").column("tags").to_pylist())
    assert tags == tag_total
    images = query_release(release, "SELECT image_path FROM items_with_images WHERE image_path IS NOT NULL")
    assert all((release / p).is_file() for p in images.column("image_path").to_pylist())
    assert images.num_rows == manifest["tables"]["images"]["rows"]


def test_card_has_every_promised_section(release: Path) -> None:
    card = (release / "README.md").read_text(encoding="utf-8")
    for needle in ("## What it is", "## Statistics", "## Tables", "## Known quirks", "## Loading",
                   "## Verifying", "## Licence", "## Citation", "2510.21151", "## The paper beside this release",
                   "load_dataset", "pd.read_parquet", "duckdb", "random database identifier", "sha256sum -c"):
        assert needle in card, needle
    manifest = _manifest(release)
    conversations = manifest["tables"]["conversations"]["rows"]
    assert f"| conversations | {conversations} | `SELECT count(*) FROM conversations` |" in card
    for code in manifest["validation"]["by_code"]:
        assert f"`{code}`" in card


# ------------------------------------------------------------------------------------- loaders


def test_parquet_loads_in_pyarrow_pandas_and_duckdb(release: Path) -> None:
    import pandas as pd

    manifest = _manifest(release)
    con = _reader()
    try:
        for entry in manifest["tables"].values():
            path = release / entry["path"]
            assert pq.read_table(path).num_rows == entry["rows"]
            assert len(pd.read_parquet(path)) == entry["rows"]
            row = con.execute(f"SELECT count(*) FROM read_parquet({quote_literal(str(path))})").fetchone()
            assert row is not None and row[0] == entry["rows"]
    finally:
        con.close()


def test_parquet_loads_in_hugging_face_datasets(release: Path, tmp_path: Path) -> None:
    """In a subprocess: datasets must not see the network and must cache under tmp_path."""
    manifest = _manifest(release)
    data_files = {name: str(release / entry["path"]) for name, entry in manifest["tables"].items()}
    script = (
        "import json, sys\n"
        "from datasets import load_dataset\n"
        "files = json.loads(sys.argv[1])\n"
        "print(json.dumps({name: load_dataset('parquet', data_files=path, split='train', "
        "cache_dir=sys.argv[2]).num_rows for name, path in files.items()}))\n"
    )
    run = subprocess.run([sys.executable, "-c", script, json.dumps(data_files), str(tmp_path / "cache")],
                         capture_output=True, text=True, env=offline_environment(tmp_path), timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads(run.stdout.strip().splitlines()[-1])
    assert rows == {name: entry["rows"] for name, entry in manifest["tables"].items()}


def test_croissant_is_valid_and_its_records_load(release: Path) -> None:
    mlcroissant = pytest.importorskip("mlcroissant")
    document = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    dataset = mlcroissant.Dataset(jsonld=document)  # raises ValidationError on any error
    assert not dataset.metadata.ctx.issues.errors
    assert document["version"] == "1.0.0"
    assert {rs["@id"] for rs in document["recordSet"]} == set(TABLES) | {"findings"}
    sha = {d["@id"]: d.get("sha256") for d in document["distribution"]}
    manifest_sha = {f["path"]: f["sha256"] for f in _manifest(release)["files"]}
    for name in TABLES:
        assert sha[f"tables/{name}.parquet"] == manifest_sha[f"tables/{name}.parquet"]
    for key in ("rai:dataCollection", "rai:dataLimitations", "rai:dataBiases", "rai:personalSensitiveInformation",
                "rai:dataUseCases"):
        assert document[key]
    # Records load from the local files (no network): the counts equal the Parquet row counts.
    on_disk = mlcroissant.Dataset(jsonld=str(release / "croissant.json"))
    for name in ("scenarios", "conversations", "items"):
        assert sum(1 for _ in on_disk.records(name)) == _manifest(release)["tables"][name]["rows"]


# ------------------------------------------------------------------------------- reproducibility


def test_rebuild_is_byte_identical(validation: Validation, release: Path, tmp_path: Path) -> None:
    """Every file, vogue.duckdb and SHA256SUMS included (copies of the raw tree: test_reproducible.py)."""
    again = build(validation, tmp_path).path
    assert release_files(again) == release_files(release)
    assert differing_files(release, again) == []
    assert (again / DATABASE).read_bytes() == (release / DATABASE).read_bytes()
    assert _manifest(again)["duckdb"]["reproducible_bytes"] is True
    assert verify_release(again).ok


@pytest.fixture(scope="module")
def small_release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory,
                  image_cache: Path) -> tuple[Validation, Path]:
    small = validate_tree(small_tree.root, image_cache)
    return small, build(small, tmp_path_factory.mktemp("small-release")).path


def _shuffled(table: pa.Table, rng: random.Random, chunks: int) -> pa.Table:
    """The same rows in another order, split into several chunks (what a different loader might give)."""
    order = list(range(table.num_rows))
    rng.shuffle(order)
    shuffled = table.take(pa.array(order, type=pa.int64()))
    bounds = sorted({0, table.num_rows, *(rng.randrange(table.num_rows + 1) for _ in range(chunks - 1))})
    return pa.concat_tables([shuffled.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
                            or [shuffled])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(large=st.booleans(), seed=st.integers(min_value=0, max_value=2**32 - 1),
       chunks=st.integers(min_value=1, max_value=4))
def test_rebuilds_are_identical_whatever_the_row_order(large: bool, seed: int, chunks: int,
                                                        validation: Validation, release: Path,
                                                        small_release: tuple[Validation, Path],
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Property: for either synthetic tree, tables in any row order and chunking build the same release,
    byte for byte (vogue.duckdb included)."""
    base, reference = (validation, release) if large else small_release
    rng = random.Random(seed)
    tables = {name: _shuffled(table, rng, chunks) for name, table in base.tables.items()}
    shuffled = FakeValidation(root=base.root, tables=tables, report=base.report)
    rebuilt = build(shuffled, tmp_path_factory.mktemp("shuffled")).path
    assert differing_files(reference, rebuilt) == []
    assert _manifest(reference)["duckdb"]["tables"] == _manifest(rebuilt)["duckdb"]["tables"]
    assert verify_release(rebuilt).ok


def test_source_date_comes_from_the_environment_never_from_file_times(validation: Validation, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The other date sources (--date, git, malformed values): test_reproducible.py."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    from_env = build_release(validation, "1.0", tmp_path / "env").path
    assert _manifest(from_env)["source_date"] == {"epoch": 86400, "iso": "1970-01-02T00:00:00Z",
                                                  "from": "SOURCE_DATE_EPOCH"}
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    with pytest.raises(UsageError, match="no release date"):  # the raw tree's file times are no date
        build_release(validation, "1.0", tmp_path / "none")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        build_release(validation, "1.0", tmp_path / "bad")
    assert not (tmp_path / "bad" / "1.0").exists() and not (tmp_path / "none" / "1.0").exists()


# ------------------------------------------------------------------------------------ immutability


def test_existing_version_is_refused(validation: Validation, release: Path) -> None:
    before = {p: (release / p).read_bytes() for p in release_files(release) if p != DATABASE}
    for version in ("1.0", "1.0.0"):
        with pytest.raises(UsageError, match="already exists"):
            build(validation, release.parent, version)
    assert {p: (release / p).read_bytes() for p in release_files(release) if p != DATABASE} == before
    assert hidden_entries(release.parent) == []


@pytest.mark.parametrize("version", ["1", "v1.0", "1.0.0.0", "01.2", "1.x", ""])
def test_malformed_version_is_refused(validation: Validation, tmp_path: Path, version: str) -> None:
    with pytest.raises(UsageError, match=r"MAJOR\.MINOR"):
        build(validation, tmp_path, version)
    assert not any(tmp_path.iterdir())


def test_validation_with_errors_is_refused(validation: Validation, tmp_path: Path) -> None:
    from vogue_pack.report.findings import finding
    from vogue_pack.report.report import Report

    broken = Report()
    broken.add([finding("image.decode", "corrupt", file="metadata/item_1.png")])
    bad = Validation(root=validation.root, tree=validation.tree, tables=validation.tables,
                     unavailable={}, report=broken)
    with pytest.raises(UsageError, match="error findings"):
        build(bad, tmp_path)
    missing = Validation(root=validation.root, tree=validation.tree, tables=validation.tables,
                         unavailable={"images": "image checks were switched off"}, report=validation.report)
    with pytest.raises(UsageError, match="images: image checks were switched off"):
        build(missing, tmp_path)
    assert not any(tmp_path.iterdir())


def test_raw_image_changed_after_validation_is_refused(raw_copy: Path, tmp_path: Path, image_cache: Path) -> None:
    validation = validate_tree(raw_copy, image_cache)
    image = raw_copy / "metadata" / "item_3.png"
    image.write_bytes(image.read_bytes() + b"\0")
    with pytest.raises(UsageError, match="changed since it was validated"):
        build(validation, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


# --------------------------------------------------------------------------------------- atomicity


def _count_steps(validation: Validation, out: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    calls = []
    original = release_module._ReleaseWriter.write

    def counting(self: object, rel: str, data: bytes) -> None:
        calls.append(rel)
        original(self, rel, data)  # type: ignore[arg-type]

    monkeypatch.setattr(release_module._ReleaseWriter, "write", counting)
    build(validation, out)
    monkeypatch.setattr(release_module._ReleaseWriter, "write", original)
    return len(calls)


def test_failure_at_any_write_leaves_nothing_behind(validation: Validation, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    steps = _count_steps(validation, tmp_path / "count", monkeypatch)
    original = release_module._ReleaseWriter.write
    # Fail at the first write, the last one (SHA256SUMS), the database step and a few in between.
    chosen = sorted({0, 1, steps // 2, steps - 2, steps - 1} | set(random.Random(0).sample(range(steps), 5)))
    for failing in chosen:
        out = tmp_path / f"fail{failing}"
        def failing_write(self: object, rel: str, data: bytes, _at: int = failing,
                          _calls: list[str] = []) -> None:  # noqa: B006 - one list per failing build
            if len(_calls) == _at:
                raise OSError(28, "No space left on device (simulated)")
            _calls.append(rel)
            original(self, rel, data)  # type: ignore[arg-type]

        monkeypatch.setattr(release_module._ReleaseWriter, "write", failing_write)
        with pytest.raises(OSError, match="simulated"):
            build(validation, out)
        assert list(out.iterdir()) == [], f"failure at write {failing} left {list(out.iterdir())}"
    monkeypatch.setattr(release_module._ReleaseWriter, "write", original)

    def failing_database(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database step failed (simulated)")

    for step in ("add", "finish"):  # a table's insert, or the end of the database
        with monkeypatch.context() as patched:
            patched.setattr(release_module.DatabaseWriter, step, failing_database)
            with pytest.raises(RuntimeError, match="simulated"):
                build(validation, tmp_path / f"db-{step}")
        assert list((tmp_path / f"db-{step}").iterdir()) == []


def test_worker_threads_and_one_thread_build_the_same_release(validation: Validation, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A small release is built on one thread (its written tables digested), a large one with workers (the
    Arrow tables digested beside the database write): the same bytes either way."""
    one = build(validation, tmp_path / "one")
    monkeypatch.setattr(release_module, "PARALLEL_ROWS", 0)
    workers = build(validation, tmp_path / "workers")
    assert one.release_digest == workers.release_digest
    assert (one.path / "SHA256SUMS").read_bytes() == (workers.path / "SHA256SUMS").read_bytes()


@pytest.mark.parametrize("step", ["write_parquet", "table_digests", "card_sections"])
def test_a_failure_on_a_worker_thread_is_reported_as_on_the_main_one(step: str, validation: Validation,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Parquet encoding, the content digests and the card's statistics run beside the main thread: a full
    disk there is still the output error, any other failure still propagates, and nothing is left behind."""
    from vogue_pack.errors import OutputError

    monkeypatch.setattr(release_module, "PARALLEL_ROWS", 0)  # worker threads even for this small release
    calls: list[int] = []

    def no_space(*_args: object, **_kwargs: object) -> None:
        calls.append(threading.get_ident())
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(release_module, step, no_space)
    with pytest.raises(OutputError, match="No space left on device"):
        build(validation, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    assert calls and threading.get_ident() not in calls  # it did run on a worker

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"{step} failed (simulated)")

    monkeypatch.setattr(release_module, step, broken)
    with pytest.raises(RuntimeError, match="simulated"):
        build(validation, tmp_path / "again")
    assert list((tmp_path / "again").iterdir()) == []


def test_build_killed_at_random_points_leaves_no_partial_release(validation: Validation, tmp_path: Path) -> None:
    """SIGKILL a build process at random moments: the release is either absent or complete and intact,
    and a later build is not blocked (it sweeps the dead build's temporary folder)."""
    context = multiprocessing.get_context("spawn")
    rng = random.Random(5)
    outcomes = []
    # The first kill lands at once (surely inside the build), the others at random moments.
    for attempt, delay in enumerate([0.0, rng.uniform(0.0, 0.5), rng.uniform(0.0, 1.0)]):
        out = tmp_path / f"out{attempt}"
        started = context.Event()
        process = context.Process(target=build_in_child, args=(validation, out, started))
        process.start()
        assert started.wait(timeout=120), "the build process did not start"
        time.sleep(delay)
        process.kill()
        process.join()
        release_dir = out / "1.0"
        if release_dir.exists():
            outcomes.append("complete")
            assert verify_release(release_dir).ok
            continue
        outcomes.append("absent")
        assert not out.exists() or [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
        build(validation, out)
        assert hidden_entries(out) == []
        assert verify_release(release_dir).ok
    assert "absent" in outcomes, f"no kill landed inside a build: {outcomes}"


def test_concurrent_builds_end_with_one_release_and_one_error(validation: Validation, tmp_path: Path) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            build(validation, tmp_path)
            outcomes.append("built")
        except UsageError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=lambda o: o != "built")[0] == "built"
    assert "already exists" in sorted(outcomes, key=lambda o: o != "built")[1]
    assert [p.name for p in tmp_path.iterdir()] == ["1.0"]
    assert verify_release(tmp_path / "1.0").ok


def test_a_live_builds_temporary_folder_is_left_alone(tmp_path: Path) -> None:
    import socket

    live = tmp_path / f".1.0.partial-{socket.gethostname()}-{os.getpid()}-abc"
    dead = tmp_path / f".1.0.partial-{socket.gethostname()}-999999999-abc"
    other_host = tmp_path / f".1.0.partial-elsewhere-{os.getpid() + 1}-abc"
    for folder in (live, dead, other_host):
        folder.mkdir()
    removed = release_module.remove_stale_partials(tmp_path)
    assert removed == [dead]
    assert sorted(hidden_entries(tmp_path)) == sorted([live.name, other_host.name])


# ------------------------------------------------------------------------------------------- CLI


def test_cli_build_verify_query(clean_tree: SynthInfo, tmp_path: Path, image_cache: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "release"
    args = ["build", str(clean_tree.root), "--version", "2.0", "--out", str(out), "--cache-dir", str(image_cache)]
    built = runner.invoke(cli, args, env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    assert built.exit_code == 0, built.output
    assert built.stdout.strip() == str(out / "2.0")
    again = runner.invoke(cli, args)
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    checked = runner.invoke(cli, ["verify", str(out / "2.0")])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("OK: release 2.0")
    count = runner.invoke(cli, ["query", str(out / "2.0"), "SELECT count(*) AS n FROM conversations",
                                "--format", "json"])
    assert count.exit_code == 0, count.output
    assert json.loads(count.stdout) == [{"n": clean_tree.conversations}]


def test_cli_build_refuses_an_invalid_tree(raw_copy: Path, tmp_path: Path, image_cache: Path) -> None:
    next(raw_copy.glob("conversation_trials/transcripts/*.json")).write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(raw_copy), "--version", "1.0", "--out", str(tmp_path / "r"),
                                      "--cache-dir", str(image_cache)])
    assert result.exit_code == 1, result.output
    assert "no release built" in result.stderr
    assert "json.parse" in result.stderr
    assert not (tmp_path / "r" / "1.0").exists()


def test_installed_console_script_builds(clean_tree: SynthInfo, tmp_path: Path, image_cache: Path) -> None:
    exe = Path(sys.executable).with_name("vogue-pack")
    if not exe.exists():
        pytest.skip("console script not installed next to the interpreter")
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    run = subprocess.run([str(exe), "build", str(clean_tree.root), "--version", "0.1", "--out", str(tmp_path),
                          "--cache-dir", str(image_cache)], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    query = subprocess.run([str(exe), "query", str(tmp_path / "0.1"), "SELEC nonsense"],
                           capture_output=True, text=True, timeout=120)
    assert query.returncode == 2
    assert "query failed" in query.stderr and "Traceback" not in query.stderr


def test_release_table_types(release: Path) -> None:
    """Spot-check the explicit schema: nested types survive the round trip."""
    schema = pq.read_schema(release / "tables" / "conversations.parquet")
    assert schema.field("mentioned_items").type == pa.list_(pa.int32())
    assert schema.field("conversation_id").nullable is False


def test_build_reports_progress_per_written_file(validation: Validation, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    result = release_module.build_release(validation, "1.0", tmp_path, source_date_epoch=EPOCH,
                                          progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert {stage for stage, _, _ in calls} == {"writing release"}
    counts = [done for _, done, _ in calls]
    assert counts == sorted(counts)
    # every file of the release is written or recorded once: the files SHA256SUMS lists, plus SHA256SUMS
    listed = (result.path / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert counts[-1] == len(listed) + 1 == result.files
