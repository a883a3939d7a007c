"""Check a published file against the JSON Schema of its format."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..formats import detect_file_kind
from ._schema import FileKind, format_json_schema

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaError
    from jsonschema.protocols import Validator

__all__ = ["FileValidation", "detect_published_kind", "validate_document", "validate_published_file"]


@dataclass(frozen=True)
class FileValidation:
    """Outcome of checking one file. `kind` is None when the file is not one of the formats."""

    path: Path
    kind: FileKind | None
    errors: list[str] = field(default_factory=list)
    """One line per problem, `$.json.path: what is wrong`, sorted by path."""

    @property
    def valid(self) -> bool:
        return self.kind is not None and not self.errors


def detect_published_kind(document: Any) -> FileKind | None:
    """`evaluation` or `dataset` by the top-level keys (`formats.detect_file_kind`); None for any other file."""
    kind = detect_file_kind(document)
    return kind if kind == "evaluation" or kind == "dataset" else None


@cache
def _validator(kind: FileKind) -> Validator:
    from jsonschema import Draft202012Validator

    schema = format_json_schema(kind)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _json_path(parts: Iterable[str | int]) -> str:
    """JSONPath (RFC 9535) of a value: `$.rankings.gpt_5_4.average_score`, `$.rankings['gpt-5.4']`, `$.flat[0]`."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            path += f"['{escaped}']"
    return path


def _type_names(value: object) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []


def _problems(error: SchemaError) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, message) pairs; a failed `anyOf` (an object or null) is explained by the branch that fits."""
    if not error.context:
        return [(tuple(error.absolute_path), error.message)]
    branch_errors = [e for e in error.context if not (e.validator == "type" and "null" in _type_names(e.validator_value))]
    if error.instance is not None and branch_errors and any(e.validator != "type" for e in branch_errors):
        return [problem for e in branch_errors if e.validator != "type" for problem in _problems(e)]
    expected = [name for e in error.context if e.validator == "type" for name in _type_names(e.validator_value)]
    if len(expected) == len(error.context):
        return [(tuple(error.absolute_path), f"{error.instance!r} is not of type {', '.join(map(repr, expected))}")]
    return [(tuple(error.absolute_path), error.message)]


def _sort_key(problem: tuple[tuple[str | int, ...], str]) -> tuple[tuple[tuple[int, str], ...], str]:
    parts, message = problem
    return tuple((0, f"{p:012d}") if isinstance(p, int) else (1, p) for p in parts), message


def validate_document(document: Any, kind: FileKind) -> list[str]:
    """Every schema violation of `document` as `$.path: message`, in path order."""
    problems = [problem for error in _validator(kind).iter_errors(document) for problem in _problems(error)]
    lines: list[str] = []
    for parts, message in sorted(problems, key=_sort_key):
        line = f"{_json_path(parts)}: {message}"
        if line not in lines:
            lines.append(line)
    return lines


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def validate_published_file(path: Path) -> FileValidation:
    """Read `path`, tell its format from its top-level keys and check it against that format's schema."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        return FileValidation(path, None, [f"$: not valid JSON ({exc})"])
    kind = detect_published_kind(document)
    if kind is None:
        return FileValidation(
            path,
            None,
            ["$: neither an evaluation file (no `evaluation_id`) nor a dataset file (no `rounds` and `flat`)"],
        )
    return FileValidation(path, kind, validate_document(document, kind))
