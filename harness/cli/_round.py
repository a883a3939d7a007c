"""`harness run`, `replay`, `rescore` and `import` commands."""

from __future__ import annotations

from ._app import app

__all__ = ["app"]
