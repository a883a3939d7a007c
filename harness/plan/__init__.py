"""Planning: resolve a config into tasks, rubrics, the list of calls, and their estimated cost."""

from ._estimate import ModelEstimate, Prices, RoundEstimate, estimate_round
from ._plan import (
    CallCounts,
    JudgmentSlot,
    PlannedCall,
    RoundPlan,
    load_plan,
    make_plan,
    plan_calls,
    resolve_rubric_path,
    resolve_task_dirs,
)

__all__ = [
    "CallCounts",
    "JudgmentSlot",
    "ModelEstimate",
    "PlannedCall",
    "Prices",
    "RoundEstimate",
    "RoundPlan",
    "estimate_round",
    "load_plan",
    "make_plan",
    "plan_calls",
    "resolve_rubric_path",
    "resolve_task_dirs",
]
