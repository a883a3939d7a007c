"""`harness run`, `resume`, `replay`, `rescore` and `import multivac`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from ._app import app, import_app
from ._interrupt import resumable, run_dir_of

if TYPE_CHECKING:
    from ..config import RoundConfig
    from ..plan import RoundEstimate, RoundPlan
    from ..progress import ProgressSink
    from ..session import RunReport

__all__ = ["app"]

MaxCost = Annotated[
    float | None,
    typer.Option(
        "--max-cost",
        help="Stop starting new calls once spent plus in-flight cost (USD) would pass this; the run stays resumable. "
        "Refused when a model has no known price (LiteLLM's map or `price:` in the config), unless --allow-unpriced.",
    ),
]

RetryFailed = Annotated[
    str | None,
    typer.Option(
        "--retry-failed",
        metavar="[all]",
        help="Make again the calls whose latest record failed for reasons outside the model (auth, connection, timeout, "
        "429/5xx); `--retry-failed all` also remakes model failures (empty or unusable replies). The old records stay "
        "in the cassette as history; the new ones win.",
    ),
]

Repair = Annotated[
    bool,
    typer.Option("--repair", help="Drop damaged cassette lines (named in the message) instead of stopping; their calls are made again."),
]


def _retry_scope(value: str | None) -> Literal["none", "infra", "all"]:
    if value is None:
        return "none"
    if value in ("infra", "all"):
        return "infra" if value == "infra" else "all"
    raise typer.BadParameter(f"expected nothing or `all` (got {value!r})", param_hint="--retry-failed")


AllowUnpriced = Annotated[
    bool,
    typer.Option("--allow-unpriced", help="With --max-cost: run models that have no known price, their calls counted as free."),
]


def _check_cost_limit(max_cost: float | None, allow_unpriced: bool, config: RoundConfig) -> None:
    """Refuse a limit that could not hold (a model without a price), before any call: a usage error (exit 2)."""
    from ..budget import unpriced_refusal

    if max_cost is not None and max_cost < 0:
        raise typer.BadParameter(f"{max_cost:g} is negative: the limit is a cost in USD, 0 or more", param_hint="--max-cost")
    refusal = unpriced_refusal(config.models) if max_cost is not None and not allow_unpriced else None
    if refusal:
        raise typer.BadParameter(refusal, param_hint="--max-cost")


Progress = Annotated[
    Literal["live", "jsonl", "quiet"],
    typer.Option("--progress", help="live: bars on the terminal; jsonl: one JSON event per line on stdout (for scripts); quiet: nothing."),
]


def _sink(mode: str) -> ProgressSink:
    from ..progress import JsonLinesSink, QuietSink, RichSink

    sinks: dict[str, type[ProgressSink]] = {"live": RichSink, "jsonl": JsonLinesSink, "quiet": QuietSink}
    if mode not in sinks:
        raise typer.BadParameter(f"expected one of {', '.join(sinks)}", param_hint="--progress")
    return sinks[mode]()


def _print_report(verb: str, report: RunReport, mode: str = "live") -> None:
    from ._outcome import print_run_report

    print_run_report(verb, report, mode)


def _print_plan(plan: RoundPlan, estimate: RoundEstimate) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False)
    console.print(
        f"[bold]Plan[/bold] {plan.config.name}: {estimate.answer_calls} answer, {estimate.judge_calls} judge, "
        f"{estimate.generate_calls} generation and {estimate.review_calls} review calls; {estimate.sandbox_runs} sandbox runs"
    )
    if plan.config.judging.panel is not None:
        console.print(_panel_saving(plan))
    table = Table("model", "LiteLLM model", "calls", "est. input tokens", "max output tokens", "max cost (USD)")
    for row in estimate.models:
        cost = "unknown" if row.max_cost_usd is None else f"{row.max_cost_usd:.4f}"
        table.add_row(row.model_id, row.litellm_model, str(row.calls), f"{row.input_tokens:,}", f"{row.max_output_tokens:,}", cost)
    console.print(table)
    total = estimate.max_cost_usd
    console.print(f"at most ${total:.4f} for priced models" if total is not None else "no model has a known price")


def _panel_saving(plan: RoundPlan) -> str:
    """Judge and review calls with the panel against the full matrix, and the fraction kept."""
    panel, full = plan.counts(), plan.full_matrix_counts()
    kept, whole = panel.judge_calls + panel.review_calls, full.judge_calls + full.review_calls
    fraction = f"{kept / whole:.1%}" if whole else "-"
    return (
        f"panel of {plan.config.judging.panel}: {kept:,} judge and review calls instead of {whole:,} for the full matrix "
        f"({fraction} of them, {whole - kept:,} saved)"
    )


def _plan_and_estimate(config: Path) -> tuple[RoundPlan, RoundEstimate]:
    from ..llm import PriceBook
    from ..plan import estimate_round, load_plan

    plan = load_plan(config)
    return plan, estimate_round(plan, PriceBook.of_models(plan.config.models))


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="Round config (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", help="Run folder; an unfinished run there is continued.")] = None,
    max_cost: MaxCost = None,
    allow_unpriced: AllowUnpriced = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and estimated cost only.")] = False,
    progress: Progress = "live",
    retry_failed: RetryFailed = None,
    repair: Repair = False,
) -> None:
    """Run a round: answers, sandboxed tests, blind judging, output files, every call recorded."""
    from ..session import run_round

    retry = _retry_scope(retry_failed)
    sink = _sink(progress)
    plan, estimate = _plan_and_estimate(config)
    _check_cost_limit(max_cost, allow_unpriced, plan.config)
    if progress != "jsonl" and (progress != "quiet" or dry_run):
        _print_plan(plan, estimate)
    if dry_run:
        return
    with resumable(run_dir_of(config, out, plan.config.output)):
        report = run_round(config, out, max_cost_usd=max_cost, sink=sink, plan=plan, retry=retry, repair=repair)
    _print_report("run", report, progress)


@app.command()
def resume(
    run_dir: Annotated[Path, typer.Argument(help="An unfinished run folder.")],
    max_cost: MaxCost = None,
    allow_unpriced: AllowUnpriced = False,
    progress: Progress = "live",
    retry_failed: RetryFailed = None,
    repair: Repair = False,
) -> None:
    """Continue an unfinished run: recorded calls are served from its cassette, only missing calls are made."""
    from ..formats import RunFolder
    from ..session import resume_run

    retry = _retry_scope(retry_failed)
    if max_cost is not None:
        _check_cost_limit(max_cost, allow_unpriced, RunFolder(run_dir).load_config())
    with resumable(run_dir):
        report = resume_run(run_dir, max_cost_usd=max_cost, sink=_sink(progress), retry=retry, repair=repair)
    _print_report("resume", report, progress)


@app.command()
def replay(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run folders (from `run` or `import`); several replay in one process.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder: the files go to DIR/results/, as in a run folder (default RUN_DIR/replay); "
            "with several run folders, each goes to DIR/<run folder name>/results/.",
        ),
    ] = None,
    progress: Progress = "live",
    repair: Annotated[
        bool, typer.Option("--repair", help="Drop damaged cassette lines instead of stopping (the replay then fails at a call they held).")
    ] = False,
) -> None:
    """Re-run recorded rounds offline: every call is served from the cassette."""
    from ..session import replay_run
    from ._demo import replay_results_dir

    if len(run_dirs) == 1:
        report = replay_run(run_dirs[0], replay_results_dir(run_dirs[0], out), sink=_sink(progress), repair=repair)
        _print_report("replay", report, progress)
        return
    _replay_many(run_dirs, out, progress, repair)


def _replay_many(run_dirs: list[Path], out: Path | None, progress: str, repair: bool) -> None:
    """Several run folders in one process: one line per folder; a folder that fails is named, the others go on."""
    import json

    from .._errors import HarnessError
    from ..progress import QuietSink
    from ..session import replay_run
    from ._demo import replay_results_dir

    names = [run_dir.resolve().name for run_dir in run_dirs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if out is not None and repeated:
        raise typer.BadParameter(f"run folders share a name, so their outputs would collide in --out: {', '.join(repeated)}")
    failed = []
    for run_dir, name in zip(run_dirs, names):
        try:
            report = replay_run(run_dir, replay_results_dir(run_dir, out / name if out is not None else None), QuietSink(), repair)
        except HarnessError as exc:
            failed.append(run_dir)
            typer.echo(f"error: {run_dir}: {exc}", err=True)
            continue
        if progress == "jsonl":
            typer.echo(json.dumps({"event": "report", **report.model_dump(mode="json")}))
        elif progress == "live":
            typer.echo(f"replayed {run_dir}: {report.calls_served} calls served, {len(report.files)} files in {report.results_dir}")
    if progress != "jsonl":
        typer.echo(f"replayed {len(run_dirs) - len(failed)} of {len(run_dirs)} run folders", err=bool(failed))
    if failed:
        raise typer.Exit(2)


@app.command()
def rescore(
    file: Annotated[Path, typer.Argument(help="An evaluation file or a dataset file.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the rescored file.")],
    drop_invalid: Annotated[
        bool,
        typer.Option("--drop-invalid", help="Leave out judgments the format does not allow (a score outside (0, 10]) instead of stopping."),
    ] = False,
) -> None:
    """Recompute every derived field of an emitted file from its judgments; every judgment not counted is listed."""
    from ..rescore import rescore_file
    from ._outcome import EXIT_UNCOUNTED_JUDGMENTS

    outcome = rescore_file(file, out, drop_invalid=drop_invalid)
    for judgment in outcome.uncounted:
        typer.echo(f"not counted: {judgment.describe()}", err=True)
    invalid = sum(j.invalid for j in outcome.uncounted)
    if not outcome.written:
        typer.echo(
            f"error: {file} holds {invalid} judgment(s) the format does not allow; nothing was written. "
            "Rescoring without them changes the rankings: pass --drop-invalid to do so.",
            err=True,
        )
        raise typer.Exit(EXIT_UNCOUNTED_JUDGMENTS)
    dropped = f" ({invalid} invalid judgment(s) left out)" if invalid else ""
    typer.echo(f"rescored {outcome.kind} file {file} -> {out}{dropped}")


@import_app.command("multivac")
def import_multivac(
    raw_files: Annotated[list[Path], typer.Argument(help="Raw Multivac round files (EVAL-*.json).")],
    out: Annotated[Path, typer.Option("--out", help="Folder receiving one run folder per round.")],
    rubric: Annotated[Path | None, typer.Option("--rubric", help="Rubric file (default: judges/multivac.yaml).")] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="YAML/JSON `model_key: {name, provider}`: published labels the raw files lack."),
    ] = None,
) -> None:
    """Import raw Multivac rounds as replayable run folders (DIR/<evaluation_id>/)."""
    from ..importers import import_multivac_round, load_labels

    label_map = load_labels(labels) if labels else None
    for raw in raw_files:
        imported = import_multivac_round(raw, out, rubric, label_map)
        typer.echo(f"imported {raw} -> {imported.root}")
