"""Verify a release folder: every checksum, the manifest, and the contents of vogue.duckdb."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vogue_pack.errors import UsageError
from vogue_pack.release.format import (
    CHECKSUMS,
    DATABASE,
    MANIFEST,
    RELEASE_FORMAT_VERSION,
    connect_database,
    content_digest,
    quote_ident,
    quote_literal,
    read_manifest,
    sha256_file,
)

_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
PROBLEM_KINDS = ("missing", "extra", "changed", "manifest", "content")


@dataclass(frozen=True)
class Problem:
    """One reason a release cannot be trusted: ``kind`` is one of :data:`PROBLEM_KINDS`."""

    kind: str
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "message": self.message}


@dataclass
class VerifyResult:
    """The outcome of :func:`verify_release`; ``ok`` when there is no problem."""

    path: Path
    version: str | None
    checked_files: int = 0
    checked_tables: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, path: str, message: str) -> None:
        self.problems.append(Problem(kind, path, message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": RELEASE_FORMAT_VERSION,
            "release": self.version,
            "ok": self.ok,
            "checked_files": self.checked_files,
            "checked_tables": self.checked_tables,
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
        }

    def render_text(self, max_problems: int = 50) -> str:
        """A terminal summary; at most ``max_problems`` problems are listed."""
        lines = [f"{p.kind:<8} {p.path}: {p.message}" for p in self.problems[:max_problems]]
        if len(self.problems) > max_problems:
            lines.append(f"… {len(self.problems) - max_problems} more problems (use --format json)")
        lines += [f"note: {note}" for note in self.notes]
        state = "OK" if self.ok else "FAILED"
        lines.append(f"{state}: release {self.version or '?'} at {self.path}: {self.checked_files} files and "
                     f"{self.checked_tables} database tables checked, {len(self.problems)} "
                     f"problem{'' if len(self.problems) == 1 else 's'}")
        return "\n".join(lines)


def _read_sums(path: Path, result: VerifyResult) -> dict[str, str] | None:
    if not path.is_file():
        result.add("missing", CHECKSUMS, "the checksum file is missing")
        return None
    sums: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        result.add("changed", CHECKSUMS, f"cannot be read: {exc}")
        return None
    for number, line in enumerate(lines, start=1):
        match = _SUM_LINE.match(line)
        if match is None:
            result.add("changed", CHECKSUMS, f"line {number} is not '<sha256>  <path>': {line[:80]!r}")
            continue
        sums[match.group(2)] = match.group(1)
    return sums


def _files_on_disk(root: Path, result: VerifyResult) -> set[str]:
    found: set[str] = set()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            result.add("extra", rel, "a symbolic link; a release holds only regular files")
        elif path.is_file():
            found.add(rel)
    return found


def verify_release(path: Path) -> VerifyResult:
    """Check a release folder: every file against SHA256SUMS (changed, missing, extra), SHA256SUMS against
    the manifest, the Parquet row counts against the manifest, and the content digest of every
    ``vogue.duckdb`` table against the manifest. Raises UsageError only when ``path`` is not a release."""
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder")
    if not (root / MANIFEST).exists() and not (root / CHECKSUMS).exists():
        raise UsageError(f"{root}: neither {MANIFEST} nor {CHECKSUMS}; not a vogue-pack release")
    manifest: dict[str, Any] | None = None
    manifest_problem: tuple[str, str] | None = None
    if not (root / MANIFEST).is_file():
        manifest_problem = ("missing", "the manifest is missing")
    else:
        try:
            manifest = read_manifest(root)
        except UsageError as exc:
            manifest_problem = ("changed", str(exc))
    result = VerifyResult(path=root, version=(manifest or {}).get("dataset", {}).get("version"))
    if manifest_problem is not None:
        result.add(manifest_problem[0], MANIFEST, manifest_problem[1])

    sums = _read_sums(root / CHECKSUMS, result)
    on_disk = _files_on_disk(root, result)
    recorded = {f["path"]: f["sha256"] for f in (manifest or {}).get("files", [])}
    listed = dict(sums) if sums is not None else dict(recorded)
    actual: dict[str, str] = {}
    for rel in sorted(listed):
        if rel not in on_disk:
            result.add("missing", rel, f"listed in {CHECKSUMS} but not in the release")
            continue
        actual[rel] = sha256_file(root / rel)
        result.checked_files += 1
        if actual[rel] == listed[rel]:
            continue
        if sums is not None and recorded.get(rel) == actual[rel]:
            result.add("changed", CHECKSUMS, f"its line for {rel} does not match the file, which matches {MANIFEST}")
        else:
            result.add("changed", rel, f"sha256 {actual[rel][:12]}… differs from {CHECKSUMS} ({listed[rel][:12]}…)")
    for rel in sorted(on_disk - set(listed) - {CHECKSUMS}):
        result.add("extra", rel, f"not listed in {CHECKSUMS}")

    if manifest is not None:
        # When manifest.json itself is intact, a disagreement between it and SHA256SUMS is SHA256SUMS's.
        manifest_intact = sums is not None and actual.get(MANIFEST) == sums.get(MANIFEST)
        _check_manifest(root, manifest, sums, manifest_intact, result)
        if (root / DATABASE).is_file():
            _check_database(root, manifest, result)
    return result


def _check_manifest(root: Path, manifest: dict[str, Any], sums: dict[str, str] | None, manifest_intact: bool,
                    result: VerifyResult) -> None:
    if manifest.get("format_version") != RELEASE_FORMAT_VERSION:
        result.add("manifest", MANIFEST, f"format version {manifest.get('format_version')!r}; this vogue-pack "
                   f"reads version {RELEASE_FORMAT_VERSION}")
    entries = {f["path"]: f for f in manifest.get("files", [])}
    if sums is not None:
        for rel in sorted(set(entries) | (set(sums) - {MANIFEST, DATABASE})):
            if rel not in sums:
                problem = f"{rel} is in {MANIFEST} but not in {CHECKSUMS}"
            elif rel not in entries:
                problem = f"{rel} is in {CHECKSUMS} but not in {MANIFEST}"
            elif entries[rel]["sha256"] != sums[rel]:
                problem = f"the sha256 of {rel} differs between {MANIFEST} and {CHECKSUMS}"
            else:
                continue
            if manifest_intact:
                result.add("changed", CHECKSUMS, problem)
            else:
                result.add("manifest", rel, problem)
    for rel, entry in sorted(entries.items()):
        file_path = root / rel
        if file_path.is_file() and file_path.stat().st_size != entry["bytes"]:
            result.add("changed", rel, f"{file_path.stat().st_size} bytes; the manifest says {entry['bytes']}")
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = {**manifest.get("tables", {}), "findings": manifest.get("findings", {})}
    for entry in tables.values():
        file_path = root / entry.get("path", "")
        if not file_path.is_file():
            continue  # reported as missing above
        try:
            meta = pq.ParquetFile(file_path).metadata
        except (OSError, pa.ArrowException) as exc:
            result.add("changed", entry["path"], f"not a readable Parquet file: {exc}")
            continue
        if meta.num_rows != entry.get("rows"):
            result.add("changed", entry["path"], f"{meta.num_rows} rows; the manifest says {entry.get('rows')}")


def _check_database(root: Path, manifest: dict[str, Any], result: VerifyResult) -> None:
    import duckdb

    section = manifest.get("duckdb", {})
    expected: dict[str, dict[str, Any]] = section.get("tables", {})
    parquet = {name: entry["path"] for name, entry in manifest.get("tables", {}).items()}
    if "findings" in manifest:
        parquet["findings"] = manifest["findings"]["path"]
    built_with = manifest.get("libraries", {}).get("duckdb")
    try:
        con = connect_database(root / DATABASE, read_only=True)
    except duckdb.Error as exc:
        result.add("content", DATABASE, f"cannot be opened: {exc}")
        return
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
        views = {r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary").fetchall()}
        for name in sorted(set(expected) - present):
            result.add("content", DATABASE, f"table {name} is missing")
        for name in sorted(present - set(expected)):
            result.add("content", DATABASE, f"table {name} is not in the manifest")
        for name in sorted({view["name"] for view in section.get("views", [])} - views):
            result.add("content", DATABASE, f"view {name} is missing")
        for name in sorted(set(expected) & present):
            rows, digest = content_digest(con, quote_ident(name))
            result.checked_tables += 1
            if digest == expected[name]["content_digest"]:
                continue
            if built_with != duckdb.__version__ and name in parquet and (root / parquet[name]).is_file():
                # A newer DuckDB may serialise rows differently: compare with the Parquet file instead.
                relation = f"read_parquet({quote_literal(str(root / parquet[name]))})"
                if content_digest(con, relation)[1] == digest:
                    result.notes.append(f"table {name}: content equals {parquet[name]} (digest method of "
                                        f"duckdb {duckdb.__version__} differs from {built_with})")
                    continue
            result.add("content", DATABASE, f"table {name}: content digest differs from the manifest "
                       f"({rows} rows; the manifest says {expected[name]['rows']})")
    except duckdb.Error as exc:
        result.add("content", DATABASE, f"cannot be read: {exc}")
    finally:
        con.close()
    if any(p.kind == "changed" and p.path == DATABASE for p in result.problems) and not any(
            p.kind == "content" for p in result.problems):
        result.notes.append(f"{DATABASE}: its bytes differ from {CHECKSUMS}, but every table's content matches "
                            "the manifest (was it opened read-write?). Restore the original file to pass.")


def verify_json(result: VerifyResult) -> str:
    """The JSON rendering of a verify result."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
