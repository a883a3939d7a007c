"""Turn a model's reply into files: fenced blocks tagged with a file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

__all__ = ["ExtractionError", "extract_files", "count_loc"]

_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*([^\n`]*)\n(.*?)^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_ATTRIBUTE = re.compile(r"""(?:file|filename|title|path)\s*[=:]\s*["']?([^"'\s]+)""", re.IGNORECASE)
_FORBIDDEN_PREFIXES = ("_eval_tests",)


class ExtractionError(ValueError):
    """The reply holds no usable implementation; the message says why."""


def _file_name(info: str) -> str | None:
    attribute = _ATTRIBUTE.search(info)
    if attribute:
        return attribute.group(1)
    for token in info.split():
        if "." in token.strip(".") or "/" in token:
            return token
    return None


def _safe(name: str) -> str:
    cleaned = name.strip()
    path = PurePosixPath(cleaned[2:] if cleaned.startswith("./") else cleaned)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ExtractionError(f"file name {name!r} points outside the work tree")
    if path.parts[0] in _FORBIDDEN_PREFIXES:
        raise ExtractionError(f"file name {name!r} is reserved for the hidden tests")
    return str(path)


def extract_files(reply: str, entrypoint: str) -> dict[str, str]:
    """Files from fenced blocks tagged with a name; one untagged block is the entrypoint.

    Raises ExtractionError when no block yields the entrypoint.
    """
    blocks = [(match.group(2).strip(), match.group(3)) for match in _FENCE.finditer(reply)]
    if not blocks:
        raise ExtractionError("the reply has no fenced code block")
    files: dict[str, str] = {}
    untagged: list[str] = []
    for info, body in blocks:
        name = _file_name(info)
        if name is None:
            untagged.append(body)
        else:
            files[_safe(name)] = body
    if entrypoint not in files and len(untagged) == 1 and not files:
        files[entrypoint] = untagged[0]
    if entrypoint not in files:
        named = ", ".join(sorted(files)) or "none"
        raise ExtractionError(f"the reply has no block for the entrypoint {entrypoint!r} (files named: {named})")
    return files


def count_loc(source: str, method: str = "non_blank_non_comment_lines") -> int:
    """Lines of code by the task's `loc_method`: non-blank lines that are not `#` comments, or every line (`wc_l`)."""
    if method == "wc_l":
        return len(source.splitlines())
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))
