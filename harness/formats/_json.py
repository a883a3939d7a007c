"""JSON text exactly as the published files have it, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["dumps_published", "write_atomic", "normalize_numbers"]


def normalize_numbers(value: Any) -> Any:
    """Integral floats become ints, as JavaScript prints them (10.0 -> 10)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: normalize_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize_numbers(v) for v in value]
    return value


def dumps_published(value: Any) -> str:
    """Serialize like the source (`JSON.stringify(v, null, 2)`): 2-space indent, UTF-8, no final newline."""
    return json.dumps(normalize_numbers(value), indent=2, ensure_ascii=False)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so readers never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; outputs are meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
