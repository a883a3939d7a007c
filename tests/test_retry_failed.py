"""Failed calls made again (`--retry-failed`), runs that end incomplete, honest cassette and rescore messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from harness.cli import app
from harness.testing import FakeFault, FakeOpenAIServer, FakeRequest, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, is_judge_request, scores_for, write_question_task, write_round

MODELS = ["alpha", "beta", "gamma"]
BETA_KEY_ENV = "HARNESS_TEST_BETA_KEY"
GOOD_BETA_KEY = "sk-beta-good-0123456789"


def honest(request: FakeRequest) -> ResponderResult:
    if is_judge_request(request):
        return json.dumps(scores_for(request.model, request.last_user_text))
    return f"Answer of {request.model[::-1]} to: {request.last_user_text}"


def beta_needs_its_key(request: FakeRequest) -> ResponderResult:
    if request.model == "beta" and request.headers.get("authorization") != f"Bearer {GOOD_BETA_KEY}":
        return FakeFault("auth_error_401")
    return honest(request)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-shared-test-key")
    for index in range(2):
        write_question_task(tmp_path / "tasks", f"q{index}", f"R-{index:03d}", f"Question {index}: why retry?")
    return tmp_path


def _config(workdir: Path, base_url: str, name: str, repo_dir: Path) -> Path:
    config = write_round(workdir / f"{name}.yaml", base_url, MODELS, ["q0", "q1"], repo_dir)
    data = yaml.safe_load(config.read_text())
    data["models"][1]["api_key_env"] = BETA_KEY_ENV
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def _results_bytes(run_dir: Path) -> dict[str, bytes]:
    root = run_dir / "results"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _without_latency(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_latency(v) for k, v in value.items() if k != "latency_s"}
    if isinstance(value, list):
        return [_without_latency(v) for v in value]
    return value


def _same_as_clean(run_dir: Path, clean: Path) -> None:
    """Published files byte for byte; details files but for call latencies (timings differ between runs)."""
    ours, theirs = _results_bytes(run_dir), _results_bytes(clean)
    assert sorted(ours) == sorted(theirs)
    for name, data in ours.items():
        if name.startswith("details/"):
            assert _without_latency(json.loads(data)) == _without_latency(json.loads(theirs[name])), name
        else:
            assert data == theirs[name], name


def _clean_rerun(run_dir: Path, clean: Path) -> None:
    """The same run folder without its cassette and results, resumed: every call made fresh."""
    shutil.copytree(run_dir, clean, ignore=shutil.ignore_patterns("cassette.jsonl", "results", "replay", ".lock"))
    result = CliRunner().invoke(app, ["resume", str(clean), "--progress", "quiet"])
    assert result.exit_code == 0, result.output


def test_auth_failures_are_retried_after_the_key_is_set(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = workdir / "run"
    monkeypatch.setenv(BETA_KEY_ENV, "sk-beta-wrong")
    with FakeOpenAIServer(beta_needs_its_key) as server:
        config = _config(workdir, server.base_url, "round", repo_dir)
        first = CliRunner().invoke(app, ["run", str(config), "--out", str(run_dir)])
        assert first.exit_code == 4, first.output
        assert "beta:" in first.output and "auth error" in first.output
        assert f"harness resume {run_dir} --retry-failed" in first.output
        assert "alpha:" not in first.output.split("incomplete:")[1], "alpha's calls all succeeded"
        paid_first = len(server.requests)

        # Resuming without the flag serves the recorded 401s: nothing changes, and it still says so.
        monkeypatch.setenv(BETA_KEY_ENV, GOOD_BETA_KEY)
        plain = CliRunner().invoke(app, ["resume", str(run_dir)])
        assert plain.exit_code == 4 and len(server.requests) == paid_first

        retried = CliRunner().invoke(app, ["resume", str(run_dir), "--retry-failed"])
        assert retried.exit_code == 0, retried.output
        second_phase = server.requests[paid_first:]
        _clean_rerun(run_dir, workdir / "clean")
    assert "in place of recorded failures" in retried.output
    assert second_phase, "the failed calls were made again"
    for request in second_phase:
        about_beta = request.model == "beta" or (is_judge_request(request) and "ateb" in request.last_user_text)
        assert about_beta, f"a call that had succeeded was paid again: {request.model} {request.last_user_text[:60]}"
    assert all(r.headers.get("authorization") == f"Bearer {GOOD_BETA_KEY}" for r in second_phase if r.model == "beta")

    lines = (run_dir / "cassette.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    keys = [r["key"] for r in records]
    assert len(keys) > len(set(keys)), "the cassette kept the failed records beside the new ones"
    failed_first = [r for r in records if r["error"] and "401" in r["error"]]
    assert failed_first and all(r["failure"] == "infra" for r in failed_first)

    _same_as_clean(run_dir, workdir / "clean")

    replayed = CliRunner().invoke(app, ["replay", str(run_dir), "--out", str(workdir / "replayed"), "--progress", "quiet"])
    assert replayed.exit_code == 0, replayed.output
    assert _results_bytes(workdir / "replayed") == _results_bytes(run_dir), "replay serves the latest record of each call"

    report = CliRunner().invoke(app, ["report", str(run_dir), "--out", str(workdir / "report.html")])
    assert report.exit_code == 0, report.output
    html = (workdir / "report.html").read_text()
    assert "Calls made again" in html and "AuthenticationError 401" in html


def test_outage_over_a_quarter_of_calls_ends_incomplete(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BETA_KEY_ENV, GOOD_BETA_KEY)
    down = {"on": True}

    def beta_down(request: FakeRequest) -> ResponderResult:
        return FakeFault("unavailable_503") if request.model == "beta" and down["on"] else honest(request)

    with FakeOpenAIServer(beta_down) as server:
        config = _config(workdir, server.base_url, "round", repo_dir)
        first = CliRunner().invoke(app, ["run", str(config), "--out", str(workdir / "run"), "--progress", "quiet"])
        assert first.exit_code == 4
        assert "beta:" in first.output and "more than 25% failed" in first.output
        down["on"] = False
        again = CliRunner().invoke(app, ["resume", str(workdir / "run"), "--retry-failed", "--progress", "quiet"])
        assert again.exit_code == 0, again.output
    details = json.loads((workdir / "run" / "results" / "details" / "q0.json").read_text())
    assert all(answer["error"] is None for answer in details["answers"])


def test_unusable_judge_replies_are_remade_only_with_retry_failed_all(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BETA_KEY_ENV, GOOD_BETA_KEY)
    broken = {"on": True}

    def gamma_rambles(request: FakeRequest) -> ResponderResult:
        if request.model == "gamma" and is_judge_request(request) and broken["on"]:
            return "I would rather not give numbers."
        return honest(request)

    run_dir = workdir / "run"
    with FakeOpenAIServer(gamma_rambles) as server:
        config = _config(workdir, server.base_url, "round", repo_dir)
        first = CliRunner().invoke(app, ["run", str(config), "--out", str(run_dir), "--progress", "jsonl"])
        assert first.exit_code == 0, "unusable replies are the model's failure, not an incomplete run"
        report = json.loads(first.output.strip().splitlines()[-1])
        assert report["event"] == "report" and report["unusable_replies"] == {"gamma": 4}
        summary = CliRunner().invoke(app, ["resume", str(run_dir)], terminal_width=200)
        assert summary.exit_code == 0 and "unusable" in summary.output and "outside" in summary.output
        gamma_row = next(line for line in summary.output.splitlines() if line.strip("│ ").startswith("gamma"))
        assert [cell.strip() for cell in gamma_row.split("│")[2:6]] == ["10", "0", "0", "4"], gamma_row
        broken["on"] = False
        paid = len(server.requests)
        infra_only = CliRunner().invoke(app, ["resume", str(run_dir), "--retry-failed", "--progress", "quiet"])
        assert infra_only.exit_code == 0 and len(server.requests) == paid, "model failures are kept without `all`"
        retried = CliRunner().invoke(app, ["resume", str(run_dir), "--retry-failed", "all"])
        assert retried.exit_code == 0, retried.output
        remade = server.requests[paid:]
    assert len(remade) == 4 and all(r.model == "gamma" and is_judge_request(r) for r in remade)
    for task in ("q0", "q1"):
        details = json.loads((run_dir / "results" / "details" / f"{task}.json").read_text())
        gamma = [j for j in details["judgments"] if j["judge_id"] == "gamma" and j["respondent_id"] != "gamma"]
        assert gamma and all(j["error"] is None and j["weighted_score"] is not None for j in gamma)
    replayed = CliRunner().invoke(app, ["replay", str(run_dir), "--out", str(workdir / "replayed"), "--progress", "quiet"])
    assert replayed.exit_code == 0, replayed.output
    assert _results_bytes(workdir / "replayed") == _results_bytes(run_dir)


def test_empty_replies_are_retried_once(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BETA_KEY_ENV, GOOD_BETA_KEY)

    def beta_empty(request: FakeRequest) -> ResponderResult:
        return FakeFault("empty_choices") if request.model == "beta" and not is_judge_request(request) else honest(request)

    with FakeOpenAIServer(beta_empty) as server:
        config = _config(workdir, server.base_url, "round", repo_dir)
        text = config.read_text().replace("max_attempts: 2", "max_attempts: 5")
        config.write_text(text)
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(workdir / "run"), "--progress", "quiet"])
        assert result.exit_code == 0, "an empty reply is the model's failure"
        beta_answers = [r for r in server.requests if r.model == "beta" and not is_judge_request(r)]
    assert len(beta_answers) == 4, "two questions, each asked twice (not five times)"
    records = [json.loads(line) for line in (workdir / "run" / "cassette.jsonl").read_text().splitlines()]
    empty = [r for r in records if r["error"]]
    assert len(empty) == 2 and all(r["failure"] == "model" and "after 2 attempts" in r["error"] for r in empty)


def _finished_run(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(BETA_KEY_ENV, GOOD_BETA_KEY)
    with FakeOpenAIServer(honest) as server:
        config = _config(workdir, server.base_url, "round", repo_dir)
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(workdir / "run"), "--progress", "quiet"])
        assert result.exit_code == 0, result.output
    return workdir / "run"


def test_cassette_damage_is_named_and_told_from_a_torn_line(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = _finished_run(workdir, repo_dir, monkeypatch)
    cassette = run_dir / "cassette.jsonl"
    intact = cassette.read_bytes()
    lines = intact.decode().splitlines(keepends=True)

    # Damage in the middle: refused by replay and resume, naming the line; --repair drops it and remakes its call.
    lines[3] = "#" + lines[3][1:]
    cassette.write_text("".join(lines))
    for args in (["replay", str(run_dir), "--out", str(workdir / "r1")], ["resume", str(run_dir)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code != 0
        message = str(result.exception)
        assert f"{cassette}: 1 damaged line(s)" in message and "line 4: damaged" in message and "--repair" in message
    with FakeOpenAIServer(honest) as server:
        text = (run_dir / "round.yaml").read_text()
        old_base = text.split("api_base: ")[1].split("\n")[0]
        (run_dir / "round.yaml").write_text(text.replace(old_base, server.base_url))
        repaired = CliRunner().invoke(app, ["resume", str(run_dir), "--repair"])
        assert repaired.exit_code == 0, repaired.output
        assert len(server.requests) == 1, "only the dropped line's call was made again"
    assert "cassette line 4: damaged" in repaired.output and "dropped" in repaired.output

    # A torn last line (what a crash mid-write leaves) is dropped with that name, not refused.
    data = cassette.read_bytes()
    cassette.write_bytes(data[: len(data) - 40])
    replay = CliRunner().invoke(app, ["replay", str(run_dir), "--out", str(workdir / "r2")])
    assert replay.exit_code != 0
    assert "cut short by a crash" in str(replay.exception) and f"harness resume {run_dir}" in str(replay.exception)


def test_rescore_lists_uncounted_judgments_and_needs_drop_invalid(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = _finished_run(workdir, repo_dir, monkeypatch)
    evaluation = next((run_dir / "results").glob("EVAL-*.json"))
    data = json.loads(evaluation.read_text())
    data["judgments"][0]["weighted_score"] = 11
    bad = workdir / "bad.json"
    bad.write_text(json.dumps(data))
    judge, respondent = data["judgments"][0]["judge_key"], data["judgments"][0]["respondent_key"]

    refused = CliRunner().invoke(app, ["rescore", str(bad), "--out", str(workdir / "out.json")])
    assert refused.exit_code == 5
    assert f"not counted: judgments[0] {judge} -> {respondent} (score 11): score outside (0, 10]" in refused.output
    assert "--drop-invalid" in refused.output and not (workdir / "out.json").exists()

    dropped = CliRunner().invoke(app, ["rescore", str(bad), "--out", str(workdir / "out.json"), "--drop-invalid"])
    assert dropped.exit_code == 0, dropped.output
    assert "1 invalid judgment(s) left out" in dropped.output
    rescored = json.loads((workdir / "out.json").read_text())
    entry = rescored["rankings"][respondent]
    assert entry["score_count"] == data["rankings"][respondent]["score_count"] - 1


def test_report_says_why_a_higher_ranked_model_did_not_win(workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BETA_KEY_ENV, GOOD_BETA_KEY)

    def alpha_praised_once(request: FakeRequest) -> ResponderResult:
        if is_judge_request(request) and any("ahpla" in str(m.get("content")) for m in request.messages):
            if request.model == "beta":
                return json.dumps({**scores_for("x", ""), "correctness": 10, "completeness": 10, "clarity": 10, "depth": 10, "usefulness": 10})
            return "no scores from me"
        if is_judge_request(request):
            return json.dumps({**scores_for("x", ""), "correctness": 5, "completeness": 5, "clarity": 5, "depth": 5, "usefulness": 5})
        return honest(request)

    models = ["alpha", "beta", "gamma", "delta"]
    with FakeOpenAIServer(alpha_praised_once) as server:
        config = write_round(workdir / "round.yaml", server.base_url, models, ["q0"], repo_dir)
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(workdir / "run"), "--progress", "quiet"])
        assert result.exit_code == 0, result.output
    report = CliRunner().invoke(app, ["report", str(workdir / "run"), "--out", str(workdir / "report.html")])
    assert report.exit_code == 0, report.output
    html = (workdir / "report.html").read_text()
    assert "Ranked above it but not qualified: Alpha Model (rank 1) has 1 valid judges of the 2 it needs (80% of the 3 assigned" in html
