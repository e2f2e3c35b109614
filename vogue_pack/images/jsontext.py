"""``json.dumps(doc, indent=2, ensure_ascii=False)``, the same text, several times faster.

With an indent, the standard library encodes in pure Python through nested generators (its C encoder
only writes compact JSON): 0.4-0.6 s for the 6.6 MB review record of the 3,200-image set. This writes
the same bytes with one list of parts, its strings escaped by the standard library's own C function, and
a long list of flat records (the pairs) one join per record.
Anything but str keys and the plain JSON types (str, int, float, bool, None, list, tuple, dict), or a
document nested too deeply, goes to ``json.dumps`` itself, so the text and the errors are always its own
(tests/test_image_columns.py compares the two on generated documents).
"""

from __future__ import annotations

import json
import json.encoder
from typing import Any

_escape = json.encoder.encode_basestring  # the C escaping of ensure_ascii=False where available


_KEYS: dict[str, str] = {}  # escaped dict keys with their ": " (a few dozen distinct ones per document)
_KEYS_MAX = 4096


class _Unusual(Exception):
    """A value this encoder leaves to json.dumps."""


# The text of each plain scalar type, by exact type (a subclass is not a plain scalar here).
_SCALARS: dict[type, Any] = {
    str: _escape, int: int.__repr__, bool: lambda v: "true" if v else "false", type(None): lambda v: "null",
    float: lambda v: _scalar(v),
}
_ROWS_MIN = 16  # shorter lists are not worth the check


def dumps_indented(doc: Any) -> str:
    """The text of ``json.dumps(doc, indent=2, ensure_ascii=False)``."""
    parts: list[str] = []
    try:
        _encode(doc, "\n", parts)
    except (_Unusual, RecursionError):
        return json.dumps(doc, indent=2, ensure_ascii=False)
    return "".join(parts)


def _scalar(value: Any) -> str:
    """The JSON text of a scalar, in json's order of checks (str before int, bool before int)."""
    if isinstance(value, str):
        return _escape(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value == float("inf"):
            return "Infinity"
        if value == -float("inf"):
            return "-Infinity"
        return float.__repr__(value)
    raise _Unusual


def _encode(value: Any, newline: str, parts: list[str]) -> None:
    """Append the text of ``value``; ``newline`` is a line break and the indentation of its level.

    The common scalars are told apart by their exact type (a subclass takes _scalar's isinstance path,
    as json does); dict keys are escaped once per distinct key.
    """
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        separator = "," + inner
        if len(value) >= _ROWS_MIN and type(value[0]) is dict and _rows(value, newline, parts):
            return
        parts.append("[")
        first = len(parts)
        for item in value:
            kind = type(item)
            if kind is str:
                parts.append(separator + _escape(item))
            elif kind is int:
                parts.append(separator + int.__repr__(item))
            elif kind is dict or kind is list or isinstance(item, (dict, list, tuple)):
                parts.append(separator)
                _encode(item, inner, parts)
            else:
                parts.append(separator + _scalar(item))
        parts[first] = parts[first][1:]  # no comma before the first item
        parts.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        separator = "," + inner
        keys = _KEYS
        parts.append("{")
        first = len(parts)
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual  # json converts int, float, bool and None keys to text: left to it
            text = keys.get(key)
            if text is None:
                text = _escape(key) + ": "
                if len(keys) < _KEYS_MAX:
                    keys[key] = text
            kind = type(item)
            if kind is str:
                parts.append(separator + text + _escape(item))
            elif kind is int:
                parts.append(separator + text + int.__repr__(item))
            elif kind is bool:
                parts.append(separator + text + ("true" if item else "false"))
            elif item is None:
                parts.append(separator + text + "null")
            elif kind is dict or kind is list or isinstance(item, (dict, list, tuple)):
                parts.append(separator + text)
                _encode(item, inner, parts)
            else:
                parts.append(separator + text + _scalar(item))
        parts[first] = parts[first][1:]  # no comma before the first member
        parts.append(newline + "}")
    else:
        parts.append(_scalar(value))


def _rows(value: list[Any] | tuple[Any, ...], newline: str, parts: list[str]) -> bool:
    """A list of flat records (dicts with the same str keys in the same order, plain scalar values: the
    review record's pairs) as _encode would write it, one join per record; False, with nothing appended,
    when the list is anything else."""
    keys = tuple(value[0])
    if not keys or any(type(k) is not str for k in keys):
        return False
    inner = newline + "  "
    member = inner + "  "
    prefixes = [("{" if k == 0 else ",") + member + _escape(key) + ": " for k, key in enumerate(keys)]
    close = inner + "}"
    scalars = _SCALARS
    rows: list[str] = []
    try:
        for item in value:
            if type(item) is not dict or tuple(item) != keys:
                return False
            texts = [p + scalars[type(v)](v) for p, v in zip(prefixes, item.values(), strict=True)]
            rows.append("".join(texts) + close)
    except KeyError:  # a value that is not a plain scalar
        return False
    parts.append("[" + inner + ("," + inner).join(rows) + newline + "]")
    return True
