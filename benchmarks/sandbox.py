"""Sandbox benchmark (run by hand): per-run overhead and parallel speed-up.

    python benchmarks/sandbox.py [--runs N] [--rounds R] [--task tasks/build-lru-cache]

1. Overhead: mean wall time of one sandboxed run (fresh container, copy in,
   pytest, report out, container removed) minus the mean wall time of running
   the same hidden tests with bare pytest on the host (a subprocess with the
   same invocation, third-party plugins off so the host is not slowed by them).
   Target: <= 0.6 s with the integrity hardening (the hardening itself at most +0.25 s:
   compare with the figure of the sandbox before it, README "Performance").
   The one collection of the expected test ids per task is warmed up first, as a round does it once.
2. Parallel speed-up: throughput of 2 concurrent runs over 1 at a time
   (`SandboxPool`, N runs each way, median over R rounds). Target: >= 1.7x.

Bare and sandboxed runs are interleaved, and the background load of other
processes is printed before and after: on a shared machine it skews figures.

Needs the sandbox image (`harness sandbox build --offline`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.sandbox import (
    DockerSandbox,
    SandboxPool,
    load_build_task,
    read_submission_dir,
)
from harness.tasks import BuildTask

REPO = Path(__file__).resolve().parent.parent


def bare_pytest_seconds(task: BuildTask, files: dict[str, str], runs: int) -> list[float]:
    """Wall times of the task's invocation run by bare pytest on the host, in a fresh work tree each time."""
    times = []
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    invocation = [sys.executable if part == "python3" else part for part in task.test_invocation]
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            started = time.perf_counter()
            for name, text in files.items():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                (work / name).write_text(text)
            shutil.copytree(task.tests_dir, work / "_eval_tests")
            subprocess.run(
                [*invocation, "-p", "no:cacheprovider"],
                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
            )
            times.append(time.perf_counter() - started)
    return times


def sandbox_seconds(sandbox: DockerSandbox, task: BuildTask, files: dict[str, str], runs: int) -> list[float]:
    times = []
    for index in range(runs):
        started = time.perf_counter()
        result = sandbox.run(task, files, f"bench-seq-{index}")
        times.append(time.perf_counter() - started)
        assert result.all_passed, result.output_tail
    return times


async def pool_seconds(sandbox: DockerSandbox, task: BuildTask, files: dict[str, str], runs: int, parallel: int) -> float:
    pool = SandboxPool(sandbox, max_parallel=parallel)
    await pool.prepare()
    started = time.perf_counter()
    results = await asyncio.gather(*(pool.run(task, files, f"bench-par{parallel}-{i}") for i in range(runs)))
    elapsed = time.perf_counter() - started
    assert all(r.all_passed for r in results), [r.infra_error or r.output_tail for r in results]
    return elapsed


def background_load(seconds: float = 2.0) -> float:
    """Cores kept busy by other processes while this one sleeps (a shared machine skews every figure)."""

    def busy() -> float:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")

    before = busy()
    time.sleep(seconds)
    return (busy() - before) / seconds


def wait_for_quiet(max_wait_s: float, threshold: float = 0.2) -> None:
    """Wait (up to `max_wait_s`) until other processes keep less than `threshold` cores busy."""
    deadline = time.monotonic() + max_wait_s
    while (load := background_load()) >= threshold and time.monotonic() < deadline:
        print(f"  (waiting: other processes keep {load:.2f} cores busy)", flush=True)
        time.sleep(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="runs per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the parallel comparison (default 3)")
    parser.add_argument("--task", type=Path, default=REPO / "tasks" / "build-lru-cache")
    parser.add_argument("--isolation", choices=["task", "process", "inprocess"], default="task",
                        help="run the task under this isolation mode (default: the task's own)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each measurement, wait up to this long for other processes to go idle")
    args = parser.parse_args()

    task = load_build_task(args.task)
    if args.isolation != "task":
        task = task.model_copy(update={"isolation": args.isolation})
    assert task.reference_dir is not None, "the benchmark task needs a reference solution"
    files = read_submission_dir(task.reference_dir)
    sandbox = DockerSandbox()
    sandbox.prepare()
    sandbox_seconds(sandbox, task, files, 2)  # warm-up: page cache, image layers, daemon
    bare_pytest_seconds(task, files, 2)
    print(f"task {task.task_id} (isolation: {task.isolation}), image {sandbox.image}, {os.cpu_count()} CPUs, N={args.runs}")
    print(f"background load from other processes: {background_load():.2f} cores")

    # Interleaved, so that load from other processes hits both sides alike.
    wait_for_quiet(args.wait_quiet)
    bare: list[float] = []
    boxed: list[float] = []
    for _ in range(args.runs):
        bare += bare_pytest_seconds(task, files, 1)
        boxed += sandbox_seconds(sandbox, task, files, 1)
    overhead = statistics.mean(boxed) - statistics.mean(bare)
    median_overhead = statistics.median(boxed) - statistics.median(bare)
    print(f"bare pytest on the host: mean {statistics.mean(bare):.3f}s  median {statistics.median(bare):.3f}s"
          f"  min {min(bare):.3f}s")
    print(f"sandboxed run:           mean {statistics.mean(boxed):.3f}s  median {statistics.median(boxed):.3f}s"
          f"  min {min(boxed):.3f}s")
    print(f"overhead per run:        mean {overhead:.3f}s  median {median_overhead:.3f}s"
          f"  (target <= 0.6s: {'ok' if overhead <= 0.6 else 'MISSED'})")

    ratios = []
    for round_number in range(1, args.rounds + 1):
        wait_for_quiet(args.wait_quiet)
        one_at_a_time = asyncio.run(pool_seconds(sandbox, task, files, args.runs, 1))
        two_at_a_time = asyncio.run(pool_seconds(sandbox, task, files, args.runs, 2))
        ratios.append(one_at_a_time / two_at_a_time)
        print(f"round {round_number}: {args.runs} runs 1 at a time {one_at_a_time:.2f}s, "
              f"2 at a time {two_at_a_time:.2f}s: {ratios[-1]:.2f}x")
    speedup = statistics.median(ratios)
    print(f"parallel speed-up (2 vs 1), median of {args.rounds} rounds: {speedup:.2f}x"
          f"  (target >= 1.7x: {'ok' if speedup >= 1.7 else 'MISSED'})")
    print(f"background load from other processes: {background_load():.2f} cores")


if __name__ == "__main__":
    main()
