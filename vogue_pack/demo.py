"""The demo: a synthetic raw tree, validated, built into a release, verified and queried."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vogue_pack.console import plural
from vogue_pack.errors import UsageError

if TYPE_CHECKING:
    from vogue_pack.validate.pipeline import Validation


def run_demo(out: Path, seed: int = 0, echo: Callable[[str], None] = print) -> int:
    """Write a synthetic tree under ``out/raw``, validate it, build release 1.0 under ``out/release``,
    verify and query it; return the exit code."""
    from vogue_pack.report.report import render_text, summary_line
    from vogue_pack.synth import write_tree
    from vogue_pack.validate.pipeline import validate

    out = Path(out)
    raw = out / "raw"
    if raw.exists():
        raise UsageError(f"{raw} already exists; choose another folder or remove it")
    info = write_tree(raw, conversations=60, seed=seed)
    echo(f"1/4 wrote a synthetic VOGUE tree ({plural(info.conversations, 'conversation')}) to {raw}")
    result = validate(raw)
    echo(render_text(result.report))
    echo(f"2/4 validated: {summary_line(result.report)}")
    if not result.report.ok:
        return 1
    return _build_and_query(result, out / "release", echo)


# The demo's release date: a synthetic tree has no history to date it, so the demo gives a fixed one
# (2025-10-01T00:00:00Z, recorded in the manifest as source_date.from = "argument").
DEMO_EPOCH = 1_759_276_800

# The demo's queries: what a user asks first of a release (views: vogue_pack/release/sql/, vogue_pack/analysis/sql/).
DEMO_QUERIES = (
    ("conversations, turns and utterances per role",
     "SELECT role, count(DISTINCT conversation_id) AS conversations, count(DISTINCT (conversation_id, turn)) "
     "AS turns, count(*) AS utterances FROM utterances_in_context GROUP BY role ORDER BY role"),
    ("how often the human Assistant predicted the Seeker's rating exactly",
     "SELECT count(*) AS rated_items, avg(CASE WHEN seeker_rating = assistant_rating THEN 1.0 ELSE 0.0 END) "
     "AS accuracy FROM ratings_side_by_side"),
)


def _build_and_query(result: Validation, releases: Path, echo: Callable[[str], None]) -> int:
    """Build release 1.0 of the validated tree under ``releases``, verify it, and run the demo queries."""
    from vogue_pack.release.build import build_release
    from vogue_pack.release.query import query_release, render_result
    from vogue_pack.release.verify import verify_release

    built = build_release(result, "1.0", releases, source_date_epoch=DEMO_EPOCH)
    verified = verify_release(built.path)
    echo(f"3/4 built release {built.version} at {built.path} ({plural(built.files, 'file')}, verify: "
         f"{'OK' if verified.ok else 'FAILED'})")
    for title, sql in DEMO_QUERIES:
        echo(f"4/4 vogue-pack query {built.path} \"{sql}\"   # {title}")
        echo(render_result(query_release(built.path, sql), "table"))
    return 0 if verified.ok else 1
