"""The dedupe command's fast paths: the image tables' Arrow columns are built without pa.array (which
imports pandas), the same arrays as pa.array, and a whole `vogue-pack dedupe` run in a fresh process imports
no pandas; the indented JSON of the review record is the text of json.dumps."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from test_imports import run_cli

from vogue_pack.images.columns import arrow_array
from vogue_pack.images.jsontext import dumps_indented

_VALUES = {
    pa.int32(): st.integers(-(2**31), 2**31 - 1),
    pa.int64(): st.integers(-(2**63), 2**63 - 1),
    pa.bool_(): st.booleans(),
    pa.string(): st.text(max_size=12),
}


@settings(max_examples=40, deadline=None)
@given(st.data())
@pytest.mark.parametrize("kind", list(_VALUES), ids=str)
def test_arrow_array_equals_pa_array(kind: pa.DataType, data: st.DataObject) -> None:
    values = data.draw(st.lists(st.none() | _VALUES[kind], max_size=40))
    built = arrow_array(values, kind)
    built.validate(full=True)
    expected = pa.array(values, type=kind)
    assert built.equals(expected)
    assert built.type == kind and built.null_count == expected.null_count
    assert built.to_pylist() == values


def test_arrow_array_refuses_what_pa_array_refuses() -> None:
    with pytest.raises((OverflowError, pa.ArrowInvalid)):
        arrow_array([2**40], pa.int32())
    with pytest.raises((TypeError, pa.ArrowInvalid, pa.ArrowTypeError)):
        arrow_array([1, "x"], pa.string())
    assert arrow_array([1.5], pa.float64()).equals(pa.array([1.5]))  # other types: pa.array itself


def test_dedupe_imports_no_pandas(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for k in range(3):
        Image.new("RGB", (64, 80), (40 * k, 90, 200)).save(folder / f"item_{k + 1}.png")
    Image.new("RGB", (64, 80), (0, 90, 200)).save(folder / "item_4.jpg", quality=90)
    code, modules = run_cli(["dedupe", str(folder), "--no-cache", "--format", "json"], tmp_path)
    assert code == 0
    assert "vogue_pack.images.dedup" in modules and "PIL.PngImagePlugin" in modules  # the images were read
    assert "pandas" not in modules
    code, modules = run_cli(["dedupe", str(folder), "--no-cache", "--format", "json"], tmp_path,
                            entry="vogue_pack._entry")
    assert code == 0 and "pandas" not in modules
    code, modules = run_cli(["--version"], tmp_path, entry="")
    assert "pandas" not in modules  # the runner alone imports none either


def test_pa_array_imports_pandas_so_the_check_can_fail(tmp_path: Path) -> None:
    """Positive control: in a fresh process pa.array does import pandas."""
    import subprocess
    import sys

    probe = "import sys, pyarrow as pa; pa.array([1], type=pa.int32()); print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "True"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=6), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_dumps_indented_is_json_dumps(doc: object) -> None:
    assert dumps_indented(doc) == json.dumps(doc, indent=2, ensure_ascii=False)


def test_dumps_indented_leaves_the_unusual_to_json() -> None:
    for doc in ({1: "a", None: 2, 1.5: True}, [{"a": {2: [3]}}]):
        assert dumps_indented(doc) == json.dumps(doc, indent=2, ensure_ascii=False)
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(RecursionError):
        json.dumps(deep, indent=2)
    with pytest.raises(RecursionError):
        dumps_indented(deep)
    with pytest.raises(TypeError):
        dumps_indented({"a": {1, 2}})


_SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=3), min_size=1, max_size=4, unique=True), st.data())
def test_dumps_indented_of_records_is_json_dumps(keys: list[str], data: st.DataObject) -> None:
    """Lists of flat records (the review record's pairs, written one join per record) and lists that
    only look like them (a record with other keys, another key order or a nested value)."""
    rows = data.draw(st.lists(st.fixed_dictionaries({k: _SCALAR for k in keys}), min_size=16, max_size=40))
    odd = data.draw(st.sampled_from([None, {**rows[0], "extra": 1}, dict(reversed(list(rows[0].items()))),
                                     {keys[0]: [1]}, 7]))
    doc = {"pairs": rows + ([] if odd is None else [odd]), "nested": [rows]}
    assert dumps_indented(doc) == json.dumps(doc, indent=2, ensure_ascii=False)
