"""SIGKILL a running round at several points, resume it: no call paid twice, same results."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult

from ._round_fixtures import (
    TEST_KEY_ENV,
    is_judge_request,
    scores_for,
    write_question_task,
    write_round,
)
from .test_build_round import make_responder

MODELS = ["alpha", "beta", "gamma"]


def _harness(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, **{TEST_KEY_ENV: "sk-test"})
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _signature(model: str, messages: list[dict[str, Any]]) -> str:
    return json.dumps([model.split("/", 1)[-1], [[m["role"], m["content"]] for m in messages]])


def _recorded(run_dir: Path) -> set[str]:
    path = run_dir / "cassette.jsonl"
    found = set()
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by the kill
        found.add(_signature(record["request"]["model"], record["request"]["messages"]))
    return found


class KillSwitch:
    """Calls the responder; fires `event` when `trigger` says so."""

    def __init__(self, inner: Callable[[FakeRequest], ResponderResult], trigger: Callable[[FakeRequest], bool]) -> None:
        self.inner, self.trigger, self.event = inner, trigger, threading.Event()

    def __call__(self, request: FakeRequest) -> ResponderResult:
        if self.trigger(request):
            self.event.set()
        return self.inner(request)


def _kill_and_resume(server: FakeOpenAIServer, config: Path, run_dir: Path, wait_for: Callable[[], bool], resume_args: list[str]) -> None:
    process = _harness("run", str(config), "--out", str(run_dir), cwd=config.parent)
    deadline = time.monotonic() + 60
    while not wait_for():
        assert process.poll() is None, f"finished before the kill point: {process.communicate()[0]}"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = [_signature(r.model, r.messages) for r in server.requests]
    recorded = _recorded(run_dir)
    assert recorded, "calls finished before the kill are in the cassette"
    in_flight = set(before) - recorded
    resumed = _harness(*resume_args, cwd=config.parent)
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    after = [_signature(r.model, r.messages) for r in server.requests[len(before):]]
    assert after, "the resume made the missing calls"
    for signature in after:
        assert signature not in recorded, "a recorded call was paid twice"
    assert set(after) & set(before) <= in_flight
    assert len(after) == len(set(after))


def _strip(value: Any, drop: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_strip(v, drop) for v in value]
    return value


def _results(run_dir: Path) -> dict[str, Any]:
    timing = {"evaluation_id", "timestamp", "display_date", "latency_s", "wallSec", "wallClock", "median_wall_seconds", "generated_at", "date", "round"}
    found = {}
    for path in sorted((run_dir / "results").rglob("*.json")):
        data = json.loads(path.read_text())
        key = data.get("question_id", path.name) if isinstance(data, dict) else path.name
        found[str(key)] = _strip(data, timing)
    return found


@pytest.fixture
def question_round(tmp_path: Path, repo_dir: Path) -> Path:
    for index in range(2):
        write_question_task(tmp_path / "tasks", f"q{index}", f"K-{index:03d}", f"Crash question {index}?")
    return tmp_path


def _question_responder(request: FakeRequest) -> ResponderResult:
    if is_judge_request(request):
        return json.dumps(scores_for(request.model, request.last_user_text))
    # Distinct per model (and not a model name, which judges see masked), so every judge prompt differs.
    return f"Answer {hashlib.sha256(request.model.encode()).hexdigest()[:8]} to: {request.last_user_text}"


@pytest.mark.parametrize("point", ["answers", "judging"])
def test_sigkill_during_question_round_then_resume(question_round: Path, repo_dir: Path, point: str) -> None:
    with FakeOpenAIServer(_question_responder, latency_s=0.3) as baseline_server:
        config = write_round(question_round / "base.yaml", baseline_server.base_url, MODELS, ["q0", "q1"], repo_dir, concurrency=2)
        done = _harness("run", str(config), "--out", str(question_round / "base"), cwd=question_round)
        assert done.wait(timeout=300) == 0, done.communicate()[0]

    if point == "answers":
        trigger = KillSwitch(_question_responder, lambda r: not is_judge_request(r) and r.index >= 2)
    else:
        trigger = KillSwitch(_question_responder, lambda r: is_judge_request(r) and r.index >= 8)
    with FakeOpenAIServer(trigger, latency_s=0.3) as server:
        config = write_round(question_round / "crash.yaml", server.base_url, MODELS, ["q0", "q1"], repo_dir, concurrency=2)
        resume = ["run", str(config), "--out", str(question_round / "crash")] if point == "answers" else ["resume", str(question_round / "crash")]
        _kill_and_resume(server, config, question_round / "crash", trigger.event.is_set, resume)
    assert _results(question_round / "crash") == _results(question_round / "base")


@pytest.mark.docker
def test_sigkill_during_sandbox_runs_then_resume(tmp_path: Path, repo_dir: Path) -> None:
    import docker

    client = docker.from_env()
    responder = make_responder(repo_dir)
    with FakeOpenAIServer(responder) as baseline_server:
        config = write_round(tmp_path / "base.yaml", baseline_server.base_url, MODELS, ["build-slugify"], repo_dir,
                             tasks_dir=str(repo_dir / "tasks"), sandbox_parallel=1)
        done = _harness("run", str(config), "--out", str(tmp_path / "base"), cwd=tmp_path)
        assert done.wait(timeout=300) == 0, done.communicate()[0]

    run_dir = tmp_path / "crash"

    def sandbox_running() -> bool:
        return bool(client.api.containers(all=True, filters={"label": f"harness.run_id={run_dir.name}"}))

    with FakeOpenAIServer(responder) as server:
        config = write_round(tmp_path / "crash.yaml", server.base_url, MODELS, ["build-slugify"], repo_dir,
                             tasks_dir=str(repo_dir / "tasks"), sandbox_parallel=1)
        _kill_and_resume(server, config, run_dir, sandbox_running, ["resume", str(run_dir)])
    assert _results(run_dir) == _results(tmp_path / "base")
    assert not sandbox_running(), "containers of the killed run were swept, the resumed run's removed"
