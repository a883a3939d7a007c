"""Where each file of a results folder lives, and which kind of file a document is.

A results folder is `RUN_DIR/results/` (or `DIR/results/` of `replay --out DIR` and `demo --out DIR`):

    EVAL-<yyyymmdd>-<hhmmss>.json      evaluation file per question task (FORMATS.md A)
    dataset.json                       dataset file of the build tasks (FORMATS.md B)
    details/<task>.json                details of every task (`_details.py`)
    builds/<task>/<model>/sample-<k>/  the files of each build sample
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

__all__ = ["PUBLISHED_KINDS", "FileKind", "PublishedKind", "ResultsFolder", "detect_file_kind", "sample_path"]

PublishedKind = Literal["evaluation", "dataset"]
FileKind = Literal["evaluation", "dataset", "question-details", "build-details"]
PUBLISHED_KINDS: Final[tuple[PublishedKind, ...]] = ("evaluation", "dataset")

DATASET_NAME: Final = "dataset.json"
DETAILS_DIR: Final = "details"
BUILDS_DIR: Final = "builds"
EVALUATION_GLOB: Final = "EVAL-*.json"


def detect_file_kind(document: object) -> FileKind | None:
    """By its top-level keys: `evaluation_id`; `rounds` and `flat`; `answers`; `samples`. None for anything else."""
    if not isinstance(document, Mapping):
        return None
    if "evaluation_id" in document:
        return "evaluation"
    if "rounds" in document and "flat" in document:
        return "dataset"
    if "answers" in document:
        return "question-details"
    if "samples" in document:
        return "build-details"
    return None


def sample_path(task_id: str, model_id: str, sample: int) -> str:
    """A build sample's folder relative to the results folder (the dataset's `runPath`)."""
    return f"{BUILDS_DIR}/{task_id}/{model_id}/sample-{sample}"


class ResultsFolder:
    """Paths of the files in one results folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def dataset_path(self) -> Path:
        return self.root / DATASET_NAME

    @property
    def details_dir(self) -> Path:
        return self.root / DETAILS_DIR

    def details_path(self, task_id: str) -> Path:
        return self.details_dir / f"{task_id}.json"

    def detail_paths(self) -> list[Path]:
        return sorted(self.details_dir.glob("*.json")) if self.details_dir.is_dir() else []

    def evaluation_path(self, evaluation_id: str) -> Path:
        return self.root / f"{evaluation_id}.json"

    def evaluation_paths(self) -> list[Path]:
        return sorted(self.root.glob(EVALUATION_GLOB))

    def sample_dir(self, task_id: str, model_id: str, sample: int) -> Path:
        return self.root / sample_path(task_id, model_id, sample)

    def has_published_files(self) -> bool:
        return self.dataset_path.is_file() or bool(self.evaluation_paths())
