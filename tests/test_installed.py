"""A plain ``pip install`` of the wheel works: every import the package makes is a declared dependency.

One module-scoped fixture builds the wheel (``python -m build --wheel``) from a copy of the sources,
creates a fresh virtual environment (``python -m venv``, nothing borrowed from the test environment)
and runs ``pip install WHEEL`` with no extras, so the dependencies come from the package index pip is
configured with, exactly as a user's install gets them. The tests then run the installed console script:
every command on a synthetic tree that the installed ``synth`` writes, with the exit codes and the lines
a user relies on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
DEV_ONLY = ("playwright", "datasets", "mlcroissant", "pytest", "hypothesis")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    site: Path
    work: Path

    @property
    def script(self) -> Path:
        return self.venv / "bin" / "vogue-pack"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.script), *args], capture_output=True, text=True, check=False,
                              cwd=self.work, env=_clean_env(), timeout=timeout)


def _clean_env() -> dict[str, str]:
    """The user's environment without anything pointing Python at the checkout or the test environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("PYTEST")}
    env["PYTHONNOUSERSITE"] = "1"
    env["NO_COLOR"] = "1"
    env["SOURCE_DATE_EPOCH"] = "1760000000"
    return env


def _tail(run: subprocess.CompletedProcess[str]) -> str:
    return f"exit {run.returncode}\nstdout: {run.stdout[-3000:]}\nstderr: {run.stderr[-3000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT / name, source / name)
    for name in ("vogue_pack", "schemas", "checks", "docs"):
        shutil.copytree(PROJECT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist = base / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, check=False, cwd=base, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    wheels = sorted(dist.glob("vogue_pack-*.whl"))
    assert len(wheels) == 1

    venv = base / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    pip_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])],
                             capture_output=True, text=True, check=False, cwd=base, env=pip_env, timeout=1800)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, env=_clean_env()).stdout.strip())
    work = base / "work"
    work.mkdir()
    return Installed(wheel=wheels[0], venv=venv, site=site, work=work)


@pytest.fixture(scope="module")
def release(installed: Installed) -> Path:
    """A synthetic tree written, then built into a release, by the installed commands."""
    synth = installed.run("synth", "raw", "--conversations", "12")
    assert synth.returncode == 0, _tail(synth)
    assert "wrote 12 conversations, 4 participants" in synth.stderr
    build = installed.run("build", "raw", "--version", "1.0", "--out", "release")
    assert build.returncode == 0, _tail(build)
    assert build.stdout.strip() == str(Path("release") / "1.0")
    assert "built release 1.0:" in build.stderr and "release digest: sha256:" in build.stderr
    return installed.work / "release" / "1.0"


def _files_under(folder: Path, pattern: str = "*") -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob(pattern) if p.is_file()
            and "__pycache__" not in p.parts}


def test_wheel_ships_schemas_checks_and_docs(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        names = set(archive.namelist())
    for folder, pattern in (("schemas", "*"), ("checks", "*"), ("docs", "*.md")):
        expected = _files_under(PROJECT / folder, pattern)
        assert expected, f"{folder}/ is empty in the checkout"
        shipped = {n.removeprefix(f"vogue_pack/_data/{folder}/") for n in names
                   if n.startswith(f"vogue_pack/_data/{folder}/")}
        assert shipped == expected, folder
    assert "vogue_pack/analysis/reference/paper_figures.json" in names  # the card's comparison with the paper


def test_fresh_environment_imports_every_module_without_dev_packages(installed: Installed) -> None:
    """Every module of the package imports from the plain install (lazy imports inside functions are at
    module level of some module, or a declared dependency), and no dev-only package came along."""
    probe = ("import importlib, importlib.util, json, pkgutil, vogue_pack, vogue_pack.resources as r\n"
             "mods = [m.name for m in pkgutil.walk_packages(vogue_pack.__path__, 'vogue_pack.')]\n"
             "for m in mods: importlib.import_module(m)\n"
             f"dev = [d for d in {DEV_ONLY!r} if importlib.util.find_spec(d) is not None]\n"
             "print(json.dumps([vogue_pack.__file__, str(r.data_dir('schemas')), str(r.data_dir('docs')), "
             "len(mods), dev]))")
    located = subprocess.run([str(installed.python), "-c", probe], capture_output=True, text=True, check=False,
                             cwd=installed.work, env=_clean_env(), timeout=300)
    assert located.returncode == 0, located.stderr[-3000:]
    package, schemas, docs, modules, dev = json.loads(located.stdout)
    assert Path(package).is_relative_to(installed.site)
    assert Path(schemas) == installed.site / "vogue_pack" / "_data" / "schemas"
    assert Path(docs) == installed.site / "vogue_pack" / "_data" / "docs"
    with zipfile.ZipFile(installed.wheel) as archive:
        sources = [n for n in archive.namelist() if n.endswith(".py") and not n.startswith("vogue_pack/_data/")]
    assert modules == len(sources) - 1  # every module and subpackage, all but vogue_pack/__init__.py itself
    assert dev == []


def test_help_and_version(installed: Installed) -> None:
    version = installed.run("--version")
    assert version.returncode == 0 and "vogue-pack" in version.stdout
    top = installed.run("--help")
    assert top.returncode == 0, _tail(top)
    # the console script prints its stored page (vogue_pack/_entry.py): the installed click prints the same
    by_click = subprocess.run([str(installed.python), "-c", "import sys; sys.argv[0] = 'vogue-pack'; "
                               "from vogue_pack.cli import main; main()", "--help"],
                              capture_output=True, text=True, check=False, cwd=installed.work, env=_clean_env())
    assert (top.stdout, top.stderr) == (by_click.stdout, by_click.stderr) and by_click.returncode == 0
    for command in ("demo", "synth", "validate", "build", "verify", "query", "stats", "evaluate", "docs"):
        assert f"  {command}" in top.stdout, command
        sub = installed.run(command, "--help")
        assert sub.returncode == 0 and sub.stdout.startswith(f"Usage: vogue-pack {command}"), _tail(sub)
        assert "docs/" not in sub.stdout, command


def test_docs(installed: Installed) -> None:
    listing = installed.run("docs")
    assert listing.returncode == 0, _tail(listing)
    topics = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert topics == sorted(p.stem for p in (PROJECT / "docs").glob("*.md"))
    page = installed.run("docs", "findings")
    assert page.returncode == 0 and page.stdout == (PROJECT / "docs" / "findings.md").read_text(encoding="utf-8")
    unknown = installed.run("docs", "no-such-page")
    assert unknown.returncode == 2 and "no-such-page" in unknown.stderr and "Traceback" not in unknown.stderr


def test_demo(installed: Installed) -> None:
    run = installed.run("demo", str(installed.work / "demo"))
    assert run.returncode == 0, _tail(run)
    assert "valid: 0 errors" in run.stdout + run.stderr
    assert "verify: OK" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_validate(installed: Installed, release: Path) -> None:
    run = installed.run("validate", "raw", "--format", "json")
    assert run.returncode == 0, _tail(run)
    report = json.loads(run.stdout)
    assert report["valid"] is True
    assert "valid: 0 errors" in run.stderr
    # the cross-file checks ran from the wheel's checks/: none of them reports that it could not run
    assert not [f for f in report["findings"] if f["code"] == "check.not-run"]
    missing = installed.run("validate", "absent")
    assert missing.returncode == 2 and "absent" in missing.stderr and "Traceback" not in missing.stderr


def test_verify(installed: Installed, release: Path) -> None:
    run = installed.run("verify", str(release))
    assert run.returncode == 0, _tail(run)
    assert run.stdout.startswith("OK: release 1.0") and "0 problems" in run.stdout


def test_query(installed: Installed, release: Path) -> None:
    run = installed.run("query", str(release), "SELECT count(*) AS n FROM conversations", "--format", "json")
    assert run.returncode == 0, _tail(run)
    assert json.loads(run.stdout) == [{"n": 12}]
    refused = installed.run("query", str(release), "DROP TABLE conversations")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def test_stats(installed: Installed, release: Path) -> None:
    run = installed.run("stats", str(release), "--format", "json")
    assert run.returncode == 0, _tail(run)
    numbers = json.loads(run.stdout)
    assert numbers["conversations"] == 12
    assert numbers["participants"]["total"] == 4


def test_evaluate(installed: Installed, release: Path) -> None:
    run = installed.run("evaluate", str(release), "--baseline", "human", "--format", "json")
    assert run.returncode == 0, _tail(run)
    assert "accuracy" in run.stdout
    table = installed.run("evaluate", str(release), "--baseline", "mode")
    assert table.returncode == 0, _tail(table)
    assert "predictor: baseline mode" in table.stdout
