"""Round configuration files."""

from ._load import dump_round_config, load_round_config
from ._models import (
    CallsConfig,
    ModelConfig,
    ModelPrice,
    RetryConfig,
    RoundConfig,
    SamplingConfig,
    SamplingSettings,
    JudgingConfig,
    SandboxConfig,
)

__all__ = [
    "CallsConfig",
    "ModelConfig",
    "ModelPrice",
    "RetryConfig",
    "RoundConfig",
    "SamplingConfig",
    "JudgingConfig",
    "SandboxConfig",
    "SamplingSettings",
    "dump_round_config",
    "load_round_config",
]
