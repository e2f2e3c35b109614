"""Build a versioned release: Parquet + images + DuckDB + report + manifest + checksums + card + Croissant.

The layout and every guarantee are described in docs/release-format.md. In short:

- The validated tables are the released tables (nothing is re-parsed); images are copied byte for byte.
- Reproducible: the same raw tree, version and date give byte-identical files, ``vogue.duckdb`` included
  (its random identifier is replaced by a content-derived one); the manifest also records order-independent
  content digests of its tables. The date never comes from a clock or a file time (release/dates.py).
- Immutable and atomic: the release is written into a hidden temporary folder beside the target and
  renamed into place at the end; an existing version is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from vogue_pack._version import __version__
from vogue_pack.errors import OutputError, UsageError
from vogue_pack.fsutil import current_umask
from vogue_pack.raw.load import release_memory
from vogue_pack.raw.model import FORMAT_VERSION, TABLES, TableSpec, release_image_path
from vogue_pack.release.card import CardSections, card_sections
from vogue_pack.release.database import DatabaseWriter, table_digests
from vogue_pack.release.dates import SourceDate, resolve_source_date
from vogue_pack.release.format import (
    CARD,
    CHECKSUMS,
    CONTENT_DIGEST_METHOD,
    CROISSANT,
    DATABASE,
    FINDINGS,
    FINDINGS_KEY,
    IMAGES_DIR,
    MANIFEST,
    RELEASE_FORMAT_VERSION,
    REPORT,
    TABLES_DIR,
    canonical_json,
    connect_database,
    parse_version,
    release_digest,
    semver,
    sha256_bytes,
    sha256_file,
    sha256_stream,
)
from vogue_pack.release.tables import PARQUET_OPTIONS, findings_table, parquet_bytes, take_canonical, write_parquet

if TYPE_CHECKING:
    from vogue_pack.report.report import Report
    from vogue_pack.validate.pipeline import ValidateOptions, Validation

_PARTIAL = ".partial-"


class ConfigOverridesRefused(Exception):
    """A configuration file that came with the raw tree switches error-level checks off or downgrades
    them, and the command line did not allow it (exit 1: the verdict would not be the tool's)."""


class Validated(Protocol):
    """What build needs from ``vogue_pack.validate.pipeline.Validation``."""

    root: Path
    tables: dict[str, pa.Table]
    unavailable: dict[str, str]
    report: Report


@dataclass(frozen=True)
class BuildResult:
    """A finished release: where it is, what it holds, and any warnings (e.g. a questionable version bump)."""

    path: Path
    version: str
    rows: dict[str, int]
    files: int
    bytes: int
    previous_version: str | None = None
    required_bump: str | None = None
    warnings: tuple[str, ...] = ()
    release_digest: str = ""  # sha256: of SHA256SUMS, the one line to publish
    configuration: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------- raw tree


@dataclass(frozen=True)
class RawDigest:
    """The digest of the raw tree the release was built from."""

    digest: str
    files: int
    bytes: int


def _inside(root: Path, rel: str) -> Path:
    """The absolute path of ``rel`` under ``root``, refusing links and anything outside the root."""
    path = root / rel
    if path.is_symlink() or not path.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"{rel}: a link or a path outside the raw tree; refusing to read it")
    if not path.is_file():
        raise UsageError(f"{rel}: listed by validation but no longer in the raw tree; validate again")
    return path


def raw_tree_digest(root: Path, paths: Iterable[str]) -> RawDigest:
    """SHA-256 over the sorted lines ``<sha256>  <path>`` of every raw file (what ``sha256sum`` prints).

    The files are the ones discovery listed; each costs one open (refusing a link), one ``fstat`` and one
    read. Their folders are resolved once each: a folder that became a link or resolves outside the
    root since discovery is refused, as is a file that became a link or stopped being a regular file.
    """
    rels = sorted(set(paths))
    real_root = os.path.realpath(root)
    checked: set[str] = set()
    lines: list[str] = []
    total = 0
    for rel in rels:
        folder = rel.rpartition("/")[0]
        if folder not in checked:
            expected = os.path.join(real_root, *folder.split("/")) if folder else real_root
            if os.path.realpath(root / folder) != expected:
                raise UsageError(f"{rel}: a link or a path outside the raw tree; refusing to read it")
            checked.add(folder)
        sha, size = _sha256_regular(root / rel, rel)
        lines.append(f"{sha}  {rel}\n")
        total += size
    return RawDigest(digest=sha256_bytes("".join(lines).encode("utf-8")), files=len(rels), bytes=total)


def _sha256_regular(path: Path, rel: str) -> tuple[str, int]:
    """The sha256 and size of a regular file, opened without following a link (one open, stat, read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise UsageError(f"{rel}: a link or a path outside the raw tree; refusing to read it") from exc
        if exc.errno == errno.ENOENT:
            raise UsageError(f"{rel}: listed by validation but no longer in the raw tree; validate again") from exc
        raise
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{rel}: listed by validation but no longer a regular file; validate again")
        return sha256_stream(handle), info.st_size


def release_report(report: Report, root: Path) -> Report:
    """The report as written into the release: the same report with host paths of the raw root replaced
    by ``.`` in every message, value and context string."""
    roots = tuple(sorted({str(root.resolve()), str(root.absolute())}, key=len, reverse=True))

    def scrub(text: str) -> str:
        for host_path in roots:
            text = text.replace(host_path, ".")
        return text

    return report.map_strings(scrub, root=".")


# -------------------------------------------------------------------------------- writer


@dataclass
class _ReleaseWriter:
    """Writes files under the temporary release folder and remembers each one's size and sha256."""

    root: Path
    files: dict[str, tuple[int, str]] = field(default_factory=dict)
    progress: Callable[[str, int, int | None], None] | None = None
    total: int | None = None

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:
            handle.write(data)
        self.files[rel] = (len(data), sha256_bytes(data))
        self._tick()

    def add(self, rel: str, size: int, digest: str) -> None:
        """A file written under the root by someone else, with its size and sha256."""
        self.files[rel] = (size, digest)
        self._tick()

    def record(self, rel: str) -> None:
        path = self.root / rel
        self.files[rel] = (path.stat().st_size, sha256_file(path))
        self._tick()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress("writing release", len(self.files), self.total)


# -------------------------------------------------------------------------------- build


def _existing_versions(out_dir: Path) -> dict[tuple[int, int, int], Path]:
    found: dict[tuple[int, int, int], Path] = {}
    if out_dir.is_dir():
        for child in out_dir.iterdir():
            parsed = parse_version(child.name)
            if parsed is not None and child.is_dir():
                found[parsed] = child
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(out_dir: Path) -> list[Path]:
    """Delete temporary folders left by builds on this host whose process no longer runs (killed builds).
    A running build's folder is left alone."""
    removed: list[Path] = []
    host = socket.gethostname()
    if not out_dir.is_dir():
        return removed
    for child in out_dir.iterdir():
        if not (child.name.startswith(".") and _PARTIAL in child.name and child.is_dir()):
            continue
        try:
            owner, _random = child.name.split(_PARTIAL, 1)[1].rsplit("-", 1)
            owner_host, pid_text = owner.rsplit("-", 1)
            pid = int(pid_text)
        except ValueError:
            continue
        if owner_host == host and not _pid_alive(pid):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def effective_configuration(report: Report) -> dict[str, Any]:
    """The configuration provenance the validation recorded (the default configuration when none was)."""
    recorded = report.context.get("configuration")
    if isinstance(recorded, dict):
        return recorded
    from vogue_pack.validate.catalogue import all_codes
    from vogue_pack.validate.config import Config

    return Config().provenance(all_codes())


def check_config_overrides(configuration: Mapping[str, Any], allow: bool) -> None:
    """Refuse (ConfigOverridesRefused) a raw-tree configuration file that ignores or downgrades an
    error-level code, unless ``allow`` (``--allow-config-overrides``)."""
    off = configuration.get("errors_switched_off_by_file") or {}
    if configuration.get("found") != "raw-tree" or not off or allow:
        return
    codes = sorted(off)
    listed = ", ".join(f"{code} ({off[code]})" for code in codes[:20])
    more = f" and {len(codes) - 20} more" if len(codes) > 20 else ""
    raise ConfigOverridesRefused(
        f"{configuration.get('file')} in the raw tree switches off error-level checks: {listed}{more}. A "
        "release is not built on a verdict that a file inside the data changed; remove the file, or pass "
        "--allow-config-overrides to build anyway (the card and manifest then list every code switched off)")


def build_release(validation: Validated, version: str, out_dir: Path, *,
                  source_date_epoch: int | None = None, date: str | None = None,
                  progress: Callable[[str, int, int | None], None] | None = None,
                  allow_config_overrides: bool = False, replace_tables: bool = False) -> BuildResult:
    """Write ``out_dir/<version>/`` from a validation without error findings.

    With ``replace_tables`` each table of ``validation.tables`` is replaced by its released form (the
    same rows in key order, the release schema) as it is written, so that the build holds one copy of the
    tables instead of two; ``validate_and_build`` does this with the validation it made.

    Raises UsageError when the version is malformed or exists already, when the validation has errors
    or lacks tables, or when the raw tree changed since it was validated. Nothing is left behind on
    failure: the release appears, complete, by one rename at the end, or not at all.
    """
    import duckdb

    check_new_version(version, out_dir)
    parsed = parse_version(version)
    assert parsed is not None
    report = validation.report
    check_config_overrides(effective_configuration(report), allow_config_overrides)
    if not report.ok:
        raise UsageError(f"the validation has {report.error_count} error findings; a release is built "
                         "only from a raw tree without errors")
    images_off = images_switched_off(report.context)
    missing = {name: validation.unavailable.get(name, "not built")
               for name in TABLES if name not in validation.tables
               or (name in validation.unavailable and not (images_off and name in IMAGE_TABLES))}
    if missing:
        reasons = "; ".join(f"{name}: {why}" for name, why in sorted(missing.items()))
        raise UsageError(f"a release needs every table of the data model; missing: {reasons}")
    source_date = resolve_source_date(validation.root, source_date_epoch=source_date_epoch, date_text=date,
                                      raw_files=validation.tables["files"].column("path").to_pylist())
    out_dir = Path(out_dir)
    target = out_dir / version
    existing = _existing_versions(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {out_dir}: {exc}") from exc
    remove_stale_partials(out_dir)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}{_PARTIAL}{socket.gethostname()}-{os.getpid()}-",
                                    dir=out_dir))
    except OSError as exc:
        raise UsageError(f"cannot write into {out_dir}: {exc}") from exc
    try:
        tmp.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; a release follows the umask
        try:
            manifest, files = _write_release(validation, version, tmp, source_date, progress, replace_tables)
        except (OSError, duckdb.IOException, duckdb.FatalException) as exc:
            # disk full, quota, the output turned read-only: the tool cannot run (DuckDB reports a failed
            # write as its own IO or fatal error, never as OSError)
            reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc).strip().splitlines()[0]
            raise OutputError(f"cannot write the release into {out_dir}: {reason}; nothing was left behind "
                              "(free space or choose another --out)") from exc
        previous = max((v for v in existing if v < parsed), default=None)
        warnings: list[str] = []
        required = None
        if previous is not None:
            from vogue_pack.release.diff import bump_warnings, diff_releases

            try:
                change = diff_releases(existing[previous], tmp)
            except UsageError as exc:  # a damaged older release must not block a new one
                warnings.append(f"could not compare with the previous release {existing[previous].name}: {exc}")
            else:
                required = change.required_bump
                warnings.extend(bump_warnings(change, existing[previous].name, version))
        try:
            os.rename(tmp, target)
        except OSError as exc:
            if target.exists():
                raise UsageError(f"release {version} already exists at {target} (another build finished "
                                 "first); releases are immutable") from exc
            raise UsageError(f"cannot move the release into place at {target}: {exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return BuildResult(
        path=target,
        version=version,
        rows={name: entry["rows"] for name, entry in manifest["tables"].items()},
        files=len(files),
        bytes=sum(size for size, _digest in files.values()),
        previous_version=existing[previous].name if previous is not None else None,
        required_bump=required,
        warnings=tuple(warnings),
        release_digest=release_digest((target / CHECKSUMS).read_bytes()),
        configuration=manifest.get("configuration", {}),
    )


def _write_release(validation: Validated, version: str, tmp: Path, source_date: SourceDate,
                   progress: Callable[[str, int, int | None], None] | None = None,
                   replace_tables: bool = False) -> tuple[dict[str, Any], dict[str, tuple[int, str]]]:
    """Write every file of the release into ``tmp``; returns the manifest and every file's size and sha256."""
    root = Path(validation.root)
    files_table = validation.tables["files"]
    writer = _ReleaseWriter(tmp, progress=progress)
    with ThreadPoolExecutor(max_workers=1) as background:
        # Hashing the raw tree is mostly I/O: it runs while the tables and the database are written.
        raw_future = background.submit(raw_tree_digest, root, files_table.column("path").to_pylist())
        manifest = _write_contents(validation, version, writer, raw_future, source_date, replace_tables)
    return manifest, writer.files


def _write_contents(validation: Validated, version: str, writer: _ReleaseWriter,
                    raw_future: Future[RawDigest], source_date: SourceDate,
                    replace_tables: bool = False) -> dict[str, Any]:
    """Write the files of the release in order (the raw-tree digest arrives from ``raw_future``).

    The tables go one at a time: its released (canonical) form, then its Parquet file and content digest on
    a worker while this thread inserts it into vogue.duckdb. With ``replace_tables`` the released form
    replaces the validated table in ``validation.tables`` (the original is freed as it is reordered), so
    one copy of each table is in memory, not two."""
    import duckdb
    import pyarrow

    root, report, tmp = Path(validation.root), validation.report, writer.root
    threads = sum(t.num_rows for t in validation.tables.values()) >= PARALLEL_ROWS
    tables = validation.tables if replace_tables else dict(validation.tables)
    released_report = release_report(validation.report, root)
    report_dict = released_report.to_dict()
    findings = findings_table(report_dict)
    with _worker(threads) as native, _worker(threads) as analysis:
        # Beside the main thread, which writes the files and vogue.duckdb: Parquet encoding and the content
        # digests (native code, no GIL) on one worker, the statistics and the paper comparison of the card
        # and the report page (mostly Python) on another, once every table is in its released form. Every
        # file is still recorded by this thread, in the same order; a worker's exception is raised here
        # when its result is taken.
        database = DatabaseWriter(tmp / DATABASE)
        try:
            parquet: dict[str, Future[tuple[int, str]]] = {}
            digests: list[Future[dict[str, tuple[int, str]]]] = []
            for name, spec in TABLES.items():
                table = _release_table(tables, name, spec)
                parquet[name] = native.submit(write_parquet, table, tmp / TABLES_DIR / f"{name}.parquet")
                if threads:
                    digests.append(native.submit(table_digests, {name: table}))
                database.add(name, table)
                del table
                release_memory()  # the original's memory back to the system
            if threads:
                digests.append(native.submit(table_digests, {"findings": findings}))
                native.submit(release_memory)
            from vogue_pack.analysis.stats import compute_stats

            page_stats = analysis.submit(compute_stats, tables)  # computed once: the page's and the card's
            card_parts = analysis.submit(_card_sections, tables, page_stats)
            for name, future in parquet.items():
                writer.add(f"{TABLES_DIR}/{name}.parquet", *future.result())

            image_paths = _copy_images(root, tables["images"], writer)
            from vogue_pack.release.licence import write_licence

            licence = write_licence(root, report.context, writer.write)  # LICENSE.txt, unchanged; terms from its bytes

            writer.write(FINDINGS, parquet_bytes(findings))
            writer.write(REPORT, canonical_json(report_dict).encode("utf-8"))
            from vogue_pack.report.html import RELEASE_HTML_NAME, render_validation_html
            from vogue_pack.validate.catalogue import all_codes

            page = render_validation_html(_Released(root, tables, validation.report), report=released_report,
                                          stats=page_stats.result(), catalogue=all_codes())
            writer.write(RELEASE_HTML_NAME, page.encode("utf-8"))

            # (inline, the written tables are digested: no second in-memory DuckDB to start for a small release)
            database.add("findings", findings)
            database_entry = database.finish(
                (lambda: {k: v for future in digests for k, v in future.result().items()}) if threads else None)
        finally:
            database.close()
        writer.record(DATABASE)
        sections = card_parts.result()

    table_entries = {name: _table_entry(f"{TABLES_DIR}/{name}.parquet", tables[name], spec.key,
                                        database_entry["tables"][name])
                     for name, spec in TABLES.items()}
    raw = raw_future.result()
    manifest: dict[str, Any] = {
        "format": "vogue-pack-release",
        "format_version": RELEASE_FORMAT_VERSION,
        "data_model_version": FORMAT_VERSION,
        "dataset": {"name": "VOGUE", "version": version, "semver": semver(version)},
        "tool": {"name": "vogue-pack", "version": __version__},
        "libraries": {"pyarrow": pyarrow.__version__, "duckdb": duckdb.__version__,
                      "python": ".".join(str(v) for v in sys.version_info[:3])},
        "source_date": source_date.manifest_entry(),
        "raw_tree": {"digest": f"sha256:{raw.digest}", "files": raw.files, "bytes": raw.bytes,
                     "method": "sha256 of the sorted lines '<sha256>  <path>' of every raw file"},
        "validation": {
            "errors": report.error_count,
            "warnings": report.warning_count,
            "by_code": report_dict["summary"]["by_code"],
            "switched_off": dict(report.context.get("checks_switched_off") or {}),
        },
        "configuration": effective_configuration(report),
        "parquet_writer": {k: v for k, v in PARQUET_OPTIONS.items()},
        "tables": table_entries,
        "findings": _table_entry(FINDINGS, findings, FINDINGS_KEY, database_entry["tables"]["findings"]),
        "images": images_entry(report.context, len(image_paths)),
        "licence": licence,
        "duckdb": {
            "path": DATABASE,
            "reproducible_bytes": database_entry["reproducible_bytes"],
            "file_identifier": database_entry["file_identifier"],
            "content_digest_method": CONTENT_DIGEST_METHOD,
            "tables": database_entry["tables"],
            "views": database_entry["views"],
            "definitions": database_entry["definitions"],
            "sql": database_entry["sql"],
        },
    }

    from vogue_pack.release.card import headline_numbers, render_card
    from vogue_pack.release.croissant import croissant_metadata

    con = connect_database(tmp / DATABASE, read_only=True)
    try:
        headline = headline_numbers(con)
    finally:
        con.close()
    writer.write(CARD, render_card(manifest, tables, report_dict, headline, sorted(writer.files),
                                   sections=sections).encode("utf-8"))
    croissant = croissant_metadata(manifest, tables, findings, writer.files, image_paths)
    writer.write(CROISSANT, canonical_json(croissant).encode("utf-8"))

    # vogue.duckdb's sha256 is only in SHA256SUMS (the manifest identifies it by its content digests):
    # should DuckDB write a header vogue-pack cannot stabilise, only SHA256SUMS differs between rebuilds.
    manifest["files"] = [{"path": rel, "bytes": size, "sha256": digest}
                         for rel, (size, digest) in sorted(writer.files.items()) if rel != DATABASE]
    writer.write(MANIFEST, canonical_json(manifest).encode("utf-8"))
    sums = "".join(f"{digest}  {rel}\n" for rel, (_size, digest) in sorted(writer.files.items()))
    writer.write(CHECKSUMS, sums.encode("utf-8"))
    return manifest


def _card_sections(tables: Mapping[str, pa.Table], stats: Future[dict[str, Any]]) -> CardSections:
    """:func:`card_sections` with the statistics of ``stats`` (run on the worker that computed them)."""
    release_memory()
    return card_sections(tables, stats.result())


@dataclass
class _Released:
    """The validation as the release's report page sees it: its root and report, the released tables."""

    root: Path
    tables: dict[str, pa.Table]
    report: Report


def _release_table(tables: dict[str, pa.Table], name: str, spec: TableSpec) -> pa.Table:
    """Replace ``tables[name]`` by its released (canonical) form and return it. The dictionary lets go of
    the original first, so that it is freed column by column as it is reordered when nothing else holds it;
    a table refused (RuntimeError: columns or keys wrong) is put back."""
    holder = [tables[name]]
    tables[name] = _PLACEHOLDER
    try:
        tables[name] = take_canonical(spec, holder)
    finally:
        if holder:
            tables[name] = holder[0]
    return tables[name]


_PLACEHOLDER = pa.table({})


# From this many rows (all tables) on, build uses worker threads; below it, starting them and a second DuckDB
# costs more than they save (the 60-conversation release has 8,337 rows; docs/benchmarks.md, "Release write").
PARALLEL_ROWS = 200_000


class _Inline(Executor):
    """Runs each submitted call at once, on the calling thread (a small release); its exception is raised
    there and then."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@contextlib.contextmanager
def _worker(thread: bool = True) -> Iterator[Executor]:
    """One worker thread (or :class:`_Inline`); when the block fails, its queued work is dropped (the
    running task finishes)."""
    if not thread:
        yield _Inline()
        return
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


IMAGE_TABLES = ("images", "duplicate_pairs")


def images_switched_off(context: Mapping[str, Any]) -> bool:
    """Whether the validation ran with ``--no-images`` (its report context records that)."""
    off = context.get("checks_switched_off")
    return isinstance(off, dict) and "images" in off


def images_entry(context: Mapping[str, Any], count: int) -> dict[str, Any]:
    """The manifest's ``images``: the folder and count, and whether images were part of the build at all."""
    if images_switched_off(context):
        return {"folder": None, "count": 0, "included": False,
                "why": "built with --no-images: no image was checked or copied, the images and "
                       "duplicate_pairs tables are empty"}
    return {"folder": IMAGES_DIR, "count": count, "included": True}


def _table_entry(path: str, table: pa.Table, key: Iterable[str], database: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "path": path,
        "rows": table.num_rows,
        "key": list(key),
        "columns": [f.name for f in table.schema],
        "schema": [{"name": f.name, "type": str(f.type), "nullable": f.nullable,
                    "description": (f.metadata or {}).get(b"description", b"").decode("utf-8")}
                   for f in table.schema],
        "content_digest": database["content_digest"],
    }


def _copy_images(root: Path, images: pa.Table, writer: _ReleaseWriter) -> dict[int, str]:
    """Copy every image of the images table byte for byte into ``images/``; the bytes must still have
    the sha256 validation recorded. Returns item id -> release path."""
    paths: dict[int, str] = {}
    for item_id, release_path, rel, expected in zip(
            images.column("item_id").to_pylist(), images.column("path").to_pylist(),
            images.column("raw_path").to_pylist(), images.column("sha256").to_pylist(), strict=True):
        data = _inside(root, rel).read_bytes()
        if expected is not None and sha256_bytes(data) != expected:
            raise UsageError(f"{rel} changed since it was validated; validate and build again")
        if release_path != release_image_path(rel) or release_path in writer.files:
            raise UsageError(f"{rel}: the images table puts it at {release_path}, which is not "
                             f"{release_image_path(rel)} or is taken by another image")
        writer.write(release_path, data)
        paths[item_id] = release_path
    return paths



def check_new_version(version: str, out_dir: Path) -> None:
    """Refuse early (UsageError) a malformed version, one that exists in ``out_dir`` already, an ``out_dir``
    that is not a folder, and anything (a file, a link) standing where the release folder would go."""
    parsed = parse_version(version)
    if parsed is None:
        raise UsageError(f"version {version!r} is not MAJOR.MINOR or MAJOR.MINOR.PATCH (for example 1.1)")
    out_dir = Path(out_dir)
    if os.path.lexists(out_dir) and (out_dir.is_symlink() or not out_dir.is_dir()):
        raise UsageError(f"{out_dir}: the output must be a folder, but this is "
                         f"{'a symbolic link' if out_dir.is_symlink() else 'not a folder'}")
    existing = _existing_versions(out_dir)
    if parsed in existing:
        raise UsageError(f"release {version} already exists at {existing[parsed]}; releases are immutable, "
                         "build a new version")
    target = out_dir / version
    if os.path.lexists(target):
        raise UsageError(f"{target}: something that is not a release folder is in the way (a file or a link); "
                         "move it away or build another version")


def check_output_outside(raw: Path, out_dir: Path) -> None:
    """Refuse (UsageError) an output folder inside the raw tree: the next build would take in the release."""
    from vogue_pack.raw.tree import find_root

    out = Path(out_dir).resolve()
    for folder in {Path(raw).resolve(), find_root(Path(raw)).resolve()}:
        if out == folder or folder in out.parents:
            raise UsageError(f"--out {out_dir} is inside the raw tree {raw}; a release is never written into "
                             "the tree it is built from: choose a folder outside it")


def validate_and_build(raw: Path, version: str, out_dir: Path, options: ValidateOptions | None = None, *,
                       source_date_epoch: int | None = None, date: str | None = None,
                       allow_config_overrides: bool = False) -> tuple[Validation, BuildResult | None]:
    """What ``vogue-pack build`` does: validate ``raw``, then build unless the report has errors (then the
    BuildResult is None and nothing is written; once built, the validation's tables are the released
    ones, see ``build_release``'s ``replace_tables``). A raw-tree configuration that switches error-level
    checks off raises ConfigOverridesRefused unless ``allow_config_overrides``."""
    from vogue_pack.validate.pipeline import validate

    check_new_version(version, out_dir)  # before any work: refusals come first, not after a full validation
    check_output_outside(raw, out_dir)
    from vogue_pack.raw.tree import find_root

    # no date, a malformed one or a raw tree with uncommitted changes: say so before a full validation
    resolve_source_date(find_root(Path(raw)), source_date_epoch=source_date_epoch, date_text=date)
    validation = validate(Path(raw), options)
    check_config_overrides(effective_configuration(validation.report), allow_config_overrides)
    if not validation.report.ok:
        return validation, None
    if options is not None and options.progress:
        from vogue_pack.console import progress

        with progress() as on_progress:
            return validation, build_release(validation, version, out_dir, source_date_epoch=source_date_epoch,
                                             date=date, progress=on_progress,
                                             allow_config_overrides=allow_config_overrides, replace_tables=True)
    return validation, build_release(validation, version, out_dir, source_date_epoch=source_date_epoch,
                                     date=date, allow_config_overrides=allow_config_overrides,
                                     replace_tables=True)
