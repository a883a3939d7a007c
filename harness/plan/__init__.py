"""Planning: resolve a config into tasks, rubric and call counts."""

from ._plan import CallCounts, RoundPlan, make_plan, resolve_rubric_path, resolve_task_dirs

__all__ = ["CallCounts", "RoundPlan", "make_plan", "resolve_rubric_path", "resolve_task_dirs"]
