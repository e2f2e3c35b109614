"""vogue-pack: validate and package the VOGUE conversational-recommendation dataset.

The library's entry points are re-exported here and imported on first use, so that ``import vogue_pack``
(and the command line's ``--help``) stays fast::

    from vogue_pack.pipeline import validate        # the pipeline (vogue_pack.validate.pipeline)
    import vogue_pack
    result = validate(Path("raw"))
    vogue_pack.build_release(result, "1.0", Path("release"))
"""

from vogue_pack._version import __version__

# Every command line pays for this module, and `vogue-pack --help` imports nothing else of the package
# (vogue_pack/_entry.py): so no __future__, typing or importlib here (mypy reads any TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# public name -> module that defines it
_EXPORTS = {
    "ValidateOptions": "vogue_pack.validate.pipeline",
    "Validation": "vogue_pack.validate.pipeline",
    "build_release": "vogue_pack.release.build",
    "validate_and_build": "vogue_pack.release.build",
    "verify_release": "vogue_pack.release.verify",
    "query_release": "vogue_pack.release.query",
    "diff_releases": "vogue_pack.release.diff",
    "compute_stats": "vogue_pack.analysis.stats",
    "load_tables": "vogue_pack.analysis.stats",
    "evaluate": "vogue_pack.analysis.metrics",
    "baseline_predictions": "vogue_pack.analysis.metrics",
    "write_tree": "vogue_pack.synth",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> "Any":
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vogue_pack' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
