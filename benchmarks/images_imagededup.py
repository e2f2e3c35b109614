"""imagededup's side of benchmarks/bench_images.py; runs in the benchmark's own venv (torch installed).

    /work/bench-venv/bin/python benchmarks/images_imagededup.py run IMAGE_DIR [--threshold 10] [--workers 2]
    /work/bench-venv/bin/python benchmarks/images_imagededup.py search HASHES.txt [--threshold 10]

``run`` times imagededup's whole PHash duplicate search on a folder (import, encode, search) and prints
JSON with the duplicate map; ``search`` times only its search on precomputed hex hashes (one per line).
Never imported by vogue-pack, and vogue-pack never depends on imagededup.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars in the timed run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["run", "search"])
    parser.add_argument("path")
    parser.add_argument("--threshold", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    started = time.perf_counter()
    from imagededup.methods import PHash

    imported = time.perf_counter()
    hasher = PHash(verbose=False)
    if args.mode == "run":
        encodings = hasher.encode_images(image_dir=args.path, num_enc_workers=args.workers)
        encoded = time.perf_counter()
        duplicates = hasher.find_duplicates(encoding_map=encodings, max_distance_threshold=args.threshold,
                                            num_dist_workers=args.workers)
        done = time.perf_counter()
        result = {"images": len(encodings), "seconds_import": imported - started,
                  "seconds_encode": encoded - imported, "seconds_search": done - encoded,
                  "seconds_total": done - started, "duplicates": duplicates}
    else:
        with open(args.path, encoding="ascii") as handle:
            hashes = [line.strip() for line in handle if line.strip()]
        encodings = {f"h{k}": h for k, h in enumerate(hashes)}
        begin = time.perf_counter()
        duplicates = hasher.find_duplicates(encoding_map=encodings, max_distance_threshold=args.threshold,
                                            num_dist_workers=args.workers)
        done = time.perf_counter()
        pairs = sum(len(v) for v in duplicates.values()) // 2
        result = {"hashes": len(hashes), "seconds_search": done - begin, "pairs": pairs}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
