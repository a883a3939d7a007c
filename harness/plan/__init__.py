"""Planning: resolve a config into tasks, rubrics, the list of calls, and their estimated cost."""

from ._estimate import ModelEstimate, Prices, RoundEstimate, estimate_round
from ._panel import available_judges, judge_cycle, question_panels, review_panels
from ._plan import (
    CallCounts,
    JudgmentSlot,
    PlannedCall,
    RoundPlan,
    full_matrix_counts,
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
    "available_judges",
    "estimate_round",
    "full_matrix_counts",
    "judge_cycle",
    "load_plan",
    "make_plan",
    "plan_calls",
    "question_panels",
    "resolve_rubric_path",
    "resolve_task_dirs",
    "review_panels",
]
