"""The licence file beside the data: found where the format says, its terms derived from its own text (never
assumed), copied unchanged into a release, stated per file in the card and in croissant.json, and covered by
verify."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from release_support import build, shared_image_cache, validate_tree
from tamper import edit_manifest, refile, sha

from vogue_pack.errors import UsageError
from vogue_pack.raw.licence import inspect_licence, parse_licence, read_licence
from vogue_pack.release.verify import verify_release
from vogue_pack.synth import SYNTH_LICENCE, SynthInfo, licence_path, write_tree

# A licence that swaps the synthetic tree's terms and uses other licences: the images and item metadata under
# a non-commercial Creative Commons licence (short SPDX form), everything else under custom research terms.
SWAPPED = """VOGUE licence

Product images and item metadata

The product images and the item metadata are released under CC-BY-NC-4.0.

Dialogue transcripts, ratings, profiles and annotations

The dialogue transcripts, the survey responses (profiles, satisfaction), the ratings and the annotations are
provided for research use only and must not be redistributed.
"""
ONE_LICENCE = ("All parts of this dataset - transcripts, survey responses, ratings, annotations, images and item "
               "metadata - are licensed under the Creative Commons Attribution-ShareAlike 4.0 International "
               "licence.\n")


@pytest.fixture(scope="module")
def image_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_image_cache(tmp_path_factory)


def _tree(tmp_path: Path, small_tree: SynthInfo, licence: str | bytes | None) -> Path:
    """A copy of the small tree with ``licence`` as its LICENSE.txt (None: none); returns its data folder."""
    copy = tmp_path / "raw"
    shutil.copytree(small_tree.root.parent, copy)
    target = licence_path(copy)
    target.unlink()
    if isinstance(licence, str):
        target.write_text(licence, encoding="utf-8")
    elif isinstance(licence, bytes):
        target.write_bytes(licence)
    return copy / "data"


def _front_matter(card: str) -> dict[str, str]:
    block = card.split("---\n")[1]
    return dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(" "))


def _licence_rows(card: str) -> dict[str, str]:
    """The card's per-file licence table: path -> licence cell."""
    section = card.split("## Licence", 1)[1].split("## Citation", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[2]
    return rows


# ------------------------------------------------------------------------------------------ parsing


def test_the_synthetic_licence_gives_the_terms_the_format_describes() -> None:
    terms = parse_licence(SYNTH_LICENCE)
    assert next(iter(terms.licences)) == "CC-BY-4.0"
    for part in ("transcripts", "surveys", "ratings", "annotations"):
        assert terms.categories[part] == "CC-BY-4.0"
    custom = terms.licences[terms.categories["images"]]
    assert terms.categories["item_metadata"] == custom.id
    assert custom.spdx is None and set(custom.restrictions) == {"research-only", "non-commercial",
                                                               "no-redistribution"}
    assert terms.understood and not terms.unassigned and not terms.conflicts


@pytest.mark.parametrize(("text", "spdx"), [
    ("Transcripts: CC BY 4.0.", "CC-BY-4.0"),
    ("Transcripts: CC-BY-SA-4.0.", "CC-BY-SA-4.0"),
    ("Transcripts are under Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International.",
     "CC-BY-NC-ND-4.0"),
    ("The transcripts are dedicated to the public domain (CC0).", "CC0-1.0"),
])
def test_creative_commons_licences_are_recognised_by_pattern(text: str, spdx: str) -> None:
    terms = parse_licence(text)
    assert terms.categories == {"transcripts": spdx}
    assert terms.licences[spdx].url.startswith("https://creativecommons.org/")


def test_a_heading_hands_its_parts_to_the_paragraph_below() -> None:
    terms = parse_licence(SWAPPED)
    assert terms.categories["images"] == terms.categories["item_metadata"] == "CC-BY-NC-4.0"
    research = {terms.categories[p] for p in ("transcripts", "surveys", "ratings", "annotations")}
    assert len(research) == 1 and terms.licences[research.pop()].restrictions == ("research-only",
                                                                                 "no-redistribution")


def test_wording_variants_of_custom_terms_and_item_fields() -> None:
    terms = parse_licence("The transcripts and the ratings are licensed under CC BY 4.0.\n\nThe item metadata "
                          "(product names, descriptions, product ratings and reviews) and the images are provided "
                          "solely for non-commercial research purposes.")
    assert terms.categories["ratings"] == "CC-BY-4.0"  # "product ratings" belong to the item metadata
    custom = terms.licence_of("item_metadata")
    assert custom is not None and custom.restrictions == ("research-only", "non-commercial")
    assert terms.categories["images"] == custom.id


def test_nothing_is_guessed() -> None:
    assert not parse_licence("All rights reserved.").understood
    ambiguous = parse_licence("The transcripts are CC BY 4.0 but for research use only.")
    assert "transcripts" not in ambiguous.categories and ambiguous.ambiguous
    conflict = parse_licence("Images: CC BY 4.0.\n\nImages: CC BY-NC 4.0.")
    assert conflict.conflicts == {"images": ["CC-BY-4.0", "CC-BY-NC-4.0"]}


# ------------------------------------------------------------------------------------------ discovery


def test_the_licence_beside_data_is_found_and_the_data_layout_keeps_it_in_the_root(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", conversations=1, images=False)
    found, findings = read_licence(repo.root)
    assert found is not None and found.path == "../LICENSE.txt" and not findings
    assert found.data == SYNTH_LICENCE.encode("utf-8")
    flat = write_tree(tmp_path / "flat", conversations=1, images=False, layout="data")
    found, findings = read_licence(flat.root)
    assert found is not None and found.path == "LICENSE.txt" and not findings


def test_a_licence_further_out_is_never_read(tmp_path: Path) -> None:
    write_tree(tmp_path / "repo" / "inner", conversations=1, images=False, licence=None)
    (tmp_path / "repo" / "LICENSE.txt").write_text(SYNTH_LICENCE)
    found, findings = read_licence(tmp_path / "repo" / "inner" / "data")
    assert found is None and [f.code for f in findings] == ["licence.missing"]


@pytest.mark.parametrize(("content", "code"), [
    (None, "licence.missing"),
    (b"\xff\xfe not utf-8 \x81", "licence.unreadable"),
    ("All rights reserved by the authors.\n", "licence.unrecognised"),
    ("The transcripts are licensed under CC BY 4.0.\n", "licence.partial"),
])
def test_licence_problems_are_warnings(tmp_path: Path, small_tree: SynthInfo, content: str | bytes | None,
                                       code: str) -> None:
    root = _tree(tmp_path, small_tree, content)
    _licence, _terms, findings = inspect_licence(root)
    assert [(f.code, f.severity.value, f.file) for f in findings] == [(code, "warning", "../LICENSE.txt")]


def test_a_linked_licence_is_never_followed(tmp_path: Path, small_tree: SynthInfo) -> None:
    root = _tree(tmp_path, small_tree, None)
    (tmp_path / "elsewhere.txt").write_text(SYNTH_LICENCE)
    (root.parent / "LICENSE.txt").symlink_to(tmp_path / "elsewhere.txt")
    found, findings = read_licence(root)
    assert found is None and [(f.code, f.severity.value) for f in findings] == [("tree.symlink", "error")]


def test_validate_reports_a_missing_licence_and_no_unknown_file_for_one_in_the_root(
        tmp_path: Path, small_tree: SynthInfo, image_cache: Path) -> None:
    missing = validate_tree(_tree(tmp_path / "a", small_tree, None), image_cache)
    assert missing.report.ok and "licence.missing" in {f.code for f in missing.report.findings}
    flat = write_tree(tmp_path / "flat", conversations=6, layout="data")
    found = validate_tree(flat.root, image_cache)
    assert not [f for f in found.report.findings if f.code.startswith("licence.") or f.file == "LICENSE.txt"]


# ------------------------------------------------------------------------------------------ releases


@pytest.fixture(scope="module")
def swapped_release(small_tree: SynthInfo, image_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("swapped")
    validation = validate_tree(_tree(tmp, small_tree, SWAPPED), image_cache)
    return build(validation, tmp / "out").path


def test_the_release_ships_the_licence_unchanged_and_lists_it(swapped_release: Path) -> None:
    assert (swapped_release / "LICENSE.txt").read_text(encoding="utf-8") == SWAPPED
    manifest = json.loads((swapped_release / "manifest.json").read_text())
    assert "LICENSE.txt" in {f["path"] for f in manifest["files"]}
    assert manifest["licence"]["source"] == "../LICENSE.txt"
    assert manifest["licence"]["terms"] == parse_licence(SWAPPED).to_dict()
    assert any(line.endswith("  LICENSE.txt") for line in (swapped_release / "SHA256SUMS").read_text().splitlines())
    assert verify_release(swapped_release).ok


def test_the_card_follows_the_file(swapped_release: Path) -> None:
    card = (swapped_release / "README.md").read_text(encoding="utf-8")
    front = _front_matter(card)
    terms = parse_licence(SWAPPED)
    assert front["license"] == "other" and front["license_link"] == "LICENSE.txt"
    assert front["license_name"] == "-and-".join(lid.lower() for lid in terms.licences)
    assert "cc-by-nc-4.0" in front["license_name"] and "cc-by-4.0" not in front["license_name"]
    rows = _licence_rows(card)
    assert rows["images/*.png"] == rows["tables/items.parquet"] == "CC BY-NC 4.0"
    research = rows["tables/utterances.parquet"]
    assert research == rows["tables/item_ratings.parquet"] == rows["tables/participants.parquet"]
    assert research.startswith("custom terms") and "research use only" in research
    assert "CC BY-NC 4.0" in rows["vogue.duckdb"] and "research use only" in rows["vogue.duckdb"]
    assert "Research use only." not in card  # no statement of its own


def test_croissant_states_both_licences_from_the_file(swapped_release: Path) -> None:
    document = json.loads((swapped_release / "croissant.json").read_text(encoding="utf-8"))
    names = [entry["name"] for entry in document["license"]]
    assert names == [lic.name for lic in parse_licence(SWAPPED).licences.values()]
    assert document["license"][0]["url"] == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert "LICENSE.txt" in {d["@id"] for d in document["distribution"]}
    mlcroissant = pytest.importorskip("mlcroissant")
    assert not mlcroissant.Dataset(jsonld=document).metadata.ctx.issues.errors


def test_a_tampered_licence_fails_verify(swapped_release: Path, tmp_path: Path) -> None:
    copy = tmp_path / "r"
    shutil.copytree(swapped_release, copy)
    (copy / "LICENSE.txt").write_text(SYNTH_LICENCE)
    assert {(p.kind, p.path) for p in verify_release(copy).problems} >= {("changed", "LICENSE.txt")}
    refile(copy, "LICENSE.txt")  # checksums and manifest files made to agree: the licence entry still differs
    assert ("content", "LICENSE.txt") in {(p.kind, p.path) for p in verify_release(copy).problems}

    def relabel(manifest: dict) -> None:  # the attacker also rewrites the recorded sha256, not the terms
        manifest["licence"]["sha256"] = sha(copy / "LICENSE.txt")

    edit_manifest(copy, relabel)
    problems = verify_release(copy).problems
    assert any(p.kind == "manifest" and "licence.terms" in p.message for p in problems)


def test_one_licence_for_everything_is_named_in_the_front_matter(
        tmp_path: Path, small_tree: SynthInfo, image_cache: Path) -> None:
    release = build(validate_tree(_tree(tmp_path, small_tree, ONE_LICENCE), image_cache), tmp_path / "out").path
    card = (release / "README.md").read_text(encoding="utf-8")
    assert _front_matter(card)["license"] == "cc-by-sa-4.0"
    assert set(_licence_rows(card)["tables/turns.parquet"].split(";")) == {"CC BY-SA 4.0"}


def test_without_a_licence_the_card_says_the_terms_are_unknown(
        tmp_path: Path, small_tree: SynthInfo, image_cache: Path) -> None:
    release = build(validate_tree(_tree(tmp_path, small_tree, None), image_cache), tmp_path / "out").path
    card = (release / "README.md").read_text(encoding="utf-8")
    assert not (release / "LICENSE.txt").exists()
    front = _front_matter(card)
    assert front["license"] == "other" and front["license_name"] == "unknown" and "license_link" not in front
    assert "the terms of this data are unknown" in card
    assert verify_release(release).ok
    mlcroissant = pytest.importorskip("mlcroissant")
    document = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    assert not mlcroissant.Dataset(jsonld=document).metadata.ctx.issues.errors


def test_an_unintelligible_licence_is_shipped_and_referred_to(
        tmp_path: Path, small_tree: SynthInfo, image_cache: Path) -> None:
    text = "Copyright the authors. Ask before you use anything.\n"
    release = build(validate_tree(_tree(tmp_path, small_tree, text), image_cache), tmp_path / "out").path
    card = (release / "README.md").read_text(encoding="utf-8")
    assert (release / "LICENSE.txt").read_text() == text
    assert _front_matter(card)["license_name"] == "see-license-file"
    assert "**Terms: see `LICENSE.txt`.**" in card and not _licence_rows(card)
    assert re.search(r"could not derive the terms", card)
    assert verify_release(release).ok


def test_a_licence_changed_after_validation_is_refused(
        tmp_path: Path, small_tree: SynthInfo, image_cache: Path) -> None:
    root = _tree(tmp_path, small_tree, SYNTH_LICENCE)
    validation = validate_tree(root, image_cache)
    (root.parent / "LICENSE.txt").write_text(SWAPPED)
    with pytest.raises(UsageError, match="licence file"):
        build(validation, tmp_path / "out")
