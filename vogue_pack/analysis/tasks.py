"""The benchmark's model inputs: one JSON record per conversation with what a model may see, nothing more.

Under the paper's protocol a model reads the dialogue, the conversation's catalogue (metadata and images)
and the Seeker's fashion profile and profile-survey ratings, then predicts the Seeker's 1..5 rating of
every catalogue item. The ground truth (the Seeker's and the Assistant's item ratings, ``gt_items``, the
satisfaction answers) must not reach the model. The mechanism is an allow-list: the release's Parquet
tables are read column by column, only the columns listed in :data:`ALLOWED_COLUMNS`; the tables and
columns holding ground truth are never opened (``item_ratings``, ``satisfaction``, ``rating_rows.rating_vec``,
``conversations.gt_items``, ``conversation_items.chosen``, the findings). The protocol: docs/metrics.md
("Tasks").
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa

from vogue_pack.errors import UsageError
from vogue_pack.fsutil import atomic_write_bytes, atomic_write_text

TASKS_FORMAT_VERSION = "1"

# table -> the only columns read from it (anything else in the release is never opened)
ALLOWED_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": ("conversation_id", "catalogue", "scenario", "mentioned_items"),
    "scenarios": ("scenario", "title", "description"),
    "turns": ("conversation_id", "turn", "timestamp", "role"),
    "utterances": ("conversation_id", "turn", "utterance", "text", "tags"),
    "conversation_items": ("conversation_id", "item_id", "mentioned"),
    "items": ("item_id", "catalogue", "categories", "product_name", "product_brand", "product_rating",
              "product_description", "about_product", "product_detail", "reviews"),
    "rating_rows": ("conversation_id", "role", "participant_id"),  # who the Seeker was; never rating_vec
    "participants": ("participant_id", "style_preferences", "style_vibes", "style_vibes_other", "comfort",
                     "style", "practicality", "trends", "brand", "self_expression", "sustainability", "price",
                     "color_importance", "purchase_frequency", "monthly_spend", "best_colors", "clothing_feel"),
    "profile_ratings": ("participant_id", "item_id", "is_repeat", "rating"),
}
# read from the images table when present: the image's place in the release and its digest
_IMAGE_PATH_COLUMNS = ("path", "release_path", "raw_path", "source_path", "source_file")
TEMPLATE_FILES = ("predictions_long.csv", "predictions_long.parquet", "predictions_wide.csv",
                  "predictions.jsonl", "predictions_folder")


def _read_allowed(release: Path) -> dict[str, pa.Table]:
    import pyarrow.parquet as pq

    tables_dir = release / "tables"
    if not tables_dir.is_dir():
        raise UsageError(f"{release}: not a release folder (no tables/); build one with `vogue-pack build`")
    out: dict[str, pa.Table] = {}
    for name, columns in ALLOWED_COLUMNS.items():
        path = tables_dir / f"{name}.parquet"
        if not path.is_file():
            raise UsageError(f"{path}: missing from the release; `vogue-pack verify` says what else is wrong")
        try:
            schema = pq.read_schema(path)
            present = [c for c in columns if c in schema.names]
            out[name] = pq.read_table(path, columns=present)
        except (pa.ArrowException, OSError) as exc:
            raise UsageError(f"{path}: cannot read: {exc}") from exc
    return out


def _safe_release_file(release: Path, relative: str) -> str | None:
    """``relative`` (POSIX) when it names a regular file inside the release (no link, no ``..``), else None."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        return None
    candidate = release.joinpath(*parts)
    if candidate.is_symlink() or not candidate.is_file():
        return None
    return PurePosixPath(*parts).as_posix()


def image_paths(release: Path) -> dict[int, dict[str, Any]]:
    """Item id -> ``{"path": <relative to the release>, "sha256": ...}`` for every image the release holds.

    The path is derived from what the release really contains: the images table's path column when it
    names a file of the release (release-relative), otherwise ``images/<file name>`` of any path column
    (a raw-tree path such as ``metadata/item_7.png`` is copied to ``images/item_7.png`` by ``build``).
    An image whose file is not in the release gets no entry.
    """
    import pyarrow.parquet as pq

    path = release / "tables" / "images.parquet"
    if not path.is_file():
        return {}
    schema = pq.read_schema(path)
    columns = ["item_id", "sha256", *(c for c in _IMAGE_PATH_COLUMNS if c in schema.names)]
    table = pq.read_table(path, columns=[c for c in columns if c in schema.names])
    out: dict[int, dict[str, Any]] = {}
    for row in table.to_pylist():
        candidates = [row[c] for c in _IMAGE_PATH_COLUMNS if isinstance(row.get(c), str)]
        candidates += [f"images/{PurePosixPath(c).name}" for c in candidates]
        for candidate in candidates:
            found = _safe_release_file(release, candidate)
            if found is not None:
                out[int(row["item_id"])] = {"path": found, "sha256": row.get("sha256")}
                break
    return out


def _group(table: pa.Table, key: str) -> dict[Any, list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in table.to_pylist():
        groups[row[key]].append(row)
    return groups


def iter_tasks(release: Path, tags: bool = False) -> Iterator[dict[str, Any]]:
    """The task records of a release, in conversation id order (see the module docstring)."""
    release = Path(release)
    t = _read_allowed(release)
    images = image_paths(release)
    scenarios = {r["scenario"]: r for r in t["scenarios"].to_pylist()}
    items = {r["item_id"]: r for r in t["items"].to_pylist()}
    participants = {r["participant_id"]: r for r in t["participants"].to_pylist()}
    history = _group(t["profile_ratings"], "participant_id")
    seekers = {r["conversation_id"]: r["participant_id"] for r in t["rating_rows"].to_pylist()
               if r.get("role") == "Seeker"}
    turns = _group(t["turns"], "conversation_id")
    utterances: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in t["utterances"].to_pylist():
        utterances[(row["conversation_id"], row["turn"])].append(row)
    catalogue_items = _group(t["conversation_items"], "conversation_id")

    def image(item_id: int) -> dict[str, Any] | None:
        return images.get(item_id)

    for conversation in sorted(t["conversations"].to_pylist(), key=lambda r: r["conversation_id"]):
        cid = conversation["conversation_id"]
        scenario = scenarios.get(conversation.get("scenario"), {})
        transcript = []
        for turn in sorted(turns.get(cid, []), key=lambda r: r["turn"]):
            said = sorted(utterances.get((cid, turn["turn"]), []), key=lambda r: r["utterance"])
            transcript.append({
                "turn": turn["turn"], "role": turn.get("role"), "timestamp": turn.get("timestamp"),
                "utterances": [{"text": u.get("text"), "tags": u.get("tags")} if tags else u.get("text")
                               for u in said],
            })
        catalogue = []
        for entry in sorted(catalogue_items.get(cid, []), key=lambda r: r["item_id"]):
            iid = entry["item_id"]
            metadata = {k: v for k, v in items.get(iid, {}).items() if k != "item_id"}
            catalogue.append({"item_id": iid, "mentioned": bool(entry.get("mentioned")),
                              "metadata": metadata or None, "image": image(iid)})
        seeker_id = seekers.get(cid)
        profile = participants.get(seeker_id) if seeker_id is not None else None
        survey = [{"item_id": r["item_id"], "is_repeat": bool(r.get("is_repeat")), "rating": r.get("rating"),
                   "image": image(r["item_id"])}
                  for r in sorted(history.get(seeker_id, []), key=lambda r: (r["item_id"], bool(r.get("is_repeat"))))]
        yield {
            "format_version": TASKS_FORMAT_VERSION,
            "conversation_id": cid,
            "catalogue": conversation.get("catalogue"),
            "scenario": {"number": conversation.get("scenario"), "title": scenario.get("title"),
                         "description": scenario.get("description")},
            "transcript": transcript,
            "catalogue_items": catalogue,
            "mentioned_items": sorted(conversation.get("mentioned_items") or []),
            "items_to_rate": [c["item_id"] for c in catalogue],
            "seeker": {
                "participant_id": seeker_id,
                "profile": None if profile is None else {k: v for k, v in profile.items() if k != "participant_id"},
                "profile_ratings": survey,
            },
        }


def tasks_jsonl(release: Path, tags: bool = False) -> str:
    """The tasks file's text: one compact JSON record per line (deterministic: same release, same bytes)."""
    return "".join(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for record in iter_tasks(release, tags))


def write_tasks(release: Path, out: Path, tags: bool = False) -> int:
    """Write the tasks file atomically; returns the number of records."""
    text = tasks_jsonl(release, tags)
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        raise UsageError(f"{out}: cannot write the tasks file: {exc.strerror or exc}") from exc
    return text.count("\n")


def write_templates(release: Path, folder: Path) -> list[Path]:
    """Empty predictions (every cell to predict, no rating) in each layout ``evaluate`` reads, in ``folder``.

    Filled in, each one scores; left empty, ``evaluate`` refuses each (blank or missing ratings).
    """
    import pyarrow.parquet as pq

    cells = [(record["conversation_id"], record["items_to_rate"]) for record in iter_tasks(Path(release))]
    folder = Path(folder)
    try:
        long_csv = io.StringIO(newline="")
        writer = csv.writer(long_csv, lineterminator="\n")
        writer.writerow(["conversation_id", "item_id", "rating"])
        writer.writerows([cid, iid, ""] for cid, iids in cells for iid in iids)
        atomic_write_text(folder / "predictions_long.csv", long_csv.getvalue())
        table = pa.table({
            "conversation_id": pa.array([cid for cid, iids in cells for _ in iids], pa.int32()),
            "item_id": pa.array([iid for _, iids in cells for iid in iids], pa.int32()),
            "rating": pa.array([None for _, iids in cells for _ in iids], pa.int16()),
        })
        sink = io.BytesIO()
        pq.write_table(table, sink)
        atomic_write_bytes(folder / "predictions_long.parquet", sink.getvalue())
        all_items = sorted({iid for _, iids in cells for iid in iids})
        wide = io.StringIO(newline="")
        writer = csv.writer(wide, lineterminator="\n")
        writer.writerow(["conversation_id", *(f"item_{iid}" for iid in all_items)])
        writer.writerows([cid, *([""] * len(all_items))] for cid, _ in cells)
        atomic_write_text(folder / "predictions_wide.csv", wide.getvalue())
        atomic_write_text(folder / "predictions.jsonl", "".join(
            json.dumps({"conversation_id": cid, "ratings": dict.fromkeys(str(i) for i in iids)}) + "\n"
            for cid, iids in cells))
        for cid, iids in cells:
            atomic_write_text(folder / "predictions_folder" / f"conv_{cid}" / "predictions.json",
                              json.dumps(dict.fromkeys(str(i) for i in iids), indent=1) + "\n")
    except OSError as exc:
        raise UsageError(f"{folder}: cannot write the templates: {exc.strerror or exc}") from exc
    return [folder / name for name in TEMPLATE_FILES]
