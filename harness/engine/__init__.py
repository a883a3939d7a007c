"""The round engine: dispatch, sandboxed tests, pipelined judging, canonical ordering."""

from ._build_round import HiddenTests, generation_request, run_build_tasks
from ._extract import ExtractionError, count_loc, extract_files
from ._hidden_tests import SandboxHiddenTests
from ._question_round import answer_request, run_question_tasks

__all__ = [
    "ExtractionError",
    "SandboxHiddenTests",
    "HiddenTests",
    "answer_request",
    "count_loc",
    "extract_files",
    "generation_request",
    "run_build_tasks",
    "run_question_tasks",
]
