"""Image checks before and after a change, side by side: identical reports, identical image facts, time.

    python benchmarks/images_before_after.py --before /path/to/older/checkout [--tree /tmp/vogue-ba]
                                             [--repeats 5]

On one synthetic tree (``vogue-pack synth``, 60 conversations, 76 PNGs), with each checkout's code first
on PYTHONPATH (same venv):
- ``vogue-pack validate --format json --no-cache``: the two reports must be equal;
- the ``images`` table, findings and colour grids of ``inspect_images`` for every hash algorithm (phash,
  dhash, ahash, whash): must be equal row by row (hashes, mirror hashes, colour grids, facts);
- with ``--images DIR`` the same for a folder of images (e.g. the 3,200-image set of bench_images.py);
- the time of ``inspect_images`` (cold, no cache; in process, and as validate runs it with 2 workers
  allowed) and of the whole ``validate --no-cache`` command; medians of alternating runs.
Exits 1 when anything differs. Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AFTER = HERE.parent

_PROBE = r"""
import json, sys, time
from pathlib import Path
from vogue_pack.images.inspect import ImageOptions, colour_signature, inspect_images
root = Path(sys.argv[1])
entries = sorted((int(p.stem.split('_')[1]), f'metadata/{p.name}', p) for p in root.glob('item_*.*')
                 if p.suffix.lower() in ('.png', '.jpg', '.jpeg'))
mode = sys.argv[2]
if mode == 'facts':
    out = {}
    for algorithm in ('phash', 'dhash', 'ahash', 'whash'):
        options = ImageOptions(algorithm=algorithm, use_cache=False)
        table, findings = inspect_images(entries, options)
        colours = [colour_signature(sha, options) for sha in table.column('sha256').to_pylist()]
        out[algorithm] = [table.to_pylist(), [f.to_dict() for f in findings], colours]
    print(json.dumps(out, sort_keys=True, default=str))
else:
    jobs = int(mode)
    inspect_images(entries[:4], ImageOptions(use_cache=False, jobs=1))  # imports and page cache
    started = time.perf_counter()
    cpu = time.process_time()
    inspect_images(entries, ImageOptions(use_cache=False, jobs=jobs))
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}))
"""


def _run(checkout: Path, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{args} under {checkout} failed: {out.stderr[-2000:]}")
    return out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--tree", type=Path, default=Path("/tmp/vogue-ba"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--images", type=Path, default=None, help="also compare the facts of this image folder")
    args = parser.parse_args()
    vogue = str(Path(sys.executable).with_name("vogue-pack"))
    if not args.tree.exists():
        _run(AFTER, [vogue, "synth", str(args.tree)])
    metadata = args.tree / "data" / "metadata"
    sides = {"before": args.before.resolve(), "after": AFTER}
    reports = {side: json.loads(_run(path, [vogue, "validate", str(args.tree), "--no-cache", "--format", "json"]))
               for side, path in sides.items()}
    facts = {side: json.loads(_run(path, [sys.executable, "-c", _PROBE, str(metadata), "facts"]))
             for side, path in sides.items()}
    same_report = reports["before"] == reports["after"]
    same_facts = facts["before"] == facts["after"]
    timings: dict[str, dict[str, list[float]]] = {s: {"in_process": [], "cpu": [], "jobs2": [], "validate": []}
                                                  for s in sides}
    for _ in range(args.repeats):
        for side, path in sides.items():
            one = json.loads(_run(path, [sys.executable, "-c", _PROBE, str(metadata), "1"]))
            timings[side]["in_process"].append(one["seconds"])
            timings[side]["cpu"].append(one["cpu"])
            timings[side]["jobs2"].append(
                json.loads(_run(path, [sys.executable, "-c", _PROBE, str(metadata), "2"]))["seconds"])
            started = time.perf_counter()
            _run(path, [vogue, "--quiet", "validate", str(args.tree), "--no-cache"])
            timings[side]["validate"].append(time.perf_counter() - started)
    med = {s: {k: statistics.median(v) for k, v in t.items()} for s, t in timings.items()}
    n = len(list(metadata.glob("item_*.png")))
    print(f"Tree: `vogue-pack synth` seed 0, {n} PNGs; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}; "
          f"median of {args.repeats} alternating runs.\n")
    print(f"- `validate --format json --no-cache` reports identical: **{same_report}**")
    print(f"- images table, findings and colour grids identical for phash, dhash, ahash, whash: **{same_facts}**")
    if args.images is not None:
        folder_facts = {side: _run(path, [sys.executable, "-c", _PROBE, str(args.images), "facts"])
                        for side, path in sides.items()}
        same_folder = folder_facts["before"] == folder_facts["after"]
        same_facts = same_facts and same_folder
        print(f"- the same for every image of {args.images}: **{same_folder}**")
    print()
    print("| | before | after | after / before |")
    print("|---|---:|---:|---:|")
    rows = [("inspect_images, 1 process: ms per image", "in_process", 1000 / n),
            ("inspect_images, 1 process: CPU ms per image", "cpu", 1000 / n),
            ("inspect_images, up to 2 workers: wall s", "jobs2", 1.0),
            ("`validate --no-cache`, whole command: wall s", "validate", 1.0)]
    for label, key, scale in rows:
        b, a = med["before"][key] * scale, med["after"][key] * scale
        print(f"| {label} | {b:.2f} | {a:.2f} | {a / b:.2f} |")
    sys.exit(0 if same_report and same_facts else 1)


if __name__ == "__main__":
    main()
