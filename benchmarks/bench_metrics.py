"""Benchmark: stats, evaluate (three baselines) and the SQL metric views on synthetic trees of several sizes.

    python benchmarks/bench_metrics.py [N ...]      (default sizes 60, 6000, 60000; no images)

Prints one Markdown table row per size. Loading (validation of the raw tree) is timed apart: it is the
validator's cost, not the metrics'.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from vogue_pack.analysis.metrics import baseline_predictions, compute_stats, create_metric_views, evaluate
from vogue_pack.analysis.stats import load_source
from vogue_pack.synth import write_tree


def _timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return value, time.perf_counter() - start


def main() -> None:
    """Print: conversations, cells, load s, stats s, evaluate human/mode/random s, SQL views s."""
    sizes = [int(arg) for arg in sys.argv[1:]] or [60, 6_000, 60_000]
    print(f"python {platform.python_version()}, {platform.machine()}, numpy {np.__version__}, "
          f"duckdb {duckdb.__version__}")
    print("| conversations | cells | load (validate) s | stats s | evaluate human s | mode s | random s "
          "| SQL views s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for conversations in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            info = write_tree(Path(tmp) / "raw", conversations=conversations, seed=0, images=False)
            source, load_s = _timed(load_source, info.root, images=False)
            tables = source.tables
            _, stats_s = _timed(compute_stats, tables)
            seconds = []
            for name in ("human", "mode", "random"):
                predictions = baseline_predictions(tables, name)  # not timed: evaluate() only
                start = time.perf_counter()
                result = evaluate(tables, predictions)
                seconds.append(time.perf_counter() - start)
            con = duckdb.connect()
            for name in ("item_ratings", "conversation_items"):
                con.register(name, tables[name])
            create_metric_views(con)
            start = time.perf_counter()
            con.sql("SELECT * FROM metrics_human_overall").fetchall()
            con.sql("SELECT * FROM metrics_human_per_conversation").fetchall()
            sql_s = time.perf_counter() - start
            con.close()
            print(f"| {conversations:,} | {result.expected_items:,} | {load_s:.1f} | {stats_s:.3f} | "
                  f"{seconds[0]:.3f} | {seconds[1]:.3f} | {seconds[2]:.3f} | {sql_s:.3f} |")


if __name__ == "__main__":
    main()
