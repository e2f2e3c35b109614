"""Compare two releases: records added, removed and changed per table (by key), files added, removed and
changed, and the version bump Croissant's rules call for."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vogue_pack.console import plural
from vogue_pack.errors import UsageError
from vogue_pack.release.format import (
    DATABASE,
    RELEASE_FORMAT_VERSION,
    REPORT,
    connect_memory,
    parse_version,
    quote_ident,
    read_manifest,
)

if TYPE_CHECKING:
    import duckdb

    from vogue_pack.release.verify import VerifyResult

SAMPLE_SIZE = 5
_MAX_TEXT = 120
BUMPS = ("patch", "minor", "major")


class UnverifiedRelease(UsageError):
    """A release given to diff does not verify: diff compares only releases that do."""

    def __init__(self, message: str, result: VerifyResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class TableDiff:
    """How one table changed. ``status`` is ``same``, ``changed``, ``added`` (new table) or ``removed``."""

    name: str
    key: list[str]
    status: str
    old_rows: int | None
    new_rows: int | None
    added: int = 0
    removed: int = 0
    changed: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    added_sample: list[dict[str, Any]] = field(default_factory=list)
    removed_sample: list[dict[str, Any]] = field(default_factory=list)
    changed_sample: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.name, "key": self.key, "status": self.status,
            "old_rows": self.old_rows, "new_rows": self.new_rows,
            "added": self.added, "removed": self.removed, "changed": self.changed,
            "columns_added": self.columns_added, "columns_removed": self.columns_removed,
            "samples": {"added": self.added_sample, "removed": self.removed_sample,
                        "changed": self.changed_sample},
        }


@dataclass
class DiffResult:
    """The difference between two releases (``old`` -> ``new``)."""

    old: str
    new: str
    tables: list[TableDiff]
    files_added: list[str]
    files_removed: list[str]
    files_changed: list[str]
    findings: dict[str, tuple[int, int]]
    notes: list[str] = field(default_factory=list)

    @property
    def records_changed_or_removed(self) -> bool:
        return any(t.removed or t.changed or t.columns_added or t.columns_removed
                   or t.status == "removed" for t in self.tables)

    @property
    def records_added(self) -> bool:
        return any(t.added or t.status == "added" for t in self.tables)

    @property
    def required_bump(self) -> str:
        """Croissant's versioning rules: ``major`` when records changed or were removed, ``minor`` when
        records were only added, ``patch`` when the records are the same."""
        if self.records_changed_or_removed:
            return "major"
        if self.records_added:
            return "minor"
        return "patch"

    @property
    def same_records(self) -> bool:
        return self.required_bump == "patch"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": RELEASE_FORMAT_VERSION,
            "old": self.old,
            "new": self.new,
            "required_bump": self.required_bump,
            "tables": [t.to_dict() for t in self.tables],
            "files": {"added": self.files_added, "removed": self.files_removed, "changed": self.files_changed},
            "findings_by_code": {code: {"old": old, "new": new} for code, (old, new) in self.findings.items()},
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def render_text(self, max_files: int = 20) -> str:
        """A terminal summary: one line per table, samples of each kind of change, then files."""
        lines = [f"diff {self.old} -> {self.new}", "", "tables (rows: +added -removed ~changed):"]
        for t in self.tables:
            rows = f"{t.old_rows if t.old_rows is not None else '-'} -> " \
                   f"{t.new_rows if t.new_rows is not None else '-'} rows"
            if t.status in ("added", "removed"):
                lines.append(f"  {t.name:<22} table {t.status} ({rows})")
                continue
            mark = "same" if t.status == "same" else f"+{t.added} -{t.removed} ~{t.changed}"
            lines.append(f"  {t.name:<22} {mark:<16} ({rows})")
            if t.columns_added or t.columns_removed:
                lines.append(f"      columns added {t.columns_added}, removed {t.columns_removed}")
            for label, sample in (("added", t.added_sample), ("removed", t.removed_sample)):
                lines += [f"      {label}: {_key_text(s['key'])}" for s in sample]
            for s in t.changed_sample:
                changes = ", ".join(f"{c}: {_short(v['old'])} -> {_short(v['new'])}"
                                    for c, v in s["columns"].items())
                lines.append(f"      changed: {_key_text(s['key'])}: {changes}")
        lines.append("")
        lines.append(f"files: {len(self.files_added)} added, {len(self.files_removed)} removed, "
                     f"{len(self.files_changed)} changed")
        for mark, paths in (("+", self.files_added), ("-", self.files_removed), ("~", self.files_changed)):
            lines += [f"  {mark} {p}" for p in paths[:max_files]]
            if len(paths) > max_files:
                lines.append(f"  {mark} … {len(paths) - max_files} more")
        moved = {c: v for c, v in self.findings.items() if v[0] != v[1]}
        if moved:
            lines.append("")
            lines.append("findings by code (old -> new):")
            lines += [f"  {code}: {old} -> {new}" for code, (old, new) in moved.items()]
        lines += ["", *(f"warning: {note}" for note in self.notes)] if self.notes else []
        lines.append("")
        lines.append(f"records: {_records_summary(self)}; Croissant's rules call for a {self.required_bump} "
                     "version bump")
        return "\n".join(lines)


def _records_summary(result: DiffResult) -> str:
    if result.records_changed_or_removed:
        return "changed or removed"
    if result.records_added:
        return "only added"
    return "the same"


def _key_text(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items())


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _trim(value: Any) -> Any:
    """Sample values are for reading: long strings and lists are shortened."""
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "…"
    if isinstance(value, list):
        return [_trim(v) for v in value[:20]]
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    return value


def diff_releases(old: Path, new: Path) -> DiffResult:
    """Compare release ``old`` with release ``new`` (two release folders). Both are verified first
    (UnverifiedRelease when one does not), and only digests verify recomputed are compared, never the
    ones the manifests record. Raises UsageError when either is not a release."""
    from vogue_pack.release.verify import verify_release

    old, new = Path(old), Path(new)
    checked = {}
    for label, path in (("OLD", old), ("NEW", new)):
        result = verify_release(path)
        if not result.ok:
            raise UnverifiedRelease(f"{label} {path} does not verify ({plural(len(result.problems), 'problem')}); diff "
                                    "compares only intact releases", result)
        checked[label] = result
    old_manifest, new_manifest = read_manifest(old), read_manifest(new)
    con = connect_memory()
    try:
        tables = _diff_tables(con, old, new, old_manifest, new_manifest, checked["OLD"], checked["NEW"])
    finally:
        con.close()
    files_added, files_removed, files_changed = _diff_files(checked["OLD"], checked["NEW"])
    old_version, new_version = old_manifest["dataset"]["version"], new_manifest["dataset"]["version"]
    reversed_hint = _reversed_hint(old_manifest, new_manifest)
    notes = [reversed_hint] if reversed_hint else []
    return DiffResult(
        old=old_version,
        new=new_version,
        tables=tables,
        files_added=files_added,
        files_removed=files_removed,
        files_changed=files_changed,
        findings=_diff_findings(old, new),
        notes=notes,
    )


def _reversed_hint(old_manifest: dict[str, Any], new_manifest: dict[str, Any]) -> str | None:
    """A note when NEW looks older than OLD: an older version, or (same version) an older source date."""
    old_version, new_version = old_manifest["dataset"]["version"], new_manifest["dataset"]["version"]
    parsed_old, parsed_new = parse_version(old_version), parse_version(new_version)
    usage = "the command is `vogue-pack diff OLD NEW`"
    if parsed_old is not None and parsed_new is not None and parsed_new != parsed_old:
        if parsed_new < parsed_old:
            return (f"the arguments look reversed: NEW ({new_version}) is an older version than OLD "
                    f"({old_version}); {usage}")
        return None
    old_date, new_date = (m.get("source_date") or {} for m in (old_manifest, new_manifest))
    old_epoch, new_epoch = old_date.get("epoch"), new_date.get("epoch")
    if isinstance(old_epoch, int) and isinstance(new_epoch, int) and new_epoch < old_epoch:
        return (f"the arguments look reversed: NEW's data is older ({new_date.get('iso', new_epoch)}) than OLD's "
                f"({old_date.get('iso', old_epoch)}); {usage}")
    return None


def _diff_tables(con: duckdb.DuckDBPyConnection, old: Path, new: Path, old_manifest: dict[str, Any],
                 new_manifest: dict[str, Any], old_checked: VerifyResult, new_checked: VerifyResult,
                 ) -> list[TableDiff]:
    old_tables, new_tables = old_manifest["tables"], new_manifest["tables"]
    names = list(old_tables) + [n for n in new_tables if n not in old_tables]
    result = []
    for name in names:
        if name not in new_tables:
            entry = old_tables[name]
            result.append(TableDiff(name, entry["key"], "removed", entry["rows"], None, removed=entry["rows"]))
        elif name not in old_tables:
            entry = new_tables[name]
            result.append(TableDiff(name, entry["key"], "added", None, entry["rows"], added=entry["rows"]))
        else:
            same = old_checked.table_digests.get(name) == new_checked.table_digests.get(name) is not None
            result.append(_diff_table(con, name, old / old_tables[name]["path"], new / new_tables[name]["path"],
                                      old_tables[name], new_tables[name], same))
    return result


def _diff_table(con: duckdb.DuckDBPyConnection, name: str, old_file: Path, new_file: Path,
                old_entry: dict[str, Any], new_entry: dict[str, Any], same_content: bool) -> TableDiff:
    import pyarrow.parquet as pq

    key = list(new_entry["key"])
    diff = TableDiff(name, key, "same", old_entry["rows"], new_entry["rows"])
    old_columns, new_columns = list(old_entry["columns"]), list(new_entry["columns"])
    diff.columns_added = [c for c in new_columns if c not in old_columns]
    diff.columns_removed = [c for c in old_columns if c not in new_columns]
    common = [c for c in new_columns if c in old_columns]
    if same_content and not (diff.columns_added or diff.columns_removed):
        return diff  # identical recomputed content: no need to compare rows
    keys = ", ".join(quote_ident(k) for k in key)
    cols = ", ".join(quote_ident(c) for c in common)
    # The sandbox reads no file: verify checked these paths, pyarrow reads them, DuckDB sees Arrow tables.
    sources = {"o": pq.read_table(old_file), "n": pq.read_table(new_file)}
    for alias, table in sources.items():
        con.register(f"_{alias}_source", table)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {alias} AS SELECT {keys}, md5(to_json(r)) AS _h "
                    f"FROM (SELECT {cols} FROM _{alias}_source) AS r")
    on = " AND ".join(f"o.{quote_ident(k)} = n.{quote_ident(k)}" for k in key)
    order = ", ".join(quote_ident(k) for k in key)

    def keys_of(sql: str) -> tuple[int, list[dict[str, Any]]]:
        count_row = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()
        sample = con.execute(f"SELECT * FROM ({sql}) ORDER BY {order} LIMIT {SAMPLE_SIZE}").fetchall()
        return int(count_row[0]) if count_row else 0, [dict(zip(key, row, strict=True)) for row in sample]

    try:
        diff.added, added_keys = keys_of(f"SELECT {keys} FROM n ANTI JOIN o USING ({keys})")
        diff.removed, removed_keys = keys_of(f"SELECT {keys} FROM o ANTI JOIN n USING ({keys})")
        diff.changed, changed_keys = keys_of(
            f"SELECT {', '.join(f'n.{quote_ident(k)}' for k in key)} FROM o JOIN n ON {on} WHERE o._h <> n._h")
        diff.added_sample = [{"key": k, "row": _row(con, "_n_source", key, k)} for k in added_keys]
        diff.removed_sample = [{"key": k, "row": _row(con, "_o_source", key, k)} for k in removed_keys]
        for k in changed_keys:
            before, after = _row(con, "_o_source", key, k), _row(con, "_n_source", key, k)
            columns = {c: {"old": before.get(c), "new": after.get(c)} for c in common
                       if before.get(c) != after.get(c)}
            diff.changed_sample.append({"key": k, "columns": columns})
    finally:
        for alias in sources:
            con.unregister(f"_{alias}_source")
    if diff.added or diff.removed or diff.changed or diff.columns_added or diff.columns_removed:
        diff.status = "changed"
    return diff


def _row(con: duckdb.DuckDBPyConnection, source: str, key: list[str], values: dict[str, Any]) -> dict[str, Any]:
    where = " AND ".join(f"{quote_ident(k)} = ?" for k in key)
    cursor = con.execute(f"SELECT * FROM {source} WHERE {where}", [values[k] for k in key])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()  # to the end: DuckDB refuses other work on a connection with a pending result
    row = rows[0] if rows else None
    return {n: _trim(v) for n, v in zip(names, row, strict=True)} if row else {}


def _diff_files(old: VerifyResult, new: VerifyResult) -> tuple[list[str], list[str], list[str]]:
    """Files by the sha256 verify recomputed; the database by its recomputed table digests (its bytes
    also depend on the DuckDB version that wrote it, so they say less than its tables)."""
    from vogue_pack.release.format import CHECKSUMS, MANIFEST, SIGNATURE

    skip = {DATABASE, CHECKSUMS, MANIFEST, SIGNATURE}
    old_files = {p: d for p, d in old.file_sha256.items() if p not in skip}
    new_files = {p: d for p, d in new.file_sha256.items() if p not in skip}
    old_files[DATABASE] = json.dumps(old.table_digests, sort_keys=True)
    new_files[DATABASE] = json.dumps(new.table_digests, sort_keys=True)
    added = sorted(set(new_files) - set(old_files))
    removed = sorted(set(old_files) - set(new_files))
    changed = sorted(p for p in set(old_files) & set(new_files) if old_files[p] != new_files[p])
    return added, removed, changed


def _diff_findings(old: Path, new: Path) -> dict[str, tuple[int, int]]:
    def counts(release: Path) -> dict[str, int]:
        try:
            report = json.loads((release / REPORT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {code: int(v["count"]) for code, v in report.get("summary", {}).get("by_code", {}).items()}

    before, after = counts(old), counts(new)
    return {code: (before.get(code, 0), after.get(code, 0)) for code in sorted(set(before) | set(after))}


def actual_bump(old_version: str, new_version: str) -> str:
    """``major``, ``minor`` or ``patch``: which part of the version went up from old to new."""
    old, new = parse_version(old_version), parse_version(new_version)
    if old is None or new is None:
        raise ValueError(f"not versions: {old_version!r}, {new_version!r}")
    if new[0] != old[0]:
        return "major"
    if new[1] != old[1]:
        return "minor"
    return "patch"


def bump_warnings(diff: DiffResult, old_version: str, new_version: str) -> list[str]:
    """Warnings when the version bump from ``old_version`` contradicts the records' change."""
    bump, required = actual_bump(old_version, new_version), diff.required_bump
    if bump == required:
        return []
    what = {"major": "records were changed or removed", "minor": "records were only added",
            "patch": "the records are the same"}[required]
    summary = ", ".join(f"{t.name} +{t.added} -{t.removed} ~{t.changed}" for t in diff.tables
                        if t.status != "same")
    detail = f" ({summary})" if summary else ""
    if BUMPS.index(bump) < BUMPS.index(required):
        return [f"version {new_version} is a {bump} bump from {old_version}, but {what} since {old_version}"
                f"{detail}: Croissant's rules call for a {required} version. Run `vogue-pack diff` to see them."]
    return [f"version {new_version} is a {bump} bump from {old_version}, but {what}{detail}: Croissant's "
            f"rules call for only a {required} version."]
