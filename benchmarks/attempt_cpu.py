"""Attempt benchmark: the CPU one LiteLLM attempt costs, with and without LiteLLM pricing the reply.

Makes `--calls` bare attempts (`AttemptRunner`, as a call worker makes them) at `--concurrency` against a
local server in a child process, for a model LiteLLM cannot price (as the dispatch benchmark's are), and
prints this process's CPU milliseconds per attempt. `skipped` is the harness as it is: a call whose price
the harness does not take from LiteLLM is not priced by it (harness/llm/_unwanted_pricing.py); `priced`
lets LiteLLM price it anyway. The two alternate `--repeat` times, each in a fresh process (the VM's speed drifts).

    python benchmarks/attempt_cpu.py --calls 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult  # noqa: E402


def _respond(request: FakeRequest) -> ResponderResult:
    return '{"correctness": 8, "brief_justification": "fine"}'


def _serve(port_queue: "multiprocessing.Queue[Any]", stop: Any) -> None:
    with FakeOpenAIServer(_respond, latency_s=0.05) as server:
        port_queue.put(server.base_url)
        stop.wait()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _attempts(base_url: str, calls: int, concurrency: int) -> float:
    from harness.llm import ChatMessage, ChatRequest
    from harness.llm._attempt import AttemptCall, AttemptRunner

    runner = AttemptRunner(concurrency)
    await runner.warm_up(["openai/bench-0"])
    gc.collect()
    gc.freeze()
    requests = [
        AttemptCall(
            request=ChatRequest(model=f"openai/bench-{i % 10}", messages=(ChatMessage(role="user", content="RESPONSE TO EVALUATE " * 50),)),
            api_base=base_url, api_key="sk-bench", timeout_s=30, litellm_price=False,
        )
        for i in range(calls + 50)
    ]
    limit = asyncio.Semaphore(concurrency)

    async def one(call: AttemptCall) -> None:
        async with limit:
            outcome = await runner.attempt(call)
        if outcome.error is not None:
            raise SystemExit(f"attempt failed: {outcome.error.message}")

    await asyncio.gather(*(one(c) for c in requests[:50]))  # LiteLLM's first calls load what they load
    started = _cpu_s()
    await asyncio.gather(*(one(c) for c in requests[50:]))
    spent = _cpu_s() - started
    await runner.aclose()
    return 1000 * spent / calls


def _one_run(mode: str, base_url: str, calls: int, concurrency: int) -> None:
    if mode == "priced":
        import harness.llm._attempt as attempt_module

        attempt_module.litellm_pricing_skipped = lambda skipped=True: contextlib.nullcontext()  # type: ignore[assignment]
    print(f"{asyncio.run(_attempts(base_url, calls, concurrency)):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("MODE", "BASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one_run(args.one[0], args.one[1], args.calls, args.concurrency)
        return
    context = multiprocessing.get_context("spawn")
    port_queue: multiprocessing.Queue[Any] = context.Queue()
    stop = context.Event()
    server = context.Process(target=_serve, args=(port_queue, stop), daemon=True)
    server.start()
    base_url = str(port_queue.get(timeout=30))
    figures: dict[str, list[float]] = {"priced": [], "skipped": []}
    try:
        for run in range(1, args.repeat + 1):
            for mode in ("priced", "skipped"):
                done = subprocess.run(
                    [sys.executable, __file__, "--one", mode, base_url, "--calls", str(args.calls), "--concurrency", str(args.concurrency)],
                    capture_output=True, text=True, check=True,
                )
                figures[mode].append(float(done.stdout.split()[-1]))
                print(f"run {run}: {mode:8} {figures[mode][-1]:.2f} ms of CPU per attempt")
    finally:
        stop.set()
        server.join(timeout=10)
    for mode, values in figures.items():
        print(f"{mode:8} min {min(values):.2f}, max {max(values):.2f} ms per attempt")
    ratios = [s / p for s, p in zip(figures["skipped"], figures["priced"])]
    print(f"skipped / priced, run by run: {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
