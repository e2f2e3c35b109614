"""Images benchmark: vogue-pack vs imagededup (PHash) vs a plain imagehash + brute-force loop, one run.

    python benchmarks/bench_images.py [--set /tmp/vogue-bench-images] [--bench-python benchmarks/.venv/bin/python]
                                      [--search-sizes 1000,10000,100000,1000000] [--json results.json]
                                      [--before /path/to/older/checkout]

On the same generated, labelled image set (benchmarks/images_synth.py; generated when missing):
- whole run, wall clock, as a user runs it: ``vogue-pack dedupe DIR --no-cache``, then with a cache
  (cold, then cached), and imagededup's PHash encode + find_duplicates (its own venv under benchmarks/:
  torch is never a vogue-pack dependency); with ``--before`` also ``dedupe --no-cache`` of an older
  checkout (same venv, its code first on PYTHONPATH), and the pairs of both must be identical;
- recall of each tool on every transform of the labels;
- hashing throughput in images/s: vogue-pack cold and cached (in-process), imagehash.phash loop;
- pair search time for 10^3..10^6 random 64-bit hashes: vogue-pack's MIH (direct + mirrored, as
  find_duplicates runs it, and direct only), numpy brute force, imagededup's Cython brute force, the
  plain Python loop (sizes that would take too long are extrapolated quadratically and marked so);
- precision and recall of each tool at threshold 10 against the labels (closed world).
Results go to stdout as Markdown (docs/benchmarks.md, "Images and deduplication").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from images_synth import make_set

from vogue_pack.images.dedup import brute_force_pairs, candidate_pairs, mih_pairs, read_labels
from vogue_pack.images.inspect import DEFAULT_THRESHOLD, ImageOptions, InspectStats, collect_images, inspect_images

HERE = Path(__file__).resolve().parent
_ID = re.compile(r"item_(\d+)\.")


def _machine(bench_python: str) -> dict[str, str]:
    import imagehash
    import PIL

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    other = subprocess.run([bench_python, "-c", "import imagededup, torch; print(imagededup.__version__, "
                            "torch.__version__)"], capture_output=True, text=True)
    versions = other.stdout.split() if other.returncode == 0 else ["?", "?"]
    from vogue_pack._version import __version__

    return {"cpu": cpu, "cores": str(len(os.sched_getaffinity(0))), "load_average": " ".join(
        f"{v:.1f}" for v in os.getloadavg()), "python": platform.python_version(),
        "vogue-pack": __version__, "pillow": PIL.__version__, "numpy": np.__version__,
        "imagehash": imagehash.__version__, "imagededup": versions[0], "torch": versions[-1]}


def _prf(predicted: set[tuple[int, int]], positives: frozenset[tuple[int, int]]) -> dict[str, float]:
    tp = len(predicted & positives)
    return {"pairs": len(predicted), "precision": round(tp / len(predicted), 4) if predicted else 1.0,
            "recall": round(tp / len(positives), 4) if positives else 1.0}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str, float]:
    """Wall seconds, stdout and CPU seconds (user + sys of the command and its children)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed: {out.stderr[-2000:]}")
    return seconds, out.stdout, _children_cpu() - cpu


def _pairs(dedupe_json: str) -> set[tuple[int, int]]:
    doc = json.loads(dedupe_json)
    return {(p["item_a"], p["item_b"]) for c in doc["clusters"] for p in c["pairs"]}


def _by_transform(predicted: set[tuple[int, int]], transforms: dict[tuple[int, int], str]) -> dict[str, float]:
    """Recall on each transform of the labelled duplicate pairs."""
    names = sorted(set(transforms.values()))
    return {name: round(sum(p in predicted for p, t in transforms.items() if t == name)
                        / sum(t == name for t in transforms.values()), 4) for name in names}


def bench_whole_runs(images: Path, labels: frozenset[tuple[int, int]], transforms: dict[tuple[int, int], str],
                     bench_python: str, threshold: int, repeats: int, before: Path | None) -> dict[str, object]:
    """Alternating runs of every tool (the machine is shared: medians of ``repeats`` runs)."""
    vogue = str(Path(sys.executable).with_name("vogue-pack"))
    base = [vogue, "dedupe", str(images), "--format", "json", "--threshold", str(threshold)]
    names = ["no_cache", "cold", "cached", "imagededup"] + (["before_no_cache"] if before else [])
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    outputs: dict[str, str] = {}
    for _ in range(repeats):
        seconds, outputs["no_cache"], cpu = _timed([*base, "--no-cache"])
        runs["no_cache"].append((seconds, cpu))
        if before is not None:
            env = {**os.environ, "PYTHONPATH": str(before)}
            seconds, outputs["before_no_cache"], cpu = _timed([*base, "--no-cache"], env=env)
            runs["before_no_cache"].append((seconds, cpu))
        with tempfile.TemporaryDirectory() as cache:
            cold, outputs["cold"], cold_cpu = _timed([*base, "--cache-dir", cache])
            warm, outputs["cached"], warm_cpu = _timed([*base, "--cache-dir", cache])
        runs["cold"].append((cold, cold_cpu))
        runs["cached"].append((warm, warm_cpu))
        seconds, outputs["imagededup"], cpu = _timed([bench_python, str(HERE / "images_imagededup.py"), "run",
                                                      str(images), "--threshold", str(threshold)])
        runs["imagededup"].append((seconds, cpu))
    pairs = _pairs(outputs["no_cache"])
    assert _pairs(outputs["cold"]) == pairs == _pairs(outputs["cached"]), "the cache changed the pairs"

    def median(name: str, k: int) -> float:
        return round(float(np.median([r[k] for r in runs[name]])), 2)

    result: dict[str, object] = {"repeats": repeats, "runs": runs}
    result["vogue-pack"] = {"seconds_no_cache": median("no_cache", 0), "cpu_seconds_no_cache": median("no_cache", 1),
                            "seconds_cold": median("cold", 0), "seconds_cached": median("cached", 0),
                            "cpu_seconds_cold": median("cold", 1), "cpu_seconds_cached": median("cached", 1),
                            **_prf(pairs, labels), "recall_by_transform": _by_transform(pairs, transforms)}
    if before is not None:
        before_pairs = _pairs(outputs["before_no_cache"])
        result["before"] = {"seconds_no_cache": median("before_no_cache", 0),
                            "cpu_seconds_no_cache": median("before_no_cache", 1), **_prf(before_pairs, labels),
                            "pairs_identical_to_after": before_pairs == pairs}
    doc = json.loads(outputs["imagededup"])
    found = set()
    for name, others in doc["duplicates"].items():
        for other in others:
            a, b = int(_ID.search(name).group(1)), int(_ID.search(other).group(1))  # type: ignore[union-attr]
            found.add((min(a, b), max(a, b)))
    result["imagededup"] = {"seconds_wall": median("imagededup", 0), "cpu_seconds": median("imagededup", 1),
                            "last_run": {k: round(v, 2) for k, v in doc.items() if k.startswith("seconds")},
                            **_prf(found, labels), "recall_by_transform": _by_transform(found, transforms)}
    ours, theirs = result["vogue-pack"], result["imagededup"]
    result["ratio_no_cache_wall"] = round(ours["seconds_no_cache"] / theirs["seconds_wall"], 3)  # type: ignore[index]
    result["ratio_no_cache_cpu"] = round(ours["cpu_seconds_no_cache"] / theirs["cpu_seconds"], 3)  # type: ignore[index]
    return result


def _transforms(labels_csv: Path, entries: list[tuple[int, str, Path]]) -> dict[tuple[int, int], str]:
    """Labelled duplicate pair -> the transform that made it (copy-to-copy pairs included)."""
    import csv

    known = {item for item, _, _ in entries}
    out: dict[tuple[int, int], str] = {}
    with open(labels_csv, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            a, b = int(row["item_a"]), int(row["item_b"])
            if row["label"] == "duplicate" and a in known and b in known:
                out[(min(a, b), max(a, b))] = row["transform"]
    return out


def bench_hashing(entries: list[tuple[int, str, Path]], labels: frozenset[tuple[int, int]],
                  threshold: int) -> dict[str, object]:
    import imagehash
    from PIL import Image

    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as cache:
        options = ImageOptions(cache_dir=Path(cache), threshold=threshold)
        cold, warm = InspectStats(), InspectStats()
        cpu = time.process_time() + _children_cpu()
        inspect_images(entries, options, stats=cold)
        cpu_cold = time.process_time() + _children_cpu() - cpu
        inspect_images(entries, options, stats=warm)
    n = len(entries)
    result["vogue-pack"] = {"images_per_s_cold": round(n / cold.seconds, 1),
                            "cpu_ms_per_image_cold": round(1000 * cpu_cold / n, 1),
                            "images_per_s_cached": round(n / warm.seconds, 1),
                            "cached_speedup": round(cold.seconds / warm.seconds, 1), "jobs": cold.jobs}
    started, cpu = time.perf_counter(), time.process_time()
    hashes = {item: imagehash.phash(Image.open(path)) for item, _, path in entries}
    hashing, cpu_hashing = time.perf_counter() - started, time.process_time() - cpu
    ids = sorted(hashes)
    started = time.perf_counter()
    found = set()
    for k, a in enumerate(ids):  # the loop people write
        for b in ids[k + 1:]:
            if hashes[a] - hashes[b] <= threshold:
                found.add((a, b))
    search = time.perf_counter() - started
    result["imagehash-loop"] = {"images_per_s": round(n / hashing, 1), "seconds_hashing": round(hashing, 2),
                                "cpu_ms_per_image": round(1000 * cpu_hashing / n, 1),
                                "seconds_search": round(search, 2), **_prf(found, labels)}
    return result


def bench_search(sizes: list[int], bench_python: str, threshold: int,
                 imagededup_max: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    rows: list[dict[str, object]] = []
    previous: dict[str, tuple[int, float]] = {}

    def extrapolate(name: str, n: int) -> str:
        base_n, base_s = previous[name]
        return f"~{base_s * (n / base_n) ** 2:.0f} (extrapolated)"

    for n in sizes:
        words = rng.integers(0, 2**63, size=(n, 1), dtype=np.int64).astype(np.uint64) << np.uint64(1)
        words ^= rng.integers(0, 2, size=(n, 1), dtype=np.int64).astype(np.uint64)
        mirrors = rng.integers(0, 2**63, size=(n, 1), dtype=np.int64).astype(np.uint64)
        row: dict[str, object] = {"hashes": n}
        hexes = [f"{int(v):016x}" for v in words[:, 0]]
        started = time.perf_counter()
        mih_pairs(words, words, threshold, same=True)
        row["vogue-pack MIH direct"] = round(time.perf_counter() - started, 3)
        if n <= 100_000:  # the mirrored join costs about twice the direct one: not repeated at 10^6
            started = time.perf_counter()
            candidate_pairs(list(range(n)), [None] * n, hexes, [f"{int(v):016x}" for v in mirrors[:, 0]],
                            threshold)
            row["vogue-pack find_duplicates search (direct + mirrored)"] = round(time.perf_counter() - started, 3)
        if n <= 100_000:
            started = time.perf_counter()
            brute_force_pairs(words, words, threshold, same=True)
            previous["numpy"] = (n, time.perf_counter() - started)
            row["numpy brute force"] = round(previous["numpy"][1], 3)
        else:
            row["numpy brute force"] = extrapolate("numpy", n)
        if n <= imagededup_max:  # its search took 65 s at 10^4 here: quadratic beyond
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
                handle.write("\n".join(hexes))
            _, out, _ = _timed([bench_python, str(HERE / "images_imagededup.py"), "search", handle.name,
                             "--threshold", str(threshold)])
            os.unlink(handle.name)
            previous["imagededup"] = (n, json.loads(out)["seconds_search"])
            row["imagededup brute_force_cython"] = round(previous["imagededup"][1], 3)
        else:
            row["imagededup brute_force_cython"] = extrapolate("imagededup", n)
        if n <= 1_000:
            import imagehash

            objects = [imagehash.hex_to_hash(h) for h in hexes]
            started = time.perf_counter()
            for k, a in enumerate(objects):
                for b in objects[k + 1:]:
                    _ = a - b <= threshold
            previous["loop"] = (n, time.perf_counter() - started)
            row["imagehash Python loop"] = round(previous["loop"][1], 3)
        else:
            row["imagehash Python loop"] = extrapolate("loop", n)
        rows.append(row)
        print(f"search {n}: {row}", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=Path(tempfile.gettempdir()) / "vogue-bench-images")
    parser.add_argument("--families", type=int, default=150)
    parser.add_argument("--bench-python", default=str(HERE / ".venv" / "bin" / "python"),
                        help="the Python of a venv with imagededup and torch (never vogue-pack's own)")
    parser.add_argument("--before", type=Path, default=None,
                        help="an older checkout of vogue-pack to time side by side (its pairs must be identical)")
    parser.add_argument("--png", type=int, default=None, help="generate with only this many PNGs (rest JPEG)")
    parser.add_argument("--search-sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD)
    parser.add_argument("--repeats", type=int, default=3, help="alternating whole runs of each tool")
    parser.add_argument("--imagededup-max", type=int, default=10_000,
                        help="largest search size timed for imagededup (beyond: extrapolated)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (args.set / "labels.csv").exists():
        print(make_set(args.set, families=args.families, per_family=4, copies=0.6, png=args.png), file=sys.stderr)
    folder = collect_images(args.set / "images")
    labels = read_labels(args.set / "labels.csv", folder.entries).duplicates
    results: dict[str, object] = {"machine": _machine(args.bench_python), "images": len(folder.entries),
                                  "labelled_duplicate_pairs": len(labels), "threshold": args.threshold}
    transforms = _transforms(args.set / "labels.csv", folder.entries)
    results["whole_run"] = bench_whole_runs(args.set / "images", labels, transforms, args.bench_python,
                                            args.threshold, args.repeats, args.before)
    print(results["whole_run"], file=sys.stderr)
    results["hashing"] = bench_hashing(folder.entries, labels, args.threshold)
    print(results["hashing"], file=sys.stderr)
    sizes = [int(s) for s in args.search_sizes.split(",") if s]
    results["search"] = bench_search(sizes, args.bench_python, args.threshold, args.imagededup_max)
    results["machine"]["load_average_end"] = " ".join(f"{v:.1f}" for v in os.getloadavg())  # type: ignore[index]
    text = json.dumps(results, indent=1)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
