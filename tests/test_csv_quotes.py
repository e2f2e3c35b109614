"""Damage Python's ``csv`` module reads without complaint: a stray quote (in an unquoted cell, or after a
closing quote) and a NUL character. Each is a finding at its row; text any CSV writer produces has none."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from vogue_pack.raw.reader import read_csv, stray_quotes

# cell text with everything a writer must quote: quotes, commas, every line break, NUL-free
CELL = st.text(alphabet=st.sampled_from(['a', 'é', ' ', '"', ',', '\n', '\r', "'", '1']), max_size=8)
TABLE = st.integers(1, 4).flatmap(lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width),
                                                         min_size=1, max_size=6))


def _write(rows: list[list[str]], quoting: int, ending: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=quoting, lineterminator=ending).writerows(rows)
    return buffer.getvalue()


def _codes(text: str) -> list[tuple[str, int | None, str | None]]:
    findings: list = []
    read_csv(text, "f.csv", findings, fast=False)
    return [(f.code, f.row, f.column) for f in findings]


@settings(max_examples=600, deadline=None)
@given(rows=TABLE, quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       ending=st.sampled_from(["\n", "\r\n"]))
def test_written_csv_has_no_stray_quote(rows: list[list[str]], quoting: int, ending: str) -> None:
    """Whatever the cells hold, a CSV writer's text has no stray quote, and the reader reports none."""
    text = _write(rows, quoting, ending)
    assert stray_quotes(text) == []
    assert not [code for code in _codes(text) if code[0] in {"csv.stray-quote", "csv.parse"}]


@settings(max_examples=600, deadline=None)
@given(rows=st.lists(st.lists(st.text(alphabet="ab1 é'", min_size=1, max_size=6), min_size=3, max_size=3),
                     min_size=2, max_size=6), data=st.data())
def test_a_quote_planted_in_an_unquoted_cell_is_found_at_its_row_and_cell(rows: list[list[str]],
                                                                          data: st.DataObject) -> None:
    """One quote planted inside (not at the start of) an unquoted cell, or after a quoted cell's closing quote,
    is reported at that record's line and cell, and nowhere else."""
    line = data.draw(st.integers(2, len(rows)))
    cell = data.draw(st.integers(0, 2))
    value = rows[line - 1][cell]
    if data.draw(st.booleans()):
        at = data.draw(st.integers(1, len(value)))
        planted = value[:at] + '"' + value[at:]
    else:
        planted = f'"{value}"' + data.draw(st.sampled_from(["x", " ", "'"]))
    lines = [",".join(row) for row in rows]
    record = rows[line - 1].copy()
    record[cell] = planted
    lines[line - 1] = ",".join(record)
    text = "\n".join(lines) + "\n"
    assert stray_quotes(text) == [(line, cell)]
    header = [name.strip() for name in rows[0]]  # the reader strips header names
    assert [c for c in _codes(text) if c[0] == "csv.stray-quote"] == [("csv.stray-quote", line, header[cell])]


def test_a_stray_quote_after_a_cell_that_spans_lines_has_the_record_line() -> None:
    """A quoted cell may span lines: the stray quote's row is the line its record starts on."""
    text = 'id,note,x\n1,"two\nlines",ok\n2,fine,a"b\n'
    assert stray_quotes(text) == [(4, 2)]
    assert ("csv.stray-quote", 4, "x") in _codes(text)


def test_the_finding_names_the_value_as_read() -> None:
    findings: list = []
    read_csv('id,note\n1,"a"b\n', "f.csv", findings)
    (hit,) = [f for f in findings if f.code == "csv.stray-quote"]
    assert hit.value == "ab" and hit.severity.value == "warning" and "'ab'" in hit.message


@given(before=st.lists(st.sampled_from(["a,b", '"c\nd",e', "f,g"]), max_size=5),
       ending=st.sampled_from(["\n", "\r\n", "\r"]))
def test_a_nul_character_is_one_error_at_its_line(before: list[str], ending: str) -> None:
    """Python's csv module (3.11+) reads a NUL into the cell: the reader reports it, once, at its line."""
    head = ending.join(["h1,h2", *before]) + ending
    text = head + "x\x00,y" + ending + "z\x00,w" + ending
    line = 1 + head.count("\n") + head.count("\r") - head.count("\r\n")
    parse = [c for c in _codes(text) if c[0] == "csv.parse"]
    assert parse == [("csv.parse", line, None)]


def test_a_quote_opened_on_the_last_line_is_reported() -> None:
    """A quote that opens a cell of the last line and never closes swallows no line (Python's reader gives
    the rest of the file as the cell, or an empty record it skips as blank): still an unterminated quote,
    at its row and column."""
    cases = {'id,note\n1,2\n"': (3, "id"), 'id,note\n1,2\n"3,4\n': (3, "id"), 'id,note\r\n1,"2\r\n': (2, "note"),
             'id,note\n1,2\n3,"4': (3, "note")}
    for text, (row, column) in cases.items():
        quotes = [c for c in _codes(text) if c[0] == "csv.unterminated-quote"]
        assert quotes == [("csv.unterminated-quote", row, column)], text
