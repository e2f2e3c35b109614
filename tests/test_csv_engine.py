"""The native CSV checks give exactly pandera's failure cases (pandera is the reference engine).

``check_csv`` evaluates schemas/*.yaml natively so that validating a tree imports neither pandas nor
pandera. These tests generate damaged tables for every shipped schema (cells that are blank, out of
range, of the wrong type, near misses of the patterns, repeated keys; columns dropped, renamed or
added) and compare the failure cases and the findings of both engines.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vogue_pack.raw.fileschemas import CsvRows, check_csv, native_failures
from vogue_pack.raw.reader import read_csv
from vogue_pack.synth import write_tree

FILES = {
    "catalogue_mapping": "supplements/catalogue_mapping.csv",
    "seeker_ratings": "conversation_trials/item_ratings/seeker_ratings.csv",
    "assistant_ratings": "conversation_trials/item_ratings/assistant_ratings.csv",
    "profiles": "fashion_profiles/profiles.csv",
    "profile_ratings": "fashion_profiles/ratings.csv",
}
CELLS = ["", " ", "0", "1", "-1", "2", "5", "6", "07", "+3", " 4 ", "1.0", "5.0", "0.5", "nan", "inf", "-0",
         "2147483648", "x", "s1", "s01", "s1\n", "a1", "a0", "s", "Seeker", "Assistant", "seeker", "a", "b", "ab",
         "é", "\u00a0", "x y", "s\u0661", "[1, 2]", "Chic - Elegant, polished, often minimalist"]
EXTRA_COLUMNS = ["item_07", "item_1x", "style_extra", "likert_6", "likert_1", "item_99", "item_3_duplicate",
                 "comfortable", "id2", "role "]


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CsvRows]:
    root = tmp_path_factory.mktemp("csv") / "raw"
    write_tree(root, conversations=4, seed=5, images=False)
    out = {}
    for name, rel in FILES.items():
        rows = read_csv((root / "data" / rel).read_text(encoding="utf-8"), rel, [])
        assert rows is not None and rows.lines
        out[name] = rows
    return out


def test_every_shipped_schema_runs_natively(tables: dict[str, CsvRows]) -> None:
    """No shipped schema falls back to pandera (else validate would import it)."""
    for name, rows in tables.items():
        typed, _ = check_csv(name, rows, engine="pandera")
        assert native_failures(name, typed, rows.lines) is not None, name


def _damage(rows: CsvRows, data: st.DataObject) -> CsvRows:
    header = list(rows.header)
    cells = rows.dicts()[:6]
    lines = list(rows.lines[:6])
    for _ in range(data.draw(st.integers(0, 2))):  # columns: drop, add, rename
        how = data.draw(st.sampled_from(["drop", "add", "rename"]))
        if how == "drop" and len(header) > 1:
            header.remove(data.draw(st.sampled_from(header)))
        elif how == "add":
            column = data.draw(st.sampled_from(EXTRA_COLUMNS))
            if column not in header:
                header.append(column)
                for row in cells:
                    row[column] = data.draw(st.sampled_from(CELLS))
        elif how == "rename":
            old = data.draw(st.sampled_from(header))
            new = data.draw(st.sampled_from(EXTRA_COLUMNS))
            if new not in header:
                header[header.index(old)] = new
                for row in cells:
                    row[new] = row.pop(old, "")
    for _ in range(data.draw(st.integers(0, 8))):  # cells: replaced, or copied from another row (repeats)
        row = data.draw(st.sampled_from(cells))
        column = data.draw(st.sampled_from(header))
        if data.draw(st.booleans()):
            row[column] = data.draw(st.sampled_from(CELLS))
        else:
            row[column] = data.draw(st.sampled_from(cells)).get(column, "")
    return CsvRows.from_dicts(rows.file, header, lines, cells)


@pytest.mark.parametrize("name", list(FILES))
@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_native_equals_pandera(tables: dict[str, CsvRows], name: str, data: st.DataObject) -> None:
    """220 damaged tables per schema (1,100 in all): the same failure cases, the same findings."""
    rows = _damage(tables[name], data)
    typed, reference = check_csv(name, rows, engine="pandera")
    native = native_failures(name, typed, rows.lines)
    assert native is not None
    _typed, found = check_csv(name, rows)
    assert sorted(map(repr, (f.to_dict() for f in found))) == sorted(map(repr, (f.to_dict() for f in reference)))


def test_blank_free_text_of_a_profile_is_not_required(tables: dict[str, CsvRows]) -> None:
    """style_preferences and style_vibes may be blank (nullable in the schema); the regex key of the nine
    importance columns must not claim them because they start with 'style' (both engines)."""
    original = tables["profiles"]
    cells = original.dicts()
    cells[0]["style_preferences"] = ""
    cells[0]["style_vibes"] = ""
    rows = CsvRows.from_dicts(original.file, original.header, original.lines, cells)
    for engine in ("native", "pandera"):
        _typed, found = check_csv("profiles", rows, engine=engine)
        assert not [f for f in found if f.column in ("style_preferences", "style_vibes")], engine


def test_validate_does_not_import_pandera(tmp_path: Path) -> None:
    """(pandas itself is imported by pyarrow, on its first conversion of a Python list.)"""
    root = tmp_path / "raw"
    write_tree(root, conversations=3, seed=2, images=False)
    code = ("import sys; from pathlib import Path; from vogue_pack.validate.pipeline import validate, "
            "ValidateOptions; v = validate(Path(sys.argv[1]), ValidateOptions(check_images=False)); "
            "print(sorted(m for m in ('pandera', 'great_expectations') if m in sys.modules), "
            "len(v.report.findings) > 0)")
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] True"  # findings: the tree has no images, so the run did check things
