"""Raw-tree discovery: both layouts, nested transcripts, links, odd files, missing parts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from gallery import run_validate
from gallery.trees import TRANSCRIPTS

from vogue_pack.errors import UsageError
from vogue_pack.raw.tree import (
    ID_MAX,
    REQUIRED_FILES,
    TOP_FOLDERS,
    claimed_id,
    classify,
    discover,
    find_root,
    parse_transcript_name,
)
from vogue_pack.synth import SynthInfo, write_tree


def _codes_by_file(root: Path) -> dict[str, list[str]]:
    _, found = discover(root)
    out: dict[str, list[str]] = {}
    for item in found:
        out.setdefault(item.file or "", []).append(item.code)
    return out


def test_find_root_accepts_both_layouts(small_tree: SynthInfo) -> None:
    data = small_tree.root
    assert data.name == "data"
    assert find_root(data.parent) == data
    assert find_root(data) == data


@pytest.mark.parametrize("make", ["missing", "file", "empty", "unrelated"])
def test_find_root_refuses_what_is_not_a_tree(make: str, tmp_path: Path) -> None:
    target = tmp_path / "raw"
    if make == "file":
        target.write_text("x", encoding="utf-8")
    elif make == "empty":
        target.mkdir()
    elif make == "unrelated":
        (target / "src").mkdir(parents=True)
    with pytest.raises(UsageError):
        find_root(target)


def test_find_root_refuses_a_linked_data_folder(small_tree: SynthInfo, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "data").symlink_to(small_tree.root, target_is_directory=True)
    with pytest.raises(UsageError, match="symbolic link"):
        find_root(repo)


def test_data_layout_written_by_synth_is_accepted(tmp_path: Path) -> None:
    info = write_tree(tmp_path / "flat", conversations=6, seed=0, layout="data", images=False)
    assert find_root(info.root) == info.root
    tree, _ = discover(info.root)
    assert len(tree.of_kind("transcript")) == 6


def test_both_layouts_give_identical_findings(small_tree: SynthInfo) -> None:
    as_repo = run_validate(small_tree.root.parent).report.findings
    as_data = run_validate(small_tree.root).report.findings
    assert [f.to_dict() for f in as_repo] == [f.to_dict() for f in as_data]
    assert as_repo  # the synthetic tree has planted warnings: the comparison is not vacuous


def test_clean_tree_classification(small_tree: SynthInfo) -> None:
    tree, found = discover(small_tree.root)
    assert not [f for f in found if f.severity.value == "error"]
    assert not [f for f in found if f.code == "tree.unknown-file"]
    for kind, rel in REQUIRED_FILES.items():
        assert tree.one(kind) is not None and tree.one(kind).path == rel  # type: ignore[union-attr]
    transcripts = sorted(p.name for p in (small_tree.root / TRANSCRIPTS).iterdir())
    assert [f.path.rsplit("/", 1)[1] for f in tree.of_kind("transcript")] == transcripts
    json_ids = sorted(int(p.stem[5:]) for p in (small_tree.root / "metadata").glob("item_*.json"))
    assert sorted(f.item_id for f in tree.of_kind("item_json")) == json_ids  # type: ignore[type-var]
    png_ids = sorted(int(p.stem[5:]) for p in (small_tree.root / "metadata").glob("item_*.png"))
    assert sorted(f.item_id for f in tree.of_kind("image")) == png_ids  # type: ignore[type-var]
    for entry in tree.files.values():
        assert entry.size == (small_tree.root / entry.path).stat().st_size


@pytest.mark.parametrize(("path", "kind"), [
    ("conversation_trials/transcripts/c1_a_1.json", "transcript"),
    ("conversation_trials/transcripts/conversations/c1_a_1.json", "transcript"),
    ("conversation_trials/transcripts/a/b/c1_a_1.json", "unknown"),
    ("metadata/item_12.json", "item_json"),
    ("metadata/item_76.png", "image"),
    ("metadata/item_x.png", "unknown"),
    ("supplements/figure.PNG", "supplement"),
    ("supplements/prompt.txt", "supplement"),
    ("supplements/catalogue_mapping.csv", "catalogue_mapping"),
    ("surveys/profile_survey.txt", "profile_survey"),
    ("README.md", "unknown"),
])
def test_classify(path: str, kind: str) -> None:
    assert classify(path)[0] == kind


def test_nested_transcripts_are_accepted(small_raw_copy: Path) -> None:
    folder = small_raw_copy / TRANSCRIPTS
    nested = folder / "conversations"
    nested.mkdir()
    for path in sorted(folder.glob("*.json")):
        path.rename(nested / path.name)
    result = run_validate(small_raw_copy)
    assert result.report.ok
    assert not [f for f in result.report.findings if f.code.startswith("tree.")]
    assert sorted(result.tables["conversations"].column("conversation_id").to_pylist()) == [1, 2, 3, 4, 5, 6]


def test_files_beside_the_data_folder_are_not_part_of_the_tree(small_raw_copy: Path) -> None:
    repo = small_raw_copy.parent
    (repo / "README.md").write_text("upstream readme\n", encoding="utf-8")
    (repo / "loader.py").write_text("print('hi')\n", encoding="utf-8")
    assert "README.md" not in _codes_by_file(repo)
    assert "loader.py" not in _codes_by_file(repo)


def test_unknown_file_at_the_root_is_a_warning(small_raw_copy: Path) -> None:
    (small_raw_copy / "NOTES.txt").write_text("hi\n", encoding="utf-8")
    assert _codes_by_file(small_raw_copy)["NOTES.txt"] == ["tree.unknown-file"]


def test_named_pipe_is_not_read(small_raw_copy: Path) -> None:
    """A FIFO where a file should be would block a reader forever: it must be refused unread."""
    path = small_raw_copy / "supplements" / "catalogue_mapping.csv"
    path.unlink()
    os.mkfifo(path)
    codes = _codes_by_file(small_raw_copy)
    assert codes["supplements/catalogue_mapping.csv"] == ["tree.not-a-file"]
    result = run_validate(small_raw_copy)  # returns: nothing tried to open the pipe
    assert not result.report.ok


def test_top_level_folder_replaced_by_a_file(small_raw_copy: Path) -> None:
    shutil.rmtree(small_raw_copy / "surveys")
    (small_raw_copy / "surveys").write_text("not a folder\n", encoding="utf-8")
    assert _codes_by_file(small_raw_copy)["surveys"] == ["tree.not-a-file"]


def test_top_level_folder_is_a_link(small_raw_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(small_raw_copy / "surveys", outside)
    (small_raw_copy / "surveys").symlink_to(outside, target_is_directory=True)
    tree, found = discover(small_raw_copy)
    assert [f.code for f in found if f.file == "surveys"] == ["tree.symlink"]
    assert not any(path.startswith("surveys/") for path in tree.files)


def test_link_finding_names_its_target_and_link_is_not_listed(small_raw_copy: Path) -> None:
    path = small_raw_copy / "metadata" / "item_3.json"
    path.unlink()
    path.symlink_to("/etc/hostname")
    tree, found = discover(small_raw_copy)
    link = [f for f in found if f.file == "metadata/item_3.json"]
    assert [(f.code, f.value) for f in link] == [("tree.symlink", "/etc/hostname")]
    assert "metadata/item_3.json" not in tree.files


def test_missing_transcripts_folder(small_raw_copy: Path) -> None:
    shutil.rmtree(small_raw_copy / TRANSCRIPTS)
    result = run_validate(small_raw_copy)
    assert [f.code for f in result.report.findings if f.file == TRANSCRIPTS] == ["tree.missing-file"]


def test_every_top_folder_missing_is_reported_once(small_raw_copy: Path) -> None:
    for name in TOP_FOLDERS[1:]:
        shutil.rmtree(small_raw_copy / name)
    codes = _codes_by_file(small_raw_copy)
    for name in TOP_FOLDERS[1:]:
        assert codes[name] == ["tree.missing-folder"]


# --- the id grammar of file names ----------------------------------------------------------------------

@pytest.mark.parametrize(("rel", "expected"), [
    ("metadata/item_5.json", ("item_json", 5)),
    ("metadata/item_0.png", ("image", 0)),
    (f"metadata/item_{ID_MAX}.png", ("image", ID_MAX)),
    (f"metadata/item_{ID_MAX + 1}.png", ("unknown", None)),  # beyond the 32-bit ids of the model
    ("metadata/item_05.json", ("unknown", None)),  # leading zero
    ("metadata/item_\uff15.json", ("unknown", None)),  # fullwidth digit: \\d would take it
    ("metadata/item_\u0665.json", ("unknown", None)),  # ARABIC-INDIC DIGIT FIVE: int() would take it
    ("metadata/item_5.json\n", ("unknown", None)),  # $ would take it
    ("metadata/item_5.json ", ("unknown", None)),
    ("metadata/ITEM_5.JSON", ("unknown", None)),
    ("metadata/item_+5.json", ("unknown", None)),
    ("metadata/item_5.PNG", ("unknown", None)),
    ("conversation_trials/transcripts/c1_a_1.json", ("transcript", None)),
    ("conversation_trials/transcripts/conversations/c1_a_1.json", ("transcript", None)),
    ("conversation_trials/transcripts/c1_a_1.json\n", ("unknown", None)),
    ("supplements/figure.pdf", ("supplement", None)),
    ("supplements/figure.pdf\n", ("unknown", None)),
])
def test_classify_matches_whole_names_in_ascii(rel: str, expected: tuple[str, int | None]) -> None:
    assert classify(rel) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("c10_b_4.json", (10, "b", 4)),
    ("c0_a_0.json", (0, "a", 0)),
    ("c010_b_4.json", None), ("c10_b_04.json", None), ("c1\uff10_b_4.json", None), ("c10_B_4.json", None),
    ("c10_b_4.json\n", None), ("c10_bb_4.json", None), (f"c{ID_MAX + 1}_b_4.json", None), ("c10_b_4.JSON", None),
])
def test_transcript_name_grammar(name: str, expected: tuple[int, str, int] | None) -> None:
    assert parse_transcript_name(name) == expected


@pytest.mark.parametrize(("rel", "claim"), [
    ("metadata/item_05.json", ("item_json", 5, "metadata/item_5.json")),
    ("metadata/item_\uff15.png", ("image", 5, "metadata/item_5.png")),
    ("metadata/ITEM_5.JSON", ("item_json", 5, "metadata/item_5.json")),
    ("metadata/item_5.json\r\n", ("item_json", 5, "metadata/item_5.json")),
    ("conversation_trials/transcripts/C010_B_4.json ",
     ("transcript", 10, "conversation_trials/transcripts/c10_b_4.json")),
    ("metadata/notes.txt", None), ("metadata/item_notes.json", None), ("supplements/item_5.json", None),
])
def test_a_near_miss_claims_the_id_it_means(rel: str, claim: tuple[str, int, str] | None) -> None:
    assert claimed_id(rel) == claim


def test_two_files_for_one_id_name_each_other(small_raw_copy: Path) -> None:
    metadata = small_raw_copy / "metadata"
    for name in ("item_05.json", "item_005.json"):
        shutil.copyfile(metadata / "item_5.json", metadata / name)
    _, found = discover(small_raw_copy)
    duplicates = sorted((f.file, f.expected) for f in found if f.code == "tree.duplicate-id")
    # each extra file is named, with the one the loader reads
    assert duplicates == [("metadata/item_005.json", "metadata/item_5.json"),
                          ("metadata/item_05.json", "metadata/item_5.json")]
    assert {f.file for f in found if f.code == "tree.id-name"} == {"metadata/item_005.json", "metadata/item_05.json"}
    assert not [f for f in found if f.code == "tree.unknown-file"]  # a near miss is an error, not "unknown"


def test_folders_nested_thousands_deep_are_walked_not_a_recursion_error(small_raw_copy: Path) -> None:
    depth = 1900  # past the interpreter's recursion limit; a 1-letter name per level stays under PATH_MAX

    def descend(fd: int, make: bool) -> list[int]:
        fds = [fd]
        for _ in range(depth):  # relative to an open folder, so no single path grows too long
            if make:
                os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        return fds

    fds = descend(os.open(small_raw_copy / "supplements", os.O_RDONLY), make=True)
    os.close(os.open("notes.bin", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1]))
    for fd in fds:
        os.close(fd)
    try:
        report = run_validate(small_raw_copy).report
        deep = "supplements/" + "d/" * depth + "notes.bin"
        assert [(f.code, f.severity.value) for f in report.findings if f.file == deep] == [
            ("tree.unknown-file", "warning")]
        assert report.ok
    finally:  # remove it bottom-up through the same open folders (a recursive rmtree would overflow too)
        fds = descend(os.open(small_raw_copy / "supplements", os.O_RDONLY), make=False)
        os.unlink("notes.bin", dir_fd=fds[-1])
        for level in range(depth, 0, -1):
            os.close(fds[level])
            os.rmdir("d", dir_fd=fds[level - 1])
        os.close(fds[0])


def test_folder_resolving_outside_the_root_is_not_read(small_raw_copy: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that resolves elsewhere without being a link (a bind mount, a folder swapped while the
    walk runs) is reported and nothing under it is listed; the resolution is checked per folder."""
    import vogue_pack.raw.tree as tree_module

    real = os.path.realpath
    moved = str(tmp_path / "mounted-elsewhere")

    def realpath(path: str | os.PathLike[str]) -> str:
        resolved = real(path)
        return moved if resolved.endswith(os.sep + "metadata") else resolved

    monkeypatch.setattr(tree_module.os.path, "realpath", realpath)
    tree, found = discover(small_raw_copy)
    assert [(f.code, f.value) for f in found if f.file == "metadata"] == [("tree.outside-root", moved)]
    assert not any(path.startswith("metadata/") for path in tree.files)
