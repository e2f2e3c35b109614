"""Threshold evaluation of vogue-pack's near-duplicate search on a labelled synthetic set (docs/dedup.md).

    python benchmarks/images_synth.py /tmp/imgset --families 300 --copies 0.6       # the labelled set
    python benchmarks/images_synth.py /tmp/distinct --families 5000 --per-family 4 --copies 0 --size 240x300
    python benchmarks/images_evaluate.py /tmp/imgset [--distinct /tmp/distinct] [--json out.json]

Prints, as Markdown: precision/recall/F1 for thresholds 0..20 (pHash alone and with the colour
confirmation at several colour limits), recall per transformation, the colour differences of true
duplicates and of look-alike siblings, and (with --distinct) how many look-alike pairs a large set of
distinct products yields per threshold with and without the confirmation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from vogue_pack.images.dedup import candidate_pairs, colour_difference, read_labels
from vogue_pack.images.inspect import ImageOptions, InspectStats, collect_images, colour_signature, inspect_images

COLOUR_LIMITS = (10.0, 12.0, 15.0, 18.0, 20.0)
MAX_T = 20


def _pairs_with_colour(folder: Path, options: ImageOptions) -> tuple[list, dict, list, float]:
    found = collect_images(folder)
    stats = InspectStats()
    table, _ = inspect_images(found.entries, options, stats=stats)
    col = table.to_pydict()
    pairs = candidate_pairs(col["item_id"], col["sha256"], col["hash"], col["hash_mirror"], MAX_T)
    sha = dict(zip(col["item_id"], col["sha256"], strict=True))
    colour: dict[tuple[int, int], float] = {}
    for p in pairs:
        if p.kind == "exact":
            colour[(p.item_a, p.item_b)] = 0.0
            continue
        sa, sb = colour_signature(sha[p.item_a], options), colour_signature(sha[p.item_b], options)
        colour[(p.item_a, p.item_b)] = colour_difference(sa, sb) if sa and sb else 0.0
    return pairs, colour, found.entries, stats.seconds


def _effective(p) -> int:  # type: ignore[no-untyped-def]
    return 0 if p.kind == "exact" else min(p.direct, p.mirror)


def _prf(predicted: set, positives: frozenset) -> tuple[float, float, float, int]:
    tp = len(predicted & positives)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(positives) if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(predicted)


def evaluate_labelled(root: Path, options: ImageOptions) -> dict:
    pairs, colour, entries, seconds = _pairs_with_colour(root / "images", options)
    labels = read_labels(root / "labels.csv", entries)
    out: dict = {"images": len(entries), "duplicate_pairs": len(labels.duplicates),
                 "distinct_pairs": len(labels.distinct), "seconds_inspect": round(seconds, 2), "sweep": []}
    for t in range(MAX_T + 1):
        within = {(p.item_a, p.item_b) for p in pairs if _effective(p) <= t}
        row = {"threshold": t, "plain": _prf(within, labels.duplicates)}
        for limit in COLOUR_LIMITS:
            kept = {k for k in within if colour[k] <= limit}
            row[f"colour<={limit:g}"] = _prf(kept, labels.duplicates)
        row["hard_negatives_reported"] = len(within & labels.distinct)
        out["sweep"].append(row)
    # Recall per transformation, pHash alone and confirmed, at every threshold.
    transforms = sorted({labels.transform[k] for k in labels.duplicates if k in labels.transform})
    by_pair = {(p.item_a, p.item_b): p for p in pairs}
    out["by_transform"] = {}
    for name in transforms:
        keys = [k for k in labels.duplicates if labels.transform.get(k) == name]
        dist = [(_effective(by_pair[k]) if k in by_pair else 99, colour.get(k, 99.0)) for k in keys]
        out["by_transform"][name] = {"pairs": len(keys), "distances": sorted(d for d, _ in dist),
                                     "colour": sorted(round(c, 2) for _, c in dist)}
    sib = [(_effective(by_pair[k]), colour[k]) for k in labels.distinct if k in by_pair]
    out["siblings_within_20"] = {"pairs": len(sib), "distances": sorted(d for d, _ in sib),
                                 "colour": sorted(round(c, 2) for _, c in sib)}
    return out


def evaluate_distinct(folder: Path, options: ImageOptions) -> dict:
    pairs, colour, entries, seconds = _pairs_with_colour(folder, options)
    n = len(entries)
    rows = []
    for t in (4, 6, 8, 10, 12):
        within = [k for k, p in ((k, p) for p in pairs for k in [(p.item_a, p.item_b)]) if _effective(p) <= t]
        row = {"threshold": t, "pairs": len(within)}
        for limit in COLOUR_LIMITS:
            row[f"colour<={limit:g}"] = sum(colour[k] <= limit for k in within)
        rows.append(row)
    return {"images": n, "all_pairs": n * (n - 1) // 2, "seconds_inspect": round(seconds, 2), "rows": rows}


def _md(result: dict, distinct: dict | None) -> str:
    lines = [f"Labelled set: {result['images']} images, {result['duplicate_pairs']} duplicate pairs, "
             f"{result['distinct_pairs']} look-alike sibling pairs.", "",
             "| t | pairs | P | R | F1 | " + " | ".join(f"F1 colour<={c:g} (P/R)" for c in COLOUR_LIMITS)
             + " | siblings reported |",
             "|---|---|---|---|---|" + "---|" * len(COLOUR_LIMITS) + "---|"]
    for row in result["sweep"]:
        p, r, f, n = row["plain"]
        cells = []
        for c in COLOUR_LIMITS:
            cp, cr, cf, _ = row[f"colour<={c:g}"]
            cells.append(f"{cf:.3f} ({cp:.3f}/{cr:.3f})")
        lines.append(f"| {row['threshold']} | {n} | {p:.3f} | {r:.3f} | {f:.3f} | " + " | ".join(cells)
                     + f" | {row['hard_negatives_reported']} |")
    lines += ["", "| transformation | pairs | recall t=6 | t=8 | t=10 | t=12 | max colour diff |",
              "|---|---|---|---|---|---|---|"]
    for name, info in result["by_transform"].items():
        d = np.array(info["distances"])
        rec = [f"{(d <= t).mean():.3f}" for t in (6, 8, 10, 12)]
        lines.append(f"| {name} | {info['pairs']} | " + " | ".join(rec) + f" | {max(info['colour']):.1f} |")
    sib = result["siblings_within_20"]
    if sib["pairs"]:
        c = np.array(sib["colour"])
        lines += ["", f"Siblings within 20 bits: {sib['pairs']}; colour difference percentiles "
                  f"5/25/50: {np.percentile(c, 5):.1f}/{np.percentile(c, 25):.1f}/{np.percentile(c, 50):.1f}"]
    if distinct:
        lines += ["", f"Distinct products: {distinct['images']} images ({distinct['all_pairs']:,} pairs).", "",
                  "| t | look-alike pairs | " + " | ".join(f"colour<={c:g}" for c in COLOUR_LIMITS) + " |",
                  "|---|---|" + "---|" * len(COLOUR_LIMITS)]
        for row in distinct["rows"]:
            lines.append(f"| {row['threshold']} | {row['pairs']} | "
                         + " | ".join(str(row[f"colour<={c:g}"]) for c in COLOUR_LIMITS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("labelled", type=Path)
    parser.add_argument("--distinct", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/vogue-pack-eval-cache"))
    args = parser.parse_args()
    options = ImageOptions(cache_dir=args.cache_dir)
    started = time.perf_counter()
    result = evaluate_labelled(args.labelled, options)
    distinct = evaluate_distinct(args.distinct, options) if args.distinct else None
    print(_md(result, distinct))
    print(f"\n({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"labelled": result, "distinct": distinct}, indent=1))


if __name__ == "__main__":
    main()
