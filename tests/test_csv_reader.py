"""The two CSV readers agree: Arrow's reader, used for plain files, gives exactly the header, line numbers,
cells and findings of the Python ``csv`` path on every text it accepts, and refuses every other text."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vogue_pack.raw.fileschemas import CsvRows
from vogue_pack.raw.reader import _read_plain_csv, read_csv
from vogue_pack.synth import write_tree

# pieces that make CSV text hard: quotes, doubled quotes, every line ending, blanks, NUL, non-ASCII
PIECES = ["a", "1", "-1", " ", "\t", ",", '"', '""', "\r", "\n", "\r\n", "é", "\x00", "[1, 2]", "\ufeff"]
PLAIN = ["", "x", " y ", "3", "-1", '"q"', '"a,b"', '"say ""hi"""', '"[1, 2]"', '""', "é", " ", "\t"]
DAMAGED = ['"', 'a"b', '"a"b', '"line\nbreak"', '"cr\rcell"', "\x00", '"open']
ENDINGS = ["\n", "\r\n", "\r"]


def _same(text: str, max_values: int = 10_000) -> bool:
    """Assert the fast and the Python reader agree on ``text``; True when the fast path was taken."""
    fast_findings: list = []
    slow_findings: list = []
    fast = read_csv(text, "f.csv", fast_findings, max_values)
    slow = read_csv(text, "f.csv", slow_findings, max_values, fast=False)
    assert [f.to_dict() for f in fast_findings] == [f.to_dict() for f in slow_findings]
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        assert fast.header == slow.header
        assert fast.lines == slow.lines
        assert list(fast.columns) == list(slow.columns)
        for name in fast.columns:
            assert fast.values(name) == slow.values(name), name
    return _read_plain_csv(text, "f.csv", max_values) is not None


@st.composite
def tables(draw: st.DrawFn) -> str:
    """A CSV table of quoted and unquoted cells, sometimes damaged (ragged rows, blank lines, stray quotes)."""
    width = draw(st.integers(1, 4)) if draw(st.integers(0, 9)) == 0 else draw(st.integers(2, 4))
    header = draw(st.lists(st.sampled_from(["a", "b", " c ", "a", '"d"', ""]), min_size=width, max_size=width))
    ending = draw(st.sampled_from(ENDINGS))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 6))):
        cells = draw(st.lists(st.sampled_from(PLAIN), min_size=width, max_size=width))
        if draw(st.integers(0, 11)) == 0:
            cells[draw(st.integers(0, width - 1))] = draw(st.sampled_from(DAMAGED))
        if draw(st.integers(0, 11)) == 0:
            cells = cells[:-1] if len(cells) > 1 and draw(st.booleans()) else [*cells, "extra"]
        lines.append(",".join(cells))
        if draw(st.integers(0, 19)) == 0:
            lines.append(draw(st.sampled_from(["", " ", ",", '"'])))
    return ending.join(lines) + draw(st.sampled_from(["", ending]))


@settings(max_examples=1500, deadline=None)
@given(text=tables())
def test_readers_agree_on_tables(text: str) -> None:
    _same(text)


@settings(max_examples=800, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_readers_agree_on_any_text(text: str) -> None:
    _same(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(width=st.integers(2, 5), rows=st.integers(1, 8), limit=st.integers(1, 50))
def test_cell_budget_is_the_python_readers(width: int, rows: int, limit: int) -> None:
    """A plain file over --max-values is refused with the same finding as the Python reader gives."""
    text = "\n".join(",".join(f"r{r}c{c}" for c in range(width)) for r in range(rows + 1)) + "\n"
    _same(text, max_values=limit)


def test_plain_tables_take_the_fast_path() -> None:
    """Quoted cells, doubled quotes and each line ending are plain; a cell spanning lines, a stray quote,
    a blank line, a ragged row and a one-column file are not (they go to the Python reader)."""
    for ending in ENDINGS:
        assert _same(ending.join(["id,vec,note", '1,"[1, 2]",plain', '2,"[3]","say ""hi"""']) + ending)
    for text in ['id,vec\n1,"a\nb"\n', 'id,vec\n1,a"b\n', 'id,vec\n1,2\n\n3,4\n', 'id,vec\n1\n', "id\n1\n",
                 'id,vec\n1,"2\n', "\nid,vec\n1,2\n", "id,vec\n1,2\x00\n"]:
        assert not _same(text), repr(text)


def test_the_generated_tree_is_read_by_arrow(tmp_path: Path) -> None:
    """Every CSV file the generator writes is plain, so a real-format release is read at C speed."""
    root = tmp_path / "raw"
    write_tree(root, conversations=4, seed=3, images=False)
    files = sorted((root / "data").rglob("*.csv"))
    assert len(files) >= 4
    for path in files:
        assert _same(path.read_text(encoding="utf-8")), path.name


def test_repeated_header_column_keeps_the_last_cells() -> None:
    fast = read_csv("a,b,a\n1,2,3\n", "f.csv", [])
    assert isinstance(fast, CsvRows) and fast.values("a") == ["3"] and fast.dicts() == [{"a": "3", "b": "2"}]
    assert _same("a,b,a\n1,2,3\n")
