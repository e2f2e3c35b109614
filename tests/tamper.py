"""Consistent tampering of a release, as an attacker who can edit any file does it: change a file, then
rewrite its SHA256SUMS line and its manifest entry so that every recorded checksum agrees."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def resum(release: Path, *rels: str) -> None:
    """Rewrite the SHA256SUMS lines of ``rels`` to the files' current sha256."""
    sums = release / "SHA256SUMS"
    lines = []
    for line in sums.read_text().splitlines():
        _digest, rel = line.split("  ", 1)
        lines.append(f"{sha(release / rel)}  {rel}" if rel in rels else line)
    sums.write_text("\n".join(lines) + "\n")


def edit_manifest(release: Path, change: Any) -> None:
    """Apply ``change(manifest)`` and rewrite manifest.json and its SHA256SUMS line."""
    path = release / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    resum(release, "manifest.json")


def refile(release: Path, *rels: str) -> None:
    """Make manifest.files and SHA256SUMS agree with the current bytes of ``rels``."""
    def change(manifest: dict[str, Any]) -> None:
        for entry in manifest["files"]:
            if entry["path"] in rels:
                entry["sha256"] = sha(release / entry["path"])
                entry["bytes"] = (release / entry["path"]).stat().st_size

    resum(release, *rels)
    edit_manifest(release, change)
