"""Image inspection in a thread pool: the same table and findings as in one thread, in the same order.

Pillow's limits and the bomb-warning filter are process-wide and ``warnings.catch_warnings`` is not
thread-safe, so they are set once around the whole run; a bomb, a truncated file and every other broken
image must still give exactly the findings of a serial run when several threads decode at once.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from PIL import Image, ImageFile
from test_images import INTEGRITY_CASES, entry, png_bytes, product, with_ihdr_size

from vogue_pack.images import inspect as images_mod
from vogue_pack.images.inspect import ImageOptions, InspectStats, inspect_images


def _jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    product(seed, (160, 120)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _mixed_set(tmp_path: Path) -> list[tuple[int, str, Path]]:
    """Good images of several modes interleaved with every broken kind, bombs among them several times
    (so that threads decode bombs and good images at the same moment)."""
    blobs: list[tuple[bytes, str]] = []
    for k in range(12):
        blobs.append((png_bytes(product(k, (120, 90))), ".png"))
        blobs.append((png_bytes(product(k + 50, (90, 120)).convert("RGBA")), ".png"))
        blobs.append((_jpeg(k + 100), ".jpg"))
        blobs.append((png_bytes(product(k + 200).convert("L")), ".png"))
        blobs.append((with_ihdr_size(png_bytes(product(k + 300)), 7_000, 7_000), ".png"))  # warning bomb
    for case in sorted(INTEGRITY_CASES):
        make, _code = INTEGRITY_CASES[case]
        for _ in range(2):
            blobs.append((make(tmp_path), ".png"))
    blobs.append((png_bytes(product(400)) + b"trailing payload", ".png"))
    # A good image first: the first image is always inspected in the calling thread.
    return [entry(tmp_path, item, data, name=f"item_{item}{suffix}")
            for item, (data, suffix) in enumerate(blobs, start=1)]


def _run(entries: list[tuple[int, str, Path]], executor: str, jobs: int, cache: Path | None = None):
    stats = InspectStats()
    options = ImageOptions(jobs=jobs, use_cache=cache is not None, cache_dir=cache)
    table, findings = inspect_images(entries, options, stats=stats, executor=executor)
    return table, [f.to_dict() for f in findings], stats


def test_thread_pool_gives_the_serial_results(tmp_path: Path) -> None:
    entries = _mixed_set(tmp_path)
    filters_before = list(warnings.filters)
    limits_before = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    serial, serial_findings, serial_stats = _run(entries, "serial", jobs=2)
    assert (serial_stats.executor, serial_stats.jobs) == ("serial", 1)
    codes = {f["code"] for f in serial_findings}
    assert {"image.bomb", "image.decode", "image.empty", "image.signature", "image.animated",
            "image.size", "image.trailing-data"} <= codes
    for executor in ("threads", "processes"):
        for order in (entries, entries[::-1]):
            table, findings, stats = _run(order, executor, jobs=2)
            assert (stats.executor, stats.jobs) == (executor, 2)
            assert table.equals(serial), executor
            assert findings == serial_findings, executor
    assert list(warnings.filters) == filters_before  # the run's filter is gone afterwards
    assert limits_before == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)


def test_bombs_in_threads_are_findings_not_warnings(tmp_path: Path) -> None:
    entries = [entry(tmp_path, 1, png_bytes(product(1)))]
    entries += [entry(tmp_path, k, with_ihdr_size(png_bytes(product(k)), 7_000, 7_000)) for k in range(2, 12)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _table, findings, stats = _run(entries, "threads", jobs=3)
    assert stats.executor == "threads"
    assert [f["code"] for f in findings] == ["image.bomb"] * 10
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_threads_writing_the_cache_keep_the_umask(tmp_path: Path) -> None:
    # Identical images: several threads write the same entries at once.
    entries = [entry(tmp_path, k, png_bytes(product(k % 3))) for k in range(1, 25)]
    old = os.umask(0o027)
    try:
        cold, _, cold_stats = _run(entries, "threads", jobs=4, cache=tmp_path / "cache")
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)
    assert cold_stats.executor == "threads" and cold_stats.cache_writes_failed == 0
    files = [p for p in (tmp_path / "cache").rglob("*.json")]
    assert len(files) == 3
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o640}
    warm, _, warm_stats = _run(entries, "threads", jobs=4, cache=tmp_path / "cache")
    assert warm.equals(cold) and warm_stats.cache_hits == 24


def test_jobs_one_never_starts_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images_mod, "THREADS_START_S", 0.0)
    monkeypatch.setattr(images_mod, "POOL_START_S", {"fork": 0.0, "forkserver": 0.0, "spawn": 0.0})
    entries = [entry(tmp_path, k, png_bytes(product(k))) for k in range(1, 9)]
    for executor in ("auto", "threads", "processes"):
        _table, _findings, stats = _run(entries, executor, jobs=1)
        assert (stats.executor, stats.jobs) == ("serial", 1)


def test_auto_uses_threads_when_they_pay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A thread pool that costs nothing and a process pool that never pays: the rest goes to threads.
    monkeypatch.setattr(images_mod, "THREADS_START_S", 0.0)
    monkeypatch.setattr(images_mod, "POOL_START_S", {"fork": 1e9, "forkserver": 1e9, "spawn": 1e9})
    entries = [entry(tmp_path, k, png_bytes(product(k))) for k in range(1, 9)]
    serial = _run(entries, "serial", jobs=2)
    auto = _run(entries, "auto", jobs=2)
    assert (auto[2].executor, auto[2].jobs) == ("threads", 2)
    assert auto[0].equals(serial[0]) and auto[1] == serial[1]


def test_unknown_executor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="executor"):
        _run([entry(tmp_path, 1, png_bytes(product(1)))], "fibres", jobs=2)


def test_limits_are_set_once_per_run_not_per_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The filter is changed by one thread only: entered once around the pool, never per image."""
    entered = []
    real = images_mod._pillow_limits

    def counting() -> AbstractContextManager[None]:
        entered.append(1)
        return real()

    monkeypatch.setattr(images_mod, "_pillow_limits", counting)
    entries = _mixed_set(tmp_path)
    for executor in ("serial", "threads"):
        entered.clear()
        _table, _findings, stats = _run(entries, executor, jobs=2)
        assert stats.executor == executor and len(entered) == 1
