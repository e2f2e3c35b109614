"""Column-wise building blocks of the statistics and the metrics: pairs of ids as one sortable int64, and
look-ups by binary search (in numpy: no Python loop over rows, and the same answer on every run)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def typed(table: pa.Table, columns: dict[str, Any]) -> bool:
    """Whether ``table`` has every column of ``columns`` with a type accepted by its predicate."""
    return all(name in table.column_names and test(table.column(name).type) for name, test in columns.items())


def pair_codes(first: pa.ChunkedArray | pa.Array, second: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """One int64 per row of two integer columns, equal exactly when both values are and ordered as the pairs
    are; None when a value is null, not an integer or outside int32 (then the caller keeps its row loop)."""
    halves = []
    for ids in (first, second):
        if not pa.types.is_integer(ids.type) or ids.null_count:
            return None
        if len(ids):
            bounds = pc.min_max(ids).as_py()
            if bounds["min"] < INT32_MIN or bounds["max"] > INT32_MAX:
                return None
        halves.append(np.asarray(ids.to_numpy(), dtype=np.int64))
    return np.asarray((halves[0] << 32) + (halves[1] - INT32_MIN))


def positions(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """For each of ``values``, a position in ``pool`` holding it (-1 where none does; the first of equal
    values of ``pool``); binary search."""
    if not len(pool):
        return np.full(len(values), -1, dtype=np.int64)
    order = np.argsort(pool, kind="stable")
    at = np.minimum(np.searchsorted(pool[order], values), len(pool) - 1)
    return np.where(pool[order[at]] == values, order[at], -1)


def has_repeats(codes: np.ndarray) -> bool:
    """Whether a value occurs twice in ``codes``."""
    ordered = np.sort(codes)
    return bool((ordered[1:] == ordered[:-1]).any())
