"""harness: run LLM evaluation rounds end to end, recorded and replayable."""

from ._errors import (
    CassetteError,
    ConfigError,
    FormatError,
    HarnessError,
    ReportError,
    SandboxInfraError,
    SandboxInputError,
    TaskCheckError,
    TaskError,
)

__version__ = "0.1.0"

__all__ = [
    "CassetteError",
    "ConfigError",
    "FormatError",
    "HarnessError",
    "ReportError",
    "SandboxInfraError",
    "SandboxInputError",
    "TaskCheckError",
    "TaskError",
    "__version__",
]
