"""The image-mode matrix: every mode PNG and JPEG allow decodes, passes and hashes deterministically.

Each image is made here: with Pillow in every mode it writes (and both formats where legal), and with a
small PNG writer of our own for the colour type / bit depth pairs Pillow cannot write (2- and 4-bit grey,
16-bit RGB(A) and grey + alpha, tRNS on every colour type that allows it). Each size is taken twice, a
small one and one large enough to go through the box pre-reduction. The fast hashing path (alpha pasted
onto white, greyscale colour grid reduced before it becomes RGB) is compared bit for bit with the plain
pipeline built from Pillow's reference operations.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vogue_pack.images import inspect as images_mod
from vogue_pack.images.inspect import ImageOptions, InspectStats, decode_and_hash, inspect_images

SIZES = {"small": (48, 40), "large": (300, 260)}


def scene(size: tuple[int, int]) -> Image.Image:
    """An RGBA picture with colour, gradients and every alpha from 0 to 255 (a cut-out product shot)."""
    w, h = size
    x = np.linspace(0, 255, w)[None, :]
    y = np.linspace(0, 255, h)[:, None]
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[..., 0] = (x + 0 * y).astype(np.uint8)
    rgba[..., 1] = (y + 0 * x).astype(np.uint8)
    rgba[..., 2] = ((x + y) / 2).astype(np.uint8)
    rgba[..., 3] = (x * 0.7 + y * 0.3).astype(np.uint8)
    image = Image.fromarray(rgba, "RGBA")
    draw = ImageDraw.Draw(image)
    draw.ellipse([w // 5, h // 5, w * 3 // 5, h * 4 // 5], fill=(200, 30, 60, 255))
    draw.rectangle([w // 2, h // 8, w * 7 // 8, h // 2], fill=(20, 160, 90, 128))
    return image


def _save(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _grey16(size: tuple[int, int]) -> Image.Image:
    grey = np.asarray(scene(size).convert("L"), dtype=np.uint16)
    return Image.fromarray(grey * 257 + 3)  # full 16-bit range, mode I;16


def _palette_with_transparency(size: tuple[int, int]) -> Image.Image:
    image = scene(size).convert("RGB").convert("P")
    image.info["transparency"] = 0
    return image


def _palette_of_palette_png(size: tuple[int, int]) -> bytes:
    """The issue's case: ``Image.open(p).convert('RGB').convert('P').save(p)`` on an RGB PNG."""
    first = _save(scene(size).convert("RGB"), "PNG")
    return _save(Image.open(io.BytesIO(first)).convert("RGB").convert("P"), "PNG")


# Made with Pillow: (format, how) for every mode it writes.
PILLOW_CASES: dict[str, Callable[[tuple[int, int]], bytes]] = {
    "PNG 1": lambda s: _save(scene(s).convert("1"), "PNG"),
    "PNG L": lambda s: _save(scene(s).convert("L"), "PNG"),
    "PNG LA": lambda s: _save(scene(s).convert("LA"), "PNG"),
    "PNG P": lambda s: _save(scene(s).convert("RGB").convert("P"), "PNG"),
    "PNG P adaptive": lambda s: _save(scene(s).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
    "PNG P of a palette PNG": _palette_of_palette_png,
    "PNG P with tRNS index": lambda s: _save(_palette_with_transparency(s), "PNG", transparency=0),
    "PNG P with tRNS alpha table (RGBA quantised)": lambda s: _save(scene(s).quantize(64), "PNG"),
    "PNG RGB": lambda s: _save(scene(s).convert("RGB"), "PNG"),
    "PNG RGB with tRNS": lambda s: _save(scene(s).convert("RGB"), "PNG", transparency=(200, 30, 60)),
    "PNG L with tRNS": lambda s: _save(scene(s).convert("L"), "PNG", transparency=0),
    "PNG RGBA": lambda s: _save(scene(s), "PNG"),
    "PNG I;16": lambda s: _save(_grey16(s), "PNG"),
    "PNG RGB interlaced-free optimised": lambda s: _save(scene(s).convert("RGB"), "PNG", optimize=True),
    "JPEG L": lambda s: _save(scene(s).convert("L"), "JPEG"),
    "JPEG 1 (written as L)": lambda s: _save(scene(s).convert("1"), "JPEG"),
    "JPEG RGB": lambda s: _save(scene(s).convert("RGB"), "JPEG", quality=90),
    "JPEG RGB 4:4:4": lambda s: _save(scene(s).convert("RGB"), "JPEG", subsampling=0),
    "JPEG RGB progressive": lambda s: _save(scene(s).convert("RGB"), "JPEG", progressive=True),
    "JPEG RGB restart markers": lambda s: _save(scene(s).convert("RGB"), "JPEG", restart_marker_blocks=1),
    "JPEG CMYK": lambda s: _save(scene(s).convert("CMYK"), "JPEG"),
    "JPEG RGB with EXIF and thumbnail": lambda s: _jpeg_with_exif_thumbnail(s),
}


def _jpeg_with_exif_thumbnail(size: tuple[int, int]) -> bytes:
    """A JPEG whose APP1 segment holds a whole second JPEG (its own SOI..EOI): not the end of the file."""
    thumbnail = _save(scene((16, 16)).convert("RGB"), "JPEG")
    exif = b"Exif\x00\x00" + thumbnail  # opaque to the decoder; what matters is the embedded EOI
    body = _save(scene(size).convert("RGB"), "JPEG")
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return body[:2] + app1 + body[2:]


def png_raw(samples: np.ndarray, colour_type: int, bit_depth: int, *, palette: bytes | None = None,
            trns: bytes | None = None) -> bytes:
    """A PNG written from raw samples (filter 0, no interlace): any legal colour type and bit depth."""
    height, width = samples.shape[:2]
    flat = samples.reshape(height, -1).astype(np.uint32)
    rows = []
    for row in flat:
        if bit_depth == 16:
            raw = row.astype(">u2").tobytes()
        elif bit_depth == 8:
            raw = row.astype(np.uint8).tobytes()
        else:
            bits = (row[:, None] >> np.arange(bit_depth - 1, -1, -1)) & 1
            raw = np.packbits(bits.astype(np.uint8).ravel()).tobytes()
        rows.append(b"\x00" + raw)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type,
                                                            0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", palette)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


def _raw_case(colour_type: int, bit_depth: int, with_trns: bool) -> Callable[[tuple[int, int]], bytes]:
    def make(size: tuple[int, int]) -> bytes:
        rgba = np.asarray(scene(size), dtype=np.uint32)
        top = (1 << bit_depth) - 1
        scale = lambda v: (v * top + 127) // 255  # noqa: E731 - 8-bit values to the bit depth
        grey = scale(np.asarray(scene(size).convert("L"), dtype=np.uint32))
        palette = trns = None
        if colour_type == 0:
            samples = grey
            trns = struct.pack(">H", int(grey[0, 0])) if with_trns else None
        elif colour_type == 2:
            samples = scale(rgba[..., :3])
            trns = struct.pack(">HHH", *(int(v) for v in samples[0, 0])) if with_trns else None
        elif colour_type == 3:
            levels = 1 << bit_depth
            samples = grey * (levels - 1) // max(top, 1)
            palette = b"".join(bytes((k * 255 // (levels - 1), 255 - k * 255 // (levels - 1), 128))
                               for k in range(levels))
            trns = bytes(k * 255 // (levels - 1) for k in range(levels)) if with_trns else None
        elif colour_type == 4:
            samples = np.stack([grey, scale(rgba[..., 3])], axis=-1)
        else:
            samples = scale(rgba)
        return png_raw(samples, colour_type, bit_depth, palette=palette, trns=trns)

    return make


# Every colour type / bit depth pair the PNG specification allows, with tRNS where it may appear.
RAW_PNG_CASES: dict[str, Callable[[tuple[int, int]], bytes]] = {}
for _type, _depths in ((0, (1, 2, 4, 8, 16)), (2, (8, 16)), (3, (1, 2, 4, 8)), (4, (8, 16)), (6, (8, 16))):
    for _depth in _depths:
        RAW_PNG_CASES[f"raw PNG type {_type} depth {_depth}"] = _raw_case(_type, _depth, False)
        if _type in (0, 2, 3):
            RAW_PNG_CASES[f"raw PNG type {_type} depth {_depth} tRNS"] = _raw_case(_type, _depth, True)

CASES = {**PILLOW_CASES, **RAW_PNG_CASES}


def reference_facts(data: bytes, algorithm: str, hash_size: int) -> tuple[str, str, str]:
    """Hash and colour grid by the plain pipeline: every step at full resolution with Pillow's reference
    operations (alpha_composite over white, colour grid converted to RGB before its reduction)."""
    image = Image.open(io.BytesIO(data))
    target = images_mod.hash_input_size(algorithm, hash_size, image.size)
    if image.format == "JPEG":
        image.draft("L" if image.mode == "L" else "RGB", target)
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    else:
        flat = images_mod._hashable(image)  # per-pixel mode conversions: the same in both pipelines
    factor = min(flat.size) // images_mod.PRE_REDUCE_MIN_SIDE
    reduced = flat.reduce(factor) if algorithm != "whash" and factor >= 2 else flat
    small = np.asarray(reduced.convert("L").resize(target, Image.Resampling.LANCZOS), dtype=np.uint8)
    rgb = reduced.convert("RGB")  # the grid is taken from the pre-reduced image
    if max(rgb.size) > 64:
        rgb = rgb.reduce(max(1, max(rgb.size) // 64))
    grid = np.asarray(rgb.resize((4, 4), Image.Resampling.BOX), dtype=np.uint8).tobytes().hex()
    return (*images_mod.hash_pair(small, algorithm, hash_size), grid)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_mode_passes_and_hashes_deterministically(case: str, size: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    data = CASES[case](SIZES[size])
    facts = decode_and_hash(data, "phash", 8)
    assert facts["problems"] == [], (case, Image.open(io.BytesIO(data)).mode)
    assert facts["mode"] in images_mod.ALLOWED_MODES
    assert (facts["width"], facts["height"]) == SIZES[size]
    assert facts["hash"] is not None and len(facts["hash"]) == 16 and facts["colour"] is not None
    assert decode_and_hash(data, "phash", 8) == facts  # same bytes, same facts
    # The fast path equals the plain full-resolution pipeline, bit for bit.
    assert (facts["hash"], facts["hash_mirror"], facts["colour"]) == reference_facts(data, "phash", 8)
    # Through inspect_images, cold and cached, in process and in the pool: one answer.
    suffix = ".jpg" if data[:2] == b"\xff\xd8" else ".png"
    entries = []
    for item in (1, 2, 3, 4):
        path = tmp_path / f"item_{item}{suffix}"
        path.write_bytes(data)
        entries.append((item, path.name, path))
    # A pool that costs nothing to start: jobs=2 hands the last two images to two workers.
    monkeypatch.setattr(images_mod, "POOL_START_S", {"fork": 0.0, "forkserver": 0.0, "spawn": 0.0})
    monkeypatch.setattr(images_mod, "POOL_MIN_IMAGES", 2)
    rows = []
    for jobs, cache in ((1, True), (1, True), (2, False)):
        stats = InspectStats()
        table, findings = inspect_images(entries, ImageOptions(jobs=jobs, cache_dir=tmp_path / "cache",
                                                               use_cache=cache), stats=stats)
        assert findings == [] and stats.jobs == jobs
        rows.append(table.to_pylist())
    assert rows[0] == rows[1] == rows[2]
    assert rows[0][0]["hash"] == facts["hash"] and rows[0][0]["ok"] is True


@pytest.mark.parametrize("algorithm", ["dhash", "ahash", "whash"])
@pytest.mark.parametrize("case", ["PNG RGBA", "PNG LA", "PNG P with tRNS index", "PNG L", "raw PNG type 4 depth 16"])
def test_other_algorithms_equal_the_plain_pipeline(case: str, algorithm: str) -> None:
    for size in SIZES.values():
        data = CASES[case](size)
        facts = decode_and_hash(data, algorithm, 8)
        assert (facts["hash"], facts["hash_mirror"], facts["colour"]) == reference_facts(data, algorithm, 8)


def test_flatten_equals_alpha_composite_for_every_value_and_alpha() -> None:
    """The paste through the alpha band is alpha_composite over white for all 256 x 256 (value, alpha)
    pairs: each output channel depends on its value and the alpha alone, so this covers every image."""
    value, alpha = np.meshgrid(np.arange(256, dtype=np.uint8), np.arange(256, dtype=np.uint8))
    rgba = Image.fromarray(np.stack([value, value[::-1], value.T, alpha], axis=-1), "RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    expected = np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    assert np.array_equal(np.asarray(images_mod._flatten(rgba)), expected)
    assert np.array_equal(np.asarray(images_mod._flatten(rgba.convert("LA"))),
                          np.asarray(Image.alpha_composite(white, rgba.convert("LA").convert("RGBA")).convert("RGB")))


@pytest.mark.parametrize("size", [(64, 64), (65, 130), (200, 97), (1000, 31), (640, 480)])
def test_grey_colour_grid_reduced_before_rgb_is_the_same(size: tuple[int, int]) -> None:
    grey = scene(size).convert("L")
    rgb = grey.convert("RGB")
    if max(rgb.size) > 64:
        rgb = rgb.reduce(max(1, max(rgb.size) // 64))
    expected = np.asarray(rgb.resize((4, 4), Image.Resampling.BOX), dtype=np.uint8).tobytes().hex()
    assert images_mod._colour_grid(grey) == expected


def test_sixteen_bit_grey_hashes_as_its_high_byte() -> None:
    """16-bit grey keeps its picture (a plain convert('L') would clip everything above 255 to white)."""
    for size in SIZES.values():
        sixteen = _grey16(size)
        high = Image.fromarray((np.asarray(sixteen).astype(np.uint32) >> 8).astype(np.uint8), "L")
        a = decode_and_hash(_save(sixteen, "PNG"), "phash", 8)
        b = decode_and_hash(_save(high, "PNG"), "phash", 8)
        assert a["mode"] == "I;16" and a["hash"] == b["hash"] and a["colour"] == b["colour"]
        assert a["hash"] != "0" * 16


def test_sixteen_bit_rgb_hashes_like_its_eight_bit_copy() -> None:
    size = SIZES["large"]
    rgb8 = np.asarray(scene(size).convert("RGB"), dtype=np.uint32)
    sixteen = decode_and_hash(png_raw(rgb8 * 257, 2, 16), "phash", 8)
    eight = decode_and_hash(png_raw(rgb8, 2, 8), "phash", 8)
    assert sixteen["problems"] == [] and sixteen["hash"] == eight["hash"]


def test_a_mode_no_png_or_jpeg_carries_is_still_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "item_1.tif"
    Image.fromarray(np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64), "F").save(path)
    _, findings = inspect_images([(1, path.name, path)], ImageOptions(use_cache=False))
    assert [(f.code, f.value) for f in findings] == [("image.mode", "F")]


def test_compositing_stays_at_full_resolution() -> None:
    """Why alpha is flattened before the box reduction, not after: under 8-bit rounding the two orders
    differ (here one 2x1 box: 255 composited then averaged, 254 averaged then composited), so a
    composite at the hash's resolution would change colour grids and hashes."""
    pair = Image.fromarray(np.array([[[0, 0, 0, 1], [255, 255, 255, 0]]], dtype=np.uint8), "RGBA")
    composited_first = np.asarray(images_mod._flatten(pair).reduce((2, 1)))
    reduced_first = np.asarray(images_mod._flatten(pair.reduce((2, 1))))
    assert composited_first.tolist() == [[[255, 255, 255]]]
    assert reduced_first.tolist() == [[[254, 254, 254]]]
