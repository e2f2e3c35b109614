"""Wall and CPU time of `vogue-pack query` and `vogue-pack verify` in a fresh process, for one or more
checkouts of vogue-pack side by side (for example before and after a change), runs alternated.

    python benchmarks/bench_startup.py --release /tmp/rel                      # this checkout
    python benchmarks/bench_startup.py --release /tmp/rel --code before=/tmp/main after=.  --runs 9

Without --release, a 60-conversation tree (with images) is synthesised and built in a temporary folder.
Each command is run once per checkout first (bytecode caches warm, files in the page cache), then --runs
times, cycling through the checkouts so that load on a shared machine falls on all of them alike. Prints
the median and the range of wall seconds and of CPU seconds (user + sys) per command and checkout.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY_SQL = "SELECT conversation_id, catalogue, n_turns FROM conversations ORDER BY conversation_id LIMIT 5"


def run_once(code: Path, argv: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of ``python -m vogue_pack.cli ARGV`` with ``code`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # run from the checkout: ``python -m`` puts the working folder ahead of PYTHONPATH
    done = subprocess.run([sys.executable, "-m", "vogue_pack.cli", *argv], env=env, cwd=code,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{code}: {' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def make_release(work: Path) -> Path:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1760000000"}
    cli = [sys.executable, "-m", "vogue_pack.cli", "-q"]
    subprocess.run([*cli, "synth", str(work / "raw"), "--conversations", "60"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([*cli, "build", str(work / "raw"), "--version", "1.0", "--out", str(work / "out")], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return work / "out" / "1.0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", type=Path, help="a built release folder (default: build a 60-conversation one)")
    parser.add_argument("--code", nargs="+", default=["this=" + str(Path(__file__).resolve().parents[1])],
                        metavar="NAME=DIR", help="checkouts to compare (default: this one)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    codes = [(name, Path(folder).resolve()) for name, folder in (c.split("=", 1) for c in args.code)]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        release = args.release or make_release(Path(tmp))
        commands = {"query": ["query", str(release), QUERY_SQL], "verify": ["verify", str(release)]}
        for argv in commands.values():
            for _, code in codes:
                run_once(code, argv)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for command, argv in commands.items():
                for name, code in codes:
                    times.setdefault((command, name), []).append(run_once(code, argv))
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end; {args.runs} runs each, alternated")
    print("| command | code | wall s median (min-max) | CPU s median (min-max) |")
    print("|---|---|---:|---:|")
    for (command, name), samples in times.items():
        walls, cpus = [w for w, _ in samples], [c for _, c in samples]
        print(f"| {command} | {name} | {statistics.median(walls):.3f} ({min(walls):.3f}-{max(walls):.3f}) | "
              f"{statistics.median(cpus):.3f} ({min(cpus):.3f}-{max(cpus):.3f}) |")


if __name__ == "__main__":
    main()
