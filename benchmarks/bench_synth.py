"""Benchmark: time vogue_pack.synth.write_tree at several sizes (run: python benchmarks/bench_synth.py)."""

from __future__ import annotations

import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from vogue_pack.synth import write_tree


def main() -> None:
    """Print one Markdown table row per size: conversations, images, seconds, files, MB on disk."""
    sizes = [(60, True), (60, False), (6_000, False), (60_000, False)]
    if len(sys.argv) > 1:
        sizes = [(int(arg), False) for arg in sys.argv[1:]]
    print(f"python {platform.python_version()}, {platform.machine()}")
    print("| conversations | images | seconds | files | MB |")
    print("|---:|:---:|---:|---:|---:|")
    for conversations, images in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "raw"
            start = time.perf_counter()
            info = write_tree(out, conversations=conversations, seed=0, images=images)
            seconds = time.perf_counter() - start
            files = [p for p in info.root.rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files) / 1e6
            print(f"| {conversations:,} | {'yes' if images else 'no'} | {seconds:.1f} | {len(files):,} | {size:.0f} |")
            shutil.rmtree(out)


if __name__ == "__main__":
    main()
