"""Read a judge's reply: the JSON object in it, validated against what was asked."""

from __future__ import annotations

import json
import re
from typing import Any

from ._rubric import PointwiseRubric

__all__ = ["ReplyError", "extract_json_object", "parse_pointwise_reply"]

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)


class ReplyError(ValueError):
    """A judge reply that cannot be used; the message says why (it is sent back in the repair re-ask)."""


def extract_json_object(text: str) -> Any:
    """The JSON value in a reply: the whole text, a fenced block, or the outermost braces."""
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    last_error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            last_error = exc
    raise ReplyError(f"no JSON object found in the reply ({last_error})" if last_error else "empty reply")


def _score(value: Any, name: str, rubric: PointwiseRubric) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReplyError(f"criterion {name!r} must be a number, got {value!r:.40}")
    if not rubric.scale.min <= value <= rubric.scale.max:
        raise ReplyError(f"criterion {name!r} is {value}, outside {rubric.scale.min}..{rubric.scale.max}")
    return float(value)


def parse_pointwise_reply(text: str, rubric: PointwiseRubric) -> tuple[dict[str, float], str]:
    """Criterion scores and justification; a missing criterion is an error, never a 0."""
    data = extract_json_object(text)
    if not isinstance(data, dict):
        raise ReplyError("the reply's JSON is not an object")
    missing = [c.name for c in rubric.criteria if c.name not in data or data[c.name] is None]
    if missing:
        raise ReplyError(f"missing criteria: {', '.join(missing)}")
    scores = {c.name: _score(data[c.name], c.name, rubric) for c in rubric.criteria}
    justification = data.get(rubric.justification_field, "")
    if not isinstance(justification, str):
        justification = json.dumps(justification, ensure_ascii=False)
    return scores, justification
