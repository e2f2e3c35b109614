"""Labelled near-duplicate image sets: synthetic product shots, known transformations, look-alike siblings.

    python benchmarks/images_synth.py OUT [--families 250] [--per-family 4] [--copies 0.3] [--size 800x1000]
                                          [--png N]

writes OUT/images/item_{id}.png (and .jpg for the format change) and OUT/labels.csv in the format of
``vogue-pack dedupe --evaluate`` (docs/dedup.md): every duplicate pair (all pairs of a product's group:
the original and its transformed copies) labelled ``duplicate`` with the transformation of the copy,
and every pair of distinct products of one family (same garment cut, other colour or pattern: the
look-alikes a catalogue really holds) labelled ``distinct``. Deterministic for a seed. With ``--png N``
only N PNGs (spread evenly over the ids) stay PNG and every other image is re-encoded as JPEG quality
90, as a shop's catalogue mostly is: ``--families 615 --png 200`` is the 3,200-image set of
docs/benchmarks.md (3,000 JPEG, 200 PNG).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

TRANSFORMS = ("resize", "recompress", "crop", "brightness", "flip", "watermark", "format")
GARMENTS = ("shirt", "coat", "dress", "trousers", "shoe", "bag")


@dataclass(frozen=True)
class Family:
    """A garment cut and photo set-up shared by look-alike products (same cut, other colours)."""

    garment: str
    width: float  # fraction of the canvas
    length: float
    sleeve: float
    offset: tuple[float, float]
    scale: float
    angle: float  # degrees
    background: tuple[int, int]  # top and bottom of the studio gradient
    panels: tuple[tuple[float, float, float, float], ...]  # colour-blocked bands (y0, y1, x0, x1)
    folds: tuple[tuple[float, float], ...]  # (x position, strength) of soft vertical folds


def _family(rng: np.random.Generator) -> Family:
    top = int(rng.integers(215, 256))
    panels = tuple((float(y0), float(y0 + rng.uniform(0.05, 0.25)), float(rng.uniform(0, 0.4)),
                    float(rng.uniform(0.6, 1.0)))
                   for y0 in rng.uniform(0.1, 0.8, int(rng.integers(0, 3))))
    folds = tuple((float(x), float(rng.uniform(-0.25, 0.25))) for x in rng.uniform(0.2, 0.8, 3))
    return Family(
        garment=str(rng.choice(GARMENTS)),
        width=float(rng.uniform(0.4, 0.7)),
        length=float(rng.uniform(0.5, 0.8)),
        sleeve=float(rng.uniform(0.05, 0.3)),
        offset=(float(rng.uniform(-0.1, 0.1)), float(rng.uniform(-0.08, 0.08))),
        scale=float(rng.uniform(0.7, 1.1)),
        angle=float(rng.uniform(-10, 10)),
        background=(top, int(np.clip(top + rng.integers(-30, 10), 180, 255))),
        panels=panels,
        folds=folds,
    )


def _silhouette(family: Family, w: int, h: int) -> list[tuple[float, float]]:
    outline = _outline(family, w, h)
    cx, cy = w / 2, h / 2
    angle = np.deg2rad(family.angle)
    cos, sin, k = np.cos(angle), np.sin(angle), family.scale
    return [(cx + k * ((x - cx) * cos - (y - cy) * sin), cy + k * ((x - cx) * sin + (y - cy) * cos))
            for x, y in outline]


def _outline(family: Family, w: int, h: int) -> list[tuple[float, float]]:
    cx, top = w * (0.5 + family.offset[0]), h * (0.12 + family.offset[1])
    bw, bl, sl = w * family.width / 2, h * family.length, w * family.sleeve
    g = family.garment
    if g in ("shirt", "coat"):
        return [(cx - bw * 0.45, top), (cx + bw * 0.45, top), (cx + bw, top + bl * 0.1),
                (cx + bw + sl, top + bl * (0.55 if g == "coat" else 0.35)),
                (cx + bw + sl * 0.6, top + bl * (0.6 if g == "coat" else 0.4)), (cx + bw * 0.9, top + bl * 0.3),
                (cx + bw * 0.9, top + bl), (cx - bw * 0.9, top + bl), (cx - bw * 0.9, top + bl * 0.3),
                (cx - bw - sl * 0.6, top + bl * (0.6 if g == "coat" else 0.4)),
                (cx - bw - sl, top + bl * (0.55 if g == "coat" else 0.35)), (cx - bw, top + bl * 0.1)]
    if g == "dress":
        return [(cx - bw * 0.35, top), (cx + bw * 0.35, top), (cx + bw * 0.5, top + bl * 0.35),
                (cx + bw * 1.1, top + bl), (cx - bw * 1.1, top + bl), (cx - bw * 0.5, top + bl * 0.35)]
    if g == "trousers":
        return [(cx - bw * 0.7, top), (cx + bw * 0.7, top), (cx + bw * 0.8, top + bl),
                (cx + bw * 0.1, top + bl), (cx, top + bl * 0.3), (cx - bw * 0.1, top + bl),
                (cx - bw * 0.8, top + bl)]
    if g == "shoe":
        base = top + bl * 0.8
        return [(cx - bw, base), (cx - bw, base - bl * 0.25), (cx - bw * 0.4, base - bl * 0.3),
                (cx - bw * 0.2, base - bl * 0.55), (cx + bw * 0.2, base - bl * 0.55),
                (cx + bw * 0.3, base - bl * 0.2), (cx + bw * 1.1, base - bl * 0.1), (cx + bw * 1.1, base)]
    # bag
    return [(cx - bw, top + bl * 0.35), (cx + bw, top + bl * 0.35), (cx + bw * 0.9, top + bl),
            (cx - bw * 0.9, top + bl)]


def render_product(family: Family, seed: int, size: tuple[int, int]) -> Image.Image:
    """One product: the family's silhouette in its own colour and pattern, shadow, fabric texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    gradient = np.linspace(family.background[0], family.background[1], h, dtype=np.float32)
    image = Image.fromarray(np.repeat(gradient[:, None, None], w, axis=1).repeat(3, axis=2).astype(np.uint8))
    bg = family.background[1]
    outline = _silhouette(family, w, h)
    # Soft shadow under the object.
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).polygon([(x + w * 0.015, y + h * 0.015) for x, y in outline], fill=70)
    shadow = shadow.filter(ImageFilter.BoxBlur(max(2, w // 60)))
    image.paste((bg - 60,) * 3, (0, 0), shadow)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    if family.garment == "bag":
        ImageDraw.Draw(mask).arc([w * 0.35, h * 0.15, w * 0.65, h * 0.55], 180, 360, fill=255,
                                 width=max(3, w // 60))
    colour = tuple(int(v) for v in rng.integers(20, 235, 3))
    second = tuple(int(v) for v in rng.integers(20, 235, 3))
    fabric = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(fabric)
    pattern = rng.choice(["solid", "solid", "stripes", "checks", "dots"])
    step = int(rng.integers(max(6, w // 40), max(8, w // 12)))
    if pattern == "stripes":
        for x in range(-h, w, step * 2):
            draw.polygon([(x, 0), (x + step, 0), (x + step + h * 0.3, h), (x + h * 0.3, h)], fill=second)
    elif pattern == "checks":
        for x in range(0, w, step * 2):
            draw.rectangle([x, 0, x + step // 2, h], fill=second)
        for y in range(0, h, step * 2):
            draw.rectangle([0, y, w, y + step // 2], fill=second)
    elif pattern == "dots":
        for x in range(0, w, step * 2):
            for y in range(0, h, step * 2):
                draw.ellipse([x, y, x + step * 0.7, y + step * 0.7], fill=second)
    # Colour-blocked panels (yoke, hem band...): the cut's own, in this product's third colour.
    third = tuple(int(v) for v in rng.integers(20, 235, 3))
    for y0, y1, x0, x1 in family.panels:
        draw.rectangle([w * x0, h * y0, w * x1, h * y1], fill=third)
    # Details: buttons or a pocket, placed per product.
    for _ in range(int(rng.integers(0, 5))):
        x, y = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.3, 0.8)
        r = w * 0.012
        draw.ellipse([x - r, y - r, x + r, y + r], fill=second)
    if rng.random() < 0.5:
        x, y = w * rng.uniform(0.3, 0.55), h * rng.uniform(0.45, 0.7)
        draw.rectangle([x, y, x + w * 0.12, y + h * 0.08], outline=second, width=max(2, w // 200))
    # Fabric texture: low-amplitude noise, and shading from the light.
    noise = rng.normal(0, 9, (h // 8 + 1, w // 8 + 1)).astype(np.float32)
    noise_img = Image.fromarray(noise).resize(size, Image.Resampling.BILINEAR)
    xs = np.linspace(0, 1, w, dtype=np.float32)
    shade = np.linspace(1.08, 0.88, w, dtype=np.float32)
    for x, strength in family.folds:  # soft folds of the fabric
        shade = shade * (1 + strength * np.exp(-((xs - x) / 0.04) ** 2))
    shade = shade[None, :, None]
    pixels = np.asarray(fabric, dtype=np.float32) * shade + np.asarray(noise_img)[..., None]
    fabric = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    image.paste(fabric, (0, 0), mask)
    return image


def transform(image: Image.Image, name: str, rng: np.random.Generator) -> tuple[Image.Image, str, str]:
    """A transformed copy: ``(image, file extension, description of the parameters)``."""
    w, h = image.size
    if name == "resize":
        scale = float(rng.choice([0.4, 0.6, 0.8, 1.25, 1.5]))
        return image.resize((round(w * scale), round(h * scale)), Image.Resampling.BICUBIC), ".png", f"x{scale}"
    if name == "recompress":
        quality = int(rng.integers(40, 76))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), ".png", f"jpeg q{quality}"
    if name == "crop":
        share = float(rng.uniform(0.03, 0.08))
        left, top = rng.uniform(0, share) * w, rng.uniform(0, share) * h
        box = (round(left), round(top), round(w - (share * w - left)), round(h - (share * h - top)))
        return image.crop(box), ".png", f"{share:.1%} per axis"
    if name == "brightness":
        factor = float(rng.choice([0.75, 0.85, 1.15, 1.3]))
        return ImageEnhance.Brightness(image).enhance(factor), ".png", f"x{factor}"
    if name == "flip":
        return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ".png", "horizontal"
    if name == "watermark":
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        corner = int(rng.integers(0, 4))
        bw, bh = w * 0.3, h * 0.08
        x = w * 0.05 if corner % 2 == 0 else w * 0.65
        y = h * 0.05 if corner < 2 else h * 0.87
        draw.rectangle([x, y, x + bw, y + bh], fill=(30, 30, 30, 110))
        for k in range(6):
            draw.line([x + bw * k / 6, y + bh * 0.2, x + bw * (k + 0.6) / 6, y + bh * 0.8],
                      fill=(255, 255, 255, 200), width=max(2, w // 150))
        return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"), ".png", f"corner {corner}"
    if name == "format":
        return image, ".jpg", "JPEG q90"
    raise ValueError(name)


def make_set(out: Path, families: int = 250, per_family: int = 4, copies: float = 0.3,
             size: tuple[int, int] = (800, 1000), seed: int = 0, png: int | None = None) -> dict[str, int]:
    """Write the image set and labels.csv under ``out``; return counts."""
    rng = np.random.default_rng(seed)
    folder = out / "images"
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[int, int, str, str]] = []
    next_id = 1
    n_images = 0
    transforms = itertools.cycle(TRANSFORMS)
    for f in range(families):
        family = _family(rng)
        members: list[int] = []
        for p in range(per_family):
            # Product photos of one shop vary in size a little.
            jitter = float(rng.uniform(0.85, 1.15))
            product_size = (round(size[0] * jitter), round(size[1] * jitter))
            image = render_product(family, seed * 1_000_003 + f * 1000 + p, product_size)
            item = next_id
            next_id += 1
            image.save(folder / f"item_{item}.png", compress_level=1)
            n_images += 1
            members.append(item)
            group = [(item, "original")]
            n_copies = math.floor(copies) + (1 if rng.random() < copies - math.floor(copies) else 0)
            for _ in range(n_copies):
                name = next(transforms)
                copy, ext, params = transform(image, name, rng)
                copy_id = next_id
                next_id += 1
                if ext == ".jpg":
                    copy.convert("RGB").save(folder / f"item_{copy_id}.jpg", quality=90)
                else:
                    copy.save(folder / f"item_{copy_id}.png", compress_level=1)
                n_images += 1
                group.append((copy_id, f"{name} ({params})"))
            for (a, ta), (b, tb) in itertools.combinations(group, 2):
                label = tb.split(" ")[0] if ta == "original" else "copy-to-copy"
                rows.append((a, b, "duplicate", label))
        for a, b in itertools.combinations(members, 2):
            rows.append((a, b, "distinct", "same family"))
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_a", "item_b", "label", "transform"])
        writer.writerows(rows)
    if png is not None:
        _keep_png(folder, png)
    return {"images": n_images, "duplicate_pairs": sum(r[2] == "duplicate" for r in rows),
            "distinct_pairs": sum(r[2] == "distinct" for r in rows)}


def _keep_png(folder: Path, keep: int) -> None:
    """Re-encode every PNG but ``keep`` of them (evenly spread over the ids) as JPEG quality 90."""
    pngs = sorted(folder.glob("item_*.png"), key=lambda p: int(p.stem.split("_")[1]))
    step = max(1, len(pngs) // max(keep, 1))
    kept = set(pngs[::step][:keep]) if keep else set()
    for path in pngs:
        if path not in kept:
            with Image.open(path) as image:
                image.convert("RGB").save(path.with_suffix(".jpg"), quality=90)
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--families", type=int, default=250)
    parser.add_argument("--per-family", type=int, default=4)
    parser.add_argument("--copies", type=float, default=0.3, help="transformed copies per product (mean)")
    parser.add_argument("--size", default="800x1000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", type=int, default=None, help="keep only this many PNGs; the rest become JPEG")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    print(make_set(args.out, args.families, args.per_family, args.copies, (w, h), args.seed, args.png))


if __name__ == "__main__":
    main()
