"""The import layers of docs/architecture.md hold, and the contract really catches a back-edge."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS, "lint-imports (import-linter) is a dev dependency: pip install -e '.[dev]'"
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=120)


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy(PROJECT / "pyproject.toml", copy / "pyproject.toml")
    shutil.copytree(PROJECT / "vogue_pack", copy / "vogue_pack",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


def test_the_layer_contracts_are_kept() -> None:
    result = _lint(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "planted", "contract"), [
    # the finding model importing a check runner: the back-edge this layout removed
    ("report/findings.py", "from vogue_pack.validate import crosscheck", "Pipeline layers run one way"),
    # a lower stage reaching a higher one lazily, inside a function, still counts
    ("raw/load.py", "def _late():\n    from vogue_pack.release import build", "Pipeline layers run one way"),
    ("images/dedup.py", "import click", "Only the command line imports click"),
    ("synth.py", "from vogue_pack.raw import model", "independent oracle"),
])
def test_a_planted_back_edge_breaks_the_contract(tmp_path: Path, module: str, planted: str, contract: str) -> None:
    copy = _copy(tmp_path)
    path = copy / "vogue_pack" / module
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + planted + "\n", encoding="utf-8")
    result = _lint(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken) or contract in result.stdout.split("Broken contracts")[-1], \
        result.stdout


def test_a_new_module_outside_every_layer_is_refused(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "vogue_pack" / "stray.py").write_text('"""A module no layer owns."""\n', encoding="utf-8")
    result = _lint(copy)
    assert result.returncode != 0
    assert "stray" in result.stdout + result.stderr
