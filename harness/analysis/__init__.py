"""Cross-round analysis (`harness analyze`): rankings with uncertainty, judge bias, agreement, fragility,
and how well judges agree with hidden tests. Definitions: `../shared/ANALYSIS.md`; README, "Analysing many rounds"."""

from ._analyze import CSV_TABLES, analyze
from ._bt import BradleyTerry, bradley_terry, fit_strengths
from ._families import default_families, family_of_litellm_model, load_families
from ._inputs import load_inputs
from ._model import AnalysisInput, BuildImpl, BuildReview, BuildRound, JudgmentRow, QuestionRound, RankingRow
from ._tables import family_bias_table, judges_table, leaderboard_table
from ._write import write_analysis

__all__ = [
    "CSV_TABLES",
    "AnalysisInput",
    "BradleyTerry",
    "BuildImpl",
    "BuildReview",
    "BuildRound",
    "JudgmentRow",
    "QuestionRound",
    "RankingRow",
    "analyze",
    "bradley_terry",
    "default_families",
    "family_bias_table",
    "family_of_litellm_model",
    "fit_strengths",
    "judges_table",
    "leaderboard_table",
    "load_families",
    "load_inputs",
    "write_analysis",
]
