"""How far vogue-pack's fast decoding moves pHash from imagehash's full decode (docs/dedup.md).

    python benchmarks/images_draft.py IMAGE_DIR [--limit 300]

For each PNG in IMAGE_DIR: the PNG itself and a JPEG (q90) of it. Reports the Hamming distance between
vogue-pack's hash (JPEG: Image.draft; large images: box pre-reduction) and ``imagehash.phash`` of the
fully decoded image, and the CPU time per image of both.
"""

from __future__ import annotations

import argparse
import io
import time
from collections import Counter
from pathlib import Path

import imagehash
from PIL import Image

from vogue_pack.images.inspect import decode_and_hash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=300)
    args = parser.parse_args()
    pngs = sorted(args.folder.glob("*.png"))[: args.limit]
    for label in ("PNG", "JPEG q90"):
        blobs = []
        for path in pngs:
            if label == "PNG":
                blobs.append(path.read_bytes())
            else:
                buffer = io.BytesIO()
                Image.open(path).convert("RGB").save(buffer, format="JPEG", quality=90)
                blobs.append(buffer.getvalue())
        started = time.process_time()
        ours = [decode_and_hash(b, "phash", 8)["hash"] for b in blobs]
        ours_ms = 1000 * (time.process_time() - started) / len(blobs)
        started = time.process_time()
        full = [imagehash.phash(Image.open(io.BytesIO(b))) for b in blobs]
        full_ms = 1000 * (time.process_time() - started) / len(blobs)
        distances = Counter(int(imagehash.hex_to_hash(h) - f) for h, f in zip(ours, full, strict=True))
        within = {k: sum(v for d, v in distances.items() if d <= k) / len(blobs) for k in (0, 2, 4, 6)}
        print(f"{label}: {len(blobs)} images; vogue-pack {ours_ms:.1f} ms CPU/image (with checks, colour "
              f"grid, mirror hash), imagehash.phash {full_ms:.1f} ms; distance to imagehash: "
              + ", ".join(f"<= {k}: {v:.1%}" for k, v in within.items())
              + f"; max {max(distances)}")


if __name__ == "__main__":
    main()
