"""Plain rating files are added column-wise; the result is the row-by-row path's: every table, its row
order, and every finding, on rating files damaged cell by cell."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vogue_pack.raw import load as loader
from vogue_pack.raw.tree import discover
from vogue_pack.synth import write_tree

RATINGS = ("conversation_trials/item_ratings/seeker_ratings.csv",
           "conversation_trials/item_ratings/assistant_ratings.csv")
ITEM_CELLS = ["-1", "3", "5", "+3", " 3", "03", "0", "-0", "999999999", "1000000000", "40000", "", "x", "2.0"]
OTHER_CELLS = ["", "x", "3", "-1", " ", "4.0", "[1, 2]"]


@pytest.fixture(scope="module")
def tree_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ratings") / "raw"
    write_tree(root, conversations=5, seed=11, images=False)
    return root


def _load(root: Path, columnwise: bool) -> loader.Loaded:
    tree, _ = discover(root)
    saved = loader._Loader.columnwise
    loader._Loader.columnwise = columnwise
    try:
        return loader.load(tree)
    finally:
        loader._Loader.columnwise = saved


def _both_paths_agree(root: Path) -> None:
    fast, slow = _load(root, True), _load(root, False)
    assert [f.to_dict() for f in fast.findings] == [f.to_dict() for f in slow.findings]
    assert fast.tables.keys() == slow.tables.keys()
    for name, table in slow.tables.items():
        assert fast.tables[name].equals(table), name
    assert fast.unavailable == slow.unavailable


def _rewrite(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_a_plain_tree_is_added_columnwise(tree_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated files take the column-wise path (else the row-by-row path would be all that is tested)."""
    taken: list[bool] = []
    original = loader._Loader._ratings_at_once

    def spy(self: loader._Loader, *args: object) -> bool:
        taken.append(original(self, *args))  # type: ignore[arg-type]
        return taken[-1]

    monkeypatch.setattr(loader._Loader, "_ratings_at_once", spy)
    _load(tree_root, True)
    assert taken == [True, True]
    _both_paths_agree(tree_root)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_rating_files_give_the_same_tables_and_findings(tree_root: Path, tmp_path_factory:
                                                                 pytest.TempPathFactory, data: st.DataObject) -> None:
    root = tmp_path_factory.mktemp("damaged") / "raw"
    write_tree(root, conversations=5, seed=11, images=False)
    for rel in RATINGS:
        path = root / "data" / rel
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        header = rows[0]
        for _ in range(data.draw(st.integers(0, 4))):
            row = data.draw(st.integers(1, len(rows) - 1))
            column = data.draw(st.integers(0, len(header) - 1))
            name = header[column]
            if name.startswith("item_"):
                rows[row][column] = data.draw(st.sampled_from(ITEM_CELLS))
            elif name == "rating_vec":
                cells = rows[row][column].strip("[]").split(", ")
                how = data.draw(st.sampled_from(["nospace", "short", "swap", "text", "blank"]))
                rows[row][column] = {"nospace": "[" + ",".join(cells) + "]", "short": "[" + ", ".join(cells[1:]) + "]",
                                     "swap": "[" + ", ".join(cells[::-1]) + "]", "text": "ratings",
                                     "blank": ""}[how]
            else:
                rows[row][column] = data.draw(st.sampled_from(OTHER_CELLS))
        if "rating_vec" in header and data.draw(st.booleans()):  # literals rewritten from the damaged cells
            at = header.index("rating_vec")
            items = [i for i, name in enumerate(header) if name.startswith("item_")]
            for row in rows[1:]:
                row[at] = "[" + ", ".join(row[i] for i in items) + "]"
        if data.draw(st.integers(0, 9)) == 0:  # a column dropped
            drop = data.draw(st.sampled_from([c for c in header if c != "conversation_id"]))
            at = header.index(drop)
            rows = [r[:at] + r[at + 1:] for r in rows]
        _rewrite(path, rows)
    _both_paths_agree(root)
