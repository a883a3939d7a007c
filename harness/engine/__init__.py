"""The round engine: dispatch, sandboxed tests, pipelined judging, canonical ordering."""

from ._build import TestRunner, generation_request, run_build_tasks
from ._extract import ExtractionError, count_loc, extract_files
from ._question import answer_request, run_question_tasks
from ._sandboxed import SandboxInfraFailure, SandboxTestRunner

__all__ = [
    "ExtractionError",
    "SandboxInfraFailure",
    "SandboxTestRunner",
    "TestRunner",
    "answer_request",
    "count_loc",
    "extract_files",
    "generation_request",
    "run_build_tasks",
    "run_question_tasks",
]
