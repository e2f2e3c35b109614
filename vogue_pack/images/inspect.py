"""Decode, inspect and hash images: integrity findings, image facts, content-addressed cache, parallel.

Every image is read once and checked in full on every run: signature, structure, a complete decode,
animation, data after the end of the image. Nothing cached ever decides a finding. The cache holds only
derived values (the perceptual hashes and the colour grid), bound to the file's SHA-256 and size, the
algorithm and the library versions, so an unchanged image skips the hashing but never its checks
(docs/release-format.md, "The image cache"). Work is spread over a process pool when the bytes to decode
are worth the pool's start-up (benchmarks/images_crossover.py); every result depends on the file alone,
so the output never depends on ``jobs`` or on input order.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import struct
import sys
import time
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from vogue_pack.console import plural
from vogue_pack.images.columns import arrow_array
from vogue_pack.raw.model import TABLES
from vogue_pack.report.findings import Finding, finding

if TYPE_CHECKING:
    from PIL import Image as PILImage

ALGORITHMS = ("phash", "dhash", "whash", "ahash")

# The near-duplicate threshold (Hamming distance, bits of a 64-bit hash). Chosen from the threshold
# sweep in docs/dedup.md (`python benchmarks/images_evaluate.py`).
DEFAULT_THRESHOLD = 10

# Pillow's decompression-bomb limit, set explicitly for every decode. VOGUE images have sides of
# 300..1,600 px (2.6 million pixels at most); 40 million pixels (about 6,300 x 6,300) leaves ample room.
# Above it Pillow warns and above twice it raises: both become an image.bomb finding.
MAX_IMAGE_PIXELS = 40_000_000
MIN_SIDE, MAX_SIDE = 16, 10_000
# Every mode Pillow gives a PNG or a JPEG: bilevel, greyscale (8- and 16-bit, Pillow's I;16 family and
# older versions' I), greyscale + alpha, palette (with or without tRNS, PA from palette + alpha), RGB and
# RGBA (16-bit samples are read as 8-bit RGB(A) by Pillow), and CMYK JPEG. Anything else (a float TIFF,
# say) is an image.mode finding.
ALLOWED_MODES = frozenset({"1", "L", "LA", "La", "P", "PA", "I;16", "I;16B", "I;16L", "I", "RGB", "RGBA",
                           "RGBa", "CMYK"})

# A pool is used when it pays for itself, decided as the run goes: images are decoded in the calling
# thread while what a pool would save on the rest is less than its start-up; from the first image where
# it saves more, the rest goes to the quicker of a thread pool and a process pool (_best_pool). The
# process pool's start-up costs (start, first results, shutdown, as validate pays them: a fork copies a
# process that holds Arrow and DuckDB) are measured by benchmarks/images_crossover.py
# (docs/benchmarks.md, "Pool crossover").
POOL_START_S = {"fork": 0.025, "forkserver": 0.5, "spawn": 0.8}
POOL_PER_IMAGE_S = 0.000075  # sending each task and its result between processes
POOL_MIN_IMAGES = 4  # fewer images left cannot keep two worker processes busy
# Threads cost almost nothing to start, but part of every image's work holds the GIL (the Python code
# of the checks and the hash, Pillow's plugin code), so n threads take f + (1 - f) / n of the time in
# one thread, f being that part: small for a PNG (mostly zlib and Pillow's C loops, which release the
# GIL), large for a JPEG decoded at 1/8 scale. Both are measured by benchmarks/images_crossover.py
# (docs/benchmarks.md, "Pool crossover"); a format not listed counts as the largest f.
THREADS_START_S = 0.001
THREADS_GIL_FRACTION = {"PNG": 0.15, "JPEG": 0.25}
EXECUTORS = ("auto", "serial", "threads", "processes")

# Bump when anything that changes cached values changes (hash code, entry layout).
CACHE_FORMAT = "4"
# A real entry is under 3 KB (a 64x64-bit hash is 1,024 hex digits, twice, plus the colour grid);
# anything larger is not one of ours and is never parsed.
_CACHE_ENTRY_MAX = 8192

# Magic bytes -> format name (Pillow's names).
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"WEBP", 8, "WEBP"),  # after b"RIFF" + 4-byte size
    (b"BM", 0, "BMP"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
)
EXTENSION_FORMATS = {
    ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".gif": "GIF",
    ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF",
}

_OPEN_FORMATS = sorted(set(EXTENSION_FORMATS.values()))

# What a corrupt file can make Pillow raise while opening or decoding it (Pillow wraps most decoder
# errors in OSError; broken PNG chunks raise SyntaxError; bad headers struct/zlib/value errors).
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError, TypeError,
    KeyError,
)


@dataclass(frozen=True)
class ImageOptions:
    """How images are inspected, hashed and compared (shared by inspect_images and find_duplicates)."""

    algorithm: str = "phash"
    hash_size: int = 8
    threshold: int = DEFAULT_THRESHOLD
    jobs: int | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    accept_file: Path | None = None
    progress: bool = False


@dataclass
class InspectStats:
    """Counters of one inspect_images run (filled in when passed in; used by tests and the CLI)."""

    images: int = 0
    decoded: int = 0  # images read and put through every check and a full decode (all readable ones)
    cache_hits: int = 0  # of those, images whose hashes came from the cache
    cache_writes_failed: int = 0
    seconds: float = 0.0
    jobs: int = 1
    executor: str = "serial"  # how the workers ran: "serial", "threads" or "processes"


@dataclass
class _Result:
    """What one worker learns about one file (picklable, JSON-able)."""

    index: int
    sha256: str | None = None
    size: int | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    hash: str | None = None
    hash_mirror: str | None = None
    colour: str | None = None
    problems: list[list[Any]] = field(default_factory=list)  # [code, message, value, expected]
    decoded: bool = False
    cache_hit: bool = False
    cache_write_failed: bool = False


def validate_options(options: ImageOptions) -> None:
    """Refuse options the hashing code cannot honour (a UsageError, exit 2)."""
    from vogue_pack.errors import UsageError

    if options.algorithm not in ALGORITHMS:
        choices = ", ".join(ALGORITHMS)
        raise UsageError(f"unknown hash algorithm {options.algorithm!r}; choose one of {choices}")
    if not 2 <= options.hash_size <= 64:
        raise UsageError(f"--hash-size must be between 2 and 64, not {options.hash_size}")
    if options.algorithm == "whash" and options.hash_size & (options.hash_size - 1):
        raise UsageError(f"whash needs a power-of-two --hash-size, not {options.hash_size}")
    if options.threshold < 0:
        raise UsageError(f"--threshold must be >= 0, not {options.threshold}")
    if options.jobs is not None and options.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, not {options.jobs}")


def default_cache_dir() -> Path:
    """The per-user cache folder of vogue-pack's image facts."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("vogue-pack", appauthor=False)) / "images"


def sniff_format(head: bytes) -> str | None:
    """The image format named by the magic bytes at the start of a file, or None."""
    for magic, offset, name in _MAGIC:
        if head[offset:offset + len(magic)] == magic and (name != "WEBP" or head[:4] == b"RIFF"):
            return name
    return None


def inspect_images(
    entries: list[tuple[int, str, Path]],
    options: ImageOptions,
    *,
    stats: InspectStats | None = None,
    executor: str = "auto",
) -> tuple[pa.Table, list[Finding]]:
    """Check and hash every image; return the ``images`` table (sorted by item_id) and findings.

    ``entries`` are ``(item_id, path relative to the raw root, absolute path)``. Facts are null where
    unknown; ``ok`` is False when any check found an error (a warning, such as data after the end of the
    image, leaves it True). Findings carry ``file`` (the relative
    path) and ``keys={"item_id": id}``. ``executor`` is how the images are spread over ``options.jobs``
    workers (see _run): "auto" (the quickest, as measured), or forced "serial", "threads" or
    "processes" (tests and benchmarks); the table and the findings never depend on it.
    """
    validate_options(options)
    started = time.perf_counter()
    ordered = sorted(entries, key=lambda e: (e[0], e[1]))
    cache_dir = _cache_dir(options)
    cache = str(cache_dir) if cache_dir else None
    tasks = [(i, str(abs_path), options.algorithm, options.hash_size, cache)
             for i, (_, _, abs_path) in enumerate(ordered)]
    # Every file is read, fingerprinted and fully decoded (its checks never come from the cache); a
    # cache hit only spares the hashing. In a process pool from the point where it pays (_run).
    jobs = _effective_jobs(options.jobs, len(tasks))
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    results, workers, how = _run(tasks, jobs, options.progress, executor)
    if executor == "auto" and options.jobs is not None and options.jobs > 1 and workers == 1:
        sys.stderr.write(_jobs_unused_note(options.jobs, len(tasks)))

    columns: dict[str, list[Any]] = {c: [] for c in TABLES["images"].column_names}
    found: list[Finding] = []
    for (item_id, rel, abs_path), res in zip(ordered, results, strict=True):
        problems = list(res.problems)
        expected = EXTENSION_FORMATS.get(abs_path.suffix.lower())
        if res.size and expected is not None:
            if res.format is None and not any(p[0] == "image.signature" for p in problems):
                # Unknown magic bytes: one finding (the decode failure it causes says nothing more).
                problems = [p for p in problems if p[0] != "image.decode"]
                problems.insert(0, ["image.signature",
                                    f"the bytes are not a {expected} image (unknown magic bytes)",
                                    None, expected])
            elif res.format is not None and res.format != expected:
                problems.insert(0, ["image.signature",
                                    f"the file is named {abs_path.suffix} but its bytes are {res.format}",
                                    res.format, expected])
        failed = False
        for code, message, value, exp in problems:
            found.append(finding(code, message, file=rel, keys={"item_id": item_id},
                                 value=value, expected=exp))
            failed = failed or found[-1].severity.value == "error"
        row = {
            "item_id": item_id, "path": rel, "raw_path": rel, "sha256": res.sha256, "bytes": res.size,
            "format": res.format, "width": res.width, "height": res.height, "mode": res.mode,
            "hash_algorithm": options.algorithm if res.hash is not None else None,
            "hash": res.hash, "hash_mirror": res.hash_mirror, "ok": not failed,
        }
        for name, value in row.items():
            columns[name].append(value)
        if res.colour is not None and res.sha256 is not None:
            _remember_colour(res.sha256, options, res.colour)

    if stats is not None:
        stats.images = len(results)
        stats.decoded = sum(r.decoded for r in results)
        stats.cache_hits = sum(r.cache_hit for r in results)
        stats.cache_writes_failed = sum(r.cache_write_failed for r in results)
        stats.jobs = workers
        stats.executor = how
        stats.seconds = time.perf_counter() - started
    schema = TABLES["images"].schema
    table = pa.Table.from_arrays([arrow_array(columns[f.name], f.type) for f in schema], schema=schema)
    return table, found


# --- finding the images of a folder (vogue-pack dedupe) ---------------------------------------------

_ITEM_NAME = re.compile(r"^item_(\d+)\.[A-Za-z]+$")


@dataclass(frozen=True)
class ImageFolder:
    """The images found under a path given to ``vogue-pack dedupe``."""

    root: Path  # paths are relative to this folder
    kind: str  # "raw" (a raw tree's metadata/ folder) or "folder"
    entries: list[tuple[int, str, Path]]
    ids_from_names: bool  # item ids are the N of item_N names (else 1..n over sorted paths)
    findings: list[Finding]


def collect_images(path: Path) -> ImageFolder:
    """The images to deduplicate under ``path``: a raw tree's metadata/ folder or any folder of images.

    A raw tree is recognised by ``path/data/metadata`` or ``path/metadata``; then only its
    ``item_{id}.png`` files count and ids come from the names. Any other folder is walked recursively
    (hidden entries skipped, links never followed but reported) for files with an image extension; when
    every name is ``item_{id}.<ext>`` with distinct ids those ids are used, otherwise items are numbered
    1..n in the order of their sorted relative paths.
    """
    from vogue_pack.errors import UsageError

    path = Path(path)
    if not path.is_dir():
        raise UsageError(f"{path}: not a folder (give a raw tree or a folder of images)")
    root, kind = path, "folder"
    for candidate in (path / "data", path):
        metadata = candidate / "metadata"
        if metadata.is_dir() and not metadata.is_symlink() and not candidate.is_symlink():
            root, kind = candidate, "raw"
            break
    found: list[Finding] = []
    files: list[str] = []
    walk_from = root / "metadata" if kind == "raw" else root
    prefix = "metadata/" if kind == "raw" else ""
    for folder, dirs, names in os.walk(walk_from):
        rel_folder = Path(folder).relative_to(walk_from).as_posix()
        rel_folder = "" if rel_folder == "." else rel_folder + "/"
        for name in sorted(dirs):
            if os.path.islink(os.path.join(folder, name)):
                found.append(finding("tree.symlink", f"{prefix}{rel_folder}{name}: symbolic link not followed",
                                     file=f"{prefix}{rel_folder}{name}"))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and kind == "folder")
        for name in sorted(names):
            rel = f"{prefix}{rel_folder}{name}"
            if name.startswith(".") or Path(name).suffix.lower() not in EXTENSION_FORMATS:
                continue
            if kind == "raw" and not re.fullmatch(r"item_\d+\.png", name):
                continue
            if os.path.islink(os.path.join(folder, name)):
                found.append(finding("tree.symlink", f"{rel}: symbolic link not followed", file=rel))
                continue
            files.append(rel)
    files.sort()
    ids = [_ITEM_NAME.match(Path(rel).name) for rel in files]
    numbers = [int(m.group(1)) if m else None for m in ids]
    from_names = all(n is not None for n in numbers) and len(set(numbers)) == len(numbers)
    entries = [(number if from_names and number is not None else k + 1, rel, root / rel)
               for k, (number, rel) in enumerate(zip(numbers, files, strict=True))]
    return ImageFolder(root=root, kind=kind, entries=entries, ids_from_names=from_names, findings=found)


# --- colour signatures: the second, independent signal used by vogue_pack.images.dedup ---------------------

_COLOUR_MEMO: dict[tuple[str, str, int], str] = {}
_COLOUR_MEMO_MAX = 2_000_000


def _remember_colour(sha256: str, options: ImageOptions, colour: str) -> None:
    if len(_COLOUR_MEMO) < _COLOUR_MEMO_MAX:
        _COLOUR_MEMO[(sha256, options.algorithm, options.hash_size)] = colour


def colour_signature(sha256: str, options: ImageOptions) -> str | None:
    """The colour signature of the image with this SHA-256 (memo of this process, then the cache)."""
    memo = _COLOUR_MEMO.get((sha256, options.algorithm, options.hash_size))
    if memo is not None:
        return memo
    cache_dir = _cache_dir(options)
    if cache_dir is None:
        return None
    path = _cache_path(str(cache_dir), sha256, options.algorithm, options.hash_size)
    entry = _cache_read(path, sha256, None, options.algorithm, options.hash_size)
    return entry["colour"] if entry else None


# --- the pool -----------------------------------------------------------------------------------------

def _cache_dir(options: ImageOptions) -> Path | None:
    if not options.use_cache:
        return None
    return Path(options.cache_dir) if options.cache_dir is not None else default_cache_dir()


def _jobs_unused_note(jobs: int, n_tasks: int) -> str:
    """Why ``--jobs N`` started no worker: the images were checked in this process (see _run)."""
    if n_tasks < 3:
        why = f"{plural(n_tasks, 'image')} cannot keep {jobs} workers busy"
    else:
        why = f"checking {plural(n_tasks, 'image')} in one thread was quicker than starting workers"
    return f"note: --jobs {jobs} not used: {why}; the images were checked in one process\n"


def _effective_jobs(jobs: int | None, n_tasks: int) -> int:
    """The most workers ``n_tasks`` images may use (all cores unless ``jobs`` says otherwise)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = cores if jobs is None else jobs
    return max(1, min(wanted, n_tasks))


Task = tuple[int, str, str, int, str | None]  # index, path, algorithm, hash size, cache dir


def _start_method() -> str:
    """fork on Linux: the fastest start, and no ``if __name__ == "__main__"`` guard needed in the caller's
    script. The children only run Pillow, numpy and hashlib, never Arrow or DuckDB, so locks those
    libraries' threads might hold at fork time are never touched. Elsewhere (macOS, where fork is unsafe;
    Windows) a forkserver or spawn start."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _run(tasks: list[Task], jobs: int, progress: bool, executor: str = "auto",
         ) -> tuple[list[_Result], int, str]:
    """Results of every task in task order, the number of workers that ran and how ("serial",
    "threads" or "processes").

    ``executor`` "auto" decides as the run goes (see THREADS_START_S and POOL_START_S): images are
    inspected in this thread while what the rest would save in a pool is worth less than the pool's
    start-up, then the rest goes to a thread pool or, where its larger gain pays for its start-up, to a
    process pool. "serial", "threads" and "processes" force one way (after the first image; tests and
    benchmarks/images_crossover.py). Pillow's limits and the bomb-warning filter are set once, around
    the whole run, never per image from several threads (``warnings.catch_warnings`` is not thread-safe).
    """
    bar = _Progress(len(tasks), enabled=progress)
    results: list[_Result] = []
    try:
        with _pillow_limits():
            done, how = _run_serial(tasks, jobs, bar, results, executor)
            rest = tasks[done:]
            if not rest:
                return results, 1, "serial"
            workers = min(jobs, len(rest))
            if how == "threads":
                results.extend(_run_threads(rest, workers, bar))
            else:
                results.extend(_run_processes(rest, workers, bar))
        return results, workers, how
    finally:
        bar.close()


def _run_serial(tasks: list[Task], jobs: int, bar: _Progress, results: list[_Result], executor: str,
                ) -> tuple[int, str]:
    """Inspect images in this thread until a pool pays; how many were done and which pool takes the rest.

    The time of each image after the first (which pays lazy imports) is kept with its format: the rest
    is expected to cost what the images so far cost on average, with their mix of formats."""
    method = _start_method()
    pool_cost = POOL_START_S.get(method, max(POOL_START_S.values()))
    spent = 0.0  # seconds of the images after the first
    held = 0.0  # the part of it expected to hold the GIL (THREADS_GIL_FRACTION of each image's format)
    done = 0
    while done < len(tasks):
        started = time.perf_counter()
        res = _inspect_file(tasks[done])
        took = time.perf_counter() - started
        results.append(res)
        done += 1
        bar.advance()
        left = len(tasks) - done
        if done == 1:
            if executor in ("threads", "processes") and left and jobs > 1:
                return done, executor
            continue
        spent += took
        held += took * THREADS_GIL_FRACTION.get(res.format or "", max(THREADS_GIL_FRACTION.values()))
        if jobs == 1 or executor == "serial" or left < 2:
            continue
        how = _best_pool(spent / (done - 1) * left, held / spent if spent else 1.0, jobs, left, pool_cost)
        if how != "serial":
            return done, how
    return done, "serial"


def _best_pool(work_s: float, gil_fraction: float, jobs: int, left: int, pool_cost: float) -> str:
    """The quickest way to do ``work_s`` seconds of in-process work on ``left`` images with ``jobs``
    workers: in this thread, a thread pool (``gil_fraction`` of the work holds the GIL) or a process pool
    (the models fitted by benchmarks/images_crossover.py, docs/benchmarks.md "Pool crossover")."""
    threads = work_s * (gil_fraction + (1 - gil_fraction) / jobs) + THREADS_START_S
    processes = work_s / jobs + pool_cost + left * POOL_PER_IMAGE_S if left >= POOL_MIN_IMAGES else float("inf")
    best = min(work_s, threads, processes)
    if best == work_s:
        return "serial"
    return "processes" if best == processes else "threads"


def _run_threads(rest: list[Task], workers: int, bar: _Progress) -> Iterator[_Result]:
    """The rest in a thread pool (Pillow's decoders, zlib, hashlib and numpy release the GIL). Each task
    runs in a copy of this thread's context, so it sees the limits set by _run even where warning filters
    are per context (Python 3.14's context-aware warnings)."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    context = contextvars.copy_context()

    def one(task: Task) -> _Result:
        return context.copy().run(_inspect_file, task)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vogue-images")
    try:
        for res in pool.map(one, rest):
            bar.advance()
            yield res
    finally:  # on an interrupt, the images not started are dropped, not waited for
        pool.shutdown(wait=True, cancel_futures=True)


def _run_processes(rest: list[Task], workers: int, bar: _Progress) -> Iterator[_Result]:
    """The rest in a process pool (each worker sets Pillow's limits for itself, in inspect_file)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = _start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["vogue_pack.images.inspect", "PIL.Image", "PIL.PngImagePlugin",
                                        "PIL.JpegImagePlugin"])
    chunksize = max(1, min(32, len(rest) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for res in pool.map(inspect_file, rest, chunksize=chunksize):
            bar.advance()
            yield res


class _Progress:
    """A rich progress bar on stderr, shown only on a terminal and only after the first second."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.perf_counter()
        self.bar: Any = None
        self.task: Any = None

    def advance(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is None and time.perf_counter() - self.started > 1.0:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("images", total=self.total, completed=self.done)
        elif self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# --- one file -----------------------------------------------------------------------------------------

def inspect_file(task: Task) -> _Result:
    """Read, fingerprint, check and decode one file; hash it unless the cache knows its hashes.

    Runs in a process-pool worker (a process of one thread: Pillow's limits are set here, per file). The
    checks run whatever the cache holds: an entry only supplies the hashes of an image that decoded in
    full in this run.
    """
    with _pillow_limits():
        return _inspect_file(task)


def _inspect_file(task: Task) -> _Result:
    """inspect_file under limits already set by the caller (_run: once for all threads)."""
    index, path, algorithm, hash_size, cache_dir = task
    res = _Result(index=index)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        res.problems.append(["tree.unreadable", f"cannot read the file: {exc.strerror or exc}", None, None])
        return res
    res.size = len(data)
    if not data:
        res.problems.append(["image.empty", "the image file has zero bytes", 0, "> 0 bytes"])
        return res
    res.sha256 = hashlib.sha256(data).hexdigest()
    entry_path = _cache_path(cache_dir, res.sha256, algorithm, hash_size) if cache_dir else None
    known = None
    if entry_path is not None:
        known = _cache_read(entry_path, res.sha256, res.size, algorithm, hash_size)
    facts = _decode_and_hash(data, algorithm, hash_size, known)
    _apply_entry(res, facts)
    res.decoded = True
    res.cache_hit = known is not None and facts.get("hash") is not None
    if entry_path is not None and known is None and facts.get("hash") is not None:
        try:
            _cache_write(entry_path, res.sha256, res.size, algorithm, hash_size, facts)
        except OSError:
            res.cache_write_failed = True
    return res


def _apply_entry(res: _Result, entry: dict[str, Any]) -> None:
    res.format = entry.get("format")
    res.width = entry.get("width")
    res.height = entry.get("height")
    res.mode = entry.get("mode")
    res.hash = entry.get("hash")
    res.hash_mirror = entry.get("hash_mirror")
    res.colour = entry.get("colour")
    res.problems.extend([list(p) for p in entry.get("problems", [])])


@contextmanager
def _pillow_limits() -> Iterator[None]:
    """Pillow's bomb limit set explicitly, truncated images refused, bomb warnings raised as errors."""
    from PIL import Image, ImageFile

    saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def decode_and_hash(data: bytes, algorithm: str, hash_size: int,
                    known: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the bytes of one image say: facts, content problems and (unless ``known``) hashes.

    The checks and the full decode always run. ``known`` (a validated cache entry: hash, hash_mirror,
    colour) is used only when the image decoded in full here; a failed decode has no hash whatever it says.
    """
    with _pillow_limits():
        return _decode_and_hash(data, algorithm, hash_size, known)


def _decode_and_hash(data: bytes, algorithm: str, hash_size: int, known: dict[str, Any] | None,
                     ) -> dict[str, Any]:
    """decode_and_hash under Pillow limits already set by the caller (_pillow_limits)."""
    from PIL import Image

    facts: dict[str, Any] = {"problems": []}
    problems: list[list[Any]] = facts["problems"]
    facts["format"] = sniff_format(data[:16])
    grey: np.ndarray | None = None
    try:
        image = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
        facts["format"] = image.format
        facts["width"], facts["height"] = image.size
        facts["mode"] = image.mode
        if image.format == "PNG":
            # Chunk CRCs and structure up to IEND, without decoding pixels. verify() leaves the image
            # unusable, so it is opened again; other formats' verify() checks nothing (Pillow only
            # implements it for PNG) and is skipped, which spares JPEG a second header parse.
            image.verify()
            image = Image.open(io.BytesIO(data), formats=["PNG"])
        _check_trailing(data, facts["format"], problems)
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            problems.append(["image.animated", f"the {image.format} image has {frames} frames", frames, 1])
        mode = image.mode
        width, height = image.size
        if mode not in ALLOWED_MODES:
            problems.append(["image.mode", f"unsupported mode {mode} (expected a PNG or JPEG mode: "
                             "1, L, LA, P, PA, I;16, RGB, RGBA or CMYK)", mode, sorted(ALLOWED_MODES)])
        if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
            problems.append(["image.size", f"implausible size {width}x{height} px",
                             [width, height], f"sides {MIN_SIDE}..{MAX_SIDE} px"])
        target = hash_input_size(algorithm, hash_size, image.size)
        if image.format == "JPEG":
            # DCT-domain scaling to no less than the hash's input size: several times faster than a
            # full decode, and the whole stream is still decoded, so truncation is still detected.
            # Colour is kept (the colour grid needs it); greyscale JPEGs stay greyscale.
            image.draft("L" if image.mode == "L" else "RGB", target)
        image.load()  # decode every byte: a truncated or corrupt file raises here
        if known is None:
            grey, facts["colour"] = _reduce(image, algorithm, target)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        problems.append(["image.bomb", f"refused as a decompression bomb ({exc})",
                         facts.get("width") and [facts["width"], facts["height"]],
                         f"<= {MAX_IMAGE_PIXELS} pixels"])
        return facts
    except _DECODE_ERRORS as exc:
        problems.append(["image.decode", f"does not decode fully: {_describe(exc)}", None, None])
        return facts
    if known is not None:
        facts["hash"], facts["hash_mirror"], facts["colour"] = known["hash"], known["hash_mirror"], known["colour"]
    elif grey is not None:
        facts["hash"], facts["hash_mirror"] = hash_pair(grey, algorithm, hash_size)
    return facts


# --- where the image ends -----------------------------------------------------------------------------

def png_end(data: bytes) -> int | None:
    """The offset just after a PNG's IEND chunk, or None when the chunk structure does not reach one."""
    offset, size = 8, len(data)
    while offset + 8 <= size:
        length, kind = struct.unpack_from(">I4s", data, offset)
        offset += 12 + length  # length, type, data, CRC
        if offset > size:
            return None
        if kind == b"IEND":
            return offset
    return None


def jpeg_end(data: bytes) -> int | None:
    """The offset just after a JPEG's EOI marker, or None when the marker structure does not reach one.

    Segments are skipped by their length (so an EXIF thumbnail's own SOI/EOI inside APP1 is never taken
    for the end); after each SOS the entropy-coded data runs to the next marker that is neither byte
    stuffing (FF 00) nor a restart marker (FF D0-D7). Progressive files have many scans; all are walked.
    """
    size = len(data)
    offset = 2  # after SOI
    while True:
        if offset >= size or data[offset] != 0xFF:
            return None
        while offset < size and data[offset] == 0xFF:  # fill bytes before a marker
            offset += 1
        if offset >= size:
            return None
        marker = data[offset]
        offset += 1
        if marker == 0xD9:  # EOI
            return offset
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTn, TEM: no length
            continue
        if marker in (0x00, 0xD8) or offset + 2 > size:
            return None
        offset += (data[offset] << 8) | data[offset + 1]
        if marker != 0xDA:  # not SOS: the segment is its length
            continue
        found = _NEXT_MARKER.search(data, offset)  # entropy-coded data runs to the next real marker
        if found is None:
            return None
        offset = found.start()


# In entropy-coded data a 0xFF is followed by 0x00 (byte stuffing) or by a restart marker D0-D7; any other
# byte after it starts a real marker (possibly after fill bytes 0xFF).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _check_trailing(data: bytes, image_format: str | None, problems: list[list[Any]]) -> None:
    """A warning for bytes after the end of a PNG (IEND) or a JPEG (EOI): hidden payloads or a botched
    concatenation. A file whose structure never reaches the end is left to the decoder's finding."""
    if image_format == "PNG":
        end, marker = png_end(data), "IEND chunk"
    elif image_format == "JPEG":
        end, marker = jpeg_end(data), "EOI marker"
    else:
        return
    if end is not None and end < len(data):
        extra = len(data) - end
        problems.append(["image.trailing-data",
                         f"{extra:,} bytes after the end of the {image_format} image (its {marker} ends at "
                         f"byte {end:,})", extra, 0])


_OBJECT_REPR = re.compile(r" ?<[A-Za-z_][\w.]* object at 0x[0-9a-fA-F]+>")


def _describe(exc: BaseException) -> str:
    """The decoder's message, short, and the same on every run: Pillow names the file object it was given
    (``<_io.BytesIO object at 0x7f…>``), an address that changes run to run and means nothing to a reader."""
    text = _OBJECT_REPR.sub("", str(exc)) or type(exc).__name__
    return text if len(text) <= 160 else text[:160] + "…"


# --- hashing ------------------------------------------------------------------------------------------

def _flatten(image: PILImage.Image) -> PILImage.Image:
    """Alpha composited onto white, so a cut-out PNG and its JPEG on white hash alike.

    A paste through the alpha band onto white: per channel ``DIV255(c * a + 255 * (255 - a))``, the same
    8-bit result as ``Image.alpha_composite`` over opaque white (proved for all 65,536 (value, alpha)
    pairs in tests/test_images.py) at a quarter of its cost. It stays at full resolution: compositing
    and box reduction do not commute under 8-bit rounding, so a reduced composite is not the same image.
    """
    from PIL import Image

    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba)
    return flat


def _hashable(image: PILImage.Image) -> PILImage.Image:
    """The decoded image as 8-bit greyscale (L) or RGB, alpha flattened onto white, for any allowed mode.

    Conversions are per pixel: bilevel to 0/255, 16-bit grey to its high byte (a plain ``convert("L")``
    would clip every value above 255 to white), palette through its colours (with tRNS as alpha), CMYK
    through Pillow's profile-free conversion.
    """
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I"):  # I;16, I;16B, I;16L, I: 16-bit samples
        from PIL import Image

        wide = np.asarray(image).astype(np.int64)
        return Image.fromarray((np.clip(wide, 0, 65535) >> 8).astype(np.uint8), "L")
    if mode == "P" and "transparency" not in image.info:
        return image.convert("RGB")
    if mode in ("P", "PA", "LA", "La", "RGBA", "RGBa"):
        return _flatten(image)
    return image.convert("RGB")


def hash_input_size(algorithm: str, hash_size: int, size: tuple[int, int]) -> tuple[int, int]:
    """The (width, height) the greyscale image is resized to before hashing (as imagehash does)."""
    if algorithm == "phash":
        return hash_size * 4, hash_size * 4
    if algorithm == "dhash":
        return hash_size + 1, hash_size
    if algorithm == "ahash":
        return hash_size, hash_size
    natural = 2 ** int(np.log2(min(size)))
    scale = max(natural, hash_size)
    return scale, scale


# Before the hash's LANCZOS resize, large images are box-reduced by an integer factor to no less than
# this many pixels on the short side (Pillow's Image.reduce: a few ms instead of a LANCZOS pass over the
# full image). Hashes then differ from imagehash's on the full image by a few bits at most
# (docs/dedup.md); images up to twice this size are hashed exactly as imagehash does.
PRE_REDUCE_MIN_SIDE = 128


def _reduce(image: PILImage.Image, algorithm: str, target: tuple[int, int]) -> tuple[np.ndarray, str]:
    """The greyscale pixels the hash is computed from, and the colour grid, of a fully loaded image."""
    from PIL import Image

    flat = _hashable(image)
    factor = min(flat.size) // PRE_REDUCE_MIN_SIDE
    reduced = flat
    if algorithm != "whash" and factor >= 2:  # whash's input size follows the image size: keep it
        reduced = flat.reduce(factor)
    small = reduced.convert("L").resize(target, Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.uint8), _colour_grid(reduced)


def _dct_matrix(n: int, k: int) -> np.ndarray:
    """The first ``k`` rows of the unnormalised DCT-II matrix of size ``n`` (scipy.fftpack.dct's type 2)."""
    rows = np.arange(k)[:, None]
    cols = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * rows * (2 * cols + 1) / (2 * n))


_DCT_CACHE: dict[tuple[int, int], np.ndarray] = {}


def phash_bits(pixels: np.ndarray, hash_size: int) -> np.ndarray:
    """pHash bits of an already resized greyscale array; bit-identical to ``imagehash.phash``.

    imagehash runs scipy's full 2-D DCT and keeps the top-left ``hash_size`` square; only those
    coefficients are computed here, as ``D @ X @ D.T`` with the ``hash_size x 4*hash_size`` DCT matrix.
    """
    n = pixels.shape[0]
    matrix = _DCT_CACHE.get((n, hash_size))
    if matrix is None:
        matrix = _DCT_CACHE.setdefault((n, hash_size), _dct_matrix(n, hash_size))
    low = matrix @ pixels.astype(np.float64) @ matrix.T
    return low > _median(low)


def _median(values: np.ndarray) -> float:
    """``np.median`` of a small finite array, by a sort: the same float (the middle value, or the two
    middle values' sum halved, as np.median's mean of them computes it) at a seventh of its overhead."""
    ordered = np.sort(values, axis=None)
    middle = ordered.size // 2
    if ordered.size % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


def _bits(pixels: np.ndarray, algorithm: str, hash_size: int) -> np.ndarray:
    if algorithm == "phash":
        return phash_bits(pixels, hash_size)
    if algorithm == "ahash":
        return pixels > pixels.mean()
    if algorithm == "dhash":
        return pixels[:, 1:] > pixels[:, :-1]
    import imagehash
    from PIL import Image

    scale = pixels.shape[0]
    return np.asarray(imagehash.whash(Image.fromarray(pixels), hash_size=hash_size, image_scale=scale).hash)


def bits_to_hex(bits: np.ndarray) -> str:
    """Hex of a boolean array, first bit most significant: the same text as ``str(imagehash.ImageHash)``."""
    flat = np.asarray(bits, dtype=bool).ravel()
    width = (flat.size + 3) // 4
    # Zero bits in front make whole bytes without changing the value; its last ``width`` hex digits are
    # the digits of the value, zero-padded.
    padded = np.concatenate((np.zeros(-flat.size % 8, dtype=bool), flat))
    return np.packbits(padded).tobytes().hex()[-width:]


def hash_pair(pixels: np.ndarray, algorithm: str, hash_size: int) -> tuple[str, str]:
    """The hash of the reduced image and of its horizontal mirror (to catch flipped copies)."""
    direct = _bits(pixels, algorithm, hash_size)
    mirrored = _bits(np.ascontiguousarray(pixels[:, ::-1]), algorithm, hash_size)
    return bits_to_hex(direct), bits_to_hex(mirrored)


def _colour_grid(flat: PILImage.Image) -> str:
    """A 4x4 grid of mean RGB colours (48 bytes, hex) of a flattened image: pHash sees only luminance.

    A greyscale image is box-reduced before it becomes RGB: the reduction works on each band alone and
    L to RGB copies the one band three times, so the order does not change a bit (tests/test_images.py).
    """
    from PIL import Image

    if max(flat.size) > 64:  # a box filter to about 64 px first: cheap at any size
        flat = flat.reduce(max(1, max(flat.size) // 64))
    rgb = flat if flat.mode == "RGB" else flat.convert("RGB")
    grid = np.asarray(rgb.resize((4, 4), Image.Resampling.BOX), dtype=np.uint8)
    return grid.tobytes().hex()


# --- the cache ----------------------------------------------------------------------------------------

_VERSION_TAG: str | None = None


def version_tag() -> str:
    """Short digest of everything that can change a cache entry: our format, Pillow, numpy, limits."""
    global _VERSION_TAG
    if _VERSION_TAG is None:
        import PIL

        parts = [CACHE_FORMAT, PIL.__version__, np.__version__, str(MAX_IMAGE_PIXELS),
                 str(MIN_SIDE), str(MAX_SIDE)]
        try:
            import importlib.metadata as md

            parts.append(md.version("ImageHash"))  # whash delegates to imagehash + PyWavelets
        except md.PackageNotFoundError:
            parts.append("-")
        _VERSION_TAG = hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
    return _VERSION_TAG


def _cache_path(cache_dir: str, sha256: str, algorithm: str, hash_size: int) -> Path:
    """One small JSON file per key: ``<dir>/<sha[:2]>/<sha256>-<algorithm><size>-<versions>.json``."""
    return Path(cache_dir) / sha256[:2] / f"{sha256}-{algorithm}{hash_size}-{version_tag()}.json"


def _cache_read(path: Path, sha256: str, size: int | None, algorithm: str, hash_size: int,
                ) -> dict[str, Any] | None:
    """The cached hashes of the file with this SHA-256 and size, or None (a miss: absent, unreadable, not a
    regular file, oversized, corrupt, nested beyond reason, of another format or version, or describing
    other content). A miss is recomputed; it is never an error and never a verdict."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _CACHE_ENTRY_MAX:
            return None  # a FIFO, device or folder planted as an entry is never read
        chunks: list[bytes] = []
        total = 0
        while total <= _CACHE_ENTRY_MAX:
            chunk = os.read(fd, _CACHE_ENTRY_MAX + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > _CACHE_ENTRY_MAX:
        return None
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the parser's depth
        return None
    if not _valid_entry(entry, sha256, size, algorithm, hash_size):
        return None
    return {key: entry[key] for key in ("hash", "hash_mirror", "colour")}


def _valid_entry(entry: Any, sha256: str, size: int | None, algorithm: str, hash_size: int) -> bool:
    """An entry of the current format and versions, for exactly this content and hash, whose values have
    the type and length a fresh one would have."""
    if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS:
        return False
    if entry["cache_format"] != CACHE_FORMAT or entry["versions"] != version_tag():
        return False
    if entry["sha256"] != sha256 or entry["algorithm"] != algorithm:
        return False
    if type(entry["hash_size"]) is not int or entry["hash_size"] != hash_size:
        return False
    if type(entry["bytes"]) is not int or (size is not None and entry["bytes"] != size):
        return False
    digits = (hash_size * hash_size + 3) // 4
    for key, length in (("hash", digits), ("hash_mirror", digits), ("colour", 96)):
        value = entry[key]
        if not (isinstance(value, str) and len(value) == length and _is_hex(value)):
            return False
    return True


_ENTRY_KEYS = frozenset({"cache_format", "versions", "sha256", "bytes", "algorithm", "hash_size",
                         "hash", "hash_mirror", "colour"})


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _cache_write(path: Path, sha256: str, size: int, algorithm: str, hash_size: int,
                 facts: dict[str, Any]) -> None:
    """Write the derived values of one image (never its problems: those are found again every run)."""
    from vogue_pack.fsutil import atomic_write_bytes

    entry = {"cache_format": CACHE_FORMAT, "versions": version_tag(), "sha256": sha256, "bytes": size,
             "algorithm": algorithm, "hash_size": hash_size,
             "hash": facts["hash"], "hash_mirror": facts["hash_mirror"], "colour": facts["colour"]}
    atomic_write_bytes(path, json.dumps(entry, sort_keys=True, separators=(",", ":")).encode())
