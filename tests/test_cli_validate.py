"""`vogue-pack validate` through click's CliRunner: the exit-code contract row by row, JSON on stdout and
messages on stderr, --report, and --max-findings truncation that says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gallery.faults import GALLERY
from gallery.trees import SEEKER, read_rows, tree_fingerprint, write_rows

from vogue_pack import cli as cli_module
from vogue_pack.cli import cli
from vogue_pack.synth import SynthInfo


def _validate(*args: str) -> Result:
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


# --- exit codes, row by row -----------------------------------------------------------------------------

def test_exit_0_for_a_tree_with_warnings_only(small_tree: SynthInfo, tmp_path: Path) -> None:
    result = _validate(str(small_tree.root.parent), "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1].startswith("valid: 0 errors,")
    assert "warning" in result.stdout  # the synthetic tree's planted quirks are listed


def test_exit_1_for_a_tree_with_errors(small_raw_copy: Path) -> None:
    GALLERY["rating_seven"](small_raw_copy)
    result = _validate(str(small_raw_copy), "--no-images")
    assert result.exit_code == 1, result.output
    assert "INVALID" in result.stdout and "schema.value" in result.stdout
    assert SEEKER in result.stdout


@pytest.mark.parametrize("make", ["missing", "empty-folder", "a-file"])
def test_exit_2_when_the_path_is_not_a_raw_tree(make: str, tmp_path: Path) -> None:
    target = tmp_path / "raw"
    if make == "empty-folder":
        target.mkdir()
    elif make == "a-file":
        target.write_text("hello", encoding="utf-8")
    result = _validate(str(target), "--no-images")
    assert result.exit_code == 2
    assert str(target) in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("option", [["--max-findings", "0"], ["--format", "xml"], ["--hash-size", "99"],
                                    ["--no-such-option"]])
def test_exit_2_for_bad_options(option: list[str], small_tree: SynthInfo) -> None:
    result = _validate(str(small_tree.root), "--no-images", *option)
    assert result.exit_code == 2
    assert result.stderr


def test_exit_3_for_an_internal_bug(small_tree: SynthInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug in the loader")

    monkeypatch.setattr("vogue_pack.validate.pipeline.load", broken)
    result = CliRunner().invoke(cli, ["validate", str(small_tree.root), "--no-images"])
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "simulated bug in the loader" in result.stderr
    assert "internal error" in result.stderr and "bug in vogue-pack" in result.stderr


def test_main_maps_an_internal_bug_to_exit_3(small_tree: SynthInfo, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The console-script entry point (not only the click group) keeps the contract."""
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("simulated")

    monkeypatch.setattr("vogue_pack.validate.pipeline.discover", broken)
    monkeypatch.setattr("sys.argv", ["vogue-pack", "validate", str(small_tree.root), "--no-images"])
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 3
    assert "internal error" in capsys.readouterr().err


def test_main_maps_usage_errors_to_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["vogue-pack", "validate", str(tmp_path / "nothing-here")])
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 2
    assert "nothing-here" in capsys.readouterr().err


# --- output channels and the report file ----------------------------------------------------------------

def test_json_goes_to_stdout_and_the_summary_to_stderr(small_raw_copy: Path, tmp_path: Path) -> None:
    expect = GALLERY["timestamp_backwards"](small_raw_copy)
    report_path = tmp_path / "out" / "report.json"
    result = _validate(str(small_raw_copy), "--no-images", "--format", "json", "--report", str(report_path))
    assert result.exit_code == 1
    document = json.loads(result.stdout)  # nothing but the report on stdout
    assert document["valid"] is False and document["format_version"]
    hits = [f for f in document["findings"] if f["code"] == expect.code]
    assert [(f["file"], f["pointer"]) for f in hits] == [(expect.file, expect.pointer)]
    assert "INVALID" in result.stderr and str(report_path) in result.stderr
    assert report_path.read_text(encoding="utf-8") == result.stdout  # --report holds the same report


def test_report_file_in_text_mode(small_tree: SynthInfo, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = _validate(str(small_tree.root), "--no-images", "--report", str(report_path))
    assert result.exit_code == 0
    document = json.loads(report_path.read_text(encoding="utf-8"))
    assert document["valid"] is True
    assert document["summary"]["warnings"] == len(document["findings"]) > 0
    assert f"report: {report_path}" in result.stdout


def test_validate_never_writes_into_the_tree(small_tree: SynthInfo, tmp_path: Path) -> None:
    before = tree_fingerprint(small_tree.root.parent)
    result = _validate(str(small_tree.root.parent), "--cache-dir", str(tmp_path / "cache"), "--format", "json")
    assert result.exit_code == 0
    assert tree_fingerprint(small_tree.root.parent) == before


def test_report_inside_the_raw_tree_is_refused(small_raw_copy: Path) -> None:
    before = tree_fingerprint(small_raw_copy)
    result = _validate(str(small_raw_copy), "--no-images", "--report", str(small_raw_copy / "report.json"))
    assert result.exit_code == 2
    assert "raw tree" in result.stderr
    assert tree_fingerprint(small_raw_copy) == before


# --- limits ----------------------------------------------------------------------------------------------

def _break_every_rating(root: Path) -> int:
    """Set every item cell of the seeker file to 9: one schema.value error per cell (plus mismatches)."""
    rows = read_rows(root / SEEKER)
    columns = [i for i, name in enumerate(rows[0]) if name.startswith("item_")]
    for row in rows[1:]:
        for index in columns:
            row[index] = "9"
    write_rows(root / SEEKER, rows)
    return len(columns) * (len(rows) - 1)


def test_max_findings_truncation_is_loud(small_raw_copy: Path) -> None:
    broken_cells = _break_every_rating(small_raw_copy)
    result = _validate(str(small_raw_copy), "--no-images", "--max-findings", "10", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    summary = document["summary"]
    assert summary["truncated"] is True and summary["max_findings"] == 10
    # ten findings are kept; the notice that the report was cut is in the summary, not among them
    assert "report.truncated" not in [f["code"] for f in document["findings"]]
    assert len(document["findings"]) == summary["findings_collected"] == 10
    assert summary["errors"] + summary["warnings"] >= broken_cells
    assert summary["findings_dropped"] == summary["errors"] + summary["warnings"] - 10
    assert summary["errors_dropped"] + summary["warnings_dropped"] == summary["findings_dropped"]
    assert all(f["severity"] == "error" for f in document["findings"])  # errors first
    assert "truncated" in result.stderr and str(summary["findings_dropped"]) in result.stderr

    text = _validate(str(small_raw_copy), "--no-images", "--max-findings", "10")
    assert text.exit_code == 1
    assert "truncated" in text.stdout.splitlines()[-1]


def test_text_output_stays_short_for_many_findings(small_raw_copy: Path) -> None:
    broken_cells = _break_every_rating(small_raw_copy)
    result = _validate(str(small_raw_copy), "--no-images")
    assert result.exit_code == 1
    assert broken_cells > 200
    assert len(result.stdout.splitlines()) < 200
    assert "more" in result.stdout  # the cut is announced, not silent


def test_layouts_give_the_same_findings(small_tree: SynthInfo) -> None:
    as_repo = json.loads(_validate(str(small_tree.root.parent), "--no-images", "--format", "json").stdout)
    as_data = json.loads(_validate(str(small_tree.root), "--no-images", "--format", "json").stdout)
    assert as_repo["findings"] == as_data["findings"]


def test_max_values_bounds_what_one_file_may_hold(small_raw_copy: Path) -> None:
    result = _validate(str(small_raw_copy), "--no-images", "--max-values", "200", "--format", "json")
    assert result.exit_code == 1
    too_large = {f["file"] for f in json.loads(result.stdout)["findings"] if f["code"] == "file.too-large"}
    # the rating files hold 6 rows of 47 cells: past 200; the mapping's 2 columns of 76 rows are not
    assert SEEKER in too_large and "supplements/catalogue_mapping.csv" not in too_large
    default = _validate(str(small_raw_copy), "--no-images", "--format", "json")
    assert not [f for f in json.loads(default.stdout)["findings"] if f["code"] == "file.too-large"]


def test_max_file_mb_bounds_the_size_of_one_text_file(small_raw_copy: Path) -> None:
    with (small_raw_copy / SEEKER).open("ab") as handle:
        handle.write(b"\n" * (2**20 + 1))  # blank lines: still a valid file, now over 1 MiB
    result = _validate(str(small_raw_copy), "--no-images", "--max-file-mb", "1", "--format", "json")
    assert result.exit_code == 1
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "file.too-large"]
    assert [f["file"] for f in found] == [SEEKER]
    assert _validate(str(small_raw_copy), "--no-images", "--max-file-mb", "2").exit_code == 0
