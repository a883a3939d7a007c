"""Recompute derived fields of emitted files from the judgments they hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._errors import FormatError
from .._validation import describe_validation_error
from ..formats import PublishedKind, detect_file_kind, dumps_published, write_atomic

__all__ = ["detect_kind", "rescore_file", "rescore_text"]

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


def rescore_file(path: Path, out: Path) -> FileKind:
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: file not found")
    kind, text = rescore_text(path.read_text(encoding="utf-8"), str(path))
    write_atomic(Path(out), text)
    return kind
