"""`harness run`, `resume`, `replay`, `rescore` and `import multivac`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._app import app, import_app

if TYPE_CHECKING:
    from ..plan import RoundEstimate, RoundPlan
    from ..progress import ProgressSink
    from ..session import RunReport

__all__ = ["app"]

MaxCost = Annotated[
    float | None,
    typer.Option("--max-cost", help="Stop starting new calls once spent plus in-flight cost (USD) would pass this; the run stays resumable."),
]


Progress = Annotated[
    str,
    typer.Option("--progress", help="live: bars on the terminal; jsonl: one JSON event per line on stdout (for scripts); quiet: nothing."),
]


def _sink(mode: str) -> ProgressSink:
    from ..progress import JsonLinesSink, QuietSink, RichSink

    sinks: dict[str, type[ProgressSink]] = {"live": RichSink, "jsonl": JsonLinesSink, "quiet": QuietSink}
    if mode not in sinks:
        raise typer.BadParameter(f"expected one of {', '.join(sinks)}", param_hint="--progress")
    return sinks[mode]()


def _print_report(verb: str, report: RunReport, mode: str = "live") -> None:
    if mode == "jsonl":
        import json

        typer.echo(json.dumps({"event": "report", **report.model_dump(mode="json")}))
        if report.stopped_by_budget:
            raise typer.Exit(3)
        return
    if mode == "live":
        _print_summary(report)
    if mode == "quiet":
        if report.stopped_by_budget:
            typer.echo(f"stopped: the --max-cost limit was reached; continue with: harness resume {report.run_dir}", err=True)
            raise typer.Exit(3)
        return
    typer.echo(f"{verb}: {report.calls_made} calls made, {report.calls_served} served from the cassette")
    if report.dropped_cassette_lines:
        typer.echo(f"dropped unreadable cassette lines (a crash mid-write): {report.dropped_cassette_lines}", err=True)
    if report.spent_usd is not None:
        typer.echo(f"spent: ${report.spent_usd:.4f} (priced models only)")
    if report.stopped_by_budget:
        typer.echo(
            f"stopped: the --max-cost limit was reached; nothing recorded is lost. "
            f"Continue with: harness resume {report.run_dir} [--max-cost USD]",
            err=True,
        )
        raise typer.Exit(3)
    for path in report.files:
        typer.echo(f"wrote {path}")


def _print_summary(report: RunReport) -> None:
    from ..formats import RunFolder
    from ..progress import print_summary, summarize
    from ..recording import Cassette

    run = RunFolder(report.run_dir)
    if run.cassette_path.is_file():
        print_summary(summarize(Cassette(run.cassette_path).records(), report.model_ids))


def _print_plan(plan: RoundPlan, estimate: RoundEstimate) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False)
    console.print(
        f"[bold]Plan[/bold] {plan.config.name}: {estimate.answer_calls} answer, {estimate.judge_calls} judge, "
        f"{estimate.generate_calls} generation and {estimate.review_calls} review calls; {estimate.sandbox_runs} sandbox runs"
    )
    table = Table("model", "LiteLLM model", "calls", "est. input tokens", "max output tokens", "max cost (USD)")
    for row in estimate.models:
        cost = "unknown" if row.max_cost_usd is None else f"{row.max_cost_usd:.4f}"
        table.add_row(row.model_id, row.litellm_model, str(row.calls), f"{row.input_tokens:,}", f"{row.max_output_tokens:,}", cost)
    console.print(table)
    total = estimate.max_cost_usd
    console.print(f"at most ${total:.4f} for priced models" if total is not None else "no model has a known price")


def _plan_and_estimate(config: Path) -> tuple[RoundPlan, RoundEstimate]:
    from ..llm import PriceBook
    from ..plan import estimate_round, load_plan

    plan = load_plan(config)
    return plan, estimate_round(plan, PriceBook())


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="Round config (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", help="Run folder; an unfinished run there is continued.")] = None,
    max_cost: MaxCost = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and estimated cost only.")] = False,
    progress: Progress = "live",
) -> None:
    """Run a round: answers, sandboxed tests, blind judging, output files, every call recorded."""
    from ..session import run_round

    sink = _sink(progress)
    plan, estimate = _plan_and_estimate(config)
    if progress != "jsonl" and (progress != "quiet" or dry_run):
        _print_plan(plan, estimate)
    if dry_run:
        return
    _print_report("run", run_round(config, out, max_cost_usd=max_cost, sink=sink, plan=plan), progress)


@app.command()
def resume(
    run_dir: Annotated[Path, typer.Argument(help="An unfinished run folder.")],
    max_cost: MaxCost = None,
    progress: Progress = "live",
) -> None:
    """Continue an unfinished run: recorded calls are served from its cassette, only missing calls are made."""
    from ..session import resume_run

    _print_report("resume", resume_run(run_dir, max_cost_usd=max_cost, sink=_sink(progress)), progress)


@app.command()
def replay(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (from `run` or `import`).")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default RUN_DIR/replay).")] = None,
    progress: Progress = "live",
) -> None:
    """Re-run a recorded round offline: every call is served from the cassette."""
    from ..session import replay_run

    _print_report("replay", replay_run(run_dir, out, sink=_sink(progress)), progress)


@app.command()
def rescore(
    file: Annotated[Path, typer.Argument(help="An evaluation file or a dataset file.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the rescored file.")],
) -> None:
    """Recompute every derived field of an emitted file from its judgments."""
    from ..rescore import rescore_file

    kind = rescore_file(file, out)
    typer.echo(f"rescored {kind} file {file} -> {out}")


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
