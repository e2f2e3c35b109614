"""One report: validate, build, stats and evaluate count the same findings; --no-images means no images;
images.path is release-relative with the raw path in images.raw_path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import copy_raw_tree
from gallery.faults import GALLERY

from vogue_pack.cli import cli
from vogue_pack.report.findings import Severity
from vogue_pack.synth import SynthInfo, write_tree
from vogue_pack.validate.expectations import expected_text


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def damaged(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rating of 7 and a removed image: a raw-file error, a cross-file error and a suite failure."""
    root = copy_raw_tree(small_tree, tmp_path_factory.mktemp("damaged") / "raw")
    GALLERY["rating_seven"](root)
    next(iter(sorted((root / "metadata").glob("item_*.png")))).unlink()
    return root


def _count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return int(found.group(1))


def test_validate_build_stats_evaluate_count_alike(damaged: Path, tmp_path: Path) -> None:
    code, out, _err = _run("validate", str(damaged), "--format", "json")
    assert code == 1
    document = json.loads(out)
    errors = document["summary"]["errors"]
    codes = {f["code"] for f in document["findings"] if f["severity"] == "error"}
    assert any(c.startswith("expect.") for c in codes), "validate runs the release expectations by default"
    assert errors >= 3

    code, _out, err = _run("build", str(damaged), "--version", "1.0", "--out", str(tmp_path / "rel"))
    assert code == 1
    assert _count(r"INVALID: (\d+) errors?", err) == errors
    for command in (("stats", str(damaged)), ("evaluate", str(damaged), "--baseline", "human")):
        _code, _out, err = _run(*command)
        assert _count(r"has (\d+) validation errors?", err) == errors, command


def test_no_expectations_is_recorded_as_switched_off(damaged: Path) -> None:
    _code, out, err = _run("validate", str(damaged), "--no-expectations", "--format", "json")
    document = json.loads(out)
    assert not any(f["code"].startswith("expect.") for f in document["findings"])
    assert "expectations" in document["context"]["checks_switched_off"]
    assert "note: switched off:" in err


def test_expectation_message_states_the_expected_value(damaged: Path) -> None:
    _code, out, _err = _run("validate", str(damaged), "--format", "json")
    suite_findings = [f for f in json.loads(out)["findings"] if f["code"].startswith("expect.")]
    assert suite_findings
    for finding in suite_findings:
        assert finding["expected"], finding
        assert f"expected {expected_text(finding['expected'])}" in finding["message"]


def test_expected_text_reads_bounds_and_sets() -> None:
    assert expected_text({"min_value": 1, "max_value": 5}) == "1..5"
    assert expected_text({"max_value": 3, "min_value": None}) == "-inf..3"
    assert expected_text({"min_value": 0, "max_value": 1, "mostly": 0.95}).endswith("at least 95% of the values")
    long = expected_text({"value_set": list(range(20))})
    assert "… 20 values" in long and "19" not in long


@pytest.fixture(scope="module")
def no_image_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("noimg"), conversations=6, seed=0, images=False).root


def test_no_images_tree_validates_and_builds_without_images(no_image_tree: Path, tmp_path: Path) -> None:
    code, out, _err = _run("validate", str(no_image_tree), "--no-images", "--format", "json")
    document = json.loads(out)
    assert code == 0, [f for f in document["findings"] if f["severity"] == "error"]
    assert not any(f["code"].startswith("image.") for f in document["findings"])
    assert "images" in document["context"]["checks_switched_off"]

    code, _out, err = _run("validate", str(no_image_tree))
    assert code == 1, "without --no-images, missing images are errors"

    code, out, err = _run("build", str(no_image_tree), "--no-images", "--version", "1.0", "--out", str(tmp_path))
    assert code == 0, err
    release = tmp_path / "1.0"
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["images"]["included"] is False and manifest["images"]["count"] == 0
    assert "images" in manifest["validation"]["switched_off"]
    assert not (release / "images").exists()
    card = (release / "README.md").read_text()
    assert "This release has no images" in card and "images/*.png" not in card
    croissant = json.loads((release / "croissant.json").read_text())
    assert not any(d.get("@id") == "image-files" for d in croissant["distribution"])
    assert pq.read_table(release / "tables" / "images.parquet").num_rows == 0
    code, _out, _err = _run("verify", str(release))
    assert code == 0


def test_verify_catches_images_entry_that_contradicts_the_table() -> None:
    from vogue_pack.release.verify import VerifyResult, _check_images_entry

    for entry, rows in (({"included": False, "count": 0}, 3), ({"included": True, "count": 2}, 3), (None, 0)):
        result = VerifyResult(path=Path("."), version="1.0")
        _check_images_entry({"images": entry} if entry is not None else {}, rows, result)
        assert result.problems, (entry, rows)
    result = VerifyResult(path=Path("."), version="1.0")
    _check_images_entry({"images": {"included": True, "count": 3}}, 3, result)
    assert not result.problems


def test_images_path_is_release_relative(small_tree: SynthInfo, tmp_path: Path) -> None:
    code, _out, err = _run("build", str(small_tree.root), "--version", "1.0", "--out", str(tmp_path))
    assert code == 0, err
    release = tmp_path / "1.0"
    images = pq.read_table(release / "tables" / "images.parquet").to_pylist()
    assert images
    for row in images:
        assert row["path"].startswith("images/") and (release / row["path"]).is_file(), row
        assert (small_tree.root / row["raw_path"]).is_file(), row
        assert (release / row["path"]).read_bytes() == (small_tree.root / row["raw_path"]).read_bytes()
    code, out, _err = _run("query", str(release), "SELECT count(*) AS n FROM items_with_images "
                           "WHERE image_path IS NOT NULL AND image_path NOT LIKE 'images/%'", "--format", "json")
    assert code == 0 and json.loads(out)[0]["n"] == 0


def test_switched_off_checks_are_never_errors(no_image_tree: Path) -> None:
    from vogue_pack.validate.pipeline import ValidateOptions, validate

    report = validate(no_image_tree, ValidateOptions(check_images=False)).report
    assert report.ok
    assert not [f for f in report.findings if f.severity is Severity.ERROR]
