"""Locate the declarative folders (schemas/, checks/) in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder ``name`` (``schemas`` or ``checks``): shipped in the wheel, or the checkout's top level."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"vogue-pack data folder {name!r} not found; the installation is incomplete")
