"""The round engine: dispatch, pipelined judging, canonical ordering."""

from ._question import answer_request, run_question_tasks
from ._results import Answer, QuestionOutcome

__all__ = ["Answer", "QuestionOutcome", "answer_request", "run_question_tasks"]
