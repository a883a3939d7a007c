"""Ctrl-C during `harness run` or `resume`: say how to continue, exit 130."""

from __future__ import annotations

import shlex
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

__all__ = ["INTERRUPTED_EXIT_CODE", "resumable", "run_dir_of"]

INTERRUPTED_EXIT_CODE = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells report it."""


def run_dir_of(config: Path, out: Path | None, output: str | None) -> Path | None:
    """The run folder `harness run CONFIG [--out OUT]` uses: OUT, else the config's `output` beside it."""
    if out is not None:
        return out
    return None if output is None else config.resolve().parent / output


@contextmanager
def resumable(run_dir: Path | None) -> Iterator[None]:
    """Turn Ctrl-C inside the block into the exact resume command on stderr and exit code 130.

    Every call that finished before the interrupt is already a line of the run's cassette, so
    `harness resume RUN_DIR` makes only the calls that were missing or in flight. Warnings raised
    inside the block are shown when it ends; after Ctrl-C, less those about coroutines the cancelled
    calls never started.
    """
    interrupted = False
    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        except KeyboardInterrupt:
            interrupted = True
    for warning in caught:
        if not (interrupted and _left_by_the_interrupt(warning)):
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno, warning.file, warning.line)
    if interrupted:
        where = "RUN_DIR" if run_dir is None else shlex.quote(str(run_dir))
        typer.echo(
            f"\ninterrupted: every finished call is kept in the run's cassette; continue with: harness resume {where}",
            err=True,
        )
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


def _left_by_the_interrupt(warning: warnings.WarningMessage) -> bool:
    """A coroutine the cancelled calls created and never started (LiteLLM's, at shutdown): noise, not news."""
    return issubclass(warning.category, RuntimeWarning) and "was never awaited" in str(warning.message)
