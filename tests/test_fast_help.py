"""The console script's top-level help (vogue_pack/_entry.py) is what click prints, byte for byte.

The stored pages are compared with click's rendering of the real group at every terminal width; fresh
console scripts (one through the fast path, one straight into click) are compared on their exit code, stdout
and stderr, on a pipe and on a terminal; and every condition under which click could print something else
sends the command line to click. tests/test_imports.py checks what the fast path imports.
"""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import click
import pytest

from vogue_pack import _entry, _help_pages
from vogue_pack.cli import cli

PROJECT = Path(__file__).resolve().parent.parent

# pip's console script (pip/_vendor/distlib), for `[project.scripts] vogue-pack = "MODULE:main"`
CONSOLE_SCRIPT = """\
import re
import sys
from {module} import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def _scripts(folder: Path, name: str = "vogue-pack") -> tuple[Path, Path]:
    """Two console scripts called ``name``: through vogue_pack._entry, and straight into vogue_pack.cli."""
    scripts = []
    for module in ("vogue_pack._entry", "vogue_pack.cli"):
        path = folder / module / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CONSOLE_SCRIPT.format(module=module), encoding="utf-8")
        scripts.append(path)
    return scripts[0], scripts[1]


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", _entry.COMPLETE_VAR)}
    env["PYTHONPATH"] = str(PROJECT)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(script: Path, args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    done = subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True, timeout=120,
                          check=False)
    return done.returncode, done.stdout, done.stderr


def test_the_pages_are_what_the_generator_writes() -> None:
    done = subprocess.run([sys.executable, str(PROJECT / "scripts" / "render_help.py"), "--check"],
                          env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_width_is_clicks_own_help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """From 1 to 130 columns (click clamps below 52 and above 100) and for unusable COLUMNS values, the stored
    page is what click prints for ``--help``: the width rule and every page."""
    assert click.formatting.FORCED_WIDTH is None  # (set only inside CliRunner)
    # what the entry module assumes of the group: its help options, and help (on stderr) for no arguments
    assert sorted(args[0] for args in _entry.HELP_ARGS) == sorted(cli.context_settings["help_option_names"])
    assert cli.no_args_is_help and not cli.invoke_without_command
    seen = set()
    for columns in [*map(str, range(1, 131)), "0", "-5", "wide", ""]:
        monkeypatch.setenv("COLUMNS", columns)
        assert cli.main(["--help"], prog_name=_entry.PROG, standalone_mode=False) == 0
        page = _entry.help_page()
        assert page is not None
        assert capsys.readouterr().out == page + "\n", f"COLUMNS={columns}"
        seen.add(page)
    assert len(seen) == len(_help_pages.PAGES)  # every stored page is one click prints
    assert all(page.isascii() and "\x1b" not in page for page in seen)  # no colour: NO_COLOR cannot matter


@pytest.mark.parametrize("env", [{}, {"LINES": "30"}, {"COLUMNS": "61"}, {"COLUMNS": "61", "LINES": "30"},
                                 {"COLUMNS": "0"}, {"COLUMNS": "-3"}, {"COLUMNS": "x"}, {"COLUMNS": " 77 "},
                                 {"COLUMNS": "1e3"}, {"COLUMNS": "250"}])
def test_terminal_columns_are_shutils(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key in ("COLUMNS", "LINES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert _entry.terminal_columns() == shutil.get_terminal_size().columns


@pytest.mark.parametrize(("args", "env"), [
    (["--help"], {}), (["-h"], {}), ([], {}),
    (["--help"], {"COLUMNS": "60"}), (["--help"], {"COLUMNS": "200"}), ([], {"COLUMNS": "55"}),
    (["--help"], {"COLUMNS": "junk"}), (["-h"], {"NO_COLOR": "1", "COLUMNS": "90"}),
    (["--help"], {"PYTHONIOENCODING": "utf-16"}), ([], {"LC_ALL": "C", "PYTHONIOENCODING": "ascii"}),
])
def test_fresh_console_scripts_print_the_same(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    fast, slow = _scripts(tmp_path)
    fast_run = _run(fast, args, _env(**env))
    assert fast_run == _run(slow, args, _env(**env))
    assert fast_run[0] == (0 if args else 2)
    printed = (fast_run[1] if args else fast_run[2]).decode(env.get("PYTHONIOENCODING", "utf-8"))
    assert printed.startswith("Usage: vogue-pack [OPTIONS] COMMAND [ARGS]...\n")


def _on_terminal(script: Path, columns: int) -> bytes:
    """What ``script --help`` writes to a terminal ``columns`` wide (COLUMNS unset)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    try:
        subprocess.run([sys.executable, str(script), "--help"], stdout=follower, stderr=subprocess.DEVNULL,
                       env=_env(), timeout=120, check=True)
    finally:
        os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal is closed and drained
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    return out


@pytest.mark.parametrize("columns", [64, 120])
def test_on_a_terminal_the_width_is_the_terminals(tmp_path: Path, columns: int) -> None:
    fast, slow = _scripts(tmp_path)
    printed = _on_terminal(fast, columns)
    assert printed == _on_terminal(slow, columns)
    # the terminal's width, not the 80 columns of a pipe (the terminal turns each newline into CR LF)
    width = max(min(columns, _help_pages.MAX_CONTENT_WIDTH) - 2, _help_pages.MIN_WIDTH)
    with cli.make_context(_entry.PROG, [], resilient_parsing=True, terminal_width=width) as ctx:
        assert printed.decode() == (ctx.get_help() + "\n").replace("\n", "\r\n")
    assert printed != _on_terminal(fast, 80)


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_closed_pipe_exits_as_click_does(tmp_path: Path, unbuffered: str) -> None:
    fast, slow = _scripts(tmp_path)
    results = []
    for script in (fast, slow):
        read, write = os.pipe()
        os.close(read)
        try:
            done = subprocess.run([sys.executable, str(script), "--help"], stdout=write, stderr=subprocess.PIPE,
                                  env=_env(PYTHONUNBUFFERED=unbuffered), timeout=120, check=False)
        finally:
            os.close(write)
        results.append((done.returncode, done.stderr))
    assert results[0] == results[1] == (1, b"")


@pytest.mark.parametrize("unbuffered", ["1", ""])
@pytest.mark.parametrize("args", [["--help"], []])
def test_a_full_disk_fails_as_through_click(tmp_path: Path, unbuffered: str, args: list[str]) -> None:
    """stdout or stderr (a bare call) on /dev/full: the same message, exit code and interpreter complaint."""
    fast, slow = _scripts(tmp_path)
    results = []
    for script in (fast, slow):
        with open("/dev/full", "wb") as full:
            done = subprocess.run([sys.executable, str(script), *args], stdout=full if args else subprocess.PIPE,
                                  stderr=subprocess.PIPE if args else full, env=_env(PYTHONUNBUFFERED=unbuffered),
                                  timeout=120, check=False)
        results.append((done.returncode, done.stdout, done.stderr))
    assert results[0] == results[1]
    assert results[0][0] != 0


def test_other_names_and_completion_go_to_click(tmp_path: Path) -> None:
    """A renamed script shows its own name; a completion request gets click's completion script."""
    fast, slow = _scripts(tmp_path, name="vp")
    renamed = _run(fast, ["--help"], _env())
    assert renamed == _run(slow, ["--help"], _env())
    assert renamed[1].startswith(b"Usage: vp [OPTIONS]")
    fast, slow = _scripts(tmp_path / "completion")
    completion = _run(fast, [], _env(**{_entry.COMPLETE_VAR: "bash_source"}))
    assert completion == _run(slow, [], _env(**{_entry.COMPLETE_VAR: "bash_source"}))
    assert completion[0] == 0 and b"complete" in completion[1] and b"Usage:" not in completion[1]


@pytest.mark.parametrize("args", [["--help", "validate"], ["validate", "--help"], ["--version"], ["--hel"],
                                  ["-q", "--help"], ["--help", "--help"], ["-hq"]])
def test_other_command_lines_go_to_click(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["vogue-pack", *args])
    monkeypatch.setattr(sys.modules["__main__"], "__package__", None, raising=False)
    assert _entry._print_help_and_exit(args) is None  # returned: click runs it


@pytest.mark.parametrize("condition", ["fast", "renamed", "python -m", "completion", "windows", "no stdout",
                                       "non-ascii page"])
def test_doubtful_conditions_go_to_click(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                         condition: str) -> None:
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/vogue-pack", "--help"])
    monkeypatch.setattr(sys.modules["__main__"], "__package__", None, raising=False)
    monkeypatch.delenv(_entry.COMPLETE_VAR, raising=False)
    if condition == "renamed":
        monkeypatch.setattr(sys, "argv", ["/usr/local/bin/vogue-pack2", "--help"])
    elif condition == "python -m":
        monkeypatch.setattr(sys.modules["__main__"], "__package__", "vogue_pack", raising=False)
    elif condition == "completion":
        monkeypatch.setenv(_entry.COMPLETE_VAR, "zsh_source")
    elif condition == "windows":
        monkeypatch.setattr(_entry.os, "name", "nt")
    elif condition == "no stdout":
        monkeypatch.setattr(sys, "stdout", None)
    elif condition == "non-ascii page":
        monkeypatch.setattr(_help_pages, "LINES", tuple(line + "\u00e9" for line in _help_pages.LINES))
    if condition == "fast":  # the control: the same setting otherwise prints and exits
        with pytest.raises(SystemExit) as exited:
            _entry._print_help_and_exit(["--help"])
        assert exited.value.code == 0
        assert capsys.readouterr().out.startswith("Usage: vogue-pack [OPTIONS]")
    else:
        assert _entry._print_help_and_exit(["--help"]) is None
        assert capsys.readouterr().out == ""
