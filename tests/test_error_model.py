"""One error model at every entry point: the machine refusing (disk full, read-only or unwritable output,
permission denied) is a clear message naming the path and exit 2, never a traceback, and leaves no partial
output; output files follow the umask; text output escapes control characters in names; build refuses an
output inside the raw tree, or anything in the way of the release folder, before doing any work; and
--max-findings never lets warnings crowd out errors."""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gallery.trees import SEEKER, read_rows, write_rows

import vogue_pack.release.build as build_module
from vogue_pack import fsutil
from vogue_pack.cli import cli
from vogue_pack.validate import pipeline


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


# --- file modes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_atomic_writes_follow_the_umask(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        fsutil.atomic_write_text(tmp_path / "out.txt", "x")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")  # what open() gives: the reference
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_report_and_html_follow_the_umask(small_raw_copy: Path, tmp_path: Path, umask_027: None) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = _run("validate", str(small_raw_copy), "--no-images", "--report", str(out / "r.json"),
                  "--html", str(out / "r.html"))
    assert result.exit_code == 0, result.output
    for name in ("r.json", "r.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o640, name


def test_release_files_follow_the_umask(small_raw_copy: Path, tmp_path: Path, umask_027: None) -> None:
    out = tmp_path / "releases"
    result = _run("build", str(small_raw_copy), "--version", "1.0", "--out", str(out), "--no-cache")
    assert result.exit_code == 0, result.output
    release = out / "1.0"
    assert stat.S_IMODE(release.stat().st_mode) == 0o750
    modes = {stat.S_IMODE(p.stat().st_mode) for p in release.rglob("*") if p.is_file()}
    assert modes == {0o640}, modes


# --- the machine refuses ----------------------------------------------------------------------------------

def _no_space(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_report_onto_a_full_disk_is_exit_2_and_leaves_nothing(small_raw_copy: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle: object) -> None:
            self.handle = handle

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()  # type: ignore[attr-defined]

        def fileno(self) -> int:
            return self.handle.fileno()  # type: ignore[attr-defined, no-any-return]

        def write(self, _data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fsutil.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    out = tmp_path / "out"
    out.mkdir()
    result = _run("validate", str(small_raw_copy), "--no-images", "--report", str(out / "report.json"))
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr and "Traceback" not in result.output
    assert list(out.iterdir()) == []  # neither the report nor its temporary


def test_report_into_an_unwritable_folder_is_exit_2_naming_the_path(small_raw_copy: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path / "ro"))

    monkeypatch.setattr(fsutil.tempfile, "mkstemp", refuse)  # as root, a chmod'ed folder would not refuse
    result = _run("validate", str(small_raw_copy), "--no-images", "--report", str(tmp_path / "ro" / "r.json"))
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'ro'}: Permission denied" in result.stderr
    assert "Traceback" not in result.output


def test_build_onto_a_full_disk_is_exit_2_and_leaves_no_partial_release(small_raw_copy: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    writes = {"n": 0}
    real_write = build_module._ReleaseWriter.write

    def write_then_fail(self: build_module._ReleaseWriter, rel: str, data: bytes) -> None:
        writes["n"] += 1
        if writes["n"] > 3:  # a few files in: the disk fills up in the middle of the release
            _no_space()
        real_write(self, rel, data)

    monkeypatch.setattr(build_module._ReleaseWriter, "write", write_then_fail)
    out = tmp_path / "releases"
    result = _run("build", str(small_raw_copy), "--version", "1.0", "--out", str(out), "--no-cache")
    assert result.exit_code == 2, result.output
    assert "cannot write the release" in result.stderr and "No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert list(out.iterdir()) == []  # the temporary release folder is gone too


def test_a_real_full_disk_if_a_tmpfs_can_be_mounted(small_raw_copy: Path, tmp_path: Path) -> None:
    """The same on a real 2 MB filesystem (needs root and tmpfs; DuckDB reports the failure its own way)."""
    import subprocess

    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the monkeypatched test above covers the logic")
    try:
        result = _run("build", str(small_raw_copy), "--version", "1.0", "--out", str(mount), "--no-cache")
        assert result.exit_code == 2, result.output
        assert "No space left on device" in result.stderr and "Traceback" not in result.output
        assert list(mount.iterdir()) == []
        # the same filesystem read-only: build and validate --report refuse with the path, exit 2
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        result = _run("build", str(small_raw_copy), "--version", "1.0", "--out", str(mount), "--no-cache")
        assert result.exit_code == 2 and "Read-only file system" in result.stderr, result.output
        result = _run("validate", str(small_raw_copy), "--no-images", "--report", str(mount / "r.json"))
        assert result.exit_code == 2 and "Read-only file system" in result.stderr, result.output
        assert str(mount) in result.stderr and "Traceback" not in result.output
    finally:
        subprocess.run(["umount", str(mount)], check=False)


# --- build refuses before any work --------------------------------------------------------------------------

@pytest.fixture
def validate_must_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("validation ran before the refusal")

    monkeypatch.setattr(pipeline, "validate", fail)


def test_build_refuses_out_inside_the_raw_tree_before_work(small_raw_copy: Path,
                                                           validate_must_not_run: None) -> None:
    for out in (small_raw_copy / "release", small_raw_copy, small_raw_copy.parent / "releases"):
        result = _run("build", str(small_raw_copy.parent), "--version", "1.0", "--out", str(out))
        assert result.exit_code == 2, result.output
        assert "inside the raw tree" in result.stderr
    assert not (small_raw_copy / "release").exists()


@pytest.mark.parametrize("obstacle", ["file", "link", "dangling link"])
def test_build_refuses_something_in_the_way_of_the_release_before_work(
        small_raw_copy: Path, tmp_path: Path, obstacle: str, validate_must_not_run: None) -> None:
    out = tmp_path / "releases"
    out.mkdir()
    target = out / "1.0"
    if obstacle == "file":
        target.write_text("not a release")
    elif obstacle == "link":
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere")
    else:
        target.symlink_to(tmp_path / "nothing")
    result = _run("build", str(small_raw_copy), "--version", "1.0", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert str(target) in result.stderr  # "in the way", or for a link to a folder "already exists"
    assert os.path.lexists(target)  # left as it was


def test_build_refuses_an_out_that_is_a_file_before_work(small_raw_copy: Path, tmp_path: Path,
                                                         validate_must_not_run: None) -> None:
    out = tmp_path / "releases"
    out.write_text("a file")
    result = _run("build", str(small_raw_copy), "--version", "1.0", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert out.read_text() == "a file"


# --- text output and the findings limit ----------------------------------------------------------------------

def test_control_characters_in_names_are_escaped_in_text_and_kept_in_json(small_raw_copy: Path) -> None:
    name = "notes\x1b[2J\rforged line.md"
    (small_raw_copy / "metadata" / name).write_text("x", encoding="utf-8")
    text = _run("validate", str(small_raw_copy), "--no-images")
    assert "\x1b" not in text.stdout and "\r" not in text.stdout
    assert "metadata/notes\\x1b[2J\\x0dforged line.md" in text.stdout
    document = json.loads(_run("validate", str(small_raw_copy), "--no-images", "--format", "json").stdout)
    assert f"metadata/{name}" in {f["file"] for f in document["findings"]}


def test_errors_are_kept_ahead_of_many_warnings(small_raw_copy: Path) -> None:
    extra = small_raw_copy / "supplements" / "extra"
    extra.mkdir()
    for number in range(300):
        (extra / f"unknown_{number}.bin").write_bytes(b"x")  # 300 tree.unknown-file warnings
    rows = read_rows(small_raw_copy / SEEKER)
    column = rows[0].index("item_1")
    rows[1][column] = "9"  # one error
    write_rows(small_raw_copy / SEEKER, rows)
    result = _run("validate", str(small_raw_copy), "--no-images", "--max-findings", "20", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    summary = document["summary"]
    kept_errors = [f for f in document["findings"] if f["severity"] == "error"]
    assert summary["errors_dropped"] == 0 and len(kept_errors) == summary["errors"] >= 1
    assert ("schema.value", SEEKER, 2, "item_1") in {(f["code"], f["file"], f["row"], f["column"])
                                                     for f in kept_errors}
    # the counts are exact: the notice is not a finding
    warnings = summary["warnings"]
    assert len(document["findings"]) == 20
    assert summary["warnings_dropped"] == warnings - (20 - len(kept_errors))
    assert warnings >= 300
