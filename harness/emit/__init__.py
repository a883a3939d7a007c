"""Emitters: from round results to the files the analysis layer reads."""

from ._base import EMITTERS, Emitter, RoundResult, emit_all, register_emitter
from ._dataset import BuildFilesEmitter, DatasetEmitter, build_round_input
from ._evaluation import EvaluationEmitter, QuestionDetailsEmitter, evaluation_input

__all__ = [
    "EMITTERS",
    "BuildFilesEmitter",
    "DatasetEmitter",
    "build_round_input",
    "Emitter",
    "EvaluationEmitter",
    "QuestionDetailsEmitter",
    "RoundResult",
    "emit_all",
    "evaluation_input",
    "register_emitter",
]
