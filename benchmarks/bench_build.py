"""Benchmark `vogue-pack build` on synthetic trees: validate, build (with a per-stage breakdown), verify, and
a rebuild under the next patch version (which also diffs against the first release).

    python benchmarks/bench_build.py                          # 60 and 60,000 conversations, temp folders
    python benchmarks/bench_build.py --conversations 600 --work /tmp/bench-build --json out.json
    python benchmarks/bench_build.py --tree /tmp/raw60k --no-images --max-file-mb 256 --max-values 20000000

Stages run partly on worker threads (Parquet and the content digests beside the database write, the card's
statistics beside both), so they add up to more than the build; CPU seconds are given with wall seconds.

Trees are written once per size under --work (and reused when there). Each build goes to a fresh output
folder. Results go to stdout as Markdown rows (docs/benchmarks.md, "Build").
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Stages of release.build_release timed by wrapping the module's functions (name in vogue_pack.release.build).
STAGES = ("raw_tree_digest", "take_canonical", "write_parquet", "table_digests", "card_sections",
          "_copy_images", "add", "finish", "render_card", "croissant_metadata")  # add, finish: of DatabaseWriter


def _versions() -> dict[str, str]:
    import duckdb
    import pyarrow

    from vogue_pack._version import __version__

    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    return {"python": platform.python_version(), "pyarrow": pyarrow.__version__, "duckdb": duckdb.__version__,
            "vogue_pack": __version__, "cores": str(os.cpu_count()), "cpu": cpu}


def _timed(seconds: dict[str, float], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - started
    return wrapper


def _instrument(seconds: dict[str, float]) -> None:
    import vogue_pack.release.card as card
    import vogue_pack.release.croissant as croissant
    from vogue_pack.release import build as release
    from vogue_pack.release.database import DatabaseWriter

    for name in STAGES:
        for module in (release, card, croissant, DatabaseWriter):
            if hasattr(module, name):
                setattr(module, name, _timed(seconds, name, getattr(module, name)))


def _tree(work: Path, conversations: int) -> tuple[Path, float | None]:
    from vogue_pack.synth import write_tree

    out = work / f"tree-{conversations}"
    if (out / "data" / "conversation_trials").is_dir():
        return out / "data", None
    started = time.perf_counter()
    info = write_tree(out, conversations=conversations, seed=0)
    return info.root, time.perf_counter() - started


def run(work: Path, conversations: int, stages: dict[str, float], tree: Path | None = None,
        options: dict[str, Any] | None = None) -> dict[str, Any]:
    from vogue_pack.images.inspect import ImageOptions
    from vogue_pack.release.build import build_release
    from vogue_pack.release.verify import verify_release
    from vogue_pack.validate.pipeline import ValidateOptions, validate

    root, synth_seconds = (tree, None) if tree is not None else _tree(work, conversations)
    cache = work / "image-cache"
    started = time.perf_counter()
    validation = validate(root, ValidateOptions(images=ImageOptions(cache_dir=cache), **(options or {})))
    validate_seconds = time.perf_counter() - started
    if not validation.report.ok:
        raise SystemExit(f"the tree {root} does not validate")
    conversations = validation.tables["conversations"].num_rows

    out = work / f"release-{conversations}"
    shutil.rmtree(out, ignore_errors=True)
    stages.clear()
    started, cpu = time.perf_counter(), time.process_time()
    built = build_release(validation, "1.0", out, source_date_epoch=0)
    build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    first_build_stages = {name: round(stages[name], 2) for name in STAGES}
    started = time.perf_counter()
    verified = verify_release(built.path)
    verify_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rebuilt = build_release(validation, "1.0.1", out, source_date_epoch=0)  # includes the diff against 1.0
    rebuild_seconds = time.perf_counter() - started
    assert verified.ok and rebuilt.required_bump == "patch"
    return {
        "conversations": conversations,
        "rows": sum(built.rows.values()),
        "files": built.files,
        "megabytes": round(built.bytes / 1e6, 1),
        "synth_seconds": None if synth_seconds is None else round(synth_seconds, 2),
        "validate_seconds": round(validate_seconds, 2),
        "build_seconds": round(build_seconds, 2),
        "build_cpu_seconds": round(build_cpu, 2),
        "release_digest": built.release_digest,
        "stages_first_build": first_build_stages,
        "verify_seconds": round(verify_seconds, 2),
        "rebuild_with_diff_seconds": round(rebuild_seconds, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, nargs="+", default=[60, 60_000])
    parser.add_argument("--work", type=Path, default=None, help="Folder for trees and releases (kept).")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results as JSON here.")
    parser.add_argument("--tree", type=Path, default=None, help="Build this raw tree instead of synthetic ones.")
    parser.add_argument("--no-images", action="store_true", help="Validate without images (as build --no-images).")
    parser.add_argument("--max-file-mb", type=int, default=None)
    parser.add_argument("--max-values", type=int, default=None)
    args = parser.parse_args(argv)
    options: dict[str, Any] = {}
    if args.no_images:
        options["check_images"] = False
    if args.max_file_mb:
        options["max_file_bytes"] = args.max_file_mb << 20
    if args.max_values:
        options["max_values"] = args.max_values
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    stages: dict[str, float] = defaultdict(float)
    _instrument(stages)
    sizes = [0] if args.tree else args.conversations
    results = {"versions": _versions(), "runs": [run(work, n, stages, args.tree, options) for n in sizes]}
    print(json.dumps(results["versions"]))
    print("| conversations | rows | files | MB | validate s | build s (CPU s) | verify s | rebuild + diff s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results["runs"]:
        print(f"| {r['conversations']:,} | {r['rows']:,} | {r['files']} | {r['megabytes']} | "
              f"{r['validate_seconds']} | {r['build_seconds']} ({r['build_cpu_seconds']}) | {r['verify_seconds']} | "
              f"{r['rebuild_with_diff_seconds']} |")
    for r in results["runs"]:
        stages = ", ".join(f"{k.strip('_')} {v}" for k, v in r["stages_first_build"].items())
        print(f"- {r['conversations']:,} conversations, build stages (s): {stages}", file=sys.stdout)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
