"""The command line for people: help that names no file a pip user lacks, `vogue-pack docs`, query's cell
width, singular and plural counts, human numbers, and the notes on --jobs and reversed diff arguments."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from conftest import copy_raw_tree
from PIL import Image
from release_support import EPOCH, shared_image_cache, validate_tree

from vogue_pack.cli import cli
from vogue_pack.console import human_number, plural
from vogue_pack.release.build import build_release
from vogue_pack.release.query import CELL_WIDTH, render_result
from vogue_pack.report.findings import Finding, Severity
from vogue_pack.report.report import Report, summary_line
from vogue_pack.resources import doc_topics
from vogue_pack.synth import SynthInfo

PROJECT = Path(__file__).resolve().parent.parent
DOC_PATH = re.compile(r"docs/[\w.-]+|\b[\w-]+\.md\b")


def _help_pages() -> dict[str, str]:
    runner = CliRunner()
    pages = {"": runner.invoke(cli, ["--help"], terminal_width=200).output}
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"], terminal_width=200)
        assert result.exit_code == 0, name
        pages[name] = result.output
    return pages


def test_help_names_no_docs_file() -> None:
    pages = _help_pages()
    assert "docs" in pages
    for name, text in pages.items():
        assert not DOC_PATH.search(text), f"`vogue-pack {name} --help` names {DOC_PATH.search(text)[0]!r}"
    mentioned = {m for text in pages.values() for m in re.findall(r"vogue-pack docs ([\w-]+)", text)}
    assert mentioned, "help texts point to the reference pages"
    assert mentioned <= set(doc_topics()), mentioned - set(doc_topics())


def test_docs_lists_and_prints_every_topic() -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["docs"])
    assert listing.exit_code == 0
    topics = sorted(p.stem for p in (PROJECT / "docs").glob("*.md"))
    assert list(doc_topics()) == topics
    for topic in topics:
        assert re.search(rf"^  {re.escape(topic)} +\S", listing.stdout, re.M), topic
        page = runner.invoke(cli, ["docs", topic])
        assert page.exit_code == 0, topic
        assert page.stdout == (PROJECT / "docs" / f"{topic}.md").read_text(encoding="utf-8")
    assert runner.invoke(cli, ["docs", "docs/cli.md"]).stdout == runner.invoke(cli, ["docs", "cli"]).stdout
    unknown = runner.invoke(cli, ["docs", "nope"])
    assert unknown.exit_code == 2 and "nope" in unknown.stderr and "findings" in unknown.stderr


def test_query_max_width() -> None:
    long = "x" * (CELL_WIDTH + 25)
    table = pa.table({"text": [long], "share": [0.5916666666666667]})
    clipped = render_result(table, "table")
    assert long not in clipped and ("x" * (CELL_WIDTH - 1) + "…") in clipped
    assert long in render_result(table, "table", max_width=0)
    assert ("x" * 9 + "…") in render_result(table, "table", max_width=10)
    assert "0.592" in clipped and "0.5916666666666667" not in clipped
    assert "0.5916666666666667" in render_result(table, "csv")  # csv and json keep every digit
    assert all(line == line.rstrip() for line in clipped.splitlines())


def test_query_max_width_option(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory,
                                tmp_path: Path) -> None:
    validation = validate_tree(copy_raw_tree(small_tree, tmp_path / "raw"), shared_image_cache(tmp_path_factory))
    release = build_release(validation, "1.0", tmp_path / "release", source_date_epoch=EPOCH).path
    sql = "SELECT repeat('ab', 40) AS long, 1.0 / 3 AS third"
    runner = CliRunner()
    default = runner.invoke(cli, ["query", str(release), sql])
    assert default.exit_code == 0, default.output
    assert "ab" * 40 not in default.stdout and "…" in default.stdout and "0.333" in default.stdout
    full = runner.invoke(cli, ["query", str(release), sql, "--max-width", "0"])
    assert full.exit_code == 0 and "ab" * 40 in full.stdout
    assert "(1 row)" in full.stdout
    assert runner.invoke(cli, ["query", str(release), sql, "--max-width", "-1"]).exit_code == 2


def test_plural_and_numbers() -> None:
    assert [plural(n, "error") for n in (0, 1, 2, 1234)] == ["0 errors", "1 error", "2 errors", "1,234 errors"]
    assert plural(1, "job") == "1 job" and plural(3, "job") == "3 jobs"
    assert plural(2, "analysis", "analyses") == "2 analyses"
    assert human_number(0.5916666666666667) == "0.592"
    assert human_number(1234.5, grouping=True) == "1,234.500"
    assert human_number(float("nan")) == "n/a"


def test_summary_lines_are_singular_for_one() -> None:
    report = Report(root="raw")
    report.add([Finding("schema.value", Severity.ERROR, "bad", file="a.csv", row=2),
                Finding("image.duplicate", Severity.WARNING, "same", file="b.png")])
    report.finalise()
    assert summary_line(report) == "INVALID: 1 error, 1 warning"


def test_counts_in_command_output_agree_with_their_nouns(small_tree: SynthInfo, tmp_path: Path) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(folder / "only.png")
    result = CliRunner().invoke(cli, ["dedupe", str(folder), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "1 image (" in result.stderr and "1 job," in result.stderr and "0 duplicate pairs" in result.stderr
    assert "1 image under" in result.stdout
    synth = CliRunner().invoke(cli, ["synth", str(tmp_path / "raw"), "--conversations", "1", "--no-images"])
    assert synth.exit_code == 0, synth.output
    assert re.search(r"wrote 1 conversation, 2 participants to ", synth.stderr), synth.stderr
    # no count anywhere is followed by the wrong form of its noun
    wrong = re.compile(r"(?<![\d.,])1 (errors|warnings|images|jobs|files|rows|conversations|pairs|checks)\b"
                       r"|(?<![\d.,])(?:[02-9]|\d{2,}) (error|warning|image|job|file|row|conversation|pair|check)\b")
    for text in (result.stdout, result.stderr, synth.stderr):
        assert not wrong.search(text), wrong.search(text)


def test_demo_numbers_are_for_people(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert not re.search(r"\d\.\d{4,}", result.stdout), "a float with more than three decimals"
    assert re.search(r"\b0\.\d{3}\b", result.stdout)  # the accuracy of the human baseline


def test_jobs_ignored_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (16, 16), (i * 80, 0, 0)).save(folder / f"{i}.png")
    runner = CliRunner()
    asked = runner.invoke(cli, ["dedupe", str(folder), "--no-cache", "--jobs", "4"])
    assert asked.exit_code == 0, asked.output
    notes = [line for line in asked.stderr.splitlines() if "--jobs 4 not used" in line]
    assert len(notes) == 1 and "3 images" in notes[0], asked.stderr
    default = runner.invoke(cli, ["dedupe", str(folder), "--no-cache"])
    assert "--jobs" not in default.stderr
    one = runner.invoke(cli, ["dedupe", str(folder), "--no-cache", "--jobs", "1"])
    assert "not used" not in one.stderr


def test_diff_hints_on_stderr_when_new_is_older(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory,
                                                 tmp_path: Path) -> None:
    validation = validate_tree(copy_raw_tree(small_tree, tmp_path / "raw"), shared_image_cache(tmp_path_factory))
    earlier = build_release(validation, "1.0", tmp_path / "a", source_date_epoch=EPOCH).path
    later = build_release(validation, "1.0", tmp_path / "b", source_date_epoch=EPOCH + 86_400).path
    minor = build_release(validation, "1.1", tmp_path / "c", source_date_epoch=EPOCH).path
    runner = CliRunner()
    by_date = runner.invoke(cli, ["diff", str(later), str(earlier)])
    assert by_date.exit_code == 0, by_date.output
    assert "look reversed" in by_date.stderr and "NEW's data is older" in by_date.stderr
    by_version = runner.invoke(cli, ["diff", str(minor), str(later), "--format", "json"])
    assert by_version.exit_code == 0, by_version.output
    assert "NEW (1.0) is an older version than OLD (1.1)" in by_version.stderr
    for args in ([str(earlier), str(later)], [str(later), str(minor)]):  # the right order: no hint
        forward = runner.invoke(cli, ["diff", *args])
        assert forward.exit_code == 0 and "reversed" not in forward.output
