"""Property test: validate never raises on a damaged tree, and reports every damage known to break a rule.

Hypothesis mutates private copies of the clean 6-conversation synthetic tree: it deletes a file, copies
a file under another name, renames a file to a name that nearly follows the format (leading zero,
fullwidth digit, trailing newline or space, upper case, a control character), truncates or corrupts
bytes, writes arbitrary bytes, puts a bad or hostile value (a huge integer, a deep nesting, a long string)
into one JSON key or one CSV cell, or drops a quote character into a CSV file. Every raw file kind is
a target: transcripts, scenarios, both rating files, profiles, profile ratings, item JSON, the mapping,
the survey texts and their names. Where the mutation is known to break a rule (the oracle below says
why, case by case), at least one error finding must name the mutated file (or, for a deleted file whose
absence only other files reveal, the tree must be invalid). Every finding must say where it is (a file,
or the record keys of a cross-file finding; a row or pointer when it is about a file's content), and
every report must render.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gallery import run_validate
from gallery.trees import read_json, read_rows, tree_fingerprint, write_json, write_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vogue_pack.raw.tree import REQUIRED_FILES, classify
from vogue_pack.report.findings import Finding, Severity
from vogue_pack.report.report import render_text
from vogue_pack.synth import SynthInfo

SETTINGS = settings(max_examples=30, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])

SOME_IMAGES = {"metadata/item_1.png", "metadata/item_15.png", "metadata/item_40.png", "metadata/item_66.png"}

# JSON keys and values of the wrong type for them (every one breaks the file's JSON Schema)
_NOT_INT = [None, True, "1", 1.5, [], {}]
_NOT_STR = [None, True, 1, [], {}]
_NOT_LIST = [None, True, 1, "x", {}]
_NOT_OBJECT = [None, True, 1, "x", []]
TRANSCRIPT_KEYS: dict[tuple[Any, ...], list[Any]] = {
    ("conversation_id",): _NOT_INT, ("scenario",): _NOT_INT, ("session_code",): _NOT_STR,
    ("catalogue",): _NOT_STR, ("mentioned_items",): [*_NOT_LIST, []], ("gt_items",): [*_NOT_LIST, []],
    ("conversation_content",): [*_NOT_LIST, []],
    ("conversation_content", 0, "turn"): _NOT_INT, ("conversation_content", 1, "timestamp"): _NOT_STR,
    ("conversation_content", 2, "content"): _NOT_OBJECT,
    ("conversation_content", 0, "content", "role"): [*_NOT_STR, "Bot"],
    ("conversation_content", 1, "content", "utterances"): [*_NOT_LIST, []],
    ("conversation_content", 1, "content", "tags"): _NOT_LIST,
}
ITEM_KEYS: dict[tuple[Any, ...], list[Any]] = {
    ("id",): _NOT_INT, ("catalogue",): _NOT_STR, ("categories",): _NOT_LIST, ("product_name",): _NOT_STR,
    ("product_rating",): [*_NOT_STR, "9", "x"], ("about_product",): _NOT_LIST, ("product_detail",): _NOT_OBJECT,
    ("reviews",): _NOT_STR,
}
SCENARIO_KEYS: dict[tuple[Any, ...], list[Any]] = {(0, "Scenario"): _NOT_INT, (3, "Body"): [*_NOT_STR, "No colon"]}


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


# values no JSON Schema type check lets through where an integer, a string or a list stands: integers
# beyond 32 and 64 bits, nesting past the depth limit, and (for strings) times of day that are not times
HOSTILE_INTS = [2**31, -(2**31) - 1, 2**63, 2**70, -(10**30), _nested(80), _nested(900)]
HOSTILE_KEYS: dict[str, dict[tuple[Any, ...], list[Any]]] = {
    "transcript": {
        ("conversation_id",): HOSTILE_INTS, ("scenario",): HOSTILE_INTS, ("mentioned_items",): [[2**70], _nested(90)],
        ("conversation_content", 0, "turn"): HOSTILE_INTS,
        ("conversation_content", 1, "timestamp"): ["25:61:07", "24:00:00", "12:60:00", "1:02:03", "12:00:00\n",
                                                   "\uff11\uff12:00:00", " 12:00:00"],
        ("conversation_content", 1, "content", "tags"): [_nested(70), [[2**70]]],
    },
    "item_json": {("id",): HOSTILE_INTS, ("product_detail",): [{"a": _nested(100)}]},
    "scenarios": {(0, "Scenario"): HOSTILE_INTS},
}
_HOSTILE_NAMES = ("leading zero", "fullwidth digit", "trailing newline", "trailing space", "upper case",
                  "control character")


def _hostile_name(name: str, how: str, position: int) -> str:
    """``name`` changed the way a careless copy or a hostile tree would change it."""
    digits = [i for i, ch in enumerate(name) if ch.isdigit()]
    if how == "leading zero" and digits:
        return name[:digits[0]] + "0" + name[digits[0]:]
    if how == "fullwidth digit" and digits:
        at = digits[position % len(digits)]
        return name[:at] + chr(0xFF10 + int(name[at])) + name[at + 1:]
    if how == "trailing newline":
        return name + "\n"
    if how == "trailing space":
        return name + " "
    if how == "upper case":
        return name.upper()
    at = position % (len(name) + 1)
    return name[:at] + "\x1b" + name[at:]  # control character

# CSV columns and values that break a per-file rule of that column (type, range, pattern, list literal)
_RATING = ["0", "6", "x", "NaN", "", "2.5", "1e309", "-2", "99999999999"]
_VEC = ["", "x", "[1, 2", "[]", "[1.5]"]
CSV_CELLS: dict[str, dict[str, list[str]]] = {
    "seeker_ratings": {"item_": _RATING, "rating_vec": _VEC, "likert_": ["0", "6.0", "x", "NaN", "-1"],
                       "conversation_id": ["x", "", "1.5", "-3"], "role": ["", "seeker", "Both"],
                       "participant_id": ["", "a1", "S1"], "catalogue": ["", "A", "ab"],
                       "scenario": ["", "x", "-1"]},
    "assistant_ratings": {"item_": _RATING, "rating_vec": _VEC, "assistant_interpretation": [""],
                          "conversation_id": ["x", "", "1.5", "-3"], "participant_id": ["", "s1", "A1"]},
    "profiles": {"comfort": ["0", "6", "x", ""], "price": ["0", "6", "x", ""], "importance_vec": _VEC,
                 "participant_id": ["", "x1", "S1", "1"]},
    "profile_ratings": {"item_": _RATING, "40_rating_vec": _VEC, "participant_id": ["", "x1"]},
    "catalogue_mapping": {"id": ["", "x", "0"], "catalogue": ["", "a b"]},
}


@dataclass
class Mutation:
    """What was done, to which file, and whether it must produce an error finding naming that file."""

    action: str
    file: str
    must_name_file: bool
    must_be_invalid: bool = False
    must_mention_file: bool = False  # a finding of any severity names the file


def _json_breaks(data: bytes) -> bool:
    """Independent oracle: would a strict JSON reader reject these bytes (or find nothing in them)?"""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM is only a warning
    if not text.strip():
        return True

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        json.loads(text, parse_constant=no_constants)
    except (ValueError, RecursionError):
        return True
    return False


def _utf8_breaks(data: bytes) -> bool:
    if not data.strip():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _known_breaking_bytes(kind: str, data: bytes, header_line: bytes | None) -> bool:
    """New content ``data`` for a file of ``kind``: is it known to break a rule of that file?"""
    if kind in ("transcript", "item_json", "scenarios"):
        return _json_breaks(data)
    if kind in ("profile_survey", "item_rating_survey"):
        return _utf8_breaks(data)
    if kind in ("seeker_ratings", "assistant_ratings", "profiles", "profile_ratings", "catalogue_mapping"):
        # empty or not UTF-8, or the header line lost a column
        return _utf8_breaks(data) or (header_line is not None and not data.startswith(header_line))
    return False  # images and supplements: only "never raises" (images are corrupt-checked elsewhere)


def _set_path(document: Any, path: tuple[Any, ...], value: Any) -> None:
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _mutate(root: Path, files: list[str], data: st.DataObject) -> Mutation:
    action = data.draw(st.sampled_from(["delete", "duplicate", "truncate", "corrupt", "garbage", "json", "csv",
                                        "hostile-json", "rename", "quote"]))
    if action == "hostile-json":
        kind = data.draw(st.sampled_from(sorted(HOSTILE_KEYS)))
        file = data.draw(st.sampled_from([f for f in files if classify(f)[0] == kind]))
        path = data.draw(st.sampled_from(sorted(HOSTILE_KEYS[kind], key=repr)))
        # draw a position, not the value: hypothesis prints what it draws, and a 900-level list would
        # overflow its printer
        choices = HOSTILE_KEYS[kind][path]
        value = choices[data.draw(st.integers(0, len(choices) - 1))]
        document = read_json(root / file)
        _set_path(document, path, value)
        (root / file).write_text(json.dumps(document), encoding="utf-8")  # compact: 900 levels stay small
        return Mutation(f"hostile json {path}", file, must_name_file=True)
    if action == "rename":
        file = data.draw(st.sampled_from([f for f in files if not f.endswith(".png") or f in SOME_IMAGES]))
        how = data.draw(st.sampled_from(_HOSTILE_NAMES))
        folder, _, name = file.rpartition("/")
        new_name = _hostile_name(name, how, data.draw(st.integers(0, 40)))
        if new_name == name:
            return Mutation("rename no-op", file, must_name_file=False)
        (root / file).rename(root / folder / new_name)
        kind = classify(file)[0]
        if kind in REQUIRED_FILES:  # the required file is now missing, at its own path
            return Mutation(f"rename {how}", file, must_name_file=True)
        # an id-bearing file under a near-miss name is a finding at the new name; a supplement is only listed
        return Mutation(f"rename {how}", f"{folder}/{new_name}",
                        must_name_file=kind in ("transcript", "item_json", "image"))
    if action == "quote":
        kind = data.draw(st.sampled_from(sorted(CSV_CELLS)))
        file = REQUIRED_FILES[kind]
        original = (root / file).read_bytes()
        position = data.draw(st.integers(original.find(b"\n") + 1, len(original)))
        (root / file).write_bytes(original[:position] + b'"' + original[position:])
        # may still parse (a stray quote is a warning), but a quote after the header is always a finding
        return Mutation("quote", file, must_name_file=False, must_mention_file=True)
    if action == "json":
        kind = data.draw(st.sampled_from(["transcript", "item_json", "scenarios"]))
        choices = [f for f in files if classify(f)[0] == kind]
        file = data.draw(st.sampled_from(choices))
        table = {"transcript": TRANSCRIPT_KEYS, "item_json": ITEM_KEYS, "scenarios": SCENARIO_KEYS}[kind]
        path = data.draw(st.sampled_from(sorted(table, key=repr)))
        value = data.draw(st.sampled_from(table[path]))
        document = read_json(root / file)
        _set_path(document, path, value)
        write_json(root / file, document)
        return Mutation(f"json {path}={value!r}", file, must_name_file=True)
    if action == "csv":
        kind = data.draw(st.sampled_from(sorted(CSV_CELLS)))
        file = REQUIRED_FILES[kind]
        rows = read_rows(root / file)
        line = data.draw(st.integers(2, len(rows)))
        prefix = data.draw(st.sampled_from(sorted(CSV_CELLS[kind])))
        columns = [c for c in rows[0] if c == prefix or (prefix.endswith("_") and c.startswith(prefix))]
        column = data.draw(st.sampled_from(columns))
        value = data.draw(st.sampled_from(CSV_CELLS[kind][prefix]))
        index = rows[0].index(column)
        if rows[line - 1][index] == value:
            return Mutation("csv no-op", file, must_name_file=False)
        rows[line - 1][index] = value
        write_rows(root / file, rows)
        return Mutation(f"csv line {line} {column}={value!r}", file, must_name_file=True)

    # every data file, but only a few images: image runs are slower, and images.py has its own tests
    candidates = [f for f in files if not f.endswith(".png") or f in SOME_IMAGES]
    file = data.draw(st.sampled_from(candidates))
    kind, item_id = classify(file)
    path = root / file
    original = path.read_bytes()
    newline = original.find(b"\n")
    header_line = original[: newline + 1] if newline > 0 and file.endswith(".csv") else None
    if action == "delete":
        path.unlink()
        if kind in REQUIRED_FILES:
            return Mutation("delete", file, must_name_file=True)
        # a transcript, item JSON or image: its absence shows in the other files (ratings, mapping)
        return Mutation("delete", file, must_name_file=False, must_be_invalid=kind in (
            "transcript", "item_json", "image"))
    if action == "duplicate":
        if kind == "transcript":
            cid = int(path.name[1:].split("_", 1)[0])
            copy = path.with_name(f"c{cid + 1000}_{path.name.split('_', 1)[1]}")  # content says cid
        elif kind in ("item_json", "image"):
            copy = path.with_name(f"item_{(item_id or 0) + 1000}{path.suffix}")  # id 1000+k is not mapped
        else:
            copy = path.with_name(f"{path.stem} (copy){path.suffix}")
        shutil.copyfile(path, copy)
        return Mutation("duplicate", copy.relative_to(root).as_posix(),
                        must_name_file=kind in ("transcript", "item_json"), must_be_invalid=kind == "image")
    if action == "truncate":
        size = data.draw(st.integers(0, max(0, len(original) - 1)))
        new = original[:size]
    elif action == "corrupt":
        position = data.draw(st.integers(0, max(0, len(original) - 1)))
        byte = data.draw(st.integers(0, 255).filter(lambda b: not original or b != original[position]))
        new = original[:position] + bytes([byte]) + original[position + 1:]
    else:
        new = data.draw(st.binary(max_size=300))
    path.write_bytes(new)
    return Mutation(action, file, must_name_file=_known_breaking_bytes(kind, new, header_line))


@given(data=st.data())
@SETTINGS
def test_validate_never_raises_and_reports_known_damage(small_tree: SynthInfo, data: st.DataObject) -> None:
    files = sorted(p.relative_to(small_tree.root).as_posix() for p in small_tree.root.rglob("*") if p.is_file())
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(shutil.copytree(small_tree.root, Path(scratch) / "data"))
        mutation = _mutate(root, files, data)
        before = tree_fingerprint(root)
        result = run_validate(root, images=mutation.file.endswith(".png"))
        report = result.report
        render_text(report)
        json.loads(report.to_json())
        assert tree_fingerprint(root) == before, "validate wrote into the raw tree"
    for item in report.findings:
        _assert_located(item)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if mutation.must_name_file:
        assert any(f.file == mutation.file for f in errors), (mutation, [f.to_dict() for f in errors][:20])
    if mutation.must_mention_file:
        assert any(f.file == mutation.file for f in report.findings), mutation
    if mutation.must_be_invalid or mutation.must_name_file:
        assert not report.ok, mutation


# findings about a file's content must say where in the file; file-level findings (a missing, empty, too
# large or misnamed file; JSON too deep to parse) are located by the file alone
_CONTENT_CODES = ("schema.", "csv.", "json.schema", "json.duplicate-key", "json.non-finite", "json.parse",
                  "transcript.timestamp", "transcript.turn-sequence", "transcript.tag")


def _assert_located(item: Finding) -> None:
    assert item.file is not None or item.keys, f"finding without a file or record keys: {item.to_dict()}"
    if item.file is not None and item.code.startswith(_CONTENT_CODES) and item.code != "csv.header":
        assert item.row is not None or item.pointer is not None, f"finding without a location: {item.to_dict()}"
