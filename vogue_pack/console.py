"""Terminal output shared by the commands: colour rules, progress bars on stderr, the end line.

Rules (docs/cli.md): data goes to stdout, messages and progress to stderr; progress bars appear only when
stderr is a terminal and ``--quiet`` is off; colour is off with ``--no-color``, when ``NO_COLOR`` is set
to a non-empty value (https://no-color.org), and whenever the stream is not a terminal. The library
reports progress through a plain callback (:data:`ProgressCallback`) and never imports rich itself:
rich is imported here, lazily, only when a bar is really drawn.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

# progress(stage, done, total): e.g. ("hashing images", 12, 76). total None = unknown.
ProgressCallback = Callable[[str, int, "int | None"], None]


@dataclass
class OutputSettings:
    """Process-wide output switches, set once by the CLI from ``--quiet`` and ``--no-color``."""

    quiet: bool = False
    no_color: bool = False


settings = OutputSettings()


def configure(*, quiet: bool | None = None, no_color: bool | None = None) -> OutputSettings:
    """Set the output switches (``None`` leaves one unchanged); returns the settings."""
    if quiet is not None:
        settings.quiet = quiet
    if no_color is not None:
        settings.no_color = no_color
    return settings


def color_enabled(stream: TextIO | None = None) -> bool:
    """Whether to colour output to ``stream`` (default stderr)."""
    stream = stream if stream is not None else sys.stderr
    if settings.no_color or os.environ.get("NO_COLOR", ""):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress_enabled() -> bool:
    """Progress bars are drawn only on a terminal stderr and never with ``--quiet``."""
    isatty = getattr(sys.stderr, "isatty", None)
    return not settings.quiet and bool(isatty and isatty())


def make_console(stderr: bool = True) -> Any:
    """A rich Console on stderr (or stdout) honouring the colour rules."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    colour = color_enabled(stream)
    return Console(file=stream, no_color=not colour, color_system="auto" if colour else None,
                   highlight=False, soft_wrap=True)


def _no_progress(stage: str, done: int, total: int | None) -> None:
    """The callback used when no bar is drawn."""


@contextmanager
def progress() -> Iterator[ProgressCallback]:
    """A progress callback for the duration of a command: rich bars on a terminal, else a no-op.

    Each distinct ``stage`` gets its own bar; bars vanish when the block ends (transient), so the
    terminal keeps only the summary and the end line.
    """
    if not progress_enabled():
        yield _no_progress
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=make_console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


def end_line(text: str, ok: bool, *, err: bool = False) -> None:
    """Print the end line (``summary_line``): green when valid, red when not, plain off a terminal."""
    stream = sys.stderr if err else sys.stdout
    if not color_enabled(stream):
        stream.write(text + "\n")
        stream.flush()
        return
    console = make_console(stderr=err)
    console.print(text, style="bold green" if ok else "bold red", markup=False)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 error``, ``2 errors``, ``0 errors``, ``1,234 rows`` (irregular plurals: ``plural_form``)."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def human_number(value: float, *, grouping: bool = False) -> str:
    """A float for people: three decimals (``0.592``, ``3.000``); NaN and infinities as ``n/a``.

    The terminal renderings (query tables, the demo, stats) use it; csv and json keep full precision.
    """
    if value != value or value in (float("inf"), float("-inf")):
        return "n/a"
    return f"{value:,.3f}" if grouping else f"{value:.3f}"
