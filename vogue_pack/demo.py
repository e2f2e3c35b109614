"""The demo: a synthetic raw tree, validated (and built and queried once releases exist)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vogue_pack.errors import UsageError


def run_demo(out: Path, seed: int = 0, echo: Callable[[str], None] = print) -> int:
    """Write a synthetic tree under ``out/raw``, validate it, and return the exit code."""
    from vogue_pack.pipeline import validate
    from vogue_pack.report import render_text, summary_line
    from vogue_pack.synth import write_tree

    out = Path(out)
    raw = out / "raw"
    if raw.exists():
        raise UsageError(f"{raw} already exists; choose another folder or remove it")
    info = write_tree(raw, conversations=60, seed=seed)
    echo(f"1/1 wrote a synthetic VOGUE tree ({info.conversations} conversations) to {raw}")
    result = validate(raw)
    echo(render_text(result.report))
    echo(summary_line(result.report))
    return 0 if result.report.ok else 1
