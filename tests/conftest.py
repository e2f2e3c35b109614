"""Shared fixtures: synthetic raw trees written once per session, and private copies to mutate.

The session trees are read-only by convention: a test that changes files takes a copy
(``raw_copy`` / ``small_raw_copy``), never the session tree itself. Every ``*_tree`` fixture returns
the :class:`vogue_pack.synth.SynthInfo` of the tree; ``info.root`` is the data folder (the folder
holding the five VOGUE folders) and ``info.root.parent`` the repository-layout root.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from release_support import EPOCH

from vogue_pack.synth import SynthInfo, write_tree


@pytest.fixture(scope="session", autouse=True)
def fixed_release_date() -> Iterator[None]:
    """Every build of the session is dated by SOURCE_DATE_EPOCH = release_support.EPOCH, never by git or
    the machine; a test of the date sources removes or changes it with its own monkeypatch."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        yield


def copy_raw_tree(info: SynthInfo, destination: Path) -> Path:
    """Copy the tree of ``info`` (repository layout) to ``destination``; return the copy's data folder."""
    shutil.copytree(info.root.parent, destination, symlinks=True)
    return destination / info.root.relative_to(info.root.parent)


@pytest.fixture(scope="session")
def clean_tree(tmp_path_factory: pytest.TempPathFactory) -> SynthInfo:
    """The clean 60-conversation synthetic tree (seed 0, repository layout, with images). Do not modify."""
    return write_tree(tmp_path_factory.mktemp("clean60"), conversations=60, seed=0)


@pytest.fixture
def raw_copy(clean_tree: SynthInfo, tmp_path: Path) -> Path:
    """A private copy of ``clean_tree`` to mutate; returns its data folder (``<copy>/data``)."""
    return copy_raw_tree(clean_tree, tmp_path / "raw")


@pytest.fixture(scope="session")
def small_tree(tmp_path_factory: pytest.TempPathFactory) -> SynthInfo:
    """A clean 6-conversation synthetic tree (seed 0, repository layout, with images). Do not modify.

    Six conversations hold every planted quirk (see vogue_pack.synth) and make one per scenario.
    """
    return write_tree(tmp_path_factory.mktemp("clean6"), conversations=6, seed=0)


@pytest.fixture
def small_raw_copy(small_tree: SynthInfo, tmp_path: Path) -> Path:
    """A private copy of ``small_tree`` to mutate; returns its data folder (``<copy>/data``)."""
    return copy_raw_tree(small_tree, tmp_path / "raw")
