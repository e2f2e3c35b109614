"""Small helpers to read, change and fingerprint the files of a raw VOGUE tree in tests."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path
from stat import S_ISREG
from typing import Any

SCENARIOS = "conversation_trials/scenarios.json"
SEEKER = "conversation_trials/item_ratings/seeker_ratings.csv"
ASSISTANT = "conversation_trials/item_ratings/assistant_ratings.csv"
TRANSCRIPTS = "conversation_trials/transcripts"
PROFILES = "fashion_profiles/profiles.csv"
PROFILE_RATINGS = "fashion_profiles/ratings.csv"
MAPPING = "supplements/catalogue_mapping.csv"
PROFILE_SURVEY = "surveys/profile_survey.txt"
ITEM_RATING_SURVEY = "surveys/item_rating_survey.txt"


def rel(root: Path, path: Path) -> str:
    """``path`` relative to the raw root, POSIX separators (how findings name files)."""
    return path.relative_to(root).as_posix()


def transcript(root: Path, cid: int) -> Path:
    """The transcript file of conversation ``cid`` (flat or nested layout)."""
    matches = sorted((root / TRANSCRIPTS).rglob(f"c{cid}_*.json"))
    assert len(matches) == 1, matches
    return matches[0]


def item_json(root: Path, item_id: int) -> Path:
    return root / "metadata" / f"item_{item_id}.json"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, document: Any) -> None:
    """Write like the release: indent 2, raw non-ASCII, no trailing newline (NaN allowed on purpose)."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")


def read_rows(path: Path) -> list[list[str]]:
    """All records of a CSV file, header first. Fails if a cell spans lines (line numbers would shift)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert not any("\n" in cell or "\r" in cell for row in rows for cell in row)
    return rows


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Write records the way the release does (csv module, QUOTE_MINIMAL, ``\\n`` line endings)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def line_of(rows: list[list[str]], column: str, value: str) -> int:
    """The 1-based line number (header = line 1) of the first record whose ``column`` is ``value``.

    Valid because :func:`read_rows` guarantees one record per line and the files have no blank lines.
    """
    index = rows[0].index(column)
    for line, row in enumerate(rows[1:], start=2):
        if row[index] == value:
            return line
    raise AssertionError(f"no row with {column}={value!r}")


def set_cell(rows: list[list[str]], line: int, column: str, value: str) -> None:
    """Set the cell of ``column`` on the record at 1-based ``line``."""
    rows[line - 1][rows[0].index(column)] = value


def get_cell(rows: list[list[str]], line: int, column: str) -> str:
    return rows[line - 1][rows[0].index(column)]


def tree_fingerprint(folder: Path) -> dict[str, str]:
    """Path -> fingerprint of everything under ``folder`` (links not followed).

    Regular files up to 64 MB are hashed; larger ones (sparse test files) are fingerprinted by
    size and modification time, links by their target, folders by their presence.
    """
    prints: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            key = path.relative_to(folder).as_posix()
            stat = path.lstat()
            if path.is_symlink():
                prints[key] = "link:" + os.readlink(path)
            elif path.is_dir():
                prints[key] = "dir"
            elif not S_ISREG(stat.st_mode):  # FIFO, socket, device: never opened (a FIFO would block)
                prints[key] = f"special:{stat.st_mode:o}"
            elif stat.st_size > 64 * 2**20:
                prints[key] = f"big:{stat.st_size}:{stat.st_mtime_ns}"
            else:
                prints[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints
