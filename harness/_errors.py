"""Every error the harness reports to its users, in one tree rooted in `HarnessError`.

Each message names what is wrong and where (file, field, task, model). The CLI prints
`error: <message>` and exits 2 for any of them.

    HarnessError                 an error meant for the person running the harness
    ├── ConfigError              a round config or rubric file is invalid
    ├── TaskError                a task folder is invalid
    ├── TaskCheckError           a task's hidden tests do not separate a correct implementation from an empty one
    ├── CassetteError            a recorded call is missing, or a cassette is unusable
    ├── FormatError              an input file does not follow its format (FORMATS.md, details, run.json)
    ├── ReportError              a report cannot be made from a folder
    ├── SandboxInputError        a submission or task cannot be put into the sandbox
    └── SandboxInfraError        the sandbox itself failed (Docker, image): no verdict on the submission

Errors that never reach a user stay where they are raised and are handled there: a judge's unusable
reply (`judging.ReplyError`), a reply with no implementation (`engine.ExtractionError`), an empty
provider reply (`llm.EmptyReplyError`).
"""

from __future__ import annotations

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
]


class HarnessError(Exception):
    """An error with a message meant for the person running the harness."""


class ConfigError(HarnessError):
    """A round config file (or a rubric it names) is invalid."""


class TaskError(HarnessError):
    """A task folder is invalid."""


class TaskCheckError(HarnessError):
    """A build task's hidden tests do not separate a correct implementation from an empty one."""


class CassetteError(HarnessError):
    """A recorded call is missing or a cassette is unusable."""


class FormatError(HarnessError):
    """An input file does not follow its expected format."""


class ReportError(HarnessError):
    """The report cannot be made from this folder (not a run folder, no results, unreadable files)."""


class SandboxInputError(HarnessError):
    """A submission or task cannot be put into the sandbox (unsafe path, too large, ...)."""


class SandboxInfraError(HarnessError):
    """The sandbox itself failed (Docker daemon, image, API): not a verdict on the submission.

    Raised during a round when a hidden-test run could not happen: the run stops, every recorded call
    is kept, and running again resumes.
    """
