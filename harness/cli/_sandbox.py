"""`harness sandbox ...`: build the sandbox image, run hidden tests in it, clean up."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._app import sandbox_app

if TYPE_CHECKING:
    from ..sandbox import TestRunResult

__all__ = ["print_test_run", "sandbox_app"]


@sandbox_app.command("build")
def build(
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Build from a Debian mirror with debootstrap + `docker import` (needs root and "
            "debootstrap, no registry). Without it the shipped Dockerfile is used when "
            "python:3.12-slim can be pulled, and the offline build is the fallback.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the image already exists.")] = False,
    mirror: Annotated[
        str | None, typer.Option("--mirror", help="Debian mirror for --offline (default deb.debian.org).")
    ] = None,
) -> None:
    """Build the sandbox image (python3 + pytest, user 10001). Does nothing if it already exists."""
    from ..sandbox import DEFAULT_DEBIAN_MIRROR, build_image

    build_image("offline" if offline else "auto", force=force, mirror=mirror or DEFAULT_DEBIAN_MIRROR, log=typer.echo)


def print_test_run(result: TestRunResult, *, tail_lines: int = 40) -> None:
    """Human-readable summary of a run: one line per test, totals, and the output tail on failure."""
    for test in result.tests:
        mark = "PASS" if test.passed else test.outcome.upper()[:4]
        typer.echo(f"{mark:<4}  {test.name}" + (f"  ({test.reason})" if test.reason and not test.passed else ""))
    status = "timed out" if result.timed_out else f"exit code {result.exit_code}"
    counts = f"{result.failed} failed, {result.skipped} skipped, {result.errors} errors"
    typer.echo(f"{result.passed}/{result.total} hidden tests passed ({counts}; {status}, {result.duration_s:.2f}s)")
    typer.echo(f"isolation: {result.isolation}; integrity: {result.integrity}")
    for note in result.integrity_notes:
        typer.echo(f"  {note}")
    if not result.all_passed and result.output_tail:
        typer.echo(f"--- last {tail_lines} lines of output ---")
        typer.echo("\n".join(result.output_tail.splitlines()[-tail_lines:]))


@sandbox_app.command("test")
def test(
    task_dir: Annotated[Path, typer.Argument(help="A build task folder (task.json, tests/, ...).")],
    submission_dir: Annotated[Path, typer.Argument(help="Folder holding the implementation (its work tree).")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON: tests, passed, failed, skipped, "
                           "errors, total, exit_code, timed_out, duration_s, isolation, integrity, integrity_notes, output_tail.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Wall-clock limit in seconds (default: the task's).")
    ] = None,
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help='Grant a task that requires "network" an internal network with no route out.')
    ] = False,
) -> None:
    """Run a task's hidden tests against an implementation in a fresh sandbox.

    Exit code 0 when every hidden test passed, 1 when not (or when the run's
    integrity is `tampered` or `error`), 2 on errors (bad input, sandbox unavailable).
    """
    from ..sandbox import DockerSandbox, check_needs, load_build_task, read_submission_dir

    task = load_build_task(task_dir)
    check_needs(task, allow_network)
    files = read_submission_dir(submission_dir)
    sandbox = DockerSandbox(allow_network=allow_network)
    sandbox.prepare()
    result = sandbox.run(task, files, f"cli-{uuid.uuid4().hex[:12]}", timeout_s=timeout)
    if json_output:
        typer.echo(result.public_json())
    else:
        print_test_run(result)
    raise typer.Exit(0 if result.all_passed else 1)


@sandbox_app.command("sweep")
def sweep() -> None:
    """Remove sandbox containers (and their networks) left behind by harness processes that no longer run.

    A container or network counts as left behind when its labels name a process of this host that
    has exited (pid and process start time); those of running harness processes and of other hosts
    stay. Runs that start the Docker sandbox do the same first; this is for after a killed run.
    """
    import docker
    import docker.errors

    from ..sandbox import LABEL_PID, SandboxInfraError, sweep_stale_containers

    try:
        client = docker.from_env()
        networks = {network["Id"] for network in client.api.networks(filters={"label": LABEL_PID})}
        removed = sweep_stale_containers(client)
    except docker.errors.DockerException as exc:
        raise SandboxInfraError(f"Docker daemon not usable: {exc}") from exc
    gone_networks = [i for i in removed if i in networks]
    gone_containers = [i for i in removed if i not in networks]
    for kind, ids in (("container", gone_containers), ("network", gone_networks)):
        for identifier in ids:
            typer.echo(f"removed {kind} {identifier[:12]}")
    typer.echo(f"removed {len(gone_containers)} stale sandbox container(s) and {len(gone_networks)} network(s)")
