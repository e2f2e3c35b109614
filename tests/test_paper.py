"""The card's comparison with the paper: the paper's figures from the one reference file, the release's
computed from the data (here recomputed independently from the raw columns), and every difference named."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from release_support import build, shared_image_cache, validate_tree

from vogue_pack.analysis.paper import PAPER_FIGURES, compare_with_paper, load_paper_figures, paper_section
from vogue_pack.analysis.stats import load_tables
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def small_release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("paper-release")).path


def _human_pc(tables: dict[str, pa.Table]) -> float:
    """Mean over conversations of the Pearson correlation of the Assistant's and the Seeker's ratings."""
    cells: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in tables["item_ratings"].to_pylist():
        cells[row["conversation_id"]][row["role"]][row["item_id"]] = row["rating"]
    correlations = []
    for roles in cells.values():
        items = sorted(set(roles["Seeker"]) & set(roles["Assistant"]))
        g = np.array([roles["Seeker"][i] for i in items], dtype=float)
        p = np.array([roles["Assistant"][i] for i in items], dtype=float)
        if len(items) >= 2 and g.std() > 0 and p.std() > 0:
            correlations.append(float(np.corrcoef(p, g)[0, 1]))
    return float(np.mean(correlations))


def _expected(tables: dict[str, pa.Table]) -> dict[str, float]:
    conversations = len(set(tables["conversations"].column("conversation_id").to_pylist()))
    turns = tables["turns"].num_rows
    tokens = sum(len(text.split()) for text in tables["utterances"].column("text").to_pylist())
    return {"conversations": conversations, "participants": tables["participants"].num_rows, "turns": turns,
            "utterances": tables["utterances"].num_rows, "tokens": tokens,
            "turns_per_conversation": turns / conversations, "tokens_per_turn": tokens / turns,
            "human_pc": _human_pc(tables)}


def test_the_reference_file_is_the_papers_and_cites_it() -> None:
    figures = load_paper_figures()
    assert PAPER_FIGURES.name == "paper_figures.json" and "2510.21151" in figures["source"]["url"]
    assert {f["key"] for f in figures["figures"]} == {"conversations", "participants", "turns", "utterances",
                                                      "tokens", "turns_per_conversation", "tokens_per_turn",
                                                      "human_pc"}


def test_the_release_figures_are_computed_from_the_data(small_release: Path) -> None:
    tables = load_tables(small_release)
    expected = _expected(tables)
    rows = {row.key: row for row in compare_with_paper(tables)}
    for key, value in expected.items():
        assert rows[key].release == pytest.approx(value), key


def test_the_card_sets_each_figure_beside_the_paper_and_names_each_difference(small_release: Path) -> None:
    tables = load_tables(small_release)
    card = (small_release / "README.md").read_text(encoding="utf-8")
    section = card.split("## The paper beside this release", 1)[1].split("\n## ", 1)[0]
    assert "\n".join(paper_section(tables)) in section
    expected = _expected(tables)
    for figure in json.loads(PAPER_FIGURES.read_text())["figures"]:
        decimals, paper = figure["decimals"], figure["value"]
        release = round(expected[figure["key"]], decimals)
        difference = round(release - paper, decimals)
        sign = "+" if difference > 0 else "-"
        shown = "none" if difference == 0 else f"{sign}{abs(difference):,.{decimals}f}"
        assert (f"| {figure['label']} | {paper:,.{decimals}f} | {release:,.{decimals}f} | {shown} |"
                in section), figure["key"]
        if difference:
            assert (f"The release's {figure['label']}: {release:,.{decimals}f}, the paper's "
                    f"{paper:,.{decimals}f}: {shown}." in section)


def test_a_figure_that_cannot_be_computed_is_said_so(small_release: Path) -> None:
    tables = load_tables(small_release)
    tables["item_ratings"] = tables["item_ratings"].slice(0, 0)
    lines = paper_section(tables)
    row = next(line for line in lines if line.startswith("| human Assistant's Pearson"))
    assert "cannot be computed" in row
    assert any("Pearson correlation (PC) cannot be computed for this release" in line for line in lines)


def test_figures_equal_to_the_papers_are_said_to_agree(small_release: Path, tmp_path: Path) -> None:
    tables = load_tables(small_release)
    figures = load_paper_figures()
    actual = {row.key: row.release for row in compare_with_paper(tables)}
    for figure in figures["figures"]:  # a reference that happens to equal this release
        figure["value"] = round(actual[figure["key"]], figure["decimals"])
    assert all(row.difference == 0 for row in compare_with_paper(tables, figures))
    assert all("agree" in row.sentence() for row in compare_with_paper(tables, figures))
