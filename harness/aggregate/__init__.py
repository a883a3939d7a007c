"""Aggregation of round results into the published formats."""

from __future__ import annotations

from ._dataset import (
    CROSS_MODEL_OBSERVATIONS_PLACEHOLDER,
    SPEC_CHANGES_PLACEHOLDER,
    aggregate_build_round,
    build_dataset_file,
    flat_rows,
    recommendation_placeholder,
    rescore_dataset,
    rescore_round,
)
from ._dataset_models import BuildRoundInput, BuildSample, ImplBuild, JudgeCost, Review
from ._evaluation import (
    EvaluationInput,
    PoolModel,
    ScoredJudgment,
    aggregate_evaluation,
    methodology,
    panel_of,
    qualifying_judges,
    rescore_evaluation,
)

__all__ = [
    "EvaluationInput",
    "PoolModel",
    "ScoredJudgment",
    "aggregate_evaluation",
    "methodology",
    "panel_of",
    "qualifying_judges",
    "rescore_evaluation",
    "BuildRoundInput",
    "BuildSample",
    "ImplBuild",
    "JudgeCost",
    "Review",
    "CROSS_MODEL_OBSERVATIONS_PLACEHOLDER",
    "SPEC_CHANGES_PLACEHOLDER",
    "aggregate_build_round",
    "build_dataset_file",
    "flat_rows",
    "recommendation_placeholder",
    "rescore_dataset",
    "rescore_round",
]
