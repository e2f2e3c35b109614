"""Where a pool starts to pay: in one thread, a thread pool and a process pool, by the number of images.

    python benchmarks/images_crossover.py [--tree /tmp/vogue-crossover] [--set /tmp/imgset3200]
                                          [--repeats 5] [--set-repeats 3] [--jobs 2] [--json out.json]

Times ``inspect_images`` cold (no cache) with each executor forced (``serial``; ``threads`` and
``processes``, which inspect the first image in the calling thread, as every run does, and hand the rest
to ``--jobs`` workers) and as it decides by default (``auto``), in a process that has imported the whole
validate pipeline first (pyarrow, DuckDB, pandas: a fork copies its page tables, so the process pool's
start-up is measured as validate pays it). Two image sets: growing prefixes of the 76 PNGs of a
synthetic tree (``vogue-pack synth``, seed 0: 300..900 px, L, RGB and RGBA) and, when ``--set`` exists,
of the 3,200-image set of benchmarks/images_synth.py (mostly JPEG q90, 200 PNG). Runs alternate, so load
on a shared machine hits every executor alike; the best run of each is printed (the one that found the
cores free), medians are kept in ``--json``.

From the rows it fits the constants of vogue_pack/images/inspect.py: the process pool's overhead (its
time less the in-process time shared by the workers: ``POOL_START_S["fork"]`` plus ``POOL_PER_IMAGE_S``
per image), a thread pool's start
and stop (``THREADS_START_S``) and the part of the work that holds the GIL (``THREADS_GIL_FRACTION``: n
threads take ``f + (1 - f) / n`` of the in-process time). Prints Markdown for docs/benchmarks.md
("Pool crossover").
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

Entries = list[tuple[int, str, Path]]
EXECUTORS = ("serial", "threads", "processes", "auto")


def _tree(path: Path) -> Entries:
    if not path.exists():
        from vogue_pack.synth import write_tree

        write_tree(path, conversations=60, seed=0)
    metadata = next(p for p in (path / "data" / "metadata", path / "metadata") if p.is_dir())
    files = sorted(metadata.glob("item_*.png"), key=lambda p: int(p.stem.split("_")[1]))
    return [(int(p.stem.split("_")[1]), f"metadata/{p.name}", p) for p in files]


def _set(path: Path) -> Entries:
    """The images of a benchmarks/images_synth.py set, in id order (PNGs spread evenly among them)."""
    files = sorted((p for p in (path / "images").iterdir() if p.name.startswith("item_")),
                   key=lambda p: int(p.stem.split("_")[1]))
    return [(int(p.stem.split("_")[1]), f"images/{p.name}", p) for p in files]


def _time(entries: Entries, executor: str, jobs: int) -> tuple[float, str]:
    stats = InspectStats()
    started = time.perf_counter()
    inspect_images(entries, ImageOptions(use_cache=False, jobs=jobs), stats=stats, executor=executor)
    return time.perf_counter() - started, f"{stats.executor} {stats.jobs}"


def _empty_threads(jobs: int) -> float:
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(abs, range(jobs)))
    return time.perf_counter() - started


def _empty_processes(jobs: int) -> float:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(abs, range(jobs)))
    return time.perf_counter() - started


def _rows(name: str, entries: Entries, counts: list[int], repeats: int, jobs: int) -> list[dict]:
    rows = []
    for count in counts:
        subset = entries[:count]
        size = sum(p.stat().st_size for _, _, p in subset)
        seconds: dict[str, list[float]] = {e: [] for e in EXECUTORS}
        chosen: list[str] = []
        for _ in range(repeats):
            for executor in EXECUTORS:
                took, how = _time(subset, executor, jobs)
                seconds[executor].append(took)
                if executor == "auto":
                    chosen.append(how)
        # The best of the alternating runs: on a shared machine the quickest run is the one that found
        # the cores free, which is what the executors are compared on (medians go to --json).
        row = {"set": name, "images": count, "bytes": size,
               **{f"{e}_s": min(v) for e, v in seconds.items()},
               **{f"{e}_median_s": statistics.median(v) for e, v in seconds.items()},
               "auto_chose": max(set(chosen), key=chosen.count)}
        rows.append(row)
        print(f"  {name} {count}: " + ", ".join(f"{e} {row[f'{e}_s']:.3f}" for e in EXECUTORS)
              + f" (auto: {row['auto_chose']})", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=Path("/tmp/vogue-crossover"))
    parser.add_argument("--set", type=Path, default=Path("/tmp/imgset3200"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--set-repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    load_before = os.getloadavg()
    set_repeats = args.set_repeats
    tree = _tree(args.tree)
    _time(tree[:8], "serial", args.jobs)  # warm the imports and the page cache
    empty_threads = statistics.median(_empty_threads(args.jobs) for _ in range(args.repeats))
    empty_processes = statistics.median(_empty_processes(args.jobs) for _ in range(args.repeats))
    rows = _rows("tree", tree, [n for n in (2, 4, 8, 16, 32) if n < len(tree)] + [len(tree)],
                 args.repeats, args.jobs)
    if (args.set / "images").is_dir():
        big = _set(args.set)
        for _, _, path in big:
            path.read_bytes()  # the page cache, as for the tree
        rows += _rows("set", big, [n for n in (8, 32, 76, 300, 1000) if n < len(big)] + [len(big)],
                      set_repeats, args.jobs)
        jpeg = [e for e in big if e[2].suffix == ".jpg"]
        png = [e for e in big if e[2].suffix == ".png"]
        rows += _rows("set, JPEG only", jpeg, [n for n in (300,) if n < len(jpeg)] + [len(jpeg)],
                      set_repeats, args.jobs)
        rows += _rows("set, PNG only", png, [len(png)], set_repeats, args.jobs)
    load_after = os.getloadavg()

    # The constants of inspect.py, fitted on the rows with enough work to measure (>= 8 images).
    fit = [r for r in rows if r["images"] >= 8]
    # The process pool's overhead (its time less the in-process time shared by the workers) grows with
    # the images sent to it: a least-squares line, start + per image.
    import numpy as np

    counts = np.array([r["images"] for r in fit], dtype=float)
    overheads = np.array([r["processes_s"] - r["serial_s"] / args.jobs for r in fit])
    pool_start, pool_per_image = np.linalg.lstsq(np.vstack([np.ones_like(counts), counts]).T, overheads,
                                                 rcond=None)[0]

    def gil_fraction(kind: list[dict]) -> tuple[float, float]:
        """The median share of the in-process time that threads take, and f: share = f + (1 - f) / n."""
        share = statistics.median((r["threads_s"] - empty_threads) / r["serial_s"] for r in kind)
        return share, (share - 1 / args.jobs) / (1 - 1 / args.jobs)

    fitted = {"PNG": gil_fraction([r for r in fit if r["set"] in ("tree", "set, PNG only")])}
    if any(r["set"] == "set, JPEG only" for r in fit):
        fitted["JPEG"] = gil_fraction([r for r in fit if r["set"] == "set, JPEG only"])

    import numpy
    import PIL

    print(f"Machine: {os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
          f"Pillow {PIL.__version__}, numpy {numpy.__version__}; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after; `--jobs {args.jobs}`, cold (no cache), best of {args.repeats} "
          f"alternating runs ({set_repeats} for the 3,200-image set).\n")
    print(f"Empty pools of {args.jobs} (start, one trivial task each, stop): threads "
          f"{empty_threads * 1000:.1f} ms, fork processes {empty_processes * 1000:.1f} ms. Fitted on the "
          f"rows from 8 images: process pool overhead {pool_start * 1000:.0f} ms + {pool_per_image * 1e6:.0f} µs "
          f"per image (`POOL_START_S['fork']` = {images_mod.POOL_START_S['fork'] * 1000:.0f} ms, "
          f"`POOL_PER_IMAGE_S` = {images_mod.POOL_PER_IMAGE_S * 1e6:.0f} µs; `THREADS_START_S` = "
          f"{images_mod.THREADS_START_S * 1000:g} ms); threads take "
          + "; ".join(f"{share:.2f} of the in-process time on {fmt}, a GIL-held part f = {f:.2f} "
                      f"(`THREADS_GIL_FRACTION['{fmt}']` = {images_mod.THREADS_GIL_FRACTION.get(fmt)})"
                      for fmt, (share, f) in fitted.items()) + ".\n")
    print("| set | images | MB | serial s | threads s | processes s | threads / serial | processes / serial "
          "| auto s (chose) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['set']} | {r['images']} | {r['bytes'] / 1e6:.1f} | {r['serial_s']:.3f} | "
              f"{r['threads_s']:.3f} | {r['processes_s']:.3f} | {r['threads_s'] / r['serial_s']:.2f} | "
              f"{r['processes_s'] / r['serial_s']:.2f} | {r['auto_s']:.3f} ({r['auto_chose']}) |")
    for kind in ("threads", "processes"):
        for name in dict.fromkeys(r["set"] for r in rows):
            mine = [r for r in rows if r["set"] == name]
            won = next((r for r in mine if all(q[f"{kind}_s"] < q["serial_s"] for q in mine
                                               if q["images"] >= r["images"])), None)
            if mine:
                print(f"\n{kind} faster than serial on the {name} from: "
                      f"{'never' if won is None else str(won['images']) + ' images'}.", end="")
    print()
    if args.json:
        args.json.write_text(json.dumps({"empty_threads_s": empty_threads, "empty_processes_s": empty_processes,
                                         "pool_start_s": float(pool_start),
                                         "pool_per_image_s": float(pool_per_image),
                                         "gil_fraction": fitted, "rows": rows}, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
