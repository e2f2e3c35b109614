"""Read raw files once, safely: size limits, UTF-8 and BOM handling, strict JSON, tolerant CSV."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vogue_pack.raw.fileschemas import CsvRows
from vogue_pack.raw.limits import MAX_TEXT_BYTES, MAX_VALUES  # the two budgets (why: raw/limits.py)
from vogue_pack.raw.tree import RawFile, RawTree
from vogue_pack.report.findings import Finding, finding

MAX_JSON_DEPTH = 64  # a VOGUE file nests 6 levels; deeper is damage or an attack on the recursive checks
_BOM = b"\xef\xbb\xbf"
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class ReadLimits:
    """How much of one raw text file is read and parsed (``--max-file-mb`` and ``--max-values``)."""

    bytes: int = MAX_TEXT_BYTES  # larger text files (JSON, CSV, survey texts) are not read at all
    values: int = MAX_VALUES  # JSON values or CSV cells of one file; more is file.too-large, never parsed


class _Failed:
    """Sentinel: the file could not be parsed (a finding says why)."""


FAILED = _Failed()


def read_text(tree: RawTree, entry: RawFile, findings: list[Finding],
              limits: ReadLimits = ReadLimits()) -> str | None:
    """The file's text, or None when it cannot be read at all (findings say why).

    A BOM is a warning and is dropped; invalid UTF-8 is an error, after which the text is decoded
    with replacement characters so the rest of the file is still checked.
    """
    if entry.size > limits.bytes:
        findings.append(finding("file.too-large", f"{entry.size:,} bytes; not read (limit {limits.bytes:,} bytes "
                                "per text file, --max-file-mb)", file=entry.path, value=entry.size,
                                expected=f"<= {limits.bytes} bytes"))
        return None
    try:
        data = tree.absolute(entry.path).read_bytes()
    except OSError as exc:
        findings.append(finding("tree.unreadable", f"cannot read: {exc.strerror}", file=entry.path))
        return None
    return decode_text(data, entry.path, findings)


def decode_text(data: bytes, file: str, findings: list[Finding]) -> str | None:
    """The text of a file's bytes (see :func:`read_text`): None when empty or blank; a BOM is a warning and
    dropped; invalid UTF-8 is an error, after which the text is decoded with replacement characters."""
    if not data.strip():
        findings.append(finding("file.empty", "the file is empty" if not data else "the file holds only "
                                "whitespace", file=file, value=len(data)))
        return None
    if data.startswith(_BOM):
        findings.append(finding("file.bom", "UTF-8 byte-order mark at the start; remove it", file=file))
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        findings.append(finding(
            "file.encoding", f"invalid UTF-8 byte {data[exc.start:exc.start + 1]!r} at byte {exc.start} "
            f"(line {line}); re-save the file as UTF-8", file=file, row=line,
            value=data[max(0, exc.start - 20):exc.start + 20].decode("utf-8", "replace"), expected="UTF-8"))
        return data.decode("utf-8", errors="replace")


class _DupDict(dict[str, Any]):
    """A JSON object that had repeated keys (the names are kept for the finding)."""

    duplicates: list[str]


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _non_finite_hooks(flags: dict[str, bool]) -> tuple[Callable[[str], float], Callable[[str], float]]:
    """The parse_constant and parse_float hooks of both JSON parses: each sets flags["nonfinite"] on NaN,
    Infinity or a float literal that overflows."""

    def on_constant(name: str) -> float:
        flags["nonfinite"] = True
        return float(name)

    def on_float(text_value: str) -> float:
        number = float(text_value)
        if not math.isfinite(number):
            flags["nonfinite"] = True
        return number

    return on_constant, on_float


def parse_json(text: str, file: str, findings: list[Finding], max_values: int = MAX_VALUES) -> Any:
    """Parse JSON strictly: duplicate keys and NaN/Infinity/overflow are findings with pointers.

    Returns FAILED when the text is not JSON at all, or holds more than ``max_values`` values (counted
    before parsing, so a hostile file never gets to build its objects).
    """
    return parse_json_certified(text, file, findings, max_values)[0]


def parse_json_certified(text: str, file: str, findings: list[Finding], max_values: int = MAX_VALUES,
                         certify: Callable[[Any], int | None] | None = None) -> tuple[Any, bool]:
    """:func:`parse_json`, and whether ``certify`` vouched for the document returned.

    ``certify(document)`` returns the number of object keys of a document whose shape it certifies
    (e.g. ``transcript_shape.certify``: it satisfies a schema, so it nests within MAX_JSON_DEPTH), or None;
    its count then stands in for the key walk of the duplicate-key proof. The flag is True only for a
    document of the fast path that ``certify`` accepted and that held no non-finite number.
    """
    values = count_json_values(text, max_values)
    if values > max_values:
        findings.append(finding("file.too-large", f"about {values:,} JSON values; not parsed (limit "
                                f"{max_values:,} values per file, --max-values)", file=file, value=values,
                                expected=f"<= {max_values} values"))
        return FAILED, False
    flags = {"dup": False, "nonfinite": False}

    on_constant, on_float = _non_finite_hooks(flags)

    # Fast path: the C parser without a per-object hook. Duplicate keys are ruled out by counting: every
    # key of the text ends in '"' + optional blanks + ':', so those occurrences bound the keys of the text
    # from above, and a parsed document holding as many keys had none merged away. Anything else (a
    # possible duplicate, too deep, not JSON, a huge integer) takes the full path below, unchanged.
    try:
        document = json.loads(text, parse_constant=on_constant, parse_float=on_float)
    except (ValueError, RecursionError):
        document = FAILED
    if document is not FAILED:
        keys = certify(document) if certify is not None else None
        certified = keys is not None
        if keys is None:
            keys = _keys_within_depth(document)
        if keys is not None and keys == text.count('":') + len(_QUOTE_BLANK_COLON.findall(text)):
            if flags["nonfinite"]:
                _report_json_anomalies(document, "", file, findings)
            return document, certified and not flags["nonfinite"]
    return _parse_json_hooked(text, file, findings), False


_QUOTE_BLANK_COLON = re.compile(r'"[ \t\r\n]+:')


def _keys_within_depth(document: Any) -> int | None:
    """The number of keys of all objects of ``document``; None when it nests deeper than MAX_JSON_DEPTH.
    One walk over the containers, no pointers built (``_too_deep`` names the place when it matters)."""
    keys = 0
    stack: list[tuple[Any, int]] = [(document, 1)] if type(document) is dict or type(document) is list else []
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if depth > MAX_JSON_DEPTH:
            return None
        if type(value) is dict:
            keys += len(value)
            children = value.values()
        else:
            children = value
        depth += 1
        for child in children:
            if type(child) is dict or type(child) is list:
                push((child, depth))
    return keys


def _parse_json_hooked(text: str, file: str, findings: list[Finding]) -> Any:
    """The full parse: every object through a hook that keeps repeated keys for the finding."""
    flags = {"dup": False, "nonfinite": False}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            flags["dup"] = True
            dup = _DupDict(obj)
            seen: set[str] = set()
            repeated: set[str] = set()
            for key, _ in pairs:
                (repeated if key in seen else seen).add(key)
            dup.duplicates = sorted(repeated)
            return dup
        return obj

    on_constant, on_float = _non_finite_hooks(flags)

    def on_long_int(text_value: str) -> int | float:
        if len(text_value) > 4000:  # beyond Python's int-literal limit: an overflowing literal
            flags["nonfinite"] = True
            return -math.inf if text_value.startswith("-") else math.inf
        return int(text_value)

    try:
        try:
            document = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=on_constant,
                                  parse_float=on_float)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer literal of more than 4,300 digits: parse again, slower, with a hook
            flags["dup"] = flags["nonfinite"] = False
            document = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=on_constant,
                                  parse_float=on_float, parse_int=on_long_int)
    except json.JSONDecodeError as exc:
        findings.append(finding("json.parse", f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                file=file, row=exc.lineno, value=exc.msg))
        return FAILED
    except RecursionError:  # deeper than the interpreter's stack: far beyond the limit
        findings.append(finding("json.depth", f"arrays and objects are nested deeper than Python can parse; "
                                f"the limit is {MAX_JSON_DEPTH} levels; not checked further", file=file,
                                expected=f"<= {MAX_JSON_DEPTH} levels"))
        return FAILED
    too_deep = _too_deep(document)
    if too_deep is not None:
        findings.append(finding("json.depth", f"arrays and objects are nested more than {MAX_JSON_DEPTH} levels "
                                "deep; not checked further", file=file, pointer=too_deep,
                                expected=f"<= {MAX_JSON_DEPTH} levels"))
        return FAILED
    if flags["dup"] or flags["nonfinite"]:
        _report_json_anomalies(document, "", file, findings)
    return document


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: linear, never backtracks


def count_json_values(text: str, at_most: int | None = None) -> int:
    """An upper bound of the number of values in a JSON text, without parsing it: the root, plus one
    value per comma and one more per non-empty array or object (a container of n values holds n - 1
    commas).

    Counting commas and brackets anywhere is a cheap bound (no allocation); only when it exceeds
    ``at_most`` are the ones inside strings taken out, one string at a time, so memory stays flat.
    """
    def structural(start: int = 0, end: int | None = None) -> int:
        end = len(text) if end is None else end
        return (text.count(",", start, end) + text.count("[", start, end) + text.count("{", start, end)
                - text.count("[]", start, end) - text.count("{}", start, end))

    rough = 1 + structural()
    if at_most is None or rough <= at_most or '"' not in text:
        return rough
    inside = sum(structural(*match.span()) for match in _JSON_STRING.finditer(text))
    return rough - inside


def _too_deep(document: Any) -> str | None:
    """The JSON Pointer of the first container nested deeper than MAX_JSON_DEPTH, or None.

    Iterative, so that no later recursive step (the schema validators, the anomaly walk) ever meets a
    document deep enough to exhaust the stack."""
    stack: list[tuple[Any, int, str]] = [(document, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return where or "/"
        if isinstance(value, dict):
            stack.extend((v, depth + 1, f"{where}/{_escape(str(k))}") for k, v in value.items()
                         if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{where}/{i}") for i, v in enumerate(value) if isinstance(v, dict | list))
    return None


def _report_json_anomalies(node: Any, pointer: str, file: str, findings: list[Finding]) -> None:
    stack: list[tuple[Any, str]] = [(node, pointer)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _DupDict):
            for key in value.duplicates:
                findings.append(finding(
                    "json.duplicate-key", f"key {key!r} appears more than once in this object; only the last "
                    "value was kept", file=file, pointer=f"{where}/{_escape(key)}", value=key))
        if isinstance(value, dict):
            stack.extend((v, f"{where}/{_escape(str(k))}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            findings.append(finding("json.non-finite", f"number {value!r} is not finite (NaN, Infinity or an "
                                    "overflowing literal such as 1e309)", file=file, pointer=where or "/",
                                    value=repr(value), expected="a finite number"))


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # a line with its ending, as newline="" reads it


# A CSV text every line of which is plain RFC 4180 fields: unquoted (no quote, comma or line break), or quoted
# with doubled quotes inside and no line break. Possessive quantifiers: one pass, no backtracking.
_PLAIN_FIELD = r'(?:[^",\r\n\x00]++|"(?:[^"\r\n\x00]++|"")*+")?+'
# Every line holds a comma (two cells or more): a blank line or a one-cell line is never plain.
_PLAIN_LINE = rf"{_PLAIN_FIELD}(?:,{_PLAIN_FIELD})++"
_PLAIN_CSV = re.compile(rf"(?:{_PLAIN_LINE}(?:\r\n|\r|\n))*+(?:{_PLAIN_LINE})?+")


def read_csv(text: str, file: str, findings: list[Finding], max_values: int = MAX_VALUES, *,
             fast: bool = True) -> CsvRows | None:
    """Parse CSV text into the header and the cells of every data row by column (line numbers: header = 1).

    Rows with the wrong number of cells are findings and are skipped; blank lines are skipped.
    Returns None when the file has no header, cannot be parsed at all, or holds more than ``max_values``
    cells (counted while reading: parsing stops there).

    A file whose every line is plain (see :func:`_read_plain_csv`) is parsed by Arrow's C++ reader, which
    gives the same cells as Python's ``csv`` module on such text; any other file, and ``fast=False``, goes
    through Python's ``csv`` module, which reports each damaged row.
    """
    rows = _read_plain_csv(text, file, max_values) if fast else None
    if rows is not None:
        _header_findings(rows.header, file, findings)
        return rows
    # lines are cut lazily from the text: io.StringIO would copy it whole (at up to 4 bytes a character)
    reader = csv.reader(match.group() for match in _LINE.finditer(text))
    header: list[str] | None = None
    lines: list[int] = []
    records: list[list[str]] = []
    start = 1
    odd_quotes = text.count('"') % 2 == 1  # a quote that opens and never closes leaves an odd count
    last: tuple[int, list[str]] | None = None  # the last record: its first line and cells
    seen_cells = 0
    try:
        for record in reader:
            line = start
            start = reader.line_num + 1
            seen_cells += len(record)
            if seen_cells > max_values:
                findings.append(finding(
                    "file.too-large", f"more than {max_values:,} cells (at line {line}); not parsed (limit "
                    f"{max_values:,} values per file, --max-values)", file=file, row=line, value=seen_cells,
                    expected=f"<= {max_values} values"))
                return None
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            last = (line, record)
            if header is None:
                header = [h.strip() for h in record]
                continue
            if len(record) != len(header):
                if reader.line_num > line and _quote_finding(record, header, line, reader.line_num, file,
                                                             findings):
                    continue  # a quoted cell swallowed the lines that follow: not a mere cell count
                findings.append(finding(
                    "csv.row-length", f"row has {len(record)} cells but the header has {len(header)}; "
                    "the row was not read", file=file, row=line, value=len(record), expected=len(header)))
                continue
            lines.append(line)
            records.append(record)
        if odd_quotes and last is not None and header is not None and last[0] in lines \
                and _quote_finding(last[1], header, last[0], reader.line_num, file, findings):
            # the cell count happened to fit, but the file ended inside a quoted cell: the row is not data
            index = lines.index(last[0])
            del lines[index], records[index]
    except csv.Error as exc:
        findings.append(finding("csv.parse", f"CSV cannot be parsed: {exc} (line {reader.line_num})",
                                file=file, row=reader.line_num, value=str(exc)))
        if header is None:
            return None
    if header is None:
        findings.append(finding("csv.header", "no header row", file=file))
        return None
    _header_findings(header, file, findings)
    _nul_finding(text, file, findings)
    if '"' in text:
        _stray_quote_findings(text, header, dict(zip(lines, records, strict=True)), file, findings)
    return CsvRows.from_records(file, header, lines, records)


def _nul_finding(text: str, file: str, findings: list[Finding]) -> None:
    """A NUL character anywhere in the text (Python's ``csv`` module reads it into the cell since 3.11): one
    finding for the file, at the first one's line."""
    at = text.find("\x00")
    if at < 0:
        return
    line = 1 + sum(1 for _ in _BREAK.finditer(text, 0, at))
    findings.append(finding(
        "csv.parse", f"NUL character at line {line} ({text.count(chr(0)):,} in the file): a text file holds none; "
        "the file is damaged (a binary or truncated copy?): restore it from the source", file=file, row=line,
        value="\\x00"))


# RFC 4180 cells, as Python's csv module (non-strict) splits them: a quoted cell (a quote inside written
# twice; line breaks allowed) or an unquoted one. After a stray quote the reader takes the rest of the cell
# literally, quotes included (_REST). Possessive quantifiers: no backtracking.
_QUOTED_CELL = re.compile(r'"(?:[^"]++|"")*+"')
_UNQUOTED_CELL = re.compile(r'[^",\r\n]*+')
_REST_OF_CELL = re.compile(r'[^,\r\n]*+')
_BREAK = re.compile(r"\r\n?|\n")


def stray_quotes(text: str) -> list[tuple[int, int]]:
    """``(line, cell)`` of every cell holding a quote that neither opens nor closes a quoted cell: a quote in an
    unquoted cell (``5'6"``) or text after a closing quote (``"a"b``). ``line`` is the physical line the record
    starts on (the header is line 1), ``cell`` the cell's index in it. Python's ``csv`` module reads such a
    cell without complaint (``"a"b`` as ``ab``, ``5'6"`` as is); other readers split it differently. Scanning
    stops at a quote that never closes (see :func:`_scan_quotes`)."""
    return _scan_quotes(text)[0]


def _scan_quotes(text: str) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """The stray quotes (:func:`stray_quotes`), and the ``(line, cell)`` of a quote that opens a cell and
    never closes, if any (everything after it is inside that cell)."""
    found: list[tuple[int, int]] = []
    pos, size, line, record, cell = 0, len(text), 1, 1, 0
    while pos < size:
        if text[pos] == '"':
            quoted = _QUOTED_CELL.match(text, pos)
            if quoted is None:
                return found, (record, cell)
            end = quoted.end()
            line += sum(1 for _ in _BREAK.finditer(text, pos, end))
        else:
            end = _UNQUOTED_CELL.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
        if end < size and text[end] not in ",\r\n":
            found.append((record, cell))
            end = _REST_OF_CELL.match(text, end).end()  # type: ignore[union-attr]
        if end >= size:
            break
        if text[end] == ",":
            pos, cell = end + 1, cell + 1
        else:
            pos = _BREAK.match(text, end).end()  # type: ignore[union-attr]  # text[end] is \r or \n
            line += 1
            record, cell = line, 0
    return found, None


def _stray_quote_findings(text: str, header: list[str], rows: dict[int, list[str]], file: str,
                          findings: list[Finding]) -> None:
    """A finding per stray quote; and one for a quote that never closes when no finding covers it yet (a
    quote opened on the last line swallows no line, so neither the cell count nor a cell spanning lines
    shows it)."""
    strays, unclosed = _scan_quotes(text)
    for line, cell in strays:
        column = header[cell] if cell < len(header) else None
        record = rows.get(line)  # None: the row was not read (its own finding says why)
        value = record[cell][:60] if record is not None and cell < len(record) else None
        read = f" as {value!r}" if value is not None else ""
        findings.append(finding(  # (the row and column are the finding's location: not repeated here)
            "csv.stray-quote", "a quote character that neither opens nor closes a quoted cell; read "
            f"literally{read}; other CSV readers may split the cell differently: quote the whole cell and "
            'write a quote inside it twice ("")', file=file, row=line, column=column, value=value))
    if unclosed is None:
        return
    line, cell = unclosed
    if any(f.file == file and f.code == "csv.unterminated-quote" for f in findings):
        return
    findings.append(_unterminated(file, line, header[cell] if cell < len(header) else None,
                                  "is never closed: the rest of the file is inside that cell"))


def _header_findings(header: list[str], file: str, findings: list[Finding]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            findings.append(finding("csv.header", f"column {name!r} appears twice in the header", file=file,
                                    row=1, column=name, value=name))
        seen.add(name)


def _read_plain_csv(text: str, file: str, max_values: int) -> CsvRows | None:
    """The rows of a plain CSV text, parsed by Arrow; None whenever the text is not certainly plain.

    Plain: every line is two or more RFC 4180 fields (:data:`_PLAIN_CSV`: no line break inside a quoted
    cell, no stray quote, no NUL), and every line has as many cells as the header, so no line is blank and
    none is skipped (data row ``i`` is line ``i + 2``). On such text Python's ``csv``
    module and Arrow's reader split the same cells, which tests/test_csv_reader.py checks on generated
    texts; anything else (a ragged row, a quote left open, a blank line, too many cells) is left to the
    Python reader and its findings.
    """
    if _PLAIN_CSV.fullmatch(text) is None:
        return None
    first = _LINE.match(text)
    if first is None:
        return None
    header = [h.strip() for h in next(csv.reader([first.group()]), [])]
    width = len(header)
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    physical = breaks + (0 if text.endswith(("\n", "\r")) else 1)
    if physical * width > max_values:  # every line holds a comma (the regex), so width >= 2
        return None
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        data = text.encode("utf-8")
        names = [f"c{i}" for i in range(width)]
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=names, use_threads=False),
            parse_options=pcsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                                            newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={name: pa.string() for name in names},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (UnicodeEncodeError, pa.ArrowInvalid):  # e.g. a row with more or fewer cells: the Python reader says which
        return None
    if table.num_rows != physical - 1 or table.num_columns != width:
        return None
    columns = {name: table.column(i).combine_chunks() for i, name in enumerate(header)}
    return CsvRows(file=file, header=header, lines=list(range(2, table.num_rows + 2)), columns=columns)


def _quote_finding(record: list[str], header: list[str], line: int, end: int, file: str,
                   findings: list[Finding]) -> bool:
    """Report a quoted cell that runs over line ends to ``end`` (the quote opened on ``line`` was never
    closed where the row should end). False when no cell of ``record`` spans lines."""
    for position, cell in enumerate(record):
        if "\n" in cell or "\r" in cell:
            findings.append(_unterminated(
                file, line, header[position] if position < len(header) else None,
                f"is not closed: the quoted cell runs over {end - line + 1} lines, to line {end}, and swallows "
                "the rows in between", value=cell[:60]))
            return True
    return False


def _unterminated(file: str, line: int, column: str | None, what: str, value: str | None = None) -> Finding:
    """The csv.unterminated-quote finding of a quote opened in row ``line`` (``what``: how it fails to close)."""
    return finding("csv.unterminated-quote", f"a quote opened in row {line}"
                   f"{f' (column {column})' if column else ''} {what}; close the quote (a quote inside a cell "
                   "is written twice)", file=file, row=line, column=column, value=value, expected='a closing "')


def parse_int_list(text: str | None) -> list[int] | None:
    """Parse a list literal like ``"[3, 5, -1]"``; None when it is not a JSON list of integers."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # ValueError: JSONDecodeError, or an int literal over 4,300 digits
        return None
    if not isinstance(value, list) or not set(map(type, value)) <= {int}:
        return None
    return value
