"""JSON Schemas of the two published formats, generated from their pydantic models.

The models already make every field required and forbid unknown keys; the schema
adds the FORMATS.md rules the models leave to the aggregation code (identifier and
timestamp shapes, score ranges), so a hand-edited file that breaks them is caught too.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Final

from ..formats import PUBLISHED_KINDS as FILE_KINDS
from ..formats import PublishedKind as FileKind

__all__ = ["FileKind", "FILE_KINDS", "format_json_schema"]

JsonObject = dict[str, Any]

_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"

_TIMESTAMP: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
_DATE: Final = r"^\d{4}-\d{2}-\d{2}$"
_PASSED_OF_TOTAL: Final = r"^\d+/\d+$"

_ROOT: Final = ""
"""Key of the top-level object in the rule tables below (other keys are `$defs` names)."""

_EVALUATION_RULES: Final[dict[str, dict[str, JsonObject]]] = {
    _ROOT: {
        "evaluation_id": {"pattern": r"^EVAL-\d{8}-\d{6}$"},
        "timestamp": {"pattern": _TIMESTAMP},
        "display_date": {"pattern": r"^[A-Z][a-z]{2} \d{2}, \d{4}$"},
        "avg_score": {"minimum": 0, "maximum": 10},
        "matrix_size": {"minimum": 0},
    },
    "RankingEntry": {
        "average_score": {"minimum": 0, "maximum": 10},
        "score_count": {"minimum": 1},
        "min_score": {"minimum": 0, "maximum": 10},
        "max_score": {"minimum": 0, "maximum": 10},
        "rank": {"minimum": 1},
    },
    "PublishedJudgment": {
        "weighted_score": {"exclusiveMinimum": 0, "maximum": 10},
        "brief_justification": {"maxLength": 500},
    },
}

_DATASET_RULES: Final[dict[str, dict[str, JsonObject]]] = {
    "DatasetMeta": {
        "generated_at": {"pattern": _TIMESTAMP},
        "rounds": {"minimum": 0},
        "rows": {"minimum": 0},
    },
    "Sample": {"round": {"pattern": _DATE}},
    "ScoreboardRow": {"tests": {"pattern": _PASSED_OF_TOTAL}},
    "ReviewScore": {
        "spec": {"minimum": 0, "maximum": 10},
        "quality": {"minimum": 0, "maximum": 20},
        "note": {"maxLength": 80},
    },
    "FlatRow": {
        "round": {"pattern": _DATE},
        "tests": {"pattern": _PASSED_OF_TOTAL},
        "samples": {"minimum": 0},
    },
}


def _merge_plain_type_unions(node: Any) -> Any:
    """`anyOf: [{type: number}, {type: null}]` becomes `type: [number, null]`, everywhere.

    Same meaning, and a validator then reports "'x' is not of type 'number', 'null'"
    instead of "'x' is not valid under any of the given schemas".
    """
    if isinstance(node, list):
        return [_merge_plain_type_unions(item) for item in node]
    if not isinstance(node, dict):
        return node
    merged = {key: _merge_plain_type_unions(value) for key, value in node.items()}
    options = merged.get("anyOf")
    if isinstance(options, list) and options and all(
        isinstance(option, dict) and set(option) == {"type"} and isinstance(option["type"], str) for option in options
    ):
        del merged["anyOf"]
        merged["type"] = [option["type"] for option in options]
    return merged


def _apply_rules(schema: JsonObject, rules: dict[str, dict[str, JsonObject]]) -> None:
    """Add the keywords of `rules` to the named properties; a rule naming no property is a bug."""
    for owner, properties in rules.items():
        target = schema if owner == _ROOT else schema.get("$defs", {}).get(owner)
        if not isinstance(target, dict) or not isinstance(target.get("properties"), dict):
            raise RuntimeError(f"schema rule for unknown definition {owner!r}")
        for name, keywords in properties.items():
            prop = target["properties"].get(name)
            if not isinstance(prop, dict):
                raise RuntimeError(f"schema rule for unknown property {owner or 'root'}.{name}")
            prop.update(keywords)


@cache
def _generated_schema(kind: FileKind) -> JsonObject:
    from ..formats import DatasetFile, EvaluationFile

    # Serialization mode with aliases: the schema of the file as written (camelCase
    # keys in the dataset file, e.g. "range" for AgreementRow.spec_range).
    if kind == "evaluation":
        raw = EvaluationFile.model_json_schema(by_alias=True, mode="serialization")
        rules = _EVALUATION_RULES
        title = "Evaluation file of a question round (FORMATS.md A)"
    else:
        raw = DatasetFile.model_json_schema(by_alias=True, mode="serialization")
        rules = _DATASET_RULES
        title = "Dataset file of build rounds (FORMATS.md B)"
    body = _merge_plain_type_unions(raw)
    assert isinstance(body, dict)
    _apply_rules(body, rules)
    body.pop("title", None)
    return {"$schema": _DRAFT, "title": title, **body}


def format_json_schema(kind: FileKind) -> JsonObject:
    """The JSON Schema (draft 2020-12) of a published format; a fresh copy the caller may change."""
    if kind not in FILE_KINDS:
        raise ValueError(f"unknown file kind {kind!r} (expected one of {', '.join(FILE_KINDS)})")
    return copy.deepcopy(_generated_schema(kind))
