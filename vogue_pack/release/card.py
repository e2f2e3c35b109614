"""The dataset card (README.md) of a release: what it is, statistics from the data, schemas, licence,
citation, known quirks, how to load and how to verify it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from vogue_pack.analysis.paper import paper_section
from vogue_pack.console import plural
from vogue_pack.release.croissant import CITATION, PAPER_URL
from vogue_pack.release.format import CHECKSUMS, CROISSANT, DATABASE, FINDINGS, MANIFEST, REPORT, TABLES_DIR
from vogue_pack.release.licence import RELEASE_LICENCE, front_matter_lines, licence_section, summary_lines
from vogue_pack.report.findings import Finding
from vogue_pack.validate.catalogue import all_codes

if TYPE_CHECKING:
    import duckdb

_EXAMPLES_PER_CODE = 3

# Each headline number of the card, and the SQL that gives it from vogue.duckdb.
HEADLINE_SQL: tuple[tuple[str, str], ...] = (
    ("conversations", "SELECT count(*) FROM conversations"),
    ("participants", "SELECT count(*) FROM participants"),
    ("turns", "SELECT count(*) FROM turns"),
    ("utterances", "SELECT count(*) FROM utterances"),
    ("tokens (whitespace-split)", "SELECT sum(n_tokens) FROM utterances"),
    ("catalogue items", "SELECT count(*) FROM items"),
    ("item ratings (both roles)", "SELECT count(*) FROM item_ratings"),
)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _front_matter(manifest: Mapping[str, Any]) -> list[str]:
    """Hugging Face Hub metadata: one config per table, so `load_dataset(repo, "turns")` works there."""
    lines = ["---", "pretty_name: VOGUE", *front_matter_lines(manifest.get("licence")),
             "language:", "- en", "tags:", "- conversational-recommendation", "- fashion", "- dialogue",
             "configs:"]
    for name, entry in manifest["tables"].items():
        lines += [f"- config_name: {name}", f"  data_files: {entry['path']}"]
    lines.append("---")
    return lines


def headline_numbers(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, Any]]:
    """Run :data:`HEADLINE_SQL` on the release database: (label, SQL, value)."""
    numbers = []
    for label, sql in HEADLINE_SQL:
        row = con.execute(sql).fetchone()
        numbers.append((label, sql, row[0] if row else None))
    return numbers


@dataclass(frozen=True)
class CardSections:
    """The parts of the card computed from the tables alone (the slow ones: statistics and the paper's
    figures), so that a build can compute them while it writes the database."""

    statistics: str
    paper: list[str]


def card_sections(tables: Mapping[str, pa.Table], stats: Mapping[str, Any] | None = None) -> CardSections:
    """:class:`CardSections` of the release tables (``stats``: their ``compute_stats``, when computed
    already)."""
    from vogue_pack.analysis.stats import compute_stats, render_stats

    computed = dict(stats) if stats is not None else compute_stats(dict(tables))
    return CardSections(statistics=render_stats(computed, "markdown"), paper=paper_section(tables, computed))


def _statistics(statistics: str, headline: list[tuple[str, str, Any]]) -> list[str]:
    rows = [f"| {label} | {value} | `{sql}` |" for label, sql, value in headline]
    return [
        "Every number below is computed from this release's tables; none is typed in. The headline "
        "numbers are the results of these queries on the release database "
        f"(`vogue-pack query . \"<SQL>\"`, or `duckdb -readonly {DATABASE} \"<SQL>\"`):",
        "",
        "| | value | SQL |",
        "|---|---|---|",
        *rows,
        "",
        "The rest is `vogue-pack stats` on the same tables:",
        "",
        statistics.replace("### ", "### Statistics: "),
    ]


def _schemas(manifest: Mapping[str, Any], tables: Mapping[str, pa.Table]) -> list[str]:
    lines: list[str] = []
    for name, entry in manifest["tables"].items():
        description = (tables[name].schema.metadata or {}).get(b"description", b"").decode("utf-8")
        lines += [f"### `{name}`", "",
                  f"{description} Key: {', '.join(f'`{k}`' for k in entry['key'])}. "
                  f"Rows: {entry['rows']}. File: `{entry['path']}`.", "",
                  "| column | type | nullable | description |", "|---|---|---|---|"]
        lines += [f"| `{c['name']}` | `{_md(c['type'])}` | {'yes' if c['nullable'] else 'no'} | "
                  f"{_md(c['description'])} |" for c in entry["schema"]]
        lines.append("")
    return lines


def _quirks(report: Mapping[str, Any]) -> list[str]:
    warnings = [Finding.from_dict(f) for f in report.get("findings", []) if f.get("severity") == "warning"]
    if not warnings:
        return ["The validation reported no warnings."]
    by_code: dict[str, list[Finding]] = {}
    for item in warnings:
        by_code.setdefault(item.code, []).append(item)
    lines = [
        f"Validation reported {plural(len(warnings), 'warning')} (no errors). They are known quirks of the raw files, "
        f"kept as they are; every one is a row of `{FINDINGS}` (also the `findings` table and the "
        "`known_quirks` view of the database):", "",
        "| code | count | what it means | examples |", "|---|---|---|---|",
    ]
    catalogue = all_codes()
    for code in sorted(by_code):
        items = by_code[code]
        info = catalogue.get(code)
        meaning = f"{info.title}: {info.description}" if info else ""
        examples = "; ".join(_md(f"{f.file or '(tree)'} {f.location}".strip())
                             for f in items[:_EXAMPLES_PER_CODE])
        lines.append(f"| `{code}` | {len(items)} | {_md(meaning)} | {examples} |")
    truncated = report.get("summary", {}).get("findings_dropped", 0)
    if truncated:
        lines += ["", f"The report was truncated: {truncated} more findings were not collected."]
    return lines


def _configuration(manifest: Mapping[str, Any]) -> list[str]:
    """Which checks were switched off for this release, and by which configuration."""
    config = manifest.get("configuration") or {}
    off = config.get("errors_switched_off") or {}
    source = (f"configuration file `{config['file']}` ({config.get('found')}, sha256 `{config.get('file_sha256')}`)"
              if config.get("file") else "the default configuration")
    if not off:
        return [f"Checks switched off for this release: none (validated with {source})."]
    listed = ", ".join(f"`{code}` ({how})" for code, how in off.items())
    return [f"**Checks switched off for this release:** {listed}; by {source}. Findings of these codes were "
            "not errors when this release was built."]


def _reproducibility(manifest: Mapping[str, Any]) -> str:
    """The card's paragraph on reproducible bytes: true of this release as its manifest describes it."""
    libraries = (f"vogue-pack {manifest['tool']['version']}, pyarrow {manifest['libraries']['pyarrow']} and "
                 f"duckdb {manifest['libraries']['duckdb']}")
    same = (f"Building the same raw tree with the same version and release date ({manifest['source_date']['iso']}, "
            f"from {manifest['source_date']['from']}) with {libraries} gives")
    digests = (f"`{MANIFEST}` also records an order-independent content digest of each of its tables (equal to "
               "the digest of the matching Parquet file), and `vogue-pack verify` recomputes them.")
    if manifest["duckdb"].get("reproducible_bytes"):
        return (f"{same} byte-identical files, every file: `{DATABASE}` included (DuckDB's random database "
                "identifier, 16 bytes of the file header, is replaced by one derived from the file's own "
                f"bytes), and so the same `{CHECKSUMS}` and release digest. {digests} Open the database "
                "read-only: a read-write connection may rewrite its bytes.")
    return (f"{same} byte-identical files except `{DATABASE}` and its line in `{CHECKSUMS}`: "
            f"its header is {manifest['duckdb'].get('file_identifier', 'as DuckDB wrote it')}, and DuckDB "
            "stamps every new database file with a random 16-byte identifier (and a header checksum over it), "
            f"so its bytes differ from build to build. `{CHECKSUMS}` lists its sha256 as produced for this "
            f"copy. {digests} Open the database read-only: a read-write connection may rewrite its bytes.")


def render_card(manifest: Mapping[str, Any], tables: Mapping[str, pa.Table], report: Mapping[str, Any],
                headline: list[tuple[str, str, Any]], files: list[str], sections: CardSections | None = None) -> str:
    """The README.md of a release (deterministic for identical input); ``headline`` comes from
    :func:`headline_numbers` on the release database, ``files`` lists the files written so far, ``sections``
    is :func:`card_sections` of ``tables`` (computed here when not given)."""
    version = manifest["dataset"]["version"]
    sections = sections or card_sections(tables)
    first_table = next(iter(manifest["tables"]))
    lines = [
        *_front_matter(manifest),
        "",
        f"# VOGUE {version}",
        "",
        *summary_lines(manifest.get("licence")),
        "",
        *([] if _has_images(manifest) else [
            "> **This release has no images.** It was built with `--no-images`: no product image was checked "
            "or copied, and the `images` and `duplicate_pairs` tables are empty. Build without that option for "
            "the multimodal dataset.", ""]),
        "## What it is",
        "",
        "VOGUE (Visual-recommendation dialOgue with Grounded User Evaluations) is a research dataset of "
        "human-human fashion-shopping dialogues between a Seeker and an Assistant. Each conversation is "
        "grounded in a catalogue of product items shown as images with metadata; the dataset adds "
        "participant fashion profiles, post-conversation ratings of every catalogue item by both roles, and "
        f"the Seeker's satisfaction answers. Paper: Guo, Sun, Jiang, Liang, Sanner, *VOGUE: A Multimodal "
        f"Dataset for Conversational Recommendation in Fashion*, arXiv 2510.21151 ({PAPER_URL}).",
        "",
        f"This folder is release {version} built by vogue-pack {manifest['tool']['version']} from a validated "
        "raw tree (digest "
        f"`{manifest['raw_tree']['digest']}`, {manifest['raw_tree']['files']} files). The tables are the "
        "validated raw files in tidy form; nothing was corrected or imputed.",
        "",
        "## Files",
        "",
        "| path | what |",
        "|---|---|",
        f"| `{TABLES_DIR}/*.parquet` | one Parquet file per table (schemas below; zstd; rows sorted by key) |",
        *(["| `images/` | the product images, byte-identical to the raw release |"] if _has_images(manifest) else
          ["| (no `images/`) | built with `--no-images`: no image is in this release, and the `images` and "
           "`duplicate_pairs` tables are empty |"]),
        f"| `{DATABASE}` | DuckDB database: every table plus views for the common joins |",
        f"| `{FINDINGS}`, `{REPORT}` | the validation report the release was built with (warnings included) |",
        *(["| `report.html` | the same report as a page for a browser |"] if "report.html" in files else []),
        f"| `{MANIFEST}` | versions, raw-tree digest, per table rows/schema/content digest, per file sha256 |",
        f"| `{CHECKSUMS}` | sha256 of every file, in the format `sha256sum -c` reads |",
        f"| `{CROISSANT}` | Croissant 1.1 metadata with the responsible-AI fields |",
        *([f"| `{RELEASE_LICENCE}` | the licence file of the raw tree, unchanged |"]
          if RELEASE_LICENCE in files else []),
        "",
        "## Statistics",
        "",
        *_statistics(sections.statistics, headline),
        "",
        "## The paper beside this release",
        "",
        *sections.paper,
        "",
        "## Tables",
        "",
        *_schemas(manifest, tables),
        "### Views in `vogue.duckdb`",
        "",
        *(f"- `{view['name']}`" + (f": {view['description']}" if view["description"] else "")
          for view in manifest["duckdb"]["views"]),
        "",
        "Their SQL, with comments, is in vogue-pack's `vogue_pack/sql/` folder; in the database: "
        "`SELECT view_name, comment, sql FROM duckdb_views() WHERE NOT internal`.",
        "",
        "## Known quirks",
        "",
        *_quirks(report),
        "",
        "## Loading",
        "",
        "DuckDB (command line, read-only):",
        "",
        "```sh",
        f"duckdb -readonly {DATABASE} \"SELECT role, count(*) FROM utterances GROUP BY role\"",
        "vogue-pack query . \"SELECT * FROM ratings_side_by_side LIMIT 5\" --format table",
        "```",
        "",
        "Python:",
        "",
        "```python",
        "import duckdb, pandas as pd, pyarrow.parquet as pq",
        f"con = duckdb.connect(\"{DATABASE}\", read_only=True)",
        "con.sql(\"SELECT * FROM utterances_in_context LIMIT 5\").show()",
        f"turns = pd.read_parquet(\"{TABLES_DIR}/turns.parquet\")",
        f"items = pq.read_table(\"{TABLES_DIR}/items.parquet\")",
        "```",
        "",
        "Hugging Face `datasets` (one table at a time; this card's front matter also declares one config "
        "per table for the Hub):",
        "",
        "```python",
        "from datasets import load_dataset",
        f"ds = load_dataset(\"parquet\", data_files=\"{TABLES_DIR}/{first_table}.parquet\", split=\"train\")",
        "```",
        "",
        "Map-valued columns (`items.product_detail`) are stored as lists of `{key, value}` entries, which "
        "every reader understands; in DuckDB `map_from_entries(product_detail)` turns one into a map.",
        "",
        "## Verifying",
        "",
        "```sh",
        f"sha256sum -c {CHECKSUMS}        # every file, byte for byte",
        "vogue-pack verify .             # the same, plus the manifest and the database contents",
        f"sha256sum {CHECKSUMS}           # the release digest: compare it with the published one",
        "vogue-pack verify . --digest sha256:<published digest>",
        "```",
        "",
        f"The **release digest** is `sha256:` followed by the sha256 of `{CHECKSUMS}`, which lists the sha256 "
        "of every other file. `vogue-pack build` printed it; the maintainers publish it (paper, README, DOI "
        "record). This card cannot contain it, because the card is itself listed in "
        f"`{CHECKSUMS}`: trust the digest you got from the publisher, not a file beside the data. A release "
        "may also carry `signature.dsse.json` (`vogue-pack sign`); check it with "
        "`vogue-pack verify . --public-key <maintainers' public key>`.",
        "",
        *_configuration(manifest),
        "",
        _reproducibility(manifest),
        "",
        "## Provenance",
        "",
        f"- release date: {manifest['source_date']['iso']} (from {manifest['source_date']['from']})",
        f"- built with vogue-pack {manifest['tool']['version']}, pyarrow {manifest['libraries']['pyarrow']}, "
        f"duckdb {manifest['libraries']['duckdb']}",
        f"- validation: {plural(manifest['validation']['errors'], 'error')}, "
        f"{plural(manifest['validation']['warnings'], 'warning')}",
        "",
        "## Licence",
        "",
        *licence_section(manifest.get("licence"), {name: entry["path"] for name, entry in manifest["tables"].items()},
                         images=_has_images(manifest)),
        "",
        "## Citation",
        "",
        "```bibtex",
        CITATION,
        "```",
        "",
    ]
    return "\n".join(lines)


def _has_images(manifest: Mapping[str, Any]) -> bool:
    """Whether the release was built with its images (a manifest without the flag predates --no-images)."""
    return bool((manifest.get("images") or {}).get("included", True))
