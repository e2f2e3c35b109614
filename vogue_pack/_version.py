"""The version of vogue-pack (one place; the package and every output read it from here)."""

__version__ = "0.1.0"
