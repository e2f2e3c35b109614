"""`validate --format github`: GitHub Actions workflow commands, parsed back with the runner's grammar, and
the pre-commit hook definition."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from gallery.faults import GALLERY

from vogue_pack.cli import cli
from vogue_pack.console import plural
from vogue_pack.report.findings import Finding, Severity
from vogue_pack.report.github import (
    annotation_path,
    escape_data,
    escape_property,
    finding_line,
    pointer_lines,
    render_annotation,
)
from vogue_pack.synth import SynthInfo

PROJECT = Path(__file__).resolve().parent.parent

# ::COMMAND[ PROP=VALUE(,PROP=VALUE)*]::MESSAGE; no raw ':' or ',' in property values, no raw CR/LF anywhere
COMMAND = re.compile(r"^::(?P<command>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<message>[^\r\n]*)$")
PROPERTY = re.compile(r"^(?P<key>file|line|endLine|col|endColumn|title)=(?P<value>[^,:]*)$")


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def _parse(output: str) -> list[dict[str, str]]:
    parsed = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        entry = {"command": match["command"], "message": _unescape_data(match["message"])}
        for prop in (match["props"] or "").split(","):
            if prop:
                item = PROPERTY.match(prop)
                assert item, f"bad property {prop!r} in {line!r}"
                entry[item["key"]] = _unescape_property(item["value"])
        parsed.append(entry)
    return parsed


def test_escaping_follows_the_runner() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\n") == "a%3Ab%2Cc%25d%0A"
    finding = Finding("schema.value", Severity.ERROR, "50%, then\nnew line: bad", file="dir,x/a:b.csv", row=3)
    parsed = _parse(render_annotation(finding, "raw/data"))
    assert parsed == [{"command": "error", "message": "50%, then\nnew line: bad", "file": "raw/data/dir,x/a:b.csv",
                       "line": "3", "title": "schema.value"}]


def test_pointer_lines() -> None:
    text = '{\n  "a": [1,\n    {"b/c": "x"}],\n  "d~": {},\n  "e": "f"\n}\n'
    lines = pointer_lines(text)
    assert lines == {"": 1, "/a": 2, "/a/0": 2, "/a/1": 3, "/a/1/b~1c": 3, "/d~0": 4, "/e": 5}
    assert pointer_lines('{"a": ') == {} and pointer_lines("[" * 500 + "]" * 500) == {}
    finding = Finding("schema.required", Severity.ERROR, "missing", file="t.json", pointer="/a/1/missing")
    assert finding_line(finding, lambda file: lines) == 3  # the deepest part of the pointer that exists
    assert finding_line(finding) is None


def test_paths_are_relative_to_the_current_folder(tmp_path: Path) -> None:
    assert annotation_path("raw/data", "a/b.csv") == "raw/data/a/b.csv"
    assert annotation_path("./raw", "a.json") == "raw/a.json"
    assert annotation_path(f"{tmp_path}/repo/data", "x.csv", cwd=str(tmp_path)) == "repo/data/x.csv"
    assert annotation_path("/elsewhere/data", "x.csv", cwd=str(tmp_path)) == "/elsewhere/data/x.csv"
    assert annotation_path("raw/data", None) == "raw/data"


@pytest.fixture
def broken_checkout(small_tree: SynthInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dataset repository checkout (the current folder) whose raw/ tree has CSV, JSON-parse and transcript
    errors; returns the checkout."""
    checkout = tmp_path / "checkout"
    shutil.copytree(small_tree.root.parent, checkout / "raw", symlinks=True)
    data = checkout / "raw" / small_tree.root.relative_to(small_tree.root.parent)
    for name in ("rating_seven", "json_truncated", "turn_gap"):
        GALLERY[name](data)
    monkeypatch.chdir(checkout)
    return checkout


def test_every_finding_becomes_one_annotation(broken_checkout: Path) -> None:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["validate", "raw", "--no-images", "--format", "json"], catch_exceptions=False)
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    result = runner.invoke(cli, ["validate", "raw/", "--no-images", "--format", "github"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    parsed = _parse(result.stdout)
    *annotations, summary = parsed
    assert summary["command"] == "notice"
    assert summary["message"].startswith(f"INVALID: {plural(report['summary']['errors'], 'error')}, ")
    assert len(annotations) == len(report["findings"])
    kinds = set()
    for entry, finding in zip(annotations, report["findings"], strict=True):
        assert entry["command"] == finding["severity"]
        assert entry["title"] == finding["code"]
        if finding["code"].startswith("expect."):  # a release table, named in the message: no file
            assert "file" not in entry and finding["file"] in entry["message"]
            continue
        assert entry["file"] == f"{report['root']}/{finding['file']}"
        assert (broken_checkout / entry["file"]).exists(), entry["file"]  # a path from the checkout
        if finding.get("row") is not None:
            assert entry["line"] == str(finding["row"])
        elif finding.get("pointer") and finding["file"].endswith(".json"):
            assert "line" in entry, finding
            last = finding["pointer"].rpartition("/")[2]
            text_line = (broken_checkout / entry["file"]).read_text(encoding="utf-8").splitlines()[
                int(entry["line"]) - 1]
            if last and not last.isdigit():  # the line holds the key the pointer ends with
                assert f'"{last}"' in text_line, (finding, text_line)
        else:
            assert "line" not in entry
        assert finding["message"] in entry["message"]
        kinds.add((finding["code"], "line" in entry))
    assert ("schema.value", True) in kinds  # the CSV row's line
    assert ("json.parse", True) in kinds  # the line of the JSON syntax error
    assert ("transcript.turn-sequence", True) in kinds  # the line of the JSON Pointer's value
    assert {e["command"] for e in annotations} == {"error", "warning"}


def test_a_clean_tree_ends_with_a_valid_notice(small_tree: SynthInfo) -> None:
    result = CliRunner().invoke(cli, ["validate", str(small_tree.root.parent), "--no-images", "--format", "github"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    parsed = _parse(result.stdout)
    assert parsed[-1]["command"] == "notice" and parsed[-1]["message"].startswith("valid: 0 errors")
    assert all(e["command"] == "warning" for e in parsed[:-1])


def test_pre_commit_hook_runs_a_real_command() -> None:
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "vogue-pack-validate"]
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    program, command, *args = hook["entry"].split()
    scripts = re.findall(r'^(\S+) = "vogue_pack\._entry:main"$', (PROJECT / "pyproject.toml").read_text(), re.M)
    assert program in scripts
    assert command in cli.commands
    assert hook["args"] == ["."]
    result = CliRunner().invoke(cli, [command, *args, *hook["args"], "--help"])
    assert result.exit_code == 0, result.output
    assert re.compile(hook["files"]).search("data/conversation_trials/item_ratings/seeker_ratings.csv")
    assert re.compile(hook["files"]).search("raw/data/metadata/item_1/item_1.json")
    assert not re.compile(hook["files"]).search("src/model.py")
