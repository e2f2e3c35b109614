"""Image integrity checks, facts, hashes, the content-addressed cache and job independence."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw

from vogue_pack.errors import UsageError
from vogue_pack.images import inspect as images_mod
from vogue_pack.images.inspect import ImageOptions, InspectStats, decode_and_hash, inspect_images, phash_bits
from vogue_pack.raw.model import TABLES

REPO = Path(__file__).resolve().parent.parent


def product(seed: int, size: tuple[int, int] = (72, 96)) -> Image.Image:
    """A small synthetic 'product shot': coloured shapes on a light background."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, (245, 245, 240))
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(5):
        x, y = int(rng.integers(0, w - 10)), int(rng.integers(0, h - 10))
        box = [x, y, x + int(rng.integers(8, w // 2)), y + int(rng.integers(8, h // 2))]
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def png_bytes(image: Image.Image, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def with_ihdr_size(data: bytes, width: int, height: int) -> bytes:
    """A PNG whose header claims another size (CRC fixed): how a bomb looks before decoding."""
    out = bytearray(data)
    out[16:24] = struct.pack(">II", width, height)
    out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))
    return bytes(out)


def entry(tmp_path: Path, item_id: int, data: bytes | None = None, name: str | None = None,
          ) -> tuple[int, str, Path]:
    name = name or f"item_{item_id}.png"
    path = tmp_path / "metadata" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        path.write_bytes(data)
    return item_id, f"metadata/{name}", path


def run(entries: list[tuple[int, str, Path]], tmp_path: Path, **kwargs: object):
    options = ImageOptions(cache_dir=tmp_path / "cache", **kwargs)  # type: ignore[arg-type]
    return inspect_images(entries, options)


def test_good_image_facts(tmp_path: Path) -> None:
    image = product(1)
    data = png_bytes(image)
    table, findings = run([entry(tmp_path, 3, data)], tmp_path)
    assert findings == []
    assert table.schema.equals(TABLES["images"].schema)
    row = table.to_pylist()[0]
    assert row["item_id"] == 3 and row["path"] == "metadata/item_3.png"
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert row["bytes"] == len(data)
    assert (row["format"], row["width"], row["height"], row["mode"]) == ("PNG", 72, 96, "RGB")
    assert row["hash_algorithm"] == "phash"
    assert row["hash"] == str(imagehash.phash(image))
    assert row["hash_mirror"] == str(imagehash.phash(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    assert row["ok"] is True


def _truncated(tmp_path: Path) -> bytes:
    data = png_bytes(product(2, (200, 200)))
    return data[: len(data) // 2]


def _bad_crc(tmp_path: Path) -> bytes:
    data = bytearray(png_bytes(product(3)))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # a flipped byte inside the compressed pixels
    return bytes(data)


def _jpeg(tmp_path: Path) -> bytes:
    buffer = io.BytesIO()
    product(4).save(buffer, format="JPEG")
    return buffer.getvalue()


def _apng(tmp_path: Path) -> bytes:
    return png_bytes(product(5), save_all=True, append_images=[product(6)])


def _animated_gif_named_png(tmp_path: Path) -> bytes:
    buffer = io.BytesIO()
    frames = [product(k, (300, 280)).convert("P") for k in range(3)]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


INTEGRITY_CASES = {
    "zero bytes": (lambda _: b"", "image.empty"),
    "truncated": (_truncated, "image.decode"),
    "bad chunk CRC": (_bad_crc, "image.decode"),
    "JPEG named .png": (_jpeg, "image.signature"),
    "text named .png": (lambda _: b"not an image at all", "image.signature"),
    "bomb (over twice the limit)": (lambda _: with_ihdr_size(png_bytes(product(7)), 10_000, 10_000),
                                    "image.bomb"),
    "bomb (over the limit)": (lambda _: with_ihdr_size(png_bytes(product(7)), 7_000, 7_000), "image.bomb"),
    "animated PNG": (_apng, "image.animated"),
    "animated PNG, large": (lambda _: png_bytes(product(5, (400, 300)), save_all=True,
                                                append_images=[product(6, (400, 300))]), "image.animated"),
    "tiny": (lambda _: png_bytes(product(8).resize((8, 8))), "image.size"),
}


@pytest.mark.parametrize("case", sorted(INTEGRITY_CASES))
def test_integrity_failure_is_one_finding(tmp_path: Path, case: str) -> None:
    make, code = INTEGRITY_CASES[case]
    good = entry(tmp_path, 1, png_bytes(product(1)))
    bad = entry(tmp_path, 2, make(tmp_path))
    table, findings = run([bad, good], tmp_path)
    assert [(f.code, f.file, f.keys) for f in findings] == [(code, "metadata/item_2.png", {"item_id": 2})]
    assert findings[0].severity.value == "error"
    rows = table.to_pylist()
    assert [r["item_id"] for r in rows] == [1, 2]
    assert [r["ok"] for r in rows] == [True, False]
    assert rows[1]["bytes"] == bad[2].stat().st_size


def test_unreadable_file(tmp_path: Path) -> None:
    bad = entry(tmp_path, 4)
    bad[2].mkdir()  # a directory where the image should be: reading it fails (even as root)
    table, findings = run([bad], tmp_path)
    assert [(f.code, f.file, f.keys) for f in findings] == [
        ("tree.unreadable", "metadata/item_4.png", {"item_id": 4})]
    row = table.to_pylist()[0]
    assert row["ok"] is False and row["sha256"] is None and row["hash"] is None


def test_facts_of_failed_images(tmp_path: Path) -> None:
    jpeg = entry(tmp_path, 1, _jpeg(tmp_path))
    truncated = entry(tmp_path, 2, _truncated(tmp_path))
    table, _ = run([jpeg, truncated], tmp_path)
    rows = {r["item_id"]: r for r in table.to_pylist()}
    # A JPEG under a .png name still decodes: its facts and hash are known.
    assert rows[1]["format"] == "JPEG" and rows[1]["hash"] is not None and rows[1]["ok"] is False
    # A truncated PNG has a header (format, size) but no hash.
    assert (rows[2]["format"], rows[2]["width"]) == ("PNG", 200)
    assert rows[2]["hash"] is None and rows[2]["hash_mirror"] is None


def test_other_extensions_checked_by_their_own_signature(tmp_path: Path) -> None:
    jpeg = entry(tmp_path, 1, _jpeg(tmp_path), name="shoe.jpg")
    png_as_jpg = entry(tmp_path, 2, png_bytes(product(2)), name="boot.jpeg")
    _, findings = run([jpeg, png_as_jpg], tmp_path)
    assert [(f.code, f.file, f.value, f.expected) for f in findings] == [
        ("image.signature", "metadata/boot.jpeg", "PNG", "JPEG")]


@pytest.mark.parametrize("hash_size", [4, 8, 16])
def test_numpy_phash_is_bit_identical_to_imagehash(hash_size: int) -> None:
    rng = np.random.default_rng(hash_size)
    for seed in range(40):
        image = product(seed, (int(rng.integers(40, 300)), int(rng.integers(40, 300))))
        small = np.asarray(image.convert("L").resize((hash_size * 4,) * 2, Image.Resampling.LANCZOS))
        expected = imagehash.phash(image, hash_size=hash_size).hash
        assert np.array_equal(phash_bits(small, hash_size), expected), seed


def test_hex_and_median_shortcuts_equal_the_reference() -> None:
    """bits_to_hex (packed bytes) is imagehash's text and _median (a sort) is np.median, for every size
    from 1 to 300 bits or values, odd and even, with ties."""
    rng = np.random.default_rng(7)
    for n in range(1, 301):
        bits = rng.random(n) > 0.5
        assert images_mod.bits_to_hex(bits) == str(imagehash.ImageHash(bits)), n
        values = rng.integers(0, 6, n) * 1.37 + rng.random(n) * (n % 3 == 0)
        assert images_mod._median(values) == np.median(values), n


@pytest.mark.parametrize(("algorithm", "function"), [
    ("ahash", imagehash.average_hash), ("dhash", imagehash.dhash), ("whash", imagehash.whash)])
def test_other_algorithms_match_imagehash(algorithm: str, function: object) -> None:
    for seed in range(10):
        image = product(seed, (64 + 7 * seed, 80))
        facts = decode_and_hash(png_bytes(image), algorithm, 8)
        assert facts["hash"] == str(function(image, hash_size=8)), seed  # type: ignore[operator]


def test_phash_does_not_import_scipy() -> None:
    code = ("import sys, io\nfrom PIL import Image\nfrom vogue_pack.images.inspect import decode_and_hash\n"
            "b = io.BytesIO(); Image.new('RGB', (64, 64), (9, 99, 199)).save(b, 'PNG')\n"
            "decode_and_hash(b.getvalue(), 'phash', 8)\nprint('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


def test_jpeg_draft_stays_close_to_full_decode() -> None:
    for seed in range(10):
        image = product(seed, (480, 640))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        drafted = decode_and_hash(buffer.getvalue(), "phash", 8)["hash"]
        full = imagehash.phash(Image.open(io.BytesIO(buffer.getvalue())))
        assert imagehash.hex_to_hash(drafted) - full <= 4, seed


def test_mirrored_copy_hash_is_the_mirror_hash(tmp_path: Path) -> None:
    image = product(11)
    flipped = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    table, _ = run([entry(tmp_path, 1, png_bytes(image)), entry(tmp_path, 2, png_bytes(flipped))], tmp_path)
    a, b = table.to_pylist()
    assert a["hash"] != b["hash"]
    assert a["hash_mirror"] == b["hash"] and b["hash_mirror"] == a["hash"]


def test_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    on_white = product(12)
    cutout = on_white.convert("RGBA")
    pixels = np.asarray(cutout).copy()
    background = (pixels[..., :3] == (245, 245, 240)).all(axis=-1)
    pixels[background] = (0, 0, 0, 0)  # transparent, with black hidden behind
    table, findings = run([entry(tmp_path, 1, png_bytes(Image.fromarray(pixels))),
                           entry(tmp_path, 2, png_bytes(on_white.point(
                               lambda v: v).convert("RGB")))], tmp_path)
    a, b = table.to_pylist()
    assert findings == [] and a["mode"] == "RGBA"
    assert imagehash.hex_to_hash(a["hash"]) - imagehash.hex_to_hash(b["hash"]) <= 4


def test_rows_sorted_by_item_id_whatever_the_input_order(tmp_path: Path) -> None:
    entries = [entry(tmp_path, i, png_bytes(product(i))) for i in (5, 1, 9, 3)]
    table, _ = run(entries, tmp_path)
    again, _ = run(list(reversed(entries)), tmp_path, use_cache=False)
    assert table.column("item_id").to_pylist() == [1, 3, 5, 9]
    assert table.equals(again)


def test_results_do_not_depend_on_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A pool that costs nothing to start: used after the second of 22 small images.
    monkeypatch.setattr(images_mod, "POOL_START_S", {"fork": 0.0, "forkserver": 0.0, "spawn": 0.0})
    entries = [entry(tmp_path, i, png_bytes(product(i))) for i in range(20)]
    entries.append(entry(tmp_path, 20, b""))
    entries.append(entry(tmp_path, 21, _truncated(tmp_path)))
    stats_one, stats_two = InspectStats(), InspectStats()
    one = inspect_images(entries, ImageOptions(jobs=1, use_cache=False), stats=stats_one)
    two = inspect_images(entries[::-1], ImageOptions(jobs=2, use_cache=False), stats=stats_two)
    assert (stats_one.jobs, stats_two.jobs) == (1, 2)
    assert one[0].equals(two[0])
    assert [f.to_dict() for f in one[1]] == [f.to_dict() for f in two[1]]


class _CountingHasher:
    """Counts the hash computations (images decoded and checked on every run; hashed only on a miss)."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = images_mod._reduce

    def __call__(self, *args: object) -> object:
        self.calls += 1
        return self.real(*args)  # type: ignore[arg-type]


def test_cache_hit_means_no_hashing_but_every_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _CountingHasher()
    monkeypatch.setattr(images_mod, "_reduce", counter)
    entries = [entry(tmp_path, i, png_bytes(product(i))) for i in range(4)]
    entries.append(entry(tmp_path, 4, _truncated(tmp_path)))
    cold, cold_findings = run(entries, tmp_path)
    assert counter.calls == 4  # the truncated image never reaches the hash
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 4  # no entry for a failed image
    stats = InspectStats()
    warm, warm_findings = inspect_images(entries, ImageOptions(cache_dir=tmp_path / "cache"), stats=stats)
    assert counter.calls == 4 and (stats.decoded, stats.cache_hits) == (5, 4)
    assert warm.equals(cold) and warm_findings == cold_findings
    assert [f.code for f in warm_findings] == ["image.decode"]  # found again, not remembered
    # Another algorithm or size is another key.
    run(entries, tmp_path, algorithm="dhash")
    assert counter.calls == 8
    # A changed file is hashed again; the unchanged ones are not.
    entries[0][2].write_bytes(png_bytes(product(100)))
    run(entries, tmp_path)
    assert counter.calls == 9


def test_cache_holds_derived_values_only(tmp_path: Path) -> None:
    data = png_bytes(product(1))
    run([entry(tmp_path, 1, data)], tmp_path)
    [path] = (tmp_path / "cache").rglob("*.json")
    stored = json.loads(path.read_text())
    assert set(stored) == {"cache_format", "versions", "sha256", "bytes", "algorithm", "hash_size",
                           "hash", "hash_mirror", "colour"}
    assert (stored["sha256"], stored["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))


def _hostile_entries(good: dict[str, object], other: dict[str, object]) -> dict[str, object]:
    """Entry contents an attacker or a crash can leave: each must be a miss (bytes, or a JSON value)."""
    return {
        "garbage": b"\x00garbage",
        "empty": b"",
        "a list": [1, 2],
        "width as text": {**good, "hash": "wide"},
        "negative hash": {**good, "hash": "-1"},
        "short hash": {**good, "hash": good["hash"][:-1]},  # type: ignore[index]
        "upper-case hash": {**good, "hash": str(good["hash"]).upper() + "Z"},
        "no colour": {k: v for k, v in good.items() if k != "colour"},
        "a verdict smuggled in": {**good, "problems": []},
        "old format": {**good, "cache_format": "3"},
        "other versions": {**good, "versions": "0" * 12},
        "other algorithm": {**good, "algorithm": "dhash"},
        "other hash size": {**good, "hash_size": 16},
        "hash size as float": {**good, "hash_size": 8.0},
        "other size": {**good, "bytes": int(good["bytes"]) + 1},  # type: ignore[call-overload]
        "size as bool": {**good, "bytes": True},
        "copied from another file": other,
        "nested 100,000 levels": b"[" * 100_000 + b"]" * 100_000,
        "nested object 100,000 levels": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "nested under the right keys": {**good, "hash": [[[[["x"]]]]]},
        "huge": {**good, "pad": "x" * 1_000_000},
        "not UTF-8": b'{"hash": "\xff\xfe"}',
        "NaN": b'{"bytes": NaN}',
        "huge integer": b'{"bytes": ' + b"9" * 5000 + b"}",
    }


@pytest.mark.parametrize("case", sorted(_hostile_entries({"hash": "0", "bytes": 0}, {})))
def test_hostile_cache_entries_are_misses(tmp_path: Path, case: str) -> None:
    data, other_data = png_bytes(product(1)), png_bytes(product(2))
    entries = [entry(tmp_path, 1, data), entry(tmp_path, 2, other_data)]
    cold, _ = run(entries, tmp_path)
    by_sha = {json.loads(p.read_text())["sha256"]: p for p in (tmp_path / "cache").rglob("*.json")}
    target = by_sha[hashlib.sha256(data).hexdigest()]
    good = json.loads(target.read_text())
    other = json.loads(by_sha[hashlib.sha256(other_data).hexdigest()].read_text())
    content = _hostile_entries(good, other)[case]
    target.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    stats = InspectStats()
    again = inspect_images(entries, ImageOptions(cache_dir=tmp_path / "cache"), stats=stats)
    assert (stats.cache_hits, again[1]) == (1, [])  # only the untouched entry was used
    assert again[0].equals(cold)


@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink to /dev/zero", "symlink to a good entry"])
def test_cache_entry_that_is_not_a_regular_file_is_a_miss(tmp_path: Path, kind: str) -> None:
    import os

    data = png_bytes(product(1))
    entries = [entry(tmp_path, 1, data), entry(tmp_path, 2, png_bytes(product(2)))]
    cold, _ = run(entries, tmp_path)
    by_sha = {json.loads(p.read_text())["sha256"]: p for p in (tmp_path / "cache").rglob("*.json")}
    target = by_sha.pop(hashlib.sha256(data).hexdigest())
    [other] = by_sha.values()
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)  # reading it would block forever
    elif kind == "folder":
        target.mkdir()
    elif kind == "symlink to /dev/zero":
        target.symlink_to("/dev/zero")
    else:
        target.symlink_to(other)
    stats = InspectStats()
    again = inspect_images(entries, ImageOptions(cache_dir=tmp_path / "cache"), stats=stats)
    assert stats.cache_hits == 1 and again[0].equals(cold) and again[1] == []


def test_good_entry_forged_for_a_truncated_png_cannot_make_it_pass(tmp_path: Path) -> None:
    """The attack of the cache: a good image's entry copied under the truncated image's key, and
    rewritten to claim its SHA-256 and size. The checks never read the cache: still an image.decode."""
    good = entry(tmp_path, 1, png_bytes(product(2, (200, 200))))
    bad = entry(tmp_path, 2, _truncated(tmp_path))
    run([good], tmp_path)
    [source] = (tmp_path / "cache").rglob("*.json")
    forged = json.loads(source.read_text())
    bad_sha = hashlib.sha256(bad[2].read_bytes()).hexdigest()
    forged.update(sha256=bad_sha, bytes=bad[2].stat().st_size)
    target = images_mod._cache_path(str(tmp_path / "cache"), bad_sha, "phash", 8)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(forged))
    table, findings = run([good, bad], tmp_path)
    assert [(f.code, f.file) for f in findings] == [("image.decode", "metadata/item_2.png")]
    assert table.to_pylist()[1]["ok"] is False and table.to_pylist()[1]["hash"] is None


def test_unwritable_cache_is_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    stats = InspectStats()
    table, findings = inspect_images([entry(tmp_path, 1, png_bytes(product(1)))],
                                     ImageOptions(cache_dir=tmp_path / "cache"), stats=stats)
    assert findings == [] and table.column("ok").to_pylist() == [True]
    assert stats.cache_writes_failed == 1


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    run([entry(tmp_path, 1, png_bytes(product(1)))], tmp_path, use_cache=False)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("bad", [{"algorithm": "md5"}, {"hash_size": 1}, {"algorithm": "whash", "hash_size": 6},
                                 {"threshold": -1}, {"jobs": 0}])
def test_bad_options_are_usage_errors(tmp_path: Path, bad: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        run([], tmp_path, **bad)


def test_animated_gif_named_png_is_named_animated_and_not_png(tmp_path: Path) -> None:
    table, findings = run([entry(tmp_path, 1, _animated_gif_named_png(tmp_path))], tmp_path)
    assert [(f.code, f.value, f.expected) for f in findings] == [
        ("image.signature", "GIF", "PNG"), ("image.animated", 3, 1)]
    assert "3 frames" in findings[1].message
    assert table.to_pylist()[0]["format"] == "GIF"


@pytest.mark.parametrize(("fmt", "extra"), [("PNG", 28_000), ("PNG", 1), ("JPEG", 28_000), ("JPEG", 3)])
def test_data_after_the_end_is_a_warning_with_its_size(tmp_path: Path, fmt: str, extra: int) -> None:
    buffer = io.BytesIO()
    product(3, (300, 200)).save(buffer, format=fmt)
    clean = buffer.getvalue()
    name = "item_1.png" if fmt == "PNG" else "item_1.jpg"
    table, findings = run([entry(tmp_path, 1, clean + bytes(range(256)) * (extra // 256) + b"\x07" * (extra % 256),
                                 name=name)], tmp_path)
    assert [(f.code, f.severity.value, f.value) for f in findings] == [("image.trailing-data", "warning", extra)]
    assert f"{extra:,} bytes after the end of the {fmt} image" in findings[0].message
    row = table.to_pylist()[0]
    assert row["ok"] is True and row["hash"] is not None  # a warning: the image itself is sound
    # The same image without the extra bytes hashes the same (the hash is of the pixels).
    clean_table, clean_findings = run([entry(tmp_path, 2, clean, name="item_2" + name[6:])], tmp_path)
    assert clean_findings == [] and clean_table.to_pylist()[0]["hash"] == row["hash"]


def test_end_of_image_found_by_structure_not_by_searching() -> None:
    buffer = io.BytesIO()
    product(3, (120, 90)).save(buffer, format="PNG")
    png = buffer.getvalue()
    assert images_mod.png_end(png) == len(png)
    assert images_mod.png_end(png + b"IEND" * 3) == len(png)
    assert images_mod.png_end(png[:-1]) is None  # IEND cut short: the decoder reports it
    buffer = io.BytesIO()
    product(3, (120, 90)).save(buffer, format="JPEG", progressive=True, restart_marker_rows=1)
    jpeg = buffer.getvalue()
    assert images_mod.jpeg_end(jpeg) == len(jpeg)
    assert images_mod.jpeg_end(jpeg + b"\xff\xd9\xff\xd9") == len(jpeg)
    assert images_mod.jpeg_end(jpeg[:-2]) is None


def test_poisoned_cache_cannot_get_a_truncated_image_into_a_release(small_raw_copy: Path, tmp_path: Path) -> None:
    """``build`` uses the cache by default. A good image's entry planted under the key of a truncated
    copy (claiming its SHA-256 and size) changes nothing: validate fails and no release is written."""
    from click.testing import CliRunner

    from vogue_pack.cli import cli as main

    cache = tmp_path / "cache"
    image = small_raw_copy / "metadata" / "item_20.png"
    good_sha = hashlib.sha256(image.read_bytes()).hexdigest()
    out = tmp_path / "release"
    runner = CliRunner()
    first = runner.invoke(main, ["validate", str(small_raw_copy), "--cache-dir", str(cache)])
    assert first.exit_code == 0, first.output
    [source] = cache.rglob(f"{good_sha}-*.json")
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2])
    bad_sha = hashlib.sha256(image.read_bytes()).hexdigest()
    forged = json.loads(source.read_text())
    forged.update(sha256=bad_sha, bytes=len(data) // 2)
    target = source.parent.parent / bad_sha[:2] / source.name.replace(good_sha, bad_sha)
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(forged))
    build = ["build", str(small_raw_copy), "--out", str(out), "--version", "1.0"]
    for command in (["validate", str(small_raw_copy)], build):
        result = runner.invoke(main, [*command, "--cache-dir", str(cache)])
        assert result.exit_code == 1, result.output
        assert "image.decode" in result.output and "metadata/item_20.png" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_decode_messages_carry_no_object_reprs(tmp_path: Path) -> None:
    """Pillow names the file object in some errors; the finding's message must be the same every run."""
    messages = []
    for _ in range(2):
        _, findings = run([entry(tmp_path, 1, b"GIF89a" + bytes(64))], tmp_path, use_cache=False)
        messages.append([f.message for f in findings])
    assert messages[0] == messages[1]
    assert not any(" at 0x" in m for m in messages[0]), messages
