"""Re-scoring: recompute derived fields of emitted files."""

from ._rescore import RescoreOutcome, UncountedJudgment, detect_kind, rescore_file, rescore_text, uncounted_judgments

__all__ = ["RescoreOutcome", "UncountedJudgment", "detect_kind", "rescore_file", "rescore_text", "uncounted_judgments"]
