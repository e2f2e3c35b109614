"""The raw tree's digest: what ``sha256sum`` would print, and a tree changed since validation is refused."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from vogue_pack.errors import UsageError
from vogue_pack.raw.tree import discover
from vogue_pack.release.build import raw_tree_digest


def _listed(root: Path) -> list[str]:
    return sorted(discover(root)[0].files)


def test_digest_is_sha256_of_the_sha256sum_lines(small_raw_copy: Path) -> None:
    paths = _listed(small_raw_copy)
    lines = "".join(f"{hashlib.sha256((small_raw_copy / p).read_bytes()).hexdigest()}  {p}\n" for p in paths)
    result = raw_tree_digest(small_raw_copy, reversed(paths))
    assert result.digest == hashlib.sha256(lines.encode()).hexdigest()
    assert result.files == len(paths)
    assert result.bytes == sum((small_raw_copy / p).stat().st_size for p in paths)


def test_file_replaced_by_a_link_is_refused(small_raw_copy: Path, tmp_path: Path) -> None:
    paths = _listed(small_raw_copy)
    target = small_raw_copy / "metadata" / "item_3.json"
    secret = tmp_path / "secret.json"
    secret.write_text("{}", encoding="utf-8")
    target.unlink()
    target.symlink_to(secret)
    with pytest.raises(UsageError, match=r"metadata/item_3\.json: a link"):
        raw_tree_digest(small_raw_copy, paths)


def test_folder_replaced_by_a_link_is_refused(small_raw_copy: Path, tmp_path: Path) -> None:
    paths = _listed(small_raw_copy)
    shutil.move(small_raw_copy / "metadata", tmp_path / "elsewhere")
    (small_raw_copy / "metadata").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(UsageError, match=r"metadata/.*a link or a path outside"):
        raw_tree_digest(small_raw_copy, paths)


def test_file_replaced_by_a_pipe_or_removed_is_refused(small_raw_copy: Path) -> None:
    paths = _listed(small_raw_copy)
    target = small_raw_copy / "metadata" / "item_3.json"
    target.unlink()
    os.mkfifo(target)  # opening it must not wait for a writer
    with pytest.raises(UsageError, match="no longer a regular file"):
        raw_tree_digest(small_raw_copy, paths)
    target.unlink()
    with pytest.raises(UsageError, match="no longer in the raw tree"):
        raw_tree_digest(small_raw_copy, paths)
