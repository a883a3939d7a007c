"""Calls made by call workers (`calls: {workers: N}`): real worker processes, real LiteLLM, the fake server.

The driver keeps the cassette, retries and limits; the workers make single attempts. A round with
workers must give the files a round without them gives, hold the round's limit at the server, keep
API keys out of the workers' environments, and survive a worker killed mid-round with every call
recorded once.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from harness.cli import app
from harness.llm import CallMeta, ChatMessage, ChatRequest, Endpoint, LiteLLMClient
from harness.llm._call_workers import ProcessCallWorkers, split_concurrency
from harness.testing import FakeFault, FakeOpenAIServer, FakeRequest, ResponderResult, echo_responder

from ._round_fixtures import TEST_KEY_ENV, is_judge_request, scores_for, write_question_task, write_round
from .test_retry_failed import _same_as_clean

MODELS = ["alpha", "beta", "gamma", "delta"]
KEY = "sk-worker-test-0123456789"


def honest_with_key(request: FakeRequest) -> ResponderResult:
    if request.headers.get("authorization") != f"Bearer {KEY}":
        return FakeFault("auth_error_401")
    if is_judge_request(request):
        return json.dumps(scores_for(request.model, request.last_user_text))
    return f"Answer of {request.model[::-1]} to: {request.last_user_text}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TEST_KEY_ENV, KEY)
    for index in range(3):
        write_question_task(tmp_path / "tasks", f"q{index}", f"W-{index:03d}", f"Question {index}: why workers?")
    return tmp_path


def _config(workdir: Path, base_url: str, name: str, repo_dir: Path, **extra: object) -> Path:
    return write_round(workdir / f"{name}.yaml", base_url, MODELS, ["q0", "q1", "q2"], repo_dir, **extra)


def _run(config: Path, out: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(out), "--progress", "quiet"])
    assert result.exit_code == 0, result.output


def _records(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir / "cassette.jsonl").read_text().splitlines()]


def _worker_pids() -> list[int]:
    """Call worker processes that are children of this test process."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"harness.llm._call_worker" in cmdline:
            pids.append(int(entry.name))
    return pids


def test_shares_add_up_to_the_round_limit() -> None:
    assert split_concurrency(64, 2) == [32, 32]
    assert split_concurrency(5, 3) == [2, 2, 1]
    assert split_concurrency(2, 8) == [1, 1]


def _rerun_with_workers(run_dir: Path, rerun: Path, workers: int, base_url: str) -> None:
    """The same run folder (same timestamp, same names) without cassette and results, its recorded
    config given `calls: {workers: N}` (0: calls in the loop), resumed: every call made fresh."""
    shutil.copytree(run_dir, rerun, ignore=shutil.ignore_patterns("cassette.jsonl", "results", "replay", ".lock"))
    recorded = rerun / "round.yaml"
    data = yaml.safe_load(recorded.read_text())
    data["calls"] = {"workers": workers}
    if not workers:
        del data["calls"]
    for model in data["models"]:
        model["api_base"] = base_url
    recorded.write_text(yaml.safe_dump(data, sort_keys=False))
    result = CliRunner().invoke(app, ["resume", str(rerun), "--progress", "quiet"])
    assert result.exit_code == 0, result.output


def test_round_with_workers_gives_the_files_of_a_round_without(workdir: Path, repo_dir: Path) -> None:
    with FakeOpenAIServer(honest_with_key, latency_s=0.02) as server:
        _run(_config(workdir, server.base_url, "in-loop", repo_dir), workdir / "in-loop")
        _rerun_with_workers(workdir / "in-loop", workdir / "workers", 2, server.base_url)
        assert server.request_count() == 2 * (4 * 3 + 4 * 3 * 3)

    records = _records(workdir / "workers")
    assert len(records) == 4 * 3 + 4 * 3 * 3  # answers, then every other model judges each
    assert all(r["error"] is None for r in records), [r["error"] for r in records if r["error"]]
    _same_as_clean(workdir / "workers", workdir / "in-loop")
    replay = CliRunner().invoke(app, ["replay", str(workdir / "workers"), "--out", str(workdir / "replayed")])
    assert replay.exit_code == 0, replay.output
    _same_as_clean(workdir / "replayed", workdir / "workers")


def test_workers_hold_no_api_key_and_calls_carry_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, KEY)
    seen_environ: list[bytes] = []

    async def run(server: FakeOpenAIServer) -> list[bool]:
        workers = ProcessCallWorkers(2, 4, secret_env_names=[TEST_KEY_ENV])
        client = LiteLLMClient(
            {"alpha": Endpoint(api_base=server.base_url, api_key_env=TEST_KEY_ENV, concurrency=4)},
            concurrency=4, max_attempts=1, backend=workers,
        )
        try:
            records = await asyncio.gather(*(
                client.complete(
                    ChatRequest(model="openai/alpha", messages=(ChatMessage(role="user", content=f"hello {i}"),)),
                    CallMeta(stage="answer", model_id="alpha", task_id=f"t{i}"),
                )
                for i in range(6)
            ))
            seen_environ.extend(Path(f"/proc/{pid}/environ").read_bytes() for pid in workers.pids)
        finally:
            await client.aclose()
        return [r.ok for r in records]

    with FakeOpenAIServer(honest_with_key) as server:
        oks = asyncio.run(run(server))

    assert oks == [True] * 6  # each request carried the key the driver read
    assert len(seen_environ) == 2
    for environ in seen_environ:
        assert f"{TEST_KEY_ENV}=".encode() not in environ
        assert KEY.encode() not in environ


@pytest.mark.parametrize("transport", ["shared session", "outside the session"])
def test_round_limit_holds_across_workers(
    workdir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    """Each worker keeps its share on the wire; a provider sending outside the shared session (LiteLLM's
    httpx transport stands in) holds a slot for its whole call, in the workers as in the driver."""
    if transport == "outside the session":
        monkeypatch.setenv("DISABLE_AIOHTTP_TRANSPORT", "True")
    models = {m: 50 for m in MODELS}
    with FakeOpenAIServer(echo_responder(), latency_s=0.1) as server:
        config = write_round(workdir / "limit.yaml", server.base_url, MODELS, ["q0", "q1", "q2"], repo_dir,
                             concurrency=5, calls={"workers": 3})
        data = yaml.safe_load(config.read_text())
        for model in data["models"]:
            model["concurrency"] = models[model["id"]]
        config.write_text(yaml.safe_dump(data, sort_keys=False))
        _run(config, workdir / "limit")
        assert server.peak_in_flight() == 5
    assert all(r["error"] is None for r in _records(workdir / "limit"))


def test_a_worker_killed_mid_round_loses_no_call(workdir: Path, repo_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    killed: list[int] = []

    def kill_one_worker(server: FakeOpenAIServer, stop: threading.Event) -> None:
        while not stop.is_set():
            pids = _worker_pids()
            if len(pids) == 2 and server.request_count() >= 12:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            time.sleep(0.01)

    with FakeOpenAIServer(honest_with_key, latency_s=0.2) as server:
        stop = threading.Event()
        killer = threading.Thread(target=kill_one_worker, args=(server, stop))
        killer.start()
        try:
            _run(_config(workdir, server.base_url, "killed", repo_dir, calls={"workers": 2}, concurrency=8), workdir / "killed")
        finally:
            stop.set()
            killer.join()
        requests_seen = server.request_count()

    assert killed, "the worker was not killed mid-round"
    lost = [r.getMessage() for r in caplog.records if r.name == "harness.llm.workers"]
    assert len(lost) == 1 and f"(pid {killed[0]}) exited (code -9)" in lost[0], lost
    assert "made again" in lost[0]
    records = _records(workdir / "killed")
    keys = [r["key"] for r in records]
    assert len(keys) == len(set(keys)) == 4 * 3 + 4 * 3 * 3  # every call recorded, none twice
    assert all(r["error"] is None for r in records)
    retried = [r for r in records if r["attempts"] > 1]
    assert retried, "no attempt was lost with the worker"
    # Every request the server saw is an attempt a record counts: nothing was paid unseen.
    assert requests_seen <= sum(int(r["attempts"]) for r in records)
    with FakeOpenAIServer(honest_with_key) as server:
        _rerun_with_workers(workdir / "killed", workdir / "clean", 0, server.base_url)
    _same_as_clean(workdir / "killed", workdir / "clean")
