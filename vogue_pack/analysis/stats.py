"""Dataset statistics computed from the tidy tables (never typed in): `vogue-pack stats` and the dataset card.

Definitions are in docs/metrics.md. Every number comes from the tables: a truncated or mis-built release
shows up as different statistics, never as silently copied paper numbers.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vogue_pack.analysis.columns import has_repeats, pair_codes, positions
from vogue_pack.analysis.columns import typed as _typed
from vogue_pack.console import human_number
from vogue_pack.errors import UsageError
from vogue_pack.raw.model import empty_table

STATS_FORMAT_VERSION = "1"
ROLES = ("Seeker", "Assistant")
RATING_VALUES = (1, 2, 3, 4, 5)
STATS_FORMATS = ("table", "markdown", "json")


@dataclass(frozen=True)
class Source:
    """The tables of a raw tree or a release, and how many validation errors the raw tree has."""

    tables: dict[str, pa.Table]
    kind: str  # "raw" or "release"
    validation_errors: int = 0


def load_source(path: Path, images: bool = True) -> Source:
    """The tidy tables of a release folder (``tables/*.parquet``) or of a raw tree (via the validator).

    A release is recognised by its ``tables/`` folder; anything else is read as a raw tree with
    ``vogue_pack.validate.pipeline.validate`` (the same tables that validation checks and ``build`` releases);
    ``images=False`` skips the image checks there (the images and duplicate_pairs tables are then empty).
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    tables_dir = path / "tables"
    if tables_dir.is_dir():
        import pyarrow.parquet as pq

        files = sorted(tables_dir.glob("*.parquet"))
        if not files:
            raise UsageError(f"{tables_dir}: a release's tables folder holds no .parquet file")
        return Source({file.stem: pq.read_table(file) for file in files}, "release")
    if not path.is_dir():
        raise UsageError(f"{path}: expected a raw tree or a release folder (with tables/*.parquet)")
    from vogue_pack.validate.pipeline import ValidateOptions, validate

    validation = validate(path, ValidateOptions(check_images=images))
    return Source(dict(validation.tables), "raw", validation.report.error_count)


def load_tables(path: Path) -> dict[str, pa.Table]:
    """The tidy tables of a raw tree or a release folder (see :func:`load_source`)."""
    return load_source(path).tables


def _table(tables: dict[str, pa.Table], name: str) -> pa.Table:
    """``tables[name]``, or the model's empty table when it is absent (a raw file that failed to load)."""
    table = tables.get(name)
    return table if table is not None else empty_table(name)


def _column(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


def _ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None (JSON null) when the denominator is zero."""
    return numerator / denominator if denominator else None


def _summary(values: list[int]) -> dict[str, Any]:
    """Total, mean, min and max of per-conversation counts."""
    if not values:
        return {"total": 0, "mean": None, "min": None, "max": None}
    return {"total": sum(values), "mean": sum(values) / len(values), "min": min(values), "max": max(values)}


def _role_counts(table: pa.Table, weight: str | None = None) -> dict[str, int]:
    """Rows (or the sum of column ``weight``) per role of ``table``'s ``role`` column."""
    out = dict.fromkeys(ROLES, 0)
    if table.num_rows == 0 or "role" not in table.column_names:
        return out
    for role in ROLES:
        mask = pc.fill_null(pc.equal(table.column("role"), role), False)
        if weight is None:
            out[role] = int(pc.sum(mask.cast(pa.int64())).as_py() or 0)
        else:
            out[role] = int(pc.sum(pc.filter(table.column(weight), mask).cast(pa.int64())).as_py() or 0)
    return out


def compute_stats(tables: dict[str, pa.Table]) -> dict[str, Any]:
    """Dataset statistics as a JSON-ready, deterministic dict (format version 1).

    Absent tables count as empty. Averages over an empty set are None. See docs/metrics.md for
    each key.
    """
    conversations = _table(tables, "conversations")
    turns = _table(tables, "turns")
    utterances = _table(tables, "utterances")
    participants = _table(tables, "participants")
    rating_rows = _table(tables, "rating_rows")

    conversation_ids = sorted({c for c in _column(conversations, "conversation_id") if c is not None})
    n_conversations = len(conversation_ids)

    # Turns, utterances and whitespace tokens, in total and per role.
    n_turns = turns.num_rows
    n_utterances = utterances.num_rows
    n_tokens = int(pc.sum(utterances.column("n_tokens").cast(pa.int64())).as_py() or 0)
    turns_by_role = _role_counts(turns)
    utterances_by_role = _role_counts(utterances)
    tokens_by_role = _role_counts(utterances, "n_tokens")
    by_role = {
        role: {
            "turns": turns_by_role[role],
            "utterances": utterances_by_role[role],
            "tokens": tokens_by_role[role],
            "tokens_per_turn": _ratio(tokens_by_role[role], turns_by_role[role]),
            "utterances_per_turn": _ratio(utterances_by_role[role], turns_by_role[role]),
        }
        for role in ROLES
    }

    # Participants: everyone with a profile, and everyone who took part in a conversation.
    profile_roles = _role_counts(participants)
    active, pairs = _participants_in_conversations(rating_rows)

    stats: dict[str, Any] = {
        "format_version": STATS_FORMAT_VERSION,
        "conversations": n_conversations,
        "participants": {**profile_roles, "total": participants.num_rows},
        "participants_in_conversations": {role: active[role] for role in ROLES} | {"pairs": pairs},
        "turns": n_turns,
        "utterances": n_utterances,
        "tokens": n_tokens,
        "turns_per_conversation": _ratio(n_turns, n_conversations),
        "utterances_per_turn": _ratio(n_utterances, n_turns),
        "tokens_per_turn": _ratio(n_tokens, n_turns),
        "tokens_per_utterance": _ratio(n_tokens, n_utterances),
        "by_role": by_role,
        "items": _item_stats(conversation_ids, _table(tables, "conversation_items")),
        "ratings": _rating_stats(_table(tables, "item_ratings")),
        "satisfaction": _satisfaction_stats(_table(tables, "satisfaction")),
        "tags": _tag_stats(utterances),
        "images": _image_stats(_table(tables, "images"), _table(tables, "duplicate_pairs")),
        "profile_repeats": _repeat_stats(_table(tables, "profile_ratings")),
    }
    return stats


def _participants_in_conversations(rating_rows: pa.Table) -> tuple[dict[str, int], int]:
    """Distinct participants per role in the rating rows, and distinct (Seeker, Assistant) pairs of the
    conversations that name both."""
    if _typed(rating_rows, {"conversation_id": pa.types.is_integer, "role": pa.types.is_string,
                            "participant_id": pa.types.is_string}) and not any(
            rating_rows.column(name).null_count for name in ("conversation_id", "role")):
        rows = rating_rows.select(["conversation_id", "role", "participant_id"]).filter(
            pc.is_valid(rating_rows.column("participant_id")))
        if not _repeats_a_pair(rows, ["conversation_id", "role"]):  # (never repeated in a valid table)
            sides = {role: rows.filter(pc.equal(rows.column("role"), role)).select(
                ["conversation_id", "participant_id"]).rename_columns(["conversation_id", role]) for role in ROLES}
            both = sides["Seeker"].join(sides["Assistant"], keys="conversation_id", join_type="inner")
            pairs = both.group_by(list(ROLES)).aggregate([]).num_rows
            return {role: len(pc.unique(sides[role].column(role))) for role in ROLES}, pairs
    active: dict[str, set[str]] = {role: set() for role in ROLES}
    for role, pid in zip(_column(rating_rows, "role"), _column(rating_rows, "participant_id"), strict=True):
        if role in active and pid is not None:
            active[role].add(str(pid))
    found: set[tuple[str, str]] = set()
    by_conversation: dict[Any, dict[str, str]] = {}
    for cid, role, pid in zip(_column(rating_rows, "conversation_id"), _column(rating_rows, "role"),
                              _column(rating_rows, "participant_id"), strict=True):
        if pid is not None:
            by_conversation.setdefault(cid, {})[str(role)] = str(pid)
    for roles in by_conversation.values():
        if "Seeker" in roles and "Assistant" in roles:
            found.add((roles["Seeker"], roles["Assistant"]))
    return {role: len(active[role]) for role in ROLES}, len(found)


def _item_stats_rows(conversation_ids: list[int], conversation_items: pa.Table) -> dict[str, Any]:
    """Catalogue, mentioned and chosen items per conversation (conversations without rows count 0)."""
    catalogue: Counter[Any] = Counter()
    mentioned: Counter[Any] = Counter()
    chosen: Counter[Any] = Counter()
    for cid, is_mentioned, is_chosen in zip(_column(conversation_items, "conversation_id"),
                                            _column(conversation_items, "mentioned"),
                                            _column(conversation_items, "chosen"), strict=True):
        catalogue[cid] += 1
        mentioned[cid] += bool(is_mentioned)
        chosen[cid] += bool(is_chosen)
    ids = conversation_ids or sorted(catalogue)
    return {
        "catalogue_items_per_conversation": _summary([catalogue[c] for c in ids]),
        "mentioned_per_conversation": _summary([mentioned[c] for c in ids]),
        "chosen_per_conversation": _summary([chosen[c] for c in ids]),
    }


def _rating_stats_rows(item_ratings: pa.Table) -> dict[str, Any]:
    """Distribution of the 1..5 item ratings of each role (unreadable cells counted apart)."""
    counts: dict[str, Counter[int]] = {role: Counter() for role in ROLES}
    unreadable: Counter[str] = Counter()
    for role, rating in zip(_column(item_ratings, "role"), _column(item_ratings, "rating"), strict=True):
        if role not in counts:
            continue
        if rating is None:
            unreadable[role] += 1
        else:
            counts[role][int(rating)] += 1
    return _rating_summary(counts, unreadable)


def _rating_summary(counts: dict[str, Counter[int]], unreadable: Counter[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for role in ROLES:
        total = sum(counts[role].values())
        distribution = {str(k): counts[role].get(k, 0) for k in RATING_VALUES}
        extra = sorted(k for k in counts[role] if k not in RATING_VALUES)
        distribution.update({str(k): counts[role][k] for k in extra})
        out[role] = {
            "count": total,
            "distribution": distribution,
            "mean": _ratio(sum(k * n for k, n in counts[role].items()), total),
            "unreadable": unreadable.get(role, 0),
        }
    return out


def _satisfaction_stats_rows(satisfaction: pa.Table) -> list[dict[str, Any]]:
    """Mean Likert score of each of the five post-conversation questions (blanks excluded, counted)."""
    rows: dict[int, dict[str, Any]] = {}
    for question, statement, score in zip(_column(satisfaction, "question"),
                                          _column(satisfaction, "statement"),
                                          _column(satisfaction, "score"), strict=True):
        if question is None:
            continue
        row = rows.setdefault(int(question), {"question": int(question), "statement": statement,
                                              "answered": 0, "blank": 0, "sum": 0.0})
        if score is None or (isinstance(score, float) and math.isnan(score)):
            row["blank"] += 1
        else:
            row["answered"] += 1
            row["sum"] += float(score)
    result = []
    for question in sorted(rows):
        row = rows[question]
        total = row.pop("sum")
        row["mean"] = _ratio(total, row["answered"])
        result.append(row)
    return result


def _tag_stats(utterances: pa.Table) -> dict[str, dict[str, int]]:
    """Frequency of each dialogue-act code per role, most frequent first (ties by code)."""
    out: dict[str, dict[str, int]] = {}
    for role in ROLES:
        mask = pc.fill_null(pc.equal(utterances.column("role"), role), False)
        codes = pc.drop_null(pc.list_flatten(pc.filter(utterances.column("tags"), mask)))
        counts = pc.value_counts(codes).to_pylist() if len(codes) else []
        out[role] = {str(c["values"]): int(c["counts"])
                     for c in sorted(counts, key=lambda c: (-c["counts"], c["values"]))}
    return out


def _image_stats(images: pa.Table, duplicate_pairs: pa.Table) -> dict[str, Any]:
    """Image counts and duplicate clusters (pairs of different items with (near-)identical images)."""
    kinds = Counter(str(k) for k in _column(duplicate_pairs, "kind"))
    members: dict[Any, set[Any]] = {}
    for a, b, cluster in zip(_column(duplicate_pairs, "item_a"), _column(duplicate_pairs, "item_b"),
                             _column(duplicate_pairs, "cluster"), strict=True):
        members.setdefault(cluster, set()).update((a, b))
    return {
        "images": images.num_rows,
        "images_ok": sum(1 for ok in _column(images, "ok") if ok),
        "duplicate_pairs": duplicate_pairs.num_rows,
        "exact_pairs": kinds.get("exact", 0),
        "near_pairs": kinds.get("near", 0),
        "duplicate_clusters": len(members),
        "items_in_duplicate_clusters": sum(len(m) for m in members.values()),
    }


def _repeat_stats_rows(profile_ratings: pa.Table) -> dict[str, Any]:
    """Rater consistency on the repeated profile-survey items (information, not a finding).

    A repeat cell (``item_k_duplicate``) is compared with its base cell ``item_k`` of the same
    participant when both are rated.
    """
    base: dict[tuple[Any, Any], Any] = {}
    repeats: list[tuple[Any, Any, Any]] = []
    for pid, item, is_repeat, rating in zip(_column(profile_ratings, "participant_id"),
                                            _column(profile_ratings, "item_id"),
                                            _column(profile_ratings, "is_repeat"),
                                            _column(profile_ratings, "rating"), strict=True):
        if is_repeat:
            repeats.append((pid, item, rating))
        else:
            base[(pid, item)] = rating
    compared = agree = 0
    abs_diff = 0
    for pid, item, rating in repeats:
        original = base.get((pid, item))
        if rating is None or original is None:
            continue
        compared += 1
        agree += rating == original
        abs_diff += abs(int(rating) - int(original))
    return {
        "repeat_cells": len(repeats),
        "repeated_items": len({item for _, item, _ in repeats}),
        "compared": compared,
        "agree": agree,
        "disagree": compared - agree,
        "agreement": _ratio(agree, compared),
        "mean_abs_difference": _ratio(abs_diff, compared),
    }


# --- column-wise versions: the same numbers as the row loops (``*_rows``), which stay as the definition and
# the fallback for a table whose columns are absent or of another type (a raw file that failed to load).


def _repeats_a_pair(table: pa.Table, keys: list[str]) -> bool:
    """Whether two rows of ``table`` have the same values in ``keys``."""
    counts = table.select(keys).group_by(keys).aggregate([([], "count_all")]).column("count_all")
    return bool(len(counts)) and int(pc.max(counts).as_py()) > 1


def _item_stats(conversation_ids: list[int], conversation_items: pa.Table) -> dict[str, Any]:
    """Catalogue, mentioned and chosen items per conversation (conversations without rows count 0)."""
    if not _typed(conversation_items, {"conversation_id": pa.types.is_integer, "mentioned": pa.types.is_boolean,
                                       "chosen": pa.types.is_boolean}):
        return _item_stats_rows(conversation_ids, conversation_items)
    flags = {name: pc.fill_null(conversation_items.column(name), False).cast(pa.int64())
             for name in ("mentioned", "chosen")}
    grouped = pa.table({"cid": conversation_items.column("conversation_id"), **flags}).group_by("cid").aggregate(
        [([], "count_all"), ("mentioned", "sum"), ("chosen", "sum")])
    cids = grouped.column("cid").to_pylist()
    catalogue = dict(zip(cids, grouped.column("count_all").to_pylist(), strict=True))
    mentioned = dict(zip(cids, grouped.column("mentioned_sum").to_pylist(), strict=True))
    chosen = dict(zip(cids, grouped.column("chosen_sum").to_pylist(), strict=True))
    ids = conversation_ids or sorted(catalogue)
    return {
        "catalogue_items_per_conversation": _summary([catalogue.get(c, 0) for c in ids]),
        "mentioned_per_conversation": _summary([mentioned.get(c, 0) for c in ids]),
        "chosen_per_conversation": _summary([chosen.get(c, 0) for c in ids]),
    }


def _rating_stats(item_ratings: pa.Table) -> dict[str, Any]:
    """Distribution of the 1..5 item ratings of each role (unreadable cells counted apart)."""
    if not _typed(item_ratings, {"role": pa.types.is_string, "rating": pa.types.is_integer}):
        return _rating_stats_rows(item_ratings)
    counts: dict[str, Counter[int]] = {role: Counter() for role in ROLES}
    unreadable: Counter[str] = Counter()
    grouped = item_ratings.select(["role", "rating"]).group_by(["role", "rating"]).aggregate([([], "count_all")])
    for role, rating, n in zip(grouped.column("role").to_pylist(), grouped.column("rating").to_pylist(),
                               grouped.column("count_all").to_pylist(), strict=True):
        if role not in counts:
            continue
        if rating is None:
            unreadable[role] += n
        else:
            counts[role][int(rating)] += n
    return _rating_summary(counts, unreadable)


def _satisfaction_stats(satisfaction: pa.Table) -> list[dict[str, Any]]:
    """Mean Likert score of each of the five post-conversation questions (blanks excluded, counted)."""
    if not _typed(satisfaction, {"question": pa.types.is_integer, "statement": pa.types.is_string,
                                 "score": lambda t: pa.types.is_floating(t) or pa.types.is_integer(t)}):
        return _satisfaction_stats_rows(satisfaction)
    question = satisfaction.column("question")
    result = []
    for value in sorted(q for q in pc.unique(question).to_pylist() if q is not None):
        mask = pc.fill_null(pc.equal(question, value), False)
        first = pc.index(mask, True).as_py()
        scores = pc.filter(satisfaction.column("score"), mask).cast(pa.float64())
        answered = pc.drop_null(pc.if_else(pc.is_nan(scores), None, scores))
        total = _exact_sum(answered)
        row: dict[str, Any] = {"question": int(value), "statement": satisfaction.column("statement")[first].as_py(),
                               "answered": len(answered), "blank": len(scores) - len(answered)}
        row["mean"] = _ratio(total, row["answered"])
        result.append(row)
    return result


def _exact_sum(values: pa.ChunkedArray | pa.Array) -> float:
    """The float the row loop adds up (0.0, then each value in order). Whole numbers of moderate size add up
    exactly in any order, so Arrow's sum gives that float; other values are added one at a time in order."""
    if not len(values):
        return 0.0
    whole = pc.all(pc.equal(values, pc.floor(values))).as_py()
    largest = pc.max(pc.abs(values)).as_py()
    if whole and largest is not None and largest * len(values) < 2.0 ** 52:
        return float(pc.sum(values).as_py() or 0.0)
    total = 0.0
    for value in values.to_pylist():
        total += value
    return total


def _repeat_stats(profile_ratings: pa.Table) -> dict[str, Any]:
    """Rater consistency on the repeated profile-survey items (information, not a finding); see
    :func:`_repeat_stats_rows`."""
    names = ["participant_id", "item_id", "is_repeat", "rating"]
    if not _typed(profile_ratings, {"participant_id": lambda t: pa.types.is_string(t) or pa.types.is_integer(t),
                                    "item_id": pa.types.is_integer, "is_repeat": pa.types.is_boolean,
                                    "rating": pa.types.is_integer}) or any(
            profile_ratings.column(name).null_count for name in names[:2]):
        return _repeat_stats_rows(profile_ratings)
    table = profile_ratings.select(names)
    people = pc.dictionary_encode(table.column("participant_id").combine_chunks()).indices  # one number each
    cells = pair_codes(people, table.column("item_id"))
    repeat = pc.fill_null(table.column("is_repeat"), False)
    is_repeat = np.asarray(repeat.to_numpy(zero_copy_only=False), dtype=bool)
    if cells is None or has_repeats(cells[~is_repeat]):  # a base cell twice: the row loop keeps the last
        return _repeat_stats_rows(profile_ratings)
    at = positions(cells[is_repeat], cells[~is_repeat])
    repeats = table.filter(repeat)
    rating = repeats.column("rating")
    original = table.column("rating").filter(pc.invert(repeat)).take(pa.array(at, mask=at < 0))
    both = pc.and_(pc.is_valid(rating), pc.is_valid(original))
    rating, original = rating.filter(both).cast(pa.int64()), original.filter(both).cast(pa.int64())
    compared = len(rating)
    agree = int(pc.sum(pc.equal(rating, original).cast(pa.int64())).as_py() or 0)
    abs_diff = int(pc.sum(pc.abs(pc.subtract(rating, original))).as_py() or 0)
    return {
        "repeat_cells": repeats.num_rows,
        "repeated_items": len(pc.unique(repeats.column("item_id"))),
        "compared": compared,
        "agree": agree,
        "disagree": compared - agree,
        "agreement": _ratio(agree, compared),
        "mean_abs_difference": _ratio(abs_diff, compared),
    }


# --- rendering ---------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return human_number(value, grouping=True)
    return str(value)


def _distribution_text(distribution: dict[str, int]) -> str:
    total = sum(distribution.values())
    parts = []
    for key, count in distribution.items():
        share = f" ({100 * count / total:.1f}%)" if total else ""
        parts.append(f"{key}: {count}{share}")
    return ", ".join(parts)


def _summary_text(summary: dict[str, Any]) -> str:
    return (f"mean {_fmt(summary['mean'])} (min {_fmt(summary['min'])}, max {_fmt(summary['max'])}, "
            f"total {_fmt(summary['total'])})")


def stats_sections(stats: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The statistics as titled sections of (label, text) rows: the shared shape of text and markdown."""
    roles = stats["by_role"]
    overview = [
        ("conversations", _fmt(stats["conversations"])),
        ("participants (profiles)", f"{_fmt(stats['participants']['total'])} "
         f"({_fmt(stats['participants']['Seeker'])} Seekers, "
         f"{_fmt(stats['participants']['Assistant'])} Assistants)"),
        ("participants in conversations",
         f"{_fmt(stats['participants_in_conversations']['Seeker'])} Seekers, "
         f"{_fmt(stats['participants_in_conversations']['Assistant'])} Assistants, "
         f"{_fmt(stats['participants_in_conversations']['pairs'])} pairs"),
        ("turns", _fmt(stats["turns"])),
        ("utterances", _fmt(stats["utterances"])),
        ("tokens (whitespace)", _fmt(stats["tokens"])),
        ("turns per conversation", _fmt(stats["turns_per_conversation"])),
        ("utterances per turn", _fmt(stats["utterances_per_turn"])),
        ("tokens per turn", _fmt(stats["tokens_per_turn"])),
        ("tokens per utterance", _fmt(stats["tokens_per_utterance"])),
    ]
    per_role = []
    for role in ROLES:
        r = roles[role]
        per_role.append((role, f"{_fmt(r['turns'])} turns, {_fmt(r['utterances'])} utterances, "
                               f"{_fmt(r['tokens'])} tokens, {_fmt(r['tokens_per_turn'])} tokens/turn"))
    items = [
        ("catalogue items", _summary_text(stats["items"]["catalogue_items_per_conversation"])),
        ("mentioned items", _summary_text(stats["items"]["mentioned_per_conversation"])),
        ("chosen items", _summary_text(stats["items"]["chosen_per_conversation"])),
    ]
    ratings = []
    for role in ROLES:
        r = stats["ratings"][role]
        ratings.append((role, f"{_distribution_text(r['distribution'])}; mean {_fmt(r['mean'])}"
                        + (f"; {r['unreadable']} unreadable" if r["unreadable"] else "")))
    satisfaction = [
        (f"Q{row['question']}", f"mean {_fmt(row['mean'])} ({row['answered']} answered, {row['blank']} blank): "
                                f"{row['statement']}")
        for row in stats["satisfaction"]
    ]
    tags = [(role, ", ".join(f"{code} {n}" for code, n in stats["tags"][role].items()) or "none")
            for role in ROLES]
    im = stats["images"]
    images = [
        ("images", f"{_fmt(im['images'])} ({_fmt(im['images_ok'])} pass every check)"),
        ("duplicate pairs", f"{_fmt(im['duplicate_pairs'])} ({im['exact_pairs']} exact, {im['near_pairs']} near)"),
        ("duplicate clusters", f"{_fmt(im['duplicate_clusters'])} "
                               f"({_fmt(im['items_in_duplicate_clusters'])} items)"),
    ]
    rep = stats["profile_repeats"]
    repeats = [
        ("repeated cells", f"{_fmt(rep['repeat_cells'])} ({_fmt(rep['repeated_items'])} items)"),
        ("agree with base", f"{_fmt(rep['agree'])} of {_fmt(rep['compared'])} compared "
                            f"({_fmt(rep['disagree'])} disagree; mean |difference| "
                            f"{_fmt(rep['mean_abs_difference'])})"),
    ]
    return [
        ("Overview", overview),
        ("Per role", per_role),
        ("Items per conversation", items),
        ("Item ratings", ratings),
        ("Satisfaction (Seeker, 1..5)", satisfaction),
        ("Dialogue-act tags", tags),
        ("Images", images),
        ("Profile-survey repeats (rater consistency, information only)", repeats),
    ]


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_stats(stats: dict[str, Any], fmt: str) -> str:
    """Render :func:`compute_stats` output as ``table`` (terminal text), ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps(stats, indent=2, ensure_ascii=False) + "\n"
    sections = stats_sections(stats)
    lines: list[str] = []
    if fmt == "markdown":
        for title, rows in sections:
            lines += [f"### {title}", "", "| | |", "|---|---|"]
            lines += [f"| {_markdown_cell(label)} | {_markdown_cell(text)} |" for label, text in rows]
            lines.append("")
        return "\n".join(lines)
    if fmt == "table":
        width = max((len(label) for _, rows in sections for label, _ in rows), default=0)
        for title, rows in sections:
            lines.append(title)
            lines += [f"  {label:<{width}}  {text}" for label, text in rows]
            lines.append("")
        return "\n".join(lines)
    raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(STATS_FORMATS)}")


__all__ = ["STATS_FORMATS", "STATS_FORMAT_VERSION", "Source", "compute_stats", "load_source", "load_tables",
           "render_stats"]
