"""Importers of past rounds."""

from ._multivac import (
    ModelLabel,
    RawMultivacRound,
    default_rubric_path,
    import_multivac_round,
    load_labels,
)
from ._scripted import ScriptedClient, ScriptedReply

__all__ = ["ModelLabel", "RawMultivacRound", "load_labels", "ScriptedClient", "ScriptedReply", "default_rubric_path", "import_multivac_round"]
