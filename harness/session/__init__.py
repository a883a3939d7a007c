"""Running, resuming and replaying rounds."""

from ._prepare import prepare_run
from ._session import (
    RunReport,
    execute_run,
    live_client,
    plan_of_run,
    replay_run,
    resume_run,
    run_round,
)

__all__ = ["RunReport", "execute_run", "live_client", "plan_of_run", "prepare_run", "replay_run", "resume_run", "run_round"]
