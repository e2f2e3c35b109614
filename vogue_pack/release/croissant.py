"""Croissant 1.1 metadata (croissant.json) for a release: files with sha256, one record set per table,
references between tables, and the core responsible-AI (RAI) fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from vogue_pack.release.format import CARD, FINDINGS, IMAGES_DIR, REPORT
from vogue_pack.release.licence import RELEASE_LICENCE, croissant_licence

CROISSANT_VERSION = "http://mlcommons.org/croissant/1.1"
RAI_VERSION = "http://mlcommons.org/croissant/RAI/1.0"

# The standard Croissant 1.1 JSON-LD context (as mlcroissant writes it), without which validators warn.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

PAPER_URL = "https://arxiv.org/abs/2510.21151"
CITATION = """@misc{guo2025vogue,
  title         = {{VOGUE}: A Multimodal Dataset for Conversational Recommendation in Fashion},
  author        = {Guo and Sun and Jiang and Liang and Sanner},
  year          = {2025},
  eprint        = {2510.21151},
  archivePrefix = {arXiv},
  url           = {https://arxiv.org/abs/2510.21151}
}"""
DESCRIPTION = (
    "VOGUE (Visual-recommendation dialOgue with Grounded User Evaluations): human-human fashion-shopping "
    "dialogues between a Seeker and an Assistant, each grounded in a catalogue of product items shown as "
    "images with metadata, with participant fashion profiles, post-conversation item ratings from both "
    "roles and Seeker satisfaction answers. Packaged by vogue-pack as tidy Parquet tables."
)

# Foreign keys: (table, column) -> (referenced table, referenced key column).
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("conversations", "scenario"): ("scenarios", "scenario"),
    ("turns", "conversation_id"): ("conversations", "conversation_id"),
    ("utterances", "conversation_id"): ("conversations", "conversation_id"),
    ("conversation_items", "conversation_id"): ("conversations", "conversation_id"),
    ("conversation_items", "item_id"): ("items", "item_id"),
    ("rating_rows", "conversation_id"): ("conversations", "conversation_id"),
    ("rating_rows", "participant_id"): ("participants", "participant_id"),
    ("item_ratings", "conversation_id"): ("conversations", "conversation_id"),
    ("item_ratings", "item_id"): ("items", "item_id"),
    ("item_ratings", "participant_id"): ("participants", "participant_id"),
    ("satisfaction", "conversation_id"): ("conversations", "conversation_id"),
    ("satisfaction", "participant_id"): ("participants", "participant_id"),
    ("items", "item_id"): ("catalogue_membership", "item_id"),
    ("images", "item_id"): ("catalogue_membership", "item_id"),
    ("profile_ratings", "participant_id"): ("participants", "participant_id"),
    ("profile_ratings", "item_id"): ("catalogue_membership", "item_id"),
    ("duplicate_pairs", "item_a"): ("catalogue_membership", "item_id"),
    ("duplicate_pairs", "item_b"): ("catalogue_membership", "item_id"),
}

RAI: dict[str, Any] = {
    "rai:dataCollection": (
        "Pairs of participants held text conversations in a simulated fashion-shopping setting: the Seeker "
        "shopped for items in a scenario, the Assistant recommended from a catalogue of 12 product items "
        "shown as images with metadata. Before the conversations participants filled a fashion-profile "
        "survey and rated profile-survey items; after each conversation both roles rated every catalogue "
        "item (1..5) and the Seeker answered five satisfaction statements. See the paper (arXiv 2510.21151)."
    ),
    "rai:dataCollectionType": ["Human-human dialogue", "Survey", "Manual human curation"],
    "rai:dataCollectionMissingData": (
        "Blank Seeker satisfaction answers are kept as nulls; unrated profile-survey cells (-1) are nulls; "
        "placeholder dialogue-act tags ('<no tag available>') are kept as written. Every case is listed in "
        "findings.parquet."
    ),
    "rai:dataCollectionRawData": (
        "The raw release (JSON transcripts, CSV rating and profile files, item JSON and PNG images) is "
        "parsed once into the tables; the manifest records a digest of the raw tree it was built from."
    ),
    "rai:dataPreprocessingProtocol": (
        "vogue-pack validates the raw files against the documented format and cross-file invariants and "
        "refuses to build when any error remains. Tables are tidy (long) forms of the raw files: one row "
        "per turn, utterance, rating or survey cell, with the raw file and location of each row. No value is "
        "corrected or imputed; known quirks are kept and reported as warnings (findings.parquet)."
    ),
    "rai:dataAnnotationProtocol": (
        "Each utterance carries 1..3 dialogue-act codes from a role-specific tag set (19 Seeker codes, 20 "
        "Assistant codes) as supplied by the dataset authors."
    ),
    "rai:personalSensitiveInformation": (
        "Participants are identified only by pseudonymous ids (s<k>, a<k>). Fashion profiles hold style "
        "preferences, monthly clothing spend bands and purchase frequency, which are personal preferences. "
        "Free text (utterances, profile answers) is screened by vogue-pack for e-mail addresses, phone "
        "numbers, URLs, handles and postal codes; any hit appears as a privacy.* finding."
    ),
    "rai:dataBiases": (
        "A small number of participants and conversations, one language (English), three product "
        "categories (outerwear, layering pieces, shoes) and six scenarios; the participant pool and the "
        "catalogues are not representative of shoppers or products in general."
    ),
    "rai:dataLimitations": (
        "Small scale: suitable for evaluation, not for training large models. Ratings are single judgements "
        "per item and role. Free-text item references in the dialogues are noisy. Some product images are "
        "identical or near-identical across items (see duplicate_pairs). Known quirks of the raw files are "
        "listed in findings.parquet."
    ),
    "rai:dataUseCases": (
        "Research on conversational recommendation in fashion: predicting a Seeker's ratings of catalogue "
        "items from the dialogue (the paper's benchmark), dialogue-act analysis, and studies of "
        "human assistants as a baseline. Not for commercial use, and not for profiling individuals."
    ),
    "rai:dataSocialImpact": (
        "Supports evaluation of recommender dialogue systems against human assistants. Models tuned on it "
        "may reflect the small participant pool's tastes."
    ),
    "rai:dataReleaseMaintenancePlan": (
        "Releases are immutable and versioned with Croissant's semantic-versioning rules (patch: same "
        "records; minor: records only added; major: records changed or removed). Each release carries "
        "SHA256SUMS and a manifest; 'vogue-pack verify' checks them and 'vogue-pack diff' lists the records "
        "that changed between two versions."
    ),
}


def croissant_type(dtype: pa.DataType) -> str:
    """The Croissant data type of an Arrow scalar type."""
    if pa.types.is_boolean(dtype):
        return "sc:Boolean"
    if pa.types.is_integer(dtype):
        return "sc:Integer"
    if pa.types.is_floating(dtype):
        return "sc:Float"
    return "sc:Text"


def _field(table: str, column: pa.Field, file_id: str) -> dict[str, Any]:
    field_id = f"{table}/{column.name}"
    description = (column.metadata or {}).get(b"description", b"").decode("utf-8")
    source = {"fileObject": {"@id": file_id}, "extract": {"column": column.name}}
    entry: dict[str, Any] = {"@type": "cr:Field", "@id": field_id, "name": column.name,
                             "description": description}
    dtype = column.type
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        entry["isArray"] = True
        entry["arrayShape"] = "-1"
        dtype = dtype.value_type
    if pa.types.is_struct(dtype):
        entry["dataType"] = "cr:RecordSet"
        entry["source"] = source
        entry["subField"] = [
            {"@type": "cr:Field", "@id": f"{field_id}/{child.name}", "name": child.name,
             "dataType": croissant_type(child.type),
             "source": {"fileObject": {"@id": file_id}, "extract": {"column": column.name},
                        "transform": {"jsonPath": child.name}}}
            for child in dtype
        ]
    else:
        entry["dataType"] = croissant_type(dtype)
        entry["source"] = source
    target = REFERENCES.get((table, column.name))
    if target is not None:
        entry["references"] = {"field": {"@id": f"{target[0]}/{target[1]}"}}
    return entry


def _record_set(name: str, table: pa.Table, file_id: str, key: list[str]) -> dict[str, Any]:
    metadata = table.schema.metadata or {}
    return {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": metadata.get(b"description", b"").decode("utf-8"),
        "key": [{"@id": f"{name}/{column}"} for column in key],
        "field": [_field(name, column, file_id) for column in table.schema],
    }


def _file_object(path: str, size: int, sha256: str, encoding: str, description: str) -> dict[str, Any]:
    return {"@type": "cr:FileObject", "@id": path, "name": path, "description": description,
            "contentUrl": path, "contentSize": f"{size} B", "encodingFormat": encoding, "sha256": sha256}


def croissant_metadata(manifest: Mapping[str, Any], tables: Mapping[str, pa.Table], findings: pa.Table,
                       files: Mapping[str, tuple[int, str]], image_paths: Mapping[int, str]) -> dict[str, Any]:
    """The Croissant JSON-LD document of a release (deterministic: no ids or dates but the manifest's).

    vogue.duckdb is not listed: it holds the same records as the Parquet files described here (its
    sha256 is in SHA256SUMS, its table digests in the manifest)."""
    distribution: list[dict[str, Any]] = []
    record_sets: list[dict[str, Any]] = []
    for name, entry in manifest["tables"].items():
        path = entry["path"]
        size, digest = files[path]
        distribution.append(_file_object(path, size, digest, "application/x-parquet",
                                         f"Table {name} (Parquet)."))
        record_sets.append(_record_set(name, tables[name], path, list(entry["key"])))
    size, digest = files[FINDINGS]
    distribution.append(_file_object(FINDINGS, size, digest, "application/x-parquet",
                                     "The validation findings the release was built with (known quirks)."))
    record_sets.append(_record_set("findings", findings, FINDINGS, ["finding_id"]))
    for path, encoding, text in (
        (REPORT, "application/json", "The validation report (JSON) the release was built with."),
        (CARD, "text/markdown", "Dataset card."),
        (RELEASE_LICENCE, "text/plain", "The licence file of the raw tree, unchanged."),
    ):
        if path not in files:
            continue  # a raw tree without a licence file gives a release without one
        size, digest = files[path]
        distribution.append(_file_object(path, size, digest, encoding, text))
    if image_paths:
        distribution.append({
            "@type": "cr:FileSet", "@id": "image-files", "name": "image-files",
            "description": "Product images, byte-identical to the raw release; the images table lists each "
                           "with its sha256 (also in SHA256SUMS and manifest.json).",
            "encodingFormat": "image/png", "includes": f"{IMAGES_DIR}/*.png",
        })

    dataset = manifest["dataset"]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_VERSION, RAI_VERSION],
        "name": "VOGUE",
        "description": DESCRIPTION,
        "version": dataset["semver"],
        "datePublished": manifest["source_date"]["iso"][:10],
        "license": croissant_licence(manifest.get("licence")),
        "url": PAPER_URL,
        "citeAs": CITATION,
        "creator": [{"@type": "sc:Person", "name": name} for name in ("Guo", "Sun", "Jiang", "Liang", "Sanner")],
        "keywords": ["conversational recommendation", "fashion", "multimodal", "dialogue", "ratings"],
        "inLanguage": "en",
        "isLiveDataset": False,
        **RAI,
        "distribution": distribution,
        "recordSet": record_sets,
        "isBasedOn": {"@type": "sc:CreativeWork", "name": "VOGUE raw release",
                      "identifier": manifest["raw_tree"]["digest"]},
    }
