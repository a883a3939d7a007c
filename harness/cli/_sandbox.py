"""`harness sandbox ...` commands (filled in by the sandbox work)."""

from __future__ import annotations

from ._app import sandbox_app

__all__ = ["sandbox_app"]
