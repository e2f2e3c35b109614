"""The installed console script, and a wheel built from the sources that ships schemas/ and checks/.

The wheel test builds the project (``python -m build --wheel``) from a copy of the sources, installs the
wheel without dependencies into a fresh virtual environment that borrows the test environment's
installed dependencies through a ``.pth`` path (not the checkout: the editable install's own ``.pth``
is not processed from there), and runs ``vogue-pack validate`` from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from vogue_pack.synth import SynthInfo

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def test_installed_console_script_validates(small_tree: SynthInfo, tmp_path: Path) -> None:
    script = BIN / "vogue-pack"
    assert script.exists(), f"console script not installed next to {sys.executable}"
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False,
                             cwd=tmp_path, env=_clean_env(), timeout=120)
    assert version.returncode == 0 and "vogue-pack" in version.stdout
    run = subprocess.run([str(script), "validate", str(small_tree.root.parent), "--no-images", "--format", "json"],
                         capture_output=True, text=True, check=False, cwd=tmp_path, env=_clean_env(), timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["valid"] is True
    assert "valid: 0 errors" in run.stderr
    missing = subprocess.run([str(script), "validate", str(tmp_path / "absent")], capture_output=True, text=True,
                             check=False, cwd=tmp_path, env=_clean_env(), timeout=120)
    assert missing.returncode == 2 and "absent" in missing.stderr and "Traceback" not in missing.stderr


def _files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
            and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_wheel_ships_schemas_and_checks(small_tree: SynthInfo, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT / name, source / name)
    for name in ("vogue_pack", "schemas", "checks"):
        shutil.copytree(PROJECT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, check=False, cwd=tmp_path, timeout=300)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    wheels = sorted(dist.glob("vogue_pack-*.whl"))
    assert len(wheels) == 1

    with zipfile.ZipFile(wheels[0]) as archive:
        names = set(archive.namelist())
    for folder in ("schemas", "checks"):
        expected = _files_under(PROJECT / folder)
        assert expected, f"{folder}/ is empty in the checkout"
        shipped = {n.removeprefix(f"vogue_pack/_data/{folder}/") for n in names
                   if n.startswith(f"vogue_pack/_data/{folder}/")}
        assert shipped == expected, folder
    assert "vogue_pack/analysis/reference/paper_figures.json" in names  # the card's comparison with the paper

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheels[0])], check=True, capture_output=True, timeout=300)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_test_dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n", encoding="utf-8")

    probe = ("import json, vogue_pack, vogue_pack.resources as r; "
             "print(json.dumps([vogue_pack.__file__, str(r.data_dir('schemas')), str(r.data_dir('checks'))]))")
    located = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False,
                             cwd=tmp_path, env=_clean_env(), timeout=120)
    assert located.returncode == 0, located.stderr
    package, schemas, checks = (Path(p) for p in json.loads(located.stdout))
    assert package.is_relative_to(site)
    assert schemas == site / "vogue_pack" / "_data" / "schemas"
    assert checks == site / "vogue_pack" / "_data" / "checks"

    run = subprocess.run([str(venv / "bin" / "vogue-pack"), "validate", str(small_tree.root), "--no-images",
                          "--format", "json"], capture_output=True, text=True, check=False, cwd=tmp_path,
                         env=_clean_env(), timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["valid"] is True
    # the cross-file checks ran from the wheel's checks/: none of them reports that it could not run
    assert not [f for f in report["findings"] if f["code"] == "check.not-run"]
