"""Command-line interface. Heavy imports (LiteLLM, docker) happen inside commands."""

from __future__ import annotations

import sys

from .._errors import HarnessError

# Each module registers its commands on `app` (or a sub-app) when imported.
from . import _analyze as _analyze  # noqa: E402
from . import _demo as _demo  # noqa: E402
from . import _report as _report  # noqa: E402
from . import _round as _round  # noqa: E402
from . import _sandbox as _sandbox  # noqa: E402
from . import _task as _task  # noqa: E402
from . import _tools as _tools  # noqa: E402
from ._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point: user errors print one clear message, exit code 2."""
    try:
        app()
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(
            "interrupted: every finished call is in the run folder's cassette; "
            "`harness resume RUN_DIR` continues without paying for them again",
            file=sys.stderr,
        )
        sys.exit(130)
