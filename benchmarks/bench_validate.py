"""Cold `vogue-pack validate` of a synthetic tree, in a fresh process per run (imports included).

Usage:
    python benchmarks/bench_validate.py [--conversations 60] [--repeats 7]
                                        [--frictionless /path/to/other-venv/bin/frictionless]

Writes a synthetic raw tree (seed 0, repository layout, with images) to a temporary folder, then runs
the installed console script ``vogue-pack validate`` on it ``--repeats`` times in new processes:
with the image checks and ``--no-cache`` (every image decoded and hashed each run) and with
``--no-images``. Prints the median, min and max wall-clock seconds and the median CPU seconds (user + sys
of the process and its workers: less sensitive to other jobs on the machine), the machine and the
versions, as a Markdown table for docs/benchmarks.md.

Peer comparison (optional): ``--frictionless`` points at the ``frictionless`` executable of a SEPARATE
virtual environment (it is not a dependency of this project), which then validates the same five CSV
files in one cold process (``frictionless validate --json <five files>``, inferred schemas only).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

CSV_FILES = (
    "conversation_trials/item_ratings/seeker_ratings.csv",
    "conversation_trials/item_ratings/assistant_ratings.csv",
    "fashion_profiles/profiles.csv",
    "fashion_profiles/ratings.csv",
    "supplements/catalogue_mapping.csv",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _time_runs(command: list[str], repeats: int, cwd: Path,
               ok_codes: tuple[int, ...] = (0,)) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + sys of the process and its workers) seconds of each run."""
    wall, cpu = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if run.returncode not in ok_codes:
            raise SystemExit(f"{' '.join(command)} exited {run.returncode}: {run.stderr.decode()[-2000:]}")
    return wall, cpu


def _row(label: str, runs: tuple[list[float], list[float]]) -> str:
    wall, cpu = runs
    return (f"| {label} | {statistics.median(wall):.2f} | {min(wall):.2f} | {max(wall):.2f} "
            f"| {statistics.median(cpu):.2f} | {len(wall)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--frictionless", type=Path, default=None,
                        help="frictionless executable of a separate venv (peer comparison)")
    args = parser.parse_args()

    from vogue_pack.synth import write_tree

    script = shutil.which("vogue-pack") or str(Path(sys.executable).parent / "vogue-pack")
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as scratch:
        work = Path(scratch)
        info = write_tree(work / "raw", conversations=args.conversations, seed=0)
        repo = info.root.parent
        rows = [
            _row("vogue-pack validate (images, --no-cache)",
                 _time_runs([script, "validate", str(repo), "--no-cache", "--format", "json"], args.repeats, work)),
            _row("vogue-pack validate --no-images",
                 _time_runs([script, "validate", str(repo), "--no-images", "--format", "json"], args.repeats, work)),
            _row("vogue-pack --help (import floor)", _time_runs([script, "--help"], args.repeats, work)),
        ]
        peer = ""
        if args.frictionless is not None:
            version = subprocess.run([str(args.frictionless), "--version"], capture_output=True, text=True,
                                     check=False).stdout.strip()
            # frictionless exits 1 when it finds errors; the clean tree has none, but do not fail on it
            runs = _time_runs([str(args.frictionless), "validate", "--json", *CSV_FILES], args.repeats,
                              info.root, ok_codes=(0, 1))
            rows.append(_row(f"frictionless {version} validate (the 5 CSV files)", runs))
            peer = f", frictionless {version} (separate venv)"

    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("vogue-pack", "pyarrow", "pandas", "pandera", "duckdb", "pillow", "imagehash"))
    load = os.getloadavg()[0]
    print(f"Machine: {os.cpu_count()} cores, {_cpu_model()}, {platform.system()} {platform.machine()}, "
          f"load average at the end {load:.1f}")
    print(f"Versions: Python {platform.python_version()}, {versions}{peer}")
    print(f"Tree: {args.conversations} conversations, 76 images, seed 0, repository layout")
    print()
    print("| command (cold process) | median wall s | min wall s | max wall s | median CPU s | runs |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    print(json.dumps({"conversations": args.conversations, "repeats": args.repeats}))


if __name__ == "__main__":
    main()
