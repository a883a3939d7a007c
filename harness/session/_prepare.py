"""Create a run folder from a config, or check that a config matches the run already there."""

from __future__ import annotations

import difflib
import tempfile
from datetime import datetime
from pathlib import Path

import yaml

from .._errors import ConfigError
from ..config import RoundConfig
from ..formats import RunFolder
from ..plan import RoundPlan

__all__ = ["prepare_run"]


def _config_diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "recorded round.yaml", "new config", lineterm="", n=1)
    return "\n".join(list(lines)[:40])


def _call_yaml(config: RoundConfig) -> str:
    return yaml.safe_dump(config.call_relevant(), sort_keys=False, allow_unicode=True)


def _changed_files(fresh: RunFolder, recorded: RunFolder) -> list[str]:
    changed = []
    for folder in (fresh.tasks_dir, fresh.judges_dir):
        if not folder.exists():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(fresh.root)
            other = recorded.root / relative
            if not other.is_file() or other.read_bytes() != path.read_bytes():
                changed.append(str(relative))
    return changed


def prepare_run(config_path: Path, plan: RoundPlan, out: Path | None, now: datetime) -> tuple[RunFolder, RoundPlan]:
    """The run folder for a config and its plan: new, or the same round's unfinished run (refused if the round changed).

    Returns the folder and the plan to execute: `plan` with the config as the run folder records it.
    """
    config_path = Path(config_path)
    config = plan.config
    if out is None:
        if config.output is None:
            raise ConfigError(f"{config_path}: output: no run folder given (use --out RUN_DIR or set `output`)")
        out = config_path.resolve().parent / config.output
    run = RunFolder(out)
    if run.exists():
        recorded = run.config_path.read_text(encoding="utf-8")
        with tempfile.TemporaryDirectory() as scratch:
            probe = RunFolder(Path(scratch))
            probe.snapshot(config, plan.task_dirs, plan.rubric_paths, run.load_info())
            fresh = probe.config_path.read_text(encoding="utf-8")
            changed = _changed_files(probe, run)
        if changed:
            raise ConfigError(
                f"{run.root} holds a run of a different round; resuming would change recorded calls. "
                f"Use another --out, or restore the recorded files.\nchanged files: {', '.join(changed)}"
            )
        if fresh != recorded:
            old_calls = _call_yaml(RoundConfig.model_validate(yaml.safe_load(recorded)))
            new_calls = _call_yaml(RoundConfig.model_validate(yaml.safe_load(fresh)))
            if old_calls != new_calls:
                raise ConfigError(
                    f"{run.root} holds a run of a different round; resuming would change recorded calls. "
                    f"Use another --out, or restore the recorded config.\n{_config_diff(old_calls, new_calls)}"
                )
            run.config_path.write_text(fresh, encoding="utf-8")  # limits, retries, endpoints: the new ones apply
        return run, plan.model_copy(update={"config": run.load_config()})
    question_ids = [t.task_id for t in plan.question_tasks]
    snapshot = run.snapshot(config, plan.task_dirs, plan.rubric_paths, RunFolder.new_info(now, question_ids))
    return run, plan.model_copy(update={"config": snapshot})
