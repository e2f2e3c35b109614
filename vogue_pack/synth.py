"""Synthetic raw trees in the exact VOGUE raw format (docs: /work/shared/vogue-format.md), any scale.

``write_tree(out, conversations=60, seed=0)`` writes a tree shaped like the real release (which cannot be
redistributed): 3 catalogues ``a``/``b``/``c`` of 12 items each (ids 1-12, 13-24, 25-36), 40 profile-survey
items (ids 37-76), 6 scenarios (1,2 -> a; 3,4 -> b; 5,6 -> c), ``ceil(N / 6)`` Seeker/Assistant pairs
(``s<k>`` works with ``a<k>``) and conversation ids ``1..N`` where conversation ``6 * (k - 1) + j`` is pair
``k`` in scenario ``j``. The catalogue (36 items + 40 survey items, 76 images) does not grow with N.

Choices the spec leaves open (documented here so that tests and the validator can rely on them):
- profile-survey items 37..76 are mapped to the catalogue letter ``p`` (:data:`SURVEY_LETTER`, "profile
  survey"), which no scenario uses; they have an image but no item JSON.
- CSV files are written by the ``csv`` module (QUOTE_MINIMAL) with ``\\n`` line endings, like pandas.
- Item JSON files are ``json.dumps(obj, indent=4, ensure_ascii=False)`` without a trailing newline.
- Every text mention in a transcript is ``ItemNN`` except for the planted variants (``Item 07`` /
  ``item 7``), which always name an item that the same conversation also mentions canonically.
- Everything is deterministic for a seed: every conversation, participant and image has its own
  ``random.Random`` seeded by a string (so conversation 7 is the same whatever N is).

Planted quirks (all are warnings, never errors; positions are fixed and recorded in ``SynthInfo.quirks``):
- conversation 1: a ``gt_items`` item the Seeker rated 2;
- conversation 2: the Seeker speaks twice in a row (one extra Seeker turn);
- conversation 3: the Seeker opens the conversation;
- conversation 4: one utterance tagged ``["<no tag available>"]``;
- conversation 5: a text mention of an item of another catalogue (so also text != ``mentioned_items``);
- conversation 6: a text mention of an in-catalogue item missing from ``mentioned_items``; a blank
  ``likert_4`` cell in the seeker file;
- item 7: empty ``categories``; items 40 and 72: byte-identical PNGs; items 15 and 66: 66 is 15 resized
  and re-encoded (near-identical picture, different bytes);
- participant s1: a free-text "Other" style vibe and a free-text ``monthly_spend``; a1: a free-text
  ``purchase_frequency``; s1's ``item_39_duplicate`` disagrees with ``item_39`` (other disagreements
  occur at random and are listed in ``quirks["duplicate_disagreement"]``).
With fewer than 6 conversations only the quirks of the existing conversations are planted. Nothing else
in the tree is irregular: roles alternate, the Assistant opens, text mentions equal ``mentioned_items``,
chosen items are rated 3 or more, so validator tests can count findings exactly.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, TypeVar

from vogue_pack.errors import UsageError

_T = TypeVar("_T")

__all__ = [
    "ASSISTANT_TAGS",
    "CATALOGUE_SIZE",
    "SEEKER_TAGS",
    "STYLE_VIBES",
    "SURVEY_LETTER",
    "SynthInfo",
    "write_tree",
]

# The vocabularies below are transcribed from vogue-format.md again on purpose, not imported from the
# validator (vogue_pack/raw/load.py, schemas/): the generator is an independent oracle of the format, so a typo
# in the validator's copy cannot hide itself behind the same typo here.
SEEKER_TAGS: tuple[str, ...] = (
    "IQ", "CON", "PCT", "PEP", "PIP", "RP", "ANS", "ACK", "INT", "ACT",
    "RJT", "NR", "IF", "IA", "CF", "CC", "EXP", "AC", "OTH",
)
ASSISTANT_TAGS: tuple[str, ...] = (
    "RTI", "RP", "RC", "CQ", "A", "EF", "AR", "IP", "ACK", "ANS",
    "RS", "RE", "REC", "EP", "EAI", "PCM", "PER", "PEX", "PCN", "OTH",
)
NO_TAG = "<no tag available>"

STYLE_VIBES: tuple[tuple[str, str], ...] = (
    ("Chic", "Elegant, polished, often minimalist"),
    ("Preppy", "Clean-cut, collegiate, often includes polos, blazers"),
    ("Streetwear", "Trend-driven, urban, sneakers, oversized fits"),
    ("Casual", "Everyday wear, laid-back, basic staples"),
    ("Sporty / Athleisure", "Athletic-inspired, leggings, sneakers"),
    ("Minimalist", "Simple cuts, neutral tones, low ornamentation"),
    ("Vintage", "Retro aesthetics, often 70s-90s inspired"),
    ("Grunge", "Dark tones, distressed fabrics, layered"),
    ("Classic", "Timeless cuts and colors, traditional"),
    ("Goth", "Dark, dramatic, black-heavy ensembles"),
    ("Y2K", "2000s nostalgia, playful, low-rise, shiny materials"),
    ("E-girl / E-boy", "Online-influenced, alt fashion, anime"),
    ("High Concept", "Fashion-forward, unconventional, runway-inspired pieces"),
    ("Business Casual", "Office-appropriate, structured but not formal"),
    ("Luxury", "Designer-driven, high-end textures and brands"),
    ("Cozy / Loungewear", "Comfortable, soft fabrics, homey feel"),
    ("Techwear", "Futuristic, utilitarian, function-oriented"),
)
PURCHASE_FREQUENCIES = ("Weekly", "Biweekly", "Monthly", "Quarterly", "Yearly")
MONTHLY_SPENDS = ("< $50", "$50 - $100", "$101 - $200", "$201 - $300", "$301 - $400", "$401 - $500", "> $500")
IMPORTANCE_COLUMNS = (
    "comfort", "style", "practicality", "trends", "brand",
    "self_expression", "sustainability", "price", "color_importance",
)
PROFILE_HEADER = (
    "participant_id", "style_preferences", "style_vibes", *IMPORTANCE_COLUMNS, "importance_vec",
    "purchase_frequency", "monthly_spend", "best_colors", "clothing_feel",
)
SESSION_SUFFIXES = ("000", "001", "010", "011", "100")

CATALOGUES = ("a", "b", "c")
CATALOGUE_SIZE = 12
SURVEY_LETTER = "p"
SURVEY_FIRST, SURVEY_LAST = 37, 76
SURVEY_DUPLICATES = (39, 44, 51, 58, 63, 70)  # profile-survey items shown twice (rater consistency)
SCENARIOS: tuple[tuple[int, str, str, str], ...] = (
    (1, "a", "Winter City Commute",
     "You commute by public transport through a cold, wet winter and need a warm coat that still looks "
     "smart at the office."),
    (2, "a", "Weekend Mountain Trip",
     "You are going hiking for a weekend in the mountains and want a light jacket that handles wind and "
     "some rain."),
    (3, "b", "First Week at a New Job",
     "You start a new office job next week and want a layering piece that works over shirts and looks "
     "put-together."),
    (4, "b", "Spring Travel",
     "You are travelling through Europe in spring, where mornings are cool and afternoons warm; you want "
     "one versatile layer."),
    (5, "c", "Wedding Guest",
     "A friend is getting married outdoors in early autumn; you need shoes you can stand and dance in "
     "for hours."),
    (6, "c", "Everyday Walking",
     "You walk about 10,000 steps a day around the city and want comfortable shoes that still look good."),
)
SCENARIO_CATALOGUE = {number: letter for number, letter, _t, _d in SCENARIOS}

PRODUCT_NOUNS: dict[str, tuple[str, ...]] = {
    "a": ("Puffer Jacket", "Wool Coat", "Trench Coat", "Parka", "Rain Jacket", "Fleece Jacket",
          "Quilted Vest", "Peacoat", "Down Coat", "Bomber Jacket", "Denim Jacket", "Shell Jacket"),
    "b": ("Cardigan", "Crewneck Sweater", "Hoodie", "Turtleneck", "Flannel Shirt", "Zip Fleece",
          "Knit Vest", "Quarter-Zip Pullover", "Shacket", "Cashmere Sweater", "Thermal Henley", "Blazer"),
    "c": ("Chelsea Boots", "Running Shoes", "Loafers", "Ankle Boots", "Sneakers", "Hiking Boots",
          "Ballet Flats", "Block Heels", "Oxford Shoes", "Slip-On Sneakers", "Rain Boots", "Sandals"),
}
CATEGORY_PATHS = {
    "a": ["Clothing, Shoes & Jewelry", "Women", "Clothing", "Coats, Jackets & Vests"],
    "b": ["Clothing, Shoes & Jewelry", "Men", "Clothing", "Sweaters"],
    "c": ["Clothing, Shoes & Jewelry", "Women", "Shoes", "Boots"],
}
BRANDS = ("Northpeak", "Lumen & Co", "Harbor Thread", "Aster Lane", "Fjellstad", "Kōbō Works",
          "Maison Ébène", "Calder Outfitters", "Birchline", "Oak & Ferry")
COLOURS = ("black", "navy", "camel", "olive", "charcoal", "cream", "burgundy", "forest green", "grey",
           "rust", "light blue", "tan")
MATERIALS = ("wool blend", "recycled polyester", "cotton", "leather", "suede", "nylon", "merino wool",
             "fleece", "canvas", "corduroy")
FEATURES = ("a detachable hood", "deep pockets", "a relaxed fit", "a cropped cut", "a water-resistant shell",
            "a ribbed collar", "a cushioned sole", "a slim silhouette", "contrast stitching", "a zip front")
ADJECTIVES = ("classic", "cozy", "sleek", "lightweight", "sturdy", "minimal", "oversized", "tailored")

# Duplicate-image quirks: (original, copy).
DUPLICATE_IMAGE_ITEMS = (40, 72)
NEAR_DUPLICATE_IMAGE_ITEMS = (15, 66)
EMPTY_CATEGORIES_ITEM = 7
MIN_PHASH_DISTANCE = 18  # bits of 64 between the pHashes of two distinct items (dedup thresholds are ~10)


@dataclass(frozen=True)
class SynthInfo:
    """What :func:`write_tree` wrote (ground truth for tests of the validator and the packager).

    ``quirks`` maps a quirk name to where it was planted: conversation ids (``role_repeat``,
    ``seeker_first``, ``no_tag_placeholder``, ``mention_outside_catalogue``, ``mention_mismatch``,
    ``gt_low_rating``, ``blank_likert``, ``mention_variants``), item ids (``empty_categories``,
    ``duplicate_image``, ``near_duplicate_image``), participant ids (``other_style_vibe``,
    ``free_text_purchase_frequency``, ``free_text_monthly_spend``) or ``(participant, item)`` pairs
    (``duplicate_disagreement``).
    """

    root: Path
    conversations: int
    seekers: list[str]
    assistants: list[str]
    catalogue_items: dict[str, list[int]]
    survey_items: list[int]
    duplicate_image_items: tuple[int, int]
    near_duplicate_image_items: tuple[int, int] | None
    seed: int = 0
    layout: str = "repo"
    images: bool = True
    scenarios: dict[int, str] = field(default_factory=dict)
    licence: Path | None = None  # the LICENSE.txt written (None: the tree has none)
    quirks: dict[str, list[Any]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- helpers

def _item_range(letter: str) -> list[int]:
    start = CATALOGUES.index(letter) * CATALOGUE_SIZE + 1
    return list(range(start, start + CATALOGUE_SIZE))


def _mention(item: int) -> str:
    return f"Item{item:02d}"


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _list_literal(values: list[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


# ----------------------------------------------------------------------------------------- transcripts

_A_GREET = (
    ("Hi there! Thanks for joining today. What are you shopping for?", ["RTI"]),
    ("Hello! I'm your shopping assistant today. What can I help you find?", ["RTI"]),
    ("Hi! Welcome. Tell me a bit about what you're looking for.", ["RTI", "RC"]),
)
_S_QUERY = (
    ("Hi! I'm looking for {a_noun} for {context}.", ["IQ", "PCT"]),
    ("Hey, I need {a_noun} that works for {context}.", ["IQ"]),
    ("Hello, I want to find {a_noun}, mostly for {context}.", ["IQ", "PCT"]),
)
_A_ASK = (
    ("Do you have a colour in mind?", ["RP"]),
    ("What kind of fit do you usually go for?", ["RP"]),
    ("What's your budget for this?", ["RC"]),
    ("Is there anything you definitely want to avoid?", ["RP", "CQ"]),
)
_S_PREF = (
    ("I usually wear {colour}, nothing too bright.", ["PEP"]),
    ("I prefer {a_adj} look, and {material} would be nice.", ["PEP", "PIP"]),
    ("Something under a hundred dollars if possible.", ["ANS", "PCT"]),
    ("I'd like to avoid anything too bulky.", ["ANS", "PEP"]),
)
_A_RECOMMEND = (
    ("How about {item}? It's {a_adj} option in {colour} with {feature}.", ["RS"]),
    ("I'd suggest {item}, it's made of {material} and reviewers love it.", ["RS", "EAI"]),
    ("Take a look at {item}. It has {feature}, which fits what you described.", ["RS", "EP"]),
    ("{item} could work well; it pairs nicely with jeans.", ["RS", "REC"]),
)
_S_REACT = (
    ("Oh, {item} looks really nice.", ["INT"]),
    ("I'm not sure about {item}, the colour isn't really me.", ["RJT", "CF"]),
    ("What material is {item} made of?", ["IF"]),
    ("Hmm, {item} seems a bit too {adj} for me.", ["CF"]),
    ("I like {item}, but is it warm enough?", ["INT", "IF"]),
    ("{item} is okay, I guess.", ["NR"]),
)
_A_FOLLOW = (
    ("It's mostly {material}, and it runs true to size according to the reviews.", ["ANS", "EAI"]),
    ("Many buyers said it's comfortable for all-day wear.", ["EAI", "PER"]),
    ("I have something similar and it held up really well.", ["PEX"]),
    ("What do you think about the length?", ["A"]),
    ("Why don't you like it? Knowing that helps me narrow things down.", ["AR"]),
    ("For {context}, I'd lean towards something more practical.", ["PCN"]),
    ("Compared with the first one, this is lighter but a little less warm.", ["PCM"]),
    ("Would you wear it mostly with jeans or with something dressier?", ["CQ", "RC"]),
    ("If you like that, you might also want to browse the {colour} options.", ["RE"]),
    ("I'm still looking through the catalogue for more {colour} pieces.", ["IP"]),
)
_S_FOLLOW = (
    ("That makes sense.", ["ACK"]),
    ("Can you show me something in {colour}?", ["RP"]),
    ("Good to know, thanks.", ["ACK"]),
    ("What would you pick in my place?", ["IA"]),
    ("It's for {context}, so comfort matters a lot.", ["EXP", "PCT"]),
    ("I'd rather have something {adj}, to be honest.", ["RP", "PIP"]),
    ("Let's keep going.", ["CON"]),
    ("Does it come in {colour}?", ["IF"]),
)
_A_DECIDE = (
    ("So, have you made up your mind?", ["A"]),
    ("Which of these would you pick?", ["A", "EF"]),
    ("Do any of these feel right to you?", ["A"]),
)
_A_CLOSE = (
    ("Great choice! Is there anything else you'd like to look at?", ["EF"]),
    ("Good pick. Does that cover everything you needed?", ["EF", "ACK"]),
)
_S_CLOSE = (
    ("No, that's all. Thank you so much!", ["ACK"]),
    ("I think I'm good, thanks for the help!", ["ACK", "OTH"]),
)
_FILLERS_A = (("Let me check.", ["IP"]), ("Sure!", ["ACK"]), ("Okay, got it.", ["ACK"]),
              ("One second, I'm pulling up a few options.", ["IP"]))
_FILLERS_S = (("Okay.", ["ACK"]), ("Hmm.", ["NR"]), ("Sounds good.", ["ACK"]),
              ("Just to be sure, does it come in other sizes?", ["AC"]))
_CONTEXTS = {
    1: "my daily commute", 2: "a weekend hike", 3: "my new office job",
    4: "a trip through Europe", 5: "a friend's wedding", 6: "walking around the city",
}


def _pick(rng: random.Random, seq: Sequence[_T]) -> _T:
    """``rng.choice`` without its per-call overhead (the generator calls it millions of times)."""
    return seq[int(rng.random() * len(seq))]


def _weighted(rng: random.Random, values: Sequence[_T], weights: Sequence[float]) -> _T:
    """One of ``values`` drawn with ``weights`` (which sum to 1), cheaper than ``rng.choices``."""
    x = rng.random()
    for value, weight in zip(values, weights, strict=True):
        x -= weight
        if x < 0:
            return value
    return values[-1]


def _a_word(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _a_noun(noun: str) -> str:
    """``a cardigan``, ``an ankle boot`` ... and ``a pair of sneakers`` for plural nouns."""
    return "a pair of " + noun if noun.endswith("s") and not noun.endswith("ss") else _a_word(noun)


def _utterances(
    rng: random.Random, primary: tuple[str, list[str]], fillers: tuple[tuple[str, list[str]], ...],
    words: dict[str, str], role_tags: tuple[str, ...],
) -> tuple[list[str], list[list[str]]]:
    """One turn's utterances (1..3) and tag lists (one per utterance, 1..3 codes each)."""
    text, tags = primary
    utterances = [text.format(**words)]
    tag_lists = [list(tags)]
    if len(tags) == 1 and rng.random() < 0.15:
        extra = _pick(rng, role_tags)
        if extra not in tags:
            tag_lists[0].append(extra)
    count = _weighted(rng, (1, 2, 3), (0.55, 0.33, 0.12))
    for _ in range(count - 1):
        filler_text, filler_tags = _pick(rng, fillers)
        if filler_text in utterances:
            continue
        if rng.random() < 0.5:
            utterances.insert(0, filler_text)
            tag_lists.insert(0, list(filler_tags))
        else:
            utterances.append(filler_text)
            tag_lists.append(list(filler_tags))
    return utterances, tag_lists


def _room_for_one_more(
    turn: tuple[str, list[str], list[list[str]]],
) -> tuple[str, list[str], list[list[str]]]:
    """The turn with at most 2 utterances left (drops the last one if needed), so one more fits in 3."""
    role, utterances, tags = turn
    while len(utterances) > 2:
        utterances.pop()
        tags.pop()
    return role, utterances, tags


@dataclass
class _Conversation:
    cid: int
    pair: int
    scenario: int
    catalogue: str
    session_code: str
    mentioned: list[int]
    gt: list[int]
    turns: list[tuple[str, list[str], list[list[str]]]]  # (role, utterances, tags)
    timestamps: list[str]
    seeker_ratings: list[int]   # over the conversation's 12 items, in id order
    assistant_ratings: list[int]
    likert: list[str]
    interpretation: str


def _make_conversation(seed: int, cid: int, quirks: dict[str, list[Any]]) -> _Conversation:
    rng = random.Random(f"vogue-synth:{seed}:conversation:{cid}")
    pair = (cid - 1) // 6 + 1
    scenario = (cid - 1) % 6 + 1
    catalogue = SCENARIO_CATALOGUE[scenario]
    items = _item_range(catalogue)
    n_turns = rng.randint(15, 40)
    middle_slots = (n_turns - 8) // 2  # 4 opening + 4 closing turns (+1 when n_turns is odd)
    n_mentioned = rng.randint(3, min(7, middle_slots))
    mentioned = sorted(rng.sample(items, n_mentioned))
    gt = rng.sample(mentioned, _weighted(rng, (1, 2), (0.7, 0.3)))
    nouns = PRODUCT_NOUNS[catalogue]
    noun = _pick(rng, nouns).lower()
    adjective = _pick(rng, ADJECTIVES)
    words = {
        "context": _CONTEXTS[scenario], "noun_lc": noun, "a_noun": _a_noun(noun),
        "colour": _pick(rng, COLOURS), "adj": adjective, "a_adj": _a_word(adjective),
        "material": _pick(rng, MATERIALS), "feature": _pick(rng, FEATURES), "item": "",
    }

    turns: list[tuple[str, list[str], list[list[str]]]] = []

    def add(role: str, primary: tuple[str, list[str]], item: int | None = None) -> None:
        if item is not None:
            words["item"] = _mention(item)
        if role == "Assistant":
            utt, tags = _utterances(rng, primary, _FILLERS_A, words, ASSISTANT_TAGS)
        else:
            utt, tags = _utterances(rng, primary, _FILLERS_S, words, SEEKER_TAGS)
        turns.append((role, utt, tags))
        words["colour"] = _pick(rng, COLOURS)
        words["adj"] = _pick(rng, ADJECTIVES)
        words["a_adj"] = _a_word(words["adj"])
        words["material"] = _pick(rng, MATERIALS)
        words["feature"] = _pick(rng, FEATURES)

    # Opening: A greets, S asks, A asks preferences, S answers.
    add("Assistant", _pick(rng, _A_GREET))
    add("Seeker", _pick(rng, _S_QUERY))
    add("Assistant", _pick(rng, _A_ASK))
    add("Seeker", _pick(rng, _S_PREF))
    # Middle: pairs of (Assistant, Seeker); every mentioned item is recommended once, in random order.
    queue = list(mentioned)
    rng.shuffle(queue)
    last_item = queue[0]
    for slot in range(middle_slots):
        remaining_slots = middle_slots - slot
        if queue and (len(queue) >= remaining_slots or rng.random() < 0.6):
            last_item = queue.pop()
            add("Assistant", _pick(rng, _A_RECOMMEND), last_item)
            add("Seeker", _pick(rng, _S_REACT), last_item)
        else:
            add("Assistant", _pick(rng, _A_FOLLOW))
            add("Seeker", _pick(rng, _S_FOLLOW))
    # Closing: the Assistant asks for a decision, the Seeker accepts the chosen items, the Assistant
    # checks, the Seeker thanks.
    add("Assistant", _pick(rng, _A_DECIDE))
    accept = " and ".join(_mention(i) for i in gt)
    variant = rng.random() < 0.1
    if variant:
        first = gt[0]
        form = f"Item {first:02d}" if rng.random() < 0.5 else f"item {first}"
        accept = " and ".join([form, *(_mention(i) for i in gt[1:])])
        quirks["mention_variants"].append(cid)
    add("Seeker", (f"I think I'll go with {accept}.", ["ACT"]))
    add("Assistant", _pick(rng, _A_CLOSE))
    add("Seeker", _pick(rng, _S_CLOSE))
    if len(turns) < n_turns:  # odd n_turns: one more closing courtesy from the Assistant
        add("Assistant", ("Have a great day!", ["OTH"]))

    # Planted transcript quirks (fixed conversation ids).
    if cid == 2:
        # turns 0..3 are the opening (A, S, A, S), 4 is an Assistant turn, 5 a Seeker turn: insert a
        # second Seeker turn before it.
        turns.insert(5, ("Seeker", ["Oh, and I forgot to say: I really don't like anything shiny."],
                          [["PEP", "PCT"]]))
        quirks["role_repeat"].append(cid)
    elif cid == 3:
        turns.pop(0)
        quirks["seeker_first"].append(cid)
    elif cid == 4:
        turns[6][2][0] = [NO_TAG]
        quirks["no_tag_placeholder"].append(cid)
    elif cid == 5:
        outside = _item_range("c")[2] if catalogue != "c" else _item_range("a")[2]
        _role, utt, tags = _room_for_one_more(turns[3])
        utt.append(f"My sister has {_mention(outside)} and she loves it.")
        tags.append(["PCT"])
        quirks["mention_outside_catalogue"].append(cid)
    elif cid == 6:
        unlisted = next(i for i in items if i not in mentioned)
        _role, utt, tags = _room_for_one_more(turns[3])
        utt.append(f"I noticed {_mention(unlisted)} in the list but I'd skip it.")
        tags.append(["RJT"])
        quirks["mention_mismatch"].append(cid)

    # Timestamps: offsets from the recording start, or wall-clock times.
    clock = rng.random() < 0.5
    second = rng.randint(9 * 3600, 20 * 3600) if clock else rng.randint(0, 20)
    timestamps = []
    for _ in turns:
        timestamps.append(f"{second // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}")
        second += _pick(rng, (0, 4, 8, 12, 17, 23, 31, 45, 60, 95))

    # Ratings over the catalogue's 12 items (id order).
    gt_set, mentioned_set = set(gt), set(mentioned)
    seeker: list[int] = []
    for item in items:
        if item in gt_set:
            seeker.append(_weighted(rng, (3, 4, 5), (0.1, 0.35, 0.55)))
        elif item in mentioned_set:
            seeker.append(_weighted(rng, (1, 2, 3, 4, 5), (0.3, 0.25, 0.2, 0.15, 0.1)))
        else:
            seeker.append(_weighted(rng, (1, 2, 3, 4, 5), (0.45, 0.22, 0.15, 0.1, 0.08)))
    if cid == 1:
        seeker[items.index(gt[0])] = 2
        quirks["gt_low_rating"].append(cid)
    assistant = [min(5, max(1, r + _weighted(rng, (-2, -1, 0, 1, 2), (0.07, 0.2, 0.45, 0.2, 0.08))))
                 for r in seeker]
    if assistant == seeker:
        k = rng.randrange(len(items))
        assistant[k] = seeker[k] + 1 if seeker[k] < 5 else 4
    likert = [f"{_weighted(rng, (1, 2, 3, 4, 5), (0.05, 0.1, 0.2, 0.35, 0.3))}.0" for _ in range(5)]
    if cid == 6:
        likert[3] = ""
        quirks["blank_likert"].append(cid)
    interpretation = _pick(rng, (
        f"The seeker needs {words['a_noun']} for {_CONTEXTS[scenario]}.",
        f"I think the scenario was about {_CONTEXTS[scenario]}, with comfort, price and looks mattering.",
        f"Probably {_CONTEXTS[scenario]}; they wanted something {words['adj']}, practical, not too pricey.",
        f"Shopping for {_CONTEXTS[scenario]}.",
    ))
    return _Conversation(
        cid=cid, pair=pair, scenario=scenario, catalogue=catalogue,
        session_code=catalogue + _pick(rng, SESSION_SUFFIXES), mentioned=mentioned, gt=gt,
        turns=turns, timestamps=timestamps, seeker_ratings=seeker, assistant_ratings=assistant,
        likert=likert, interpretation=interpretation,
    )


def _int_list_block(values: list[int], indent: str) -> str:
    inner = indent + "  "
    return "[\n" + inner + (",\n" + inner).join(str(v) for v in values) + "\n" + indent + "]"


def transcript_json(conv: _Conversation) -> str:
    """The transcript text, byte-identical to ``json.dumps(obj, indent=2)`` (a fast hand-rolled form)."""
    enc = encode_basestring_ascii
    turn_texts = []
    for number, ((role, utterances, tags), stamp) in enumerate(zip(conv.turns, conv.timestamps,
                                                                    strict=True), start=1):
        utt = ",\n          ".join(enc(u) for u in utterances)
        tag_text = ",\n".join(
            "          [\n            " + ",\n            ".join(enc(t) for t in tl) + "\n          ]"
            for tl in tags
        )
        turn_texts.append(
            f'    {{\n      "turn": {number},\n      "timestamp": "{stamp}",\n      "content": {{\n'
            f'        "utterances": [\n          {utt}\n        ],\n        "role": "{role}",\n'
            f'        "tags": [\n{tag_text}\n        ]\n      }}\n    }}'
        )
    return (
        f'{{\n  "conversation_id": {conv.cid},\n  "session_code": "{conv.session_code}",\n'
        f'  "scenario": {conv.scenario},\n'
        f'  "mentioned_items": {_int_list_block(conv.mentioned, "  ")},\n'
        f'  "gt_items": {_int_list_block(conv.gt, "  ")},\n'
        f'  "conversation_content": [\n' + ",\n".join(turn_texts) + "\n  ],\n"
        f'  "catalogue": "{conv.catalogue}"\n}}'
    )


def transcript_object(conv: _Conversation) -> dict[str, Any]:
    """The transcript as a Python object (for tests: ``json.dumps(obj, indent=2) == transcript_json``)."""
    return {
        "conversation_id": conv.cid,
        "session_code": conv.session_code,
        "scenario": conv.scenario,
        "mentioned_items": conv.mentioned,
        "gt_items": conv.gt,
        "conversation_content": [
            {"turn": n, "timestamp": stamp,
             "content": {"utterances": utt, "role": role, "tags": tags}}
            for n, ((role, utt, tags), stamp) in enumerate(zip(conv.turns, conv.timestamps, strict=True),
                                                          start=1)
        ],
        "catalogue": conv.catalogue,
    }


# ------------------------------------------------------------------------------------------- profiles

_PREFERENCES = (
    "I like clean lines and neutral colours – nothing too loud.",
    "Mostly comfy stuff; I’m on my feet all day.",
    "I’d call it “smart casual”: jeans, a good knit, nice shoes.",
    "Dark colours, a bit of an edge, lots of layers.",
    "Practical first – I bike everywhere – but I still want to look put-together.",
    "Whatever’s on sale, honestly.",
    "Classic pieces that last for years; I hate fast fashion.",
)
_BEST_COLORS = ("Black, navy and grey", "Earth tones – olive, rust, camel", "Pastels", "Jewel tones",
                "Anything but orange", "Neutrals", "Blue and white")
_FEELS = ("Soft and breathable", "Structured, a bit crisp", "Stretchy, I need to move",
          "Cozy – like a hug", "Lightweight", "Doesn’t matter much")


def _profile_row(seed: int, pid: str, quirks: dict[str, list[Any]]) -> list[Any]:
    rng = random.Random(f"vogue-synth:{seed}:profile:{pid}")
    chosen = sorted(rng.sample(range(len(STYLE_VIBES)), rng.randint(1, 4)))
    vibes = [f"{label} - {description}" for label, description in (STYLE_VIBES[i] for i in chosen)]
    if pid == "s1":
        vibes.append("Boho – earthy, flowy, lots of texture")
        quirks["other_style_vibe"].append(pid)
    importance = [_weighted(rng, (1, 2, 3, 4, 5), (0.08, 0.12, 0.25, 0.3, 0.25)) for _ in IMPORTANCE_COLUMNS]
    frequency = _pick(rng, PURCHASE_FREQUENCIES)
    spend = _pick(rng, MONTHLY_SPENDS)
    if pid == "a1":
        frequency = "Only when something wears out"
        quirks["free_text_purchase_frequency"].append(pid)
    if pid == "s1":
        spend = "Depends on the season – maybe $80?"
        quirks["free_text_monthly_spend"].append(pid)
    return [pid, _pick(rng, _PREFERENCES), ", ".join(vibes), *importance, _list_literal(importance),
            frequency, spend, _pick(rng, _BEST_COLORS), _pick(rng, _FEELS)]


def _survey_columns() -> list[tuple[str, int]]:
    """``(column name, item id)`` of ratings.csv's item cells, duplicates right after their base."""
    columns = []
    for item in range(SURVEY_FIRST, SURVEY_LAST + 1):
        columns.append((f"item_{item}", item))
        if item in SURVEY_DUPLICATES:
            columns.append((f"item_{item}_duplicate", item))
    return columns


def _survey_ratings_row(seed: int, pid: str, quirks: dict[str, list[Any]]) -> list[Any]:
    rng = random.Random(f"vogue-synth:{seed}:survey:{pid}")
    cells: list[int] = []
    base: dict[int, int] = {}
    for name, item in _survey_columns():
        if name.endswith("_duplicate"):
            value = base[item]
            if value != -1 and (rng.random() < 0.1 or (pid == "s1" and item == SURVEY_DUPLICATES[0])):
                value = value + 1 if value < 5 else value - 1
                quirks["duplicate_disagreement"].append((pid, item))
        else:
            value = _weighted(rng, (1, 2, 3, 4, 5), (0.2, 0.2, 0.25, 0.2, 0.15))
            if rng.random() < 0.03:
                value = -1
            if pid == "s1" and item == SURVEY_DUPLICATES[0] and value == -1:
                value = 3
            base[item] = value
        cells.append(value)
    return [pid, *cells, _list_literal(cells)]


# --------------------------------------------------------------------------------------------- items

def _item_json(seed: int, item: int, letter: str) -> str:
    rng = random.Random(f"vogue-synth:{seed}:item:{item}")
    noun = PRODUCT_NOUNS[letter][(item - 1) % CATALOGUE_SIZE]
    brand = rng.choice(BRANDS)
    colour = rng.choice(COLOURS)
    material = rng.choice(MATERIALS)
    name = f"{brand} Women’s {rng.choice(ADJECTIVES).title()} {noun} – {colour.title()}"
    categories = [] if item == EMPTY_CATEGORIES_ITEM else list(CATEGORY_PATHS[letter])
    description = None if rng.random() < 0.25 else [
        f"This {noun.lower()} is made of {material} with {rng.choice(FEATURES)}.",
        "Machine wash cold; tumble dry low.",
    ]
    obj = {
        "id": item,
        "catalogue": letter,
        "categories": categories,
        "product_name": name,
        "product_brand": f"Visit the {brand} Store" if rng.random() < 0.6 else f"Brand: {brand}",
        "product_rating": rng.choice(("4", "4.5", "4.2", "3.9", "4.7", "5", "3.5")),
        "product_description": description,
        "about_product": [
            f"{material.capitalize()} shell",
            f"Features {rng.choice(FEATURES)}",
            "Imported",
            f"Fit: {rng.choice(('true to size', 'runs small', 'runs large'))} — order your usual size",
        ],
        "product_detail": {
            "Package Dimensions": f"{rng.randint(8, 16)} x {rng.randint(6, 12)} x {rng.randint(2, 6)} "
                                  f"inches; {rng.randint(8, 60) / 10} Pounds",
            "Department": rng.choice(("Womens", "Mens", "Unisex-adult")),
            "Date First Available": f"{rng.choice(('March', 'June', 'October'))} {rng.randint(1, 28)}, "
                                    f"{rng.randint(2018, 2023)}",
            "ASIN": "B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8)),
        },
        "reviews": rng.choice((
            "Love it! Fits perfectly and the colour is exactly as pictured.",
            "Runs a bit small – size up. Otherwise great quality.",
            "Returned it; the material felt cheap. ★★☆☆☆",
            "Warm, comfortable, and it looks more expensive than it is.",
        )),
    }
    return json.dumps(obj, indent=4, ensure_ascii=False)


def _draw_item_image(seed: int, item: int, letter: str, attempt: int = 0) -> Any:
    """A flat-colour "product photo": a coarse two-tone backdrop, a garment/shoe silhouette, a pattern."""
    from PIL import Image, ImageDraw

    rng = random.Random(f"vogue-synth:{seed}:image:{item}:{attempt}")
    width, height = rng.randint(300, 900), rng.randint(300, 900)
    mode = rng.choice(("RGB", "RGB", "RGBA", "L"))

    def colour(lo: int, hi: int) -> tuple[int, int, int]:
        return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))

    light, dark, garment, accent = colour(170, 255), colour(90, 160), colour(0, 120), colour(120, 255)
    image = Image.new("RGB", (width, height), light)
    draw = ImageDraw.Draw(image)
    # Backdrop: a 4x4 grid of light/dark tiles from an item-specific code (makes pHashes far apart).
    code = rng.getrandbits(16)
    for cell in range(16):
        if code >> cell & 1:
            gx, gy = cell % 4, cell // 4
            draw.rectangle((gx * width // 4, gy * height // 4, (gx + 1) * width // 4, (gy + 1) * height // 4),
                           fill=dark)
    # Silhouette, scaled and placed at random inside the canvas.
    scale = rng.uniform(0.45, 0.75)
    box_w, box_h = width * scale, height * scale
    ox, oy = rng.uniform(0, width - box_w), rng.uniform(0, height - box_h)

    def pt(x: float, y: float) -> tuple[float, float]:
        return (ox + x * box_w, oy + y * box_h)

    kind = letter if letter in CATALOGUES else "abc"[item % 3]
    if kind == "a":  # coat: body + sleeves + collar
        shape = [pt(0.3, 0.05), pt(0.7, 0.05), pt(1.0, 0.3), pt(0.9, 0.75), pt(0.78, 0.4), pt(0.78, 1.0),
                 pt(0.22, 1.0), pt(0.22, 0.4), pt(0.1, 0.75), pt(0.0, 0.3)]
    elif kind == "b":  # sweater: shorter body, wide sleeves
        shape = [pt(0.35, 0.1), pt(0.65, 0.1), pt(1.0, 0.35), pt(0.92, 0.6), pt(0.8, 0.45), pt(0.8, 0.9),
                 pt(0.2, 0.9), pt(0.2, 0.45), pt(0.08, 0.6), pt(0.0, 0.35)]
    else:  # shoe: shaft + sole + toe
        shape = [pt(0.15, 0.0), pt(0.45, 0.0), pt(0.45, 0.55), pt(0.95, 0.7), pt(1.0, 0.9), pt(0.1, 0.9),
                 pt(0.1, 0.5)]
    draw.polygon(shape, fill=garment)
    # Pattern on the garment: stripes or dots, item-specific.
    pattern = rng.choice(("stripes", "dots", "band", "plain"))
    if pattern == "stripes":
        step = max(8, int(box_h / rng.randint(4, 9)))
        for y in range(int(oy + box_h * 0.45), int(oy + box_h * 0.85), step):
            draw.rectangle((ox + box_w * 0.25, y, ox + box_w * 0.75, y + step // 3), fill=accent)
    elif pattern == "dots":
        r = max(4, int(box_w / 25))
        for _ in range(rng.randint(4, 10)):
            cx, cy = pt(rng.uniform(0.3, 0.7), rng.uniform(0.5, 0.85))
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=accent)
    elif pattern == "band":
        y0 = oy + box_h * rng.uniform(0.5, 0.75)
        draw.rectangle((ox + box_w * 0.22, y0, ox + box_w * 0.78, y0 + box_h * 0.08), fill=accent)
    if mode == "L":
        return image.convert("L")
    if mode == "RGBA":
        rgba = image.convert("RGBA")
        alpha = Image.new("L", image.size, 255)
        ImageDraw.Draw(alpha).rectangle((0, 0, width // 8, height - 1), fill=0)  # a transparent margin
        rgba.putalpha(alpha)
        return rgba
    return image


def _png_bytes(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _write_images(seed: int, metadata: Path, mapping: dict[int, str]) -> None:
    """One PNG per mapped item; distinct items are redrawn until their 64-bit pHashes, direct and of the
    horizontal mirror, differ in at least MIN_PHASH_DISTANCE bits from every earlier item (so duplicate
    search that also looks for flipped copies finds only the planted pairs). Deterministic: the attempt
    number seeds the drawing."""
    import imagehash
    from PIL import ImageOps

    original_dup, copy_dup = DUPLICATE_IMAGE_ITEMS
    original_near, copy_near = NEAR_DUPLICATE_IMAGE_ITEMS
    saved: dict[int, bytes] = {}
    hashes: list[Any] = []
    for item, letter in mapping.items():
        if item in (copy_dup, copy_near):
            continue
        for attempt in range(100):
            image = _draw_item_image(seed, item, letter, attempt)
            phash = imagehash.phash(image)
            mirrored = imagehash.phash(ImageOps.mirror(image))
            if all(phash - other >= MIN_PHASH_DISTANCE and mirrored - other >= MIN_PHASH_DISTANCE
                   for other in hashes):
                break
        hashes.append(phash)
        data = _png_bytes(image)
        saved[item] = data
        (metadata / f"item_{item}.png").write_bytes(data)
        if item == original_near:
            from PIL import Image

            w, h = image.size
            resized = image.resize((max(300, int(w * 0.8)), max(300, int(h * 0.8))), Image.Resampling.LANCZOS)
            (metadata / f"item_{copy_near}.png").write_bytes(_png_bytes(resized))
    (metadata / f"item_{copy_dup}.png").write_bytes(saved[original_dup])


def _supplement_figure() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 240), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for i, x in enumerate((20, 180, 340)):
        draw.rectangle((x, 80, x + 120, 160), outline=(40, 40, 40), width=3, fill=(200, 220, 240 - 40 * i))
    draw.line((140, 120, 180, 120), fill=(0, 0, 0), width=3)
    draw.line((300, 120, 340, 120), fill=(0, 0, 0), width=3)
    return _png_bytes(image)


# ------------------------------------------------------------------------------------------ surveys

def _profile_survey_text() -> str:
    lines = [
        "VOGUE fashion profile survey",
        "",
        "Q1. In a few words, how would you describe your personal style?",
        "",
        "Q2. Which of these style vibes describe you? (select all that apply)",
    ]
    lines += [f"  [ ] {label} – {description}" for label, description in STYLE_VIBES]
    lines += [
        "  [ ] Other: ________",
        "",
        "Q3. How important are the following when you buy clothes? (1 = not at all, 5 = extremely)",
        "  Comfort / Style / Practicality / Trends / Brand / Self-expression / Sustainability / Price /"
        " Color",
        "",
        "Q4. How often do you buy clothes? Weekly / Biweekly / Monthly / Quarterly / Yearly / Other",
        "Q5. How much do you spend on clothes per month? " + " / ".join(MONTHLY_SPENDS) + " / Other",
        "Q6. Which colours look best on you?",
        "Q7. How do you like your clothes to feel?",
        "",
        "Q8. Rate each of the following items: how likely would you be to buy it? (1–5)",
        "    Some items are shown twice.",
    ]
    return "\n".join(lines) + "\n"


def _item_rating_survey_text() -> str:
    return (
        "VOGUE post-conversation survey\n\n"
        "Part 1. For each of the 12 items in the catalogue, how likely would you be to buy it "
        "for the scenario? (1 = would never buy, 5 = very likely to buy)\n\n"
        "Part 2 (Seeker only). How much do you agree? (1 = strongly disagree, 5 = strongly agree)\n"
        "  1. The assistant made a good selection of items.\n"
        "  2. The selection was well justified.\n"
        "  3. I would actually purchase the item(s) I chose.\n"
        "  4. I felt in control of the conversation.\n"
        "  5. The recommendations were helpful.\n\n"
        "Part 2 (Assistant only). What do you think the Seeker's scenario was?\n"
    )


# The licence file of a synthetic tree, with the structure the published repository's LICENSE.txt has
# (docs/vogue-format section 1.1): two licences, by kind of content. Demos and tests get terms to carry.
SYNTH_LICENCE = """VOGUE: A Multimodal Dataset for Conversational Recommendation in Fashion
Licence (synthetic copy, generated by vogue-pack for tests and demonstrations)

This dataset combines content under two sets of terms, by kind of content.

1. Dialogue transcripts, survey responses and annotations

The dialogue transcripts, the survey responses (participant fashion profiles, profile-survey ratings, item
ratings and satisfaction answers) and the annotations (dialogue-act tags, mentioned and chosen items) are
licensed under the Creative Commons Attribution 4.0 International licence (CC BY 4.0):
https://creativecommons.org/licenses/by/4.0/. You may share and adapt them, provided you give appropriate
credit and cite the paper.

2. Product images and item metadata

The product images and their item metadata (metadata/item_*.json, metadata/item_*.png) are copyrighted by
their respective rights holders. They are provided for research and academic, non-commercial use only. They
may not be redistributed separately from the dataset, and no commercial exploitation is permitted.
"""


def licence_path(out: Path) -> Path:
    """Where a tree written by :func:`write_tree` into ``out`` keeps its licence file: beside ``data/`` for
    the repository layout, in the root itself for the data layout."""
    return Path(out) / "LICENSE.txt"


# ------------------------------------------------------------------------------------------- the tree

def write_tree(out: Path, conversations: int = 60, seed: int = 0, layout: str = "repo",
               images: bool = True, licence: str | None = SYNTH_LICENCE) -> SynthInfo:
    """Write a synthetic VOGUE raw tree under ``out`` and describe it.

    ``layout="repo"`` writes ``out/data/<five folders>`` (like the published repository, root =
    ``out/data``); ``layout="data"`` writes the five folders directly in ``out``. ``images=False`` skips
    the 76 PNGs (for benchmarks of the tabular part; such a tree then lacks images, which is an error).
    ``licence`` is the text of the tree's LICENSE.txt (:data:`SYNTH_LICENCE` by default; None writes none).
    Raises UsageError for N < 1, an unknown layout, or an ``out`` that exists and is not an empty folder.
    """
    if conversations < 1:
        raise UsageError(f"--conversations must be >= 1, got {conversations}")
    if layout not in ("repo", "data"):
        raise UsageError(f"layout must be 'repo' or 'data', got {layout!r}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder; refusing to write into it")
    root = out / "data" if layout == "repo" else out
    trials, profiles_dir = root / "conversation_trials", root / "fashion_profiles"
    metadata, supplements, surveys = root / "metadata", root / "supplements", root / "surveys"
    transcripts, item_ratings = trials / "transcripts", trials / "item_ratings"
    for folder in (transcripts, item_ratings, profiles_dir, metadata, supplements, surveys):
        folder.mkdir(parents=True, exist_ok=True)

    quirk_names = (
        "gt_low_rating", "role_repeat", "seeker_first", "no_tag_placeholder", "mention_outside_catalogue",
        "mention_mismatch", "blank_likert", "mention_variants", "empty_categories", "duplicate_image",
        "near_duplicate_image", "other_style_vibe", "free_text_purchase_frequency",
        "free_text_monthly_spend", "duplicate_disagreement",
    )
    quirks: dict[str, list[Any]] = {name: [] for name in quirk_names}

    catalogue_items = {letter: _item_range(letter) for letter in CATALOGUES}
    all_catalogue = [i for letter in CATALOGUES for i in catalogue_items[letter]]
    survey_items = list(range(SURVEY_FIRST, SURVEY_LAST + 1))
    mapping = {item: letter for letter in CATALOGUES for item in catalogue_items[letter]}
    mapping.update({item: SURVEY_LETTER for item in survey_items})

    # Scenarios, mapping, supplements, surveys.
    _write_text(trials / "scenarios.json", json.dumps(
        [{"Scenario": number, "Body": f"{title}: {description}"}
         for number, _letter, title, description in SCENARIOS],
        indent=4))
    _write_text(supplements / "catalogue_mapping.csv",
                _csv_text([["id", "catalogue"], *([item, letter] for item, letter in mapping.items())]))
    _write_text(supplements / "assistant_prompt.txt",
                "You are helping a shopper find fashion items from a catalogue of 12 products.\n"
                "Ask about their needs, recommend items by name (e.g. Item03), and explain your choices.\n")
    if images:
        (supplements / "figure_interface.png").write_bytes(_supplement_figure())
    _write_text(surveys / "profile_survey.txt", _profile_survey_text())
    licence_file = licence_path(out) if licence is not None else None
    if licence_file is not None and licence is not None:
        _write_text(licence_file, licence)
    _write_text(surveys / "item_rating_survey.txt", _item_rating_survey_text())

    # Conversations: transcripts and both rating files, streamed.
    item_header = [f"item_{i}" for i in all_catalogue]
    seeker_rows: list[list[Any]] = [["role", "participant_id", "conversation_id", "catalogue", "scenario",
                                     *item_header, "rating_vec", *(f"likert_{k}" for k in range(1, 6))]]
    assistant_rows: list[list[Any]] = [["role", "participant_id", "conversation_id", "catalogue", "scenario",
                                        *item_header, "rating_vec", "assistant_interpretation"]]
    offset = {letter: all_catalogue.index(catalogue_items[letter][0]) for letter in CATALOGUES}
    blank = [-1] * len(all_catalogue)
    for cid in range(1, conversations + 1):
        conv = _make_conversation(seed, cid, quirks)
        _write_text(transcripts / f"c{cid}_{conv.catalogue}_{conv.scenario}.json", transcript_json(conv))
        start = offset[conv.catalogue]
        seeker_vec, assistant_vec = list(blank), list(blank)
        seeker_vec[start:start + CATALOGUE_SIZE] = conv.seeker_ratings
        assistant_vec[start:start + CATALOGUE_SIZE] = conv.assistant_ratings
        seeker_rows.append(["Seeker", f"s{conv.pair}", cid, conv.catalogue, conv.scenario, *seeker_vec,
                            _list_literal(seeker_vec), *conv.likert])
        assistant_rows.append(["Assistant", f"a{conv.pair}", cid, conv.catalogue, conv.scenario,
                               *assistant_vec, _list_literal(assistant_vec), conv.interpretation])
    _write_text(item_ratings / "seeker_ratings.csv", _csv_text(seeker_rows))
    _write_text(item_ratings / "assistant_ratings.csv", _csv_text(assistant_rows))

    # Participants: profiles and profile-survey ratings.
    pairs = math.ceil(conversations / 6)
    seekers = [f"s{k}" for k in range(1, pairs + 1)]
    assistants = [f"a{k}" for k in range(1, pairs + 1)]
    participants = seekers + assistants
    _write_text(profiles_dir / "profiles.csv",
                _csv_text([list(PROFILE_HEADER), *(_profile_row(seed, pid, quirks) for pid in participants)]))
    survey_header = ["participant_id", *(name for name, _item in _survey_columns()), "40_rating_vec"]
    _write_text(profiles_dir / "ratings.csv",
                _csv_text([survey_header, *(_survey_ratings_row(seed, pid, quirks) for pid in participants)]))

    # Items: JSON for catalogue items, PNG for every mapped id.
    for item in all_catalogue:
        _write_text(metadata / f"item_{item}.json", _item_json(seed, item, mapping[item]))
    quirks["empty_categories"].append(EMPTY_CATEGORIES_ITEM)
    if images:
        _write_images(seed, metadata, mapping)
        quirks["duplicate_image"].extend(DUPLICATE_IMAGE_ITEMS)
        quirks["near_duplicate_image"].extend(NEAR_DUPLICATE_IMAGE_ITEMS)

    return SynthInfo(
        root=root, conversations=conversations, seekers=seekers, assistants=assistants,
        catalogue_items=catalogue_items, survey_items=survey_items,
        duplicate_image_items=DUPLICATE_IMAGE_ITEMS, near_duplicate_image_items=NEAR_DUPLICATE_IMAGE_ITEMS,
        seed=seed, layout=layout, images=images, scenarios=dict(SCENARIO_CATALOGUE), quirks=quirks,
        licence=licence_file,
    )
