"""Exceptions meaning "the tool cannot run" (never "the dataset is bad": that is a finding)."""

from __future__ import annotations


class UsageError(Exception):
    """A bad option, a missing or unwritable path, an existing release version: exit code 2."""


class DependencyMissing(UsageError):
    """An optional dependency is not installed; the message names the package to install."""


class OutputError(UsageError, OSError):
    """Output cannot be written (disk full, read-only, permission denied): exit 2, like a usage problem,
    and still an OSError for callers that catch I/O failures as such. The message names the path."""
