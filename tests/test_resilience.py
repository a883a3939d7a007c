"""Flaky providers, budgets, blinding and secrets: rounds finish, nothing leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.testing import (
    ALL_FAULTS,
    FakeOpenAIServer,
    FakeReply,
    FakeRequest,
    ResponderResult,
)

from ._round_fixtures import (
    TEST_KEY_ENV,
    is_judge_request,
    scores_for,
    write_question_task,
    write_round,
)

MODELS = ["alpha", "beta", "gamma"]
# Every fault except the final ones (401, 400), which are never retried.
FAULTS = [fault for fault in ALL_FAULTS if fault not in ("auth_error_401", "bad_request_400")]
PLANTED_KEY = "sk-planted-0123456789abcdef"


def responder(request: FakeRequest) -> ResponderResult:
    if is_judge_request(request):
        return json.dumps(scores_for(request.model, request.last_user_text))
    return FakeReply(content=f"As {request.model} by VendorCo, I answer: {request.last_user_text[:30]}", prompt_tokens=200, completion_tokens=400)


@pytest.fixture
def tasks_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TEST_KEY_ENV, PLANTED_KEY)
    for index in range(3):
        write_question_task(tmp_path / "tasks", f"q{index}", f"F-{index:03d}", f"Question {index}: explain retries.")
    return tmp_path


def test_thirty_percent_faults_round_completes(tasks_root: Path, repo_dir: Path) -> None:
    with FakeOpenAIServer(responder, fault_rate=0.3, faults=FAULTS, seed=7, retry_after_s=0.05, timeout_hang_s=5) as server:
        config = write_round(
            tasks_root / "round.yaml", server.base_url, MODELS, ["q0", "q1", "q2"], repo_dir,
            retry={"max_attempts": 4, "initial_wait_s": 0.01, "max_wait_s": 0.1, "timeout_s": 1.5},
        )
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
        assert result.exit_code == 0, result.output
        faulted = len(server.requests)
    run_dir = tasks_root / "run"
    assert faulted > 3 * 9, "faults caused retries"
    records = [json.loads(line) for line in (run_dir / "cassette.jsonl").read_text().splitlines()]
    assert any(r["attempts"] > 1 for r in records), "some calls needed retries"
    for index in range(3):
        details = json.loads((run_dir / "results" / "details" / f"q{index}.json").read_text())
        for answer in details["answers"]:
            assert answer["text"] is not None or answer["error"], "every answer is a reply or a recorded failure"
        for judgment in details["judgments"]:
            if judgment["judge_id"] == judgment["respondent_id"]:
                continue
            scored = judgment["weighted_score"] is not None and judgment["error"] is None
            failed = judgment["weighted_score"] is None and bool(judgment["error"])
            assert scored or failed, judgment
    failures = [r["error"] for r in records if r["error"]]
    for error in failures:
        bound = "after 2 attempts" if error.startswith("EmptyReplyError") else "after 4 attempts"
        assert bound in error, "a failure names its reason and the bounded retries (an empty reply is retried once)"
    evaluation_files = list((run_dir / "results").glob("EVAL-*.json"))
    assert len(evaluation_files) == 3
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert PLANTED_KEY not in path.read_text(errors="replace")
    assert PLANTED_KEY not in result.output


def test_masking_is_recorded_and_can_be_turned_off(tasks_root: Path, repo_dir: Path) -> None:
    for mask in (True, False):
        with FakeOpenAIServer(responder) as server:
            config = write_round(tasks_root / f"round-{mask}.yaml", server.base_url, MODELS, ["q0"], repo_dir, mask_identities=mask)
            result = CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / f"run-{mask}")])
            assert result.exit_code == 0, result.output
            judge_texts = [json.dumps(r.messages) for r in server.requests if is_judge_request(r)]
        details = json.loads((tasks_root / f"run-{mask}" / "results" / "details" / "q0.json").read_text())
        masked = [j["masked_terms"] for j in details["judgments"] if j["judge_id"] != j["respondent_id"]]
        if mask:
            assert all(terms for terms in masked), "the mask is recorded per judgment"
            assert not any(name in text for text in judge_texts for name in MODELS)
        else:
            assert all(terms == [] for terms in masked)
            assert any("alpha" in text for text in judge_texts)


PRICED = "gpt-4o-mini"  # in LiteLLM's local price map; served here by the fake server


def test_max_cost_stops_and_resume_finishes(tasks_root: Path, repo_dir: Path) -> None:
    runner = CliRunner()
    with FakeOpenAIServer(responder, latency_s=0.05) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0", "q1", "q2"], repo_dir)
        text = (tasks_root / "round.yaml").read_text().replace("openai/alpha", f"openai/{PRICED}")
        text = text.replace("openai/beta", f"openai/{PRICED}").replace("openai/gamma", f"openai/{PRICED}")
        (tasks_root / "round.yaml").write_text(text)
        dry = runner.invoke(app, ["run", str(config), "--dry-run"])
        assert dry.exit_code == 0 and "9 answer, 18 judge" in dry.output and "unknown" not in dry.output
        assert not (tasks_root / "run").exists()
        limit = 0.004
        stopped = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run"), "--max-cost", str(limit)])
        assert stopped.exit_code == 3, stopped.output
        assert "harness resume" in stopped.output
        first = len(server.requests)
        records = [json.loads(line) for line in (tasks_root / "run" / "cassette.jsonl").read_text().splitlines()]
        spent = sum(r["cost_usd"] or 0 for r in records)
        assert 0 < spent <= limit, "stops before passing the limit"
        assert first < 27, "not every call was made"
        assert not list((tasks_root / "run" / "results").glob("EVAL-*.json"))
        resumed = runner.invoke(app, ["resume", str(tasks_root / "run")])
        assert resumed.exit_code == 0, resumed.output
        assert len(server.requests) == 27, "resume makes exactly the missing calls"
    assert len(list((tasks_root / "run" / "results").glob("EVAL-*.json"))) == 3


def test_changed_config_is_refused_on_resume(tasks_root: Path, repo_dir: Path) -> None:
    with FakeOpenAIServer(responder) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir)
        assert CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / "run")]).exit_code == 0
        (tasks_root / "round.yaml").write_text((tasks_root / "round.yaml").read_text().replace("seed: 1", "seed: 2"))
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
    assert result.exit_code != 0
    assert "-seed: 1" in str(result.exception) and "+seed: 2" in str(result.exception)


def test_retry_after_is_honoured(tasks_root: Path, repo_dir: Path) -> None:
    from harness.testing import FakeFault

    def throttled(request: FakeRequest) -> ResponderResult:
        if request.attempt == 1 and not is_judge_request(request) and request.model == "alpha":
            return FakeFault("rate_limit_retry_after")
        return responder(request)

    with FakeOpenAIServer(throttled, retry_after_s=1.0) as server:
        config = write_round(
            tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir,
            retry={"max_attempts": 3, "initial_wait_s": 0.01, "max_wait_s": 5, "timeout_s": 5},
        )
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
        assert result.exit_code == 0, result.output
        alpha = sorted(r.received_at for r in server.requests if r.model == "alpha" and not is_judge_request(r))
    assert len(alpha) == 2
    assert alpha[1] - alpha[0] >= 0.95, "waited as long as Retry-After asked, not the 0.01 s backoff"


def test_auth_errors_are_not_retried(tasks_root: Path, repo_dir: Path) -> None:
    from harness.testing import FakeFault

    def no_auth(request: FakeRequest) -> ResponderResult:
        return FakeFault("auth_error_401") if request.model == "beta" else responder(request)

    with FakeOpenAIServer(no_auth) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir)
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
        assert result.exit_code == 4, "an auth error makes the run incomplete"
        assert f"harness resume {tasks_root / 'run'} --retry-failed" in result.output
        beta_answers = [r for r in server.requests if r.model == "beta" and not is_judge_request(r)]
    assert len(beta_answers) == 1, "401 is final"
    details = json.loads((tasks_root / "run" / "results" / "details" / "q0.json").read_text())
    beta = next(a for a in details["answers"] if a["model_id"] == "beta")
    assert beta["text"] is None and "AuthenticationError 401" in beta["error"] and "after 1 attempt" in beta["error"]
    assert PLANTED_KEY not in beta["error"]


def test_resume_accepts_changed_limits(tasks_root: Path, repo_dir: Path) -> None:
    with FakeOpenAIServer(responder) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir)
        assert CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / "run")]).exit_code == 0
        first = len(server.requests)
        text = (tasks_root / "round.yaml").read_text().replace("concurrency: 4", "concurrency: 2")
        (tasks_root / "round.yaml").write_text(text)
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
        assert result.exit_code == 0, result.output
        assert len(server.requests) == first, "everything was served from the cassette"
    assert "concurrency: 2" in (tasks_root / "run" / "round.yaml").read_text()
