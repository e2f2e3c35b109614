"""The gallery of bad raw trees: one planted fault per tree, and the exact finding each must produce.

Each case copies the clean 6-conversation synthetic tree, plants one fault (tests/gallery/faults.py) and
validates the copy. The finding must carry the exact code, severity, file and location; an error fault
must make the tree invalid, a warning fault must leave the errors of the clean tree unchanged; and
validate must never write into the tree it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gallery import run_validate
from gallery.faults import GALLERY, NEEDS_IMAGES, Expect
from gallery.trees import TRANSCRIPTS, tree_fingerprint

from vogue_pack.report.findings import Finding, Severity
from vogue_pack.synth import SynthInfo


def _error_keys(findings: list[Finding]) -> set[tuple[Any, ...]]:
    return {(f.code, f.file, f.row, f.column, f.pointer) for f in findings if f.severity is Severity.ERROR}


@pytest.fixture(scope="module")
def clean_errors(small_tree: SynthInfo) -> dict[bool, set[tuple[Any, ...]]]:
    """Error findings of the clean tree, with and without the image checks."""
    return {images: _error_keys(run_validate(small_tree.root, images=images).report.findings)
            for images in (False, True)}


def test_gallery_has_at_least_thirty_faults() -> None:
    assert len(GALLERY) >= 30


def test_clean_tree_is_valid(clean_errors: dict[bool, set[tuple[Any, ...]]]) -> None:
    assert clean_errors == {False: set(), True: set()}


@pytest.mark.parametrize("name", sorted(GALLERY))
def test_fault_is_reported_exactly(name: str, small_raw_copy: Path,
                                   clean_errors: dict[bool, set[tuple[Any, ...]]]) -> None:
    root = small_raw_copy
    expect: Expect = GALLERY[name](root)
    before = tree_fingerprint(root.parent)
    images = name in NEEDS_IMAGES
    report = run_validate(root, images=images).report

    assert tree_fingerprint(root.parent) == before, "validate wrote into the raw tree"
    assert len(report.to_json()) < 2**20, "a finding carries more than a short excerpt of the bad data"
    hits = [f for f in report.findings if expect.matches(f)]
    near = [f.to_dict() for f in report.findings if f.file == expect.file or f.code == expect.code]
    assert hits, f"{name}: expected {expect}; findings on that file or code: {near}"
    if expect.severity == "error":
        assert not report.ok
    else:
        assert _error_keys(report.findings) == clean_errors[images], "a warning fault must add no error"


def test_symlink_to_outside_file_is_never_read(small_raw_copy: Path) -> None:
    root = small_raw_copy
    expect = GALLERY["symlink_outside_root"](root)
    result = run_validate(root)
    about_link = [f for f in result.report.findings if f.file == expect.file]
    assert [f.code for f in about_link] == ["tree.symlink"]  # no json.parse: the target was not opened
    assert expect.file not in result.tree.files
    conversations = result.tables["conversations"].column("conversation_id").to_pylist()
    assert 2 not in conversations and len(conversations) == 5


def test_symlinked_folder_is_not_walked(small_raw_copy: Path) -> None:
    root = small_raw_copy
    GALLERY["symlinked_folder_outside_root"](root)
    result = run_validate(root)
    assert not any(path.startswith(TRANSCRIPTS + "/") for path in result.tree.files)
    assert result.tables["conversations"].num_rows == 0


def test_latin1_file_is_still_checked_after_the_bad_byte(small_raw_copy: Path) -> None:
    """Invalid UTF-8 is one error; the rest of the file is still read, so its rows are not lost."""
    GALLERY["latin1_bytes"](small_raw_copy)
    result = run_validate(small_raw_copy)
    rows = result.tables["rating_rows"].to_pylist()
    assistant_rows = [r for r in rows if r["role"] == "Assistant"]
    assert sorted(r["conversation_id"] for r in assistant_rows) == [1, 2, 3, 4, 5, 6]
