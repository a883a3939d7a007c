"""Every file the harness writes: the published formats (FORMATS.md A and B), the details files and the run folder.

- `_evaluation.py`: evaluation files (FORMATS.md A); `_dataset.py`: dataset files (FORMATS.md B);
- `_rules.py`: rules both formats share (half-up rounding, which judgments count);
- `_details.py`: `results/details/<task>.json`; `_layout.py`: where each results file lives, file kinds;
- `_run_folder.py`: the run folder (`round.yaml`, `run.json`, cassette, task and rubric copies);
- `_json.py`: JSON text exactly as the source prints it, written atomically.
"""

from ._dataset import (
    DatasetFile,
    DatasetMeta,
    DatasetRound,
    FlatRow,
    dumps_dataset_file,
    load_dataset_file,
)
from ._details import (
    SELF_JUDGMENT_EXCLUDED,
    Answer,
    BuildOutcome,
    BuildSampleOutcome,
    Judgment,
    PacketReview,
    QuestionOutcome,
    ReviewScores,
    TestOutcome,
    Verdict,
    dumps_details,
)
from ._evaluation import (
    EvaluationFile,
    EvaluationMeta,
    ModelRef,
    PublishedJudgment,
    RankingEntry,
    Winner,
)
from ._json import dumps_published, js_number, write_atomic
from ._layout import (
    PUBLISHED_KINDS,
    FileKind,
    PublishedKind,
    ResultsFolder,
    detect_file_kind,
    sample_path,
)
from ._rules import MAX_SCORE, counts_in_rankings, quantize_half_up, round_half_up
from ._run_folder import (
    EvaluationSlot,
    RunFolder,
    RunInfo,
    evaluation_slot,
    utc_timestamp,
)

__all__ = [
    "MAX_SCORE",
    "PUBLISHED_KINDS",
    "SELF_JUDGMENT_EXCLUDED",
    "Answer",
    "BuildOutcome",
    "BuildSampleOutcome",
    "DatasetFile",
    "DatasetMeta",
    "DatasetRound",
    "EvaluationFile",
    "EvaluationMeta",
    "EvaluationSlot",
    "FileKind",
    "FlatRow",
    "Judgment",
    "ModelRef",
    "PacketReview",
    "PublishedJudgment",
    "PublishedKind",
    "QuestionOutcome",
    "RankingEntry",
    "ResultsFolder",
    "ReviewScores",
    "RunFolder",
    "RunInfo",
    "TestOutcome",
    "Verdict",
    "Winner",
    "counts_in_rankings",
    "detect_file_kind",
    "dumps_dataset_file",
    "dumps_details",
    "dumps_published",
    "evaluation_slot",
    "js_number",
    "load_dataset_file",
    "quantize_half_up",
    "round_half_up",
    "sample_path",
    "utc_timestamp",
    "write_atomic",
]
