"""The vogue-pack command line: a thin client of the library (the only module that imports click).

Exit codes: 0 no error findings; 1 error findings (or a failed verify/evaluate); 2 usage or
configuration problem; 3 internal bug (traceback printed).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from vogue_pack import __version__
from vogue_pack.errors import UsageError

if TYPE_CHECKING:
    from vogue_pack.images import ImageOptions

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


class _Group(click.Group):
    """All library-to-exit-code mapping in one place (also under click's CliRunner)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise _ToolUsageError(str(exc)) from exc
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001 - the exit-3 handler: a bug in vogue-pack, not in the data
            traceback.print_exc()
            click.echo(
                "\ninternal error: this is a bug in vogue-pack, not a problem with your data. "
                "Please report it with the traceback above.",
                err=True,
            )
            ctx.exit(EXIT_BUG)


class _ToolUsageError(click.ClickException):
    exit_code = EXIT_USAGE

    def format_message(self) -> str:
        return self.message


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="vogue-pack")
def cli() -> None:
    """Validate, package and query the VOGUE fashion-dialogue dataset.

    \b
    vogue-pack demo                       synthetic tree -> validate -> build -> query
    vogue-pack validate raw/              every problem in a raw tree
    vogue-pack build raw/ --version 1.1   reproducible Parquet + DuckDB release
    vogue-pack query release/1.1 "SELECT count(*) FROM conversations"
    """


# --- commands are added below this line (one function per command, each calls one library function) ---


def _image_options(hash_name: str, hash_size: int, threshold: int | None, jobs: int | None,
                   cache_dir: Path | None, no_cache: bool, accept: Path | None) -> ImageOptions:
    from vogue_pack.images import ImageOptions

    defaults = ImageOptions()
    return ImageOptions(algorithm=hash_name, hash_size=hash_size,
                        threshold=defaults.threshold if threshold is None else threshold, jobs=jobs,
                        cache_dir=cache_dir, use_cache=not no_cache, accept_file=accept,
                        progress=sys.stderr.isatty())


def image_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The image hashing/dedup options shared by validate, build and dedupe."""
    for option in reversed([
        click.option("--hash", "hash_name", type=click.Choice(["phash", "dhash", "whash", "ahash"]),
                     default="phash", show_default=True, help="Perceptual hash for near-duplicate images."),
        click.option("--hash-size", type=click.IntRange(4, 32), default=8, show_default=True,
                     help="Hash side (8 gives 64-bit hashes)."),
        click.option("--threshold", type=click.IntRange(0, 64), default=None,
                     help="Max Hamming distance of near-duplicate images (default: see docs/dedup.md)."),
        click.option("--jobs", type=click.IntRange(1, 256), default=None,
                     help="Worker processes (default: all cores)."),
        click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
                     help="Image-hash cache folder (default: the user cache dir)."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the image-hash cache."),
        click.option("--accept", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                     help="CSV of reviewed image pairs (item_a,item_b,decision) to stop reporting."),
    ]):
        func = option(func)
    return func


@cli.command()
@click.argument("raw", type=click.Path(path_type=Path), default="raw", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: summary grouped by file and code; json: the full report on stdout.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the full JSON report to this file.")
@click.option("--max-findings", type=click.IntRange(1), default=10_000, show_default=True,
              help="Stop collecting findings after this many (the report says so).")
@click.option("--no-images", is_flag=True, help="Skip image integrity and duplicate checks.")
@image_options
def validate(raw: Path, fmt: str, report_path: Path | None, max_findings: int, no_images: bool,
             hash_name: str, hash_size: int, threshold: int | None, jobs: int | None,
             cache_dir: Path | None, no_cache: bool, accept: Path | None) -> None:
    """Check a raw VOGUE tree: every problem with its file, location and fix.

    RAW is the repository root (holding data/) or the data folder itself (default: raw).

    \b
    Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage problem, 3 internal bug.
    \b
    Examples:
      vogue-pack validate raw/
      vogue-pack validate raw/data --format json > report.json
      vogue-pack validate raw/ --report report.json --max-findings 500
    """
    from vogue_pack.pipeline import ValidateOptions
    from vogue_pack.pipeline import validate as run_validate
    from vogue_pack.report import render_text, summary_line

    options = ValidateOptions(
        max_findings=max_findings, check_images=not no_images,
        images=_image_options(hash_name, hash_size, threshold, jobs, cache_dir, no_cache, accept),
    )
    result = run_validate(raw, options)
    report = result.report
    if report_path is not None:
        report.write_json(report_path)
    if fmt == "json":
        click.echo(report.to_json(), nl=False)
        click.echo(summary_line(report, str(report_path) if report_path else None), err=True)
    else:
        text = render_text(report)
        if text:
            click.echo(text)
        click.echo(summary_line(report, str(report_path) if report_path else None))
    click.get_current_context().exit(EXIT_OK if report.ok else EXIT_FINDINGS)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path), default="demo", required=False)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic tree.")
def demo(out: Path, seed: int) -> None:
    """Write a synthetic VOGUE tree to OUT (default: demo/) and validate it.

    \b
    Example:
      vogue-pack demo /tmp/vogue-demo
    """
    from vogue_pack.demo import run_demo

    code = run_demo(out, seed=seed, echo=click.echo)
    click.get_current_context().exit(code)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--conversations", type=click.IntRange(1), default=60, show_default=True,
              help="Number of conversations (ceil(N/6) Seeker/Assistant pairs).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, byte-identical tree.")
@click.option("--layout", type=click.Choice(["repo", "data"]), default="repo", show_default=True,
              help="repo: OUT/data/<folders> like the published repository; data: the folders in OUT.")
@click.option("--no-images", is_flag=True, help="Skip the 76 PNGs (fast benchmarks; the tree then lacks images).")
def synth(out: Path, conversations: int, seed: int, layout: str, no_images: bool) -> None:
    """Write a synthetic raw VOGUE tree to OUT (which must not exist or be empty).

    The tree has the release's exact format and layout, with its known quirks planted (warnings only).

    \b
    Examples:
      vogue-pack synth /tmp/raw
      vogue-pack synth /tmp/big --conversations 60000 --no-images --layout data
    """
    from vogue_pack.synth import write_tree

    info = write_tree(out, conversations=conversations, seed=seed, layout=layout, images=not no_images)
    click.echo(f"wrote {info.conversations} conversations, {len(info.seekers) + len(info.assistants)} "
               f"participants to {info.root}", err=True)


def main() -> None:
    """Console-script entry point: map library errors to the exit-code contract."""
    try:
        code = cli.main(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_USAGE)
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the exit-3 handler: a bug in vogue-pack, not in the data
        traceback.print_exc()
        click.echo(
            "\ninternal error: this is a bug in vogue-pack, not a problem with your data. "
            "Please report it with the traceback above.",
            err=True,
        )
        sys.exit(EXIT_BUG)

