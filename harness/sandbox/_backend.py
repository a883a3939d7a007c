"""What a sandbox backend does, and the registry of backends by name."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .._errors import SandboxInfraError
from ..tasks import BuildTask
from ._archive import Submission
from ._models import TestRunResult

__all__ = ["DEFAULT_SANDBOX_BACKEND", "SANDBOX_BACKENDS", "SandboxBackend", "create_backend"]

DEFAULT_SANDBOX_BACKEND = "docker"


@runtime_checkable
class SandboxBackend(Protocol):
    """Runs a build task's hidden tests against one submission, isolated from the host."""

    name: str

    def prepare(self) -> None:
        """Check the backend can run (daemon, image) and clean up after dead sessions.

        Raises SandboxInfraError when it cannot run.
        """
        ...

    def prepare_task(self, task: BuildTask) -> None:
        """Make ready what a task's hidden tests need (a derived image for its packages), before any run.

        Raises SandboxInputError when a need cannot be granted.
        """
        ...

    def run(
        self,
        task: BuildTask,
        files: Submission,
        run_id: str,
        *,
        cancel: threading.Event | None = None,
    ) -> TestRunResult:
        """Run the hidden tests in a fresh sandbox (blocking).

        Raises SandboxInfraError when the sandbox failed after retries, and
        SandboxInputError when the submission cannot be put into it. Setting
        `cancel` stops the run early (the sandbox is still cleaned up).
        """
        ...


def _docker_backend(**options: Any) -> SandboxBackend:
    from ._docker import DockerSandbox

    return DockerSandbox(**options)


def _ray_backend(**options: Any) -> SandboxBackend:
    from ._ray import RaySandbox

    return RaySandbox(**options)


SANDBOX_BACKENDS: dict[str, Callable[..., SandboxBackend]] = {"docker": _docker_backend, "ray": _ray_backend}
"""Backend name -> factory taking the backend's keyword options."""


def create_backend(name: str = DEFAULT_SANDBOX_BACKEND, **options: Any) -> SandboxBackend:
    """A backend from `SANDBOX_BACKENDS` by name."""
    try:
        factory = SANDBOX_BACKENDS[name]
    except KeyError:
        known = ", ".join(sorted(SANDBOX_BACKENDS))
        raise SandboxInfraError(f"unknown sandbox backend {name!r} (known: {known})") from None
    return factory(**options)
