"""Peak memory of `vogue-pack validate` on raw trees with one huge file, in a fresh process per case.

Usage:
    python benchmarks/bench_memory.py [--rows 1000000] [--transcript-mb 200] [--cases ratings,transcript]
                                      [--keep DIR]

Writes a small synthetic raw tree (seed 0, 6 conversations), then for each case a copy in which ONE file
is made huge:

- ``ratings``: conversation_trials/item_ratings/seeker_ratings.csv with ``--rows`` rows (10^6 rows is about
  267 MB), each a well-formed row of the small tree with a new conversation id;
- ``transcript``: conversation_trials/transcripts/c1_a_1.json grown to about ``--transcript-mb`` MB by
  repeating its turns (numbered on, timestamps kept in order), pretty-printed like the release;
- ``cell``: fashion_profiles/profiles.csv with one free-text cell of about ``--transcript-mb`` MB;
- ``ratings-limit``, ``transcript-limit`` and ``cell-limit``: the same files grown to just under the
  budgets of one file (``--max-values``, default 200,000 values; ``--max-file-mb``, default 8 MiB), so
  they are parsed and checked in full: the worst a file the validator agrees to parse can cost.

Each case runs the installed console script ``vogue-pack validate --no-images --format json`` in a new
process and reads its peak resident set size (``ru_maxrss`` of the child, which includes the children
it starts) and wall-clock time. The budget is 4 x the largest raw file + 300 MB (issue: bounded memory).
Prints a Markdown table for docs/benchmarks.md with the machine and the versions. No number here is
asserted by the test suite.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

SEEKER = "conversation_trials/item_ratings/seeker_ratings.csv"
TRANSCRIPT = "conversation_trials/transcripts/c1_a_1.json"
PROFILES = "fashion_profiles/profiles.csv"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def grow_ratings(root: Path, rows: int) -> int:
    """Rewrite the seeker ratings file with ``rows`` rows (the small tree's rows cycled, new ids)."""
    path = root / SEEKER
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    header, body = records[0], records[1:]
    cid = header.index("conversation_id")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        buffer = io.StringIO()
        chunk = csv.writer(buffer, lineterminator="\n")
        for number in range(rows):
            row = list(body[number % len(body)])
            row[cid] = str(number + 1)
            chunk.writerow(row)
            if number % 10_000 == 9_999:
                handle.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        handle.write(buffer.getvalue())
    return path.stat().st_size


def grow_transcript(root: Path, megabytes: int | None, values: int | None = None) -> int:
    """Grow one transcript to about ``megabytes`` MB, or to just under ``values`` JSON values, by
    repeating its turns."""
    from vogue_pack.raw.reader import count_json_values

    path = root / TRANSCRIPT
    doc = json.loads(path.read_text(encoding="utf-8"))
    turns = doc["conversation_content"]
    one = len(json.dumps(turns[0], indent=2)) + 2
    if values is not None:
        per_turn = max(count_json_values(json.dumps(t)) for t in turns) + 1
        wanted = (values - count_json_values(path.read_text(encoding="utf-8"))) // per_turn
    else:
        wanted = (megabytes or 1) * 10**6 // one
    grown = []
    for number in range(wanted):
        turn = json.loads(json.dumps(turns[number % len(turns)]))
        turn["turn"] = number + 1
        turn["timestamp"] = "00:00:00" if number < 1 else "23:59:59"
        grown.append(turn)
    doc["conversation_content"] = grown
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path.stat().st_size


def grow_cell(root: Path, size: int) -> int:
    """Make one free-text cell of profiles.csv about ``size`` bytes long."""
    path = root / PROFILES
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("clothing_feel")
    rest = path.stat().st_size - len(rows[1][column])
    rows[1][column] = ("soft " * (max(0, size - rest) // 5 + 1))[: max(0, size - rest)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path.stat().st_size


def measure(root: Path) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of one validate run in a new process."""
    exe = shutil.which("vogue-pack") or "vogue-pack"
    start = time.perf_counter()
    # a fresh interpreter per case, so ru_maxrss of the children is this run's alone
    probe = (
        "import resource, subprocess, sys\n"
        "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, exe, "validate", str(root), "--no-images", "--format",
                          "json"], capture_output=True, text=True, check=True).stdout.split()
    wall = time.perf_counter() - start
    return int(out[0]) / 1024, wall, int(out[1])


def main() -> None:
    """Build the trees, measure each case, print the table."""
    # the default budgets of one file in the installed tool
    from vogue_pack.raw.reader import MAX_TEXT_BYTES as byte_limit
    from vogue_pack.raw.reader import MAX_VALUES as limit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--transcript-mb", type=int, default=200)
    parser.add_argument("--cases", default="ratings,transcript,cell,ratings-limit,transcript-limit,cell-limit")
    parser.add_argument("--keep", type=Path, default=None, help="build the trees here and keep them")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="vogue-mem-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "base"
    if not base.exists():
        subprocess.run(["vogue-pack", "synth", str(base), "--conversations", "6", "--seed", "0"], check=True,
                       capture_output=True)
    rows = []
    try:
        for case in args.cases.split(","):
            tree = work / case
            if not tree.exists():
                shutil.copytree(base, tree)
                data = tree / "data"
                if case == "ratings":
                    grow_ratings(data, args.rows)
                elif case == "ratings-limit":
                    columns = len((data / SEEKER).read_text(encoding="utf-8").splitlines()[0].split(","))
                    grow_ratings(data, limit // columns - 2)  # the header is a row of cells too
                elif case == "transcript":
                    grow_transcript(data, args.transcript_mb)
                elif case == "transcript-limit":
                    grow_transcript(data, None, values=limit)
                elif case == "cell":
                    grow_cell(data, args.transcript_mb * 10**6)
                else:
                    grow_cell(data, byte_limit - 1024)
            largest = max(p.stat().st_size for p in (tree / "data").rglob("*") if p.is_file())
            size = largest
            peak, wall, code = measure(tree)
            budget = 4 * size / 10**6 + 300
            rows.append((case, size / 10**6, peak, budget, wall, code))
            print(f"{case}: largest file {size / 10**6:.0f} MB, peak RSS {peak:.0f} MB (budget {budget:.0f} MB), "
                  f"{wall:.1f} s, exit {code}", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("vogue-pack", "pyarrow", "pandas",
                                                                          "pandera", "jsonschema"))
    print(f"Machine: {_cpu_model()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
          f"Python {platform.python_version()}; {versions}\n")
    print("| case | largest raw file | peak RSS | budget (4x + 300 MB) | wall | exit |")
    print("|---|---:|---:|---:|---:|---:|")
    for case, size, peak, budget, wall, code in rows:
        print(f"| {case} | {size:.0f} MB | {peak:.0f} MB | {budget:.0f} MB | {wall:.1f} s | {code} |")
    _ = resource  # ru_maxrss is read in the probe process


if __name__ == "__main__":
    main()
