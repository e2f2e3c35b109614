"""Terminal experience: colour rules (--no-color, NO_COLOR, terminals only), quiet progress, the end line,
and shell completion of the installed console script."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from vogue_pack import console
from vogue_pack.cli import cli
from vogue_pack.synth import SynthInfo


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    console.configure(quiet=False, no_color=False)
    yield
    console.configure(quiet=False, no_color=False)


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    assert console.color_enabled(_Terminal())
    assert not console.color_enabled(io.StringIO())  # a pipe or a file
    monkeypatch.setenv("NO_COLOR", "1")
    assert not console.color_enabled(_Terminal())
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: only a non-empty value counts
    assert console.color_enabled(_Terminal())
    console.configure(no_color=True)
    assert not console.color_enabled(_Terminal())


def test_progress_only_on_a_terminal_and_not_when_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not console.progress_enabled()
    with console.progress() as update:
        update("hashing images", 1, 2)
    assert sys.stderr.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert console.progress_enabled()
    with console.progress() as update:
        for done in range(3):
            update("hashing images", done + 1, 3)
    assert "hashing images" in sys.stderr.getvalue()
    console.configure(quiet=True)
    assert not console.progress_enabled()


def test_end_line_is_coloured_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    console.end_line("INVALID: 2 errors, 0 warnings", ok=False)
    assert "\x1b[" in terminal.getvalue() and "INVALID: 2 errors, 0 warnings" in terminal.getvalue()
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stdout", plain)
    console.end_line("INVALID: 2 errors, 0 warnings", ok=False)
    assert plain.getvalue() == "INVALID: 2 errors, 0 warnings\n"
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys, "stdout", terminal := _Terminal())
    console.end_line("valid: 0 errors, 3 warnings", ok=True)
    assert terminal.getvalue() == "valid: 0 errors, 3 warnings\n"


def test_cli_quiet_no_color_end_line_and_html(small_tree: SynthInfo, tmp_path: Path) -> None:
    html = tmp_path / "out" / "report.html"
    html.parent.mkdir()
    result = CliRunner().invoke(cli, ["--quiet", "--no-color", "validate", str(small_tree.root), "--no-images",
                                      "--html", str(html)])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("valid: 0 errors, ") and last.endswith(f"— report: {html}")
    assert "\x1b[" not in result.output
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert console.settings.quiet and console.settings.no_color


def test_html_inside_the_raw_tree_is_refused(small_tree: SynthInfo) -> None:
    result = CliRunner().invoke(cli, ["validate", str(small_tree.root), "--no-images",
                                      "--html", str(small_tree.root / "report.html")])
    assert result.exit_code == 2
    assert "inside the raw tree" in result.output
    assert not (small_tree.root / "report.html").exists()


def test_shell_completion_of_the_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "vogue-pack"
    assert script.is_file(), "the package is not installed in this environment"
    env = {**os.environ, "_VOGUE_PACK_COMPLETE": "bash_source"}
    source = subprocess.run([str(script)], env=env, capture_output=True, text=True, check=True).stdout
    assert "_vogue_pack_completion()" in source and "complete -o nosort -F _vogue_pack_completion" in source
    env = {**os.environ, "_VOGUE_PACK_COMPLETE": "bash_complete", "COMP_WORDS": "vogue-pack validate --ht",
           "COMP_CWORD": "2"}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.split() == ["plain,--html"]


def test_every_command_help_has_examples() -> None:
    runner = CliRunner()
    assert cli.commands, "no commands registered"
    for name in sorted(cli.commands):
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output and f"vogue-pack {name}" in result.output, f"{name} --help lacks examples"
