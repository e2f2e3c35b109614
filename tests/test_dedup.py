"""Duplicate search: MIH equals brute force, deterministic clusters, accept file, mirrored copies."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from vogue_pack.errors import UsageError
from vogue_pack.images import dedup
from vogue_pack.images.dedup import (
    brute_force_pairs,
    candidate_pairs,
    clusters,
    colour_difference,
    find_duplicates,
    hex_to_words,
    mih_pairs,
    read_accept_file,
)
from vogue_pack.images.inspect import ImageOptions, inspect_images
from vogue_pack.raw.model import TABLES

# --- the index ----------------------------------------------------------------------------------------


@st.composite
def hash_sets(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """Clustered hashes (centres plus a few flipped bits), as real near duplicates are, of 1..4 words."""
    words = draw(st.sampled_from([1, 1, 2, 4]))
    centres = draw(st.lists(st.integers(0, 2 ** (64 * words) - 1), min_size=1, max_size=12))
    values = []
    for centre in centres:
        for _ in range(draw(st.integers(1, 6))):
            flips = draw(st.lists(st.integers(0, 64 * words - 1), max_size=8))
            value = centre
            for bit in flips:
                value ^= 1 << bit
            values.append(value)
    hex_width = 16 * words
    matrix = hex_to_words(f"{v:0{hex_width}x}" for v in values)
    return matrix, draw(st.integers(0, 16))


@settings(max_examples=80, deadline=None)
@given(hash_sets(), st.booleans())
def test_mih_equals_brute_force(data: tuple[np.ndarray, int], same: bool) -> None:
    matrix, threshold = data
    query = matrix if same else matrix[::-1].copy() ^ np.uint64(0b1011)
    # Tiny chunks exercise the chunking; brute force is refused so the index itself is tested.
    got = mih_pairs(query, matrix, threshold, same=same, chunk=7, allow_brute_force=False)
    want = brute_force_pairs(query, matrix, threshold, same=same)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)


def test_mih_equals_brute_force_on_random_hashes() -> None:
    rng = np.random.default_rng(7)
    centres = rng.integers(0, 2**63, size=300, dtype=np.int64).astype(np.uint64)
    noise = rng.integers(0, 2**63, size=(3000, 3), dtype=np.int64).astype(np.uint64)
    # Each hash is a centre with about 6 random bits flipped (bits chosen by the noise words).
    flips = np.zeros(3000, dtype=np.uint64)
    for k in range(3):
        flips |= np.uint64(1) << (noise[:, k] % np.uint64(64))
        flips |= np.uint64(1) << ((noise[:, k] >> np.uint64(6)) % np.uint64(64))
    hashes = (np.repeat(centres, 10) ^ flips)[:, None]
    found = {}
    for threshold in (0, 4, 8, 10, 12):
        got = mih_pairs(hashes, hashes, threshold, same=True, allow_brute_force=False)
        want = brute_force_pairs(hashes, hashes, threshold, same=True)
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)
        found[threshold] = len(want[0])
    # Members of one centre are at most 12 bits apart: every one of the 300 x 45 pairs is found at 12.
    assert found[12] >= 300 * 45


def test_hex_to_words_pads_and_splits() -> None:
    words = hex_to_words(["f", "0123456789abcdef0123456789abcdef"])
    assert words.tolist() == [[0, 15], [0x0123456789ABCDEF, 0x0123456789ABCDEF]]


# --- clusters -----------------------------------------------------------------------------------------

@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), max_size=60), st.randoms())
def test_clusters_are_components_named_by_their_smallest_id(pairs: list[tuple[int, int]],
                                                            rnd: random.Random) -> None:
    pairs = [(a, b) for a, b in pairs if a != b]
    shuffled = [(b, a) if rnd.random() < 0.5 else (a, b) for a, b in pairs]
    rnd.shuffle(shuffled)
    result = clusters(pairs)
    assert clusters(shuffled) == result
    # Reference: grow each component by repeated relaxation.
    label = {x: x for p in pairs for x in p}
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            low = min(label[a], label[b])
            if label[a] != low or label[b] != low:
                label[a] = label[b] = low
                changed = True
    assert result == label


# --- pairs from images --------------------------------------------------------------------------------

def product(seed: int, size: tuple[int, int] = (96, 120), background: tuple[int, int, int] = (245, 245, 240),
            colours: tuple[int, int] = (0, 255)) -> Image.Image:
    """Coloured shapes on a light background (``colours``: the range of each channel of a shape)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(6):
        x, y = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
        box = [x, y, x + int(rng.integers(10, w // 2)), y + int(rng.integers(10, h // 2))]
        colour = tuple(int(v) for v in rng.integers(*colours, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def save(tmp_path: Path, item_id: int, image: Image.Image, fmt: str = "PNG") -> tuple[int, str, Path]:
    path = tmp_path / "metadata" / f"item_{item_id}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    path.write_bytes(buffer.getvalue())
    return item_id, f"metadata/item_{item_id}.png", path


@pytest.fixture
def gallery(tmp_path: Path) -> pa.Table:
    """Items 1..3 one product (copy, resized), 4 its mirror image, 5..8 distinct products."""
    base = product(1)
    entries = [
        save(tmp_path, 1, base),
        save(tmp_path, 2, base),
        save(tmp_path, 3, base.resize((192, 240))),
        save(tmp_path, 4, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    ]
    entries += [save(tmp_path, i, product(i)) for i in range(5, 9)]
    table, findings = inspect_images(entries, ImageOptions(use_cache=False))
    assert findings == []
    return table


def test_exact_near_and_mirrored_pairs(gallery: pa.Table) -> None:
    table, findings = find_duplicates(gallery, ImageOptions(use_cache=False))
    assert table.schema.equals(TABLES["duplicate_pairs"].schema)
    rows = [(r["item_a"], r["item_b"], r["kind"], r["mirrored"], r["cluster"]) for r in table.to_pylist()]
    # Items 1-4 form one cluster: 6 pairs, 1-2 byte-identical, 4 mirrored against each of 1, 2, 3.
    assert rows == [
        (1, 2, "exact", False, 1), (1, 3, "near", False, 1), (1, 4, "near", True, 1),
        (2, 3, "near", False, 1), (2, 4, "near", True, 1), (3, 4, "near", True, 1),
    ]
    assert all(0 <= d <= 10 for d in table.column("distance").to_pylist())
    assert [f.code for f in findings] == ["image.duplicate"] + ["image.near-duplicate"] * 5
    first = findings[1]
    assert first.file == "metadata/item_1.png"
    assert "metadata/item_3.png" in first.message and "cluster 1" in first.message
    assert first.keys == {"item_id": 1, "other_item_id": 3, "cluster": 1, "mirrored": False}
    assert first.severity.value == "warning"


def test_pairs_do_not_depend_on_row_order(gallery: pa.Table) -> None:
    expected, _ = find_duplicates(gallery, ImageOptions(use_cache=False))
    rnd = random.Random(3)
    for _ in range(5):
        order = list(range(gallery.num_rows))
        rnd.shuffle(order)
        shuffled, _ = find_duplicates(gallery.take(order), ImageOptions(use_cache=False))
        assert shuffled.equals(expected)


def test_mih_and_brute_force_give_the_same_pairs(gallery: pa.Table) -> None:
    col = gallery.to_pydict()
    args = (col["item_id"], col["sha256"], col["hash"], col["hash_mirror"], 20)
    assert candidate_pairs(*args, search="mih") == candidate_pairs(*args, search="brute")


def test_threshold_zero_keeps_only_identical_hashes(gallery: pa.Table) -> None:
    table, _ = find_duplicates(gallery, ImageOptions(threshold=0, use_cache=False))
    hashes = dict(zip(gallery.column("item_id").to_pylist(), gallery.column("hash").to_pylist(), strict=True))
    for row in table.to_pylist():
        if not row["mirrored"]:
            assert hashes[row["item_a"]] == hashes[row["item_b"]]


def test_accept_file(gallery: pa.Table, tmp_path: Path) -> None:
    accept = tmp_path / "accept.csv"
    accept.write_text("item_a,item_b,decision,note\n3,1,not-duplicate,different colourway\n"
                      "1,2,known-duplicate,same product listed twice\n")
    table, findings = find_duplicates(gallery, ImageOptions(use_cache=False, accept_file=accept))
    pairs = [(r["item_a"], r["item_b"]) for r in table.to_pylist()]
    assert (1, 3) not in pairs and (1, 2) in pairs  # not-duplicate leaves the table, known stays
    reported = [(f.keys["item_id"], f.keys["other_item_id"]) for f in findings]
    assert (1, 3) not in reported and (1, 2) not in reported
    assert len(reported) == len(pairs) - 1


@pytest.mark.parametrize("text", [
    "a,b,decision\n1,2,not-duplicate\n",
    "item_a,item_b,decision\n1,x,not-duplicate\n",
    "item_a,item_b,decision\n1,2,maybe\n",
    "item_a,item_b,decision\n1,1,not-duplicate\n",
    "item_a,item_b,decision\n1,2,not-duplicate\n2,1,known-duplicate\n",
])
def test_malformed_accept_file_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "accept.csv"
    path.write_text(text)
    with pytest.raises(UsageError):
        read_accept_file(path)


def test_second_signal_drops_pairs_of_different_colour(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Same shapes, same luminance, different hue: pHash (greyscale) cannot tell them apart.
    shape = product(21)
    grey = np.asarray(shape.convert("L"), dtype=np.float64)
    reddish = np.stack([grey, grey * 0.6, grey * 0.6], axis=-1)
    greenish = np.stack([grey * 0.6, grey, grey * 0.6], axis=-1)
    entries = [save(tmp_path, 1, shape), save(tmp_path, 2, shape.resize((100, 125))),
               save(tmp_path, 3, Image.fromarray(reddish.astype(np.uint8))),
               save(tmp_path, 4, Image.fromarray(greenish.astype(np.uint8)))]
    table, _ = inspect_images(entries, ImageOptions(use_cache=False))
    options = ImageOptions(use_cache=False, threshold=64)
    confirmed = dedup.dedupe(table, options)
    assert confirmed.confirmation_used
    kept = {(p.item_a, p.item_b) for p in confirmed.pairs}
    dropped = {(p.item_a, p.item_b) for p in confirmed.unconfirmed}
    assert (1, 2) in kept and (3, 4) in dropped
    assert confirmed.table.num_rows == len(kept)
    monkeypatch.setattr(dedup, "CONFIRM_MAX_COLOUR_DIFF", 1e9)  # no colour limit: pHash alone
    plain = dedup.dedupe(table, options)
    assert {(p.item_a, p.item_b) for p in plain.pairs} == kept | dropped == {
        (a, b) for a in range(1, 5) for b in range(a + 1, 5)}


def _recoloured(image: Image.Image) -> Image.Image:
    """The same shapes and layout in other colours (the channels rotated: every hue turned by a third of
    the circle, grey left grey), as another colourway of the same shot."""
    r, g, b = image.split()
    return Image.merge("RGB", (b, r, g))


@pytest.mark.parametrize("seed", [33, 34, 35])
def test_colour_check_keeps_brightness_and_crop_copies_and_drops_recolouring(tmp_path: Path, seed: int) -> None:
    """What a duplicate undergoes (brightness up, the background clipping to white, or down; a small
    crop; a mirror image) leaves the colour cast alone; the same shot in other colours does not. pHash is
    made to accept every pair (threshold 64), so only the colour check decides."""
    from PIL import ImageEnhance

    # A neutral light-grey studio background, shapes in colours a 1.3x brightening does not clip.
    base = product(seed, (160, 200), background=(236, 236, 236), colours=(30, 190))
    w, h = base.size
    copies = {2: ImageEnhance.Brightness(base).enhance(1.3), 3: ImageEnhance.Brightness(base).enhance(0.75),
              4: base.crop((6, 9, w - 4, h - 5)), 5: base.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
              6: _recoloured(base), 7: _recoloured(ImageEnhance.Brightness(base).enhance(1.3))}
    entries = [save(tmp_path, 1, base)] + [save(tmp_path, k, image) for k, image in copies.items()]
    table, _ = inspect_images(entries, ImageOptions(use_cache=False))
    result = dedup.dedupe(table, ImageOptions(use_cache=False, threshold=64))
    kept = {(p.item_a, p.item_b) for p in result.pairs}
    dropped = {(p.item_a, p.item_b) for p in result.unconfirmed}
    assert {(1, 2), (1, 3), (1, 4), (1, 5), (2, 3), (6, 7)} <= kept
    assert {(1, 6), (1, 7), (2, 6), (3, 6), (4, 6), (5, 6)} <= dropped


def test_colour_difference_ignores_brightness_and_position_and_sees_hue() -> None:
    rng = np.random.default_rng(5)
    grid = rng.integers(20, 190, (4, 4, 3)).astype(np.float64)
    sig = grid.astype(np.uint8).tobytes().hex()
    brighter = (grid * 1.3).astype(np.uint8).tobytes().hex()  # every channel scaled, nothing clipped
    shuffled = grid.reshape(16, 3)[rng.permutation(16)].astype(np.uint8).tobytes().hex()
    other_hue = grid[:, :, ::-1].astype(np.uint8).tobytes().hex()
    assert colour_difference(sig, brighter) < 1.0
    assert colour_difference(sig, shuffled) < 1e-9  # the cast has no position: a mirror image agrees
    assert colour_difference(sig, sig) == 0.0
    assert colour_difference(sig, other_hue) > dedup.CONFIRM_MAX_COLOUR_DIFF


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=48, max_size=48), st.binary(min_size=48, max_size=48)),
                max_size=40),
       st.sampled_from([0, 1, 3, 255]))
def test_colour_differences_equal_the_single_pair_version(grids: list[tuple[bytes, bytes]], near: int) -> None:
    """The batched comparison gives the very float of colour_difference for every pair (the limit
    decides at <=, so any rounding difference could flip a pair): random grids, grids a few levels
    apart, dark grids (cells summing to 0, 1 or 2)."""
    rows = []
    for a, b in grids:
        other = bytes(min(255, max(0, x + (y % (2 * near + 1)) - near)) for x, y in zip(a, b, strict=True))
        rows.append((a.hex(), (other if near else b).hex()))
        rows.append((bytes(x % 3 for x in a).hex(), bytes(x % 2 for x in b).hex()))
    batched = dedup.colour_differences([r[0] for r in rows], [r[1] for r in rows])
    assert batched.tolist() == [colour_difference(a, b) for a, b in rows]


# --- the dedupe command -------------------------------------------------------------------------------

def _cli(args: list[str]) -> tuple[int, str]:
    from click.testing import CliRunner

    from vogue_pack.cli import cli

    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.stdout


@pytest.mark.parametrize("layout", ["data/metadata", "metadata"])
def test_dedupe_raw_tree_uses_its_metadata_folder(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / layout
    folder.mkdir(parents=True)
    base = product(1)
    for item_id, image in ((3, base), (17, base.resize((192, 240))), (20, product(20))):
        image.save(folder / f"item_{item_id}.png")
    (folder / "item_3.json").write_text("{}")
    (folder / "notes.png").write_bytes(b"ignored: not an item image of a raw tree")
    code, out = _cli(["dedupe", str(tmp_path), "--format", "csv", "--no-cache"])
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "item_a,item_b,decision,cluster,kind,distance,mirrored,file_a,file_b"
    assert len(lines) == 2 and lines[1].startswith("3,17,,3,near,")
    assert lines[1].endswith("metadata/item_3.png,metadata/item_17.png")


def test_dedupe_folder_numbers_arbitrary_names(tmp_path: Path) -> None:
    from vogue_pack.images.inspect import collect_images

    for name in ("b.jpg", "a.png", "sub/c.PNG"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        product(1).save(tmp_path / name, format="JPEG" if name.endswith("jpg") else "PNG")
    (tmp_path / "readme.txt").write_text("not an image")
    found = collect_images(tmp_path)
    assert found.kind == "folder" and not found.ids_from_names
    assert [(i, rel) for i, rel, _ in found.entries] == [(1, "a.png"), (2, "b.jpg"), (3, "sub/c.PNG")]


def test_dedupe_exit_code_json_and_accept_round_trip(tmp_path: Path) -> None:
    base = product(1)
    base.save(tmp_path / "item_1.png")
    base.save(tmp_path / "item_2.png")
    (tmp_path / "item_3.png").write_bytes(b"")
    code, out = _cli(["dedupe", str(tmp_path), "--format", "json", "--no-cache"])
    assert code == 1  # item_3.png is empty: an integrity error
    doc = json.loads(out)
    assert doc["format_version"] == "1"
    assert doc["summary"]["exact_pairs"] == 1 and doc["summary"]["images_failing_checks"] == 1
    assert [f["code"] for f in doc["integrity_findings"]] == ["image.empty"]
    (tmp_path / "item_3.png").unlink()
    code, review = _cli(["dedupe", str(tmp_path), "--format", "csv", "--no-cache"])
    accept = tmp_path.parent / f"{tmp_path.name}-accept.csv"
    accept.write_text(review.replace("1,2,,", "1,2,known-duplicate,"))
    code, out = _cli(["dedupe", str(tmp_path), "--accept", str(accept), "--no-cache"])
    assert code == 0 and "[known-duplicate]" in out


def test_dedupe_evaluate(tmp_path: Path) -> None:
    base = product(1)
    images = tmp_path / "images"
    images.mkdir()
    base.save(images / "item_1.png")
    base.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(images / "item_2.png")
    product(3).save(images / "item_3.png")
    labels = tmp_path / "labels.csv"
    labels.write_text("item_a,item_b,label,transform\n1,2,duplicate,flip\n1,3,distinct,\n")
    code, out = _cli(["dedupe", str(images), "--evaluate", str(labels), "--no-cache", "--format", "json"])
    assert code == 0
    evaluation = json.loads(out)["evaluation"]
    # The one duplicate pair (a mirrored copy) is found and nothing else: tp 1, fp 0, fn 0.
    assert evaluation["score_with_colour_confirmation"]["tp"] == 1
    assert evaluation["score_with_colour_confirmation"]["fp"] == 0
    assert evaluation["recall_by_transform"]["flip"]["recall"] == 1.0
    assert len(evaluation["sweep"]) == 21
