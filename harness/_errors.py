"""Errors the harness reports to users: each names what is wrong and where."""

from __future__ import annotations

__all__ = ["HarnessError", "ConfigError", "TaskError", "CassetteError", "FormatError"]


class HarnessError(Exception):
    """An error with a message meant for the person running the harness."""


class ConfigError(HarnessError):
    """A round config file is invalid."""


class TaskError(HarnessError):
    """A task folder is invalid."""


class CassetteError(HarnessError):
    """A recorded call is missing or a cassette is unusable."""


class FormatError(HarnessError):
    """An input file does not follow its expected format."""
