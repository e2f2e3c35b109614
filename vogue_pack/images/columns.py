"""Arrow columns of Python values, built from their buffers.

``pa.array`` imports pandas on its first call (pyarrow asks whether the value is a pandas object), which
costs 0.4-1 s in a fresh process; ``vogue-pack dedupe`` needs no pandas otherwise. The types the image
tables use (int32, int64, bool, string) are built here from numpy buffers: the same array as
``pa.array(values, type=type)`` (tests/test_images.py), any other type goes through ``pa.array``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

_INTEGERS = {pa.int32(): np.int32, pa.int64(): np.int64}
_STRING_MAX_BYTES = 2**31 - 1  # int32 offsets


def arrow_array(values: list[Any], type: pa.DataType) -> pa.Array:
    """``pa.array(values, type=type)`` (None is null) without importing pandas, for the image tables' types."""
    n = len(values)
    nulls = [v is None for v in values]
    null_count = sum(nulls)
    validity = None
    if null_count:
        validity = pa.py_buffer(np.packbits(~np.array(nulls, dtype=bool), bitorder="little").tobytes())
    if type in _INTEGERS and all(v is None or builtin_int(v) for v in values):
        try:
            data = np.array([0 if v is None else v for v in values], dtype=_INTEGERS[type])
        except OverflowError:  # out of range: pa.array's own error
            return pa.array(values, type=type)
        return pa.Array.from_buffers(type, n, [validity, pa.py_buffer(data.tobytes())], null_count=null_count)
    if type == pa.bool_() and all(v is None or v is True or v is False for v in values):
        bits = np.packbits(np.array([v is True for v in values], dtype=bool), bitorder="little")
        return pa.Array.from_buffers(type, n, [validity, pa.py_buffer(bits.tobytes())], null_count=null_count)
    if type == pa.string() and all(v is None or isinstance(v, str) for v in values):
        encoded = [b"" if v is None else v.encode("utf-8") for v in values]
        offsets = np.zeros(n + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(np.array([len(e) for e in encoded], dtype=np.int64))
        if offsets[-1] <= _STRING_MAX_BYTES:
            return pa.Array.from_buffers(type, n, [validity, pa.py_buffer(offsets.astype(np.int32).tobytes()),
                                                   pa.py_buffer(b"".join(encoded))], null_count=null_count)
    return pa.array(values, type=type)


def builtin_int(value: Any) -> bool:
    """A plain int that is not a bool (pa.array refuses a bool in an integer column)."""
    return type(value) is int
