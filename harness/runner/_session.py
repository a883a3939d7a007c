"""Run, resume and replay rounds: the stages wired together around a run folder."""

from __future__ import annotations

import asyncio
import difflib
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

from .._errors import ConfigError, HarnessError
from ..config import RoundConfig, dump_round_config, load_round_config
from ..emit import RoundResult, emit_all
from ..engine import BuildOutcome, QuestionOutcome
from ..engine import SandboxTestRunner, TestRunner, run_build_tasks, run_question_tasks
from ..llm import Endpoint, LiteLLMClient, ModelClient
from ..plan import RoundPlan, make_plan
from ..recording import Cassette, RecordingClient, ReplayClient
from ..runs import RunFolder

__all__ = ["RunReport", "prepare_run", "plan_of_run", "execute_run", "live_client", "run_round", "replay_run"]


class RunReport(BaseModel):
    """What a run or replay did."""

    run_dir: Path
    results_dir: Path
    files: list[Path]
    calls_made: int
    calls_served: int
    dropped_cassette_lines: list[int]


def _config_diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "recorded round.yaml", "new config", lineterm="", n=1)
    return "\n".join(list(lines)[:40])


def prepare_run(config_path: Path, out: Path | None) -> RunFolder:
    """Create the run folder for a config, or reopen the same round's unfinished run there."""
    config_path = Path(config_path)
    config = load_round_config(config_path)
    config_dir = config_path.resolve().parent
    if out is None:
        if config.output is None:
            raise ConfigError(f"{config_path}: output: no run folder given (use --out RUN_DIR or set `output`)")
        out = config_dir / config.output
    plan = make_plan(config, config_dir)
    run = RunFolder(out)
    if run.exists():
        recorded = run.config_path.read_text(encoding="utf-8")
        with tempfile.TemporaryDirectory() as scratch:
            probe = RunFolder(Path(scratch))
            probe.snapshot(config, plan.task_dirs, plan.rubric_paths, run.load_info())
            fresh = probe.config_path.read_text(encoding="utf-8")
            changed_tasks = _changed_files(probe, run)
        if fresh != recorded or changed_tasks:
            detail = _config_diff(recorded, fresh) if fresh != recorded else "changed files: " + ", ".join(changed_tasks)
            raise ConfigError(
                f"{run.root} holds a run of a different round; resuming would change recorded calls. "
                f"Use another --out, or restore the recorded config.\n{detail}"
            )
        return run
    question_ids = [t.task_id for t in plan.question_tasks]
    run.snapshot(config, plan.task_dirs, plan.rubric_paths, RunFolder.new_info(datetime.now(timezone.utc), question_ids))
    return run


def _changed_files(fresh: RunFolder, recorded: RunFolder) -> list[str]:
    changed = []
    for folder in (fresh.tasks_dir, fresh.judges_dir):
        if not folder.exists():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(fresh.root)
            other = recorded.root / relative
            if not other.is_file() or other.read_bytes() != path.read_bytes():
                changed.append(str(relative))
    return changed


def plan_of_run(run: RunFolder) -> RoundPlan:
    return make_plan(run.load_config(), run.root.resolve())


def live_client(config: RoundConfig) -> LiteLLMClient:
    endpoints = {m.id: Endpoint(api_base=m.api_base, api_key_env=m.api_key_env, concurrency=m.concurrency) for m in config.models}
    return LiteLLMClient(
        endpoints,
        concurrency=config.concurrency,
        max_attempts=config.retry.max_attempts,
        initial_wait_s=config.retry.initial_wait_s,
        max_wait_s=config.retry.max_wait_s,
        timeout_s=config.retry.timeout_s,
    )


async def execute_run(
    run: RunFolder, client: ModelClient, out_dir: Path, tests: TestRunner | None = None
) -> tuple[RoundResult, list[Path]]:
    """Run every task of the run's plan through `client` and write the outputs to `out_dir`."""
    plan = plan_of_run(run)
    info = run.load_info()
    questions: list[QuestionOutcome] = []
    builds: list[BuildOutcome] = []
    if plan.question_tasks:
        if plan.rubric is None:
            raise HarnessError("question tasks need a rubric")
        questions_job = run_question_tasks(plan.config, plan.rubric, plan.question_tasks, client)
    if plan.build_tasks:
        if plan.review_rubric is None:
            raise HarnessError("build tasks need a review rubric")
        runner = tests or SandboxTestRunner(plan.config.sandbox_parallel)
        builds_job = run_build_tasks(plan.config, plan.review_rubric, plan.build_tasks, client, runner, run.root.resolve().name)
    if plan.question_tasks and plan.build_tasks:
        questions, builds = await asyncio.gather(questions_job, builds_job)
    elif plan.question_tasks:
        questions = await questions_job
    elif plan.build_tasks:
        builds = await builds_job
    result = RoundResult(plan=plan, info=info, questions=questions, builds=builds)
    return result, emit_all(result, out_dir)


def run_round(config_path: Path, out: Path | None, client: ModelClient | None = None) -> RunReport:
    """`harness run`: a new run, or the continuation of an unfinished one in the same folder."""
    run = prepare_run(config_path, out)
    cassette = Cassette(run.cassette_path)
    recording = RecordingClient(client or live_client(run.load_config()), cassette)
    try:
        _, files = asyncio.run(execute_run(run, recording, run.results_dir))
    finally:
        cassette.close()
    return RunReport(
        run_dir=run.root,
        results_dir=run.results_dir,
        files=files,
        calls_made=recording.made,
        calls_served=recording.served,
        dropped_cassette_lines=cassette.dropped_lines,
    )


def replay_run(run_dir: Path, out: Path | None) -> RunReport:
    """`harness replay`: every call served from the cassette; no network."""
    run = RunFolder(run_dir)
    if not run.exists():
        raise HarnessError(f"{run_dir}: not a run folder (needs round.yaml and run.json)")
    if not run.cassette_path.is_file():
        raise HarnessError(f"{run.cassette_path}: no cassette to replay")
    cassette = Cassette(run.cassette_path)
    replay = ReplayClient(cassette)
    out_dir = Path(out) if out is not None else run.root / "replay"
    _, files = asyncio.run(execute_run(run, replay, out_dir))
    return RunReport(
        run_dir=run.root,
        results_dir=out_dir,
        files=files,
        calls_made=0,
        calls_served=replay.served,
        dropped_cassette_lines=cassette.dropped_lines,
    )
