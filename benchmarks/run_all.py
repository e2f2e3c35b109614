"""The performance goals in one run: each goal beside its floor, before and after, as a ratio.

Usage:
    python benchmarks/run_all.py [--before REV] [--repeats 5] [--large 60000] [--out results.json]
                                 [--dedupe-set DIR --imagededup-python PYTHON]

"after" is this checkout; "before" is git revision REV (default: none), checked out into a temporary git
worktree and run with the same interpreter and dependencies, side by side, alternating runs, so both see
the same machine load. Every command runs in a fresh process through ``benchmarks/measure.py``, which
reports wall seconds, CPU seconds (user + sys of the process and every worker it waited for) and the peak
resident memory of the largest process.

The floors:
- one pass (``--floor``): read and sha256 every file of the raw tree once, parse every JSON file, fully
  decode every image; in a fresh interpreter, so start-up and the imports it needs (Pillow) are counted.
- the same pass without image decoding, for the cached run.
- for memory: the raw tree's bytes.

Prints a Markdown table (goal, floor, before, after, ratio, met) for docs/benchmarks.md and writes every
measurement to ``--out``. Findings are compared too: the JSON reports of before and after on the same tree
are listed when their finding codes differ (a change that alters a finding is a bug unless a check was added
on purpose).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
MEASURE = HERE / "measure.py"

FLOOR = r"""
import hashlib, json, sys
from pathlib import Path
decode = sys.argv[2] == "1"
if decode:
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
root = Path(sys.argv[1])
for path in sorted(p for p in root.rglob("*") if p.is_file()):
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".json":
        json.loads(data)
    elif decode and suffix in (".png", ".jpg", ".jpeg"):
        import io
        with Image.open(io.BytesIO(data)) as image:
            image.load()
"""

IMPORT_FLOOR = "import duckdb, pyarrow; pyarrow.array([1])"


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run ``argv`` in a fresh process; wall, cpu, peak rss (bytes) and exit code."""
    out = subprocess.run([sys.executable, str(MEASURE), "--", *argv], env=env, cwd=cwd, capture_output=True,
                         text=True, check=False)
    try:
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        raise SystemExit(f"measure failed for {argv}: {out.stdout[-2000:]} {out.stderr[-2000:]}") from None


class Side:
    """One code version: its source folder and the environment that imports it."""

    def __init__(self, name: str, source: Path) -> None:
        self.name = name
        self.source = source
        self.env = {**os.environ, "PYTHONPATH": str(source), "GX_ANALYTICS_ENABLED": "false",
                    "SOURCE_DATE_EPOCH": "1760000000", "NO_COLOR": "1"}
        # an installed tool runs from compiled bytecode (pip writes it at install time): allow the cache, and
        # warm it up before measuring (see _warm_up), so start-up is not timed as compilation
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    def cli(self, *args: str) -> list[str]:
        """The console script's entry point (vogue_pack._entry where the version has it), named as installed."""
        entry = "vogue_pack._entry" if (self.source / "vogue_pack" / "_entry.py").exists() else "vogue_pack.cli"
        return [sys.executable, "-c", f"import sys; sys.argv[0] = 'vogue-pack'; from {entry} import main; main()",
                *args]


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _alternate(sides: list[Side], repeats: int, make: Any, cwd: Path,
               exits: tuple[int, ...] = (0, 1)) -> dict[str, list[dict[str, Any]]]:
    """Run ``make(side)`` for each side in turn, ``repeats`` rounds (alternating against drifting load).
    A run that exits otherwise than ``exits`` stops the benchmark (a failed command is not a timing)."""
    runs: dict[str, list[dict[str, Any]]] = {s.name: [] for s in sides}
    for _ in range(repeats):
        for side in sides:
            argv, setup = make(side)
            if setup is not None:
                setup()
            run = measure(argv, side.env, cwd)
            if run["exit"] not in exits:
                raise SystemExit(f"{side.name}: {' '.join(argv[3:])} exited {run['exit']}: {run['stderr_tail']}")
            runs[side.name].append(run)
    return runs


def _warm_up(sides: list[Side], raw: Path, work: Path) -> None:
    """One untimed run of each command per side: writes the bytecode caches of both code versions."""
    for side in sides:
        for args in (("--help",), ("validate", str(raw), "--no-cache", "--format", "json"),
                     ("validate", "--help"), ("build", "--help"), ("query", "--help"), ("verify", "--help")):
            subprocess.run(side.cli(*args), env=side.env, cwd=work, capture_output=True, check=False)


def _tree(work: Path, conversations: int, images: bool) -> Path:
    raw = work / f"raw-{conversations}{'' if images else '-noimg'}"
    if not raw.exists():
        args = ["synth", str(raw), "--conversations", str(conversations), "--seed", "0"]
        if not images:
            args.append("--no-images")
        subprocess.run(Side("after", PROJECT).cli(*args), env=Side("after", PROJECT).env, check=True,
                       capture_output=True)
    return raw


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _codes(side: Side, raw: Path, cwd: Path) -> Counter[str]:
    out = subprocess.run(side.cli("validate", str(raw), "--no-cache", "--format", "json"), env=side.env, cwd=cwd,
                         capture_output=True, text=True, check=False)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        return Counter({"<no report>": 1})
    return Counter(f"{f['severity']} {f['code']}" for f in report.get("findings", []))


def _versions() -> str:
    from importlib import metadata

    names = ("duckdb", "pyarrow", "pillow", "pandera", "great-expectations", "imagehash", "numpy")
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} -")
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {platform.machine()}, Python {platform.python_version()}, "
            + ", ".join(parts) + f"; load average before the run {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="git revision to compare with (run side by side)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--large", type=int, default=60_000, help="conversations of the large tree (0: skip)")
    parser.add_argument("--large-repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--dedupe-set", type=Path, default=None,
                        help="an image set of benchmarks/images_synth.py (with images/ and labels.csv)")
    parser.add_argument("--imagededup-python", default=None,
                        help="the interpreter of a venv with imagededup (goal 4 runs only with both options)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vogue-bench-"))
    sides = [Side("after", PROJECT)]
    worktree = None
    if args.before:
        worktree = work / "before-src"
        subprocess.run(["git", "-C", str(PROJECT), "worktree", "add", "--detach", "-q", str(worktree), args.before],
                       check=True)
        sides.insert(0, Side("before", worktree))
    rows: list[tuple[str, str, dict[str, str], str, bool | None]] = []
    results: dict[str, Any] = {"machine": _versions(), "goals": {}}
    try:
        _run(args, work, sides, rows, results)
    finally:
        if worktree is not None:
            subprocess.run(["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(worktree)], check=False)
        shutil.rmtree(work, ignore_errors=True)
    names = [s.name for s in sides]
    print(f"\nMachine: {results['machine']}\n")
    print("| goal | floor | " + " | ".join(names) + " | ratio (after) | met |")
    print("|---|---|" + "---|" * len(names) + "---|---|")
    for goal, floor, values, ratio, met in rows:
        cells = " | ".join(values.get(n, "-") for n in names)
        print(f"| {goal} | {floor} | {cells} | {ratio} | {'yes' if met else 'no' if met is not None else '-'} |")
    if results.get("finding_changes"):
        print("\nFinding codes that differ between before and after (real-size tree):")
        for line in results["finding_changes"]:
            print(f"  {line}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _run(args: argparse.Namespace, work: Path, sides: list[Side], rows: list[Any], results: dict[str, Any]) -> None:
    reps = args.repeats
    raw = _tree(work, 60, images=True)
    _warm_up(sides, raw, work)
    floor_py = work / "floor.py"
    floor_py.write_text(FLOOR, encoding="utf-8")
    subprocess.run([sys.executable, str(floor_py), str(raw), "1"], env=sides[-1].env, check=True)  # warm up
    after = sides[-1]

    def fmt(runs: dict[str, list[dict[str, Any]]], key: str, scale: float = 1.0, unit: str = "s") -> dict[str, str]:
        return {n: f"{_median(r, key) / scale:.2f} {unit}" for n, r in runs.items()}

    # 1. real-size tree: cold validate against the one-pass floor; cached against the floor without decoding
    floor = _alternate([after], reps, lambda s: ([sys.executable, str(floor_py), str(raw), "1"], None), work)
    floor_nodecode = _alternate([after], reps, lambda s: ([sys.executable, str(floor_py), str(raw), "0"], None), work)
    cold = _alternate(sides, reps, lambda s: (s.cli("validate", str(raw), "--no-cache", "--format", "json"), None),
                      work)
    f_wall, f0_wall = _median(floor[after.name], "wall"), _median(floor_nodecode[after.name], "wall")
    ratio = _median(cold[after.name], "wall") / f_wall
    rows.append(("validate --no-cache, 60 conversations (wall) ≤ 2× floor", f"{f_wall:.2f} s",
                 fmt(cold, "wall"), f"{ratio:.2f}×", ratio <= 2.0))
    cache_dirs = {s.name: work / f"cache-{s.name}" for s in sides}
    for side in sides:
        side.env["XDG_CACHE_HOME"] = str(cache_dirs[side.name])
        subprocess.run(side.cli("validate", str(raw)), env=side.env, capture_output=True, check=False)  # warm up
    warm = _alternate(sides, reps, lambda s: (s.cli("validate", str(raw), "--format", "json"), None), work)
    ratio = _median(warm[after.name], "wall") / f0_wall
    rows.append(("validate, cached (wall) ≤ 1.2× floor without decoding", f"{f0_wall:.2f} s", fmt(warm, "wall"),
                 f"{ratio:.2f}×", ratio <= 1.2))
    results["goals"]["real_size"] = {"floor": floor, "floor_nodecode": floor_nodecode, "cold": cold, "warm": warm}

    # 2. build with the expectation suites against validate
    counter = {"n": 0}

    def build(side: Side) -> tuple[list[str], Any]:
        counter["n"] += 1
        return side.cli("build", str(raw), "--version", f"1.{counter['n']}", "--out",
                        str(work / f"rel-{side.name}"), "--no-cache"), None

    built = _alternate(sides, reps, build, work, exits=(0,))
    delta = _median(built[after.name], "wall") - _median(cold[after.name], "wall")
    rows.append(("build ≤ validate + 1 s, 60 conversations (wall)", "validate "
                 f"{_median(cold[after.name], 'wall'):.2f} s", fmt(built, "wall"), f"+{delta:.2f} s", delta <= 1.0))
    results["goals"]["build"] = built

    # 5. --help, query and verify on the real-size release
    helps = _alternate(sides, reps, lambda s: (s.cli("--help"), None), work)
    rows.append(("--help ≤ 50 ms (wall, fresh process)", "-", fmt(helps, "wall", 0.001, "ms"), "-",
                 _median(helps[after.name], "wall") <= 0.05))
    python_start = _alternate([after], reps, lambda s: ([sys.executable, "-c", "pass"], None), work)
    rows.append(("(interpreter start alone)", "-", fmt(python_start, "wall", 0.001, "ms"), "-", None))
    # what any command that reads the data pays before doing anything: the libraries it is built on
    # (pyarrow's first conversion of a Python list imports pandas)
    imports = _alternate([after], reps, lambda s: ([sys.executable, "-c", IMPORT_FLOOR], None), work)
    rows.append(("(imports alone: duckdb, pyarrow and its first conversion, which imports pandas)", "-",
                 fmt(imports, "wall"), "-", None))
    results["goals"]["imports"] = imports
    release = {s.name: next((work / f"rel-{s.name}").iterdir()) for s in sides}
    sql = "SELECT role, count(*) FROM item_ratings GROUP BY role"
    queries = _alternate(sides, reps, lambda s: (s.cli("query", str(release[s.name]), sql), None), work)
    rows.append(("query on the real-size release ≤ 0.3 s", "-", fmt(queries, "wall"), "-",
                 _median(queries[after.name], "wall") <= 0.3))
    verifies = _alternate(sides, reps, lambda s: (s.cli("verify", str(release[s.name])), None), work)
    rows.append(("verify on the real-size release ≤ 0.3 s", "-", fmt(verifies, "wall"), "-",
                 _median(verifies[after.name], "wall") <= 0.3))
    results["goals"]["startup"] = {"help": helps, "query": queries, "verify": verifies}

    if len(sides) == 2:
        before_codes, after_codes = _codes(sides[0], raw, work), _codes(sides[1], raw, work)
        results["finding_changes"] = [f"{code}: {before_codes[code]} -> {after_codes[code]}"
                                      for code in sorted(set(before_codes) | set(after_codes))
                                      if before_codes[code] != after_codes[code]]

    # 4. dedupe against imagededup's PHash on the same set (recall: benchmarks/bench_images.py)
    if args.dedupe_set and args.imagededup_python:
        images = args.dedupe_set / "images"
        ours = _alternate(sides, max(1, reps // 2), lambda s: (s.cli("dedupe", str(images), "--no-cache",
                                                                      "--format", "json"), None), work)
        theirs = _alternate([after], max(1, reps // 2), lambda s: ([args.imagededup_python,
                                                                     str(HERE / "images_imagededup.py"), "run",
                                                                     str(images)], None), work, exits=(0,))
        ratio = _median(ours[after.name], "wall") / _median(theirs[after.name], "wall")
        rows.append((f"dedupe --no-cache ≤ 0.15× imagededup's wall ({sum(1 for _ in images.iterdir()):,} images)",
                     f"imagededup {_median(theirs[after.name], 'wall'):.1f} s", fmt(ours, "wall"), f"{ratio:.3f}×",
                     ratio <= 0.15))
        results["goals"]["dedupe"] = {"vogue_pack": ours, "imagededup": theirs}

    # 3. the large tree: CPU against the floor, both cores used, build time and memory
    if args.large:
        big = _tree(work, args.large, images=False)
        raw_bytes = _tree_bytes(big)
        lr = args.large_repeats
        floor_big = _alternate([after], lr, lambda s: ([sys.executable, str(floor_py), str(big), "0"], None), work)
        # budgets raised: at this size the rating and profile CSVs exceed the per-file defaults (8 MiB,
        # 200,000 values), and a file that is not read would not be measured
        budgets = ("--max-file-mb", "256", "--max-values", "20000000")
        val_big = _alternate(sides, lr, lambda s: (s.cli("validate", str(big), "--no-images", "--format", "json",
                                                         *budgets), None), work)
        fc = _median(floor_big[after.name], "cpu")
        ratio = _median(val_big[after.name], "cpu") / fc
        rows.append((f"validate {args.large:,} conversations (CPU) ≤ 5× floor", f"{fc:.1f} s CPU",
                     fmt(val_big, "cpu", unit="s CPU"), f"{ratio:.1f}×", ratio <= 5.0))
        share = {n: f"{_median(r, 'wall') / max(_median(r, 'cpu'), 1e-9):.2f}" for n, r in val_big.items()}
        wall_cpu = _median(val_big[after.name], "wall") / _median(val_big[after.name], "cpu")
        rows.append((f"validate {args.large:,}: wall ≤ 0.6× CPU (both cores)", "0.5 on 2 cores", share,
                     f"{wall_cpu:.2f}", wall_cpu <= 0.6))
        bcount = {"n": 0}

        versions: dict[str, str] = {}

        def build_big(side: Side) -> tuple[list[str], Any]:
            bcount["n"] += 1
            versions[side.name] = f"2.{bcount['n']}"
            return side.cli("build", str(big), "--no-images", "--version", versions[side.name], "--out",
                            str(work / f"bigrel-{side.name}"), *budgets), None

        built_big = _alternate(sides, lr, build_big, work, exits=(0,))
        ratio = _median(built_big[after.name], "wall") / _median(val_big[after.name], "wall")
        rows.append((f"build {args.large:,} ≤ 1.3× validate (wall)", "-", fmt(built_big, "wall"), f"{ratio:.2f}×",
                     ratio <= 1.3))
        peak = _median(built_big[after.name], "rss")
        rows.append((f"build {args.large:,}: peak RSS ≤ 2× raw tree", f"{raw_bytes / 2**20:,.0f} MiB",
                     fmt(built_big, "rss", 2**20, "MiB"), f"{peak / raw_bytes:.2f}×", peak <= 2 * raw_bytes))
        results["goals"]["large"] = {"floor": floor_big, "validate": val_big, "build": built_big,
                                     "raw_bytes": raw_bytes}
        # reproducible at this size too: the same version built again elsewhere has the same bytes
        again = work / "bigrel-again"
        subprocess.run(after.cli("build", str(big), "--no-images", "--version", versions[after.name], "--out",
                                 str(again), *budgets), env=after.env, cwd=work, capture_output=True, check=True)
        first = work / f"bigrel-{after.name}" / versions[after.name]
        differ = sorted(p.name for p in first.rglob("*") if p.is_file()
                        and p.read_bytes() != (again / versions[after.name] / p.relative_to(first)).read_bytes())
        rows.append((f"build {args.large:,} twice: byte-identical releases", "-", {after.name: ", ".join(differ)
                                                                                  or "identical"}, "-", not differ))
        results["goals"]["large"]["rebuild_differs"] = differ


if __name__ == "__main__":
    main()
