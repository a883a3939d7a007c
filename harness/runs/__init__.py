"""Run folders: the self-contained record of one round."""

from ._folder import EvaluationSlot, RunFolder, RunInfo, evaluation_slot, utc_timestamp

__all__ = ["EvaluationSlot", "RunFolder", "RunInfo", "evaluation_slot", "utc_timestamp"]
