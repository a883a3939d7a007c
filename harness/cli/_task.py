"""`harness task ...` commands."""

from __future__ import annotations

from ._app import task_app

__all__ = ["task_app"]
