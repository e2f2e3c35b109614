"""The data model: the Arrow schema and description of every tidy table (docs/data-model.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa

from vogue_pack.raw.tree import RELEASE_IMAGES_DIR

FORMAT_VERSION = "2"  # 2: images.path is release-relative, the raw path is images.raw_path


@dataclass(frozen=True)
class Column:
    """One column of a table: name, Arrow type, nullability and a description."""

    name: str
    type: pa.DataType
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class TableSpec:
    """One table of the data model."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def schema(self) -> pa.Schema:
        """The explicit Arrow schema, with column descriptions in the field metadata."""
        return pa.schema(
            [
                pa.field(c.name, c.type, nullable=c.nullable,
                         metadata={"description": c.description})
                for c in self.columns
            ],
            metadata={"description": self.description, "key": ",".join(self.key)},
        )

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


_i32 = pa.int32()
_i16 = pa.int16()
_str = pa.string()
_bool = pa.bool_()
_f64 = pa.float64()

SOURCE_FILE = Column("source_file", _str, "Raw file this row came from, relative to the raw root.", False)
SOURCE_ROW = Column("source_row", _i32, "Line number in the raw CSV (header = 1).", False)

TABLES: dict[str, TableSpec] = {}


def _table(spec: TableSpec) -> None:
    TABLES[spec.name] = spec


_table(TableSpec(
    "scenarios", "The shopping scenarios of conversation_trials/scenarios.json.", ("scenario",),
    (
        Column("scenario", _i32, "Scenario number (the 'Scenario' key).", False),
        Column("title", _str, "Text of Body before the first ': '."),
        Column("description", _str, "Text of Body after the first ': '."),
        Column("body", _str, "The raw Body string."),
        Column("source_pointer", _str, "JSON Pointer of the scenario object in scenarios.json.", False),
    ),
))

_table(TableSpec(
    "catalogue_membership",
    "supplements/catalogue_mapping.csv: every item id (catalogue and profile-survey items) and its "
    "catalogue letter.",
    ("item_id",),
    (
        Column("item_id", _i32, "Global item id.", False),
        Column("catalogue", _str, "Catalogue letter."),
        Column("has_metadata", _bool, "True when metadata/item_{id}.json exists (a catalogue item).", False),
        SOURCE_ROW,
    ),
))

_table(TableSpec(
    "items", "Catalogue item metadata, one row per metadata/item_{id}.json.", ("item_id",),
    (
        Column("item_id", _i32, "The 'id' key (equals the file id).", False),
        Column("catalogue", _str, "Catalogue letter from the item JSON."),
        Column("categories", pa.list_(_str), "Category path, possibly empty."),
        Column("product_name", _str, "Product name."),
        Column("product_brand", _str, "Raw brand byline, e.g. 'Visit the X Store'."),
        Column("product_rating", _f64, "product_rating parsed as a number in [0, 5]."),
        Column("product_rating_raw", _str, "product_rating as written (a string)."),
        Column("product_description", pa.list_(_str), "Description paragraphs, or null."),
        Column("about_product", pa.list_(_str), "'About this item' bullet points."),
        Column("product_detail", pa.list_(pa.struct([pa.field("key", _str, nullable=False), pa.field("value", _str)])),
               "Detail table as {key, value} entries in file order (DuckDB: map_from_entries(product_detail))."),
        Column("reviews", _str, "Review text as one string."),
        SOURCE_FILE,
    ),
))

_table(TableSpec(
    "conversations", "One row per transcript file.", ("conversation_id",),
    (
        Column("conversation_id", _i32, "Conversation id.", False),
        Column("catalogue", _str, "Catalogue letter."),
        Column("scenario", _i32, "Scenario number."),
        Column("session_code", _str, "Session code: catalogue letter + 3 digits (undocumented upstream)."),
        Column("mentioned_items", pa.list_(_i32), "mentioned_items as written (global item ids)."),
        Column("gt_items", pa.list_(_i32), "gt_items as written: the items the Seeker chose."),
        Column("n_turns", _i32, "Number of turns."),
        SOURCE_FILE,
    ),
))

_table(TableSpec(
    "turns", "One row per turn of a transcript.", ("conversation_id", "turn"),
    (
        Column("conversation_id", _i32, "Conversation id.", False),
        Column("turn", _i32, "Turn number (1..n).", False),
        Column("timestamp", _str, "HH:MM:SS as written (clock time or offset)."),
        Column("seconds", _i32, "timestamp converted to seconds."),
        Column("role", _str, "Seeker or Assistant."),
        Column("n_utterances", _i32, "Number of utterances in the turn."),
        Column("source_pointer", _str, "JSON Pointer of the turn in its transcript.", False),
    ),
))

_table(TableSpec(
    "utterances", "One row per utterance, with its tag codes.", ("conversation_id", "turn", "utterance"),
    (
        Column("conversation_id", _i32, "Conversation id.", False),
        Column("turn", _i32, "Turn number.", False),
        Column("utterance", _i32, "Position of the utterance in its turn (1-based).", False),
        Column("role", _str, "Role of the turn."),
        Column("text", _str, "The utterance text."),
        Column("tags", pa.list_(_str), "Dialogue-act codes of the utterance (1..3)."),
        Column("n_tokens", _i32, "Whitespace-split token count of text."),
        Column("source_pointer", _str, "JSON Pointer of the utterance in its transcript.", False),
    ),
))

_table(TableSpec(
    "conversation_items",
    "The catalogue items of each conversation's catalogue, with mentioned/chosen flags.",
    ("conversation_id", "item_id"),
    (
        Column("conversation_id", _i32, "Conversation id.", False),
        Column("item_id", _i32, "Global item id of an item in the conversation's catalogue.", False),
        Column("mentioned", _bool, "Item is in mentioned_items.", False),
        Column("chosen", _bool, "Item is in gt_items (the Seeker chose it).", False),
    ),
))

_table(TableSpec(
    "rating_rows",
    "One row per row of the two item-rating files: who rated which conversation.",
    ("conversation_id", "role"),
    (
        Column("conversation_id", _i32, "Conversation id.", False),
        Column("role", _str, "Seeker or Assistant (the file's role column).", False),
        Column("participant_id", _str, "s<k> or a<k>."),
        Column("catalogue", _str, "Catalogue letter as written in the rating row."),
        Column("scenario", _i32, "Scenario number as written in the rating row."),
        Column("rating_vec", pa.list_(_i32), "The rating_vec list literal."),
        Column("assistant_interpretation", _str, "The Assistant's guess of the scenario (assistant file)."),
        SOURCE_FILE,
        SOURCE_ROW,
    ),
))

_table(TableSpec(
    "item_ratings",
    "Post-conversation ratings (1..5) of items by both roles; cells holding -1 (not rated) are omitted.",
    ("conversation_id", "role", "item_id"),
    (
        Column("conversation_id", _i32, "Conversation id.", False),
        Column("item_id", _i32, "Global item id (from the item_{id} column).", False),
        Column("role", _str, "Seeker (ground truth) or Assistant (prediction).", False),
        Column("participant_id", _str, "Who rated."),
        Column("rating", _i16, "1 = would never buy .. 5 = very likely to buy; null when unreadable."),
        SOURCE_FILE,
        SOURCE_ROW,
    ),
))

_table(TableSpec(
    "satisfaction", "The Seeker's five post-conversation Likert answers.", ("conversation_id", "question"),
    (
        Column("conversation_id", _i32, "Conversation id.", False),
        Column("participant_id", _str, "Seeker id."),
        Column("question", _i16, "1..5 (likert_1..likert_5).", False),
        Column("statement", _str, "The statement rated.", False),
        Column("score", _f64, "1..5, null when blank."),
        SOURCE_ROW,
    ),
))

_table(TableSpec(
    "participants", "fashion_profiles/profiles.csv: one row per participant.", ("participant_id",),
    (
        Column("participant_id", _str, "s<k> (Seeker) or a<k> (Assistant).", False),
        Column("role", _str, "Seeker or Assistant, from the id prefix."),
        Column("style_preferences", _str, "Free text."),
        Column("style_vibes", pa.list_(_str), "Labels of the selected survey options, in order."),
        Column("style_vibes_other", pa.list_(_str), "Selected text that matched no option."),
        Column("style_vibes_raw", _str, "style_vibes as written."),
        Column("comfort", _i16, "Importance 1..5."),
        Column("style", _i16, "Importance 1..5."),
        Column("practicality", _i16, "Importance 1..5."),
        Column("trends", _i16, "Importance 1..5."),
        Column("brand", _i16, "Importance 1..5."),
        Column("self_expression", _i16, "Importance 1..5."),
        Column("sustainability", _i16, "Importance 1..5."),
        Column("price", _i16, "Importance 1..5."),
        Column("color_importance", _i16, "Importance 1..5."),
        Column("purchase_frequency", _str, "Weekly .. Yearly, or free text."),
        Column("monthly_spend", _str, "Spending band, or free text."),
        Column("best_colors", _str, "Free text."),
        Column("clothing_feel", _str, "Free text."),
        SOURCE_ROW,
    ),
))

_table(TableSpec(
    "profile_ratings",
    "fashion_profiles/ratings.csv in long form: participant x profile-survey item cell.",
    ("participant_id", "item_id", "is_repeat"),
    (
        Column("participant_id", _str, "Participant id.", False),
        Column("item_id", _i32, "Profile-survey item id.", False),
        Column("is_repeat", _bool, "True for an item_k_duplicate column (rater-consistency repeat).", False),
        Column("rating", _i16, "1..5, or null when the cell holds -1 (not rated) or is unreadable."),
        Column("column", _str, "The CSV column name.", False),
        SOURCE_ROW,
    ),
))

_table(TableSpec(
    "files", "Every file of the raw tree.", ("path",),
    (
        Column("path", _str, "Path relative to the raw root.", False),
        Column("kind", _str, "What the format says the file is (transcript, item_json, image, ...).", False),
        Column("bytes", pa.int64(), "Size in bytes."),
    ),
))

IMAGE_COLUMNS = (
    Column("item_id", _i32, "Item id of item_{id}.png.", False),
    Column("path", _str, "Path of the image in a release: images/<file name> (where build copies it).", False),
    Column("raw_path", _str, "Path of the image relative to the raw root (e.g. metadata/item_7.png).", False),
    Column("sha256", _str, "SHA-256 of the file bytes (hex)."),
    Column("bytes", pa.int64(), "File size."),
    Column("format", _str, "Format detected from the bytes (PNG, JPEG, ...)."),
    Column("width", _i32, "Width in pixels."),
    Column("height", _i32, "Height in pixels."),
    Column("mode", _str, "Pillow mode (RGB, RGBA, L, P, ...)."),
    Column("hash_algorithm", _str, "Perceptual hash algorithm (phash, dhash, whash, ahash)."),
    Column("hash", _str, "Perceptual hash (hex)."),
    Column("hash_mirror", _str, "Perceptual hash of the horizontally mirrored image (hex)."),
    Column("ok", _bool, "The image passed every integrity check.", False),
)
_table(TableSpec("images", "One row per catalogue image (metadata/item_{id}.png).", ("item_id",), IMAGE_COLUMNS))

_table(TableSpec(
    "duplicate_pairs", "Pairs of different items whose images are identical or near-identical.",
    ("item_a", "item_b"),
    (
        Column("item_a", _i32, "Smaller item id.", False),
        Column("item_b", _i32, "Larger item id.", False),
        Column("kind", _str, "exact (same sha256) or near (Hamming distance <= threshold).", False),
        Column("distance", _i32, "Hamming distance of the perceptual hashes (0 for exact).", False),
        Column("mirrored", _bool, "Matched against the mirrored image's hash.", False),
        Column("cluster", _i32, "Cluster id: the smallest item id of the cluster.", False),
    ),
))




def release_image_path(raw_path: str) -> str:
    """Where ``build`` puts a raw image in a release: ``images/<file name>``."""
    return f"{RELEASE_IMAGES_DIR}/{PurePosixPath(raw_path).name}"


def with_release_image_paths(images: pa.Table) -> pa.Table:
    """The images table of the data model: ``path`` release-relative, the raw path kept in ``raw_path``
    (an image table as the image checks give it has the raw path in both)."""
    raw = images.column("raw_path").to_pylist()
    index = images.column_names.index("path")
    return images.set_column(index, images.schema.field("path"),
                             pa.array([release_image_path(p) for p in raw], type=pa.string()))


def empty_table(name: str) -> pa.Table:
    """An empty table with the model's schema."""
    return TABLES[name].schema.empty_table()


def table_from_columns(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """Build a table of the model from column lists or Arrow arrays (missing columns become nulls)."""
    spec = TABLES[name]
    length = max((len(v) for v in columns.values()), default=0)
    arrays = []
    for col in spec.columns:
        values = columns.get(col.name)
        if values is None:
            values = [None] * length
        arrays.append(values.cast(col.type) if isinstance(values, pa.Array) else pa.array(values, type=col.type))
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _type_name(data_type: pa.DataType) -> str:
    return str(data_type).replace("<item: ", "<")


def render_data_model_markdown() -> str:
    """docs/data-model.md, generated from TABLES (a test keeps the file in sync)."""
    lines = [
        "# Data model",
        "",
        "<!-- generated by `python -m vogue_pack.raw.model > docs/data-model.md`; do not edit by hand -->",
        "",
        "Every raw file is parsed once into these tidy Arrow tables (long form, one fact per row, typed).",
        "The tables that `validate` checks are the tables that `build` releases, as",
        "`tables/<name>.parquet` and as tables of `vogue.duckdb`. Provenance columns (`source_file`,",
        "`source_row`, `source_pointer`) point back into the raw tree. Keys are unique in a valid tree;",
        "release files are sorted by key.",
        "",
        f"Format version: {FORMAT_VERSION}.",
        "",
    ]
    for spec in TABLES.values():
        lines += [f"## `{spec.name}`", "", spec.description, "", f"Key: `{', '.join(spec.key)}`", "",
                  "| column | type | nullable | description |", "|---|---|---|---|"]
        for col in spec.columns:
            lines.append(f"| `{col.name}` | `{_type_name(col.type)}` | {'yes' if col.nullable else 'no'} | "
                         f"{col.description} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_data_model_markdown())
