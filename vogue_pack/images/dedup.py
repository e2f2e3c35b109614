"""Exact and near-duplicate image search over perceptual hashes, with deterministic clusters.

Exact duplicates share a SHA-256. Near duplicates have perceptual hashes within ``threshold`` bits,
directly or against the hash of the horizontally mirrored image (flipped copies). The search is an
exact multi-index-hashing (MIH) index: each hash is cut into 16-bit bands; by the pigeonhole principle
two hashes within ``t`` bits agree to within ``floor(t / bands)`` bits on at least one band, so probing
every band's direct-address bucket table within that radius finds every pair, and the full distance
filters the candidates. It returns exactly the pairs of :func:`brute_force_pairs` (tested).
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from vogue_pack.console import plural
from vogue_pack.images.columns import arrow_array
from vogue_pack.images.jsontext import dumps_indented
from vogue_pack.raw.model import TABLES
from vogue_pack.report.findings import Finding, finding

if TYPE_CHECKING:
    from vogue_pack.images.inspect import ImageOptions

BAND_BITS = 16
# Below this many query x base comparisons numpy brute force beats building the bucket tables
# (measured: 10^3 hashes 8 ms brute force vs 60 ms MIH; 10^4: 1.7 s vs 0.24 s).
BRUTE_FORCE_MAX_PAIRS = 10_000_000
_BAND_VALUES = 1 << BAND_BITS
ACCEPT_DECISIONS = ("not-duplicate", "known-duplicate")

# The second signal (docs/dedup.md): pHash sees only coarse luminance, so look-alike product shots of
# different items (same cut in another colour, same studio set-up) fall within the threshold, and by
# sheer number in large sets. Every near pair must also agree in colour cast: each image's 4x4 grid of
# mean colours gives per cell its chromaticity (r, g, b) / (r + g + b), which a brightness change
# (every channel scaled) leaves alone, as an offset from grey in the chromaticity plane; the cast is
# the mean offset of the 16 cells. Mixing a cell with the grey background (a crop moves an edge across
# cells) shortens its offset but keeps its direction, so a crop changes the cast's length a little and
# its hue not at all, whereas another colour turns it. Two casts agree when they differ by at most
# CONFIRM_MAX_COLOUR_DIFF percent of their lengths' sum plus COLOUR_GREY_CAST (an allowance that keeps
# near-grey images, whose hue is noise, comparable). Byte-identical pairs need no confirmation; a pair
# whose colour signature is unavailable is kept.
CONFIRM_MAX_COLOUR_DIFF = 15.0
COLOUR_GREY_CAST = 0.02


# --- hashes as bit matrices ---------------------------------------------------------------------------

def hex_to_words(hashes: Iterable[str]) -> np.ndarray:
    """Hex hashes (all the same length) as an ``(n, words)`` uint64 matrix, left-padded to 64-bit words."""
    values = list(hashes)
    if not values:
        return np.zeros((0, 1), dtype=np.uint64)
    width = max(len(h) for h in values)
    words = (width + 15) // 16
    text = "".join(h.rjust(words * 16, "0") for h in values)
    raw = np.frombuffer(bytes.fromhex(text), dtype=">u8").astype(np.uint64)
    return raw.reshape(len(values), words)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distance of two broadcastable ``(..., words)`` uint64 arrays."""
    return np.bitwise_count(np.bitwise_xor(a, b)).sum(axis=-1, dtype=np.int64)


def _bands(words: np.ndarray) -> np.ndarray:
    """``(n, bands)`` int64 matrix of the 16-bit bands, most significant first."""
    n, w = words.shape
    per_word = 64 // BAND_BITS
    shifts = np.array([64 - BAND_BITS * (k + 1) for k in range(per_word)], dtype=np.uint64)
    bands = (words[:, :, None] >> shifts[None, None, :]) & np.uint64(_BAND_VALUES - 1)
    return bands.reshape(n, w * per_word).astype(np.int64)


def _mask_count(radius: int) -> int:
    return sum(math.comb(BAND_BITS, k) for k in range(min(radius, BAND_BITS) + 1))


def _masks(radius: int) -> np.ndarray:
    """Every 16-bit value with at most ``radius`` bits set (the probes of one bucket)."""
    masks = [0]
    for k in range(1, min(radius, BAND_BITS) + 1):
        for bits in itertools.combinations(range(BAND_BITS), k):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.int64)


@dataclass(frozen=True)
class _BandIndex:
    """Direct-address bucket table of one band: members of bucket v are ``order[starts[v]:starts[v+1]]``."""

    order: np.ndarray
    starts: np.ndarray

    @classmethod
    def build(cls, band: np.ndarray) -> _BandIndex:
        order = np.argsort(band, kind="stable")
        counts = np.bincount(band, minlength=_BAND_VALUES)
        starts = np.zeros(_BAND_VALUES + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(order=order, starts=starts)


def mih_pairs(
    query: np.ndarray, base: np.ndarray, threshold: int, *, same: bool, chunk: int = 4_000_000,
    allow_brute_force: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``(i, j, distance)`` with ``hamming(query[i], base[j]) <= threshold``, exactly.

    ``same=True`` means ``query is base`` and returns each unordered pair once with ``i < j``;
    otherwise every ``(i, j)`` with ``i != j`` is returned (a query and base row of the same index
    describe the same image). Sorted by ``(i, j)``. When the probes would outnumber the hashes
    (tiny sets, huge thresholds) plain brute force is used, unless ``allow_brute_force`` is False.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(query) == 0 or len(base) == 0:
        return empty, empty, empty
    qbands, bbands = _bands(query), _bands(base)
    n_bands = qbands.shape[1]
    radius = threshold // n_bands
    if allow_brute_force and (n_bands * _mask_count(radius) >= len(base)
                              or len(query) * len(base) <= BRUTE_FORCE_MAX_PAIRS):
        # Few hashes, or so many probes per hash that comparing every pair is cheaper.
        return brute_force_pairs(query, base, threshold, same=same)
    masks = _masks(radius)
    single = query.shape[1] == 1  # 64-bit hashes: 1-D arrays, a uint8 popcount, no row sums
    flat_query = query[:, 0] if single else query
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_d: list[np.ndarray] = []
    for b in range(n_bands):
        index = _BandIndex.build(bbands[:, b])
        in_order = base[index.order]  # the base in bucket order: one gather per candidate, not two
        flat_in_order = in_order[:, 0] if single else in_order
        qband = qbands[:, b]
        for mask in masks:
            probe = qband ^ mask
            if same and mask != 0:
                # A pair whose bands differ by mask is found from both ends: probe from the lower one.
                rows = np.flatnonzero(qband < probe)
            else:
                rows = np.arange(len(qband))
            lo = index.starts[probe[rows]]
            counts = index.starts[probe[rows] + 1] - lo
            for i, pos in _expand(rows, lo, counts, chunk):
                if single:
                    d = np.bitwise_count(flat_query[i] ^ flat_in_order[pos])
                else:
                    d = hamming(flat_query[i], flat_in_order[pos])
                keep = d <= threshold
                i, j, d = i[keep], index.order[pos[keep]], d[keep].astype(np.int64)
                if same:
                    keep = i < j if mask == 0 else i != j
                else:
                    keep = i != j
                i, j, d = i[keep], j[keep], d[keep]
                if b and len(i):
                    # Keep a pair only in the first band where it is within the radius (no repeats).
                    earlier = np.bitwise_count(qbands[i, :b] ^ bbands[j, :b]) <= radius
                    keep = ~earlier.any(axis=1)
                    i, j, d = i[keep], j[keep], d[keep]
                if same:
                    i, j = np.minimum(i, j), np.maximum(i, j)
                found_i.append(i)
                found_j.append(j)
                found_d.append(d)
    if not found_i:
        return empty, empty, empty
    i, j, d = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)
    order = np.lexsort((j, i))
    return i[order], j[order], d[order]


def _expand(rows: np.ndarray, lo: np.ndarray, counts: np.ndarray, chunk: int,
            ) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """Candidates ``(query row, position in bucket order)`` of every probed bucket, about ``chunk`` a time."""
    nonzero = counts > 0
    rows, lo, counts = rows[nonzero], lo[nonzero], counts[nonzero]
    if len(rows) == 0:
        return
    ends = np.cumsum(counts)
    start = 0
    while start < len(rows):
        base_total = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, base_total + chunk, side="right"))
        stop = max(stop, start + 1)
        r, low, cnt = rows[start:stop], lo[start:stop], counts[start:stop]
        total = int(ends[stop - 1] - base_total)
        first = np.cumsum(cnt) - cnt  # where each row's candidates start in this chunk
        yield np.repeat(r, cnt), np.repeat(low - first, cnt) + np.arange(total)
        start = stop


def brute_force_pairs(query: np.ndarray, base: np.ndarray, threshold: int, *, same: bool,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference: every pair within ``threshold`` by XOR and popcount (same contract as mih_pairs)."""
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_d: list[np.ndarray] = []
    step = max(1, 2_000_000 // max(1, len(base)))
    for start in range(0, len(query), step):
        block = query[start:start + step]
        d = hamming(block[:, None, :], base[None, :, :])
        i, j = np.nonzero(d <= threshold)
        i = i + start
        keep = i < j if same else i != j
        i, j = i[keep], j[keep]
        found_i.append(i)
        found_j.append(j)
        found_d.append(d[i - start, j])
    if not found_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    i, j, d = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), d[order].astype(np.int64)


# --- pairs of items -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pair:
    """One duplicate pair of items (``item_a < item_b``).

    ``distance`` is the direct Hamming distance, or for a ``mirrored`` pair (one matched only against
    the other's mirror image) the mirrored one. ``direct`` and ``mirror`` keep both (the threshold
    sweep of an evaluation needs them).
    """

    item_a: int
    item_b: int
    kind: str
    distance: int
    mirrored: bool
    direct: int = 0
    mirror: int = 0


def candidate_pairs(
    item_ids: list[int], sha256: list[str | None], hashes: list[str | None], mirrors: list[str | None],
    threshold: int, *, search: str = "mih",
) -> list[Pair]:
    """Exact pairs (same SHA-256) and near pairs (hash or mirrored hash within ``threshold``)."""
    pairs: dict[tuple[int, int], Pair] = {}
    by_digest: dict[str, list[int]] = {}
    for item, digest in zip(item_ids, sha256, strict=True):
        if digest is not None:
            by_digest.setdefault(digest, []).append(item)
    for members in by_digest.values():
        if len(members) < 2:
            continue  # nearly every image: no pair, nothing to sort
        for a, b in itertools.combinations(sorted(set(members)), 2):
            pairs[(a, b)] = Pair(a, b, "exact", 0, False)

    rows = [k for k, h in enumerate(hashes) if h is not None and mirrors[k] is not None]
    if len(rows) < 2:
        return sorted(pairs.values(), key=lambda p: (p.item_a, p.item_b))
    ids = np.array([item_ids[k] for k in rows], dtype=np.int64)
    direct = hex_to_words(hashes[k] or "" for k in rows)
    mirror = hex_to_words(mirrors[k] or "" for k in rows)
    join = mih_pairs if search == "mih" else brute_force_pairs
    di, dj, _ = join(direct, direct, threshold, same=True)
    mi, mj, _ = join(mirror, direct, threshold, same=False)
    first = np.concatenate([di, np.minimum(mi, mj)])
    second = np.concatenate([dj, np.maximum(mi, mj)])
    if len(first):
        unique = np.unique(first * len(rows) + second)
        first, second = unique // len(rows), unique % len(rows)
    d_direct = hamming(direct[first], direct[second])
    d_mirror = np.minimum(hamming(mirror[first], direct[second]), hamming(direct[first], mirror[second]))
    item_a, item_b = np.minimum(ids[first], ids[second]), np.maximum(ids[first], ids[second])
    # One pair per two items: the first found (rows of one item id repeated), never one already exact;
    # in (item_a, item_b) order, so the final sort has little left to do.
    _, first_found = np.unique(np.stack([item_a, item_b], axis=1), axis=0, return_index=True)
    keep = first_found.astype(np.int64)
    keep = keep[item_a[keep] != item_b[keep]]
    mirrored = d_direct[keep] > threshold
    distance = np.where(mirrored, d_mirror[keep], d_direct[keep])
    for a, b, dist, mir, dd, dm in zip(item_a[keep].tolist(), item_b[keep].tolist(), distance.tolist(),
                                       mirrored.tolist(), d_direct[keep].tolist(), d_mirror[keep].tolist(),
                                       strict=True):
        if (a, b) not in pairs:
            pairs[(a, b)] = Pair(a, b, "near", dist, mir, dd, dm)
    return sorted(pairs.values(), key=lambda p: (p.item_a, p.item_b))


def clusters(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Union-find over the pairs: item id -> cluster id (the smallest item id of its cluster)."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in sorted(pairs):
        ra, rb = root(a), root(b)
        if ra != rb:
            # The smaller root wins, so the cluster id is its smallest member whatever the order.
            parent[max(ra, rb)] = min(ra, rb)
    return {x: root(x) for x in sorted(parent)}


# --- the maintainer's decisions -----------------------------------------------------------------------

def read_accept_file(path: Path) -> dict[tuple[int, int], str]:
    """Read ``item_a,item_b,decision`` rows (docs/dedup.md); a malformed file is a UsageError."""
    from vogue_pack.errors import UsageError

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the accept file {path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    needed = {"item_a", "item_b", "decision"}
    if reader.fieldnames is None or not needed <= set(reader.fieldnames):
        raise UsageError(f"{path}: the header must name item_a,item_b,decision (extra columns are allowed)")
    decisions: dict[tuple[int, int], str] = {}
    for line, row in enumerate(reader, start=2):
        try:
            a, b = int(row["item_a"]), int(row["item_b"])
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{path}, line {line}: item_a and item_b must be integers") from exc
        decision = (row["decision"] or "").strip()
        if decision not in ACCEPT_DECISIONS:
            raise UsageError(f"{path}, line {line}: decision must be one of {', '.join(ACCEPT_DECISIONS)}, "
                             f"not {decision!r}")
        if a == b:
            raise UsageError(f"{path}, line {line}: item_a and item_b are the same item")
        key = (min(a, b), max(a, b))
        if decisions.get(key, decision) != decision:
            raise UsageError(f"{path}, line {line}: pair {key} has two different decisions")
        decisions[key] = decision
    return decisions


# --- the library entry point --------------------------------------------------------------------------

@dataclass
class DedupResult:
    """Everything a dedup run found (the CLI renders it; find_duplicates returns table + findings)."""

    table: pa.Table
    findings: list[Finding]
    pairs: list[Pair]
    accepted: dict[tuple[int, int], str]
    unconfirmed: list[Pair]
    confirmation_used: bool


def find_duplicates(images: pa.Table, options: ImageOptions) -> tuple[pa.Table, list[Finding]]:
    """Duplicate pairs of the ``images`` table: the ``duplicate_pairs`` table (sorted) and warnings."""
    result = dedupe(images, options)
    return result.table, result.findings


def dedupe(images: pa.Table, options: ImageOptions, *, search: str = "mih") -> DedupResult:
    """find_duplicates with the details a review needs (accepted and unconfirmed pairs)."""
    from vogue_pack.images.inspect import validate_options

    validate_options(options)
    col = images.to_pydict()
    item_ids: list[int] = col["item_id"]
    paths = dict(zip(item_ids, col["path"], strict=True))
    hashes = [h if alg == options.algorithm else None
              for h, alg in zip(col["hash"], col["hash_algorithm"], strict=True)]
    mirrors = [m if h is not None else None for m, h in zip(col["hash_mirror"], hashes, strict=True)]
    found = candidate_pairs(item_ids, col["sha256"], hashes, mirrors, options.threshold, search=search)

    digests = dict(zip(item_ids, col["sha256"], strict=True))
    near = [p for p in found if p.kind == "near"]
    agreement = colours_agree(digests, near, options)
    confirm_used = any(a is not None for a in agreement)
    dropped = {(p.item_a, p.item_b) for p, a in zip(near, agreement, strict=True) if a is False}
    unconfirmed = [p for p in found if (p.item_a, p.item_b) in dropped]
    found = [p for p in found if (p.item_a, p.item_b) not in dropped]

    accepted = read_accept_file(options.accept_file) if options.accept_file is not None else {}
    pairs = [p for p in found if accepted.get((p.item_a, p.item_b)) != "not-duplicate"]
    cluster_of = clusters((p.item_a, p.item_b) for p in pairs)
    spec = TABLES["duplicate_pairs"]
    table = pa.Table.from_arrays([
        arrow_array([p.item_a for p in pairs], pa.int32()),
        arrow_array([p.item_b for p in pairs], pa.int32()),
        arrow_array([p.kind for p in pairs], pa.string()),
        arrow_array([p.distance for p in pairs], pa.int32()),
        arrow_array([p.mirrored for p in pairs], pa.bool_()),
        arrow_array([cluster_of[p.item_a] for p in pairs], pa.int32()),
    ], schema=spec.schema)

    findings: list[Finding] = []
    for p in pairs:
        if accepted.get((p.item_a, p.item_b)) == "known-duplicate":
            continue
        findings.append(_pair_finding(p, paths, cluster_of[p.item_a], options.threshold))
    return DedupResult(table, findings, pairs, accepted, unconfirmed, confirm_used)


def _pair_finding(p: Pair, paths: dict[int, str], cluster: int, threshold: int) -> Finding:
    file_a, file_b = paths[p.item_a], paths[p.item_b]
    keys: dict[str, Any] = {"item_id": p.item_a, "other_item_id": p.item_b, "cluster": cluster}
    if p.kind == "exact":
        return finding(
            "image.duplicate",
            f"items {p.item_a} and {p.item_b} have byte-identical images ({file_a}, {file_b}; "
            f"cluster {cluster})",
            file=file_a, keys=keys, value={"other_file": file_b, "distance": 0}, expected="different images",
        )
    how = "its mirror image" if p.mirrored else "each other"
    return finding(
        "image.near-duplicate",
        f"items {p.item_a} and {p.item_b} have near-identical images ({file_a}, {file_b}): "
        f"{p.distance} bits from {how} (threshold {threshold}; cluster {cluster})",
        file=file_a, keys={**keys, "mirrored": p.mirrored},
        value={"other_file": file_b, "distance": p.distance}, expected=f"distance > {threshold}",
    )


def colour_casts(signatures: list[str]) -> np.ndarray:
    """The colour cast of each colour signature (a 4x4 RGB grid, hex): an ``(n, 2)`` float array.

    Per cell the chromaticity ``(r, g, b) / max(r + g + b, 1)`` minus grey's ``(1/3, 1/3, 1/3)``, in an
    orthonormal basis of the chromaticity plane (red-green, yellow-blue); the cast is the mean of the 16
    cells. Cells are summed one after another (an outer-axis reduction), so an image's cast is the same
    float whatever else is in the batch.
    """
    n = len(signatures)
    if n == 0:
        return np.zeros((0, 2), dtype=np.float64)
    grid = np.frombuffer(bytes.fromhex("".join(signatures)), dtype=np.uint8).reshape(n, 16, 3)
    rgb = grid.astype(np.float64)
    chroma = rgb / np.maximum(rgb.sum(axis=2, keepdims=True), 1.0)
    red_green = (chroma[:, :, 0] - chroma[:, :, 1]) * math.sqrt(0.5)
    yellow_blue = (chroma[:, :, 0] + chroma[:, :, 1] - 2.0 * chroma[:, :, 2]) / math.sqrt(6.0)
    cells = np.stack([red_green, yellow_blue], axis=-1).transpose(1, 0, 2)  # (16, n, 2)
    return np.asarray(np.add.reduce(cells, axis=0) / 16.0)


def cast_differences(casts_a: np.ndarray, casts_b: np.ndarray) -> np.ndarray:
    """Row-wise difference of two ``(n, 2)`` cast arrays, in percent of their lengths plus the grey allowance."""
    apart = np.hypot(casts_a[:, 0] - casts_b[:, 0], casts_a[:, 1] - casts_b[:, 1])
    scale = np.hypot(casts_a[:, 0], casts_a[:, 1]) + np.hypot(casts_b[:, 0], casts_b[:, 1]) + COLOUR_GREY_CAST
    return np.asarray(apart / scale * 100.0)


def colour_difference(sig_a: str, sig_b: str) -> float:
    """How far apart the colour casts of two colour signatures are (percent; agree at <= CONFIRM_MAX_COLOUR_DIFF).

    The cast has no position, so a mirrored copy needs no mirrored grid.
    """
    return float(colour_differences([sig_a], [sig_b])[0])


def colour_differences(sigs_a: list[str], sigs_b: list[str]) -> np.ndarray:
    """:func:`colour_difference` of many pairs at once (the same float for each: tests/test_dedup.py)."""
    return cast_differences(colour_casts(sigs_a), colour_casts(sigs_b))


def colours_agree(digests: dict[int, str | None], pairs: list[Pair], options: ImageOptions) -> list[bool | None]:
    """For each pair, whether the two images agree in colour cast; None when a signature is unavailable.

    Each image's cast is computed once, however many pairs it is in.
    """
    from vogue_pack.images.inspect import colour_signature

    signature: dict[int, str | None] = {}
    for p in pairs:
        for item in (p.item_a, p.item_b):
            if item not in signature:
                sha = digests[item]
                signature[item] = colour_signature(sha, options) if sha else None
    items = [item for item, sig in signature.items() if sig is not None]
    row = {item: k for k, item in enumerate(items)}
    casts = colour_casts([signature[item] or "" for item in items])
    known = [k for k, p in enumerate(pairs) if p.item_a in row and p.item_b in row]
    diffs = cast_differences(casts[[row[pairs[k].item_a] for k in known]].reshape(-1, 2),
                             casts[[row[pairs[k].item_b] for k in known]].reshape(-1, 2))
    out: list[bool | None] = [None] * len(pairs)
    for k, diff in zip(known, diffs.tolist(), strict=True):
        out[k] = diff <= CONFIRM_MAX_COLOUR_DIFF
    return out


# --- evaluation against labelled pairs ----------------------------------------------------------------

LABEL_VALUES = ("duplicate", "distinct")


@dataclass(frozen=True)
class Labels:
    """Labelled pairs: every duplicate pair of the image set, optionally some distinct (hard) pairs."""

    duplicates: frozenset[tuple[int, int]]
    distinct: frozenset[tuple[int, int]]
    transform: dict[tuple[int, int], str]


def read_labels(path: Path, entries: list[tuple[int, str, Path]]) -> Labels:
    """Read a labels CSV: ``item_a,item_b,label`` (or ``file_a,file_b,label``) [,transform] (docs/dedup.md)."""
    from vogue_pack.errors import UsageError

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the labels file {path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    fields = set(reader.fieldnames or [])
    by_ids = {"item_a", "item_b", "label"} <= fields
    if not by_ids and not {"file_a", "file_b", "label"} <= fields:
        raise UsageError(f"{path}: the header must name item_a,item_b,label or file_a,file_b,label")
    id_of_file = {rel: item for item, rel, _ in entries}
    known = set(id_of_file.values())
    duplicates: set[tuple[int, int]] = set()
    distinct: set[tuple[int, int]] = set()
    transform: dict[tuple[int, int], str] = {}
    for line, row in enumerate(reader, start=2):
        try:
            if by_ids:
                a, b = int(row["item_a"]), int(row["item_b"])
            else:
                a, b = id_of_file[row["file_a"]], id_of_file[row["file_b"]]
        except (TypeError, ValueError, KeyError) as exc:
            raise UsageError(f"{path}, line {line}: unknown item or file ({exc})") from exc
        if a not in known or b not in known or a == b:
            raise UsageError(f"{path}, line {line}: ({a}, {b}) is not a pair of two images of the set")
        label = (row["label"] or "").strip()
        if label not in LABEL_VALUES:
            raise UsageError(f"{path}, line {line}: label must be duplicate or distinct, not {label!r}")
        key = (min(a, b), max(a, b))
        (duplicates if label == "duplicate" else distinct).add(key)
        if row.get("transform"):
            transform[key] = row["transform"]
    if duplicates & distinct:
        raise UsageError(f"{path}: {len(duplicates & distinct)} pairs are labelled both duplicate and distinct")
    return Labels(frozenset(duplicates), frozenset(distinct), transform)


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 of the predicted pairs at one threshold."""

    threshold: int
    predicted: int
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        total = self.true_positives + self.false_negatives
        return self.true_positives / total if total else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "predicted": self.predicted, "tp": self.true_positives,
                "fp": self.false_positives, "fn": self.false_negatives,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Evaluation:
    """Scores at the chosen threshold, a threshold sweep, recall per transformation, hard negatives."""

    threshold: int
    score: Score
    confirmed_score: Score | None
    sweep: list[Score]
    confirmed_sweep: list[Score]
    by_transform: dict[str, dict[str, float]]
    hard_negatives: dict[str, int]
    duplicates: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold, "labelled_duplicates": self.duplicates,
            "score": self.score.to_dict(),
            "score_with_colour_confirmation": self.confirmed_score.to_dict() if self.confirmed_score else None,
            "sweep": [s.to_dict() for s in self.sweep],
            "sweep_with_colour_confirmation": [s.to_dict() for s in self.confirmed_sweep],
            "recall_by_transform": self.by_transform, "hard_negatives": self.hard_negatives,
        }


def _effective(p: Pair) -> int:
    return 0 if p.kind == "exact" else min(p.direct, p.mirror)


def _score(threshold: int, predicted: set[tuple[int, int]], labels: Labels) -> Score:
    tp = len(predicted & labels.duplicates)
    return Score(threshold, len(predicted), tp, len(predicted) - tp, len(labels.duplicates) - tp)


def evaluate(images: pa.Table, options: ImageOptions, labels: Labels, *, sweep_max: int = 20) -> Evaluation:
    """Score near-duplicate detection against ``labels`` (closed world: unlisted pairs are distinct).

    Pairs are searched once at the sweep's largest threshold; each threshold keeps the pairs whose
    smaller of direct and mirrored distance is within it. ``score`` is pHash alone; the confirmed
    variant adds the colour check that find_duplicates applies (CONFIRM_MAX_COLOUR_DIFF): it is what
    vogue-pack reports.
    """
    col = images.to_pydict()
    top = max(sweep_max, options.threshold)
    hashes = [h if alg == options.algorithm else None for h, alg in zip(col["hash"], col["hash_algorithm"],
                                                                        strict=True)]
    mirrors = [m if h is not None else None for m, h in zip(col["hash_mirror"], hashes, strict=True)]
    pairs = candidate_pairs(col["item_id"], col["sha256"], hashes, mirrors, top)
    digests = dict(zip(col["item_id"], col["sha256"], strict=True))
    near = [p for p in pairs if p.kind == "near"]
    agreement = colours_agree(digests, near, options)
    colour_ok = {(p.item_a, p.item_b): True for p in pairs if p.kind == "exact"}
    colour_ok.update({(p.item_a, p.item_b): a is not False for p, a in zip(near, agreement, strict=True)})
    sweep, confirmed_sweep = [], []
    for t in range(top + 1):
        predicted = {(p.item_a, p.item_b) for p in pairs if _effective(p) <= t}
        sweep.append(_score(t, predicted, labels))
        confirmed_sweep.append(_score(t, {k for k in predicted if colour_ok[k]}, labels))
    # What find_duplicates reports at the chosen threshold: pHash within it and colours agreeing.
    at = {(p.item_a, p.item_b) for p in pairs if _effective(p) <= options.threshold and colour_ok[(p.item_a, p.item_b)]}
    by_transform: dict[str, dict[str, float]] = {}
    for key, name in sorted(labels.transform.items()):
        if key in labels.duplicates:
            entry = by_transform.setdefault(name, {"pairs": 0, "found": 0})
            entry["pairs"] += 1
            entry["found"] += key in at
    for entry in by_transform.values():
        entry["recall"] = round(entry["found"] / entry["pairs"], 4)
    hard = {"pairs": len(labels.distinct), "reported": len(at & labels.distinct)}
    return Evaluation(options.threshold, sweep[options.threshold], confirmed_sweep[options.threshold],
                      sweep, confirmed_sweep, by_transform, hard, len(labels.duplicates))


# --- the dedupe command -------------------------------------------------------------------------------

DEDUPE_FORMAT_VERSION = "1"


@dataclass
class DedupeRun:
    """Everything ``vogue-pack dedupe`` shows: images, integrity findings, pairs, clusters, evaluation."""

    path: Path
    root: Path
    kind: str
    ids_from_names: bool
    images: pa.Table
    integrity: list[Finding]
    result: DedupResult
    seconds_inspect: float
    decoded: int
    cache_hits: int
    jobs: int
    options: ImageOptions
    evaluation: Evaluation | None = None

    @property
    def ok(self) -> bool:
        """True when no image failed an integrity check (exit code 0)."""
        return not any(f.severity.value == "error" for f in self.integrity)


def run_dedupe(path: Path, options: ImageOptions, labels_path: Path | None = None) -> DedupeRun:
    """Inspect, hash and deduplicate the images under ``path`` (a raw tree or a folder of images)."""
    from vogue_pack.images.inspect import InspectStats, collect_images, inspect_images, validate_options

    validate_options(options)
    folder = collect_images(path)
    labels = read_labels(labels_path, folder.entries) if labels_path is not None else None
    if options.accept_file is not None:
        read_accept_file(options.accept_file)  # a bad accept file fails before the long part
    stats = InspectStats()
    images, integrity = inspect_images(folder.entries, options, stats=stats)
    result = dedupe(images, options)
    evaluation = evaluate(images, options, labels) if labels is not None else None
    return DedupeRun(Path(path), folder.root, folder.kind, folder.ids_from_names, images,
                     folder.findings + integrity, result, stats.seconds, stats.decoded, stats.cache_hits,
                     stats.jobs, options, evaluation)


def _cluster_groups(run: DedupeRun) -> list[dict[str, Any]]:
    paths = dict(zip(run.images.column("item_id").to_pylist(), run.images.column("path").to_pylist(),
                     strict=True))
    groups: dict[int, dict[str, Any]] = {}
    for row in run.result.table.to_pylist():
        group = groups.setdefault(row["cluster"], {"cluster": row["cluster"], "items": set(), "pairs": []})
        group["items"].update((row["item_a"], row["item_b"]))
        decision = run.result.accepted.get((row["item_a"], row["item_b"]))
        group["pairs"].append({**row, "file_a": paths[row["item_a"]], "file_b": paths[row["item_b"]],
                               "decision": decision})
    out = []
    for cluster in sorted(groups):
        group = groups[cluster]
        items = sorted(group["items"])
        out.append({"cluster": cluster, "items": [{"item_id": i, "path": paths[i]} for i in items],
                    "pairs": group["pairs"]})
    return out


def render_dedupe(run: DedupeRun, fmt: str) -> str:
    """The review record: ``text`` for a terminal, ``json`` (versioned) or ``csv`` (one row per pair)."""
    groups = _cluster_groups(run)
    if fmt == "json":
        from vogue_pack._version import __version__

        doc = {
            "format_version": DEDUPE_FORMAT_VERSION,
            "tool": {"name": "vogue-pack", "version": __version__},
            "root": str(run.root), "source": run.kind, "item_ids_from_names": run.ids_from_names,
            "options": {"algorithm": run.options.algorithm, "hash_size": run.options.hash_size,
                        "threshold": run.options.threshold,
                        "accept_file": str(run.options.accept_file) if run.options.accept_file else None},
            "summary": _summary(run, groups),
            "clusters": groups,
            "unconfirmed_pairs": [p.__dict__ for p in run.result.unconfirmed],
            "integrity_findings": [f.to_dict() for f in run.integrity],
            "evaluation": run.evaluation.to_dict() if run.evaluation else None,
        }
        return dumps_indented(doc) + "\n"
    if fmt == "csv":
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        # The columns of an accept file come first: fill in decision and pass it back with --accept.
        writer.writerow(["item_a", "item_b", "decision", "cluster", "kind", "distance", "mirrored",
                         "file_a", "file_b"])
        for group in groups:
            for p in group["pairs"]:
                writer.writerow([p["item_a"], p["item_b"], p["decision"] or "", p["cluster"], p["kind"],
                                 p["distance"], str(p["mirrored"]).lower(), p["file_a"], p["file_b"]])
        return buffer.getvalue()
    return _render_text(run, groups)


def _summary(run: DedupeRun, groups: list[dict[str, Any]]) -> dict[str, Any]:
    pairs = run.result.pairs
    return {
        "images": run.images.num_rows,
        "images_failing_checks": sum(not ok for ok in run.images.column("ok").to_pylist()),
        "clusters": len(groups),
        "pairs": len(pairs),
        "exact_pairs": sum(p.kind == "exact" for p in pairs),
        "near_pairs": sum(p.kind == "near" for p in pairs),
        "mirrored_pairs": sum(p.mirrored for p in pairs),
        "accepted_not_duplicate": sum(d == "not-duplicate" for d in run.result.accepted.values()),
        "known_duplicates": sum(d == "known-duplicate" for d in run.result.accepted.values()),
        "unconfirmed_pairs_dropped": len(run.result.unconfirmed),
        "colour_confirmation": run.result.confirmation_used,
        "decoded": run.decoded, "cache_hits": run.cache_hits, "jobs": run.jobs,
        "seconds_inspect": round(run.seconds_inspect, 3),
    }


def _render_text(run: DedupeRun, groups: list[dict[str, Any]], max_clusters: int = 50) -> str:
    s = _summary(run, groups)
    lines = [
        f"{plural(s['images'], 'image')} under {run.root} ({'raw tree' if run.kind == 'raw' else 'folder'}); "
        f"{s['images_failing_checks']} fail integrity checks",
        f"{plural(s['clusters'], 'cluster')}, {plural(s['pairs'], 'pair')} ({s['exact_pairs']} byte-identical, "
        f"{s['near_pairs']} near, "
        f"{s['mirrored_pairs']} of them mirrored) at {run.options.algorithm} threshold {run.options.threshold}",
    ]
    if s["unconfirmed_pairs_dropped"]:
        lines.append(f"{s['unconfirmed_pairs_dropped']} near pairs dropped: colours disagree (docs/dedup.md)")
    for group in groups[:max_clusters]:
        ids = ", ".join(str(i["item_id"]) for i in group["items"])
        lines.append(f"cluster {group['cluster']}: items {ids}")
        for p in group["pairs"][:20]:
            how = "exact" if p["kind"] == "exact" else f"{p['distance']:>2} bits"
            how += " mirrored" if p["mirrored"] else ""
            note = f"  [{p['decision']}]" if p["decision"] else ""
            lines.append(f"  {p['item_a']:>6} {p['item_b']:>6}  {how:<16} {p['file_a']}  {p['file_b']}{note}")
        if len(group["pairs"]) > 20:
            lines.append(f"  … {len(group['pairs']) - 20} more pairs (--format csv lists all)")
    if len(groups) > max_clusters:
        lines.append(f"… {len(groups) - max_clusters} more clusters (--format csv or json lists all)")
    errors = [f for f in run.integrity if f.severity.value == "error"]
    for item in errors[:20]:
        lines.append(f"error {item.code}: {item.file}: {item.message}")
    if len(errors) > 20:
        lines.append(f"… {len(errors) - 20} more integrity errors (--format json lists all)")
    if run.evaluation is not None:
        lines.extend(_render_evaluation(run.evaluation))
    return "\n".join(lines) + "\n"


def _render_evaluation(ev: Evaluation) -> list[str]:
    sc = ev.score
    c = ev.confirmed_score or sc
    lines = [f"evaluation against {ev.duplicates} labelled duplicate pairs at threshold {ev.threshold} "
             f"(pHash + colour confirmation, as reported): precision {c.precision:.3f}, recall {c.recall:.3f}, "
             f"F1 {c.f1:.3f} (tp {c.true_positives}, fp {c.false_positives}, fn {c.false_negatives})",
             f"  pHash alone: precision {sc.precision:.3f}, recall {sc.recall:.3f}, F1 {sc.f1:.3f}",
             "  threshold  predicted  precision  recall     F1   | confirmed: precision  recall     F1"]
    for plain, conf in zip(ev.sweep, ev.confirmed_sweep, strict=True):
        lines.append(f"  {plain.threshold:>9}  {plain.predicted:>9}  {plain.precision:>9.3f}  {plain.recall:>6.3f}  "
                     f"{plain.f1:>5.3f} |            {conf.precision:>9.3f}  {conf.recall:>6.3f}  {conf.f1:>5.3f}")
    for name, entry in sorted(ev.by_transform.items()):
        lines.append(f"  recall {name:<14} {entry['recall']:.3f} ({int(entry['found'])}/{int(entry['pairs'])})")
    if ev.hard_negatives["pairs"]:
        lines.append(f"  distinct-but-similar pairs reported: {ev.hard_negatives['reported']} of "
                     f"{ev.hard_negatives['pairs']}")
    return lines
