"""`harness analyze` on inputs of every kind: run folders (with failures and recorded self-judgments), bad files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from harness.cli import app

from ._round_fixtures import write_question_task, write_round
from .test_report import SelfScoringClient


def _run_folder(tmp_path: Path, repo_dir: Path) -> Path:
    from harness.session import run_round

    write_question_task(tmp_path / "tasks", "q1", "T-001", "Why is the sky blue?")
    write_question_task(tmp_path / "tasks", "q2", "T-002", "What is a monad?", category="code")
    config = write_round(tmp_path / "round.yaml", "http://127.0.0.1:9/v1", ["alpha", "beta", "gamma"], ["q1", "q2"], repo_dir, self_judgment="record")
    run_round(config, tmp_path / "run", client=SelfScoringClient())
    return tmp_path / "run"


def test_a_run_folder_gives_failure_rates_and_self_bias(tmp_path: Path, repo_dir: Path) -> None:
    run = _run_folder(tmp_path, repo_dir)
    out = tmp_path / "analysis"
    result = CliRunner().invoke(app, ["analyze", str(tmp_path), "--out", str(out), "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    analysis = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    assert analysis["inputs"]["question_rounds"] == 2 and analysis["inputs"]["skipped"] == []
    judges = {row["judge_key"]: row for row in csv.DictReader((out / "judges.csv").open(encoding="utf-8"))}
    # gamma's judgment of alpha fails in both rounds: 1 of its 2 non-self calls per round.
    assert (judges["gamma"]["failures"], judges["gamma"]["failure_rate"]) == ("2", "0.5")
    assert judges["alpha"]["failures"] == "0"
    selves = {row["model_key"]: row for row in csv.DictReader((out / "self_bias.csv").open(encoding="utf-8"))}
    assert set(selves) == {"alpha", "beta", "gamma"} and all(row["rounds"] == "2" for row in selves.values())
    assert (out / "analysis.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert run.is_dir()


def test_a_bad_file_names_itself_unless_skipped(tmp_path: Path, repo_dir: Path) -> None:
    _run_folder(tmp_path, repo_dir)
    (tmp_path / "notes.json").write_text('{"hello": "world"}', encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["analyze", str(tmp_path), "--out", str(tmp_path / "a")])
    assert refused.exit_code != 0
    assert "broken.json: not a readable JSON file" in str(refused.exception) and "--skip-bad" in str(refused.exception)
    skipped = runner.invoke(app, ["analyze", str(tmp_path), "--out", str(tmp_path / "b"), "--skip-bad", "--bootstrap", "0"])
    assert skipped.exit_code == 0, skipped.output
    analysis = json.loads((tmp_path / "b" / "analysis.json").read_text(encoding="utf-8"))
    reasons = analysis["inputs"]["skipped"]
    assert len(reasons) == 2, reasons
    assert any("notes.json: not an evaluation file" in r for r in reasons)
    assert analysis["inputs"]["question_rounds"] == 2
