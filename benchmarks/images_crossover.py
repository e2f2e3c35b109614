"""Where the image pool starts to pay: in-process vs a 2-worker pool, by the bytes to decode.

    python benchmarks/images_crossover.py [--tree /tmp/vogue-crossover] [--repeats 5] [--json out.json]

On the images of a synthetic tree (``vogue-pack synth``: 76 PNGs of 300..900 px, L, RGB and RGBA), for
growing prefixes of the sorted images, times ``inspect_images`` cold (no cache) in the calling process
in a fork-started pool of 2 from the first image (start-up and shutdown included), and as
``inspect_images`` decides by default (in process until the pool pays, then the pool), in a process that
has imported the whole validate pipeline first (pyarrow, DuckDB, pandas: a fork copies its page tables,
so the start-up is measured as validate pays it). The pool's overhead is the pool's time less the
in-process time shared by two workers; ``POOL_START_S["fork"]`` in vogue_pack/images/inspect.py holds
it. Prints Markdown for docs/benchmarks.md ("Pool crossover").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import vogue_pack.validate.pipeline  # noqa: F401 - the imports validate has made before it inspects images
from vogue_pack.images import inspect as images_mod
from vogue_pack.images.inspect import ImageOptions, InspectStats, inspect_images


def _tree(path: Path) -> list[tuple[int, str, Path]]:
    if not path.exists():
        from vogue_pack.synth import write_tree

        write_tree(path, conversations=60, seed=0)
    metadata = next(p for p in (path / "data" / "metadata", path / "metadata") if p.is_dir())
    files = sorted(metadata.glob("item_*.png"), key=lambda p: int(p.stem.split("_")[1]))
    return [(int(p.stem.split("_")[1]), f"metadata/{p.name}", p) for p in files]


Entries = list[tuple[int, str, Path]]


def _in_process(entries: Entries) -> float:
    started = time.perf_counter()
    inspect_images(entries, ImageOptions(use_cache=False, jobs=1))
    return time.perf_counter() - started


def _adaptive(entries: Entries) -> tuple[float, int]:
    stats = InspectStats()
    started = time.perf_counter()
    inspect_images(entries, ImageOptions(use_cache=False, jobs=2), stats=stats)
    return time.perf_counter() - started, stats.jobs


def _pool(entries: Entries) -> float:
    """A pool of 2 from the first image, as inspect_images runs one (same tasks, same chunking)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    tasks = [(i, str(path), "phash", 8, None) for i, (_, _, path) in enumerate(sorted(entries))]
    workers = min(2, len(tasks))
    chunksize = max(1, min(32, len(tasks) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(images_mod.inspect_file, tasks, chunksize=chunksize))
    return time.perf_counter() - started


def _empty_pool() -> float:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(abs, [1, 2]))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=Path("/tmp/vogue-crossover"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    entries = _tree(args.tree)
    _in_process(entries[:8])  # warm the imports and the page cache
    empty = statistics.median(_empty_pool() for _ in range(args.repeats))
    rows = []
    for count in (1, 2, 4, 6, 8, 12, 16, 24, 32, 48, len(entries)):
        subset = entries[:count]
        size = sum(p.stat().st_size for _, _, p in subset)
        inproc, pooled, adaptive, workers = [], [], [], []
        for _ in range(args.repeats):  # alternate, so load on the shared machine hits all alike
            inproc.append(_in_process(subset))
            pooled.append(_pool(subset))
            seconds, used = _adaptive(subset)
            adaptive.append(seconds)
            workers.append(used)
        rows.append({"images": count, "bytes": size, "in_process_s": statistics.median(inproc),
                     "pool_s": statistics.median(pooled), "default_s": statistics.median(adaptive),
                     "default_workers": max(set(workers), key=workers.count)})
    for r in rows:
        r["pool_overhead_s"] = r["pool_s"] - r["in_process_s"] / 2
    overhead = statistics.median(r["pool_overhead_s"] for r in rows if r["images"] >= 4)
    per_image = rows[-1]["in_process_s"] / rows[-1]["images"]
    crossover = next((r for r in rows if all(q["pool_s"] < q["in_process_s"] for q in rows
                                             if q["images"] >= r["images"])), None)
    print(f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}; {len(entries)} images of `vogue-pack synth` "
          f"seed 0 (cold, no cache); median of {args.repeats} alternating runs.\n")
    print(f"Empty fork pool of 2 (start, one task each, stop): {empty * 1000:.0f} ms. Pool overhead on real "
          f"work (pool time less half the in-process time, median from 4 images on): {overhead * 1000:.0f} ms "
          f"(`POOL_START_S['fork']` = {images_mod.POOL_START_S['fork'] * 1000:.0f} ms). In process: "
          f"{per_image * 1000:.1f} ms per image.\n")
    print("| images | bytes | in process s | pool of 2 s | pool / in process | default s (workers) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['images']} | {r['bytes']:,} | {r['in_process_s']:.3f} | {r['pool_s']:.3f} | "
              f"{r['pool_s'] / r['in_process_s']:.2f} | {r['default_s']:.3f} ({r['default_workers']}) |")
    if crossover is None:
        print("\nThe pool never won on this tree.")
    else:
        work = crossover["images"] * per_image * 1000
        print(f"\nCrossover: a pool from the first image is faster from {crossover['images']} images "
              f"({crossover['bytes']:,} bytes, ~{work:.0f} ms of in-process work) on.")
    if args.json:
        args.json.write_text(json.dumps({"empty_pool_s": empty, "overhead_s": overhead, "rows": rows,
                                         "crossover": crossover}, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
