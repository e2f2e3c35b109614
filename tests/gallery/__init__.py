"""A gallery of bad raw trees: planters that put ONE fault into a copy of a clean synthetic tree.

``faults.GALLERY`` maps a fault name to a planter ``plant(root) -> Expect``: it changes the raw tree at
``root`` (the data folder) and returns the finding that ``vogue-pack validate`` must produce, with its exact
code, severity, file and location. ``trees`` holds the small file helpers the planters share and
``run_validate`` the one way tests run the validator.
"""

from __future__ import annotations

from pathlib import Path

from vogue_pack.validate.pipeline import ValidateOptions, Validation, validate


def run_validate(root: Path, *, images: bool = False, max_findings: int = 1_000_000,
                 expectations: bool = False) -> Validation:
    """Validate ``root`` like ``vogue-pack validate`` (image checks only when asked: they are slow-ish).

    The image-hash cache is off so a test never reads or writes the user's cache. The release
    expectations (on by default in the CLI) run only when asked: each gallery fault targets one raw-file
    or cross-file check, and tests/test_expectations.py covers the suites.
    """
    from vogue_pack.images.inspect import ImageOptions

    options = ValidateOptions(max_findings=max_findings, check_images=images, expectations=expectations,
                              images=ImageOptions(use_cache=False, jobs=1))
    return validate(root, options)
