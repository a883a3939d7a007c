"""Dispatch benchmark: an N-model x T-question round against a local server with fixed latency.

Prints wall time, the lower bound max(critical path, calls x latency / concurrency),
their ratio, calls/s and the harness's CPU milliseconds per call. The server runs in a
child process so its CPU time is not counted as the harness's.

With `--workers N` the round's config says `calls: {workers: N}`: worker processes make the
attempts, and the driver (this process) keeps the cassette, retries and limits. Their
start (each imports LiteLLM) is printed apart and not timed, as the warm-up's import is
not timed without workers; the CPU per call is then the driver's, and the workers' apart.

    python benchmarks/dispatch.py --models 10 --questions 10 --latency 0.5 --concurrency 64
    python benchmarks/dispatch.py --workers 2 --repeat 5
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult  # noqa: E402

SCORES = {"correctness": 8, "completeness": 7, "clarity": 8, "depth": 6, "usefulness": 7, "brief_justification": "fine"}


def _respond(request: FakeRequest) -> ResponderResult:
    if "RESPONSE TO EVALUATE" in request.last_user_text:
        return json.dumps(SCORES)
    return f"An answer from a benchmark model ({request.model})."


_ANSWERED_AT: list[float] = []
"""In the server process: when each reply was made (`time.monotonic`, one clock for every process here)."""


def _respond_and_log(request: FakeRequest) -> ResponderResult:
    _ANSWERED_AT.append(time.monotonic())
    return _respond(request)


def _serve(latency: float, port_queue: "multiprocessing.Queue[Any]", stop: "multiprocessing.synchronize.Event") -> None:
    """Serve until `stop`, then put on the queue the CPU seconds the server used after start-up and
    the arrival time of every request (the responder runs `latency` after a request arrives)."""
    with FakeOpenAIServer(_respond_and_log, latency_s=latency) as server:
        started = resource.getrusage(resource.RUSAGE_SELF)
        port_queue.put(server.base_url)
        stop.wait()
        ended = resource.getrusage(resource.RUSAGE_SELF)
    port_queue.put((ended.ru_utime - started.ru_utime) + (ended.ru_stime - started.ru_stime))
    port_queue.put([answered - latency for answered in _ANSWERED_AT])


class _FullCollections:
    """The driver's full garbage collections (generation 2), logged with `gc.callbacks`."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []
        self._began = 0.0
        gc.callbacks.append(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.monotonic()
        elif info["generation"] == 2:
            self.pauses.append((self._began, time.monotonic() - self._began))

    def within(self, window: tuple[float, float]) -> list[float]:
        return [length for began, length in self.pauses if window[0] <= began <= window[1]]


def _print_server_view(windows: list[tuple[float, float, float]], arrivals: list[float], latency: float, concurrency: int) -> None:
    """Per round, from the server's side: requests held on average, and the longest pause in requests
    arriving during the first wave (while the first `concurrency` requests go out), and the round's two ends: from
    its start to the first request (the workers' start, untimed, left out) and from the last reply to its return."""
    import numpy as np

    print("\nfrom the server's side, per round:")
    for number, (begin, end, untimed) in enumerate(windows, start=1):
        arrived = np.array(sorted(a for a in arrivals if begin <= a <= end))
        if len(arrived) < 2:
            continue
        grid = np.arange(arrived[0], arrived[-1] + latency, 0.002)
        held = np.searchsorted(arrived, grid, side="right") - np.searchsorted(arrived + latency, grid, side="right")
        first_wave = arrived[: min(concurrency, len(arrived))]
        longest_pause = float(np.diff(first_wave).max()) if len(first_wave) > 1 else 0.0
        print(f"  round {number}: held {held.mean():.1f} of {concurrency} requests on average; "
              f"longest pause while the first {len(first_wave)} went out {1000 * longest_pause:.0f} ms; "
              f"first request {1000 * (arrived[0] - begin - untimed):.0f} ms after the round began, "
              f"round ended {1000 * (end - arrived[-1] - latency):.0f} ms after the last reply")


def _write_round(folder: Path, base_url: str, models: int, questions: int, concurrency: int, workers: int) -> Path:
    import yaml

    tasks = folder / "tasks"
    for index in range(questions):
        task = tasks / f"q{index:02d}"
        task.mkdir(parents=True)
        (task / "task.json").write_text(json.dumps({"task_kind": "question", "question_id": f"B-{index:03d}", "category": "bench"}))
        (task / "PROMPT.md").write_text(f"Benchmark question number {index}: explain something.\n")
    config = {
        "name": "dispatch-benchmark",
        "models": [
            {"id": f"m{i:02d}", "name": f"Bench {i}", "provider": "local", "litellm_model": f"openai/bench-{i}",
             "api_base": base_url, "api_key_env": "BENCH_KEY", "concurrency": concurrency}
            for i in range(models)
        ],
        "tasks": [f"q{i:02d}" for i in range(questions)],
        "tasks_dir": "tasks",
        "judges_dir": str(REPO / "judges"),
        "concurrency": concurrency,
    }
    if workers:
        config["calls"] = {"workers": workers}
    path = folder / "round.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _warm_up(base_url: str) -> tuple[float, float]:
    """One untimed call through the harness's LiteLLM client: LiteLLM imports provider
    modules on first use, and that is not dispatch cost. The call also teaches the process
    that the provider sends through the harness's shared session (see harness/llm/_wire.py);
    `--cold-route` forgets that. The call's log is flushed before its event loop closes, so
    LiteLLM's logging worker carries nothing over to the round's loop.
    """
    import asyncio

    from harness.llm import (
        CallMeta,
        ChatMessage,
        ChatRequest,
        Endpoint,
        LiteLLMClient,
        import_litellm,
    )

    started = time.perf_counter()
    import_litellm()
    imported = time.perf_counter()

    async def call_and_flush() -> None:
        client = LiteLLMClient({"warm-up": Endpoint(api_base=base_url, api_key_env="BENCH_KEY", concurrency=1)})
        request = ChatRequest(model="openai/warm-up", messages=(ChatMessage(role="user", content="warm up"),))
        record = await client.complete(request, CallMeta(stage="answer", model_id="warm-up", task_id="warm-up"))
        if not record.ok:
            raise SystemExit(f"warm-up call failed: {record.error}")
        await client.aclose()

    asyncio.run(call_and_flush())
    return imported - started, time.perf_counter() - imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--cold-route",
        action="store_true",
        help="forget what the warm-up call learnt about the provider's route, as a fresh `harness run` would",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds to run one after another (this VM's speed drifts)")
    parser.add_argument("--workers", type=int, default=0, help="call worker processes (0: calls in the driver's event loop)")
    args = parser.parse_args()
    os.environ["BENCH_KEY"] = "sk-bench"

    context = multiprocessing.get_context("spawn")
    port_queue: multiprocessing.Queue[Any] = context.Queue()
    stop = context.Event()
    server = context.Process(target=_serve, args=(args.latency, port_queue, stop), daemon=True)
    server.start()
    base_url = str(port_queue.get(timeout=30))

    import_s, warm_up_s = _warm_up(base_url)
    print(f"round: {args.models} models x {args.questions} questions, latency {args.latency} s, concurrency {args.concurrency}")
    print(f"call workers:        {args.workers or 'none (calls in the driver event loop)'}")
    print(f"warm-up (untimed):   import LiteLLM {import_s:.2f} s, then 1 call {warm_up_s:.2f} s (provider modules load on first use)")
    print(f"provider route:      {'unknown at the start of each round (--cold-route)' if args.cold_route else 'learnt by the warm-up call'}")
    ratios: list[float] = []
    driver_cpu: list[float] = []
    windows: list[tuple[float, float, float]] = []
    collections = _FullCollections()
    calls = 0
    try:
        for repeat in range(args.repeat):
            if args.repeat > 1:
                print(f"\n-- round {repeat + 1} of {args.repeat}")
            # A `harness run` is a process of its own: the rounds before this one leave it no garbage
            # for its collector to trace (30,000 objects and 50-100 ms in the middle of a round, seen).
            gc.collect()
            ratio, cpu_ms, round_calls, window = _timed_round(args, base_url)
            windows.append(window)
            pauses = collections.within(windows[-1][:2])
            print(f"driver full GCs:     {len(pauses)}, {1000 * sum(pauses):.0f} ms in all, longest {1000 * max(pauses, default=0):.0f} ms")
            ratios.append(ratio)
            driver_cpu.append(cpu_ms)
            calls += round_calls
    finally:
        stop.set()
        server_cpu_s = float(port_queue.get(timeout=30))
        arrivals = list(port_queue.get(timeout=30))
        server.join(timeout=10)
    _print_server_view(windows, arrivals, args.latency, args.concurrency)
    # The server shares the machine's cores with the harness: on 2 cores its CPU is part of the ratio.
    print(f"\nserver CPU per call: {1000 * server_cpu_s / max(calls + 1, 1):.2f} ms  ({server_cpu_s:.2f} s in all, warm-up included)")
    if len(ratios) > 1:
        print(f"\nratios over {len(ratios)} rounds: min {min(ratios):.3f}, median {statistics.median(ratios):.3f}, max {max(ratios):.3f}")
        print(f"driver CPU per call over {len(ratios)} rounds: median {statistics.median(driver_cpu):.2f} ms")


def _timed_round(args: argparse.Namespace, base_url: str) -> tuple[float, float, int, tuple[float, float, float]]:
    """Run one round, print its figures; return its ratio, the driver's CPU milliseconds per call, the calls made and
    when it ran: its start and end (`time.monotonic`) and the seconds left out of its wall time (the workers' start)."""
    from harness.config import load_round_config
    from harness.llm._call_workers import ProcessCallWorkers
    from harness.session import live_client, run_round

    if args.cold_route:
        from harness.llm import _wire

        _wire.ROUTE_USES_SESSION.clear()
    import harness.session._session as session_module

    emit_all = session_module.emit_all
    emitted: list[float] = []

    def timed_emit_all(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return emit_all(*args)
        finally:
            emitted.append(time.perf_counter() - started)

    session_module.emit_all = timed_emit_all  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as scratch:
        config = _write_round(Path(scratch), base_url, args.models, args.questions, args.concurrency, args.workers)
        client = live_client(load_round_config(config))
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        began = time.monotonic()
        started = time.perf_counter()
        report = run_round(config, Path(scratch) / "run", client)
        wall = time.perf_counter() - started
        ended = time.monotonic()
        workers = client.backend if isinstance(client.backend, ProcessCallWorkers) else None
        if workers is not None:
            wall -= workers.start_s
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        session_module.emit_all = emit_all  # type: ignore[assignment]
        records = [json.loads(line) for line in (Path(scratch) / "run" / "cassette.jsonl").read_text().splitlines()]

    calls = report.calls_made
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    critical_path = 2 * args.latency  # an answer, then the judge calls it feeds
    throughput_bound = calls * args.latency / args.concurrency
    bound = max(critical_path, throughput_bound)
    failed = [r for r in records if r["error"]]
    print(f"calls made:          {calls} ({sum(r['attempts'] for r in records)} attempts, {len(failed)} failed)")
    for record in failed[:3]:
        print(f"  failure: {record['error'][:200]}")
    if workers is not None:
        print(f"workers started:     {workers.start_s:.2f} s (untimed: each imports LiteLLM)")
        print(f"workers stopped:     {workers.stop_s:.2f} s (timed: each flushes LiteLLM's logs)")
    print(f"files written in:    {1000 * sum(emitted):.0f} ms (timed; while the call layer stops)")
    print(f"wall time:           {wall:.2f} s")
    print(f"lower bound:         {bound:.2f} s  (critical path {critical_path:.2f} s, calls x latency / concurrency {throughput_bound:.2f} s)")
    target = 1.08 if workers is not None else 1.15
    print(f"ratio:               {wall / bound:.3f}  (target <= {target})")
    print(f"calls/s:             {calls / wall:.1f}")
    who = "driver" if workers is not None else "harness"
    print(f"{who} CPU per call:  {1000 * cpu_s / calls:.2f} ms  ({cpu_s:.2f} s in all, {100 * cpu_s / wall:.0f}% of the wall time)")
    if workers is not None:
        print(f"workers CPU per call: {1000 * workers.cpu_s / calls:.2f} ms  ({workers.cpu_s:.2f} s in all, start excluded)")
    return wall / bound, 1000 * cpu_s / calls, calls, (began, ended, workers.start_s if workers is not None else 0.0)

if __name__ == "__main__":
    main()
