"""The transcript certificate never vouches for a document the schema rejects, and counts keys exactly.

``transcript_shape.certify`` lets the loader skip the JSON Schema and the key walk; a wrong "yes" would
hide a finding. These tests compare it with the compiled schema itself on synthetic transcripts and on
thousands of damaged copies (values replaced by near misses, keys removed or added, lists emptied).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vogue_pack.raw.fileschemas import json_schema
from vogue_pack.raw.reader import _keys_within_depth, parse_json_certified
from vogue_pack.raw.transcript_shape import SCHEMA_SHA256, certifier, certify, schema_digest
from vogue_pack.resources import data_dir
from vogue_pack.synth import write_tree


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    root = tmp_path_factory.mktemp("shape") / "raw"
    write_tree(root, conversations=12, seed=3, images=False)
    files = sorted(root.rglob("transcripts/*.json"))
    assert len(files) == 12
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def _schema_accepts(doc: Any) -> bool:
    try:
        json_schema("transcript").fast(doc)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def test_digest_is_the_shipped_schema() -> None:
    """Edit the schema and this fails: review certify() against the new schema, then update the digest."""
    raw = json.loads((data_dir("schemas") / "transcript.schema.json").read_text(encoding="utf-8"))
    assert schema_digest(raw) == SCHEMA_SHA256
    assert certifier(raw) is certify
    changed = copy.deepcopy(raw)
    changed["properties"]["catalogue"]["pattern"] = "^[a-z]{1,2}$"
    assert certifier(changed) is None


def test_synthetic_transcripts_are_certified(transcripts: list[dict[str, Any]]) -> None:
    for doc in transcripts:
        assert _schema_accepts(doc)
        assert certify(doc) == _keys_within_depth(doc)


def test_certified_parse_skips_nothing_it_should_report(transcripts: list[dict[str, Any]]) -> None:
    text = json.dumps(transcripts[0], indent=2)
    found: list[Any] = []
    doc, certified = parse_json_certified(text, "t.json", found, certify=certify)
    assert certified and doc == transcripts[0] and found == []
    # a repeated key: the document json.loads returns holds fewer keys than the text; never certified
    repeated = text.replace('"scenario":', '"scenario": 1, "scenario":', 1)
    doc, certified = parse_json_certified(repeated, "t.json", found, certify=certify)
    assert not certified and any(f.code == "json.duplicate-key" for f in found)
    # a NaN where an id stands: parsed, not certified
    found = []
    doc, certified = parse_json_certified(text.replace('"scenario": ', '"scenario": NaN, "x": ', 1), "t.json",
                                          found, certify=certify)
    assert not certified


NEAR_MISSES: list[Any] = [
    None, True, False, 0, -1, 1, 2**31 - 1, 2**31, 1.0, 0.5, "", "a", "A", "a000", "a000\n", "b011", "a101",
    "ab", "é", "Seeker", "Assistant", "seeker", "<no tag available>", "<no tag available> ", [], [1], [0],
    [True], [1.0], ["x"], [[]], [["A"]], [["A", "B", "C", "D"]], [["A"], "<no tag available>"], [[1]],
    ["<no tag available>"], [["A"], "other"], {}, {"turn": 1}, "12:00:00",
]


def _containers(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value of ``doc`` (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.append((*path, key))
            out.extend(_containers(value, (*path, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.append((*path, index))
            out.extend(_containers(value, (*path, index)))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "replace":
        parent[last] = copy.deepcopy(value)
    elif how == "delete":
        del parent[last]
    elif how == "add" and isinstance(parent, dict):
        parent[value if isinstance(value, str) else "extra"] = 1
    elif how == "add" and isinstance(parent, list):
        parent.append(copy.deepcopy(value))
    elif how == "empty":
        target = parent[last]
        if isinstance(target, list | dict):
            target.clear()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_certificate_is_never_wrong(transcripts: list[dict[str, Any]], data: st.DataObject) -> None:
    """Whatever the damage (one to three edits), a certified document satisfies the schema and the
    certificate's key count is the document's."""
    doc = copy.deepcopy(data.draw(st.sampled_from(transcripts[:4])))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _containers(doc)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        how = data.draw(st.sampled_from(["replace", "replace", "delete", "add", "empty"]))
        _mutate(doc, path, how, data.draw(st.sampled_from(NEAR_MISSES)))
    keys = certify(doc)
    if keys is not None:
        assert _schema_accepts(doc), doc
        assert keys == _keys_within_depth(doc)


def test_damage_is_mostly_refused(transcripts: list[dict[str, Any]]) -> None:
    """The certificate refuses each single replacement of a value by a value of another type."""
    doc = transcripts[0]
    refused = 0
    paths = _containers(doc)
    for path in paths:
        damaged = copy.deepcopy(doc)
        _mutate(damaged, path, "replace", {"not": "allowed"})
        assert certify(damaged) is None or _schema_accepts(damaged)
        refused += certify(damaged) is None
    assert refused == len(paths)


def test_loader_reports_the_same_with_and_without_the_certificate(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A tree with damaged transcripts: the findings are the same when the certificate is switched off."""
    from vogue_pack.raw import load as load_module
    from vogue_pack.raw.tree import discover

    root = tmp_path / "raw"
    write_tree(root, conversations=6, seed=1, images=False)
    files = sorted(root.rglob("transcripts/*.json"))
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    docs[0]["scenario"] = True
    docs[1]["conversation_content"][0]["content"]["tags"] = [["A", "B", "C", "D"]]
    docs[2]["conversation_content"][1]["extra"] = 1
    for path, doc in zip(files[:3], docs[:3], strict=True):
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    tree = discover(root)[0]
    with_certificate = [f.to_dict() for f in load_module.load(tree).findings]
    monkeypatch.setattr(load_module, "certifier", lambda schema: None)
    without = [f.to_dict() for f in load_module.load(tree).findings]
    assert with_certificate == without
    assert sum(f["code"] == "json.schema" for f in with_certificate) >= 3
