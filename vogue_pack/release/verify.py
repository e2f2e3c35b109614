"""Verify a release folder against itself and, when given one, against a trust root from outside it.

Without a key it checks that the folder is internally consistent: every file against SHA256SUMS, SHA256SUMS
against the manifest and the folder (exactly), every path safe (inside the release, no link, regular files
only), every Parquet table's recomputed content against its DuckDB table and the manifest, the view and
macro definitions of vogue.duckdb against their digests in the manifest, and every image file against the
images table. No recorded digest is trusted: each is compared with one recomputed here. ``--digest`` (the
published release digest) and ``--public-key`` (the release signature) tie the folder to its publisher.
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from vogue_pack.console import plural
from vogue_pack.errors import UsageError
from vogue_pack.release.canonical import FOOTERS, TABLE_KEYS, footer_fingerprints
from vogue_pack.release.format import (
    CHECKSUMS,
    DATABASE,
    FUNCTION_ROWS,
    IMAGES_DIR,
    MANIFEST,
    RELEASE_FORMAT_VERSION,
    SIGNATURE,
    connect_database,
    connect_memory,
    content_digest,
    definition_digests,
    parse_release_digest,
    quote_ident,
    quote_literal,
    read_manifest,
    sha256_bytes,
    sha256_file,
    unsafe_path_reason,
)

if TYPE_CHECKING:
    import duckdb

# One line of SHA256SUMS as sha256sum writes it: 64 lowercase hex digits, a space, a space or '*', a path.
_SUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
_MAX_SUMS_BYTES = 64 << 20
_V = TypeVar("_V")
PROBLEM_KINDS = ("missing", "extra", "changed", "manifest", "content", "unsafe", "digest", "signature")


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
    """The outcome of :func:`verify_release`; ``ok`` when there is no problem.

    ``file_sha256`` and ``table_digests`` are what verify recomputed (never copied from the manifest):
    ``diff`` compares releases by them. ``release_digest`` is ``sha256:`` of SHA256SUMS as found."""

    path: Path
    version: str | None
    checked_files: int = 0
    checked_tables: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    release_digest: str | None = None
    digest_checked: bool = False
    signature_checked: bool = False
    file_sha256: dict[str, str] = field(default_factory=dict)
    table_digests: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, path: str, message: str) -> None:
        # A file name that is not UTF-8 reaches Python with surrogates: show it escaped, never crash on it.
        self.problems.append(Problem(kind, _shown(path), _shown(message)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": RELEASE_FORMAT_VERSION,
            "release": self.version,
            "ok": self.ok,
            "release_digest": self.release_digest,
            "digest_checked": self.digest_checked,
            "signature_checked": self.signature_checked,
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
        anchored = [what for what, done in (("published digest", self.digest_checked),
                                            ("signature", self.signature_checked)) if done]
        state = "OK" if self.ok else "FAILED"
        lines.append(f"{state}: release {self.version or '?'} at {self.path}: {plural(self.checked_files, 'file')} and "
                     f"{plural(self.checked_tables, 'database table')} checked, {plural(len(self.problems), 'problem')}"
                     + (f"; checked against the {' and the '.join(anchored)}" if anchored and self.ok else "")
                     + (f"; release digest {self.release_digest}" if self.release_digest else ""))
        return "\n".join(lines)


def _shown(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _absent(root: Path, rel: str, what: str, result: VerifyResult) -> None:
    """Report ``rel`` (a required file not found as a regular file): a link was reported as unsafe already."""
    path = root / rel
    if path.is_symlink():
        return
    if path.exists():
        result.add("unsafe", rel, f"{what} is not a regular file; never opened")
    else:
        result.add("missing", rel, f"{what} is missing")


def _walk(root: Path, result: VerifyResult) -> set[str]:
    """Every regular file under ``root`` (relative paths); links and special files are problems, never
    followed or opened."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                result.add("unsafe", (base / name).relative_to(root).as_posix(),
                           "a symbolic link; a release holds only regular files and folders")
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            rel = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                result.add("unsafe", rel, "a symbolic link; a release holds only regular files")
            elif not stat.S_ISREG(mode):
                result.add("unsafe", rel, "not a regular file (a pipe, socket or device); never opened")
            else:
                found.add(rel)
    return found


def _read_sums(root: Path, on_disk: set[str], result: VerifyResult) -> dict[str, str] | None:
    if CHECKSUMS not in on_disk:
        _absent(root, CHECKSUMS, "the checksum file", result)
        return None
    path = root / CHECKSUMS
    if path.stat().st_size > _MAX_SUMS_BYTES:
        result.add("changed", CHECKSUMS, f"larger than {_MAX_SUMS_BYTES >> 20} MiB; not read")
        return None
    data = path.read_bytes()
    result.release_digest = f"sha256:{sha256_bytes(data)}"
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        result.add("changed", CHECKSUMS, f"not UTF-8: {exc}")
        return None
    if lines and lines[-1] == "":
        lines.pop()
    sums: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        match = _SUM_LINE.fullmatch(line)
        if match is None:
            result.add("changed", CHECKSUMS, f"line {number} is not '<sha256>  <path>': {line[:80]!r}")
            continue
        rel = match.group(2)
        reason = unsafe_path_reason(rel)
        if reason is not None:
            result.add("unsafe", CHECKSUMS, f"line {number} names {rel[:80]!r}: {reason}; never opened")
        elif rel in sums:
            result.add("changed", CHECKSUMS, f"line {number} lists {rel} a second time")
        else:
            sums[rel] = match.group(1)
    return sums


def verify_release(path: Path, *, digest: str | None = None, public_key: Path | None = None) -> VerifyResult:
    """Check a release folder (see the module docstring). ``digest`` is a published release digest
    (``sha256:HEX``); ``public_key`` a PEM public key whose signature file must cover exactly this folder.

    Raises UsageError only when ``path`` is not a release, ``digest`` is malformed or the key unreadable."""
    root = Path(path)
    expected_digest = parse_release_digest(digest) if digest is not None else None
    key = None
    if public_key is not None:
        from vogue_pack.release.sign import load_public_key

        key = load_public_key(public_key)
    if root.is_symlink() or not root.is_dir():
        raise UsageError(f"{root}: not a folder")
    if not (root / MANIFEST).exists() and not (root / CHECKSUMS).exists():
        raise UsageError(f"{root}: neither {MANIFEST} nor {CHECKSUMS}; not a vogue-pack release")
    result = VerifyResult(path=root, version=None)
    on_disk = _walk(root, result)
    database = _DatabaseRead(root / DATABASE).start() if DATABASE in on_disk else None
    try:
        _verify_folder(root, on_disk, database, result)
    finally:
        if database is not None:
            database.join()  # (at once when _check_contents waited for it already)
    if expected_digest is not None:
        result.digest_checked = True
        if result.release_digest != expected_digest:
            result.add("digest", CHECKSUMS, f"the release digest is {result.release_digest or 'unknown'}, not the "
                       f"published {expected_digest}: this is not the release that was published")
    if key is not None:
        from vogue_pack.release.sign import check_signature

        result.signature_checked = True
        for message in check_signature(root, key, on_disk, result):
            result.add("signature", SIGNATURE, message)
    elif SIGNATURE in on_disk:
        result.notes.append(f"{SIGNATURE} is present but was not checked (give --public-key to check it)")
    return result


def _verify_folder(root: Path, on_disk: set[str], database: _DatabaseRead | None, result: VerifyResult) -> None:
    """Every check of the folder against itself: files, SHA256SUMS, manifest, contents, licence."""
    manifest: dict[str, Any] | None = None
    if MANIFEST not in on_disk:
        _absent(root, MANIFEST, "the manifest", result)
    else:
        try:
            manifest = read_manifest(root)
        except UsageError as exc:
            result.add("changed", MANIFEST, str(exc))
    result.version = (manifest or {}).get("dataset", {}).get("version")

    sums = _read_sums(root, on_disk, result)
    recorded = {f["path"]: f["sha256"] for f in (manifest or {}).get("files", [])}
    listed = dict(sums) if sums is not None else {p: d for p, d in recorded.items() if unsafe_path_reason(p) is None}
    actual = result.file_sha256
    for rel in sorted(listed):
        if rel not in on_disk:
            _absent(root, rel, f"{rel}, listed in {CHECKSUMS},", result)
            continue
        actual[rel] = sha256_file(root / rel)
        result.checked_files += 1
        if actual[rel] == listed[rel]:
            continue
        if sums is not None and recorded.get(rel) == actual[rel]:
            result.add("changed", CHECKSUMS, f"its line for {rel} does not match the file, which matches {MANIFEST}")
        else:
            result.add("changed", rel, f"sha256 {actual[rel][:12]}… differs from {CHECKSUMS} ({listed[rel][:12]}…)")
    for rel in sorted(on_disk - set(listed) - {CHECKSUMS, SIGNATURE}):
        result.add("extra", rel, f"not listed in {CHECKSUMS}")
    if SIGNATURE in listed:
        result.add("manifest", CHECKSUMS, f"lists {SIGNATURE}, which is written after SHA256SUMS and never in it")

    if manifest is not None:
        # When manifest.json itself is intact, a disagreement between it and SHA256SUMS is SHA256SUMS's.
        manifest_intact = sums is not None and actual.get(MANIFEST) == sums.get(MANIFEST)
        _check_manifest(root, manifest, sums, manifest_intact, on_disk, result)
        _check_contents(root, manifest, on_disk, result, database)
        from vogue_pack.release.licence import licence_problems

        for kind, rel, message in licence_problems(root, manifest, on_disk):
            result.add(kind, rel, message)


def _check_manifest(root: Path, manifest: dict[str, Any], sums: dict[str, str] | None, manifest_intact: bool,
                    on_disk: set[str], result: VerifyResult) -> None:
    if manifest.get("format_version") != RELEASE_FORMAT_VERSION:
        result.add("manifest", MANIFEST, f"format version {manifest.get('format_version')!r}; this vogue-pack "
                   f"reads version {RELEASE_FORMAT_VERSION}")
    entries: dict[str, dict[str, Any]] = {}
    for entry in manifest.get("files", []):
        reason = unsafe_path_reason(entry["path"])
        if reason is not None:
            result.add("unsafe", MANIFEST, f"files lists {entry['path'][:80]!r}: {reason}; never opened")
        elif entry["path"] in entries or entry["path"] in (MANIFEST, CHECKSUMS, DATABASE, SIGNATURE):
            result.add("manifest", MANIFEST, f"files lists {entry['path']} where it does not belong (twice, or "
                       "a file the manifest never lists)")
        else:
            entries[entry["path"]] = entry
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
        for rel in (MANIFEST, DATABASE):
            if rel not in sums:
                result.add("manifest", CHECKSUMS, f"does not list {rel}")
    for rel, entry in sorted(entries.items()):
        if rel in on_disk and (root / rel).stat().st_size != entry["bytes"]:
            result.add("changed", rel, f"{(root / rel).stat().st_size} bytes; the manifest says {entry['bytes']}")
    for name, entry in _table_entries(manifest).items():
        reason = unsafe_path_reason(entry["path"])
        if reason is not None:
            result.add("unsafe", MANIFEST, f"table {name} names {entry['path'][:80]!r}: {reason}; never opened")
        elif entry["path"] not in entries:
            result.add("manifest", MANIFEST, f"table {name} names {entry['path']}, which its files list lacks")


def _table_entries(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**manifest.get("tables", {}), "findings": manifest.get("findings", {})}


def _check_contents(root: Path, manifest: dict[str, Any], on_disk: set[str], result: VerifyResult,
                    database: _DatabaseRead | None) -> None:
    """Parquet tables, DuckDB tables and the manifest's content digests, all recomputed and compared;
    view and macro definitions; image files against the images table.

    ``database`` is vogue.duckdb being read in a thread of its own (DuckDB releases the GIL) while the
    Parquet files are digested here; the problems are reported in the order of a sequential run."""
    import duckdb

    try:
        parquet = _parquet_digests(root, manifest, on_disk, result)
    finally:
        if database is not None:
            database.join()
    if database is None:
        return
    if database.open_error is not None:
        result.add("content", DATABASE, f"cannot be opened: {database.open_error}")
        return
    try:
        _check_database(database, manifest, parquet, result)
    except duckdb.Error as exc:
        result.add("content", DATABASE, f"cannot be read: {exc}")
    if any(p.kind == "changed" and p.path == DATABASE for p in result.problems) and not any(
            p.kind == "content" for p in result.problems):
        result.notes.append(f"{DATABASE}: its bytes differ from {CHECKSUMS}, but every table's content matches "
                            "the manifest (was it opened read-write?). Restore the original file to pass.")


# Tables of up to this many rows are digested inside DuckDB, all of one side in one statement; a larger one
# is streamed to Python by content_digest (the engine would otherwise hold its whole JSON text at once).
_BATCH_ROWS = 250_000


def _digest_select(relation: str, key: Sequence[str]) -> str:
    """content_digest's definition as one DuckDB aggregate (the column-name header is its ? parameter):
    the JSON lines in the order of the key columns, then of the lines themselves.

    Every function is named with its catalog (``system.main.``): a macro stored in vogue.duckdb can take
    the name of a built-in function (``sha256``, ``to_json``, even ``||``) and would be called instead of
    it. ``concat`` skips the NULL ``string_agg`` of an empty table, leaving the header alone."""
    keys = "".join(f", t.{quote_ident(k)} AS _vogue_key_{i}" for i, k in enumerate(key))
    order = "".join(f"_vogue_key_{i} ASC NULLS LAST, " for i in range(len(key)))
    return ("SELECT system.main.count(*) AS n, system.main.sha256(system.main.concat(?, "
            f"system.main.string_agg(line, '' ORDER BY {order}line))) AS d FROM (SELECT system.main.concat("
            f"system.main.to_json(t), system.main.chr(10)) AS line{keys} FROM {relation} AS t)")


def _shadowing(functions: Sequence[tuple[Any, ...]]) -> list[tuple[str, str]]:
    """(kind, name) of every function of the database named like a built-in function, sorted, from the rows
    of :data:`~vogue_pack.release.format.FUNCTION_ROWS`: every function of the system catalog and of the
    database (a table macro can take the name duckdb_functions too, so the catalog is named). A function or
    macro of the database named like a built-in one would replace it in any SQL that names the function
    without its catalog."""
    built_in = {str(name) for internal, _, name, _, _ in functions if internal}
    return sorted({(str(kind), str(name)) for internal, kind, name, _, _ in functions
                   if not internal and str(name) in built_in})


def batch_content_digests(con: duckdb.DuckDBPyConnection, relations: Mapping[str, str],
                          keys: Mapping[str, Sequence[str]]) -> dict[str, tuple[int, str]]:
    """:func:`~vogue_pack.release.format.content_digest` of every relation (name -> table name) in one
    statement, computed by DuckDB: the same definition (tests/test_verify_fast.py compares the two on every
    table of a release). Raises duckdb.Error when any relation cannot be digested."""
    if not relations:
        return {}
    parts, headers = [], []
    for index, (name, relation) in enumerate(relations.items()):
        columns = con.sql(f"SELECT * FROM {relation}").columns  # what DESCRIBE names
        headers.append(json.dumps(columns) + "\n")
        key = [k for k in keys.get(name, ()) if k in columns]  # as content_digest: a missing key column is left out
        parts.append(f"SELECT {index} AS i, n, d FROM ({_digest_select(relation, key)})")
    found = {i: (n, d) for i, n, d in con.execute(" UNION ALL ".join(parts), headers).fetchall()}
    return {name: found[index] for index, name in enumerate(relations)}


class _DatabaseRead:
    """What verify reads from vogue.duckdb (its tables, their content digests, its definitions), read in a
    thread of its own from the start of verify_release, while the files are hashed and the manifest read.

    Every table is digested (the manifest, which names the expected ones, is read meanwhile). A duckdb.Error
    stops the reading where a sequential run would have stopped: :func:`_check_database` raises it when it
    reaches the first value that is missing, or the table that could not be digested."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.open_error: Exception | None = None
        self.error: Exception | None = None
        self.bug: BaseException | None = None
        self.present: set[str] | None = None
        self.digests: dict[str, tuple[int, str] | Exception] = {}
        self.definitions: dict[tuple[str, str], str] | None = None
        self.shadowing: list[tuple[str, str]] | None = None
        self._thread = threading.Thread(target=self._run, name="vogue-verify-database", daemon=True)

    def start(self) -> _DatabaseRead:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join()
        if self.bug is not None:
            raise self.bug

    def _run(self) -> None:
        import duckdb

        try:
            try:
                con = connect_database(self.path, read_only=True)
            except duckdb.Error as exc:
                self.open_error = exc
                return
            try:
                self._read(con)
            except duckdb.Error as exc:
                self.error = exc
            finally:
                con.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread (a bug: exit 3)
            self.bug = exc

    def _read(self, con: duckdb.DuckDBPyConnection) -> None:
        import duckdb

        sizes = dict(con.execute("SELECT table_name, estimated_size FROM system.main.duckdb_tables() "
                                 "WHERE NOT temporary").fetchall())
        self.present = set(sizes)
        names = sorted(self.present)
        try:
            batched = batch_content_digests(con, {n: quote_ident(n) for n in names if sizes[n] <= _BATCH_ROWS},
                                            {n: self.key(n) for n in names})
        except duckdb.Error:
            batched = {}  # digested one by one below, which tells the table that cannot be from the others
        for name in names:
            if name in batched:
                self.digests[name] = batched[name]
                continue
            try:
                self.digests[name] = content_digest(con, quote_ident(name), self.key(name))
            except duckdb.Error as exc:
                self.digests[name] = exc
        functions = con.execute(FUNCTION_ROWS).fetchall()
        self.definitions = definition_digests(con, functions)
        self.shadowing = _shadowing(functions)

    @staticmethod
    def key(name: str) -> tuple[str, ...]:
        """The key a table is digested by: the data model's (the database is read before the manifest is;
        a manifest naming another key is a problem of its own)."""
        return TABLE_KEYS.get(name, ())

    def checked(self, value: _V | Exception | None) -> _V:
        """``value``, or the error that stopped the reading before it (or instead of it)."""
        if isinstance(value, Exception):
            raise value
        if value is None:
            raise self.error or RuntimeError("vogue.duckdb was not read")
        return value


# A path that DuckDB's read_parquet opens as written: no glob character (it expands *, ?, [...] and {...}), no
# backslash or control character. A Parquet file elsewhere is read by pyarrow.
_PLAIN_PATH = re.compile(r"[^*?\[\]{}\\\x00-\x1f]+")


def _parquet_digests(root: Path, manifest: dict[str, Any], on_disk: set[str],
                     result: VerifyResult) -> dict[str, tuple[int, str]]:
    """Recompute every Parquet table's row count and content digest (read from a regular file inside the
    release, digested in the sandbox) and compare with the manifest.

    A file whose footer is the one build writes for its table (vogue_pack.release.canonical) is read by
    DuckDB's Parquet reader, the sandbox allowed that file alone; any other file, and one that DuckDB's
    reader cannot digest, is read by pyarrow and registered as an Arrow table, as before."""
    import duckdb

    same_engine = manifest.get("libraries", {}).get("duckdb") == duckdb.__version__
    entries = _table_entries(manifest)
    paths = {name: entry["path"] for name, entry in entries.items()  # the others were reported above
             if unsafe_path_reason(entry["path"]) is None and entry["path"] in on_disk}
    direct = {name: os.path.join(os.path.abspath(root), rel) for name, rel in paths.items() if name in FOOTERS}
    direct = {name: path for name, path in direct.items() if _PLAIN_PATH.fullmatch(path)}
    digests: dict[str, tuple[int, str]] = {}
    con = connect_memory(allowed_paths=sorted(set(direct.values())))
    try:
        footers = _footers(con, sorted(set(direct.values())))
        arrow = {name: f"_vogue_parquet_{index}" for index, name in enumerate(paths)}  # registered names
        relations = dict(arrow)  # what each table is read from
        read: dict[str, int | str] = {}  # name -> its row count, or the message of why it cannot be read
        by_duckdb: set[str] = set()
        for name in paths:
            found = footers.get(direct.get(name, ""))
            if found is not None and found[0] == FOOTERS[name]:
                relations[name] = f"read_parquet({quote_literal(direct[name])}, hive_partitioning = false)"
                by_duckdb.add(name)
                read[name] = found[1]
            else:
                read[name] = _register_arrow(con, arrow[name], root / paths[name])
        try:
            batched = batch_content_digests(con, {n: relations[n] for n, rows in read.items()
                                                  if isinstance(rows, int) and rows <= _BATCH_ROWS},
                                            {n: entries[n].get("key") or () for n in relations})
        except duckdb.Error:
            batched = {}  # digested one by one below, which names the table that cannot be
        for name, rel in paths.items():
            entry = entries[name]
            key = entry.get("key") or ()
            try:
                if isinstance(read[name], str):
                    raise _Unreadable(str(read[name]))
                try:
                    rows, digest = batched[name] if name in batched else content_digest(con, relations[name], key)
                except duckdb.Error:
                    if name not in by_duckdb:
                        raise
                    # DuckDB's reader failed on this file: pyarrow reads it, as it did before
                    relations[name] = arrow[name]
                    message = _register_arrow(con, arrow[name], root / rel)
                    if isinstance(message, str):
                        raise _Unreadable(message) from None
                    rows, digest = content_digest(con, relations[name], key)
            except _Unreadable as exc:
                result.add("changed", rel, str(exc))
                continue
            except duckdb.Error as exc:
                result.add("content", rel, f"cannot be read as a table: {str(exc)[:200]}")
                continue
            digests[name] = (rows, digest)
            result.table_digests[name] = digest
            if name == "images":
                _check_images(root, con, relations[name], on_disk, result)
                _check_images_entry(manifest, rows, result)
            if rows != entry.get("rows"):
                result.add("content", rel, f"{rows} rows; the manifest says {entry.get('rows')}")
            elif digest != entry.get("content_digest"):
                if same_engine:
                    result.add("content", rel, f"table {name}: its content digest differs from the manifest's "
                               f"tables.{name}.content_digest (the data was changed)")
                else:
                    result.notes.append(f"{rel}: content digest not comparable with the manifest (built with "
                                        f"duckdb {manifest.get('libraries', {}).get('duckdb')}, checked with "
                                        f"{duckdb.__version__}); compared with vogue.duckdb instead")
    finally:
        con.close()
    return digests


def _footers(con: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, tuple[str, int]]:
    """:func:`~vogue_pack.release.canonical.footer_fingerprints` of the files whose footer DuckDB can read
    (the others are read by pyarrow, whose message names what is wrong)."""
    import duckdb

    try:
        return footer_fingerprints(con, paths)
    except duckdb.Error:
        found: dict[str, tuple[str, int]] = {}
        for path in paths:
            try:
                found.update(footer_fingerprints(con, [path]))
            except duckdb.Error:
                continue
        return found


class _Unreadable(Exception):
    """A Parquet file that pyarrow cannot read (the message says why)."""


def _register_arrow(con: duckdb.DuckDBPyConnection, relation: str, path: Path) -> int | str:
    """Read ``path`` with pyarrow and register it as ``relation``: its row count, or the message of why it
    cannot be read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet_file:  # not read_table: pyarrow.dataset imports pandas
            table = parquet_file.read()
    except (OSError, ValueError, pa.ArrowException) as exc:
        return f"not a readable Parquet file: {str(exc)[:200]}"
    con.register(relation, table)
    return int(table.num_rows)


def _check_images_entry(manifest: Mapping[str, Any], rows: int, result: VerifyResult) -> None:
    """The manifest's ``images`` (count, and whether images were built at all) against the images table."""
    entry = manifest.get("images")
    if not isinstance(entry, dict):
        result.add("content", MANIFEST, "no images entry (count, included)")
        return
    if entry.get("included") is False and rows:
        result.add("content", MANIFEST, f"images.included is false (built with --no-images), but the images "
                   f"table has {rows} rows")
    elif entry.get("count") != rows:
        result.add("content", MANIFEST, f"images.count is {entry.get('count')}, but the images table has {rows} rows")


def _check_images(root: Path, con: duckdb.DuckDBPyConnection, relation: str, on_disk: set[str],
                  result: VerifyResult) -> None:
    """Each image file's sha256 against its row of the images table (``relation`` in ``con``): the file the
    table describes."""
    import duckdb

    from vogue_pack.release.format import sha256_file as file_digest

    try:
        if {"item_id", "path", "sha256"} - set(con.sql(f"SELECT * FROM {relation}").columns):
            return  # its content digest differs from the manifest's already; nothing to compare images with
        images = con.execute(f"SELECT item_id, path, sha256 FROM {relation}").fetchall()
    except duckdb.Error:
        return  # (the same: a table whose columns cannot be told apart)
    described: set[str] = set()
    for item_id, rel, recorded in images:
        rel = str(rel)
        if not rel.startswith(f"{IMAGES_DIR}/") or "/" in rel[len(IMAGES_DIR) + 1:] or unsafe_path_reason(rel):
            result.add("content", rel, f"the images table places the image of item {item_id} outside "
                       f"{IMAGES_DIR}/")
            continue
        described.add(rel)
        if rel not in on_disk:
            if not (root / rel).is_symlink():
                result.add("missing", rel, f"the image of item {item_id} in the images table is not in the release")
            continue
        actual = result.file_sha256.get(rel) or file_digest(root / rel)
        if recorded != actual:
            result.add("content", rel, f"sha256 {actual[:12]}… differs from the images table's "
                       f"({str(recorded)[:12]}…) for item {item_id}: the image was replaced")
    # (a file SHA256SUMS does not list is reported as extra already)
    for rel in sorted(p for p in result.file_sha256 if p.startswith(f"{IMAGES_DIR}/") and p not in described):
        result.add("content", rel, "an image the images table does not describe")


def _check_database(database: _DatabaseRead, manifest: dict[str, Any],
                    parquet: dict[str, tuple[int, str]], result: VerifyResult) -> None:
    import duckdb

    section = manifest.get("duckdb", {})
    expected: dict[str, dict[str, Any]] = section.get("tables", {})
    tables = _table_entries(manifest)
    same_engine = manifest.get("libraries", {}).get("duckdb") == duckdb.__version__
    present = database.checked(database.present)
    for name in sorted(set(expected) - present):
        result.add("content", DATABASE, f"table {name} is missing")
    for name in sorted(present - set(expected)):
        result.add("content", DATABASE, f"table {name} is not in the manifest")
    for name in sorted(set(tables) - set(expected)):
        result.add("manifest", MANIFEST, f"table {name} has a Parquet file but no duckdb.tables entry")
    for name in sorted(set(expected) & present):
        rows, digest = database.checked(database.digests.get(name))
        if name in tables and tuple(tables[name].get("key") or ()) != database.key(name):
            result.add("manifest", MANIFEST, f"table {name}: key {tables[name].get('key')} is not the format's "
                       f"key {list(database.key(name))}")
        result.checked_tables += 1
        if name in parquet and parquet[name][1] != digest:
            result.add("content", DATABASE, f"table {name} differs from {tables[name]['path']} ({rows} rows in "
                       f"the database, {parquet[name][0]} in the Parquet file): the two copies disagree")
        if digest != expected[name]["content_digest"] or rows != expected[name]["rows"]:
            if same_engine or name not in parquet:
                result.add("content", DATABASE, f"table {name}: content digest differs from the manifest's "
                           f"duckdb.tables.{name} ({rows} rows; the manifest says {expected[name]['rows']})")
        if name in tables and expected[name]["content_digest"] != tables[name].get("content_digest"):
            result.add("manifest", MANIFEST, f"duckdb.tables.{name}.content_digest differs from "
                       f"tables.{name}.content_digest: the manifest contradicts itself")
    recorded = {(d["kind"], d["name"]): d["sha256"] for d in section.get("definitions", [])}
    found = database.checked(database.definitions)
    for kind, name in sorted(set(recorded) - set(found)):
        result.add("content", DATABASE, f"{kind} {name} is missing")
    for kind, name in sorted(set(found) - set(recorded)):
        result.add("content", DATABASE, f"{kind} {name} is not in the manifest")
    for key in sorted(set(found) & set(recorded)):
        if found[key] != recorded[key]:
            result.add("content", DATABASE, f"{key[0]} {key[1]}: its definition differs from the manifest's "
                       "digest (it was redefined)")
    views = {name for kind, name in found if kind == "view"}
    for name in sorted({view["name"] for view in section.get("views", [])} - views):
        if ("view", name) not in recorded:
            result.add("content", DATABASE, f"view {name} is missing")
    for kind, name in database.checked(database.shadowing):
        result.add("content", DATABASE, f"{kind} {name} takes the name of a DuckDB built-in function (SQL that "
                   "calls the built-in would run it instead)")


def verify_json(result: VerifyResult) -> str:
    """The JSON rendering of a verify result."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
