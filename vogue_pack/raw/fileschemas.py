"""Run the declarative schemas of schemas/ (JSON Schema for JSON files, pandera for CSV tables)."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vogue_pack.report.findings import Finding, finding
from vogue_pack.resources import data_dir

# --- JSON files -----------------------------------------------------------------------------------


def _pointer(parts: Sequence[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class JsonSchema:
    """A compiled JSON Schema: a fast yes/no validator and a full one that lists every error."""

    name: str
    raw: dict[str, Any]
    fast: Callable[[Any], Any]
    full: Any  # jsonschema validator

    def check(self, document: Any, file: str) -> list[Finding]:
        """Every violation as a ``json.schema`` finding with its JSON Pointer."""
        import fastjsonschema

        try:
            self.fast(document)
            return []
        except fastjsonschema.JsonSchemaValueException:
            pass  # re-check with the full validator, which lists every error with its location
        findings = []
        required_done: set[str] = set()
        for error in sorted(self.full.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)),
                                                                             e.validator)):
            if error.validator in ("allOf", "if", "then"):
                continue
            pointer = _pointer(error.absolute_path)
            if error.validator == "additionalProperties" and error.validator_value is False \
                    and isinstance(error.instance, dict):
                # locate each unexpected key itself, not the object that holds it
                known = error.schema.get("properties", {})
                patterns = error.schema.get("patternProperties", {})
                for key in error.instance:
                    if key not in known and not any(re.search(p, key) for p in patterns):
                        findings.append(finding(
                            "json.schema", _short(f"unexpected key {key!r}; allowed keys: {', '.join(known)}"),
                            file=file, pointer=_pointer([*error.absolute_path, key]), value=key,
                            expected={"additionalProperties": False}))
                continue
            if error.validator == "required" and isinstance(error.instance, dict):
                # jsonschema yields one error per missing key without naming it: name each key once
                if pointer not in required_done:
                    required_done.add(pointer)
                    findings.extend(finding(
                        "json.schema", f"required key {key!r} is missing", file=file, pointer=pointer,
                        value=key, expected={"required": key})
                        for key in error.validator_value if key not in error.instance)
                continue
            expected: Any = error.validator_value if error.validator != "$ref" else None
            if error.validator in ("properties", "items", "$defs"):
                expected = None
            if error.validator == "enum" and isinstance(expected, list) and len(expected) > 8:
                expected = f"one of {len(expected)} codes of the turn's role"
            findings.append(finding(
                "json.schema", _short(error.message), file=file, pointer=pointer,
                value=error.instance if not isinstance(error.instance, dict | list) else None,
                expected={error.validator: expected} if expected is not None else error.validator,
            ))
        return findings


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@functools.cache
def json_schema(name: str) -> JsonSchema:
    """Load and compile ``schemas/<name>.schema.json``."""
    import fastjsonschema
    import jsonschema

    path = data_dir("schemas") / f"{name}.schema.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(raw)
    strict_int = validator_cls.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: type(value) is int)
    strict_cls = jsonschema.validators.extend(validator_cls, type_checker=strict_int)
    # fastjsonschema would try to fetch "$id"-relative references over the network: give it a copy
    # without "$id" so that "#/$defs/..." resolves locally (no network at run time).
    local = {k: v for k, v in raw.items() if k != "$id"}
    return JsonSchema(name=name, raw=raw, fast=fastjsonschema.compile(local, handlers={}),
                      full=strict_cls(raw))


def tag_codes() -> dict[str, frozenset[str]]:
    """Tag codes per role, from schemas/transcript.schema.json (``x-tag-codes``)."""
    spec = json_schema("transcript").raw["x-tag-codes"]
    return {"Seeker": frozenset(spec["Seeker"]), "Assistant": frozenset(spec["Assistant"])}


def tag_placeholder() -> str:
    return str(json_schema("transcript").raw["x-tag-codes"]["placeholder"])


# --- CSV tables (pandera) -------------------------------------------------------------------------

_CHECK_CODES = {
    "not_nullable": "schema.missing",
    "field_uniqueness": "schema.unique",
    "str_matches": "schema.pattern",
    "isin": "schema.value",
    "str_length": "schema.value",
    "in_range": "schema.range",
    "greater_than_or_equal_to": "schema.range",
    "less_than_or_equal_to": "schema.range",
    "greater_than": "schema.range",
    "less_than": "schema.range",
}


@dataclass
class CsvRows:
    """Parsed CSV cells, by column: the header, the line number of every data row, and for each column of
    the header its cells, one per data row, as an Arrow string array (a column repeated in the header
    holds its last occurrence's cells, as ``dict(zip(header, row))`` would)."""

    file: str
    header: list[str]
    lines: list[int]
    columns: dict[str, Any]  # column name -> pyarrow.StringArray, len(lines) cells
    _lists: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_records(cls, file: str, header: list[str], lines: list[int], records: Sequence[Sequence[str]]
                     ) -> CsvRows:
        """From data rows of exactly ``len(header)`` cells each."""
        import pyarrow as pa

        by_position = list(zip(*records, strict=True)) if records else [() for _ in header]
        return cls(file=file, header=list(header), lines=list(lines),
                   columns={name: pa.array(by_position[i], type=pa.string()) for i, name in enumerate(header)})

    @classmethod
    def from_dicts(cls, file: str, header: list[str], lines: list[int], cells: Sequence[dict[str, str]]
                   ) -> CsvRows:
        """From one dictionary of cells per data row (a header column a row lacks is a blank cell)."""
        return cls.from_records(file, header, lines, [[row.get(name, "") for name in header] for row in cells])

    def values(self, column: str) -> list[str] | None:
        """The cells of ``column`` as Python strings (converted once), or None when it is not in the header."""
        if column not in self.columns:
            return None
        if column not in self._lists:
            self._lists[column] = self.columns[column].to_pylist()
        return self._lists[column]

    def cell(self, index: int, column: str) -> str | None:
        """The cell of data row ``index`` (0-based) in ``column``, or None when it is not in the header."""
        array = self.columns.get(column)
        return None if array is None else array[index].as_py()

    def dicts(self) -> list[dict[str, str]]:
        """One dictionary of cells per data row (for tests and small files)."""
        columns = {name: self.values(name) or [] for name in self.columns}
        return [{name: cells[i] for name, cells in columns.items()} for i in range(len(self.lines))]


@functools.cache
def table_schema(name: str) -> Any:
    """The pandera DataFrameSchema of ``schemas/<name>.yaml`` (pandera imported here, lazily)."""
    from pandera.io.pandas_io import from_yaml

    return from_yaml((data_dir("schemas") / f"{name}.yaml").read_text(encoding="utf-8"))


_INT_PATTERN = r"^\s*[+-]?\d{1,18}\s*$"
_FLOAT_PATTERN = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


def _parse_column(rows: CsvRows, column: str, dtype: str) -> tuple[list[Any], list[int]]:
    """Vectorised cell parsing: (values with None for blank or bad cells, indices of bad cells)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (dtype.startswith("Int") or dtype.startswith("Float")):
        return [None if not v.strip() else v for v in rows.values(column) or []], []
    array = rows.columns[column]
    trimmed = pc.utf8_trim_whitespace(array)
    blank = pc.equal(trimmed, "")
    pattern = _INT_PATTERN if dtype.startswith("Int") else _FLOAT_PATTERN
    good = pc.match_substring_regex(trimmed, pattern)
    valid = pc.and_(good, pc.invert(blank))
    target = pa.int64() if dtype.startswith("Int") else pa.float64()
    # Arrow's integer cast refuses a leading '+', which the pattern accepts
    source = pc.replace_substring_regex(trimmed, r"^\+", "") if target == pa.int64() else trimmed
    parsed = pc.cast(pc.if_else(valid, source, pa.scalar(None, pa.string())), target)
    bad_mask = pc.and_(pc.invert(good), pc.invert(blank))
    if target == pa.int64():
        # ids and ratings are stored in 32-bit (or narrower) columns: larger integers are not usable
        too_large = pc.fill_null(pc.or_(pc.less(parsed, -(2**31)), pc.greater(parsed, 2**31 - 1)), False)
        bad_mask = pc.or_(bad_mask, too_large)
        parsed = pc.if_else(too_large, pa.scalar(None, target), parsed)
    if target == pa.float64():
        non_finite = pc.fill_null(pc.invert(pc.is_finite(parsed)), False)
        bad_mask = pc.or_(bad_mask, non_finite)
        parsed = pc.if_else(non_finite, pa.scalar(None, target), parsed)
    return parsed.to_pylist(), pc.indices_nonzero(bad_mask).to_pylist()


def check_csv(name: str, rows: CsvRows, engine: str = "native") -> tuple[dict[str, list[Any]], list[Finding]]:
    """Type every cell by ``schemas/<name>.yaml`` and run its checks lazily.

    Returns the typed columns (unparseable cells become None) and the findings, each with the CSV
    line number and column name. ``engine="native"`` (the default) evaluates the schema's checks in plain
    Python with pandera's semantics (see :func:`native_failures`) and hands any schema it does not fully
    understand to pandera; ``engine="pandera"`` always runs pandera (the reference the native engine is
    tested against). Both give the same findings.
    """
    findings: list[Finding] = []
    typed: dict[str, list[Any]] = {}
    bad_cells: set[tuple[int, str]] = set()
    specs = table_spec(name)
    dtypes = {c: str(spec["dtype"]) for c in rows.header if (spec := _column_spec_of(specs, c)) is not None}
    for column, dtype in dtypes.items():
        values, bad = _parse_column(rows, column, dtype)
        kind = "a 32-bit integer" if dtype.startswith("Int") else "a finite number"
        for index in bad:
            line = rows.lines[index]
            bad_cells.add((line, column))
            cell = rows.cell(index, column)
            findings.append(finding(
                "schema.type", f"{column} must be {kind}, found {cell!r}",
                file=rows.file, row=line, column=column, value=cell, expected=kind))
        typed[column] = values
    if not rows.lines:
        return typed, findings
    failures = native_failures(name, typed, rows.lines) if engine == "native" else None
    if failures is None:
        failures = pandera_failures(name, typed, dtypes, rows.lines)
    index_of = {line: i for i, line in enumerate(rows.lines)}
    for check, column, line in failures:
        if (line, column) in bad_cells:
            continue
        check_name = check.split("(")[0]
        code = _CHECK_CODES.get(check_name, "schema.check")
        value = rows.cell(index_of[line], column) if code != "schema.missing" else None
        findings.append(finding(
            code, _check_message(column, check, value), file=rows.file, row=line, column=column,
            value=value, expected=check))
    return typed, findings


@functools.cache
def table_spec(name: str) -> dict[str, dict[str, Any]]:
    """The columns of ``schemas/<name>.yaml`` as written (key -> dtype, nullable, unique, regex, checks)."""
    return dict(_table_document(name)["columns"])


def _column_spec_of(specs: dict[str, dict[str, Any]], column: str) -> dict[str, Any] | None:
    """The spec that types ``column``: its own key, or the first regex key that matches it whole."""
    for key, spec in specs.items():
        if spec.get("regex"):
            if re.fullmatch(key, column):
                return spec
        elif key == column:
            return spec
    return None


_NATIVE_TOP = {"schema_type", "version", "columns"}
_NATIVE_COLUMN = {"dtype", "nullable", "unique", "regex", "checks"}
_NATIVE_DTYPES = {"str", "Int64", "Float64"}


def native_failures(name: str, typed: dict[str, list[Any]], lines: list[int]) -> list[tuple[str, str, int]] | None:
    """Every failed check as ``(check, column, line)``, like pandera's lazy failure cases; None when the
    schema uses anything this engine does not implement (then pandera runs).

    Pandera's semantics, reproduced: a regex column key applies to every column it matches from the start
    (``re.match``); a column no key names is not checked; ``nullable: false`` fails each blank or
    unparseable cell (``not_nullable``); ``unique`` fails every row whose value occurs more than once,
    blanks left out (``field_uniqueness``); the checks skip blanks. ``tests/test_csv_engine.py`` compares
    the two engines on thousands of generated tables.
    """
    document = _table_document(name)
    if set(document) - _NATIVE_TOP:
        return None
    specs = table_spec(name)
    owners: dict[str, list[str]] = {}
    for key, spec in specs.items():
        if not isinstance(spec, dict) or set(spec) - _NATIVE_COLUMN or spec.get("dtype") not in _NATIVE_DTYPES:
            return None
        matched = [c for c in typed if (re.match(key, c) if spec.get("regex") else c == key)]
        for column in matched:
            owners.setdefault(column, []).append(key)
    if any(len(keys) > 1 for keys in owners.values()):
        return None  # one column under two specs: pandera's handling (dtype clashes) is not reproduced
    failures: list[tuple[str, str, int]] = []
    for column, (key,) in owners.items():
        spec = specs[key]
        values = typed[column]
        tests = [_native_test(check, argument) for check, argument in (spec.get("checks") or {}).items()]
        if any(test is None for test in tests):
            return None
        if not spec.get("nullable", False) and None in values:
            failures.extend(("not_nullable", column, line) for line, value in zip(lines, values, strict=True)
                            if value is None)
        if spec.get("unique", False):
            counts: dict[Any, int] = {}
            for value in values:
                if value is not None:
                    counts[value] = counts.get(value, 0) + 1
            failures.extend(("field_uniqueness", column, line) for line, value in zip(lines, values, strict=True)
                            if value is not None and counts[value] > 1)
        for test in tests:
            assert test is not None
            text, failing = test
            failures.extend((text, column, lines[i]) for i in failing(values))
    return failures


@functools.cache
def _table_document(name: str) -> dict[str, Any]:
    """``schemas/<name>.yaml`` read with PyYAML alone (pandera reads the same file into its schema)."""
    import yaml

    return dict(yaml.safe_load((data_dir("schemas") / f"{name}.yaml").read_text(encoding="utf-8")))


def _native_test(check: str, argument: Any) -> tuple[str, Callable[[list[Any]], list[int]]] | None:
    """pandera's text for the check and a function giving the positions of a column's non-blank values
    that fail it (one comprehension per column, no call per cell); None when not implemented."""
    if check == "isin" and isinstance(argument, list):
        allowed = frozenset(argument)
        return f"isin({argument})", lambda vs: [i for i, v in enumerate(vs) if v is not None and v not in allowed]
    if check == "str_matches" and isinstance(argument, str):
        match = re.compile(argument).match
        return (f"str_matches('{argument}')",
                lambda vs: [i for i, v in enumerate(vs) if v is not None and match(v) is None])
    if check == "greater_than_or_equal_to" and _is_number(argument):
        return (f"greater_than_or_equal_to({argument})",
                lambda vs: [i for i, v in enumerate(vs) if v is not None and not v >= argument])
    if check == "in_range" and isinstance(argument, dict) and set(argument) == {"min_value", "max_value"} \
            and all(_is_number(a) for a in argument.values()):
        low, high = argument["min_value"], argument["max_value"]
        return (f"in_range({low}, {high})",
                lambda vs: [i for i, v in enumerate(vs) if v is not None and not low <= v <= high])
    if check == "str_length" and isinstance(argument, dict) and set(argument) <= {"min_value", "max_value"} \
            and all(a is None or (_is_number(a) and isinstance(a, int)) for a in argument.values()):
        low, high = argument.get("min_value"), argument.get("max_value")
        if low is None:
            return None
        return (f"str_length({low}, {high})",
                lambda vs: [i for i, v in enumerate(vs) if v is not None
                            and not (len(v) >= low and (high is None or len(v) <= high))])
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def pandera_failures(name: str, typed: dict[str, list[Any]], dtypes: dict[str, str],
                     lines: list[int]) -> list[tuple[str, str, int]]:
    """The failure cases of pandera's lazy validation of the typed columns, as ``(check, column, line)``
    (dtype failures left out: the cells were typed before, and unparseable ones are findings already)."""
    import pandas as pd
    import pandera.errors

    schema = table_schema(name)
    present = list(dtypes)
    frame = pd.DataFrame(
        {c: pd.array(typed[c], dtype=_pandas_dtype(dtypes[c])) for c in present},
        index=pd.Index(lines, name="line"),
    )
    missing = [k for k, spec in schema.columns.items() if not spec.regex and k not in present]
    active = schema.remove_columns(missing) if missing else schema
    failures: list[tuple[str, str, int]] = []
    try:
        active.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        for record in exc.failure_cases.to_dict("records"):
            check = str(record.get("check") or "")
            column = record.get("column")
            line = record.get("index")
            if column is None or line is None or (isinstance(line, float) and math.isnan(line)):
                continue
            if check.split("(")[0] in ("dtype", "coerce_dtype"):
                continue
            failures.append((check, str(column), int(line)))
    return failures


def _pandas_dtype(dtype: str) -> Any:
    if dtype.startswith("Int"):
        return "Int64"
    if dtype.startswith("Float"):
        return "Float64"
    return "str"


def _check_message(column: str, check: str, value: Any) -> str:
    """A sentence a person can act on, from pandera's check description (e.g. ``isin([1, 2])``)."""
    if check == "not_nullable":
        return f"{column} is blank; a value is required"
    if check == "field_uniqueness":
        return f"{column} {value!r} appears in more than one row; it must be unique"
    name, _, args = check.partition("(")
    args = args.rstrip(")")
    templates = {
        "isin": "{column} is {value!r}; allowed values: {args}",
        "str_matches": "{column} {value!r} does not match the pattern {args}",
        "in_range": "{column} is {value!r}; it must lie in [{args}]",
        "greater_than_or_equal_to": "{column} is {value!r}; it must be >= {args}",
        "less_than_or_equal_to": "{column} is {value!r}; it must be <= {args}",
        "str_length": "{column} {value!r} has the wrong length ({args})",
    }
    template = templates.get(name, "{column} {value!r} fails {check}")
    return template.format(column=column, value=value, args=args.strip("[]"), check=check)
