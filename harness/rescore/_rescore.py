"""Recompute derived fields of emitted files from the judgments they hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from .._errors import FormatError
from .._validation import describe_validation_error
from ..formats import MAX_SCORE, PublishedKind, detect_file_kind, dumps_published, write_atomic

__all__ = ["RescoreOutcome", "UncountedJudgment", "detect_kind", "rescore_file", "rescore_text", "uncounted_judgments"]

FileKind = PublishedKind


def detect_kind(data: Any) -> FileKind:
    kind = detect_file_kind(data)
    if kind == "evaluation" or kind == "dataset":
        return kind
    raise FormatError("not an evaluation file (no evaluation_id) nor a dataset file (no rounds/flat)")


def rescore_text(text: str, source: str = "<input>") -> tuple[FileKind, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{source}: not valid JSON: {exc}") from exc
    kind = detect_kind(data)
    try:
        if kind == "evaluation":
            from ..aggregate._evaluation import rescore_evaluation
            from ..formats._evaluation import EvaluationFile

            rescored: Any = rescore_evaluation(EvaluationFile.model_validate(data))
        else:
            from ..aggregate._dataset import rescore_dataset
            from ..formats._dataset import DatasetFile

            rescored = rescore_dataset(DatasetFile.model_validate(data))
    except ValidationError as exc:
        raise FormatError(describe_validation_error(source, exc)) from exc
    return kind, dumps_published(rescored.model_dump(mode="json"))


class UncountedJudgment(NamedTuple):
    """A judgment of an evaluation file that the rankings leave out, and why."""

    position: int
    """Its index in the file's `judgments` (0-based)."""
    judge_key: str
    respondent_key: str
    weighted_score: Any
    reason: str
    invalid: bool
    """True for a judgment the format does not allow (a score outside (0, 10]); False for a self-judgment,
    which the format records and never ranks."""

    def describe(self) -> str:
        return f"judgments[{self.position}] {self.judge_key} -> {self.respondent_key} (score {self.weighted_score!r}): {self.reason}"


def uncounted_judgments(data: Any) -> list[UncountedJudgment]:
    """The judgments of an evaluation file's JSON that do not count in its rankings (FORMATS.md A)."""
    if not isinstance(data, dict) or not isinstance(data.get("judgments"), list):
        return []
    found = []
    for index, judgment in enumerate(data["judgments"]):
        if not isinstance(judgment, dict):
            continue
        judge, respondent, score = judgment.get("judge_key"), judgment.get("respondent_key"), judgment.get("weighted_score")
        if judge == respondent:
            found.append(UncountedJudgment(index, str(judge), str(respondent), score, "self-judgment: recorded, never ranked", False))
        elif not isinstance(score, (int, float)) or isinstance(score, bool) or not 0 < score <= MAX_SCORE:
            reason = f"score outside (0, {MAX_SCORE}]: not counted"
            found.append(UncountedJudgment(index, str(judge), str(respondent), score, reason, True))
    return found


class RescoreOutcome(NamedTuple):
    kind: FileKind
    uncounted: list[UncountedJudgment]
    written: bool
    """False when invalid judgments were found and not allowed to be dropped: nothing was written."""


def rescore_file(path: Path, out: Path, *, drop_invalid: bool = False) -> RescoreOutcome:
    """Rescore `path` into `out`; with invalid judgments, write only when `drop_invalid` (they are left out)."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: file not found")
    text = path.read_text(encoding="utf-8")
    try:
        uncounted = uncounted_judgments(json.loads(text))
    except json.JSONDecodeError:
        uncounted = []  # rescore_text names the JSON error
    invalid = any(u.invalid for u in uncounted)
    if invalid and not drop_invalid:
        kind: FileKind = "evaluation"
        return RescoreOutcome(kind, uncounted, written=False)
    kind, rescored = rescore_text(text, str(path))
    write_atomic(Path(out), rescored)
    return RescoreOutcome(kind, uncounted, written=True)
