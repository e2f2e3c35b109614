"""`vogue-pack tasks`: the model inputs hold what the protocol allows and no ground truth, tried as an attacker.

The attack: take a built release, plant distinctive values in every ground-truth table and column (the
Seeker's and the Assistant's ratings, rating_vec, the Assistant's interpretation, gt_items, the chosen
flags, the satisfaction answers, the findings) and look for them in the tasks file; then change only the
ground truth and compare the tasks files byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import copy_raw_tree

from vogue_pack.analysis.leaderboard import run_leaderboard
from vogue_pack.analysis.predictions import PredictionsInvalid, baseline_predictions
from vogue_pack.analysis.stats import load_source
from vogue_pack.analysis.tasks import ALLOWED_COLUMNS, TEMPLATE_FILES, iter_tasks, tasks_jsonl, write_templates
from vogue_pack.cli import cli
from vogue_pack.synth import SynthInfo

CANARY_INT = 31337
CANARY_TEXT = "CANARY-7f3a9c"
CANARY_FLOAT = 4242.25
CANARY_ITEM = 29999


@pytest.fixture(scope="module")
def release(clean_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real release (with its images) of the clean 60-conversation synthetic tree."""
    from release_support import EPOCH

    from vogue_pack.release.build import build_release
    from vogue_pack.validate.pipeline import validate

    base = tmp_path_factory.mktemp("tasks-release")
    raw = copy_raw_tree(clean_tree, base / "raw")
    return build_release(validate(raw), "1.0", base / "release", source_date_epoch=EPOCH).path


def _rewrite(release: Path, name: str, change: Any) -> None:
    path = release / "tables" / f"{name}.parquet"
    table = pq.read_table(path)
    pq.write_table(change(table), path)


def _replace(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    at = table.column_names.index(column)
    return table.set_column(at, table.schema.field(at), values)


def _poison(release: Path, seed: int) -> None:
    """Change every ground-truth value of the release copy; ``seed`` 0 plants canaries, others permute."""
    def ratings(table: pa.Table) -> pa.Table:
        n = table.num_rows
        values = [CANARY_INT] * n if seed == 0 else [(k * seed) % 5 + 1 for k in range(n)]
        return _replace(table, "rating", pa.array(values, table.schema.field("rating").type))

    def rating_rows(table: pa.Table) -> pa.Table:
        planted = CANARY_INT if seed == 0 else seed % 5 + 1
        vectors = [[planted] * len(v or []) for v in table.column("rating_vec").to_pylist()]
        table = _replace(table, "rating_vec", pa.array(vectors, table.schema.field("rating_vec").type))
        texts = [f"{CANARY_TEXT} {seed}"] * table.num_rows
        return _replace(table, "assistant_interpretation", pa.array(texts, pa.string()))

    def conversations(table: pa.Table) -> pa.Table:
        gt = [[CANARY_ITEM + seed] for _ in range(table.num_rows)]
        return _replace(table, "gt_items", pa.array(gt, table.schema.field("gt_items").type))

    def conversation_items(table: pa.Table) -> pa.Table:
        return _replace(table, "chosen", pc.invert(table.column("chosen")))

    def satisfaction(table: pa.Table) -> pa.Table:
        scores = [CANARY_FLOAT + seed] * table.num_rows
        table = _replace(table, "score", pa.array(scores, pa.float64()))
        return _replace(table, "statement", pa.array([f"{CANARY_TEXT} statement"] * table.num_rows, pa.string()))

    _rewrite(release, "item_ratings", ratings)
    _rewrite(release, "rating_rows", rating_rows)
    _rewrite(release, "conversations", conversations)
    _rewrite(release, "conversation_items", conversation_items)
    _rewrite(release, "satisfaction", satisfaction)
    findings = release / "findings.parquet"
    if findings.exists():
        table = pq.read_table(findings)
        pq.write_table(_replace(table, "message", pa.array([CANARY_TEXT] * table.num_rows, pa.string())), findings)
    (release / "report.json").write_text(json.dumps({"leak": CANARY_TEXT}))


def test_no_ground_truth_reaches_the_tasks(release: Path, tmp_path: Path) -> None:
    clean = tasks_jsonl(release, tags=True)
    for seed in (0, 3):
        copy = tmp_path / f"poisoned-{seed}"
        shutil.copytree(release, copy)
        _poison(copy, seed)
        poisoned = tasks_jsonl(copy, tags=True)
        assert poisoned.encode() == clean.encode(), "changing only the ground truth changed the tasks file"
        assert tasks_jsonl(copy) == tasks_jsonl(release)
    # the canaries were really in the poisoned release, and are nowhere in its tasks
    poisoned_release = tmp_path / "poisoned-0"
    assert pq.read_table(poisoned_release / "tables" / "item_ratings.parquet").column("rating")[0].as_py() == CANARY_INT
    text = tasks_jsonl(poisoned_release, tags=True)
    for canary in (str(CANARY_INT), CANARY_TEXT, str(CANARY_FLOAT), str(CANARY_ITEM)):
        assert canary not in text
    # and no record carries a ground-truth key
    forbidden = {"gt_items", "chosen", "rating_vec", "assistant_interpretation", "likert_1", "satisfaction",
                 "score", "statement", "item_ratings", "role_ratings"}
    for line in text.splitlines():
        assert not forbidden & set(_keys(json.loads(line)))


def _keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [*node, *(k for v in node.values() for k in _keys(v))]
    if isinstance(node, list):
        return [k for v in node for k in _keys(v)]
    return []


def test_the_allow_list_never_names_ground_truth() -> None:
    assert "item_ratings" not in ALLOWED_COLUMNS and "satisfaction" not in ALLOWED_COLUMNS
    assert "gt_items" not in ALLOWED_COLUMNS["conversations"]
    assert "chosen" not in ALLOWED_COLUMNS["conversation_items"]
    assert set(ALLOWED_COLUMNS["rating_rows"]) == {"conversation_id", "role", "participant_id"}


def test_records_hold_what_a_model_may_see(release: Path) -> None:
    tables = load_source(release).tables
    records = list(iter_tasks(release, tags=True))
    ids = tables["conversations"].column("conversation_id").to_pylist()
    assert [r["conversation_id"] for r in records] == sorted(ids)
    first = records[0]
    cid = first["conversation_id"]
    turns = tables["turns"].filter(pc.equal(tables["turns"].column("conversation_id"), cid))
    assert len(first["transcript"]) == turns.num_rows
    utterances = tables["utterances"].filter(pc.equal(tables["utterances"].column("conversation_id"), cid))
    assert sum(len(t["utterances"]) for t in first["transcript"]) == utterances.num_rows
    assert first["transcript"][0]["utterances"][0]["text"] == utterances.column("text")[0].as_py()
    items = tables["conversation_items"]
    catalogue = items.filter(pc.equal(items.column("conversation_id"), cid))
    assert first["items_to_rate"] == sorted(catalogue.column("item_id").to_pylist())
    mentioned = sorted(r["item_id"] for r in catalogue.to_pylist() if r["mentioned"])
    assert [i["item_id"] for i in first["catalogue_items"] if i["mentioned"]] == mentioned
    assert all(i["metadata"]["product_name"] for i in first["catalogue_items"])
    seeker = next(r["participant_id"] for r in tables["rating_rows"].to_pylist()
                  if r["conversation_id"] == cid and r["role"] == "Seeker")
    assert first["seeker"]["participant_id"] == seeker
    history = [r for r in tables["profile_ratings"].to_pylist() if r["participant_id"] == seeker]
    assert len(first["seeker"]["profile_ratings"]) == len(history) > 0
    assert first["seeker"]["profile"]["style_preferences"]
    assert first["scenario"]["title"]
    # the ground-truth cells of every conversation are exactly the cells the tasks ask for (valid release)
    truth = {(r["conversation_id"], r["item_id"]) for r in tables["item_ratings"].to_pylist() if r["role"] == "Seeker"}
    asked = {(r["conversation_id"], i) for r in records for i in r["items_to_rate"]}
    assert asked == truth
    plain = next(iter_tasks(release))
    assert isinstance(plain["transcript"][0]["utterances"][0], str)


def test_every_image_path_exists_in_the_release(release: Path) -> None:
    named = 0
    for record in iter_tasks(release):
        images = [i["image"] for i in record["catalogue_items"]]
        images += [h["image"] for h in record["seeker"]["profile_ratings"]]
        for image in images:
            assert image is not None
            path = release / image["path"]
            assert path.is_file() and not path.is_symlink()
            assert path.resolve().is_relative_to(release.resolve())
            assert hashlib.sha256(path.read_bytes()).hexdigest() == image["sha256"]
            named += 1
    assert named > 60 * 12


def test_image_paths_follow_the_images_table(release: Path, tmp_path: Path) -> None:
    """A raw-tree images.path (as releases of data model 1 had) gives the same tasks as the release-relative
    one; a path column naming a file outside the release is never followed."""
    before = tasks_jsonl(release)
    assert all(p.startswith("images/") for p in pq.read_table(release / "tables" / "images.parquet")
               .column("path").to_pylist())
    older = tmp_path / "older"
    shutil.copytree(release, older)
    _rewrite(older, "images", lambda t: _replace(t, "path", t.column("raw_path")))
    assert tasks_jsonl(older) == before
    hostile = tmp_path / "hostile"
    shutil.copytree(release, hostile)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the model")
    _rewrite(hostile, "images", lambda t: _replace(_replace(t, "path", pa.array(
        [str(secret)] + ["../" * 8 + "etc/passwd"] * (t.num_rows - 1), pa.string())), "raw_path", pa.array(
        ["../" * 8 + "etc/passwd"] * (t.num_rows - 1) + [str(secret)], pa.string())))
    text = tasks_jsonl(hostile)
    assert "secret" not in text and "passwd" not in text
    assert all(i["image"] is None for r in iter_tasks(hostile) for i in r["catalogue_items"])
    missing = tmp_path / "missing"
    shutil.copytree(release, missing)
    (missing / "images" / "item_1.png").unlink()
    records = list(iter_tasks(missing))
    first_item = next(i for r in records for i in r["catalogue_items"] if i["item_id"] == 1)
    assert first_item["image"] is None


def test_templates_in_every_layout(release: Path, tmp_path: Path) -> None:
    paths = write_templates(release, tmp_path / "templates")
    assert [p.name for p in paths] == list(TEMPLATE_FILES)
    source = load_source(release)
    n_cells = sum(len(r["items_to_rate"]) for r in iter_tasks(release))
    for path in paths:
        with pytest.raises(PredictionsInvalid) as exc:
            run_leaderboard(source, [str(path)], resamples=0)
        codes = {f.code for f in exc.value.findings}
        assert codes <= {"predictions.value", "predictions.missing"}, (path, codes)
    # filled in with the Assistant's ratings, each template scores as the human baseline
    human = {(r["conversation_id"], r["item_id"]): r["rating"] for r in
             baseline_predictions(source.tables, "human").to_pylist()}
    assert len(human) == n_cells
    filled = tmp_path / "filled"
    filled.mkdir()
    long_csv = (tmp_path / "templates" / "predictions_long.csv").read_text().splitlines()
    (filled / "long.csv").write_text("\n".join([long_csv[0]] + [
        f"{line.split(',')[0]},{line.split(',')[1]},{human[(int(line.split(',')[0]), int(line.split(',')[1]))]}"
        for line in long_csv[1:]]) + "\n")
    records = [json.loads(line) for line in (tmp_path / "templates" / "predictions.jsonl").read_text().splitlines()]
    for record in records:
        record["ratings"] = {k: human[(record["conversation_id"], int(k))] for k in record["ratings"]}
    (filled / "preds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    folder = filled / "folder"
    shutil.copytree(tmp_path / "templates" / "predictions_folder", folder)
    for path in folder.glob("conv_*/predictions.json"):
        cid = int(path.parent.name.removeprefix("conv_"))
        path.write_text(json.dumps({k: human[(cid, int(k))] for k in json.loads(path.read_text())}))
    board = run_leaderboard(source, [str(filled / "long.csv"), str(filled / "preds.jsonl"), str(folder)],
                            resamples=20)
    reference = board.row("human").estimates
    for name in ("long", "preds", "folder"):
        assert board.row(name).estimates == reference


def test_cli_tasks(release: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    to_stdout = runner.invoke(cli, ["tasks", str(release)])
    assert to_stdout.exit_code == 0, to_stdout.output
    out = tmp_path / "tasks.jsonl"
    to_file = runner.invoke(cli, ["tasks", str(release), "-o", str(out), "--template", str(tmp_path / "t")])
    assert to_file.exit_code == 0 and "wrote 60 tasks" in to_file.stderr
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    assert (tmp_path / "t" / "predictions_wide.csv").is_file()
    tagged = runner.invoke(cli, ["tasks", str(release), "--tags"]).stdout.splitlines()[0]
    assert '"tags":' in tagged and '"tags":' not in to_stdout.stdout.splitlines()[0]
    not_release = runner.invoke(cli, ["tasks", str(tmp_path)])
    assert not_release.exit_code == 2 and "not a release folder" in not_release.output


def test_ground_truth_files_are_never_opened(release: Path, tmp_path: Path) -> None:
    """Without the ground-truth tables (and with garbage in their place) the tasks are the same bytes."""
    before = tasks_jsonl(release, tags=True)
    copy = tmp_path / "stripped"
    shutil.copytree(release, copy)
    for name in ("item_ratings", "satisfaction"):
        (copy / "tables" / f"{name}.parquet").unlink()
    (copy / "tables" / "duplicate_pairs.parquet").write_bytes(b"not parquet")
    for name in ("findings.parquet", "report.json", "report.html", "vogue.duckdb"):
        (copy / name).unlink(missing_ok=True)
    assert tasks_jsonl(copy, tags=True) == before
