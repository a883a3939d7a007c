"""Errors of the sandbox: the sandbox failed (infra) or its input is unusable."""

from __future__ import annotations

from .._errors import HarnessError

__all__ = ["SandboxInfraError", "SandboxInputError", "TaskCheckError"]


class SandboxInfraError(HarnessError):
    """The sandbox itself failed (Docker daemon, image, API): not a verdict on the submission."""


class SandboxInputError(HarnessError):
    """A submission or task cannot be put into the sandbox (unsafe path, too large, ...)."""


class TaskCheckError(HarnessError):
    """A build task's hidden tests do not separate a correct implementation from an empty one."""
