"""Progress modes for people and for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.testing import FakeOpenAIServer

from ._round_fixtures import TEST_KEY_ENV, write_question_task, write_round
from .test_question_round import MODELS, responder


@pytest.fixture
def config_and_server(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    write_question_task(tmp_path / "tasks", "q1", "P-001", "Why is the sky blue?")
    with FakeOpenAIServer(responder) as server:
        yield write_round(tmp_path / "round.yaml", server.base_url, MODELS, ["q1"], repo_dir), tmp_path


def test_jsonl_progress_is_one_event_per_line(config_and_server) -> None:  # type: ignore[no-untyped-def]
    config, root = config_and_server
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(root / "run"), "--progress", "jsonl"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "start" and events[0]["answer_calls"] == 3 and events[0]["judge_calls"] == 6
    calls = [e for e in events if e["event"] == "call"]
    assert len(calls) == 3 + 6 + 2  # gamma's two judge calls are repaired once each
    assert sum(1 for e in calls if e["repair"]) == 2
    assert events[-1]["event"] == "report" and events[-1]["calls_made"] == 11
    replay = CliRunner().invoke(app, ["replay", str(root / "run"), "--out", str(root / "again"), "--progress", "jsonl"])
    served = [json.loads(line) for line in replay.stdout.splitlines()]
    assert all(e["served_from_cassette"] for e in served if e["event"] == "call")


def test_quiet_and_live_modes(config_and_server) -> None:  # type: ignore[no-untyped-def]
    config, root = config_and_server
    quiet = CliRunner().invoke(app, ["run", str(config), "--out", str(root / "run"), "--progress", "quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == "", "quiet prints nothing but errors"
    live = CliRunner().invoke(app, ["replay", str(root / "run"), "--out", str(root / "again")])
    assert live.exit_code == 0
    assert "Round summary" in live.output and "alpha" in live.output
    bad = CliRunner().invoke(app, ["replay", str(root / "run"), "--progress", "loud"])
    assert bad.exit_code != 0 and all(f"'{mode}'" in bad.output for mode in ("loud", "live", "jsonl", "quiet"))


def test_resume_reports_each_call_as_served_or_made(config_and_server) -> None:  # type: ignore[no-untyped-def]
    """Live calls still on the wire while recorded ones are served are reported as made, not served."""
    config, root = config_and_server
    run = root / "run"
    assert CliRunner().invoke(app, ["run", str(config), "--out", str(run), "--progress", "quiet"]).exit_code == 0
    cassette = run / "cassette.jsonl"
    lines = cassette.read_text(encoding="utf-8").splitlines(keepends=True)
    judge_lines = [i for i, line in enumerate(lines) if json.loads(line)["meta"]["stage"] == "judge"]
    dropped = set(judge_lines[::2])
    cassette.write_text("".join(line for i, line in enumerate(lines) if i not in dropped), encoding="utf-8")
    result = CliRunner().invoke(app, ["resume", str(run), "--progress", "jsonl"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    calls = [e for e in events if e["event"] == "call"]
    report = events[-1]
    made = [e for e in calls if not e["served_from_cassette"]]
    assert report["calls_made"] == len(made) >= len(dropped) > 0
    assert report["calls_served"] == len(calls) - len(made) == len(lines) - len(dropped) - (len(made) - len(dropped))
    assert all(e["stage"] == "judge" for e in made)


def test_a_missing_api_key_stops_the_run_before_any_call(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_KEY_ENV, raising=False)
    write_question_task(tmp_path / "tasks", "q1", "P-001", "Why is the sky blue?")
    with FakeOpenAIServer(responder) as server:
        config = write_round(tmp_path / "round.yaml", server.base_url, MODELS, ["q1"], repo_dir)
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--progress", "quiet"])
        assert server.requests == []
    message = str(result.exception)
    assert result.exit_code != 0
    assert f"model 'alpha': api_key_env {TEST_KEY_ENV} is unset or empty" in message and "nothing was called" in message
    assert "api_key_env: null" in message
    monkeypatch.setenv(TEST_KEY_ENV, "")
    empty = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--progress", "quiet"])
    assert empty.exit_code != 0 and "unset or empty" in str(empty.exception)
