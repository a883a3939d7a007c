"""What `run`, `resume` and `replay` print when they end, and the exit codes they end with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ..session import RunReport

__all__ = ["EXIT_BUDGET_STOP", "EXIT_CALLS_FAILED", "EXIT_UNCOUNTED_JUDGMENTS", "print_run_report"]

EXIT_BUDGET_STOP = 3
"""The `--max-cost` limit stopped the run; it is resumable."""
EXIT_CALLS_FAILED = 4
"""The run finished, but a model's calls failed outside the model (any auth error, or more than a quarter)."""
EXIT_UNCOUNTED_JUDGMENTS = 5
"""`rescore` found judgments that do not count, and `--drop-invalid` was not given."""


def _troubles(report: RunReport) -> list[str]:
    if not report.troubled_models:
        return []
    lines = [f"incomplete: calls of {len(report.troubled_models)} model(s) failed for reasons outside the model:"]
    lines += [f"  {trouble.describe()}" for trouble in report.troubled_models]
    lines += [
        "fix the cause (the key, the endpoint, the quota), then make those calls again; calls that succeeded are not paid twice:",
        f"  harness resume {report.run_dir} --retry-failed",
    ]
    return lines


def _cassette_lines(verb: str, report: RunReport) -> list[str]:
    if not report.unreadable_cassette_lines:
        return []
    then = (
        "their calls were made again; the lines are kept in cassette.jsonl.unreadable"
        if verb != "replay"
        else "their calls could not be served"
    )
    return [f"cassette {line}; dropped" for line in report.unreadable_cassette_lines] + [f"({then})"]


def _budget_stop(report: RunReport) -> str:
    return (
        "stopped: the --max-cost limit was reached; nothing recorded is lost. "
        f"Continue with: harness resume {report.run_dir} [--max-cost USD]"
    )


def print_run_report(verb: str, report: RunReport, mode: str = "live") -> None:
    """Print the end of a run, resume or replay for a `--progress` mode, and exit with its code."""
    if mode == "jsonl":
        import json

        typer.echo(json.dumps({"event": "report", **report.model_dump(mode="json")}))
    elif mode == "quiet":
        for line in _cassette_lines(verb, report):
            typer.echo(line, err=True)
        if report.stopped_by_budget:
            typer.echo(_budget_stop(report), err=True)
    else:
        _print_summary(report)
        made = f"{report.calls_made} calls made"
        if report.calls_remade:
            made += f" ({report.calls_remade} in place of recorded failures)"
        typer.echo(f"{verb}: {made}, {report.calls_served} served from the cassette")
        for line in _cassette_lines(verb, report):
            typer.echo(line, err=True)
        if report.spent_usd is not None:
            typer.echo(f"spent: ${report.spent_usd:.4f} (priced models only)")
        if report.stopped_by_budget:
            typer.echo(_budget_stop(report), err=True)
        for path in report.files:
            typer.echo(f"wrote {path}")
    if report.stopped_by_budget:
        raise typer.Exit(EXIT_BUDGET_STOP)
    if mode != "jsonl":
        for line in _troubles(report):
            typer.echo(line, err=True)
    if report.troubled_models:
        raise typer.Exit(EXIT_CALLS_FAILED)


def _print_summary(report: RunReport) -> None:
    from ..formats import RunFolder
    from ..progress import print_summary, summarize
    from ..recording import Cassette

    run = RunFolder(report.run_dir)
    if run.cassette_path.is_file():
        records = Cassette(run.cassette_path, repair=True).records()
        print_summary(summarize(records, report.model_ids, report.unusable_replies))
