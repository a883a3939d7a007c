"""Turn pydantic validation errors into messages naming file, field and expectation."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

__all__ = ["describe_validation_error"]


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def describe_validation_error(source: Path | str, error: ValidationError) -> str:
    """One line per problem: ``FILE: field.path: what was expected (got ...)``."""
    lines = []
    for item in error.errors():
        field = _field_path(tuple(item["loc"]))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field (not allowed here)"
        got = item.get("input")
        shown = "" if item["type"] in ("missing", "extra_forbidden") else f" (got {got!r:.80})"
        lines.append(f"{source}: {field}: {message}{shown}")
    return "\n".join(lines)
