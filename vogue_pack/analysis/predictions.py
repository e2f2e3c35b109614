"""Predictions of the Seeker's item ratings: the cells to predict, the baselines, and predictions files.

A predictions file is CSV or Parquet, in the long layout (conversation_id, item_id, rating) or the paper's
wide layout (conversation_id, item_1..item_N [, rating_vec], the layout of the raw rating files); or JSON:
JSON Lines with one ``{"conversation_id": 7, "ratings": {"13": 2, ...}}`` object per line, or a folder
holding one JSON object per conversation with the conversation id in its path (``conv_7/predictions.json``,
``conv_7.json``, ``7.json``). The layout is detected from the content. Every problem (layout, values,
ranges, duplicates, cells without ground truth, missing cells) becomes a finding of the ``predictions.*``
(or ``json.*``) family with its file and location; :class:`PredictionsInvalid` carries them all at once.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from vogue_pack.analysis.columns import has_repeats, pair_codes, positions, typed
from vogue_pack.errors import UsageError
from vogue_pack.raw.reader import FAILED, parse_json
from vogue_pack.report.findings import Finding, finding

PROBLEMS_FORMAT_VERSION = "1"
RATING_VALUES = (1, 2, 3, 4, 5)
BASELINES = ("human", "mode", "random")
PREDICTION_COLUMNS = ("conversation_id", "item_id", "rating")  # of the long layout, as scored
# Columns of the raw rating files (format section 2.2) that the wide layout accepts and ignores, so that
# assistant_ratings.csv itself (the human baseline) can be scored as a predictions file.
WIDE_IGNORED_COLUMNS = frozenset(
    {"role", "participant_id", "catalogue", "scenario", "assistant_interpretation"}
    | {f"likert_{k}" for k in range(1, 6)}
)
_MAX_LISTED_ITEMS = 20
# ids are int32 in every table; a larger integer can name no cell (and must not overflow an Arrow array)
ID_MAX = 2**31 - 1
# grammar of an item key in the JSON layouts, and of a conversation id in a folder layout's paths (ASCII
# digits, whole string, no leading zeros)
_ITEM_KEY = re.compile(r"(?:item_)?(0|[1-9][0-9]*)", re.ASCII)
_CONVERSATION_PATH = re.compile(r"(?:conv(?:ersation)?_?)?(0|[1-9][0-9]*)", re.ASCII)
MAX_JSON_BYTES = 64 * 1024 * 1024  # a predictions JSON of more than 64 MiB is not a predictions file
LAYOUTS = ("long", "wide", "jsonl", "folder")


class PredictionsInvalid(Exception):
    """The predictions cannot be scored; ``findings`` lists every problem (``evaluate`` exits 1)."""

    def __init__(self, findings: list[Finding], source: str = "predictions") -> None:
        self.findings = findings
        self.source = source
        super().__init__(f"{source}: {len(findings)} problems make the predictions unscorable")


# --- ground truth and baselines ----------------------------------------------------------------------


def ground_truth(tables: dict[str, pa.Table]) -> pa.Table:
    """The Seeker's ratings, one row per rated cell: conversation_id, item_id, rating, mentioned.

    Sorted by (conversation_id, item_id). ``mentioned`` comes from ``conversation_items`` (False when the
    cell has no row there). Unreadable (null) ratings are not ground truth.
    """
    import pyarrow.compute as pc

    ratings = tables.get("item_ratings")
    if ratings is None or ratings.num_rows == 0:
        raise UsageError("no item_ratings table (or it is empty): there is nothing to evaluate against")
    keep = pc.and_(pc.fill_null(pc.equal(ratings.column("role"), "Seeker"), False),
                   pc.is_valid(ratings.column("rating")))
    seeker = ratings.filter(keep)
    if seeker.num_rows == 0:
        raise UsageError("item_ratings holds no Seeker rating: there is nothing to evaluate against")
    truth = pa.table({
        "conversation_id": seeker.column("conversation_id").cast(pa.int32()),
        "item_id": seeker.column("item_id").cast(pa.int32()),
        "rating": seeker.column("rating").cast(pa.int16()),
    })
    items = tables.get("conversation_items")
    if items is not None and items.num_rows:
        flagged = items.filter(pc.fill_null(items.column("mentioned"), False))
        keys = pa.table({"conversation_id": flagged.column("conversation_id").cast(pa.int32()),
                         "item_id": flagged.column("item_id").cast(pa.int32())})
        cells = pair_codes(truth.column("conversation_id"), truth.column("item_id"))
        flagged_cells = pair_codes(keys.column("conversation_id"), keys.column("item_id"))
        if cells is not None and flagged_cells is not None:
            mentioned = pa.array(positions(cells, flagged_cells) >= 0)
        else:  # a null id: a join (where null keys match nothing)
            distinct = keys.group_by(["conversation_id", "item_id"]).aggregate([])  # a key may repeat: join once
            distinct = distinct.append_column("mentioned", pa.array([True] * distinct.num_rows, pa.bool_()))
            truth = truth.join(distinct, ["conversation_id", "item_id"], join_type="left outer")
            mentioned = pc.fill_null(truth.column("mentioned"), False)
    else:
        mentioned = pa.array([False] * truth.num_rows, pa.bool_())
    truth = pa.table({"conversation_id": truth.column("conversation_id"), "item_id": truth.column("item_id"),
                      "rating": truth.column("rating"), "mentioned": mentioned})
    return truth.sort_by([("conversation_id", "ascending"), ("item_id", "ascending")]).combine_chunks()


def scored_cells(truth: pa.Table, predictions: pa.Table) -> pa.Table:
    """The cells of ``truth`` (:func:`ground_truth`) that ``predictions`` predict, in (conversation_id,
    item_id) order, with the predicted rating as an int64 column ``prediction``.

    ``predictions`` must have passed :func:`check_predictions` (unique keys, integer ratings 1..5, possibly
    typed as floats).
    """
    predicted_cells = pa.table({
        "conversation_id": predictions.column("conversation_id").cast(pa.int32()),
        "item_id": predictions.column("item_id").cast(pa.int32()),
        "prediction": integer_ratings(predictions.column("rating")),
    })
    cells = pair_codes(truth.column("conversation_id"), truth.column("item_id"))
    predicted = pair_codes(predicted_cells.column("conversation_id"), predicted_cells.column("item_id"))
    if cells is None or predicted is None:  # a null id: a join (a hash join's output order varies: sort, so
        # that sums, and so every float, are reproducible)
        return truth.join(predicted_cells, ["conversation_id", "item_id"], join_type="inner").sort_by(
            [("conversation_id", "ascending"), ("item_id", "ascending")])
    at = positions(cells, predicted)
    return truth.filter(pa.array(at >= 0)).append_column(
        "prediction", predicted_cells.column("prediction").take(at[at >= 0]))


def seeker_mode(tables: dict[str, pa.Table]) -> int:
    """The most frequent Seeker rating; a tie goes to the smallest rating."""
    return _mode(_rating_counts(ground_truth(tables)))


def _mode(counts: dict[int, int]) -> int:
    return min(counts, key=lambda rating: (-counts[rating], rating))


def _rating_counts(truth: pa.Table) -> dict[int, int]:
    """How often each Seeker rating occurs in ``truth`` (the ``Counter`` of its ratings, in Arrow)."""
    import pyarrow.compute as pc

    counts = pc.value_counts(truth.column("rating"))
    return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))


def baseline_predictions(tables: dict[str, pa.Table], name: str, seed: int = 0) -> pa.Table:
    """Predictions of a built-in baseline for every ground-truth cell (see docs/metrics.md).

    - ``human``: the Assistant's rating of the same cell (cells the Assistant did not rate are absent);
    - ``mode``: :func:`seeker_mode` for every cell;
    - ``random``: independent draws from the pooled empirical distribution of the Seeker ratings, with
      ``numpy.random.default_rng(seed)``, in (conversation_id, item_id) order.
    """
    truth = ground_truth(tables)
    if name not in BASELINES:
        raise UsageError(f"unknown baseline {name!r}: choose one of {', '.join(BASELINES)}")
    if name == "human":
        return _human_predictions(tables["item_ratings"], truth)
    counts = _rating_counts(truth)
    if name == "mode":
        ratings = pa.array(np.full(truth.num_rows, _mode(counts)), pa.int16())
    else:
        values = sorted(counts)
        total = sum(counts.values())
        rng = np.random.default_rng(seed)
        draws = rng.choice(np.array(values), size=truth.num_rows,
                           p=np.array([counts[v] / total for v in values]))
        ratings = pa.array(draws, pa.int16())
    return pa.table({"conversation_id": truth.column("conversation_id"), "item_id": truth.column("item_id"),
                     "rating": ratings})


def _human_predictions_rows(ratings: pa.Table, truth: pa.Table) -> pa.Table:
    """The human baseline by its definition: each ground-truth cell, in order, that the Assistant rated
    (the last Assistant row of a cell wins). :func:`_human_predictions` is the same, column-wise."""
    keys_c = truth.column("conversation_id").to_pylist()
    keys_i = truth.column("item_id").to_pylist()
    assistant = {
        (cid, iid): rating
        for cid, iid, role, rating in zip(ratings.column("conversation_id").to_pylist(),
                                          ratings.column("item_id").to_pylist(),
                                          ratings.column("role").to_pylist(),
                                          ratings.column("rating").to_pylist(), strict=True)
        if role == "Assistant" and rating is not None
    }
    keep = [(c, i) for c, i in zip(keys_c, keys_i, strict=True) if (c, i) in assistant]
    return _predictions_table([c for c, _ in keep], [i for _, i in keep], [assistant[k] for k in keep])


def _human_predictions(ratings: pa.Table, truth: pa.Table) -> pa.Table:
    """:func:`_human_predictions_rows` by binary search; the row loop stays for tables of other column types,
    with null keys or with a cell the Assistant rated twice (never in a valid table)."""
    import pyarrow.compute as pc

    if not typed(ratings, {"conversation_id": pa.types.is_integer, "item_id": pa.types.is_integer,
                            "role": pa.types.is_string, "rating": pa.types.is_integer}):
        return _human_predictions_rows(ratings, truth)
    keep = pc.and_(pc.fill_null(pc.equal(ratings.column("role"), "Assistant"), False),
                   pc.is_valid(ratings.column("rating")))
    assistant = ratings.select(["conversation_id", "item_id", "rating"]).filter(keep)
    rated = pair_codes(assistant.column("conversation_id"), assistant.column("item_id"))
    cells = pair_codes(truth.column("conversation_id"), truth.column("item_id"))
    if rated is None or cells is None or has_repeats(rated):
        return _human_predictions_rows(ratings, truth)
    at = positions(cells, rated)
    found = pa.array(at >= 0)
    return pa.table({"conversation_id": truth.column("conversation_id").filter(found),
                     "item_id": truth.column("item_id").filter(found),
                     "rating": assistant.column("rating").take(at[at >= 0]).cast(pa.int16())}).combine_chunks()


def _predictions_table(conversation_ids: list[Any], item_ids: list[Any], ratings: list[Any],
                       source_rows: list[Any] | None = None) -> pa.Table:
    columns: dict[str, pa.Array] = {
        "conversation_id": pa.array(conversation_ids, pa.int32()),
        "item_id": pa.array(item_ids, pa.int32()),
        "rating": pa.array(ratings, pa.int16()),
    }
    if source_rows is not None:
        columns["source_row"] = pa.array(source_rows, pa.int32())
    return pa.table(columns)


# --- reading predictions files -----------------------------------------------------------------------


@dataclass
class ParsedPredictions:
    """A predictions file parsed into long rows, with the problems met on the way."""

    source: str
    conversation_ids: list[int] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    rows: list[int | None] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    # cells whose rating was present but bad: reported once, not again as "missing"
    rejected: set[tuple[int, int]] = field(default_factory=set)
    row_is_line: bool = True  # CSV: rows are line numbers (header = 1); Parquet: 1-based record numbers
    layout: str | None = None  # one of LAYOUTS once recognised

    def table(self) -> pa.Table:
        return _predictions_table(self.conversation_ids, self.item_ids, self.ratings, self.rows)

    def problem(self, code: str, message: str, row: int | None, **kwargs: Any) -> None:
        if self.row_is_line:
            self.problems.append(finding(code, message, file=self.source, row=row, **kwargs))
        else:
            keys = dict(kwargs.pop("keys", {}) or {})
            if row is not None:
                keys = {"record": row, **keys}
            self.problems.append(finding(code, message, file=self.source, keys=keys, **kwargs))


def as_int(value: Any) -> int | None:
    """An integer from a CSV string or a Parquet value (``"3"``, ``"3.0"``, ``3``, ``3.0``), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _read_rows(path: Path, parsed: ParsedPredictions) -> tuple[list[str], list[tuple[int, list[Any]]]] | None:
    """Header and (row number, cells) of a CSV or Parquet file; None (with a problem) when unreadable."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the predictions file: {exc}") from exc
    if magic == b"PAR1":
        import pyarrow.parquet as pq

        parsed.row_is_line = False
        try:
            table = pq.read_table(path)
            # names and values decode lazily: a damaged file can hold bytes that are not UTF-8 in either
            names = list(table.column_names)
            columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
            parsed.problem("predictions.read", f"cannot read the Parquet file: {exc}", None)
            return None
        return names, [
            (n + 1, [col[n] for col in columns]) for n in range(table.num_rows)]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.problem("predictions.read", f"not UTF-8 text (byte {exc.start}); expected CSV or Parquet",
                       None)
        return None
    if not text.strip():
        parsed.problem("predictions.read", "the file is empty", None)
        return None
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            parsed.problem("predictions.read", "the file is empty", None)
            return None
        ended = reader.line_num
        for row in reader:
            if row:  # a record starts on the line after the previous one ended (quoted cells may span lines)
                rows.append((ended + 1, row))
            ended = reader.line_num
    except csv.Error as exc:
        parsed.problem("predictions.read", f"invalid CSV: {exc}", reader.line_num)
        return None
    width = len(header)
    good = []
    for line, row in rows:
        if len(row) != width:
            parsed.problem("predictions.read", f"{len(row)} cells where the header has {width}", line,
                           value=len(row), expected=width)
        else:
            good.append((line, list(row)))
    return [h.strip() for h in header], good


def parse_predictions(path: Path) -> ParsedPredictions:
    """Parse a predictions file or folder (any layout of :data:`LAYOUTS`) into long rows plus problems.

    Never raises on data: rows with a bad value are left out of the table and reported; their cells are
    in ``rejected``. A folder is read as the folder layout; a file whose first character is ``{`` or ``[``
    as JSON (Lines); ``PAR1`` bytes as Parquet; anything else as CSV.
    """
    path = Path(path)
    if path.is_dir():
        parsed = ParsedPredictions(source=str(path), layout="folder", row_is_line=False)
        _parse_folder(path, parsed)
        return parsed
    if not path.is_file():
        raise UsageError(f"{path}: no such predictions file or folder")
    parsed = ParsedPredictions(source=str(path))
    if _looks_like_json(path):
        parsed.layout = "jsonl"
        _parse_json_file(path, parsed)
        return parsed
    content = _read_rows(path, parsed)
    if content is None:
        return parsed
    header, rows = content
    duplicated = sorted(h for h, n in Counter(header).items() if n > 1)
    if duplicated:
        parsed.problem("predictions.columns", f"duplicate column names: {', '.join(duplicated)}", 1,
                       value=duplicated)
        return parsed
    if {"conversation_id", "item_id", "rating"} <= set(header):
        parsed.layout = "long"
        _parse_long(header, rows, parsed)
    elif "conversation_id" in header and any(_wide_item_id(h) is not None for h in header):
        parsed.layout = "wide"
        _parse_wide(header, rows, parsed)
    else:
        parsed.problem(
            "predictions.columns",
            "not a predictions layout: expected the long columns conversation_id,item_id,rating or the "
            f"wide columns conversation_id,item_1..item_N[,rating_vec]; found {', '.join(header[:12])}"
            + (" …" if len(header) > 12 else ""),
            1, value=header[:50],
        )
    return parsed


# --- the JSON layouts --------------------------------------------------------------------------------


def _short(value: Any, limit: int = 60) -> Any:
    """``value`` for a message: long strings cut, huge integers described (``str`` of them may raise)."""
    shown = _shown(value)
    if isinstance(shown, str) and len(shown) > limit:
        return shown[:limit] + "…"
    return shown


def _shown(value: Any) -> Any:
    """A short JSON-safe stand-in for a value read from a hostile file (for a finding's ``value``).

    Nested containers are never copied into a finding (their depth is unbounded), integers beyond 64 bits
    are described rather than printed (Python refuses ``str`` of a 4,300-digit integer), NaN becomes text.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:200] + "…"
    if isinstance(value, dict):
        return f"a JSON object of {len(value)} keys"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} values"
    return type(value).__name__


def _json_int(value: Any) -> int | None:
    """An integer id from a JSON value: a JSON integer (``7``, also ``7.0``), never a boolean or a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _json_rating(value: Any) -> int | None:
    """A rating 1..5 from a JSON value (``3`` or ``3.0``); None for anything else (booleans included)."""
    number = _json_int(value)
    return number if number in RATING_VALUES else None


def _escape_pointer(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _looks_like_json(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the predictions file: {exc}") from exc
    if head.startswith(b"PAR1"):
        return False
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return stripped[:1] in (b"{", b"[")


def _read_json_text(path: Path, file: str, problems: list[Finding]) -> str | None:
    """The UTF-8 text of a JSON predictions file, or None with a ``predictions.read`` finding."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            problems.append(finding("predictions.read", f"larger than {MAX_JSON_BYTES // 2**20} MiB: not read",
                                    file=file))
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.append(finding("predictions.read", f"cannot read the file: {exc.strerror or exc}", file=file))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(finding("predictions.read", f"not UTF-8 text (byte {exc.start})", file=file,
                                value=exc.start))
        return None
    if not text.strip():
        problems.append(finding("predictions.read", "the file is empty", file=file))
        return None
    return text


def _parse_json_file(path: Path, parsed: ParsedPredictions) -> None:
    """JSON Lines (one record per line), or one JSON document: a record, a list of records, or an object
    keyed by conversation id whose values are the ratings objects."""
    file = parsed.source
    text = _read_json_text(path, file, parsed.problems)
    if text is None:
        return
    scratch: list[Finding] = []
    document = parse_json(text, file, scratch)
    if document is not FAILED:
        one_line = "\n" not in text.strip()
        parsed.problems.extend(dataclasses.replace(f, row=1) if one_line else f for f in scratch)
        if isinstance(document, dict) and ("conversation_id" in document or "ratings" in document):
            _parse_record(parsed, document, file, 1, "")  # one record (a one-line JSON Lines file)
        elif isinstance(document, list):
            for n, record in enumerate(document):
                _parse_record(parsed, record, file, None, f"/{n}")
        elif isinstance(document, dict):  # {"7": {"13": 2, ...}, ...}: conversations as keys
            for key, ratings in document.items():
                cid = _path_id(key)
                pointer = f"/{_escape_pointer(key)}"
                if cid is None:
                    parsed.problems.append(finding(
                        "predictions.columns", f"key {_short(key)!r} is neither conversation_id, ratings nor a "
                        "conversation id", file=file, pointer=pointer, value=_shown(key),
                        expected="conversation ids as keys, or JSON Lines records"))
                    continue
                _parse_record(parsed, ratings, file, None, pointer, cid_from_path=cid)
        else:
            parsed.problems.append(finding(
                "predictions.columns", f"a JSON document holding {_short(document)!r} is not a predictions "
                "layout", file=file, value=_shown(document), expected='{"conversation_id": 7, "ratings": {…}}'))
        return
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found: list[Finding] = []
        record = parse_json(line, file, found)
        parsed.problems.extend(dataclasses.replace(f, row=line_number) for f in found)
        if record is FAILED:
            continue
        _parse_record(parsed, record, file, line_number, "")


def _path_id(text: str) -> int | None:
    match = _CONVERSATION_PATH.fullmatch(text)
    if match is None:
        return None
    value = int(match.group(1)) if len(match.group(1)) <= 10 else ID_MAX + 1
    return value if value <= ID_MAX else None


def _parse_record(parsed: ParsedPredictions, record: Any, file: str, line: int | None, pointer: str,
                  cid_from_path: int | None = None) -> None:
    """One conversation's predictions: ``{"conversation_id": 7, "ratings": {...}}``, or (when the id
    comes from the path or a key) the bare ratings object ``{"13": 2, ...}``."""
    where: dict[str, Any] = {"file": file, "row": line}
    if not isinstance(record, dict):
        parsed.problems.append(finding(
            "predictions.columns", f"expected a JSON object, found {_shown(record)!r}", file=file, row=line,
            pointer=pointer or "/", value=_shown(record), expected='{"conversation_id": 7, "ratings": {…}}'))
        return
    wrapped = cid_from_path is None or "ratings" in record or "conversation_id" in record
    cid: int | None = cid_from_path
    if wrapped:
        unknown = [k for k in record if k not in ("conversation_id", "ratings")]
        if unknown:
            parsed.problems.append(finding(
                "predictions.columns", f"unknown keys {', '.join(repr(_short(k)) for k in unknown[:10])} "
                "(a record has exactly conversation_id and ratings)", **where, pointer=pointer or "/",
                value=[_shown(k) for k in unknown[:50]]))
        raw_cid = record.get("conversation_id", cid_from_path)
        cid = _json_int(raw_cid)
        if cid is None or not 0 <= cid <= ID_MAX:
            parsed.problems.append(finding(
                "predictions.value", f"conversation_id {_short(raw_cid)!r} is not a conversation id", **where,
                pointer=f"{pointer}/conversation_id", value=_shown(raw_cid),
                expected=f"a JSON integer 0..{ID_MAX}"))
            return
        if cid_from_path is not None and cid != cid_from_path:
            parsed.problems.append(finding(
                "predictions.value", f"conversation_id {cid} disagrees with the path's conversation "
                f"{cid_from_path}", **where, pointer=f"{pointer}/conversation_id", value=cid,
                expected=cid_from_path))
            return
        ratings = record.get("ratings")
        ratings_pointer = f"{pointer}/ratings"
        if not isinstance(ratings, dict):
            parsed.problems.append(finding(
                "predictions.columns", f"ratings is {_shown(ratings)!r}, not an object of item id: rating",
                **where, pointer=ratings_pointer, keys={"conversation_id": cid}, value=_shown(ratings),
                expected='{"13": 2, "14": 5, …}'))
            return
    else:
        ratings, ratings_pointer = record, pointer
    assert cid is not None
    for key, value in ratings.items():
        key_pointer = f"{ratings_pointer}/{_escape_pointer(str(key))}"
        match = _ITEM_KEY.fullmatch(key)
        iid = int(match.group(1)) if match is not None and len(match.group(1)) <= 10 else None
        if iid is None or iid > ID_MAX:
            parsed.problems.append(finding(
                "predictions.value", f"key {_short(key)!r} is not an item id", **where, pointer=key_pointer,
                keys={"conversation_id": cid}, value=_shown(key), expected="a global item id such as \"13\""))
            continue
        keys = {"conversation_id": cid, "item_id": iid}
        rating = _json_rating(value)
        if rating is None:
            code, what = (("predictions.value", "is null (leave the key out to skip a cell)") if value is None
                          else ("predictions.range", f"{_short(value)!r} is not an integer 1..5"))
            parsed.problems.append(finding(code, f"item {iid}: rating {what}", **where, pointer=key_pointer,
                                           keys=keys, value=_shown(value), expected="an integer 1..5"))
            parsed.rejected.add((cid, iid))
            continue
        parsed.conversation_ids.append(cid)
        parsed.item_ids.append(iid)
        parsed.ratings.append(rating)
        parsed.rows.append(line)


def _parse_folder(folder: Path, parsed: ParsedPredictions) -> None:
    """Every ``*.json`` file under ``folder``: the conversation id from the file name (``conv_7.json``,
    ``7.json``) or else from its folder (``conv_7/predictions.json``). Symbolic links are not followed."""
    seen: dict[int, str] = {}
    found_any = False
    for directory, subdirs, files in os.walk(folder):
        subdirs.sort()
        here = Path(directory)
        for name in sorted(subdirs):
            if (here / name).is_symlink():
                parsed.problems.append(finding("predictions.read", "a symbolic link: not followed",
                                               file=str(here / name)))
        for name in sorted(files):
            if not name.endswith(".json") or name.startswith("."):
                continue
            path = here / name
            file = str(path)
            found_any = True
            if path.is_symlink() or not path.is_file():
                parsed.problems.append(finding("predictions.read", "not a regular file (links are not followed)",
                                               file=file))
                continue
            cid = _path_id(name[: -len(".json")])
            if cid is None and here != folder:
                cid = _path_id(here.name)
            if cid is None:
                parsed.problems.append(finding(
                    "predictions.columns", "cannot tell the conversation from the path", file=file,
                    expected="conv_7/predictions.json, conv_7.json or 7.json"))
                continue
            if cid in seen:
                parsed.problems.append(finding(
                    "predictions.duplicate", f"conversation {cid} is predicted twice (first in {seen[cid]})",
                    file=file, keys={"conversation_id": cid}))
                continue
            seen[cid] = file
            text = _read_json_text(path, file, parsed.problems)
            if text is None:
                continue
            document = parse_json(text, file, parsed.problems)
            if document is FAILED:
                continue
            _parse_record(parsed, document, file, None, "", cid_from_path=cid)
    if not found_any:
        parsed.problems.append(finding("predictions.read", "the folder holds no .json file", file=str(folder),
                                       expected="conv_7/predictions.json, conv_7.json or 7.json per conversation"))


def _wide_item_id(column: str) -> int | None:
    match = _ITEM_KEY.fullmatch(column)
    if column.startswith("item_") and match is not None and len(match.group(1)) <= 10:
        value = int(match.group(1))
        return value if value <= ID_MAX else None
    return None


def _check_key(parsed: ParsedPredictions, line: int, name: str, value: Any) -> int | None:
    key = as_int(value)
    if key is None:
        parsed.problem("predictions.value", f"{name} {_short(value)!r} is not an integer", line, column=name,
                       value=_shown(value), expected="an integer id")
    elif not 0 <= key <= ID_MAX:
        parsed.problem("predictions.value", f"{name} {_shown(key)} is not an id of the dataset", line,
                       column=name, value=_shown(key), expected=f"an integer id 0..{ID_MAX}")
        return None
    return key


def _parse_long(header: list[str], rows: list[tuple[int, list[Any]]], parsed: ParsedPredictions) -> None:
    extra = [h for h in header if h not in ("conversation_id", "item_id", "rating")]
    if extra:
        parsed.problem("predictions.columns",
                       f"unknown columns in the long layout: {', '.join(extra)} "
                       "(expected exactly conversation_id, item_id, rating)", 1, value=extra)
        return
    at = {name: header.index(name) for name in ("conversation_id", "item_id", "rating")}
    for line, row in rows:
        cid = _check_key(parsed, line, "conversation_id", row[at["conversation_id"]])
        iid = _check_key(parsed, line, "item_id", row[at["item_id"]])
        raw = row[at["rating"]]
        keys = {"conversation_id": cid, "item_id": iid}
        if _is_blank(raw):
            parsed.problem("predictions.value", "rating is blank (leave the row out to skip a cell)", line,
                           column="rating", keys=keys, expected="an integer 1..5")
            rating = None
        else:
            rating = as_int(raw)
            if rating is None or rating not in RATING_VALUES:
                parsed.problem("predictions.range", f"rating {raw!r} is not an integer 1..5", line,
                               column="rating", keys=keys, value=raw, expected="an integer 1..5")
                rating = None
        if cid is None or iid is None:
            continue
        if rating is None:
            parsed.rejected.add((cid, iid))
            continue
        parsed.conversation_ids.append(cid)
        parsed.item_ids.append(iid)
        parsed.ratings.append(rating)
        parsed.rows.append(line)


def _parse_wide(header: list[str], rows: list[tuple[int, list[Any]]], parsed: ParsedPredictions) -> None:
    item_columns = [(pos, h, _wide_item_id(h)) for pos, h in enumerate(header) if _wide_item_id(h) is not None]
    known = {"conversation_id", "rating_vec"} | WIDE_IGNORED_COLUMNS
    extra = [h for h in header if h not in known and _wide_item_id(h) is None]
    if extra:
        parsed.problem("predictions.columns",
                       f"unknown columns in the wide layout: {', '.join(extra)} (expected conversation_id, "
                       "item_1..item_N and optionally rating_vec and the raw rating files' columns)",
                       1, value=extra)
        return
    at_cid = header.index("conversation_id")
    at_vec = header.index("rating_vec") if "rating_vec" in header else None
    for line, row in rows:
        cid = _check_key(parsed, line, "conversation_id", row[at_cid])
        cells: list[int | None] = []
        for pos, column, iid in item_columns:
            raw = row[pos]
            value = None if _is_blank(raw) else as_int(raw)
            cells.append(value)
            if _is_blank(raw) or value == -1:
                continue  # not predicted (the raw files write -1 for items outside the catalogue)
            keys = {"conversation_id": cid, "item_id": iid}
            if value is None or value not in RATING_VALUES:
                parsed.problem("predictions.range", f"{column} = {raw!r} is not an integer 1..5 (or -1)",
                               line, column=column, keys=keys, value=raw, expected="1..5, or -1 / blank")
                if cid is not None and iid is not None:
                    parsed.rejected.add((cid, iid))
                continue
            if cid is None or iid is None:
                continue
            parsed.conversation_ids.append(cid)
            parsed.item_ids.append(iid)
            parsed.ratings.append(value)
            parsed.rows.append(line)
        if at_vec is not None:
            _check_rating_vec(parsed, line, cid, row[at_vec], [-1 if c is None else c for c in cells])


def _check_rating_vec(parsed: ParsedPredictions, line: int, cid: int | None, raw: Any, cells: list[int]) -> None:
    if _is_blank(raw):
        return
    try:
        vector = json.loads(raw) if isinstance(raw, str) else list(raw)
    except (ValueError, TypeError, RecursionError):  # RecursionError: a list literal nested too deeply
        vector = None
    if not isinstance(vector, list) or any(as_int(v) is None for v in vector):
        parsed.problem("predictions.rating-vec", "rating_vec is not a list of integers", line,
                       column="rating_vec", keys={"conversation_id": cid}, value=raw)
        return
    if [as_int(v) for v in vector] != cells:
        parsed.problem("predictions.rating-vec", "rating_vec differs from the item columns", line,
                       column="rating_vec", keys={"conversation_id": cid}, value=raw, expected=cells)


def _ranges(values: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"`` (capped), for messages listing item ids."""
    parts: list[str] = []
    values = sorted(values)
    start = prev = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    if len(parts) > _MAX_LISTED_ITEMS:
        parts = [*parts[:_MAX_LISTED_ITEMS], "…"]
    return ", ".join(parts)


def _valid_ratings(ratings: pa.ChunkedArray | pa.Array) -> list[bool]:
    """Per value: an integer 1..5 (``3``, ``3.0`` and ``"3"`` are; null, ``2.5``, ``6``, ``"x"`` are not)."""
    if pa.types.is_integer(ratings.type) or pa.types.is_floating(ratings.type):
        return [bool(v) for v in _valid_numbers(ratings).to_pylist()]
    return [as_int(v) in RATING_VALUES for v in ratings.to_pylist()]


def _valid_numbers(ratings: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """:func:`_valid_ratings` of integer or floating ``ratings``, as a boolean array."""
    import pyarrow.compute as pc

    inside = pc.is_in(ratings.cast(pa.float64()), value_set=pa.array([float(k) for k in RATING_VALUES]))
    return pc.fill_null(inside, False)


def integer_ratings(ratings: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Ratings that passed :func:`check_predictions` as an int64 array."""
    if pa.types.is_integer(ratings.type) or pa.types.is_floating(ratings.type):
        return pa.array(ratings.to_numpy(zero_copy_only=False).astype("int64"), pa.int64())
    return pa.array([as_int(v) for v in ratings.to_pylist()], pa.int64())


def _items(values: list[int]) -> str:
    return f"item {values[0]}" if len(values) == 1 else f"items {_ranges(values)}"


def check_predictions(tables: dict[str, pa.Table], predictions: pa.Table, allow_missing: bool = False,
                      source: str = "predictions", rejected: set[tuple[int, int]] | None = None,
                      truth: pa.Table | None = None) -> list[Finding]:
    """Every reason ``predictions`` cannot be scored against the ground truth of ``tables``.

    Null or out-of-range values, duplicate cells, cells that have no ground truth (extra) and, unless
    ``allow_missing``, ground-truth cells without a prediction (one finding per conversation).
    ``rejected`` holds cells already reported as bad values, not to be reported again as missing.
    ``truth`` is :func:`ground_truth` of ``tables`` when the caller has it already.
    """
    missing_columns = [c for c in PREDICTION_COLUMNS if c not in predictions.column_names]
    if missing_columns:
        return [finding("predictions.columns", f"missing columns: {', '.join(missing_columns)}",
                        file=source, value=predictions.column_names)]
    truth = ground_truth(tables) if truth is None else truth
    if _scorable(tables, truth, predictions, allow_missing):
        return []
    return _prediction_problems(tables, truth, predictions, allow_missing, source, rejected)


def _scorable(tables: dict[str, pa.Table], truth: pa.Table, predictions: pa.Table, allow_missing: bool) -> bool:
    """Whether :func:`_prediction_problems` finds nothing, decided column-wise: no null or out-of-range
    key, every rating valid, no cell twice, every cell rated by the Seeker or in the catalogue and, unless
    ``allow_missing``, every rated cell predicted. False sends the caller to the row loop, which then names
    the problems (or, for keys it alone can compare, finds that there are none)."""
    import pyarrow.compute as pc

    cells = pair_codes(predictions.column("conversation_id"), predictions.column("item_id"))
    ratings = predictions.column("rating")
    if cells is None or not (pa.types.is_integer(ratings.type) or pa.types.is_floating(ratings.type)):
        return False
    if not pc.all(_valid_numbers(ratings)).as_py() or has_repeats(cells):
        return False
    rated = pair_codes(truth.column("conversation_id"), truth.column("item_id"))
    catalogue = tables.get("conversation_items")
    listed = (np.empty(0, np.int64) if catalogue is None
              else pair_codes(catalogue.column("conversation_id"), catalogue.column("item_id")))
    if rated is None or listed is None:
        return False

    def all_in(values: np.ndarray, *pools: np.ndarray) -> bool:
        return bool((positions(values, np.concatenate(pools)) >= 0).all())

    return all_in(cells, rated, listed) and (allow_missing or all_in(rated, cells))


def _prediction_problems(tables: dict[str, pa.Table], truth: pa.Table, predictions: pa.Table, allow_missing: bool,
                         source: str, rejected: set[tuple[int, int]] | None) -> list[Finding]:
    """The row loop of :func:`check_predictions`: every problem, with its message."""
    problems: list[Finding] = []
    truth_keys = set(zip(truth.column("conversation_id").to_pylist(), truth.column("item_id").to_pylist(),
                         strict=True))
    conversations = set(truth.column("conversation_id").to_pylist())
    # a model sees the catalogue, not which cells the Seeker rated: predicting an unrated catalogue cell is
    # no error (the cell is simply not scored)
    catalogue = tables.get("conversation_items")
    catalogue_keys = set() if catalogue is None else set(zip(
        catalogue.column("conversation_id").to_pylist(), catalogue.column("item_id").to_pylist(), strict=True))
    cids = predictions.column("conversation_id").to_pylist()
    iids = predictions.column("item_id").to_pylist()
    values = predictions.column("rating")
    rows = (predictions.column("source_row").to_pylist() if "source_row" in predictions.column_names
            else [None] * predictions.num_rows)

    def where(n: int) -> dict[str, Any]:
        return {"row": rows[n]} if rows[n] is not None else {"keys": {"index": n}}

    valid = _valid_ratings(predictions.column("rating"))
    seen: dict[tuple[int, int], int] = {}
    extra: dict[int, list[int]] = {}
    for n, (cid, iid) in enumerate(zip(cids, iids, strict=True)):
        keys = {"conversation_id": cid, "item_id": iid}
        if cid is None or iid is None:
            problems.append(finding("predictions.value", "conversation_id or item_id is null", file=source,
                                    **where(n)))
            continue
        if not valid[n]:
            value = values[n].as_py()
            problems.append(finding("predictions.range", f"rating {value!r} is not an integer 1..5",
                                    file=source, keys=keys, value=value, expected="an integer 1..5",
                                    row=rows[n]))
        key = (cid, iid)
        if key in seen:
            first = seen[key]
            first_at = f"row {rows[first]}" if rows[first] is not None else f"index {first}"
            problems.append(finding("predictions.duplicate",
                                    f"conversation {cid}, item {iid} is predicted twice (first at {first_at})",
                                    file=source, keys=keys, row=rows[n]))
            continue
        seen[key] = n
        if key not in truth_keys and key not in catalogue_keys:
            extra.setdefault(cid, []).append(iid)
    for cid in sorted(extra):
        if cid in conversations:
            message = (f"{_items(extra[cid])} of conversation {cid}: no Seeker rating (not in the "
                       "conversation's catalogue)")
        else:
            message = f"conversation {cid} is not in the dataset ({len(extra[cid])} predictions)"
        problems.append(finding("predictions.extra", message, file=source, keys={"conversation_id": cid},
                                value=sorted(extra[cid])[:50]))
    if not allow_missing:
        covered = set(seen) | (rejected or set())
        missing: dict[int, list[int]] = {}
        for key in sorted(truth_keys - covered):
            missing.setdefault(key[0], []).append(key[1])
        for cid in sorted(missing):
            problems.append(finding(
                "predictions.missing",
                f"no prediction for {_items(missing[cid])} of conversation {cid}",
                file=source, keys={"conversation_id": cid}, value=missing[cid][:50]))
    return problems


def read_predictions(path: Path, tables: dict[str, pa.Table]) -> pa.Table:
    """A predictions file (CSV or Parquet; long or wide layout) as a long table.

    Columns: conversation_id, item_id, rating, source_row (CSV line number or 1-based Parquet record).
    Raises :class:`PredictionsInvalid` listing every layout, value, range, duplicate and extra-cell problem
    (missing cells are :func:`evaluate`'s business, since ``--allow-missing`` accepts them).
    """
    parsed = parse_predictions(path)
    table = parsed.table()
    problems = parsed.problems + check_predictions(tables, table, allow_missing=True, source=parsed.source)
    if problems:
        raise PredictionsInvalid(problems, parsed.source)
    return table


def render_problems(error: PredictionsInvalid, limit: int = 25) -> str:
    """A short listing of the problems of a predictions file (grouped counts, then the first ``limit``)."""
    counts = Counter(f.code for f in error.findings)
    summary = ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
    lines = [f"{error.source}: the predictions cannot be scored ({summary}):"]
    for item in error.findings[:limit]:
        location = item.location
        if item.file and item.file != error.source:  # a file of a folder, or one predictor of several
            location = f"{item.file}{', ' + location if location else ''}"
        lines.append(f"  {item.code}  {location + ': ' if location else ''}{item.message}")
    if len(error.findings) > limit:
        lines.append(f"  … and {len(error.findings) - limit} more (use --format json for the full list)")
    if counts.get("predictions.missing"):
        lines.append("hint: --allow-missing scores the predicted cells only and reports the coverage")
    return "\n".join(lines)


def problems_json(error: PredictionsInvalid) -> str:
    """The problems of a predictions file as a JSON document (for ``--format json``)."""
    return json.dumps({"format_version": PROBLEMS_FORMAT_VERSION, "valid": False, "source": error.source,
                       "problems": [f.to_dict() for f in error.findings]}, indent=2, ensure_ascii=False) + "\n"
