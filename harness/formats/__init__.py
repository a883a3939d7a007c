"""The published file formats (FORMATS.md A and B) and how they are written."""

from ._dataset import DatasetFile, DatasetMeta, DatasetRound, FlatRow, dumps_dataset_file, load_dataset_file
from ._evaluation import EvaluationFile, EvaluationMeta, ModelRef, PublishedJudgment, RankingEntry, Winner
from ._json import dumps_published, normalize_numbers, write_atomic

__all__ = [
    "DatasetFile",
    "DatasetMeta",
    "DatasetRound",
    "EvaluationFile",
    "EvaluationMeta",
    "FlatRow",
    "ModelRef",
    "PublishedJudgment",
    "RankingEntry",
    "Winner",
    "dumps_dataset_file",
    "dumps_published",
    "load_dataset_file",
    "normalize_numbers",
    "write_atomic",
]
