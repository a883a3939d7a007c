"""Run, resume and replay rounds: the stages wired together around a run folder."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .._asyncio import run_in_new_loop
from .._errors import ConfigError, HarnessError
from ..budget import BudgetGuard
from ..config import RoundConfig
from ..emit import RoundResult, emit_all
from ..engine import HiddenTests, SandboxHiddenTests, run_build_tasks, run_question_tasks
from ..formats import BuildOutcome, QuestionOutcome, RunFolder
from ..llm import CallBackend, CallWorkersSpec, Endpoint, LiteLLMClient, ModelClient, PriceBook, make_call_backend
from ..plan import RoundPlan, load_plan, make_plan
from ..progress import ObservedClient, ObservedHiddenTests, ProgressSink, QuietSink
from ..recording import Cassette, RecordingClient, ReplayClient, RetryScope
from ._health import ModelTrouble, troubled_models, unusable_replies
from ._lock import run_lock
from ._prepare import prepare_run

__all__ = ["RunReport", "execute_run", "live_client", "plan_of_run", "run_round", "resume_run", "replay_run"]


class RunReport(BaseModel):
    """What a run, resume or replay did."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_dir: Path
    results_dir: Path
    files: list[Path]
    calls_made: int
    calls_served: int
    dropped_cassette_lines: list[int]
    stopped_by_budget: bool = False
    spent_usd: float | None = None
    model_ids: list[str] = []
    """The round's models, in config order."""
    calls_remade: int = 0
    """Of `calls_made`, calls made again in place of a recorded failure (`--retry-failed`)."""
    unreadable_cassette_lines: list[str] = []
    """What was wrong with each dropped cassette line (torn by a crash, or damaged and dropped by `--repair`)."""
    troubled_models: list[ModelTrouble] = []
    """Models whose calls failed outside the model (any auth error, or more than a quarter): outputs incomplete."""
    unusable_replies: dict[str, int] = {}
    """Per judge, judgments and reviews whose reply stayed unusable after the repair re-ask."""


def plan_of_run(run: RunFolder) -> RoundPlan:
    return make_plan(run.load_config(), run.root.resolve())


def check_api_keys(config: RoundConfig) -> None:
    """Refuse, before any call, a model whose `api_key_env` names an unset or empty variable."""
    missing = [(m.id, m.api_key_env) for m in config.models if m.api_key_env and not os.environ.get(m.api_key_env)]
    if missing:
        lines = "\n".join(f"  model {model!r}: api_key_env {variable} is unset or empty" for model, variable in missing)
        raise ConfigError(
            f"no API key for {len(missing)} model(s); nothing was called:\n{lines}\n"
            "export the variable, or set `api_key_env: null` for a model that needs no key"
        )


def live_client(config: RoundConfig) -> LiteLLMClient:
    """The LiteLLM client of a round's models (after `check_api_keys`)."""
    check_api_keys(config)
    endpoints = {m.id: Endpoint(api_base=m.api_base, api_key_env=m.api_key_env, concurrency=m.concurrency) for m in config.models}
    return LiteLLMClient(
        endpoints,
        backend=call_backend(config),
        concurrency=config.concurrency,
        max_attempts=config.retry.max_attempts,
        initial_wait_s=config.retry.initial_wait_s,
        max_wait_s=config.retry.max_wait_s,
        timeout_s=config.retry.timeout_s,
        empty_reply_attempts=config.retry.empty_reply_attempts,
        prices=PriceBook.of_models(config.models),
    )


def call_backend(config: RoundConfig) -> CallBackend | None:
    """Where the round's attempts are made (`calls:`); None: in the round's own event loop."""
    calls = config.calls
    if calls.workers == 0:
        return None
    name = calls.backend if calls.backend != "auto" else ("ray" if config.sandbox.backend == "ray" else "process")
    spec = CallWorkersSpec(
        workers=calls.workers,
        concurrency=config.concurrency,
        secret_env_names=tuple(m.api_key_env for m in config.models if m.api_key_env),
        models=tuple(m.litellm_model for m in config.models),
        address=calls.address or config.sandbox.address or "auto",
        local_docker_slots=os.cpu_count() or 1,  # as the Ray sandbox backend starts a local Ray
    )
    return make_call_backend(name, spec)


async def execute_run(
    run: RunFolder,
    plan: RoundPlan,
    client: ModelClient,
    out_dir: Path,
    tests: HiddenTests | None = None,
    sink: ProgressSink | None = None,
) -> tuple[RoundResult, list[Path]]:
    """Run every call of `plan` (the run's) through `client` and write the outputs to `out_dir`."""
    if sink is not None:
        sink.start(plan.counts())
    questions: list[QuestionOutcome] = []
    builds: list[BuildOutcome] = []

    async def run_questions() -> None:
        nonlocal questions
        if plan.question_tasks:
            if plan.rubric is None:
                raise HarnessError("question tasks need a rubric")
            questions = await run_question_tasks(plan, plan.rubric, client)

    async def run_builds() -> None:
        nonlocal builds
        if plan.build_tasks:
            hidden_tests: HiddenTests = tests or SandboxHiddenTests(plan.config.sandbox, plan.config.sandbox_parallel)
            if sink is not None:
                hidden_tests = ObservedHiddenTests(hidden_tests, sink)
            builds = await run_build_tasks(plan, plan.review_rubric, client, hidden_tests, run.root.resolve().name)

    await asyncio.gather(run_questions(), run_builds())
    result = RoundResult(plan=plan, info=run.load_info(), questions=questions, builds=builds)
    # Every call is made: the call layer stops (call workers flush LiteLLM's logs and exit, in their own
    # processes) while the files are written, not after. Closing it again later is harmless.
    files, _ = await asyncio.gather(asyncio.to_thread(emit_all, result, out_dir), client.aclose())
    return result, files


async def _budget_stop(guard: BudgetGuard) -> None:
    """Returns once the limit was hit and every call already started has finished."""
    await guard.exhausted.wait()
    while guard.in_flight:
        await guard.idle.wait()
        await asyncio.sleep(0)


async def _execute_live(
    run: RunFolder, plan: RoundPlan, recording: RecordingClient, guard: BudgetGuard | None, sink: ProgressSink
) -> tuple[RoundResult, list[Path]] | None:
    try:
        return await _execute_until_done_or_broke(run, plan, recording, guard, sink)
    finally:
        await recording.aclose()


async def _execute_until_done_or_broke(
    run: RunFolder, plan: RoundPlan, recording: RecordingClient, guard: BudgetGuard | None, sink: ProgressSink
) -> tuple[RoundResult, list[Path]] | None:
    job = asyncio.ensure_future(execute_run(run, plan, ObservedClient(recording, sink), run.results_dir, sink=sink))
    if guard is None:
        return await job
    stopper = asyncio.ensure_future(_budget_stop(guard))
    await asyncio.wait({job, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if job.done():
        stopper.cancel()
        return job.result()
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)
    return None


def _continue(
    run: RunFolder,
    plan: RoundPlan,
    client: ModelClient | None,
    max_cost_usd: float | None,
    sink: ProgressSink | None,
    retry: RetryScope = "none",
    repair: bool = False,
) -> RunReport:
    with run_lock(run.root):
        cassette = Cassette(run.cassette_path, repair=repair)
        cassette.set_aside_unreadable()
        live: ModelClient = client or live_client(plan.config)
        guard = BudgetGuard(live, max_cost_usd, PriceBook.of_models(plan.config.models).upper_estimate) if max_cost_usd is not None else None
        recording = RecordingClient(guard or live, cassette, retry=retry)
        sink = sink or QuietSink()
        try:
            outcome = run_in_new_loop(_execute_live(run, plan, recording, guard, sink))
        finally:
            sink.close()
            cassette.close()
    model_ids = [m.id for m in plan.config.models]
    return RunReport(
        run_dir=run.root,
        results_dir=run.results_dir,
        files=outcome[1] if outcome else [],
        calls_made=recording.made,
        calls_served=recording.served,
        calls_remade=recording.remade,
        dropped_cassette_lines=cassette.dropped_lines,
        unreadable_cassette_lines=[line.describe() for line in cassette.unreadable],
        stopped_by_budget=outcome is None,
        spent_usd=guard.spent_usd if guard else None,
        model_ids=model_ids,
        troubled_models=troubled_models(cassette.records(), model_ids),
        unusable_replies=unusable_replies(outcome[0]) if outcome else {},
    )


def run_round(
    config_path: Path,
    out: Path | None,
    client: ModelClient | None = None,
    *,
    max_cost_usd: float | None = None,
    sink: ProgressSink | None = None,
    plan: RoundPlan | None = None,
    retry: RetryScope = "none",
    repair: bool = False,
) -> RunReport:
    """`harness run`: a new run, or the continuation of an unfinished one in the same folder.

    `plan`: the config's plan when the caller already made it (the CLI does, to print it).
    `retry`: which recorded failures to make again (`--retry-failed`); `repair`: drop damaged cassette lines.
    """
    plan = plan or load_plan(config_path)
    run, run_plan = prepare_run(config_path, plan, out, datetime.now(timezone.utc))
    return _continue(run, run_plan, client, max_cost_usd, sink, retry, repair)


def resume_run(
    run_dir: Path,
    client: ModelClient | None = None,
    *,
    max_cost_usd: float | None = None,
    sink: ProgressSink | None = None,
    retry: RetryScope = "none",
    repair: bool = False,
) -> RunReport:
    """`harness resume`: continue a run folder with its own recorded config."""
    run = RunFolder(run_dir)
    if not run.exists():
        raise HarnessError(f"{run_dir}: not a run folder (needs round.yaml and run.json)")
    return _continue(run, plan_of_run(run), client, max_cost_usd, sink, retry, repair)


def replay_run(run_dir: Path, out: Path | None, sink: ProgressSink | None = None, repair: bool = False) -> RunReport:
    """`harness replay`: every call served from the cassette; no network."""
    run = RunFolder(run_dir)
    if not run.exists():
        raise HarnessError(f"{run_dir}: not a run folder (needs round.yaml and run.json)")
    if not run.cassette_path.is_file():
        raise HarnessError(f"{run.cassette_path}: no cassette to replay")
    cassette = Cassette(run.cassette_path, repair=repair)
    replay = ReplayClient(cassette)
    out_dir = Path(out) if out is not None else run.replay_dir
    sink = sink or QuietSink()
    plan = plan_of_run(run)
    try:
        _, files = run_in_new_loop(execute_run(run, plan, ObservedClient(replay, sink), out_dir, sink=sink))
    finally:
        sink.close()
    return RunReport(
        run_dir=run.root,
        results_dir=out_dir,
        files=files,
        calls_made=0,
        calls_served=replay.served,
        dropped_cassette_lines=cassette.dropped_lines,
        unreadable_cassette_lines=[line.describe() for line in cassette.unreadable],
        model_ids=[m.id for m in plan.config.models],
    )
