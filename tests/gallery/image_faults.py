"""Image faults for the gallery: planters that change ONE image of a copy of the clean synthetic tree.

Kept apart from ``faults.GALLERY`` (tests/test_gallery_images.py runs them with the same assertions),
together with valid images that must pass: a palette PNG made by converting an RGB image to P, 16-bit
grey, bilevel (tree images are ``.png``, so only PNG modes here; JPEG modes are in
tests/test_image_modes.py).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from gallery.faults import Expect
from gallery.trees import rel

IMAGE_GALLERY: dict[str, Callable[[Path], Expect]] = {}
# planters that leave a valid image: validate must report nothing about the file
IMAGE_PASSES: dict[str, Callable[[Path], str]] = {}


def _bad(func: Callable[[Path], Expect]) -> Callable[[Path], Expect]:
    IMAGE_GALLERY[func.__name__] = func
    return func


def _good(func: Callable[[Path], str]) -> Callable[[Path], str]:
    IMAGE_PASSES[func.__name__] = func
    return func


def _image(root: Path, item_id: int) -> Path:
    return root / "metadata" / f"item_{item_id}.png"


@_bad
def image_data_after_iend(root: Path) -> Expect:
    path = _image(root, 22)
    path.write_bytes(path.read_bytes() + b"\x00hidden" * 4000)
    return Expect("image.trailing-data", rel(root, path), severity="warning", value=28_000)


@_bad
def image_animated_gif_named_png(root: Path) -> Expect:
    path = _image(root, 23)
    with Image.open(path) as image:
        first = image.convert("RGB")
    frames = [first.convert("P"), first.rotate(90).convert("P"), first.rotate(180).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    path.write_bytes(buffer.getvalue())
    return Expect("image.animated", rel(root, path), value=3)


@_bad
def image_gif_named_png_is_not_png(root: Path) -> Expect:
    expect = image_animated_gif_named_png(root)
    return Expect("image.signature", expect.file, value="GIF")


@_bad
def image_apng(root: Path) -> Expect:
    path = _image(root, 24)
    with Image.open(path) as image:
        first = image.convert("RGB")
    buffer = io.BytesIO()
    first.save(buffer, format="PNG", save_all=True, append_images=[first.rotate(180)])
    path.write_bytes(buffer.getvalue())
    return Expect("image.animated", rel(root, path), value=2)


@_bad
def image_header_claims_a_bomb(root: Path) -> Expect:
    path = _image(root, 25)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", 30_000, 30_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return Expect("image.bomb", rel(root, path))


@_bad
def image_truncated_inside_iend(root: Path) -> Expect:
    path = _image(root, 26)
    path.write_bytes(path.read_bytes()[:-6])
    return Expect("image.decode", rel(root, path))


@_good
def image_palette_png_of_a_palette_conversion(root: Path) -> str:
    """The issue's case: Image.open(p).convert('RGB').convert('P').save(p)."""
    path = _image(root, 20)
    Image.open(path).convert("RGB").convert("P").save(path)
    return rel(root, path)


@_good
def image_sixteen_bit_grey(root: Path) -> str:
    path = _image(root, 21)
    with Image.open(path) as image:
        grey = np.asarray(image.convert("L"), dtype=np.uint16)
    Image.fromarray(grey * 257).save(path)
    return rel(root, path)


@_good
def image_bilevel(root: Path) -> str:
    path = _image(root, 27)
    Image.open(path).convert("1").save(path)
    return rel(root, path)
