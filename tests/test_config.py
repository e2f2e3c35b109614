"""Configuration: vogue-pack.toml / [tool.vogue-pack], --select / --ignore / --config, severity overrides."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from gallery.trees import SEEKER, line_of, read_rows, set_cell, write_rows

from vogue_pack.cli import cli
from vogue_pack.errors import UsageError
from vogue_pack.report.findings import Finding, Severity, finding
from vogue_pack.synth import SynthInfo
from vogue_pack.validate.catalogue import all_codes
from vogue_pack.validate.config import Config, apply_config, find_config_file, load_config


@pytest.fixture(autouse=True)
def _empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in an empty folder, so no configuration of the developer's is picked up."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)


def _raw(tmp_path: Path) -> Path:
    root = tmp_path / "repo" / "data"
    root.mkdir(parents=True)
    return root


all_codes()  # registers the codes declared by checks/*.sql
SAMPLE = [
    finding("xref.unknown-item", "m"),
    finding("xref.chosen-item-rated-low", "m"),
    finding("privacy.url", "m"),
    finding("image.near-duplicate", "m"),
    finding("schema.type", "m"),
]


def _codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.severity.value) for f in findings]


# --- where the configuration comes from -----------------------------------------------------------------

def test_no_configuration_reports_everything(tmp_path: Path) -> None:
    config = load_config(_raw(tmp_path))
    assert config == Config()
    assert apply_config(SAMPLE, config) == SAMPLE


def test_vogue_pack_toml_in_the_raw_root(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text(
        'select = ["xref", "privacy"]\nignore = ["privacy.url"]\n'
        '[severity]\n"xref.unknown-item" = "warning"\n"xref.chosen-item-rated-low" = "error"\n',
        encoding="utf-8")
    config = load_config(root)
    assert config.source == root / "vogue-pack.toml"
    assert _codes(apply_config(SAMPLE, config)) == [
        ("xref.unknown-item", "warning"), ("xref.chosen-item-rated-low", "error")]


def test_tool_table_in_pyproject_next_to_data_folder(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root.parent / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.vogue-pack]\nignore = ["image"]\n', encoding="utf-8")
    config = load_config(root)
    assert config.source == root.parent / "pyproject.toml"
    assert [f.code for f in apply_config(SAMPLE, config)] == [
        "xref.unknown-item", "xref.chosen-item-rated-low", "privacy.url", "schema.type"]


def test_pyproject_without_the_table_is_not_a_configuration(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (Path.cwd() / "vogue-pack.toml").write_text('ignore = ["xref"]\n', encoding="utf-8")
    assert find_config_file(root) == Path.cwd() / "vogue-pack.toml"  # the raw tree's has no table


def test_raw_tree_configuration_wins_over_the_current_folder(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text('ignore = ["privacy"]\n', encoding="utf-8")
    (Path.cwd() / "vogue-pack.toml").write_text('ignore = ["xref"]\n', encoding="utf-8")
    assert load_config(root).ignore == frozenset({"privacy"})


def test_explicit_file_wins(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text('ignore = ["privacy"]\n', encoding="utf-8")
    explicit = tmp_path / "mine.toml"
    explicit.write_text('ignore = ["image"]\n', encoding="utf-8")
    assert load_config(root, explicit).ignore == frozenset({"image"})
    with pytest.raises(UsageError, match="configuration file not found"):
        load_config(root, tmp_path / "nope.toml")


# --- command-line overrides and pattern resolution -----------------------------------------------------

def test_cli_select_replaces_and_cli_ignore_adds(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text('select = ["privacy"]\nignore = ["xref.unknown-item"]\n',
                                          encoding="utf-8")
    config = load_config(root, select=["xref", "image"], ignore=["image.near-duplicate"])
    assert config.select == frozenset({"xref", "image"})
    assert config.ignore == frozenset({"xref.unknown-item", "image.near-duplicate"})
    assert [f.code for f in apply_config(SAMPLE, config)] == ["xref.chosen-item-rated-low"]


def test_most_specific_pattern_decides() -> None:
    config = Config(select=frozenset({"xref.unknown-item", "privacy"}), ignore=frozenset({"xref", "privacy"}))
    # xref.unknown-item: the exact select beats the family ignore; privacy: equal length, ignore wins
    assert [f.code for f in apply_config(SAMPLE, config)] == ["xref.unknown-item"]


def test_family_prefix_matches_whole_segments_only() -> None:
    config = Config(ignore=frozenset({"image.near"}))
    assert not config.reports("image.near.x") and config.reports("image.near-duplicate")


def test_severity_override_most_specific_and_off(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text(
        '[severity]\nxref = "warning"\n"xref.unknown-item" = "error"\n"privacy" = "off"\n', encoding="utf-8")
    config = load_config(root)
    assert _codes(apply_config(SAMPLE, config)) == [
        ("xref.unknown-item", "error"), ("xref.chosen-item-rated-low", "warning"),
        ("image.near-duplicate", "warning"), ("schema.type", "error")]


# --- a bad configuration is a usage error naming the file and key -----------------------------------------

@pytest.mark.parametrize(("text", "complaint"), [
    ('select = "xref"\n', "select must be a list"),
    ('ignore = ["xref.no-such-code"]\n', "'xref.no-such-code' is not a finding code or family"),
    ('ignore = ["nosuchfamily"]\n', "'nosuchfamily' is not a finding code or family"),
    ('colour = "blue"\n', "unknown key 'colour'"),
    ('[severity]\n"xref.unknown-item" = "fatal"\n', "severity.xref.unknown-item"),
    ('[severity]\n"xref.unknown-item" = 2\n', "severity must be"),
    ("select = [\n", "invalid TOML"),
    ('severity = "warning"\n', "severity must be a table"),
])
def test_bad_configuration_file(tmp_path: Path, text: str, complaint: str) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=complaint) as info:
        load_config(root)
    assert str(root / "vogue-pack.toml") in str(info.value)


def test_bad_pyproject_table(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "pyproject.toml").write_text('[tool.vogue-pack]\nselect = ["xref"]\nextra = 1\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"unknown key \[tool.vogue-pack\] 'extra'"):
        load_config(root)


def test_unknown_code_on_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=re.escape("--ignore: 'xref.unknwn-item' is not a finding code")):
        load_config(_raw(tmp_path), ignore=["xref.unknwn-item"])


def test_apply_config_keeps_other_fields() -> None:
    original = Finding("xref.unknown-item", Severity.ERROR, "m", file="f", row=3, keys={"item_id": 9}, value=9)
    (changed,) = apply_config([original], Config(severity={"xref": Severity.WARNING}))
    assert changed == Finding("xref.unknown-item", Severity.WARNING, "m", file="f", row=3, keys={"item_id": 9},
                              value=9)


# --- through the command line ------------------------------------------------------------------------------

@pytest.fixture
def broken_tree(small_tree: SynthInfo, tmp_path: Path) -> Path:
    """A copy of the small synthetic tree whose seeker row of conversation 2 names catalogue b (one error)."""
    shutil.copytree(small_tree.root.parent, tmp_path / "raw")
    root = tmp_path / "raw" / small_tree.root.name
    rows = read_rows(root / SEEKER)
    set_cell(rows, line_of(rows, "conversation_id", "2"), "catalogue", "b")
    write_rows(root / SEEKER, rows)
    return root


def _validate(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["validate", *args, "--no-images", "--format", "json"])
    report = json.loads(result.stdout) if result.exit_code in (0, 1) else {}
    return result.exit_code, report


def _by_code(report: dict[str, object]) -> dict[str, dict[str, object]]:
    return report["summary"]["by_code"]  # type: ignore[index,no-any-return]


def test_validate_select_and_ignore(broken_tree: Path) -> None:
    code, report = _validate(str(broken_tree))
    assert code == 1 and _by_code(report)["xref.catalogue-mismatch"] == {"severity": "error", "count": 1}
    code, report = _validate(str(broken_tree), "--ignore", "xref.catalogue-mismatch")
    assert code == 0 and "xref.catalogue-mismatch" not in _by_code(report)
    code, report = _validate(str(broken_tree), "--select", "xref", "--select", "privacy")
    assert code == 1 and {c.split(".")[0] for c in _by_code(report)} == {"xref"}


def test_validate_config_turns_an_error_into_a_warning(broken_tree: Path, tmp_path: Path) -> None:
    config = tmp_path / "accept.toml"
    config.write_text('[severity]\n"xref.catalogue-mismatch" = "warning"\n', encoding="utf-8")
    code, report = _validate(str(broken_tree), "--config", str(config))
    assert code == 0 and _by_code(report)["xref.catalogue-mismatch"] == {"severity": "warning", "count": 1}
    (broken_tree / "vogue-pack.toml").write_text('[severity]\nxref = "off"\n', encoding="utf-8")
    code, report = _validate(str(broken_tree))  # the raw tree's own configuration
    assert code == 0 and not [c for c in _by_code(report) if c.startswith("xref")]


def test_validate_bad_configuration_exits_2(broken_tree: Path) -> None:
    (broken_tree / "vogue-pack.toml").write_text('ignore = ["xref.catalog-mismatch"]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(broken_tree), "--no-images"])
    assert result.exit_code == 2
    assert "vogue-pack.toml" in result.output and "xref.catalog-mismatch" in result.output


def test_checks_command_lists_the_catalogue() -> None:
    from vogue_pack.validate.crosscheck import check_catalogue

    result = CliRunner().invoke(cli, ["checks"])
    assert result.exit_code == 0
    for spec in check_catalogue():
        assert any(line.split()[:2] == [spec.code, spec.severity.value] for line in result.output.splitlines())
    listed = json.loads(CliRunner().invoke(cli, ["checks", "--format", "json"]).output)
    assert [c["code"] for c in listed] == [s.code for s in check_catalogue()]
    assert all(c["requires"] and c["description"] for c in listed)


# --- safety checks and provenance (a hostile configuration) -------------------------------------------


@pytest.mark.parametrize("text", ['ignore = ["tree.symlink"]', 'ignore = ["image.bomb"]',
                                  '[severity]\n"tree.outside-root" = "warning"', '[severity]\n"image.bomb" = "off"'])
def test_a_safety_check_named_in_a_config_is_refused(tmp_path: Path, text: str) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text(text + "\n")
    with pytest.raises(UsageError, match="safety check and cannot be switched off"):
        load_config(root)
    with pytest.raises(UsageError, match="safety check"):
        load_config(None, ignore=["tree.symlink"])


def test_a_family_pattern_never_switches_a_safety_check_off(tmp_path: Path) -> None:
    root = _raw(tmp_path)
    (root / "vogue-pack.toml").write_text('ignore = ["tree", "image", "file"]\nselect = ["privacy"]\n'
                                          '[severity]\n"check" = "warning"\n')
    config = load_config(root)
    hostile = [finding("tree.symlink", "m", file="a"), finding("image.bomb", "m", file="b"),
               finding("check.not-run", "m"), finding("tree.unknown-file", "m", file="c")]
    kept = _codes(apply_config(hostile, config))
    assert kept == [("tree.symlink", "error"), ("image.bomb", "error"), ("check.not-run", "error")]


def test_provenance_names_the_file_its_digest_and_every_code_switched_off(tmp_path: Path) -> None:
    import hashlib

    root = _raw(tmp_path)
    config_file = root.parent / "vogue-pack.toml"
    config_file.write_text('ignore = ["xref.unknown-item"]\n[severity]\n"schema.type" = "warning"\n')
    provenance = load_config(root).provenance(all_codes())
    assert provenance["file"] == "../vogue-pack.toml" and provenance["found"] == "raw-tree"
    assert provenance["file_sha256"] == hashlib.sha256(config_file.read_bytes()).hexdigest()
    assert provenance["errors_switched_off"] == {"schema.type": "downgraded", "xref.unknown-item": "ignored"}
    assert provenance["errors_switched_off_by_file"] == provenance["errors_switched_off"]


def test_build_refuses_a_raw_tree_config_that_ignores_errors_and_records_it_when_allowed(
        small_raw_copy: Path, tmp_path: Path) -> None:
    (small_raw_copy.parent / "vogue-pack.toml").write_text('ignore = ["item.rating", "xref"]\n')
    runner = CliRunner()
    args = ["build", str(small_raw_copy.parent), "--version", "1.0", "--out", str(tmp_path / "out"),
            "--cache-dir", str(tmp_path / "cache"), "--no-expectations"]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 1, refused.output
    assert "../vogue-pack.toml in the raw tree" in refused.stderr and "item.rating (ignored)" in refused.stderr
    assert not (tmp_path / "out" / "1.0").exists()
    allowed = runner.invoke(cli, [*args, "--allow-config-overrides"])
    assert allowed.exit_code == 0, allowed.output
    assert "checks switched off: item.rating (ignored)" in allowed.stderr
    assert re.search(r"release digest: sha256:[0-9a-f]{64}\n", allowed.stderr)
    release = tmp_path / "out" / "1.0"
    manifest = json.loads((release / "manifest.json").read_text())
    report = json.loads((release / "report.json").read_text())
    for recorded in (manifest["configuration"], report["context"]["configuration"]):
        assert recorded["file"] == "../vogue-pack.toml"
        assert recorded["errors_switched_off"]["item.rating"] == "ignored"
    assert "**Checks switched off for this release:** `item.rating` (ignored)" in (release / "README.md").read_text()
