"""Documentation generated from code stays in sync; every code is documented."""

from __future__ import annotations

from pathlib import Path

from vogue_pack.raw.model import TABLES, render_data_model_markdown
from vogue_pack.validate.catalogue import all_codes, render_codes_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_data_model_doc_in_sync() -> None:
    text = (DOCS / "data-model.md").read_text(encoding="utf-8")
    assert text.strip() == render_data_model_markdown().strip(), \
        "regenerate: python -m vogue_pack.raw.model > docs/data-model.md"
    for spec in TABLES.values():
        assert f"## `{spec.name}`" in text
        for column in spec.columns:
            assert column.description, f"{spec.name}.{column.name} has no description"


def test_every_code_documented() -> None:
    text = (DOCS / "findings.md").read_text(encoding="utf-8")
    assert text == render_codes_markdown(), "regenerate: python -m vogue_pack.validate.catalogue > docs/findings.md"
    for code, info in all_codes().items():
        assert f"`{code}`" in text
        assert info.title and info.description
        family, _, name = code.partition(".")
        assert family and name and code == code.lower() and " " not in code
