"""What Great Expectations and pandera cost, and what the native engines that replace them on the critical path cost.

Usage: python benchmarks/bench_gx.py [--repeat 5] [--conversations 60]

Times, in fresh interpreters (median of --repeat runs): `vogue-pack --help`, `import great_expectations`,
`import pandera`; the first `run_expectations` call on a synthetic tree's tables (imports + suites) next to a
second call in the same process (suites only), with the native engine (the default) and with GX (the
reference); the CSV schemas of the same tree through `check_csv` with each engine, the same way. Also renders
the HTML report of 100,000 findings. Prints a Markdown table for docs/benchmarks.md.
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

FIRST_AND_SECOND = """
import sys, time
from pathlib import Path
from vogue_pack.images.inspect import ImageOptions
from vogue_pack.validate.pipeline import ValidateOptions, validate
validation = validate(Path(sys.argv[1]), ValidateOptions(images=ImageOptions(jobs=1, use_cache=False)))
engine = sys.argv[2]
from vogue_pack.validate.expectations import run_expectations
t0, c0 = time.perf_counter(), time.process_time()
first = run_expectations(validation.tables, engine=engine)
t1, c1 = time.perf_counter(), time.process_time()
second = run_expectations(validation.tables, engine=engine)
t2, c2 = time.perf_counter(), time.process_time()
assert first == second == [], first
print(t1 - t0, t2 - t1, c1 - c0, c2 - c1)
"""

CSV_FIRST_AND_SECOND = """
import sys, time
from pathlib import Path
from vogue_pack.raw.fileschemas import check_csv
from vogue_pack.raw.reader import read_csv
engine, root = sys.argv[2], Path(sys.argv[1])
files = {"catalogue_mapping": "supplements/catalogue_mapping.csv",
         "seeker_ratings": "conversation_trials/item_ratings/seeker_ratings.csv",
         "assistant_ratings": "conversation_trials/item_ratings/assistant_ratings.csv",
         "profiles": "fashion_profiles/profiles.csv", "profile_ratings": "fashion_profiles/ratings.csv"}
tables = {name: read_csv((root / rel).read_text(encoding="utf-8"), rel, []) for name, rel in files.items()}
import pyarrow
pyarrow.array([1])  # pyarrow's own first-conversion import of pandas, paid by both engines' callers
out = []
for _ in range(2):
    t0, c0 = time.perf_counter(), time.process_time()
    found = [f for name, rows in tables.items() for f in check_csv(name, rows, engine=engine)[1]]
    out += [time.perf_counter() - t0, time.process_time() - c0]
print(out[0], out[2], out[1], out[3])
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``args`` run ``repeat`` times in fresh processes."""
    times, cpu = [], []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), _children_cpu()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - cpu_start)
    return statistics.median(times), statistics.median(cpu)


def _first_and_second(script: str, root: Path, engine: str, repeat: int) -> list[float]:
    """Medians of [first wall, second wall, first CPU, second CPU] over ``repeat`` fresh interpreters."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", script, str(root), engine], check=True, capture_output=True,
                              text=True)
        runs.append([float(x) for x in done.stdout.split()])
    return [statistics.median(r[i] for r in runs) for i in range(4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=60)
    args = parser.parse_args()
    env_python = [sys.executable, "-c"]
    os.environ["GX_ANALYTICS_ENABLED"] = "false"

    rows: list[tuple[str, tuple[float, float]]] = []
    rows.append(("`python -c pass` (interpreter start)", wall([*env_python, "pass"], args.repeat)))
    rows.append(("`vogue-pack --help`", wall([*env_python, "import sys; sys.argv=['vogue-pack','--help'];"
                                              "from vogue_pack._entry import main; main()"], args.repeat)))
    rows.append(("`import great_expectations`", wall([*env_python, "import great_expectations"], args.repeat)))
    rows.append(("`import pandera`", wall([*env_python, "import pandera"], args.repeat)))

    from vogue_pack.synth import write_tree

    with tempfile.TemporaryDirectory() as tmp:
        info = write_tree(Path(tmp) / "raw", conversations=args.conversations, seed=0)
        for engine in ("native", "gx"):
            median = _first_and_second(FIRST_AND_SECOND, info.root, engine, args.repeat)
            rows.append((f"first `run_expectations(engine={engine!r})` ({args.conversations} conversations: "
                         "imports + 13 suites)", (median[0], median[2])))
            rows.append((f"second `run_expectations(engine={engine!r})`, same process (13 suites only)",
                         (median[1], median[3])))
        for engine in ("native", "pandera"):
            median = _first_and_second(CSV_FIRST_AND_SECOND, info.root, engine, args.repeat)
            rows.append((f"first `check_csv(engine={engine!r})`, the 5 CSV files (imports + checks)",
                         (median[0], median[2])))
            rows.append((f"second `check_csv(engine={engine!r})`, same process", (median[1], median[3])))

    from vogue_pack.report.findings import finding
    from vogue_pack.report.html import render_html
    from vogue_pack.report.report import Report

    report = Report(root="raw", max_findings=100_000)
    report.add(finding("schema.range", f"item_{i % 36 + 1} = 9 is outside 1..5", file="x.csv", row=i + 2,
                       column=f"item_{i % 36 + 1}", value=9, expected=[1, 5]) for i in range(100_000))
    report.finalise()
    start, cpu_start = time.perf_counter(), time.process_time()
    page = render_html(report)
    rows.append((f"`render_html`, 100,000 findings ({len(page.encode()) / 1e6:.1f} MB page)",
                 (time.perf_counter() - start, time.process_time() - cpu_start)))

    import great_expectations
    import pandera

    print(f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
          f"great-expectations {great_expectations.__version__}, pandera {pandera.__version__}; "
          f"median of {args.repeat} fresh processes.\n")
    print("| what | wall s | CPU s |\n|---|---:|---:|")
    for name, (wall_s, cpu_s) in rows:
        print(f"| {name} | {wall_s:.2f} | {cpu_s:.2f} |")


if __name__ == "__main__":
    main()
