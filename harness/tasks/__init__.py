"""Task folders: question tasks and build tasks with hidden tests."""

from ._load import REFERENCE_DIR_NAMES, RUNNER_OWNED_NAMES, SOURCE_DEFAULTS, load_task
from ._models import (
    BuildTask,
    BuildTaskFile,
    Isolation,
    LocMethod,
    QuestionTask,
    QuestionTaskFile,
    Task,
)
from ._needs import NEED_FORMS, Need, NeedKind, parse_need

__all__ = [
    "NEED_FORMS",
    "Need",
    "NeedKind",
    "parse_need",
    "RUNNER_OWNED_NAMES",
    "Isolation",
    "LocMethod",
    "SOURCE_DEFAULTS",
    "REFERENCE_DIR_NAMES",
    "BuildTask",
    "BuildTaskFile",
    "QuestionTask",
    "QuestionTaskFile",
    "Task",
    "load_task",
]
