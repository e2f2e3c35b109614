"""Helpers shared by the release tests (test_release, test_verify, test_diff): validation of the
synthetic trees and releases built from them."""

from __future__ import annotations

import filecmp
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from vogue_pack.images.inspect import ImageOptions
from vogue_pack.release.build import BuildResult, build_release
from vogue_pack.report.report import Report
from vogue_pack.validate.pipeline import ValidateOptions, Validation, validate

# A fixed release date: SOURCE_DATE_EPOCH for every test build (2025-10-01T00:00:00Z).
EPOCH = 1_759_276_800
DATABASE = "vogue.duckdb"


def shared_image_cache(factory: Any) -> Path:
    """One image-hash cache for every release test of the session (pytest's ``tmp_path_factory``):
    the session trees share their seed-0 images, so only the first validation decodes them."""
    path = Path(factory.getbasetemp()) / "release-image-cache"
    path.mkdir(exist_ok=True)
    return path


def validate_tree(root: Path, cache_dir: Path) -> Validation:
    """Validate a raw tree with a private image-hash cache."""
    return validate(root, ValidateOptions(images=ImageOptions(cache_dir=cache_dir)))


def build(validation: Validation | FakeValidation, out: Path, version: str = "1.0") -> BuildResult:
    """Build with the fixed test date."""
    return build_release(validation, version, out, source_date_epoch=EPOCH)


def build_in_child(validation: Validation, out: Path, started: Any) -> None:
    """Target of a spawned process: signal ``started``, then build release 1.0 into ``out``."""
    started.set()
    build(validation, out)


@dataclass
class FakeValidation:
    """A validation whose tables a test has changed (build takes anything with these four attributes)."""

    root: Path
    tables: dict[str, pa.Table]
    unavailable: dict[str, str] = field(default_factory=dict)
    report: Report = field(default_factory=Report)


def release_files(release: Path) -> list[str]:
    """Every file of a release folder, relative, sorted."""
    return sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())


def differing_files(a: Path, b: Path) -> list[str]:
    """Files whose bytes differ between two release folders (or that exist in only one)."""
    files_a, files_b = release_files(a), release_files(b)
    only = sorted(set(files_a) ^ set(files_b))
    both = sorted(set(files_a) & set(files_b))
    return sorted(only + [f for f in both if not filecmp.cmp(a / f, b / f, shallow=False)])


def hidden_entries(out: Path) -> list[str]:
    """Temporary folders (and anything hidden) left in an output folder."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".")) if out.exists() else []


def offline_environment(cache: Path) -> dict[str, str]:
    """Environment for Hugging Face datasets without network access or telemetry."""
    return {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_DATASETS_CACHE": str(cache / "datasets"), "HF_HOME": str(cache / "home")}
