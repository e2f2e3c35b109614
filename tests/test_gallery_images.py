"""The gallery's image cases: each planted image fault gives its exact finding; each valid mode passes.

Runs tests/gallery/image_faults.py on private copies of the clean 6-conversation tree, with the same
assertions as tests/test_gallery.py: exact code, severity, file and value; an error fault makes the tree
invalid, a warning fault adds no error; validate never writes into the tree it reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gallery import run_validate
from gallery.image_faults import IMAGE_GALLERY, IMAGE_PASSES
from gallery.trees import tree_fingerprint

from vogue_pack.report.findings import Severity


@pytest.mark.parametrize("name", sorted(IMAGE_GALLERY))
def test_image_fault_is_reported_exactly(name: str, small_raw_copy: Path) -> None:
    root = small_raw_copy
    expect = IMAGE_GALLERY[name](root)
    before = tree_fingerprint(root.parent)
    report = run_validate(root, images=True).report
    assert tree_fingerprint(root.parent) == before, "validate wrote into the raw tree"
    hits = [f for f in report.findings if expect.matches(f)]
    assert hits, f"{name}: expected {expect}; got {[f.to_dict() for f in report.findings if f.file == expect.file]}"
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if expect.severity == "error":
        assert not report.ok
    else:
        assert errors == [], "a warning fault must add no error"


@pytest.mark.parametrize("name", sorted(IMAGE_PASSES))
def test_valid_image_mode_passes(name: str, small_raw_copy: Path) -> None:
    file = IMAGE_PASSES[name](small_raw_copy)
    validation = run_validate(small_raw_copy, images=True)
    assert [f.to_dict() for f in validation.report.findings if f.file == file] == []
    assert validation.report.ok
    row = [r for r in validation.tables["images"].to_pylist() if r["raw_path"] == file]
    assert row and row[0]["ok"] and row[0]["hash"] is not None
