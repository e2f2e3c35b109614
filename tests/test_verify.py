"""vogue-pack verify: an intact release passes; any changed byte, missing or extra file fails (exit 1)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from release_support import DATABASE, build, release_files, shared_image_cache, validate_tree
from tamper import edit_manifest, refile, resum

from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.release.format import connect_database
from vogue_pack.release.verify import verify_release
from vogue_pack.synth import SynthInfo


@pytest.fixture(scope="module")
def release(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release 1.0 of the 6-conversation tree. Tests that change it restore it or take a copy."""
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("verify-release")).path


@pytest.fixture
def release_copy(release: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(release, tmp_path / "1.0"))


@contextmanager
def flipped(path: Path, offset: int, mask: int) -> Iterator[None]:
    """XOR one byte of ``path`` with ``mask`` for the duration of the block."""
    original = path.read_bytes()
    changed = bytearray(original)
    changed[offset] ^= mask
    path.write_bytes(bytes(changed))
    try:
        yield
    finally:
        path.write_bytes(original)


def test_intact_release_passes(release: Path) -> None:
    result = verify_release(release)
    assert result.ok, result.render_text()
    # Every file but SHA256SUMS is checked; every database table is checked.
    assert result.checked_files == len(release_files(release)) - 1
    manifest = json.loads((release / "manifest.json").read_text())
    assert result.checked_tables == len(manifest["duckdb"]["tables"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_byte_change_fails(release: Path, data: st.DataObject) -> None:
    files = release_files(release)
    rel = data.draw(st.sampled_from(files), label="file")
    size = (release / rel).stat().st_size
    offset = data.draw(st.integers(min_value=0, max_value=size - 1), label="offset")
    mask = data.draw(st.integers(min_value=1, max_value=255), label="xor mask")
    with flipped(release / rel, offset, mask):
        result = verify_release(release)
    assert not result.ok
    # The changed file is named. A change of SHA256SUMS's line for manifest.json cannot be told from a
    # change of manifest.json itself (nothing else records its sha256): either name is right then.
    blamed = {p.path for p in result.problems if p.kind == "changed"}
    assert rel in blamed or (rel == "SHA256SUMS" and "manifest.json" in blamed), result.render_text()


@pytest.mark.parametrize("rel", ["manifest.json", "SHA256SUMS", "README.md", "croissant.json", "report.json",
                                 "findings.parquet", "tables/items.parquet", DATABASE])
def test_a_changed_middle_byte_of_each_kind_of_file_fails(release: Path, rel: str) -> None:
    """The property above samples mostly images (most files are); every other kind is covered here."""
    with flipped(release / rel, (release / rel).stat().st_size // 2, 0x01):
        result = verify_release(release)
    assert any(p.path == rel and p.kind == "changed" for p in result.problems), result.render_text()


@pytest.mark.parametrize("rel", ["tables/turns.parquet", "images/item_1.png", "findings.parquet", "README.md",
                                 "croissant.json", "manifest.json", "SHA256SUMS", DATABASE])
def test_a_deleted_file_fails(release_copy: Path, rel: str) -> None:
    (release_copy / rel).unlink()
    result = verify_release(release_copy)
    assert not result.ok
    assert any(p.path == rel and p.kind == "missing" for p in result.problems), result.render_text()


@pytest.mark.parametrize("rel", ["notes.txt", "tables/extra.parquet", "images/item_999.png", "vogue.duckdb.wal"])
def test_an_added_file_fails(release_copy: Path, rel: str) -> None:
    (release_copy / rel).write_bytes(b"extra")
    result = verify_release(release_copy)
    assert [(p.kind, p.path) for p in result.problems] == [("extra", rel)]


def test_a_changed_file_with_updated_checksum_still_fails(release_copy: Path) -> None:
    """Editing a file and its SHA256SUMS line is caught by the manifest (and vice versa)."""
    import hashlib

    card = release_copy / "README.md"
    card.write_text(card.read_text() + "\nedited\n")
    sums = release_copy / "SHA256SUMS"
    lines = [f"{hashlib.sha256(card.read_bytes()).hexdigest()}  README.md" if line.endswith("  README.md")
             else line for line in sums.read_text().splitlines()]
    sums.write_text("\n".join(lines) + "\n")
    result = verify_release(release_copy)
    kinds = {(p.kind, p.path) for p in result.problems}
    # manifest.json is intact (its SHA256SUMS line matches), so the disagreement is SHA256SUMS's.
    assert ("changed", "SHA256SUMS") in kinds
    assert ("changed", "README.md") in kinds  # the size no longer matches the manifest


def test_a_malformed_manifest_is_a_problem_not_a_crash(release_copy: Path) -> None:
    manifest = json.loads((release_copy / "manifest.json").read_text())
    manifest["tables"]["turns"]["rows"] = str(manifest["tables"]["turns"]["rows"])
    (release_copy / "manifest.json").write_text(json.dumps(manifest))
    result = verify_release(release_copy)
    # Two problems, both with manifest.json: malformed, and its sha256 differs from SHA256SUMS.
    assert {(p.kind, p.path) for p in result.problems} == {("changed", "manifest.json")}
    assert any("malformed manifest at tables/turns/rows" in p.message for p in result.problems)
    (release_copy / "manifest.json").write_text("{not json")
    assert {(p.kind, p.path) for p in verify_release(release_copy).problems} == {("changed", "manifest.json")}


def test_database_content_change_is_named(release_copy: Path) -> None:
    con = connect_database(release_copy / DATABASE, read_only=False)
    con.execute("UPDATE turns SET role = 'Seeker' WHERE turn = 1")
    con.close()
    result = verify_release(release_copy)
    assert any(p.kind == "content" and "table turns" in p.message for p in result.problems)
    assert any(p.kind == "changed" and p.path == DATABASE for p in result.problems)


def test_database_with_an_extra_table_fails(release_copy: Path) -> None:
    con = connect_database(release_copy / DATABASE, read_only=False)
    con.execute("CREATE TABLE scratch AS SELECT 1 AS x")
    con.close()
    result = verify_release(release_copy)
    assert any(p.kind == "content" and "scratch" in p.message for p in result.problems)


def test_not_a_release_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a vogue-pack release"):
        verify_release(tmp_path)
    result = CliRunner().invoke(cli, ["verify", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a vogue-pack release" in result.stderr


def test_cli_exit_codes_and_json(release_copy: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify", str(release_copy), "--format", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    (release_copy / "images" / "item_2.png").unlink()
    failed = runner.invoke(cli, ["verify", str(release_copy)])
    assert failed.exit_code == 1
    assert "missing  images/item_2.png" in failed.stdout
    assert failed.stdout.rstrip().splitlines()[-1].startswith("FAILED: release 1.0")


# ----------------------------------------------------------------- consistent tampering (issue: trust)


def _problems(release: Path, **kwargs: object) -> list[tuple[str, str, str]]:
    result = verify_release(release, **kwargs)  # type: ignore[arg-type]
    return [(p.kind, p.path, p.message) for p in result.problems]


def test_a_redefined_view_with_its_checksum_updated_fails(release_copy: Path) -> None:
    con = connect_database(release_copy / DATABASE, read_only=False)
    con.execute("CREATE OR REPLACE VIEW known_quirks AS SELECT 'nothing to see' AS code")
    con.close()
    resum(release_copy, DATABASE)
    problems = _problems(release_copy)
    assert any(kind == "content" and "view known_quirks" in message and "redefined" in message
               for kind, _path, message in problems), problems


def test_a_rewritten_parquet_table_with_sums_and_manifest_updated_fails(release_copy: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rel = "tables/item_ratings.parquet"
    table = pq.read_table(release_copy / rel)
    column = next(f.name for f in table.schema if pa.types.is_integer(f.type) and f.name == "rating")
    changed = table.set_column(table.schema.get_field_index(column), column,
                               pa.array([5] * table.num_rows, table.schema.field(column).type))
    pq.write_table(changed, release_copy / rel)
    refile(release_copy, rel)
    problems = _problems(release_copy)
    assert any(kind == "content" and path == rel for kind, path, _m in problems), problems
    assert any(kind == "content" and path == DATABASE and "item_ratings" in message and "disagree" in message
               for kind, path, message in problems), problems


def test_a_replaced_image_with_sums_and_manifest_updated_fails(release_copy: Path) -> None:
    (release_copy / "images/item_1.png").write_bytes((release_copy / "images/item_2.png").read_bytes())
    refile(release_copy, "images/item_1.png")
    problems = _problems(release_copy)
    assert [(kind, path) for kind, path, _m in problems] == [("content", "images/item_1.png")], problems


def test_an_edited_duckdb_table_with_manifest_digests_updated_fails(release_copy: Path) -> None:
    from vogue_pack.release.format import content_digest

    con = connect_database(release_copy / DATABASE, read_only=False)
    con.execute("UPDATE item_ratings SET rating = 1")
    rows, digest = content_digest(con, "item_ratings", ["conversation_id", "role", "item_id"])
    con.close()
    resum(release_copy, DATABASE)

    def change(manifest: dict) -> None:  # type: ignore[type-arg]
        manifest["duckdb"]["tables"]["item_ratings"] = {"rows": rows, "content_digest": digest}

    edit_manifest(release_copy, change)
    problems = _problems(release_copy)
    assert any(kind == "content" and "table item_ratings differs from tables/item_ratings.parquet" in message
               for kind, _p, message in problems), problems
    assert any(kind == "manifest" and "duckdb.tables.item_ratings.content_digest" in message
               for kind, _p, message in problems), problems


@pytest.mark.parametrize("outside", ["../outside.txt", "/etc/passwd", "tables/../../outside.txt", "a//b"])
def test_a_path_outside_the_release_is_never_opened(release_copy: Path, outside: str) -> None:
    secret = release_copy.parent / "outside.txt"
    secret.write_text("host file\n")
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    with (release_copy / "SHA256SUMS").open("a") as sums:
        sums.write(f"{digest}  {outside}\n")

    def change(manifest: dict) -> None:  # type: ignore[type-arg]
        manifest["files"].append({"path": outside, "bytes": secret.stat().st_size, "sha256": digest})

    edit_manifest(release_copy, change)
    result = verify_release(release_copy)
    assert not result.ok
    assert any(p.kind == "unsafe" and outside in p.message for p in result.problems), result.render_text()
    assert outside not in result.file_sha256  # never hashed, so never opened


def test_a_symlink_in_the_release_fails(release_copy: Path) -> None:
    (release_copy / "images/item_1.png").unlink()
    os.symlink(release_copy / "images/item_2.png", release_copy / "images/item_1.png")
    os.symlink("/etc", release_copy / "tables/linked")
    problems = _problems(release_copy)
    assert ("unsafe", "images/item_1.png") in [(k, p) for k, p, _m in problems], problems
    assert ("unsafe", "tables/linked") in [(k, p) for k, p, _m in problems], problems


def test_a_fifo_is_never_opened(release_copy: Path) -> None:
    os.mkfifo(release_copy / "pipe")
    assert ("unsafe", "pipe") in [(k, p) for k, p, _m in _problems(release_copy)]


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"format": "vogue-pack-release", "n": ' + "9" * 100_000 + "}",
                                  '{"format": "vogue-pack-release", "format_version": 1e999}'])
def test_a_hostile_manifest_is_a_failure_not_a_traceback(release_copy: Path, text: str) -> None:
    (release_copy / "manifest.json").write_text(text)
    resum(release_copy, "manifest.json")
    result = CliRunner().invoke(cli, ["verify", str(release_copy)])
    assert result.exit_code == 1, result.output
    assert "manifest.json" in result.stdout and "Traceback" not in result.output


def test_digest_match_and_mismatch(release: Path) -> None:
    digest = "sha256:" + hashlib.sha256((release / "SHA256SUMS").read_bytes()).hexdigest()
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify", str(release), "--digest", digest.upper().replace("SHA256:", "sha256:")])
    assert ok.exit_code == 0, ok.output
    assert "checked against the published digest" in ok.stdout
    wrong = "sha256:" + "0" * 64
    failed = runner.invoke(cli, ["verify", str(release), "--digest", wrong])
    assert failed.exit_code == 1
    assert f"not the published {wrong}" in failed.stdout
    malformed = runner.invoke(cli, ["verify", str(release), "--digest", "md5:abc"])
    assert malformed.exit_code == 2 and "not a release digest" in malformed.stderr


def test_a_consistent_tamper_passes_without_a_trust_root_but_fails_the_digest(release_copy: Path) -> None:
    """What verify without a key cannot prove: an attacker who rewrites SHA256SUMS too. The digest can."""
    digest = "sha256:" + hashlib.sha256((release_copy / "SHA256SUMS").read_bytes()).hexdigest()
    card = release_copy / "README.md"
    card.write_text(card.read_text() + "\nedited\n")
    refile(release_copy, "README.md")
    assert verify_release(release_copy).ok
    assert [p.kind for p in verify_release(release_copy, digest=digest).problems] == ["digest"]


@pytest.mark.parametrize("rel", ["SHA256SUMS", "manifest.json"])
def test_a_folder_in_place_of_a_required_file_fails(release_copy: Path, rel: str) -> None:
    (release_copy / rel).unlink()
    (release_copy / rel).mkdir()
    result = verify_release(release_copy)
    assert ("unsafe", rel) in [(p.kind, p.path) for p in result.problems], result.render_text()


def test_an_images_table_without_its_columns_is_a_problem_not_a_crash(release_copy: Path) -> None:
    import pyarrow.parquet as pq

    rel = "tables/images.parquet"
    pq.write_table(pq.read_table(release_copy / rel).drop_columns(["sha256"]), release_copy / rel)
    refile(release_copy, rel)
    result = verify_release(release_copy)
    assert any(p.kind == "content" and p.path == rel for p in result.problems), result.render_text()


def test_a_file_name_that_is_not_utf8_is_reported_not_a_crash(release_copy: Path) -> None:
    name = os.fsdecode(b"extra-\xff.bin")
    (release_copy / name).write_bytes(b"x")
    result = CliRunner().invoke(cli, ["verify", str(release_copy)])
    assert result.exit_code == 1, result.output
    assert "extra-\\xff.bin" in result.stdout
