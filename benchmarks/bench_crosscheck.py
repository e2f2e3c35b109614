"""Benchmark the cross-file checks (checks/*.sql) on a large synthetic tree.

Loading the raw tree (discover + parse + schemas) is timed separately from the checks themselves. The
checks run ``--repeat`` times on the same tables; the best and the median run are reported, with the
per-check time of the best run.

    python benchmarks/bench_crosscheck.py                      # 60,000 conversations in a temp folder
    python benchmarks/bench_crosscheck.py --tree /tmp/t60k     # reuse (or create) a tree there
    python benchmarks/bench_crosscheck.py --conversations 600 --repeat 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _versions() -> dict[str, str]:
    import duckdb
    import pyarrow

    from vogue_pack._version import __version__

    return {"python": platform.python_version(), "duckdb": duckdb.__version__, "pyarrow": pyarrow.__version__,
            "vogue_pack": __version__}


def _tree(path: Path | None, conversations: int, seed: int) -> tuple[Path, float | None]:
    """The data folder of a synthetic tree at ``path`` (written unless it exists) and the seconds spent."""
    from vogue_pack.synth import write_tree

    if path is not None and (path / "data" / "conversation_trials").is_dir():
        return path / "data", None
    out = path if path is not None else Path(tempfile.mkdtemp(prefix="bench-crosscheck-")) / "tree"
    started = time.perf_counter()
    info = write_tree(out, conversations=conversations, seed=seed)
    return info.root, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tree", type=Path, default=None, help="Folder of the tree (reused when it exists).")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="Also write the results as JSON here.")
    args = parser.parse_args(argv)

    from vogue_pack.raw.load import load
    from vogue_pack.raw.tree import discover
    from vogue_pack.validate.crosscheck import run_checks

    root, synth_seconds = _tree(args.tree, args.conversations, args.seed)
    started = time.perf_counter()
    tree, _ = discover(root)
    loaded = load(tree)
    load_seconds = time.perf_counter() - started
    rows = {name: table.num_rows for name, table in sorted(loaded.tables.items())}

    runs: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        timings: dict[str, float] = {}
        cpu = time.process_time()
        wall = time.perf_counter()
        findings = run_checks(loaded.tables, loaded.unavailable, timings=timings)
        runs.append({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                     "findings": len(findings), "timings": timings})
    best = min(runs, key=lambda r: r["wall"])
    result = {
        "conversations": rows.get("conversations"),
        "rows": rows,
        "synth_seconds": synth_seconds,
        "load_seconds": load_seconds,
        "checks_wall_best": best["wall"],
        "checks_wall_median": statistics.median(r["wall"] for r in runs),
        "checks_cpu_best_run": best["cpu"],
        "findings": best["findings"],
        "per_check_best_run": dict(sorted(best["timings"].items(), key=lambda kv: -kv[1])),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "versions": _versions(),
    }
    print(f"tree: {root} ({result['conversations']} conversations; {rows.get('utterances')} utterances, "
          f"{rows.get('item_ratings')} item ratings)")
    if synth_seconds is not None:
        print(f"synthetic tree written in {synth_seconds:.1f} s")
    print(f"load (discover + parse + schemas): {load_seconds:.1f} s")
    print(f"cross-file checks: best {best['wall']:.2f} s wall, median {result['checks_wall_median']:.2f} s "
          f"over {args.repeat} runs ({best['cpu']:.2f} s CPU in the best run), {best['findings']} findings")
    for name, seconds in list(result["per_check_best_run"].items())[:8]:
        print(f"  {seconds:6.2f} s  {name}")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {result['versions']}")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
