"""The documented import path of the validation pipeline: ``from vogue_pack.pipeline import validate``.

The pipeline lives in :mod:`vogue_pack.validate.pipeline`; this module only re-exports its public names.
"""

from vogue_pack.validate.pipeline import ValidateOptions, Validation, validate

__all__ = ["ValidateOptions", "Validation", "validate"]
