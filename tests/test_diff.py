"""vogue-pack diff: planted added, removed and changed records are found in every table, by key; and
build warns when the version bump contradicts the change (Croissant's semantic-versioning rules)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner
from conftest import copy_raw_tree
from release_support import FakeValidation, build, shared_image_cache, validate_tree

from vogue_pack.cli import cli
from vogue_pack.raw.model import TABLES
from vogue_pack.release.diff import DiffResult, TableDiff, actual_bump, bump_warnings, diff_releases
from vogue_pack.synth import SynthInfo
from vogue_pack.validate.pipeline import Validation

PLANTED_PATH = "zz-planted.txt"  # the new row of the files table names a real file of the raw copy


@pytest.fixture(scope="module")
def base(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Validation:
    """The validated 6-conversation tree, on a private copy that also holds the planted raw file."""
    root = copy_raw_tree(small_tree, tmp_path_factory.mktemp("diff-raw") / "raw")
    validation = validate_tree(root, shared_image_cache(tmp_path_factory))
    (root / PLANTED_PATH).write_text("planted\n")
    return validation


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + "·"
    raise AssertionError(f"no change planned for {value!r}")


def plant(tables: dict[str, pa.Table]) -> tuple[dict[str, pa.Table], dict[str, dict[str, dict[str, Any]]]]:
    """In every table: remove the first row (by key), change the last non-key column of the second, and add
    a copy of the first with a new key. Returns the tables and the planted keys."""
    planted_tables, planted = {}, {}
    for name, spec in TABLES.items():
        rows = tables[name].sort_by([(k, "ascending") for k in spec.key]).to_pylist()
        assert len(rows) >= 2, f"{name} needs two rows to plant changes"
        removed, changed, added = rows[0], dict(rows[1]), dict(rows[0])
        column = next(c for c in spec.key if isinstance(added[c], int | str) and not isinstance(added[c], bool))
        if name == "files":
            added[column] = PLANTED_PATH
        elif isinstance(added[column], str):
            added[column] = "zz-planted"
        else:
            added[column] = max(row[column] for row in rows) + 1000
        last = [c for c in spec.column_names if c not in spec.key][-1]
        changed[last] = _changed(changed[last])
        planted_tables[name] = pa.Table.from_pylist([added, changed, *rows[2:]], schema=spec.schema)
        planted[name] = {kind: {k: row[k] for k in spec.key}
                         for kind, row in (("added", added), ("removed", removed), ("changed", changed))}
    return planted_tables, planted


@pytest.fixture(scope="module")
def releases(base: Validation, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("diff-releases")
    tables, planted = plant(base.tables)
    old = build(base, out, "1.0").path
    new = build(FakeValidation(root=base.root, tables=tables, report=base.report), out, "2.0")
    assert new.warnings == ()  # records changed and removed: a major bump is right
    return old, new.path, planted


def test_diff_finds_the_planted_records_in_every_table(releases: tuple[Path, Path, dict[str, Any]]) -> None:
    old, new, planted = releases
    result = diff_releases(old, new)
    by_name = {t.name: t for t in result.tables}
    assert set(by_name) == set(TABLES)
    for name, keys in planted.items():
        table = by_name[name]
        assert (table.added, table.removed, table.changed) == (1, 1, 1), name
        assert [s["key"] for s in table.added_sample] == [keys["added"]], name
        assert [s["key"] for s in table.removed_sample] == [keys["removed"]], name
        assert [s["key"] for s in table.changed_sample] == [keys["changed"]], name
        last = [c for c in TABLES[name].column_names if c not in TABLES[name].key][-1]
        assert list(table.changed_sample[0]["columns"]) == [last], name
    assert result.required_bump == "major"


def test_diff_lists_file_changes(releases: tuple[Path, Path, dict[str, Any]]) -> None:
    old, new, _planted = releases
    result = diff_releases(old, new)
    # The images table's first row was removed and re-added under a new id: same image file.
    assert result.files_added == [] and result.files_removed == []
    assert {f"tables/{name}.parquet" for name in TABLES} <= set(result.files_changed)
    assert "vogue.duckdb" in result.files_changed  # judged by content digests, not bytes


def test_identical_records_need_only_a_patch(base: Validation, tmp_path: Path) -> None:
    old = build(base, tmp_path, "1.0").path
    patch = build(base, tmp_path, "1.0.1")
    assert patch.warnings == () and patch.required_bump == "patch"
    result = diff_releases(old, patch.path)
    assert all(t.status == "same" for t in result.tables)
    # Only files that carry the version number differ; vogue.duckdb's contents are the same.
    assert result.files_changed == ["README.md", "croissant.json"]
    minor = build(base, tmp_path, "1.1")
    assert minor.previous_version == "1.0.1"
    assert len(minor.warnings) == 1 and "only a patch" in minor.warnings[0]


def test_added_records_need_a_minor_bump(base: Validation, tmp_path: Path) -> None:
    build(base, tmp_path, "1.0")
    scenarios = base.tables["scenarios"]
    extra = pa.Table.from_pylist([{**scenarios.to_pylist()[0], "scenario": 99}], schema=scenarios.schema)
    more = FakeValidation(root=base.root, tables={**base.tables, "scenarios": pa.concat_tables([scenarios, extra])},
                          report=base.report)
    patch = build(more, tmp_path, "1.0.1")
    assert patch.required_bump == "minor"
    assert len(patch.warnings) == 1
    assert "records were only added" in patch.warnings[0] and "minor" in patch.warnings[0]
    assert (tmp_path / "1.0.1").is_dir()  # a warning, not a refusal
    # The comparison is with the highest version below the new one (1.0.1 here, not 1.0).
    minor = build(more, tmp_path, "1.1")
    assert minor.previous_version == "1.0.1" and minor.required_bump == "patch"


def test_changed_records_under_a_minor_bump_warn(base: Validation, tmp_path: Path) -> None:
    build(base, tmp_path, "1.0")
    tables, _planted = plant(base.tables)
    minor = build(FakeValidation(root=base.root, tables=tables, report=base.report), tmp_path, "1.1")
    assert minor.required_bump == "major"
    assert len(minor.warnings) == 1 and "call for a major version" in minor.warnings[0]


def test_bump_rules() -> None:
    assert [actual_bump("1.0", v) for v in ("1.0.1", "1.1", "2.0", "1.1.3")] == ["patch", "minor", "major", "minor"]

    def result(**counts: int) -> DiffResult:
        table = TableDiff("t", ["k"], "changed", 1, 1, **counts)
        return DiffResult("1.0", "x", [table], [], [], [], {})

    assert result(added=1).required_bump == "minor"
    assert result(removed=1).required_bump == "major"
    assert result(changed=1, added=2).required_bump == "major"
    assert result().required_bump == "patch"
    assert bump_warnings(result(added=1), "1.0", "1.1") == []
    assert bump_warnings(result(removed=1), "1.0", "2.0") == []
    assert "call for a major" in bump_warnings(result(removed=1), "1.0", "1.0.1")[0]


def test_cli_diff_text_and_json(releases: tuple[Path, Path, dict[str, Any]]) -> None:
    old, new, planted = releases
    runner = CliRunner()
    text = runner.invoke(cli, ["diff", str(old), str(new)])
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("diff 1.0 -> 2.0")
    assert "conversations          +1 -1 ~1" in text.stdout
    assert "Croissant's rules call for a major version bump" in text.stdout
    as_json = runner.invoke(cli, ["diff", str(old), str(new), "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["required_bump"] == "major"
    turns = next(t for t in data["tables"] if t["table"] == "turns")
    assert turns["samples"]["removed"][0]["key"] == planted["turns"]["removed"]
    not_a_release = runner.invoke(cli, ["diff", str(old), str(old.parent)])
    assert not_a_release.exit_code == 2


def test_a_damaged_previous_release_does_not_block_a_build(base: Validation, tmp_path: Path) -> None:
    (tmp_path / "1.0").mkdir()
    (tmp_path / "1.0" / "manifest.json").write_text("{damaged")
    built = build(base, tmp_path, "1.1")
    assert built.required_bump is None
    assert len(built.warnings) == 1 and "could not compare with the previous release 1.0" in built.warnings[0]


def test_diff_verifies_both_sides_and_trusts_no_recorded_digest(base: Validation, tmp_path: Path) -> None:
    """The issue's tampering: a Parquet table rewritten with SHA256SUMS and manifest.files updated made diff
    say "same ... patch bump" because it trusted the manifest. diff now verifies first (exit 1)."""
    import pyarrow.parquet as pq
    from tamper import refile

    old = build(base, tmp_path, "1.0").path
    new = build(base, tmp_path, "1.0.1").path
    rel = "tables/item_ratings.parquet"
    table = pq.read_table(new / rel)
    pq.write_table(table.slice(1), new / rel)
    refile(new, rel)
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 1, result.output
    assert "does not verify" in result.stderr and rel in result.stderr
    assert "same" not in result.stdout


def test_diff_says_when_the_arguments_look_reversed(releases: tuple[Path, Path, dict[str, Any]]) -> None:
    old, new, _planted = releases
    text = CliRunner().invoke(cli, ["diff", str(new), str(old)])
    assert text.exit_code == 0, text.output
    assert "the arguments look reversed: NEW (1.0) is an older version than OLD (2.0)" in text.stdout
    forward = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert "reversed" not in forward.output
