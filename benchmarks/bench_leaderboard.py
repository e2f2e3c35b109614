"""Benchmark: the leaderboard, 5 predictors x B bootstrap resamples, on synthetic trees of several sizes.

    python benchmarks/bench_leaderboard.py [N ...]      (default sizes 60 and 6000 conversations; no images)

The five predictors are the human, mode and random baselines and two noisy copies of the truth (built
beforehand, not timed). Timed: ``build_leaderboard`` (checking and scoring every predictor, the B x C count
matrix, every metric of every subset in every resample, the paired comparisons), median of 5 runs, plus CPU
seconds; and the resampling alone (``resample_counts`` + ``weighted_metrics``). Prints Markdown rows.
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from vogue_pack.analysis.leaderboard import (
    Predictor,
    baseline_predictor,
    build_leaderboard,
    resample_counts,
    weighted_metrics,
)
from vogue_pack.analysis.predictions import ground_truth
from vogue_pack.analysis.stats import load_source
from vogue_pack.synth import write_tree

RUNS = 5


def _noisy(tables: dict[str, pa.Table], name: str, share_right: float, seed: int) -> Predictor:
    truth = ground_truth(tables)
    rng = np.random.default_rng(seed)
    g = truth.column("rating").to_numpy().astype(np.int64)
    shift = rng.choice([-2, -1, 1, 2], size=len(g))
    p = np.where(rng.random(len(g)) < share_right, g, np.clip(g + shift, 1, 5))
    return Predictor(name, name, "long", pa.table({"conversation_id": truth.column("conversation_id"),
                                                   "item_id": truth.column("item_id"),
                                                   "rating": pa.array(p, pa.int16())}))


def main() -> None:
    """Print: conversations, cells, predictors, resamples, leaderboard median s and CPU s, resampling s."""
    sizes = [int(arg) for arg in sys.argv[1:]] or [60, 6_000]
    print(f"python {platform.python_version()}, {platform.machine()}, numpy {np.__version__}, "
          f"pyarrow {pa.__version__}")
    print("| conversations | cells | predictors × resamples | leaderboard s (median of 5) | CPU s | "
          "resampling only s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for conversations in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            info = write_tree(Path(tmp) / "raw", conversations=conversations, seed=0, images=False)
            tables = load_source(info.root, images=False).tables
        predictors = [baseline_predictor(tables, "human"), baseline_predictor(tables, "mode"),
                      baseline_predictor(tables, "random"), _noisy(tables, "model-a", 0.5, 1),
                      _noisy(tables, "model-b", 0.6, 2)]
        walls, cpus = [], []
        for _ in range(RUNS):
            wall, cpu = time.perf_counter(), time.process_time()
            board = build_leaderboard(tables, predictors, reference="human", resamples=1000, seed=0)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        from vogue_pack.analysis.leaderboard import _cells, _subset_stats

        ids = np.unique(ground_truth(tables).column("conversation_id").to_numpy().astype(np.int64))
        stats = [_subset_stats(_cells(tables, p.table), ids) for p in predictors]
        start = time.perf_counter()
        weights = resample_counts(len(ids), 1000, 0)
        for per_subset in stats:
            for subset_stats in per_subset.values():
                weighted_metrics(subset_stats, weights)
        resampling = time.perf_counter() - start
        cells = board.rows[0].result.expected_items
        print(f"| {conversations:,} | {cells:,} | 5 × 1000 | {statistics.median(walls):.3f} | "
              f"{statistics.median(cpus):.3f} | {resampling:.3f} |")


if __name__ == "__main__":
    main()
