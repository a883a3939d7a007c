"""A question round end to end through real LiteLLM and a local OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.formats._evaluation import EvaluationFile
from harness.testing import FakeOpenAIServer, FakeReply, FakeRequest, ResponderResult

from ._round_fixtures import (
    TEST_KEY_ENV,
    is_judge_request,
    scores_for,
    write_question_task,
    write_round,
)

MODELS = ["alpha", "beta", "gamma"]
PLANTED_KEY = "sk-planted-secret-value-1234567890"


def responder(request: FakeRequest) -> ResponderResult:
    if is_judge_request(request):
        if request.model == "gamma":
            return "I would rather not score this."  # garbage, also after the repair re-ask
        answer = request.messages[-1]["content"] if request.model else ""
        return json.dumps(scores_for(request.model, str(answer)))
    # Answers name their own model, so blinding has something to mask.
    return FakeReply(content=f"I am {request.model}. My answer to: {request.last_user_text[:40]}", prompt_tokens=20, completion_tokens=30)


@pytest.fixture
def round_dir(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TEST_KEY_ENV, PLANTED_KEY)
    write_question_task(tmp_path / "tasks", "q1", "T-001", "What is the capital of France, and why?")
    write_question_task(tmp_path / "tasks", "q2", "T-002", "Explain a hash map in two sentences.", category="code")
    return tmp_path


def test_three_models_two_questions_round_and_replay(round_dir: Path, repo_dir: Path) -> None:
    runner = CliRunner()
    with FakeOpenAIServer(responder) as server:
        config = write_round(round_dir / "round.yaml", server.base_url, MODELS, ["q1", "q2"], repo_dir)
        result = runner.invoke(app, ["run", str(config), "--out", str(round_dir / "run")])
        assert result.exit_code == 0, result.output
        requests = server.requests
    run_dir = round_dir / "run"
    files = sorted((run_dir / "results").glob("EVAL-*.json"))
    assert len(files) == 2
    parsed = [EvaluationFile.model_validate_json(f.read_text()) for f in files]
    assert {p.question_id for p in parsed} == {"T-001", "T-002"}
    for evaluation in parsed:
        # gamma's judge replies are garbage: only alpha and beta judgments of others remain.
        pairs = {(j.judge_key, j.respondent_key) for j in evaluation.judgments}
        assert pairs == {("alpha", "beta"), ("alpha", "gamma"), ("beta", "alpha"), ("beta", "gamma")}
        assert evaluation.matrix_size == 4
        assert all(j.judge_key != j.respondent_key for j in evaluation.judgments)
        assert evaluation.meta.methodology == "3x3 blind peer matrix evaluation"
        # P = 3 -> 1 judge needed; every ranked model qualifies, the top one wins.
        top = next(iter(evaluation.rankings))
        assert evaluation.winner is not None and evaluation.winner.name == evaluation.rankings[top].display_name

    details = json.loads((run_dir / "results" / "details" / "q1.json").read_text())
    gamma = [j for j in details["judgments"] if j["judge_id"] == "gamma" and j["respondent_id"] != "gamma"]
    assert len(gamma) == 2 and all("unusable reply after one repair re-ask" in j["error"] for j in gamma)
    assert all(j["scores"] is None and j["weighted_score"] is None for j in gamma), "a failure is never a 0"
    selfs = [j for j in details["judgments"] if j["judge_id"] == j["respondent_id"]]
    assert [j["error"] for j in selfs] == ["self_judgment_excluded"] * 3

    # Calls: 2 questions x (3 answers + 6 judge calls + 2 gamma repairs) = 22; self-judgments never called.
    assert len(requests) == 22
    judge_texts = [json.dumps(r.messages) for r in requests if is_judge_request(r)]
    for text in judge_texts:
        for name in MODELS:
            assert name not in text.lower(), "a judge request holds a model identity"

    # The key never reaches the run folder.
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert PLANTED_KEY not in path.read_text(errors="replace")

    # Replay with the server gone: byte-identical outputs.
    result = runner.invoke(app, ["replay", str(run_dir), "--out", str(round_dir / "replayed")])
    assert result.exit_code == 0, result.output
    for original in (run_dir / "results").rglob("*.json"):
        twin = round_dir / "replayed" / "results" / original.relative_to(run_dir / "results")
        assert twin.read_bytes() == original.read_bytes(), original.name


def test_replay_missing_call_is_an_error_naming_it(round_dir: Path, repo_dir: Path) -> None:
    with FakeOpenAIServer(responder) as server:
        config = write_round(round_dir / "round.yaml", server.base_url, MODELS, ["q1"], repo_dir)
        assert CliRunner().invoke(app, ["run", str(config), "--out", str(round_dir / "run")]).exit_code == 0
    cassette = round_dir / "run" / "cassette.jsonl"
    lines = cassette.read_text().splitlines()
    kept = [line for line in lines if not ('"stage":"judge"' in line and '"model_id":"beta"' in line and '"respondent_id":"alpha"' in line)]
    assert len(kept) == len(lines) - 1
    cassette.write_text("\n".join(kept) + "\n")
    result = CliRunner().invoke(app, ["replay", str(round_dir / "run")])
    assert result.exit_code != 0
    assert "judge call of model 'beta'" in str(result.exception) and "alpha's answer" in str(result.exception)


def test_bad_config_names_file_and_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("models:\n  - id: a\n    name: A\n    provider: p\n    litellm_model: openai/a\n    concurency: 3\ntasks: [x]\n")
    import sys
    from subprocess import run

    done = run([sys.executable, "-m", "harness", "run", str(config), "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert done.returncode == 2
    assert str(config) in done.stderr
    assert "models[0].concurency: unknown field" in done.stderr

    config.write_text(config.read_text().replace("concurency: 3", "concurrency: many"))
    done = run([sys.executable, "-m", "harness", "run", str(config), "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert done.returncode == 2
    assert "models[0].concurrency: Input should be a valid integer" in done.stderr and "'many'" in done.stderr
    assert not (tmp_path / "r").exists(), "nothing is created for an invalid config"


def test_judging_starts_as_soon_as_an_answer_exists(round_dir: Path, repo_dir: Path) -> None:
    from harness.testing import FakeFault

    def slow_beta(request: FakeRequest) -> ResponderResult:
        if not is_judge_request(request) and request.model == "beta" and request.attempt <= 3:
            return FakeFault("server_error_500")  # beta's answer succeeds only on its 4th attempt
        return responder(request)

    with FakeOpenAIServer(slow_beta) as server:
        config = write_round(
            round_dir / "round.yaml", server.base_url, MODELS, ["q1"], repo_dir,
            retry={"max_attempts": 5, "initial_wait_s": 0.2, "max_wait_s": 0.4, "timeout_s": 10},
        )
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(round_dir / "run")])
        assert result.exit_code == 0, result.output
        requests = server.requests
    beta_answered = max(r.received_at for r in requests if r.model == "beta" and not is_judge_request(r))
    early_judging = [r for r in requests if is_judge_request(r) and r.received_at < beta_answered]
    assert len(early_judging) >= 2, "judges of alpha's and gamma's answers did not wait for beta's answer"


def test_bad_task_folder_names_file_and_field(tmp_path: Path, repo_dir: Path) -> None:
    write_question_task(tmp_path / "tasks", "q1", "T-001", "A question?")
    (tmp_path / "tasks" / "q1" / "task.json").write_text('{"task_kind": "question", "question_id": 7}')
    config = write_round(tmp_path / "round.yaml", "http://127.0.0.1:9/v1", MODELS, ["q1"], repo_dir)
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run")])
    assert result.exit_code != 0
    message = str(result.exception)
    assert "q1/task.json: question_id: Input should be a valid string" in message
    assert "q1/task.json: category: Field required" in message
    assert not (tmp_path / "run").exists()
