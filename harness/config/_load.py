"""Read a round config file, with errors naming the file, field and expectation."""

from __future__ import annotations

from pathlib import Path

import yaml

from .._errors import ConfigError
from .._validation import load_yaml_model
from ._models import RoundConfig

__all__ = ["load_round_config", "dump_round_config"]


def load_round_config(path: Path) -> RoundConfig:
    """Parse and validate a YAML (or JSON) round config."""
    return load_yaml_model(path, RoundConfig, ConfigError, "round config")


def dump_round_config(config: RoundConfig) -> str:
    """YAML text of a config (used for the run folder's snapshot)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
