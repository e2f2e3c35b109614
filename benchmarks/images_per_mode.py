"""CPU cost of ``decode_and_hash`` per image mode against the bare decode (the floor), for one checkout.

    python benchmarks/images_per_mode.py FOLDER [--repeats 5]
    PYTHONPATH=/path/to/older/checkout python benchmarks/images_per_mode.py FOLDER   # the old code

For each mode found among the PNG and JPEG files of FOLDER: the best of ``repeats`` CPU times per image of
``decode_and_hash(data, "phash", 8)`` (every check, hash, mirror hash and colour grid) and of the bare
decode the checks need anyway (``Image.open(...).load()``; for JPEG after the same ``draft``). The bytes
are read into memory first, so the file system is not timed. Prints Markdown.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from PIL import Image

from vogue_pack.images.inspect import decode_and_hash


def _best(repeats: int, work: list[bytes], one: object) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for data in work:
            one(data)  # type: ignore[operator]
        best = min(best, (time.process_time() - started) / len(work) * 1000)
    return best


def _bare(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    if image.format == "JPEG":
        image.draft("L" if image.mode == "L" else "RGB", (32, 32))
    image.load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=int, default=300, help="at most this many files per group")
    args = parser.parse_args()
    groups: dict[str, list[bytes]] = {}
    for path in sorted(args.folder.iterdir()):
        if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
            data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                key = f"{image.format} {image.mode}"
            if len(groups.setdefault(key, [])) < args.limit:
                groups[key].append(data)
    print("| images | count | decode_and_hash CPU ms | bare decode CPU ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for key, work in sorted(groups.items()):
        ours = _best(args.repeats, work, lambda d: decode_and_hash(d, "phash", 8))
        floor = _best(args.repeats, work, _bare)
        print(f"| {key} | {len(work)} | {ours:.2f} | {floor:.2f} | {ours / floor:.2f} |")


if __name__ == "__main__":
    main()
