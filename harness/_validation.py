"""Turn pydantic validation errors into messages naming file, field and expectation."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ._errors import HarnessError

__all__ = ["describe_validation_error", "load_yaml_model"]

ModelT = TypeVar("ModelT", bound=BaseModel)


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


def load_yaml_model(path: Path, model: type[ModelT], error: type[HarnessError], what: str) -> ModelT:
    """Read a YAML (or JSON) file into `model`; every problem becomes `error` naming the file and field."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: {what} not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of settings at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(describe_validation_error(path, exc)) from exc
