"""Rubrics as data: criteria, weights and judge prompt templates read from `judges/*.yaml`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import ConfigError
from .._validation import load_yaml_model
from ..formats import round_half_up

__all__ = ["Criterion", "Scale", "PointwiseRubric", "load_rubric", "fill_template"]


class Criterion(BaseModel):
    """One scored criterion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Key of the criterion in the judge's JSON reply."""
    weight: float = Field(gt=0, le=1)
    """Weight in the weighted score; the weights of a rubric sum to 1."""
    description: str = ""
    """What the judge is told the criterion means."""


class Scale(BaseModel):
    """Range of every criterion's score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int = 0
    """Lowest allowed score."""
    max: int = 10
    """Highest allowed score."""


class PointwiseRubric(BaseModel):
    """A judge sees one anonymous answer and scores each criterion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Rubric name."""
    mode: Literal["pointwise"] = "pointwise"
    """Judging mode (one answer per judge call)."""
    scale: Scale = Field(default_factory=Scale)
    """Score range of the criteria."""
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    """Criteria in the order they are asked for."""
    justification_field: str = "brief_justification"
    """Key of the judge's free-text justification."""
    system_prompt: str = ""
    """System message of every judge call."""
    prompt_template: str
    """User message; placeholders {question}, {answer}, {criteria}, {json_example}."""
    repair_prompt: str
    """Re-ask after an unusable reply; placeholders {error}, {json_example}."""

    @model_validator(mode="after")
    def _check(self) -> PointwiseRubric:
        total = sum(Decimal(str(c.weight)) for c in self.criteria)
        if total != Decimal(1):
            raise ValueError(f"criteria weights must sum to 1 (they sum to {total})")
        for placeholder in ("{question}", "{answer}"):
            if placeholder not in self.prompt_template:
                raise ValueError(f"prompt_template must contain {placeholder}")
        return self

    def weighted_score(self, scores: dict[str, float]) -> float:
        """Weighted sum in exact decimals, rounded half-up to 2 places (FORMATS.md A)."""
        total = sum(Decimal(str(c.weight)) * Decimal(str(scores[c.name])) for c in self.criteria)
        return round_half_up(Decimal(total), 2)

    def json_example(self) -> str:
        example: dict[str, object] = {c.name: self.scale.max for c in self.criteria}
        example[self.justification_field] = "one or two sentences"
        return json.dumps(example)

    def criteria_text(self) -> str:
        return "\n".join(f"- {c.name}: {c.description}" for c in self.criteria)


def fill_template(template: str, **values: str) -> str:
    """Substitute `{name}` placeholders; braces inside the values are left alone."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def load_rubric(path: Path) -> PointwiseRubric:
    """Read a rubric file, with errors naming the file and field."""
    return load_yaml_model(path, PointwiseRubric, ConfigError, "rubric file")
