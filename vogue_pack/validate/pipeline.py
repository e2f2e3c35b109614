"""The one pipeline: discover -> load (+ schemas) -> images -> cross-file checks -> report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from vogue_pack.images.inspect import ImageOptions
from vogue_pack.raw.licence import inspect_licence, licence_context
from vogue_pack.raw.load import load
from vogue_pack.raw.model import empty_table, with_release_image_paths
from vogue_pack.raw.reader import MAX_TEXT_BYTES, MAX_VALUES, ReadLimits
from vogue_pack.raw.tree import RawTree, discover
from vogue_pack.report.findings import Finding
from vogue_pack.report.report import DEFAULT_MAX_FINDINGS, Report
from vogue_pack.validate.config import Config


@dataclass
class ValidateOptions:
    """Everything ``validate`` can be told. Defaults are what ``vogue-pack validate RAW`` does."""

    max_findings: int = DEFAULT_MAX_FINDINGS
    max_values: int = MAX_VALUES  # values (JSON values, CSV cells) one raw file may hold; more: file.too-large
    max_file_bytes: int = MAX_TEXT_BYTES  # size of one raw text file (JSON, CSV, survey); more: file.too-large
    images: ImageOptions = field(default_factory=ImageOptions)
    check_images: bool = True
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    config_file: Path | None = None
    expectations: bool = True  # the release expectations too (checks/expectations/, Great Expectations)
    progress: bool = False  # a loading bar on stderr (terminals only, never with --quiet); the CLI sets it


@dataclass
class Validation:
    """The result of one run: the raw tree, the tables that were validated (and will be released),
    the tables that could not be built and why, and the report."""

    root: Path
    tree: RawTree
    tables: dict[str, pa.Table]
    unavailable: dict[str, str]
    report: Report
    config: Config | None = None  # the effective configuration (its provenance is in report.context)


def validate(path: Path, options: ValidateOptions | None = None) -> Validation:
    """Validate the raw tree at ``path`` (the repository root holding data/, or data/ itself).

    Raises vogue_pack.errors.UsageError when ``path`` is not a raw tree or the configuration is bad;
    every problem of the data itself is a finding in ``Validation.report``.
    """
    from vogue_pack.validate.config import apply_config, load_config
    from vogue_pack.validate.crosscheck import run_checks

    options = options or ValidateOptions()
    tree, tree_findings = discover(Path(path))
    config = load_config(tree.root, options.config_file, select=options.select, ignore=options.ignore)
    findings: list[Finding] = list(tree_findings)
    licence, _terms, licence_found = inspect_licence(tree.root)
    findings.extend(licence_found)
    limits = ReadLimits(bytes=options.max_file_bytes, values=options.max_values)
    if options.progress:
        from vogue_pack.console import progress

        # its own bar, closed before the image bar starts (rich draws one live display at a time)
        with progress() as on_progress:
            loaded = load(tree, on_progress, limits)
    else:
        loaded = load(tree, limits=limits)
    findings.extend(loaded.findings)
    tables = dict(loaded.tables)
    unavailable = dict(loaded.unavailable)

    if options.check_images:
        from vogue_pack.images.dedup import find_duplicates
        from vogue_pack.images.inspect import inspect_images

        entries = [(f.item_id, f.path, tree.absolute(f.path)) for f in tree.of_kind("image")
                   if f.item_id is not None]
        images, image_findings = inspect_images(entries, options.images)
        pairs, pair_findings = find_duplicates(images, options.images)
        tables["images"], tables["duplicate_pairs"] = with_release_image_paths(images), pairs
        findings.extend(image_findings)
        findings.extend(pair_findings)
    else:
        tables["images"], tables["duplicate_pairs"] = empty_table("images"), empty_table("duplicate_pairs")
        unavailable["images"] = unavailable["duplicate_pairs"] = IMAGES_OFF

    switched_off = switched_off_checks(options)
    findings.extend(run_checks(tables, unavailable, skip_families=("image",) if not options.check_images else ()))
    if options.expectations:
        from vogue_pack.validate.expectations import run_expectations

        skip = () if options.check_images else ("images", "duplicate_pairs")
        findings.extend(run_expectations(tables, unavailable=unavailable, skip_tables=skip,
                                         skip_parameters=() if options.check_images else ("raw_image",)))
    report = Report(root=_display_root(Path(path), tree.root), max_findings=options.max_findings)
    report.add(apply_config(findings, config))
    report.finalise()
    from vogue_pack.validate.catalogue import all_codes

    report.context["configuration"] = config.provenance(all_codes())
    report.context["licence"] = licence_context(licence)
    report.context["checks_switched_off"] = switched_off
    return Validation(root=tree.root, tree=tree, tables=tables, unavailable=unavailable, report=report,
                      config=config)


IMAGES_OFF = "image checks were switched off (--no-images)"


def switched_off_checks(options: ValidateOptions) -> dict[str, str]:
    """The stages of checks an option switched off, each with what it covers (``report.context``'s
    ``checks_switched_off``; empty for the default run). A switched-off check is never a finding."""
    off: dict[str, str] = {}
    if not options.check_images:
        off["images"] = ("--no-images: no image was opened; the image.* checks (integrity, duplicates, "
                         "missing and unmapped images) and the images and duplicate_pairs expectation "
                         "suites did not run")
    if not options.expectations:
        off["expectations"] = "--no-expectations: the release expectations (checks/expectations/) did not run"
    return off


def _display_root(given: Path, root: Path) -> str:
    """The root as the user named it (no absolute host paths in reports)."""
    return given.as_posix() if root == given else (given / root.name).as_posix()
