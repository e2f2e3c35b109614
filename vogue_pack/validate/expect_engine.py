"""The native expectation engine: Great Expectations 1.x suites evaluated over Arrow tables, without GX.

Great Expectations stays the reference engine (``run_expectations(..., engine="gx")``); this module is its
fast path. It evaluates the expectation types and keyword arguments it knows with GX's own semantics, as
GX's pandas execution engine computes them on ``table.to_pandas()``:

- pandas turns an integer column that holds a null into float64, so its values (the unexpected sample, a
  min, a max or a sum) are floats; a float NaN is a null; a string null shows as NaN, a boolean null as None;
- column map expectations ignore nulls: ``element_count`` counts every row (after ``row_condition``),
  ``unexpected_count`` the non-null rows that fail, ``partial_unexpected_list`` the first values that
  fail in row order, and ``mostly`` is the share of non-null rows that pass (vacuously true with none);
- ``expect_column_values_to_not_be_null`` and ``_to_be_null`` count over all rows;
- pair and compound expectations skip a row only when all of its values are null;
- aggregates (mean, sample standard deviation, median, sum, min, max) follow pandas' nan-skipping
  reductions bit for bit (numpy on float64, nulls filled with 0 for sums as pandas does); a missing
  statistic (empty column, one value for a standard deviation) fails with ``observed_value`` None;
- regular expressions are Python's ``re.search`` (pandas' ``str.contains``);
- GX coerces some bounds: to float for value ranges and statistics, to int for counts and lengths; the
  resolved keyword arguments it reports are reproduced so the findings are the same.

Anything else, an expectation type not implemented here, an unknown keyword argument, a bound given in a
form whose coercion is not reproduced, a row condition other than ``==``/``!=`` on one column, a column
type other than integer, float, string or boolean, gives ``None`` from :func:`evaluate`: the caller then
runs that expectation through Great Expectations. Nothing is skipped.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Size of the unexpected sample GX is asked for (result_format SUMMARY, partial_unexpected_count).
PARTIAL_COUNT = 5


@dataclass(frozen=True)
class Outcome:
    """One evaluated expectation, in the shape the findings are built from.

    ``kwargs`` are the expectation's keyword arguments as GX reports them after validation (suite
    parameters filled in, bounds coerced); ``result`` holds the keys GX's result would hold that the
    findings read (``observed_value``, or ``element_count``, ``unexpected_count`` and
    ``partial_unexpected_list``); ``error`` is the message of an exception raised while evaluating.
    """

    success: bool
    kwargs: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class _Unsupported(Exception):
    """This expectation (or one of its arguments) is left to Great Expectations."""


_KIND_INT, _KIND_FLOAT, _KIND_STRING, _KIND_BOOL = "int", "float", "string", "bool"
_NUMERIC = (_KIND_INT, _KIND_FLOAT)
_ANY_KIND = (_KIND_INT, _KIND_FLOAT, _KIND_STRING, _KIND_BOOL)


def _kind(data_type: pa.DataType) -> str | None:
    if pa.types.is_integer(data_type):
        return _KIND_INT
    if pa.types.is_floating(data_type):
        return _KIND_FLOAT
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return _KIND_STRING
    if pa.types.is_boolean(data_type):
        return _KIND_BOOL
    return None


@dataclass
class _Column:
    """One column of the batch (after the row condition) as pandas would hold it."""

    kind: str
    as_float: bool  # an integer column with a null anywhere in the table: pandas makes it float64
    values: pa.Array
    null: pa.Array  # boolean, true for a null (and for a float NaN)

    @property
    def null_marker(self) -> Any:
        return None if self.kind == _KIND_BOOL else math.nan

    def python(self, index: int) -> Any:
        """The value at ``index`` as the pandas frame holds it (a null is NaN, or None for booleans)."""
        if self.null[index].as_py():
            return self.null_marker
        value = self.values[index].as_py()
        return float(value) if self.as_float else value

    def float64(self) -> np.ndarray:
        """The values as a float64 numpy array, NaN for nulls."""
        return np.asarray(pc.cast(self.values, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)

    def nonnull_values(self) -> pa.Array:
        return self.values.filter(pc.invert(self.null))

    def key_values(self) -> pa.Array:
        """Values for grouping: floats with -0.0 folded onto 0.0 and NaN made null (pandas' hashing)."""
        if self.kind == _KIND_FLOAT:
            return pc.if_else(self.null, pa.scalar(None, self.values.type), pc.add(self.values, 0.0))
        return self.values


@dataclass
class _Batch:
    """A table with the row condition of one expectation applied; columns are built on demand."""

    table: pa.Table
    filtered: pa.Table
    cache: dict[str, _Column] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.filtered.num_rows

    def column(self, name: Any, kinds: tuple[str, ...] = _ANY_KIND) -> _Column:
        if not isinstance(name, str) or name not in self.table.column_names:
            raise _Unsupported
        if name not in self.cache:
            kind = _kind(self.table.schema.field(name).type)
            if kind is None:
                raise _Unsupported
            values = self.filtered.column(name).combine_chunks()
            null = pc.is_null(values, nan_is_null=True) if kind == _KIND_FLOAT else pc.is_null(values)
            as_float = kind == _KIND_INT and self.table.column(name).null_count > 0
            self.cache[name] = _Column(kind, as_float, values, null)
        column = self.cache[name]
        if column.kind not in kinds:
            raise _Unsupported
        return column


# --- arguments -------------------------------------------------------------------------------------

_BASE_COLUMN_ARGS = frozenset({"column", "row_condition"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _substitute(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        name = str(value["$PARAMETER"])
        if name not in params:
            raise _Unsupported
        return params[name]
    return value


def _int_bound(value: Any, params: Mapping[str, Any]) -> int | None:
    """GX's int-typed bounds (row counts, distinct counts, lengths): ints and parameters only."""
    value = _substitute(value, params)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _Unsupported


def _float_bound(value: Any) -> float | None:
    """GX's float-typed bounds (value ranges, statistics): numbers, given literally, become floats."""
    if value is None:
        return None
    if _is_number(value):
        return float(value)
    raise _Unsupported


def _flag(kwargs: Mapping[str, Any], name: str, resolved: dict[str, Any]) -> bool:
    if name not in kwargs:
        return False
    value = kwargs[name]
    if not isinstance(value, bool):
        raise _Unsupported
    resolved[name] = value
    return value


def _mostly(kwargs: Mapping[str, Any], resolved: dict[str, Any]) -> float:
    if "mostly" not in kwargs:
        return 1.0
    value = kwargs["mostly"]
    # 1 (GX's default) and ints are reported differently by GX: left to it.
    if not isinstance(value, float) or not 0.0 <= value < 1.0:
        raise _Unsupported
    resolved["mostly"] = value
    return value


def _bounds(kwargs: Mapping[str, Any], resolved: dict[str, Any], *, integer: bool,
            params: Mapping[str, Any], strict: bool = True, require_one: bool = True
            ) -> tuple[Any, Any, bool, bool]:
    low: Any
    high: Any
    if integer:
        low, high = _int_bound(kwargs.get("min_value"), params), _int_bound(kwargs.get("max_value"), params)
    else:
        low, high = _float_bound(kwargs.get("min_value")), _float_bound(kwargs.get("max_value"))
    if require_one and low is None and high is None:
        raise _Unsupported  # GX refuses the configuration: its error is the reference
    if low is not None and high is not None and low > high:
        raise _Unsupported
    for name, value in (("min_value", low), ("max_value", high)):
        if name in kwargs:
            resolved[name] = value
    strict_min = _flag(kwargs, "strict_min", resolved) if strict else False
    strict_max = _flag(kwargs, "strict_max", resolved) if strict else False
    return low, high, strict_min, strict_max


def _within(value: Any, low: Any, high: Any, strict_min: bool, strict_max: bool) -> bool:
    if low is not None and not (value > low if strict_min else value >= low):
        return False
    return not (high is not None and not (value < high if strict_max else value <= high))


def _value_set(kwargs: Mapping[str, Any], column: _Column, resolved: dict[str, Any]) -> list[Any]:
    values = kwargs.get("value_set")
    if not isinstance(values, list) or not values:
        raise _Unsupported
    if column.kind in _NUMERIC:
        ok = all(_is_number(v) for v in values)
    elif column.kind == _KIND_STRING:
        ok = all(isinstance(v, str) for v in values)
    else:
        ok = all(isinstance(v, bool) for v in values)
    if not ok:
        raise _Unsupported
    resolved["value_set"] = values
    return values


def _check_args(kwargs: Mapping[str, Any], allowed: frozenset[str]) -> None:
    if set(kwargs) - allowed:
        raise _Unsupported


# --- row conditions --------------------------------------------------------------------------------

def _condition_mask(table: pa.Table, condition: Any) -> pa.Array | None:
    """The rows a ``comparison`` row condition keeps, as pandas' ``==``/``!=`` would (null != x is true)."""
    if condition is None:
        return None
    if not isinstance(condition, dict) or condition.get("type") != "comparison":
        raise _Unsupported
    if set(condition) - {"type", "column", "operator", "parameter"}:
        raise _Unsupported
    column = condition.get("column")
    operator, parameter = condition.get("operator"), condition.get("parameter")
    if not isinstance(column, dict) or set(column) != {"name"} or operator not in ("==", "!="):
        raise _Unsupported
    name = column["name"]
    if not isinstance(name, str) or name not in table.column_names:
        raise _Unsupported
    kind = _kind(table.schema.field(name).type)
    if kind == _KIND_STRING and isinstance(parameter, str):
        scalar = pa.scalar(parameter)
    elif kind in _NUMERIC and isinstance(parameter, int | float) and _is_number(parameter):
        scalar = pa.scalar(float(parameter))
    else:
        raise _Unsupported
    values = table.column(name).combine_chunks()
    if kind in _NUMERIC:
        values = pc.cast(values, pa.float64())
    equal = pc.fill_null(pc.equal(values, scalar), False)
    return equal if operator == "==" else pc.invert(equal)


# --- column map expectations -----------------------------------------------------------------------

def _sample(unexpected: pa.Array, value: Callable[[int], Any]) -> list[Any]:
    indices = pc.indices_nonzero(unexpected).slice(0, PARTIAL_COUNT).to_pylist()
    return [value(i) for i in indices]


def _map_outcome(rows: int, considered: int, unexpected: pa.Array, mostly: float, resolved: dict[str, Any],
                 value: Callable[[int], Any]) -> Outcome:
    unexpected_count = int(pc.sum(unexpected).as_py() or 0)
    if rows == 0 or considered == 0:
        success = True  # GX: vacuously true
    else:
        success = (float(considered) - float(unexpected_count)) / float(considered) >= mostly
    result = {"element_count": rows, "unexpected_count": unexpected_count,
              "partial_unexpected_list": _sample(unexpected, value) if unexpected_count else []}
    return Outcome(success=success, kwargs=resolved, result=result)


def _column_map(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any], kinds: tuple[str, ...],
                extra: frozenset[str], fails: Callable[[_Column], pa.Array]) -> Outcome:
    _check_args(kwargs, _BASE_COLUMN_ARGS | {"mostly"} | extra)
    column = batch.column(kwargs.get("column"), kinds)
    mostly = _mostly(kwargs, resolved)
    failing = fails(column)
    unexpected = pc.and_(pc.invert(column.null), pc.fill_null(failing, False))
    considered = batch.rows - int(pc.sum(column.null).as_py() or 0)
    return _map_outcome(batch.rows, considered, unexpected, mostly, resolved, column.python)


def _values_between(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any],
                    params: Mapping[str, Any]) -> Outcome:
    low, high, strict_min, strict_max = _bounds(kwargs, resolved, integer=False, params=params)

    def fails(column: _Column) -> pa.Array:
        values = pc.cast(column.values, pa.float64())
        ok = pa.array([True] * len(values), pa.bool_())
        if low is not None:
            ok = pc.and_(ok, (pc.greater if strict_min else pc.greater_equal)(values, low))
        if high is not None:
            ok = pc.and_(ok, (pc.less if strict_max else pc.less_equal)(values, high))
        return pc.invert(ok)

    return _column_map(batch, kwargs, resolved, _NUMERIC, frozenset({"min_value", "max_value", "strict_min",
                                                                     "strict_max"}), fails)


def _membership(column: _Column, values: list[Any]) -> pa.Array:
    if column.kind in _NUMERIC:
        return pc.is_in(pc.cast(column.values, pa.float64()), pa.array([float(v) for v in values], pa.float64()))
    if column.kind == _KIND_STRING:
        return pc.is_in(pc.cast(column.values, pa.string()), pa.array(values, pa.string()))
    return pc.is_in(column.values, pa.array(values, pa.bool_()))


def _in_set(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any], negate: bool) -> Outcome:
    def fails(column: _Column) -> pa.Array:
        inside = _membership(column, _value_set(kwargs, column, resolved))
        return inside if negate else pc.invert(inside)

    return _column_map(batch, kwargs, resolved, _ANY_KIND, frozenset({"value_set"}), fails)


def _regex(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any], negate: bool) -> Outcome:
    pattern = kwargs.get("regex")
    if not isinstance(pattern, str):
        raise _Unsupported
    try:
        compiled = re.compile(pattern)
    except re.error as exc:  # GX reports the exception: left to it
        raise _Unsupported from exc
    resolved["regex"] = pattern

    def fails(column: _Column) -> pa.Array:
        values = pc.cast(column.values, pa.string())
        distinct = pc.unique(values.drop_null())
        matching = [compiled.search(v) is not None for v in distinct.to_pylist()]
        hit = pc.is_in(values, distinct.filter(pa.array(matching, pa.bool_())))
        return hit if negate else pc.invert(hit)

    return _column_map(batch, kwargs, resolved, (_KIND_STRING,), frozenset({"regex"}), fails)


def _value_lengths(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any],
                   params: Mapping[str, Any]) -> Outcome:
    low, high, _, _ = _bounds(kwargs, resolved, integer=True, params=params, strict=False)

    def fails(column: _Column) -> pa.Array:
        lengths = pc.utf8_length(pc.cast(column.values, pa.string()))
        ok = pa.array([True] * len(lengths), pa.bool_())
        if low is not None:
            ok = pc.and_(ok, pc.greater_equal(lengths, low))
        if high is not None:
            ok = pc.and_(ok, pc.less_equal(lengths, high))
        return pc.invert(ok)

    return _column_map(batch, kwargs, resolved, (_KIND_STRING,), frozenset({"min_value", "max_value"}), fails)


def _group_codes(columns: list[_Column]) -> pa.Array:
    """One int64 code per row, equal for rows whose values are equal (nulls equal to nulls)."""
    combined: pa.Array | None = None
    for column in columns:
        encoded = pc.dictionary_encode(column.key_values())
        codes = pc.add(pc.fill_null(pc.cast(encoded.indices, pa.int64()), -1), 1)
        size = len(encoded.dictionary) + 1
        if combined is None:
            combined, span = codes, size
        else:
            if span * size >= 2 ** 62:
                raise _Unsupported
            combined, span = pc.add(pc.multiply(combined, size), codes), span * size
    assert combined is not None
    return combined


def _duplicated(codes: pa.Array, considered: pa.Array) -> pa.Array:
    """True for each considered row whose code occurs on more than one considered row."""
    counts = pc.value_counts(codes.filter(considered))
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    return pc.and_(considered, pc.is_in(codes, repeated))


def _unique(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any]) -> Outcome:
    def fails(column: _Column) -> pa.Array:
        return _duplicated(_group_codes([column]), pc.invert(column.null))

    return _column_map(batch, kwargs, resolved, _ANY_KIND, frozenset(), fails)


def _compound_unique(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any]) -> Outcome:
    _check_args(kwargs, frozenset({"column_list", "row_condition", "mostly"}))
    names = kwargs.get("column_list")
    if not isinstance(names, list) or len(names) < 2 or len(set(map(str, names))) != len(names):
        raise _Unsupported
    columns = [batch.column(name) for name in names]
    mostly = _mostly(kwargs, resolved)
    all_null = columns[0].null
    for column in columns[1:]:
        all_null = pc.and_(all_null, column.null)
    considered = pc.invert(all_null)
    unexpected = _duplicated(_group_codes(columns), considered)

    def value(index: int) -> dict[str, Any]:
        return {str(name): column.python(index) for name, column in zip(names, columns, strict=True)}

    considered_rows = int(pc.sum(considered).as_py() or 0)
    return _map_outcome(batch.rows, considered_rows, unexpected, mostly, resolved, value)


def _pair_greater(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any]) -> Outcome:
    _check_args(kwargs, frozenset({"column_A", "column_B", "or_equal", "row_condition", "mostly"}))
    a, b = batch.column(kwargs.get("column_A"), _NUMERIC), batch.column(kwargs.get("column_B"), _NUMERIC)
    or_equal = _flag(kwargs, "or_equal", resolved)
    mostly = _mostly(kwargs, resolved)
    considered = pc.invert(pc.and_(a.null, b.null))
    compare = pc.greater_equal if or_equal else pc.greater
    passes = pc.fill_null(compare(pc.cast(a.values, pa.float64()), pc.cast(b.values, pa.float64())), False)
    # A null on one side compares false in pandas (NaN): the row fails.
    passes = pc.and_(passes, pc.invert(pc.or_(a.null, b.null)))
    unexpected = pc.and_(considered, pc.invert(passes))
    considered_rows = int(pc.sum(considered).as_py() or 0)
    return _map_outcome(batch.rows, considered_rows, unexpected, mostly, resolved,
                        lambda i: [a.python(i), b.python(i)])


def _null_map(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any], expect_null: bool) -> Outcome:
    _check_args(kwargs, _BASE_COLUMN_ARGS | {"mostly"})
    column = batch.column(kwargs.get("column"))
    mostly = _mostly(kwargs, resolved)
    unexpected = pc.invert(column.null) if expect_null else column.null
    # Over every row, not only the non-null ones.
    return _map_outcome(batch.rows, batch.rows, unexpected, mostly, resolved, column.python)


# --- aggregate expectations ------------------------------------------------------------------------

def _aggregate(observed: Any, low: Any, high: Any, strict_min: bool, strict_max: bool,
               resolved: dict[str, Any]) -> Outcome:
    if observed is None or (isinstance(observed, float) and math.isnan(observed)):
        return Outcome(success=False, kwargs=resolved, result={"observed_value": None})
    return Outcome(success=_within(observed, low, high, strict_min, strict_max), kwargs=resolved,
                   result={"observed_value": observed})


def _statistic(column: _Column, name: str) -> Any:
    """pandas' nan-skipping reduction ``name`` of the column, as GX's pandas metric returns it."""
    count = len(column.values) - int(pc.sum(column.null).as_py() or 0)
    integer = column.kind == _KIND_INT and not column.as_float
    if name == "sum" and integer:
        return int(pc.sum(column.values).as_py() or 0)
    if name in ("min", "max") and integer:
        return (pc.min if name == "min" else pc.max)(column.values).as_py()
    values = column.float64()
    mask = np.isnan(values)
    if name == "median":
        return float(np.median(values[~mask])) if count else None
    if name in ("min", "max"):
        if not count:
            return None
        filled = np.where(mask, np.inf if name == "min" else -np.inf, values)
        return float(filled.min() if name == "min" else filled.max())
    filled = np.where(mask, 0.0, values)
    total = filled.sum(dtype=np.float64)
    if name == "sum":
        return float(total)
    if name == "mean":
        return float(total / count) if count else None
    # Sample standard deviation, as pandas' nanvar/nanstd (ddof=1).
    if count <= 1:
        return None
    average = total / count
    squares = (average - filled) ** 2
    squares = np.where(mask, 0.0, squares)
    return float(np.sqrt(squares.sum(dtype=np.float64) / (count - 1)))


_STATISTIC_BY_TYPE = {
    "expect_column_mean_to_be_between": "mean",
    "expect_column_stdev_to_be_between": "stdev",
    "expect_column_median_to_be_between": "median",
    "expect_column_sum_to_be_between": "sum",
    "expect_column_min_to_be_between": "min",
    "expect_column_max_to_be_between": "max",
}

_BOUND_ARGS = frozenset({"min_value", "max_value", "strict_min", "strict_max"})


def _column_statistic(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any],
                      params: Mapping[str, Any], statistic: str) -> Outcome:
    _check_args(kwargs, _BASE_COLUMN_ARGS | _BOUND_ARGS)
    column = batch.column(kwargs.get("column"), _NUMERIC)
    low, high, strict_min, strict_max = _bounds(kwargs, resolved, integer=False, params=params)
    return _aggregate(_statistic(column, statistic), low, high, strict_min, strict_max, resolved)


def _distinct_count(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any],
                    params: Mapping[str, Any], proportion: bool) -> Outcome:
    _check_args(kwargs, _BASE_COLUMN_ARGS | _BOUND_ARGS)
    column = batch.column(kwargs.get("column"))
    low, high, strict_min, strict_max = _bounds(kwargs, resolved, integer=not proportion, params=params)
    distinct = int(pc.count_distinct(column.key_values(), mode="only_valid").as_py())
    observed: Any = distinct
    if proportion:
        nonnull = len(column.values) - int(pc.sum(column.null).as_py() or 0)
        observed = distinct / nonnull if nonnull else 0
    return _aggregate(observed, low, high, strict_min, strict_max, resolved)


def _distinct_set(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any], relation: str) -> Outcome:
    _check_args(kwargs, _BASE_COLUMN_ARGS | {"value_set"})
    column = batch.column(kwargs.get("column"))
    expected = set(_value_set(kwargs, column, resolved))
    observed = set(pc.unique(column.nonnull_values()).to_pylist())
    if relation == "equal":
        success = observed == expected
    elif relation == "in":
        success = observed <= expected
    else:
        success = expected <= observed
    # GX 1.x reports no observed value for these three (its result holds the differences instead).
    return Outcome(success=success, kwargs=resolved, result={"observed_value": None})


def _row_count(batch: _Batch, kwargs: Mapping[str, Any], resolved: dict[str, Any], params: Mapping[str, Any],
               equal: bool) -> Outcome:
    if equal:
        _check_args(kwargs, frozenset({"value", "row_condition"}))
        value = _int_bound(kwargs.get("value"), params)
        if value is None:
            raise _Unsupported
        resolved["value"] = value
        return Outcome(success=batch.rows == value, kwargs=resolved, result={"observed_value": batch.rows})
    _check_args(kwargs, frozenset({"row_condition"}) | _BOUND_ARGS)
    low, high, strict_min, strict_max = _bounds(kwargs, resolved, integer=True, params=params)
    return _aggregate(batch.rows, low, high, strict_min, strict_max, resolved)


# --- dispatch --------------------------------------------------------------------------------------

_Evaluator = Callable[[_Batch, Mapping[str, Any], dict[str, Any], Mapping[str, Any]], Outcome]

EVALUATORS: dict[str, _Evaluator] = {
    "expect_table_row_count_to_be_between": lambda b, k, r, p: _row_count(b, k, r, p, equal=False),
    "expect_table_row_count_to_equal": lambda b, k, r, p: _row_count(b, k, r, p, equal=True),
    "expect_column_values_to_be_between": _values_between,
    "expect_column_values_to_be_in_set": lambda b, k, r, p: _in_set(b, k, r, negate=False),
    "expect_column_values_to_not_be_in_set": lambda b, k, r, p: _in_set(b, k, r, negate=True),
    "expect_column_values_to_match_regex": lambda b, k, r, p: _regex(b, k, r, negate=False),
    "expect_column_values_to_not_match_regex": lambda b, k, r, p: _regex(b, k, r, negate=True),
    "expect_column_value_lengths_to_be_between": _value_lengths,
    "expect_column_values_to_be_unique": lambda b, k, r, p: _unique(b, k, r),
    "expect_compound_columns_to_be_unique": lambda b, k, r, p: _compound_unique(b, k, r),
    "expect_column_pair_values_a_to_be_greater_than_b": lambda b, k, r, p: _pair_greater(b, k, r),
    "expect_column_values_to_not_be_null": lambda b, k, r, p: _null_map(b, k, r, expect_null=False),
    "expect_column_values_to_be_null": lambda b, k, r, p: _null_map(b, k, r, expect_null=True),
    "expect_column_unique_value_count_to_be_between":
        lambda b, k, r, p: _distinct_count(b, k, r, p, proportion=False),
    "expect_column_proportion_of_unique_values_to_be_between":
        lambda b, k, r, p: _distinct_count(b, k, r, p, proportion=True),
    "expect_column_distinct_values_to_equal_set": lambda b, k, r, p: _distinct_set(b, k, r, "equal"),
    "expect_column_distinct_values_to_be_in_set": lambda b, k, r, p: _distinct_set(b, k, r, "in"),
    "expect_column_distinct_values_to_contain_set": lambda b, k, r, p: _distinct_set(b, k, r, "contain"),
    **{name: functools.partial(_column_statistic, statistic=statistic)
       for name, statistic in _STATISTIC_BY_TYPE.items()},
}

# Expectation-level keys of a suite entry the engine understands (GX's JSON format).
_ENTRY_KEYS = frozenset({"type", "kwargs", "meta", "description", "severity", "id", "notes", "rendered_content"})


def evaluate(table: pa.Table, expectation: Mapping[str, Any], params: Mapping[str, Any]) -> Outcome | None:
    """Evaluate one expectation of a suite over ``table``, or None when Great Expectations must run it."""
    evaluator = EVALUATORS.get(str(expectation.get("type")))
    kwargs = expectation.get("kwargs")
    if evaluator is None or not isinstance(kwargs, dict) or set(expectation) - _ENTRY_KEYS:
        return None
    try:
        mask = _condition_mask(table, kwargs.get("row_condition"))
        filtered = table if mask is None else table.filter(mask)
        resolved: dict[str, Any] = {}
        return evaluator(_Batch(table, filtered), kwargs, resolved, params)
    except _Unsupported:
        return None
