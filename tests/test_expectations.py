"""Release expectations (Great Expectations suites in checks/expectations/): they pass a clean synthetic
tree, fail a planted distribution fault, say when they cannot run, and leave no trace on disk."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.raw.model import TABLES
from vogue_pack.report.findings import Severity, code_info
from vogue_pack.synth import SynthInfo
from vogue_pack.validate.expectations import load_suites, run_expectations, suite_parameters, suites_path
from vogue_pack.validate.pipeline import ValidateOptions, Validation, validate

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clean_validation(clean_tree: SynthInfo) -> Validation:
    return validate(clean_tree.root, ValidateOptions())


def _parameters_used(value: object) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return {str(value["$PARAMETER"])}
        return set().union(*(_parameters_used(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_parameters_used(v) for v in value)) if value else set()
    return set()


def test_shipped_suites_are_gx_suites_over_model_tables() -> None:
    """Every suite names a table and columns of the data model and only parameters that exist."""
    suites = load_suites()
    assert suites_path() == REPO / "checks" / "expectations"
    assert len(suites) >= 10
    full_tables = {name: spec.schema.empty_table() for name, spec in TABLES.items()}
    known_parameters = set(suite_parameters(full_tables))
    for suite in suites:
        assert suite.table in TABLES, suite.path
        assert suite.data["name"] == suite.path.stem
        columns = set(TABLES[suite.table].column_names)
        for expectation in suite.data["expectations"]:
            kwargs = expectation["kwargs"]
            assert expectation["type"].startswith("expect_")
            used = {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs}
            used |= set(kwargs.get("column_list", []))
            assert used <= columns, (suite.path.name, used - columns)
            assert _parameters_used(kwargs) <= known_parameters, suite.path.name
            assert expectation.get("description"), "each expectation explains itself in the report"


def test_shipped_suites_load_in_great_expectations() -> None:
    """GX itself accepts every suite file (run in a subprocess: the import is slow and global)."""
    script = textwrap.dedent("""
        import json, os, sys
        os.environ["GX_ANALYTICS_ENABLED"] = "false"
        from great_expectations.core.expectation_suite import ExpectationSuite
        from vogue_pack.validate.expectations import load_suites
        total = 0
        for suite in load_suites():
            gx_suite = ExpectationSuite(**suite.data)
            total += len(gx_suite.expectations)
        print(total)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    expected = sum(len(s.data["expectations"]) for s in load_suites())
    assert int(done.stdout.strip()) == expected


def test_clean_tree_passes(clean_validation: Validation) -> None:
    assert clean_validation.report.ok
    findings = run_expectations(clean_validation.tables)
    assert findings == []


def _plant_constant_seeker_ratings(data_root: Path, value: int) -> None:
    """Set every Seeker rating of every conversation to ``value`` (cells and rating_vec alike)."""
    path = data_root / "conversation_trials/item_ratings/seeker_ratings.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = rows[0]
    items = [i for i, name in enumerate(header) if name.startswith("item_")]
    vec = header.index("rating_vec")
    for row in rows[1:]:
        for i in items:
            if row[i] != "-1":
                row[i] = str(value)
        row[vec] = json.dumps([int(row[i]) for i in items])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_planted_distribution_fault_fails_the_gate(raw_copy: Path) -> None:
    """All Seeker ratings set to 3: every file stays valid on its own, only the distribution is wrong."""
    _plant_constant_seeker_ratings(raw_copy, 3)
    plain = validate(raw_copy, ValidateOptions(expectations=False))
    assert plain.report.ok  # nothing but the expectations can see this fault
    gated = validate(raw_copy, ValidateOptions(expectations=True))
    assert not gated.report.ok
    failed = sorted((f.code, f.file, f.column, f.keys["expectation"]) for f in gated.report.errors)
    # Both Seeker-distribution expectations fail; the Seeker mean (3.0) is inside 1.2..4.8.
    assert failed == [
        ("expect.distribution", "item_ratings", "rating", "expect_column_stdev_to_be_between"),
        ("expect.distribution", "item_ratings", "rating", "expect_column_unique_value_count_to_be_between"),
    ]
    unique_count = next(f for f in gated.report.errors
                        if f.keys["expectation"] == "expect_column_unique_value_count_to_be_between")
    assert unique_count.value == 1 and unique_count.expected == {"min_value": 3}
    assert unique_count.keys["row_condition"] == 'role == "Seeker"'
    assert "Seeker ratings use at least three of the five values" in unique_count.message


def test_build_runs_the_gate_clean_passes_and_fault_is_refused(clean_tree: SynthInfo, raw_copy: Path,
                                                                tmp_path: Path) -> None:
    """`vogue-pack build` runs the suites: the clean tree is released (with report.html beside report.json),
    the same tree with constant Seeker ratings is refused and nothing is written."""
    out = tmp_path / "release"
    clean = CliRunner().invoke(cli, ["--quiet", "build", str(clean_tree.root), "--version", "1.0", "--out", str(out)])
    assert clean.exit_code == 0, clean.output
    report = json.loads((out / "1.0" / "report.json").read_text(encoding="utf-8"))
    assert not [f for f in report["findings"] if f["code"].startswith("expect.")]
    manifest = json.loads((out / "1.0" / "manifest.json").read_text(encoding="utf-8"))
    assert "report.html" in {f["path"] for f in manifest["files"]}
    page = (out / "1.0" / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('<img src="data:image/jpeg') == 4  # 2 clusters

    _plant_constant_seeker_ratings(raw_copy, 3)
    faulty = CliRunner().invoke(cli, ["--quiet", "build", str(raw_copy), "--version", "1.1", "--out", str(out)])
    assert faulty.exit_code == 1
    assert "expect.distribution" in faulty.output and "no release built" in faulty.output
    assert sorted(p.name for p in out.iterdir()) == ["1.0"]


def test_row_counts_are_relative_to_the_raw_tree(clean_validation: Validation) -> None:
    tables = dict(clean_validation.tables)
    n_transcripts = tables["files"].filter(pc.equal(tables["files"]["kind"], "transcript")).num_rows
    params = suite_parameters(tables)
    assert params["raw_transcript"] == n_transcripts == tables["conversations"].num_rows
    assert params["raw_rating_rows"] == 2 * n_transcripts
    # One conversation row lost between the raw tree and the tables: conversations, and the rows that
    # hang off it, no longer match the raw tree.
    tables["conversations"] = tables["conversations"].slice(1)
    failed = {(f.code, f.file) for f in run_expectations(tables)}
    assert failed == {("expect.row-count", "conversations")}
    # Explicit raw counts override the files table.
    failed = {(f.code, f.file) for f in run_expectations(
        clean_validation.tables, raw_counts={"transcript": n_transcripts + 1, "item_json": 36, "image": 76})}
    assert ("expect.row-count", "conversations") in failed and ("expect.row-count", "rating_rows") in failed


def test_missing_tables_columns_and_bounds_are_reported_not_skipped(clean_validation: Validation,
                                                                    tmp_path: Path) -> None:
    tables = dict(clean_validation.tables)
    del tables["scenarios"]
    tables["images"] = tables["images"].drop_columns(["width"])
    findings = run_expectations(tables, unavailable={"participants": "profiles.csv failed to load"})
    by_file = {(f.file, f.column, f.severity): f for f in findings}
    assert all(f.code == "expect.not-run" for f in findings)
    assert set(by_file) == {("scenarios", None, Severity.ERROR), ("images", "width", Severity.ERROR),
                            ("participants", None, Severity.WARNING)}
    assert "was not built" in by_file["scenarios", None, Severity.ERROR].message
    assert "profiles.csv failed to load" in by_file["participants", None, Severity.WARNING].message

    suite = {"name": "conversations", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": {"$PARAMETER": "nope"}},
         "description": "uses an unknown bound"}]}
    (tmp_path / "conversations.json").write_text(json.dumps(suite))
    [finding] = run_expectations(clean_validation.tables, suites_dir=tmp_path)
    assert finding.code == "expect.not-run" and "unknown bound nope" in finding.message


def test_suite_severity_code_override_and_table_meta(clean_validation: Validation, tmp_path: Path) -> None:
    suite = {"name": "ratings-sanity", "meta": {"table": "item_ratings"}, "expectations": [
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "rating", "max_value": 4},
         "severity": "warning", "description": "nobody is that keen"},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "role", "value_set": ["Seeker"]},
         "meta": {"code": "expect.failed"}, "description": "only Seekers"},
    ]}
    (tmp_path / "ratings.json").write_text(json.dumps(suite))
    first, second = run_expectations(clean_validation.tables, suites_dir=tmp_path)
    assert (first.code, first.severity, first.file, first.value) == ("expect.range", Severity.WARNING,
                                                                    "item_ratings", 5)
    assert first.keys == {"suite": "ratings-sanity", "expectation": "expect_column_max_to_be_between"}
    n_assistant = pc.sum(pc.equal(clean_validation.tables["item_ratings"]["role"], "Assistant")).as_py()
    assert (second.code, second.severity) == ("expect.failed", Severity.ERROR)
    assert f"{n_assistant} of " in second.message and second.value == ["Assistant"] * 5


def test_every_emitted_code_is_in_the_catalogue() -> None:
    from vogue_pack.validate import expectations

    for code in {*expectations._CODE_BY_TYPE.values(), "expect.failed", "expect.not-run"}:
        assert code_info(code).title


def test_malformed_suites_are_usage_errors(clean_validation: Validation, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(UsageError, match=r"broken\.json"):
        run_expectations(clean_validation.tables, suites_dir=tmp_path)
    (tmp_path / "broken.json").write_text(json.dumps({"name": "items", "expectations": [
        {"type": "expect_nonsense", "kwargs": {}}]}))
    with pytest.raises(UsageError, match=r"#1 \(expect_nonsense\) in .*broken\.json"):
        run_expectations(clean_validation.tables, suites_dir=tmp_path)
    with pytest.raises(UsageError, match="not found"):
        run_expectations(clean_validation.tables, suites_dir=tmp_path / "absent")


def test_no_files_left_behind_no_network_analytics_off(small_tree: SynthInfo, tmp_path: Path) -> None:
    """In a fresh process with empty HOME, TMPDIR and working folder: all three stay empty, no socket
    is opened, and the GX context reports analytics off."""
    home, tmp, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for folder in (home, tmp, work):
        folder.mkdir()
    script = textwrap.dedent(f"""
        import json, socket, sys
        attempts = []
        def refuse(*args, **kwargs):
            attempts.append(repr(args[:2]))
            raise OSError("network disabled in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from pathlib import Path
        from vogue_pack.images.inspect import ImageOptions
        from vogue_pack.validate.pipeline import ValidateOptions, validate
        from vogue_pack.validate.expectations import run_expectations
        options = ValidateOptions(images=ImageOptions(jobs=1, use_cache=False), expectations=False)
        validation = validate(Path({str(small_tree.root)!r}), options)
        findings = run_expectations(validation.tables, engine="gx")
        import great_expectations as gx, os
        print(json.dumps({{"findings": [f.code for f in findings], "attempts": attempts,
                          "env": os.environ.get("GX_ANALYTICS_ENABLED")}}))
    """)
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("GX_ANALYTICS_ENABLED", None)
    done = subprocess.run([sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True,
                          check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"findings": [], "attempts": [], "env": "false"}
    assert sorted(home.rglob("*")) == [] and sorted(tmp.rglob("*")) == [] and sorted(work.rglob("*")) == []
    assert "Calculating Metrics" not in done.stderr  # GX's progress bars are off

