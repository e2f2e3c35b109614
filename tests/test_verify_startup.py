"""What verify does to start faster must decide as before: the manifest checked without jsonschema
(format.manifest_conforms) accepts exactly the manifests jsonschema accepts, and one scan of
duckdb_functions() gives the same definitions and the same functions named like built-ins as the separate
queries did."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from release_support import DATABASE, build, shared_image_cache, validate_tree

from vogue_pack.release import verify as verify_module
from vogue_pack.release.format import (
    FUNCTION_ROWS,
    MANIFEST_SCHEMA,
    connect_database,
    definition_digests,
    manifest_conforms,
)
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("verify-startup-release")).path


@pytest.fixture(scope="module")
def manifest(release: Path) -> dict[str, Any]:
    return dict(json.loads((release / "manifest.json").read_text(encoding="utf-8")))


def reference(data: Any) -> bool:
    """jsonschema's verdict, as read_manifest asked it before."""
    return jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(MANIFEST_SCHEMA).iter_errors(data)) is None


def places(data: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``data`` (keys and list positions), ``data`` itself first."""
    found = [where]
    if isinstance(data, dict):
        for key, value in data.items():
            found += places(value, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += places(value, (*where, index))
    return found


# Words the schema names, so that mutated objects often hold a property it checks.
SCHEMA_WORDS = sorted({part for where in places(MANIFEST_SCHEMA) for part in where if isinstance(part, str)}
                      | {name for text in [json.dumps(MANIFEST_SCHEMA)] for name in json.loads(text)["required"]})
SCALARS = (st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, 1.0, -2.0, 1.5, 1e300])
           | st.floats(allow_nan=True) | st.text(max_size=3) | st.just("vogue-pack-release"))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(SCHEMA_WORDS) | st.text(max_size=3), inner, max_size=3), max_leaves=6)


def mutate(data: Any, where: tuple[Any, ...], how: str, value: Any) -> Any:
    """``data`` with the value at ``where`` replaced (``how`` = set), removed (drop), given an extra
    property (add) or element (append)."""
    data = copy.deepcopy(data)
    if not where:
        return value if how == "set" else data
    parent = data
    for part in where[:-1]:
        parent = parent[part]
    last = where[-1]
    target = parent[last]
    if how == "set":
        parent[last] = value
    elif how == "drop":
        del parent[last]
    elif how == "add" and isinstance(target, dict):
        target[str(value)[:8]] = value
    elif how == "append" and isinstance(target, list):
        target.append(value)
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_manifest_conforms_decides_as_jsonschema_on_mutated_manifests(manifest: dict[str, Any],
                                                                      data: st.DataObject) -> None:
    everywhere = places(manifest)
    mutated: Any = manifest
    for _ in range(data.draw(st.integers(1, 3))):
        spots = places(mutated) if isinstance(mutated, (dict, list)) else [()]
        where = data.draw(st.sampled_from(spots if data.draw(st.booleans()) else everywhere[:1] + spots))
        how = data.draw(st.sampled_from(["set", "drop", "add", "append"]))
        mutated = mutate(mutated, where, how, data.draw(VALUES))
    verdict = reference(mutated)
    event(f"jsonschema accepts: {verdict}")  # both verdicts occur (pytest --hypothesis-show-statistics)
    assert manifest_conforms(mutated) == verdict


@pytest.mark.parametrize(("where", "value"), [
    (("tables", "turns", "rows"), 3.0),  # an integral float is an integer to JSON Schema
    (("tables", "turns", "rows"), 3.5),
    (("tables", "turns", "rows"), True),  # a boolean is not
    (("tables", "turns", "rows"), float("inf")),
    (("tables", "turns", "key"), "conversation_id"),
    (("tables", "turns", "key"), [1]),
    (("files", 0, "bytes"), None),
    (("duckdb", "views", 0), {"nom": "x"}),
    (("format",), "vogue-pack-release "),
    (("dataset",), []),
    (("libraries", "duckdb"), 2),
    (("findings", "columns"), {}),
])
def test_manifest_conforms_decides_as_jsonschema_on_chosen_values(manifest: dict[str, Any],
                                                                  where: tuple[Any, ...], value: Any) -> None:
    mutated = mutate(manifest, where, "set", value)
    assert manifest_conforms(mutated) == reference(mutated)
    assert manifest_conforms(manifest) and reference(manifest)
    for name in MANIFEST_SCHEMA["required"]:
        assert not manifest_conforms(mutate(manifest, (name,), "drop", None))


def test_manifest_conforms_refuses_a_schema_it_does_not_implement() -> None:
    with pytest.raises(ValueError, match="does not implement"):
        manifest_conforms({}, {"type": "object", "minProperties": 1})
    with pytest.raises(ValueError, match="does not implement"):
        manifest_conforms(1, {"type": "number"})


def test_one_functions_scan_gives_the_definitions_and_the_shadowing_of_separate_queries(
        release: Path, tmp_path: Path) -> None:
    copied = Path(shutil.copytree(release, tmp_path / "1.0"))
    con = connect_database(copied / DATABASE, read_only=False)
    con.execute("CREATE MACRO lower(x) AS x")  # named like a built-in
    con.execute("CREATE MACRO twice(x) AS x * 2, (x, y) AS x * y")  # two overloads
    con.execute("CREATE MACRO rows_of(n) AS TABLE SELECT * FROM range(n)")
    con.execute("CREATE SCHEMA extra")
    con.execute("CREATE MACRO extra.hidden(x) AS x + 1")
    con.close()
    con = connect_database(copied / DATABASE, read_only=True)
    try:
        functions = con.execute(FUNCTION_ROWS).fetchall()
        separate = definition_digests(con)
        assert definition_digests(con, functions) == separate
        assert {("macro", "lower"), ("macro", "twice"), ("macro", "rows_of"), ("macro", "hidden")} <= set(separate)
        by_query = con.execute("SELECT DISTINCT internal, function_type, function_name "
                               "FROM system.main.duckdb_functions()").fetchall()
        built_in = {str(name) for internal, _, name in by_query if internal}
        expected = sorted({(str(kind), str(name)) for internal, kind, name in by_query
                           if not internal and str(name) in built_in})
        assert verify_module._shadowing(functions) == expected
        assert ("macro", "lower") in expected
    finally:
        con.close()
