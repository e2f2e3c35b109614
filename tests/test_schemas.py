"""The declarative schemas/ folder: every file is valid and used."""

from __future__ import annotations

import json

import jsonschema
import pytest

from vogue_pack.raw.fileschemas import json_schema, table_schema, tag_codes
from vogue_pack.resources import data_dir

SCHEMAS = data_dir("schemas")


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_json_schemas_are_valid(path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(raw).check_schema(raw)
    compiled = json_schema(path.name.removesuffix(".schema.json"))
    assert compiled.raw == raw


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.yaml")), ids=lambda p: p.name)
def test_pandera_schemas_load(path) -> None:
    schema = table_schema(path.stem)
    assert schema.columns


def test_tag_codes_match_the_format() -> None:
    codes = tag_codes()
    # vogue-format.md 2.1: 19 Seeker codes, 20 Assistant codes; RP exists in both with different meanings
    assert len(codes["Seeker"]) == 19 and len(codes["Assistant"]) == 20
    assert "RP" in codes["Seeker"] and "RP" in codes["Assistant"]


def test_json_schema_reports_pointer() -> None:
    findings = json_schema("item").check({"id": "7"}, "metadata/item_7.json")
    pointers = {f.pointer for f in findings}
    assert "/id" in pointers
    assert all(f.code == "json.schema" for f in findings)


def test_strict_integers() -> None:
    findings = json_schema("scenarios").check([{"Scenario": True, "Body": "A: b"}], "s.json")
    assert [f.pointer for f in findings] == ["/0/Scenario"]
