"""Planning: resolve a config into tasks, rubrics, call counts and estimates."""

from ._estimate import ModelEstimate, Prices, RoundEstimate, estimate_round
from ._plan import (
    CallCounts,
    RoundPlan,
    make_plan,
    resolve_rubric_path,
    resolve_task_dirs,
)

__all__ = [
    "CallCounts",
    "ModelEstimate",
    "Prices",
    "RoundEstimate",
    "RoundPlan",
    "estimate_round",
    "make_plan",
    "resolve_rubric_path",
    "resolve_task_dirs",
]
