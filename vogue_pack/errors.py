"""Exceptions meaning "the tool cannot run" (never "the dataset is bad": that is a finding)."""

from __future__ import annotations


class UsageError(Exception):
    """A bad option, a missing or unwritable path, an existing release version: exit code 2."""


class DependencyMissing(UsageError):
    """An optional dependency is not installed; the message names the package to install."""
