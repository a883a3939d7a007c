"""Read the inputs of `harness analyze`: files and folders of every kind, recognised from their content.

- evaluation files (FORMATS.md A) and raw Multivac rounds (the same keys, plus `responses`, failures and
  self-judgments): question rounds, read as stored;
- dataset files (FORMATS.md B): build rounds;
- run folders (`round.yaml` + `run.json`): their `results/`, with the failures and recorded self-judgments of
  their details files, and the LiteLLM model of each model (for default families);
- folders: everything in them, recursively.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .._errors import FormatError
from ..formats import SELF_JUDGMENT_EXCLUDED, RunFolder, detect_file_kind
from ._model import AnalysisInput, JudgmentRow, QuestionRound, RankingRow

__all__ = ["load_inputs"]

COMPANION_SUFFIXES = (".model_metadata.json",)
"""Files beside raw rounds that are not rounds themselves."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: not a readable JSON file ({exc})") from exc


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def question_round(data: Mapping[str, Any], source: str) -> QuestionRound:
    """An evaluation file or a raw Multivac round, as stored."""
    rankings_data = data.get("rankings")
    judgments_data = data.get("judgments")
    if not isinstance(rankings_data, Mapping) or not isinstance(judgments_data, list):
        raise FormatError(f"{source}: an evaluation needs `rankings` (an object) and `judgments` (a list)")
    rankings = []
    for key, entry in rankings_data.items():
        if not isinstance(entry, Mapping):
            raise FormatError(f"{source}: rankings.{key}: expected an object")
        rank = entry.get("rank")
        rankings.append(
            RankingRow(
                key=str(key),
                display_name=str(entry.get("display_name", key)),
                average_score=_number(entry.get("average_score")),
                rank=rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
            )
        )
    judgments = []
    for index, j in enumerate(judgments_data):
        if not isinstance(j, Mapping) or "judge_key" not in j or "respondent_key" not in j:
            raise FormatError(f"{source}: judgments[{index}]: expected an object with judge_key and respondent_key")
        judgments.append(
            JudgmentRow(
                judge_key=str(j["judge_key"]),
                judge_name=str(j.get("judge_name", j["judge_key"])),
                respondent_key=str(j["respondent_key"]),
                respondent_name=str(j.get("respondent_name", j["respondent_key"])),
                score=_number(j.get("weighted_score")),
                error=str(j["error"]) if j.get("error") else None,
            )
        )
    return QuestionRound(
        evaluation_id=str(data.get("evaluation_id")),
        category=str(data.get("category", "")),
        source=source,
        rankings=rankings,
        judgments=judgments,
    )


def _with_details(round_: QuestionRound, details: Mapping[str, Any], providers: dict[str, str]) -> QuestionRound:
    """A harness run's round with what its details file adds: failed judge calls and recorded self-judgments."""
    failures: list[JudgmentRow] = []
    self_scores: dict[str, float] = {}
    names = {r.key: r.display_name for r in round_.rankings}
    for j in details.get("judgments") or []:
        if not isinstance(j, Mapping):
            continue
        judge, respondent, score = str(j.get("judge_id")), str(j.get("respondent_id")), _number(j.get("weighted_score"))
        error = j.get("error")
        if judge == respondent:
            if score is not None and not error:
                self_scores[judge] = score
        elif error and error != SELF_JUDGMENT_EXCLUDED:
            failures.append(JudgmentRow(judge, names.get(judge, judge), respondent, names.get(respondent, respondent), None, str(error)))
    return QuestionRound(
        evaluation_id=round_.evaluation_id,
        category=round_.category,
        source=round_.source,
        rankings=round_.rankings,
        judgments=round_.judgments + failures,
        self_scores=self_scores,
        providers=providers,
    )


def _run_folder(run: RunFolder, into: AnalysisInput) -> None:
    providers: dict[str, str] = {}
    try:
        config = yaml.safe_load(run.config_path.read_text(encoding="utf-8")) or {}
        providers = {str(m["id"]): str(m.get("litellm_model", "")) for m in config.get("models", []) if isinstance(m, Mapping)}
        info = _read_json(run.info_path)
    except (OSError, yaml.YAMLError, FormatError) as exc:
        raise FormatError(f"{run.root}: unreadable run folder ({exc})") from exc
    results = run.results
    evaluations = info.get("evaluations") if isinstance(info, Mapping) else None
    details_of = {
        str(slot.get("evaluation_id")): results.details_path(str(task))
        for task, slot in (evaluations or {}).items()
        if isinstance(slot, Mapping)
    }
    for path in results.evaluation_paths():
        round_ = question_round(_read_json(path), str(path))
        details = details_of.get(round_.evaluation_id)
        if details is not None and details.is_file():
            round_ = _with_details(round_, _read_json(details), providers)
        into.questions.append(round_)
    if results.dataset_path.is_file():
        from ._builds import build_rounds_from_dataset

        into.builds += build_rounds_from_dataset(_read_json(results.dataset_path), str(results.dataset_path))


def _file(path: Path, into: AnalysisInput) -> None:
    data = _read_json(path)
    kind = detect_file_kind(data)
    if kind == "evaluation":
        into.questions.append(question_round(data, str(path)))
    elif kind == "dataset":
        from ._builds import build_rounds_from_dataset

        into.builds += build_rounds_from_dataset(data, str(path))
    elif kind in ("question-details", "build-details"):
        return  # read with their run folder
    else:
        raise FormatError(
            f"{path}: not an evaluation file, a raw Multivac round, a dataset file or a run folder "
            "(no `evaluation_id`, no `rounds` and `flat`)"
        )


def _not_rounds(folder: Path) -> bool:
    """Folders the harness writes that hold no rounds: task folders, and the output of `analyze` itself."""
    return (folder / "task.json").is_file() or ((folder / "analysis.json").is_file() and (folder / "analysis.html").is_file())


def _walk(path: Path, top: bool = True) -> Iterator[Path]:
    """Files and run folders under `path`, in name order; a run folder is not descended into, task folders and
    analysis outputs inside a folder are passed over."""
    if RunFolder(path).exists():
        yield path
    elif path.is_dir() and not top and _not_rounds(path):
        return
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_dir() or (child.suffix == ".json" and not child.name.endswith(COMPANION_SUFFIXES)):
                yield from _walk(child, top=False)
    else:
        yield path


def load_inputs(paths: list[Path], skip_bad: bool = False) -> AnalysisInput:
    """Every round under `paths`. A bad input is a FormatError naming it, unless `skip_bad` (then it is listed)."""
    found = AnalysisInput()
    for root in paths:
        if not Path(root).exists():
            raise FormatError(f"{root}: no such file or folder")
        for path in _walk(Path(root)):
            try:
                if path.is_dir():
                    _run_folder(RunFolder(path), found)
                else:
                    _file(path, found)
            except FormatError as exc:
                if not skip_bad:
                    raise FormatError(f"{exc} (pass --skip-bad to analyse the other inputs without it)") from exc
                found.skipped.append(str(exc))
    seen: set[str] = set()
    unique = []
    for round_ in sorted(found.questions, key=lambda r: r.evaluation_id):
        if round_.evaluation_id in seen:
            found.skipped.append(f"{round_.source}: {round_.evaluation_id} was read already; counted once")
            continue
        seen.add(round_.evaluation_id)
        unique.append(round_)
    found.questions = unique
    return found
