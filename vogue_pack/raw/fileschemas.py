"""Run the declarative schemas of schemas/ (JSON Schema for JSON files, pandera for CSV tables)."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    """Parsed CSV cells: the header, and per data row its line number and cells by column name."""

    file: str
    header: list[str]
    lines: list[int]
    cells: list[dict[str, str]]


@functools.cache
def table_schema(name: str) -> Any:
    """The pandera DataFrameSchema of ``schemas/<name>.yaml`` (pandera imported here, lazily)."""
    from pandera.io.pandas_io import from_yaml

    return from_yaml((data_dir("schemas") / f"{name}.yaml").read_text(encoding="utf-8"))


def _column_spec(schema: Any, column: str) -> Any:
    for key, spec in schema.columns.items():
        if spec.regex:
            if re.fullmatch(key, column):
                return spec
        elif key == column:
            return spec
    return None


_INT_PATTERN = r"^\s*[+-]?\d{1,18}\s*$"
_FLOAT_PATTERN = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


def _parse_column(raw: list[str], dtype: str) -> tuple[list[Any], list[int]]:
    """Vectorised cell parsing: (values with None for blank or bad cells, indices of bad cells)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (dtype.startswith("Int") or dtype.startswith("Float")):
        return [None if (v is None or not v.strip()) else v for v in raw], []
    array = pa.array(raw, type=pa.string())
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
    bad = [i for i, flag in enumerate(bad_mask.to_pylist()) if flag]
    return parsed.to_pylist(), bad


def check_csv(name: str, rows: CsvRows) -> tuple[dict[str, list[Any]], list[Finding]]:
    """Type every cell by ``schemas/<name>.yaml`` and run its checks lazily.

    Returns the typed columns (unparseable cells become None) and the findings, each with the CSV
    line number and column name.
    """
    import pandas as pd
    import pandera.errors

    schema = table_schema(name)
    findings: list[Finding] = []
    typed: dict[str, list[Any]] = {}
    bad_cells: set[tuple[int, str]] = set()
    dtypes = {c: str(spec.dtype) for c in rows.header if (spec := _column_spec(schema, c)) is not None}
    present = list(dtypes)
    for column, dtype in dtypes.items():
        raw = [cells.get(column, "") for cells in rows.cells]
        values, bad = _parse_column(raw, dtype)
        kind = "a 32-bit integer" if dtype.startswith("Int") else "a finite number"
        for index in bad:
            line = rows.lines[index]
            bad_cells.add((line, column))
            findings.append(finding(
                "schema.type", f"{column} must be {kind}, found {raw[index]!r}",
                file=rows.file, row=line, column=column, value=raw[index], expected=kind))
        typed[column] = values
    if not rows.lines:
        return typed, findings
    frame = pd.DataFrame(
        {c: pd.array(typed[c], dtype=_pandas_dtype(dtypes[c])) for c in present},
        index=pd.Index(rows.lines, name="line"),
    )
    missing = [k for k, spec in schema.columns.items() if not spec.regex and k not in present]
    active = schema.remove_columns(missing) if missing else schema
    index_of = {line: i for i, line in enumerate(rows.lines)}
    try:
        active.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for record in cases.to_dict("records"):
            check = str(record.get("check") or "")
            column = record.get("column")
            line = record.get("index")
            if column is None or line is None or (isinstance(line, float) and math.isnan(line)):
                continue
            line = int(line)
            if (line, column) in bad_cells:
                continue
            check_name = check.split("(")[0]
            if check_name in ("dtype", "coerce_dtype"):
                continue
            code = _CHECK_CODES.get(check_name, "schema.check")
            value = rows.cells[index_of[line]].get(column) if code != "schema.missing" else None
            findings.append(finding(
                code, _check_message(column, check, value), file=rows.file, row=line, column=column,
                value=value, expected=check))
    return typed, findings


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
