"""A one-walk certificate that a parsed transcript satisfies schemas/transcript.schema.json.

Checking 60,000 transcripts through the generated JSON Schema validator, then walking each document
again to count its keys (the duplicate-key proof of ``reader.parse_json``), cost more than parsing them.
:func:`certify` does both in one pass written for this one schema: it returns the document's number of
object keys when the document *certainly* satisfies the schema, and None at the first doubt. It only
ever says yes to a subset of what the schema accepts (integers must be ``int``, patterns must match the
whole string, ...), so a yes lets the caller skip the schema; a None sends the document through the
schema and the key walk exactly as before, which name every problem.

The walk is tied to the schema it was written for: :data:`SCHEMA_SHA256` is the digest of that schema
(its JSON with sorted keys), and :func:`certifier` returns no certifier for any other schema text. After
editing schemas/transcript.schema.json, review :func:`certify` against it and then update the digest
(tests/test_transcript_shape.py fails until then and compares the certificate with the schema on
thousands of damaged transcripts).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

SCHEMA_SHA256 = "153724a932e3b73ad57fb39d8d170fe8fe92f3e09d0ba91e91e03222fe218de7"
INT32_MAX = 2**31 - 1

_TOP_KEYS = frozenset(("conversation_id", "session_code", "scenario", "mentioned_items", "gt_items",
                       "conversation_content", "catalogue"))
_TURN_KEYS = frozenset(("turn", "timestamp", "content"))
_CONTENT_KEYS = frozenset(("utterances", "role", "tags"))
_SESSION = re.compile(r"[a-z](000|001|010|011|100)")
_CATALOGUE = re.compile(r"[a-z]")
_ROLES = frozenset(("Seeker", "Assistant"))


def schema_digest(schema: dict[str, Any]) -> str:
    """The sha256 of a schema's JSON with sorted keys (what :data:`SCHEMA_SHA256` is compared with)."""
    text = json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def certifier(schema: dict[str, Any]) -> Callable[[Any], int | None] | None:
    """:func:`certify` when ``schema`` is the schema it was written for, else None (no shortcut)."""
    return certify if schema_digest(schema) == SCHEMA_SHA256 else None


def _ids(value: Any) -> bool:
    """A non-empty array of integers 1..2^31-1 (``int`` only: no bool, no float)."""
    return type(value) is list and bool(value) and all(type(item) is int and 1 <= item <= INT32_MAX
                                                        for item in value)


def _tags(value: Any, placeholder: str) -> bool:
    """The placeholder, or an array whose items are each the placeholder or 1-3 strings."""
    if type(value) is str:
        return value == placeholder
    if type(value) is not list:
        return False
    for inner in value:
        if type(inner) is list:
            if not 1 <= len(inner) <= 3:
                return False
            if not all(type(code) is str for code in inner):
                return False
        elif type(inner) is not str or inner != placeholder:
            return False
    return True


def certify(doc: Any, placeholder: str = "<no tag available>") -> int | None:
    """The number of object keys of ``doc`` when it certainly satisfies the transcript schema; else None.

    A certified document nests 6 levels at most (object, turns, turn, content, tags, tag list), within
    ``reader.MAX_JSON_DEPTH``.
    """
    if type(doc) is not dict or doc.keys() != _TOP_KEYS:
        return None
    for key in ("conversation_id", "scenario"):
        value = doc[key]
        if type(value) is not int or not 0 <= value <= INT32_MAX:
            return None
    session, catalogue = doc["session_code"], doc["catalogue"]
    if type(session) is not str or _SESSION.fullmatch(session) is None:
        return None
    if type(catalogue) is not str or _CATALOGUE.fullmatch(catalogue) is None:
        return None
    if not _ids(doc["mentioned_items"]) or not _ids(doc["gt_items"]):
        return None
    turns = doc["conversation_content"]
    if type(turns) is not list or not turns:
        return None
    for turn in turns:
        if type(turn) is not dict or turn.keys() != _TURN_KEYS:
            return None
        number, content = turn["turn"], turn["content"]
        if type(number) is not int or not 1 <= number <= INT32_MAX or type(turn["timestamp"]) is not str:
            return None
        if type(content) is not dict or content.keys() != _CONTENT_KEYS:
            return None
        role, utterances = content["role"], content["utterances"]
        if type(role) is not str or role not in _ROLES or type(utterances) is not list or not utterances:
            return None
        for text in utterances:
            if type(text) is not str or not text:
                return None
        if not _tags(content["tags"], placeholder):
            return None
    return len(_TOP_KEYS) + len(turns) * (len(_TURN_KEYS) + len(_CONTENT_KEYS))
