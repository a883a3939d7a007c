"""`harness replay` of several run folders in one process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, is_judge_request, scores_for, write_question_task, write_round


def honest(request: FakeRequest) -> ResponderResult:
    if is_judge_request(request):
        return json.dumps(scores_for(request.model, request.last_user_text))
    return f"Answer of {request.model[::-1]} to: {request.last_user_text}"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_several_run_folders_replay_into_one_out(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    write_question_task(tmp_path / "tasks", "q0", "B-000", "Why replay?")
    with FakeOpenAIServer(honest) as server:
        config = write_round(tmp_path / "round.yaml", server.base_url, ["alpha", "beta", "gamma"], ["q0"], repo_dir)
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "runs" / "first"), "--progress", "quiet"])
        assert result.exit_code == 0, result.output
    shutil.copytree(tmp_path / "runs" / "first", tmp_path / "runs" / "second", ignore=shutil.ignore_patterns(".lock"))
    (tmp_path / "runs" / "broken").mkdir()

    out = tmp_path / "out"
    runs = [tmp_path / "runs" / name for name in ("first", "broken", "second")]
    replayed = CliRunner().invoke(app, ["replay", *map(str, runs), "--out", str(out)])
    assert replayed.exit_code == 2, "a folder that cannot be replayed makes the command fail"
    assert f"error: {runs[1]}: " in replayed.output and "not a run folder" in replayed.output
    assert "replayed 2 of 3 run folders" in replayed.output
    recorded = _tree(tmp_path / "runs" / "first" / "results")
    assert _tree(out / "first" / "results") == recorded, "each folder's replay is laid out as one replay would write it"
    assert _tree(out / "second" / "results") == recorded

    single = CliRunner().invoke(app, ["replay", str(runs[0]), "--out", str(tmp_path / "single"), "--progress", "quiet"])
    assert single.exit_code == 0 and _tree(tmp_path / "single" / "results") == recorded

    same_name = CliRunner().invoke(app, ["replay", str(runs[0]), str(runs[0]), "--out", str(tmp_path / "clash")])
    assert same_name.exit_code == 2 and "share a name" in same_name.output
