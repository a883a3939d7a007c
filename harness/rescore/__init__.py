"""Re-scoring: recompute derived fields of emitted files."""

from ._rescore import detect_kind, rescore_file, rescore_text

__all__ = ["detect_kind", "rescore_file", "rescore_text"]
