"""`vogue-pack --help`, `query` and `verify` never import Great Expectations or pandera (their imports take
seconds), and the console script's top-level help imports neither click nor the rest of the package; checked in
fresh processes through sys.modules, with positive controls proving the checks work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vogue_pack.release.build import validate_and_build
from vogue_pack.synth import SynthInfo

HEAVY = ("great_expectations", "pandera")

RUNNER = textwrap.dedent("""
    import json, os, sys
    sys.argv = ["vogue-pack", *json.loads(os.environ["VP_ARGS"])]
    code = 0
    if os.environ["VP_ENTRY"]:
        try:
            __import__(os.environ["VP_ENTRY"], fromlist=["main"]).main()
        except SystemExit as exc:
            code = exc.code
    with open(os.environ["VP_OUT"], "w", encoding="utf-8") as out:
        json.dump({"code": code, "modules": sorted(sys.modules)}, out)
""")


def run_cli(args: list[str], tmp_path: Path, entry: str = "vogue_pack.cli") -> tuple[int, set[str]]:
    """Run ``entry.main`` (none: only the runner) with ``args`` in a fresh interpreter; its exit code and
    imported modules."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "VP_ARGS": json.dumps(args), "VP_OUT": str(out), "VP_ENTRY": entry}
    subprocess.run([sys.executable, "-c", RUNNER], env=env, cwd=tmp_path, capture_output=True, check=False)
    result = json.loads(out.read_text(encoding="utf-8"))
    return int(result["code"] or 0), set(result["modules"])


def heavy_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


@pytest.fixture(scope="module")
def release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation, built = validate_and_build(small_tree.root, "1.0", tmp_path_factory.mktemp("imports") / "release")
    assert built is not None, validation.report.errors
    return built.path


@pytest.mark.parametrize("args", [["--help"], ["validate", "--help"], ["build", "--help"]])
def test_help_imports_neither(args: list[str], tmp_path: Path) -> None:
    code, modules = run_cli(args, tmp_path)
    assert code == 0
    assert "vogue_pack.cli" in modules
    assert heavy_modules(modules) == set()


# the console script's top-level help: the package, its version, the entry module and the stored pages
FAST_HELP_MODULES = {"vogue_pack", "vogue_pack._version", "vogue_pack._entry", "vogue_pack._help_pages"}


@pytest.mark.parametrize("args", [["--help"], ["-h"], []])
def test_the_console_scripts_help_imports_only_its_pages(args: list[str], tmp_path: Path) -> None:
    """Not click, no other module of the package, nothing of the standard library an interpreter has not
    loaded already (the runner's own imports are subtracted)."""
    code, modules = run_cli(args, tmp_path, entry="vogue_pack._entry")
    assert code == (0 if args else 2)  # bare: click's usage error, help on stderr
    _, runner_only = run_cli(args, tmp_path, entry="")
    assert modules - runner_only == FAST_HELP_MODULES
    assert "click" not in modules


@pytest.mark.parametrize("args", [["validate", "--help"], ["--version"]])
def test_the_console_script_runs_the_rest_through_click(args: list[str], tmp_path: Path) -> None:
    """The positive control of the check above: any other command line imports click and the command line."""
    code, modules = run_cli(args, tmp_path, entry="vogue_pack._entry")
    assert code == 0
    assert {"click", "vogue_pack.cli"} <= modules
    assert heavy_modules(modules) == set()


def test_query_imports_neither(release: Path, tmp_path: Path) -> None:
    code, modules = run_cli(["query", str(release), "SELECT count(*) AS n FROM conversations"], tmp_path)
    assert code == 0
    assert "duckdb" in modules  # the query really ran
    assert heavy_modules(modules) == set()
    assert "pandas" not in modules


def test_verify_imports_neither(release: Path, tmp_path: Path) -> None:
    """Nor pandas, pyarrow, numpy or jsonschema (0.35 s together): the Parquet files build writes are read by
    DuckDB (vogue_pack.release.canonical) and the manifest checked by format.manifest_conforms."""
    code, modules = run_cli(["verify", str(release)], tmp_path)
    assert code == 0
    assert {"duckdb", "vogue_pack.release.canonical", "vogue_pack.release.licence"} <= modules  # it all ran
    assert heavy_modules(modules) == set()
    assert {m.split(".")[0] for m in modules} & {"pandas", "pyarrow", "numpy", "jsonschema"} == set()


def test_validate_runs_the_suites_without_great_expectations(small_tree: SynthInfo, tmp_path: Path) -> None:
    """validate runs the shipped suites and the CSV schemas natively: neither GX nor pandera is imported;
    positive control: the runner sees the native engines' modules and PyYAML (the CSV schemas were read)."""
    code, modules = run_cli(["validate", str(small_tree.root), "--expectations", "--no-images"], tmp_path)
    assert code == 0
    assert "vogue_pack.validate.expect_engine" in modules  # the suites ran
    assert "yaml" in modules  # the CSV schemas were read
    assert heavy_modules(modules) == set()
