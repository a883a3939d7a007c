"""Running, resuming and replaying rounds."""

from ._session import RunReport, execute_run, live_client, plan_of_run, prepare_run, replay_run, run_round

__all__ = ["RunReport", "execute_run", "live_client", "plan_of_run", "prepare_run", "replay_run", "run_round"]
