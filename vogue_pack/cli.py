"""The vogue-pack command line: a thin client of the library (the only module that imports click).

Exit codes: 0 no error findings; 1 error findings (or a failed verify/evaluate); 2 usage or
configuration problem; 3 internal bug (traceback printed).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from vogue_pack._version import __version__
from vogue_pack.console import plural, progress_enabled
from vogue_pack.errors import UsageError
from vogue_pack.raw.limits import MAX_TEXT_BYTES, MAX_VALUES

if TYPE_CHECKING:
    from vogue_pack.images.inspect import ImageOptions

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


class _Group(click.Group):
    """All library-to-exit-code mapping in one place (also under click's CliRunner)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise _ToolUsageError(_escape(str(exc))) from exc
        except OSError as exc:  # the machine refused (disk full, read-only, permission): exit 2, not a bug
            raise _ToolUsageError(_os_error_message(exc)) from exc
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001 - the exit-3 handler: a bug in vogue-pack, not in the data
            _report_bug()
            ctx.exit(EXIT_BUG)


def _escape(text: str) -> str:
    from vogue_pack.report.report import escape_controls

    return escape_controls(text)


def _os_error_message(exc: OSError) -> str:
    """``cannot write out/report.json: No space left on device`` (the path, the reason; no traceback)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(os.fsdecode(p) for p in paths)
    return _escape(f"{where}: {reason}" if where else reason)


def _report_bug() -> None:
    import traceback  # only for a bug: not on the import path of every command line

    traceback.print_exc()
    click.echo("\ninternal error: this is a bug in vogue-pack, not a problem with your data. "
               "Please report it with the traceback above.", err=True)


class _ToolUsageError(click.ClickException):
    exit_code = EXIT_USAGE

    def format_message(self) -> str:
        return self.message


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="vogue-pack")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars (results and the end line still appear).")
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set or output is not a terminal).")
def cli(quiet: bool, no_color: bool) -> None:
    """Validate, package and query the VOGUE fashion-dialogue dataset.

    \b
    vogue-pack demo                       synthetic tree -> validate -> build -> query
    vogue-pack validate raw/              every problem in a raw tree
    vogue-pack build raw/ --version 1.1   reproducible Parquet + DuckDB release
    vogue-pack query release/1.1 "SELECT count(*) FROM conversations"
    vogue-pack --quiet --no-color validate raw/ --html report.html

    Data goes to stdout, messages and progress bars to stderr (bars only on a terminal).
    Shell completion and every option: vogue-pack docs cli.
    """
    from vogue_pack.console import configure

    configure(quiet=quiet, no_color=no_color)


# --- commands are added below this line (one function per command, each calls one library function) ---


def _image_options(hash_name: str, hash_size: int, threshold: int | None, jobs: int | None,
                   cache_dir: Path | None, no_cache: bool, accept: Path | None) -> ImageOptions:
    from vogue_pack.images.inspect import ImageOptions

    defaults = ImageOptions()
    return ImageOptions(algorithm=hash_name, hash_size=hash_size,
                        threshold=defaults.threshold if threshold is None else threshold, jobs=jobs,
                        cache_dir=cache_dir, use_cache=not no_cache, accept_file=accept,
                        progress=progress_enabled())


def image_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The image hashing/dedup options shared by validate, build and dedupe."""
    for option in reversed([
        click.option("--hash", "hash_name", type=click.Choice(["phash", "dhash", "whash", "ahash"]),
                     default="phash", show_default=True, help="Perceptual hash for near-duplicate images."),
        click.option("--hash-size", type=click.IntRange(4, 32), default=8, show_default=True,
                     help="Hash side (8 gives 64-bit hashes)."),
        click.option("--threshold", type=click.IntRange(0, 64), default=None,
                     help="Max Hamming distance of near-duplicate images (default: see vogue-pack docs dedup)."),
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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="text: summary grouped by file and code; json: the full report on stdout; github: one "
                   "GitHub Actions annotation per finding (file relative to the current folder).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the full JSON report to this file.")
@click.option("--max-findings", type=click.IntRange(1), default=10_000, show_default=True,
              help="Keep at most this many findings, errors ahead of warnings (the report says what it dropped).")
@click.option("--max-values", type=click.IntRange(1), default=MAX_VALUES, show_default=True,
              help="Largest number of values (JSON values, CSV cells) one raw file may hold; a larger file is "
                   "file.too-large and not parsed. Bounds memory (vogue-pack docs benchmarks).")
@click.option("--max-file-mb", type=click.IntRange(1), default=MAX_TEXT_BYTES // 2**20, show_default=True,
              help="Largest raw text file (JSON, CSV, survey text) read, in MiB; a larger one is file.too-large.")
@click.option("--no-images", is_flag=True,
              help="Open no image: the image checks and suites are recorded as switched off, never as errors.")
@click.option("--select", "select", multiple=True, metavar="CODE",
              help="Report only these codes or families (repeatable; replaces the config file's select).")
@click.option("--ignore", "ignore", multiple=True, metavar="CODE",
              help="Do not report these codes or families (repeatable; added to the config file's ignore).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Configuration file (default: vogue-pack.toml or [tool.vogue-pack] in pyproject.toml, "
                   "looked for in the raw tree, then the current folder). See vogue-pack docs checks.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as one self-contained HTML page (filters, duplicate-image gallery).")
@click.option("--expectations/--no-expectations", default=True, show_default=True,
              help="Run the release expectations (checks/expectations/), as build does, so validate and "
                   "build give one report; --no-expectations records them as switched off.")
@image_options
def validate(raw: Path, fmt: str, report_path: Path | None, max_findings: int, max_values: int, max_file_mb: int,
             no_images: bool,
             select: tuple[str, ...], ignore: tuple[str, ...], config_file: Path | None,
             html_path: Path | None, expectations: bool,
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
      vogue-pack validate raw/ --select xref --ignore xref.text-mentions-differ
      vogue-pack validate raw/ --html report.html
      vogue-pack validate raw/ --format github          # annotations in a GitHub Actions job
    """
    from vogue_pack.console import end_line
    from vogue_pack.report.report import render_text, summary_line
    from vogue_pack.validate.pipeline import ValidateOptions
    from vogue_pack.validate.pipeline import validate as run_validate

    options = ValidateOptions(
        max_findings=max_findings, max_values=max_values, max_file_bytes=max_file_mb * 2**20,
        check_images=not no_images,
        images=_image_options(hash_name, hash_size, threshold, jobs, cache_dir, no_cache, accept),
        select=select, ignore=ignore, config_file=config_file, expectations=expectations,
        progress=progress_enabled(),
    )
    for option, out_path in (("--report", report_path), ("--html", html_path)):
        if out_path is not None:
            from vogue_pack.raw.tree import find_root

            root = find_root(raw).resolve()
            if root == out_path.resolve() or root in out_path.resolve().parents:
                raise UsageError(f"{option} {out_path} is inside the raw tree {raw}; validate never writes into "
                                 "the tree it reads: write the report elsewhere")
    result = run_validate(raw, options)
    report = result.report
    for what in report.context.get("checks_switched_off", {}).values():
        click.echo(f"note: switched off: {what}", err=True)
    if report_path is not None:
        report.write_json(report_path)
    if html_path is not None:
        from vogue_pack.analysis.stats import compute_stats
        from vogue_pack.fsutil import atomic_write_text
        from vogue_pack.report.html import render_validation_html
        from vogue_pack.validate.catalogue import all_codes

        page = render_validation_html(result, stats=compute_stats(result.tables), catalogue=all_codes())
        atomic_write_text(html_path, page)
    written = ", ".join(str(p) for p in (report_path, html_path) if p is not None) or None
    if fmt == "json":
        click.echo(report.to_json(), nl=False)
        click.echo(summary_line(report, written), err=True)
    elif fmt == "github":
        from vogue_pack.report.github import render_github

        click.echo(render_github(report, summary_line(report, written)), nl=False)
    else:
        text = render_text(report)
        if text:
            click.echo(text)
        end_line(summary_line(report, written), report.ok)
    click.get_current_context().exit(EXIT_OK if report.ok else EXIT_FINDINGS)


@cli.command()
@click.argument("dir_or_raw", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text: clusters for a terminal; json: the full review record; csv: one row per pair.")
@click.option("--evaluate", "labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Labelled pairs CSV: report precision, recall, F1 and a threshold sweep.")
@image_options
def dedupe(dir_or_raw: Path, fmt: str, labels: Path | None, hash_name: str, hash_size: int,
           threshold: int | None, jobs: int | None, cache_dir: Path | None, no_cache: bool,
           accept: Path | None) -> None:
    """Check images and list exact and near-duplicate clusters with their distances.

    DIR_OR_RAW is a raw tree (its metadata/ folder is used) or any folder of images. Formats of the
    accept and labels files: vogue-pack docs dedup.

    \b
    Exit codes: 0 every image is sound (duplicates are warnings), 1 integrity errors, 2 usage problem.
    \b
    Examples:
      vogue-pack dedupe raw/
      vogue-pack dedupe raw/ --format csv > review.csv      # fill in decision, then:
      vogue-pack dedupe raw/ --accept review.csv
      vogue-pack dedupe photos/ --evaluate labels.csv --threshold 8
    """
    from vogue_pack.images.dedup import render_dedupe, run_dedupe

    options = _image_options(hash_name, hash_size, threshold, jobs, cache_dir, no_cache, accept)
    run = run_dedupe(dir_or_raw, options, labels)
    click.echo(render_dedupe(run, fmt), nl=False)
    click.echo(f"{plural(run.images.num_rows, 'image')} ({run.decoded} decoded, {run.cache_hits} from the cache, "
               f"{plural(run.jobs, 'job')}, {run.seconds_inspect:.2f} s); "
               f"{plural(len(run.result.pairs), 'duplicate pair')}", err=True)
    click.get_current_context().exit(EXIT_OK if run.ok else EXIT_FINDINGS)


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
    click.echo(f"wrote {plural(info.conversations, 'conversation')}, "
               f"{plural(len(info.seekers) + len(info.assistants), 'participant')} to {info.root}", err=True)


@cli.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="table: terminal text; json: every number on stdout; markdown: tables.")
def stats(source: Path, fmt: str) -> None:
    """Dataset statistics of a raw tree or a release folder, computed from the data.

    SOURCE is a raw tree (validated on the way) or a release folder (tables/*.parquet). Definitions:
    vogue-pack docs metrics.

    \b
    Examples:
      vogue-pack stats release/1.0
      vogue-pack stats raw/ --format json > stats.json
    """
    from vogue_pack.analysis.stats import compute_stats, load_source, render_stats

    loaded = load_source(source)
    _warn_invalid_source(loaded.validation_errors)
    click.echo(render_stats(compute_stats(loaded.tables), fmt), nl=False)


def _warn_invalid_source(errors: int) -> None:
    if errors:
        click.echo(f"warning: the raw tree has {plural(errors, 'validation error')} (see `vogue-pack validate`); "
                   "the numbers below describe what could be loaded", err=True)


@cli.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("predictions", nargs=-1, metavar="[PREDICTIONS]...")
@click.option("--baseline", "baselines", type=click.Choice(["human", "mode", "random"]), multiple=True,
              help="Score a built-in baseline (repeatable; beside or instead of PREDICTIONS).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --baseline random.")
@click.option("--allow-missing", is_flag=True,
              help="Score the cells that have a prediction and report the coverage.")
@click.option("--bootstrap", "resamples", type=click.IntRange(0), default=None,
              help="Bootstrap resamples over conversations for the intervals and paired tests "
                   "[default: 1000 with several predictors, none with one; 0: none].")
@click.option("--bootstrap-seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--reference", default=None,
              help="Predictor (or baseline) every other one is compared with [default: human]; giving it "
                   "turns one predictor into a leaderboard too.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the leaderboard and its charts as one self-contained HTML page.")
@click.option("--cells", "cells_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every scored cell of every predictor to this Parquet file.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: terminal text; json: every metric on stdout.")
def evaluate(source: Path, predictions: tuple[str, ...], baselines: tuple[str, ...], seed: int,
             allow_missing: bool, resamples: int | None, bootstrap_seed: int, reference: str | None,
             html_path: Path | None, cells_path: Path | None, fmt: str) -> None:
    """Score 1..5 rating predictions of the Seeker's catalogue items with the paper's metrics.

    SOURCE is a release folder or a raw tree. Each PREDICTIONS is a file or folder (CSV or Parquet,
    long or wide; JSON Lines; a folder of per-conversation JSON), named by its file or folder name or
    given as NAME=PATH. One predictor prints its metrics; several (or --bootstrap N) print a
    leaderboard with 95% bootstrap intervals and paired differences from --reference. Layouts and
    metrics: vogue-pack docs metrics.

    \b
    Exit codes: 0 scored, 1 the predictions have problems (listed), 2 usage problem.
    \b
    Examples:
      vogue-pack evaluate release/1.0 --baseline human
      vogue-pack evaluate release/1.0 --baseline random --seed 7 --format json
      vogue-pack evaluate release/1.0 predictions.csv --allow-missing
      vogue-pack evaluate release/1.0 mine=runs/conv_preds/ --baseline mode --html board.html
    """
    from vogue_pack.analysis.leaderboard import predictor_spec, render_leaderboard, run_leaderboard, write_cells
    from vogue_pack.analysis.metrics import (
        PredictionsInvalid,
        problems_json,
        render_evaluation,
        render_problems,
        run_evaluation,
    )
    from vogue_pack.analysis.stats import load_source

    if not predictions and not baselines:
        raise click.UsageError("give either a PREDICTIONS file or --baseline NAME")
    single = len(predictions) + len(baselines) == 1 and resamples is None and reference is None
    loaded = load_source(source)  # the same validation as `validate` and `stats`, so the same counts
    _warn_invalid_source(loaded.validation_errors)
    board = None
    try:
        if single:  # one predictor: the single-predictor report, exactly as it always was
            path = predictor_spec(predictions[0])[1] if predictions else None
            result = run_evaluation(loaded, path, baselines[0] if baselines else None, seed=seed,
                                    allow_missing=allow_missing)
        if not single or html_path is not None or cells_path is not None:
            board = run_leaderboard(loaded, predictions, baselines, reference=reference or "human",
                                    resamples=1000 if resamples is None else resamples, seed=bootstrap_seed,
                                    allow_missing=allow_missing, baseline_seed=seed)
    except PredictionsInvalid as exc:
        if fmt == "json":
            click.echo(problems_json(exc), nl=False)
        click.echo(render_problems(exc), err=True)
        click.get_current_context().exit(EXIT_FINDINGS)
        return
    if single:
        click.echo(render_evaluation(result, fmt), nl=False)
        if result.missing_items:
            click.echo(f"note: {result.missing_items} of {result.expected_items} rated items have no "
                       "prediction and were not scored (--allow-missing)", err=True)
    else:
        assert board is not None
        click.echo(render_leaderboard(board, fmt), nl=False)
    if board is None:
        return
    if cells_path is not None:
        rows = write_cells(board, cells_path)
        click.echo(f"wrote {rows:,} scored cells to {cells_path}", err=True)
    if html_path is not None:
        from vogue_pack.analysis.leaderboard_html import write_leaderboard_html

        write_leaderboard_html(board, html_path)
        click.echo(f"wrote the leaderboard page to {html_path}", err=True)


@cli.command()
@click.argument("release", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the tasks here (JSON Lines) instead of stdout.")
@click.option("--tags", is_flag=True, help="Include each utterance's dialogue-act tags.")
@click.option("--template", "template_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write empty predictions files, one per layout evaluate reads, to this folder.")
def tasks(release: Path, out: Path | None, tags: bool, template_dir: Path | None) -> None:
    """Model inputs of the rating-prediction benchmark: one JSON record per conversation.

    Each record holds what a model may see under the paper's protocol (scenario, transcript, catalogue
    items with metadata and image paths, the Seeker's profile and profile-survey ratings, mentioned items)
    and never the ground truth (item ratings, gt_items, satisfaction). Protocol: vogue-pack docs metrics.

    \b
    Examples:
      vogue-pack tasks release/1.0 -o tasks.jsonl
      vogue-pack tasks release/1.0 --tags --template templates/ > tasks.jsonl
    """
    from vogue_pack.analysis.tasks import tasks_jsonl, write_tasks, write_templates

    if out is None:
        click.echo(tasks_jsonl(release, tags), nl=False)
    else:
        count = write_tasks(release, out, tags)
        click.echo(f"wrote {plural(count, 'task')} to {out}", err=True)
    if template_dir is not None:
        for path in write_templates(release, template_dir):
            click.echo(f"wrote template {path}", err=True)


@cli.command()
@click.argument("raw", type=click.Path(path_type=Path), default="raw", required=False)
@click.option("--version", "version", required=True, metavar="X.Y[.Z]",
              help="Dataset version of the release (semantic: patch = same records, minor = records added, "
                   "major = records changed or removed).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="release",
              show_default=True, help="Folder of releases; the release is written to OUT/VERSION.")
@click.option("--max-findings", type=click.IntRange(1), default=10_000, show_default=True,
              help="Keep at most this many findings, errors ahead of warnings.")
@click.option("--max-values", type=click.IntRange(1), default=MAX_VALUES, show_default=True,
              help="Largest number of values (JSON values, CSV cells) one raw file may hold.")
@click.option("--max-file-mb", type=click.IntRange(1), default=MAX_TEXT_BYTES // 2**20, show_default=True,
              help="Largest raw text file (JSON, CSV, survey text) read, in MiB.")
@click.option("--no-expectations", is_flag=True,
              help="Skip the release expectations (checks/expectations/): only for debugging a build.")
@click.option("--no-images", is_flag=True,
              help="A release without images: none is opened or copied; the manifest, card and Croissant say so.")
@click.option("--allow-config-overrides", is_flag=True,
              help="Build even when a vogue-pack.toml in the raw tree switches off or downgrades error-level "
                   "checks (the card and manifest list them).")
@click.option("--date", "release_date", metavar="YYYY-MM-DD", default=None,
              help="Release date (midnight UTC). Default: SOURCE_DATE_EPOCH, else the raw tree's last git commit.")
@image_options
def build(raw: Path, version: str, out_dir: Path, max_findings: int, max_values: int, max_file_mb: int,
          no_expectations: bool, no_images: bool, allow_config_overrides: bool, release_date: str | None,
          hash_name: str, hash_size: int, threshold: int | None, jobs: int | None, cache_dir: Path | None,
          no_cache: bool, accept: Path | None) -> None:
    """Validate RAW and write the release OUT/VERSION (Parquet, images, DuckDB, manifest, checksums,
    dataset card, Croissant). Layout: vogue-pack docs release-format.

    Refuses to build when validation finds errors (they are printed), including failed release
    expectations (Great Expectations suites in checks/expectations/). The release holds report.json and
    report.html. Releases are immutable: an existing version is refused. The release date is --date, else
    SOURCE_DATE_EPOCH, else the time of the raw tree's last git commit (a tree with uncommitted changes
    needs one of the others); never a clock or a file time, so copies of one tree build the same bytes.

    \b
    Prints the configuration used and the release digest (sha256 of SHA256SUMS): publish that line, and
    anyone can check a copy with `vogue-pack verify RELEASE --digest sha256:...`.

    \b
    Exit codes: 0 built, 1 validation errors or a raw-tree config switching errors off (nothing built),
    2 usage problem (e.g. version exists).
    \b
    Examples:
      vogue-pack build raw/ --version 1.0
      SOURCE_DATE_EPOCH=1760000000 vogue-pack build raw/ --version 1.1 --out release/
      vogue-pack build raw/ --version 1.2 --date 2025-10-01
    """
    from vogue_pack.release.build import validate_and_build
    from vogue_pack.report.report import render_text, summary_line
    from vogue_pack.validate.pipeline import ValidateOptions

    options = ValidateOptions(
        max_findings=max_findings, max_values=max_values, max_file_bytes=max_file_mb * 2**20,
        expectations=not no_expectations, check_images=not no_images,
        images=_image_options(hash_name, hash_size, threshold, jobs, cache_dir, no_cache, accept),
        progress=progress_enabled(),
    )
    from vogue_pack.release.build import ConfigOverridesRefused
    from vogue_pack.validate.config import describe_provenance

    try:
        validation, built = validate_and_build(raw, version, out_dir, options, date=release_date,
                                               allow_config_overrides=allow_config_overrides)
    except ConfigOverridesRefused as exc:
        click.echo(f"error: {exc}", err=True)
        click.get_current_context().exit(EXIT_FINDINGS)
        return
    click.echo(describe_provenance(validation.report.context.get("configuration", {})), err=True)
    if built is None:
        click.echo(render_text(validation.report), err=True)
        click.echo(f"{summary_line(validation.report)} — no release built; fix the errors and build again "
                   "(`vogue-pack validate` shows the same report)", err=True)
        click.get_current_context().exit(EXIT_FINDINGS)
        return
    for warning in built.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"built release {built.version}: {plural(built.files, 'file')}, {plural(built.bytes, 'byte')}, "
               f"{plural(sum(built.rows.values()), 'row')} in {plural(len(built.rows), 'table')} "
               f"({plural(validation.report.warning_count, 'validation warning')} recorded)", err=True)
    click.echo(f"release digest: {built.release_digest}", err=True)
    click.echo(str(built.path))


@cli.command()
@click.argument("release", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: problems and a summary line; json: the full result on stdout.")
@click.option("--digest", "digest", metavar="sha256:HEX", default=None,
              help="The published release digest (as build printed it): fail unless the release has it.")
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="PEM public key: fail unless signature.dsse.json is its valid signature "
                                 "over exactly this release's files.")
def verify(release: Path, fmt: str, digest: str | None, public_key: Path | None) -> None:
    """Check a release folder against itself: every file's sha256, missing, extra and unsafe files, the
    manifest, the Parquet tables against vogue.duckdb (contents, views, macros), and the images against
    the images table. With --digest or --public-key, also against a trust root from outside the folder.

    \b
    Exit codes: 0 the release is intact, 1 problems found (listed), 2 not a release or a bad option.
    \b
    Examples:
      vogue-pack verify release/1.1
      vogue-pack verify release/1.1 --digest sha256:0123...
      vogue-pack verify release/1.1 --public-key maintainers.pub.pem --format json
    """
    from vogue_pack.release.verify import verify_json, verify_release

    result = verify_release(release, digest=digest, public_key=public_key)
    if fmt == "json":
        click.echo(verify_json(result), nl=False)
    else:
        click.echo(result.render_text())
    click.get_current_context().exit(EXIT_OK if result.ok else EXIT_FINDINGS)


@cli.command()
@click.argument("release", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--key", "key", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="PEM private key, Ed25519 (openssl genpkey -algorithm ed25519) or ECDSA P-256. An encrypted "
                   "key reads its passphrase from VOGUE_PACK_KEY_PASSPHRASE.")
def sign(release: Path, key: Path) -> None:
    """Sign a verified release: write signature.dsse.json, an in-toto Statement over every file's sha256
    in a DSSE envelope (offline; the format Sigstore and OpenSSF model-signing use).

    Refuses (exit 1) a release that does not verify. Check with `vogue-pack verify RELEASE --public-key`.

    \b
    Examples:
      openssl genpkey -algorithm ed25519 -out release-key.pem
      openssl pkey -in release-key.pem -pubout -out release-key.pub.pem
      vogue-pack sign release/1.1 --key release-key.pem
    """
    from vogue_pack.release.sign import sign_release

    result, signed = sign_release(release, key)
    if signed is None:
        click.echo(result.render_text(), err=True)
        click.echo(f"not signed: release {release} does not verify", err=True)
        click.get_current_context().exit(EXIT_FINDINGS)
        return
    click.echo(f"signed {plural(signed.files, 'file')} of release {result.version} with key {signed.key_id[:16]}… "
               f"({plural(signed.signatures, 'signature')} in the envelope)", err=True)
    click.echo(f"release digest: {signed.release_digest}", err=True)
    click.echo(str(signed.path))


@cli.command()
@click.argument("release", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="table: aligned text; csv: with a header; json: an array of objects.")
@click.option("--max-rows", type=click.IntRange(1), default=1000, show_default=True,
              help="Rows shown by --format table (csv and json print all).")
@click.option("--max-width", type=click.IntRange(0), default=40, show_default=True,
              help="Characters per cell shown by --format table, longer ones end in … (0: no limit).")
def query(release: Path, sql: str, fmt: str, max_rows: int, max_width: int) -> None:
    """Run one read-only SELECT over a release's vogue.duckdb (sandboxed: no writes, files, ATTACH,
    COPY, EXPORT, extensions or settings) and print the result.

    Tables are those of `vogue-pack docs data-model` plus findings; views: utterances_in_context,
    utterance_tags, ratings_side_by_side, items_with_images, known_quirks (vogue-pack docs release-format);
    the human baseline's metrics: metrics_human_overall, metrics_human_per_conversation, ...
    (vogue-pack docs metrics).

    \b
    Exit codes: 0 ok, 2 bad SQL, a statement that is not a SELECT, or not a release.
    \b
    Examples:
      vogue-pack query release/1.1 "SELECT count(*) FROM conversations"
      vogue-pack query release/1.1 "SELECT * FROM ratings_side_by_side" --format csv > ratings.csv
      vogue-pack query release/1.1 "SELECT * FROM utterances_in_context" --max-width 0
    """
    from vogue_pack.release.query import query_rows, render_result

    click.echo(render_result(query_rows(release, sql), fmt, max_rows=max_rows, max_width=max_width), nl=False)


@cli.command()
@click.argument("old", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a summary with samples; json: every count and sample on stdout.")
def diff(old: Path, new: Path, fmt: str) -> None:
    """Compare two releases: records added, removed and changed per table (by key, with samples), files
    added, removed and changed, and the version bump Croissant's rules call for. Both releases are
    verified first (exit 1 when one does not verify); only recomputed digests are compared.

    \b
    Examples:
      vogue-pack diff release/1.0 release/1.1
      vogue-pack diff release/1.0 release/1.1 --format json
    """
    from vogue_pack.release.diff import UnverifiedRelease, diff_releases

    try:
        result = diff_releases(old, new)
    except UnverifiedRelease as exc:
        click.echo(exc.result.render_text(), err=True)
        click.echo(f"error: {exc}", err=True)
        click.get_current_context().exit(EXIT_FINDINGS)
        return
    for note in result.notes:  # on stderr too: the text rendering on stdout may go to a file
        click.echo(f"warning: {note}", err=True)
    click.echo(result.to_json() if fmt == "json" else result.render_text(), nl=fmt == "text")


@cli.command("checks")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="text: one line per check; json: every header field; markdown: "
                                      "the catalogue section of `vogue-pack docs checks`.")
def checks_command(fmt: str) -> None:
    """List the cross-file checks (checks/*.sql) that validate runs: code, severity, title.

    Configure them with --select/--ignore or vogue-pack.toml (vogue-pack docs checks).

    \b
    Examples:
      vogue-pack checks
      vogue-pack checks --format json
    """
    from vogue_pack.validate.crosscheck import check_catalogue, render_catalogue

    click.echo(render_catalogue(check_catalogue(), fmt), nl=False)


@cli.command("docs")
@click.argument("topic", required=False)
def docs_command(topic: str | None) -> None:
    """List the reference pages, or print one (Markdown) to read or pipe into a pager.

    \b
    Examples:
      vogue-pack docs
      vogue-pack docs findings | less
    """
    from vogue_pack.resources import doc_topics, read_doc, render_doc_topics

    if topic is None:
        click.echo(render_doc_topics(), nl=False)
        return
    try:
        click.echo(read_doc(topic), nl=False)
    except KeyError:
        raise UsageError(f"no reference page {topic!r}; the pages are: {', '.join(doc_topics())}") from None


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
        click.echo(f"error: {_escape(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        click.echo(f"error: {_os_error_message(exc)}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the exit-3 handler: a bug in vogue-pack, not in the data
        _report_bug()
        sys.exit(EXIT_BUG)



if __name__ == "__main__":  # python -m vogue_pack.cli
    main()
