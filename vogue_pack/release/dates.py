"""The release date: from the command line, SOURCE_DATE_EPOCH or the raw tree's last commit; never a clock.

A release must not depend on the machine that built it, so the date is never the current time and never
a file modification time (``cp -r``, an archive or a download resets those). In order of precedence:

1. an explicit date: ``build --date YYYY-MM-DD`` (midnight UTC), or ``source_date_epoch=`` of the library
   API: what the person typed wins over anything found in the environment;
2. the ``SOURCE_DATE_EPOCH`` environment variable (https://reproducible-builds.org/specs/source-date-epoch/),
   an integer number of seconds since 1970-01-01T00:00:00Z; a malformed value is a usage error;
3. the committer time of the last commit that touched the raw tree (``git log -1 --format=%ct -- .`` run in
   the raw root), when git is installed, the raw tree is inside a git work tree and has no uncommitted
   change: a tree with uncommitted changes is not what that commit dated, so it is refused (commit, or
   give a date) rather than silently dated by an older commit.

Anything else is a usage error that says how to give a date. The source is recorded in the manifest
(``source_date.from``: ``--date``, ``argument``, ``SOURCE_DATE_EPOCH`` or ``git-commit``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from vogue_pack.errors import UsageError

ENVIRONMENT_VARIABLE = "SOURCE_DATE_EPOCH"
# The last second of 9999-12-31 UTC: the largest date an ISO 8601 year of four digits can show.
MAX_EPOCH = 253_402_300_799
_EPOCH_GRAMMAR = re.compile(r"0|[1-9][0-9]*")
_DATE_GRAMMAR = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_GIT_TIMEOUT_SECONDS = 30
HOW_TO_DATE = ("give the release date with --date YYYY-MM-DD or the SOURCE_DATE_EPOCH environment variable "
               "(seconds since 1970-01-01 UTC), or build from a raw tree committed to git")


@dataclass(frozen=True)
class SourceDate:
    """A release date (seconds since the epoch, UTC) and where it came from."""

    epoch: int
    source: str  # "--date" | "argument" | "SOURCE_DATE_EPOCH" | "git-commit"
    detail: str = ""  # for git-commit: the commit id

    @property
    def iso(self) -> str:
        """The date as ``YYYY-MM-DDTHH:MM:SSZ``."""
        return datetime.fromtimestamp(self.epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def manifest_entry(self) -> dict[str, int | str]:
        """The manifest's ``source_date`` section."""
        entry: dict[str, int | str] = {"epoch": self.epoch, "iso": self.iso, "from": self.source}
        if self.detail:
            entry["commit"] = self.detail
        return entry


def parse_epoch(text: str, what: str = ENVIRONMENT_VARIABLE) -> int:
    """Seconds since the epoch from ASCII digits (no sign, no leading zero, no spaces), at most 9999-12-31."""
    if not _EPOCH_GRAMMAR.fullmatch(text) or int(text) > MAX_EPOCH:
        raise UsageError(f"{what}={text!r} is not a number of seconds since 1970-01-01 UTC (ASCII digits, "
                         f"no sign or leading zero, at most {MAX_EPOCH}); for example {what}=1759276800")
    return int(text)


def parse_date(text: str) -> int:
    """Seconds since the epoch of midnight UTC of a ``YYYY-MM-DD`` date (``--date``)."""
    try:
        if not _DATE_GRAMMAR.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r} is not a calendar date YYYY-MM-DD (for example 2025-10-01)") from None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def resolve_source_date(root: Path, *, source_date_epoch: int | None = None, date_text: str | None = None,
                        raw_files: Iterable[str] | None = None,
                        environ: Mapping[str, str] | None = None) -> SourceDate:
    """The release date of a build of the raw tree at ``root`` (precedence in the module docstring).

    ``raw_files`` (paths relative to ``root``) are the files the release is built from: each must be
    tracked by git for the commit time to date them. Raises UsageError when no date can be found or a
    given one is malformed.
    """
    if source_date_epoch is not None and date_text is not None:
        raise UsageError("give the release date once: --date or source_date_epoch, not both")
    if date_text is not None:
        return SourceDate(parse_date(date_text), "--date")
    if source_date_epoch is not None:
        if isinstance(source_date_epoch, bool) or not 0 <= source_date_epoch <= MAX_EPOCH:
            raise UsageError(f"source_date_epoch={source_date_epoch!r} is not a number of seconds between 0 "
                             f"and {MAX_EPOCH}")
        return SourceDate(int(source_date_epoch), "argument")
    env = os.environ if environ is None else environ
    value = env.get(ENVIRONMENT_VARIABLE)
    if value:  # unset and empty mean the same, as in a shell
        return SourceDate(parse_epoch(value), ENVIRONMENT_VARIABLE)
    return _git_commit_date(Path(root), raw_files)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """Run a local git command in ``root`` (never one that talks to a remote); None when git is missing."""
    exe = shutil.which("git")
    if exe is None:
        return None
    # No pager, no prompt, no optional locks (status must not write the index of the data's repository),
    # and the C locale so that nothing depends on the builder's language.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "GIT_PAGER": "cat",
           "LC_ALL": "C"}
    try:
        return subprocess.run([exe, "-C", str(root), *args], capture_output=True, text=True, env=env,
                              timeout=_GIT_TIMEOUT_SECONDS, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _git_commit_date(root: Path, raw_files: Iterable[str] | None) -> SourceDate:
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside is None:
        raise UsageError(f"no release date: SOURCE_DATE_EPOCH is not set and git is not installed; {HOW_TO_DATE}")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        reason = inside.stderr.strip().splitlines()[0] if inside.stderr.strip() else "not a git work tree"
        raise UsageError(f"no release date: SOURCE_DATE_EPOCH is not set and the raw tree {root} is not in a git "
                         f"repository ({reason}); {HOW_TO_DATE}")
    log = _git(root, "log", "-1", "--format=%ct %H", "--", ".")
    fields = log.stdout.split() if log is not None and log.returncode == 0 else []
    if len(fields) != 2 or not _EPOCH_GRAMMAR.fullmatch(fields[0]):
        raise UsageError(f"no release date: no git commit contains the raw tree {root}; {HOW_TO_DATE}")
    epoch, commit = int(fields[0]), fields[1]
    changed = _uncommitted(root, raw_files)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise UsageError(f"no release date: the raw tree {root} has changes that are not committed ({shown}), so "
                         f"its last commit ({commit[:12]}) does not date these files; commit them, or "
                         f"{HOW_TO_DATE.split(', or build')[0]}")
    return SourceDate(epoch, "git-commit", commit)


def _uncommitted(root: Path, raw_files: Iterable[str] | None) -> list[str]:
    """Paths under ``root`` that differ from the last commit (modified, added, deleted, untracked), and
    raw files git does not track (ignored ones included)."""
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if status is None or status.returncode != 0:
        return ["(git status failed)"]
    changed = [entry[3:] for entry in status.stdout.split("\0") if len(entry) > 3]
    if raw_files is not None:
        wanted = sorted(set(raw_files))
        tracked = _git(root, "ls-files", "-z", "--", ".")
        if tracked is None or tracked.returncode != 0:
            return ["(git ls-files failed)"]
        known = set(tracked.stdout.split("\0"))
        changed.extend(rel for rel in wanted if rel not in known and rel not in changed)
    return changed
