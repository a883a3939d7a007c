"""Import raw Multivac rounds as replayable run folders."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .._asyncio import run_in_new_loop
from .._errors import FormatError, HarnessError
from .._validation import describe_validation_error
from ..config import ModelConfig, RoundConfig, SamplingConfig, SamplingSettings
from ..formats import (
    SELF_JUDGMENT_EXCLUDED,
    EvaluationSlot,
    RunFolder,
    RunInfo,
    utc_timestamp,
)
from ..judging import load_rubric
from ..recording import Cassette, RecordingClient
from ..session import execute_run, plan_of_run
from ._scripted import ScriptedClient, ScriptedReply, judge_reply_json

__all__ = ["RawMultivacRound", "ModelLabel", "import_multivac_round", "default_rubric_path", "load_labels"]


class RawResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model_key: str
    model_name: str
    response: str | None = None
    generation_time_ms: int | float | None = None
    tokens_used: int | None = None
    error: str | None = None


class RawJudgment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    judge_key: str
    judge_name: str
    respondent_key: str
    respondent_name: str
    correctness: float | None = None
    completeness: float | None = None
    clarity: float | None = None
    depth: float | None = None
    usefulness: float | None = None
    weighted_score: float | None = None
    brief_justification: str | None = ""
    error: str | None = None


class RawMultivacRound(BaseModel):
    """The fields of a raw round file the importer relies on."""

    model_config = ConfigDict(extra="ignore")

    evaluation_id: str
    timestamp: str
    question_id: str
    question_text: str
    category: str
    models_used: list[str]
    responses: list[RawResponse]
    judgments: list[RawJudgment]


def default_rubric_path() -> Path:
    return Path(__file__).resolve().parents[2] / "judges" / "multivac.yaml"


def _names(raw: RawMultivacRound) -> dict[str, str]:
    names: dict[str, str] = {}
    for response in raw.responses:
        names.setdefault(response.model_key, response.model_name)
    for judgment in raw.judgments:
        names.setdefault(judgment.judge_key, judgment.judge_name)
        names.setdefault(judgment.respondent_key, judgment.respondent_name)
    return names


class ModelLabel(BaseModel):
    """Published labels of one model, where they differ from the raw file's."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    """Display name to publish."""
    provider: str | None = None
    """Provider label to publish."""


def load_labels(path: Path) -> dict[str, ModelLabel]:
    """A YAML/JSON mapping `model_key: {name, provider}`."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise FormatError(f"{path}: expected a mapping of model keys to {{name, provider}}")
        return {str(k): ModelLabel.model_validate(v) for k, v in data.items()}
    except ValidationError as exc:
        raise FormatError(describe_validation_error(path, exc)) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise FormatError(f"{path}: unreadable labels file: {exc}") from exc


def _round_config(
    raw: RawMultivacRound, metadata: dict[str, Any], rubric_name: str, labels: dict[str, ModelLabel]
) -> RoundConfig:
    names = _names(raw)
    pool = list(dict.fromkeys(raw.models_used + list(names)))
    models = []
    for key in pool:
        info = metadata.get(key, {})
        label = labels.get(key, ModelLabel())
        source_provider = str(info.get("provider", "unknown"))
        model_id = info.get("model_id")
        litellm_model = f"{source_provider}/{model_id}" if model_id else f"multivac/{key}"
        models.append(
            ModelConfig(
                id=key,
                name=label.name or names.get(key, key),
                provider=label.provider or source_provider,
                litellm_model=litellm_model,
            )
        )
    settings = next((m.get("inference_settings") for m in metadata.values() if m.get("inference_settings")), None)
    sampling = SamplingConfig()
    if settings:
        sampling = SamplingConfig(
            answer=SamplingSettings(temperature=settings["generation_temperature"], max_tokens=settings["generation_max_tokens"]),
            judge=SamplingSettings(temperature=settings["judgment_temperature"], max_tokens=settings["judgment_max_tokens"]),
        )
    return RoundConfig(
        name=raw.evaluation_id,
        models=models,
        tasks=[raw.evaluation_id],
        rubric=rubric_name,
        sampling=sampling,
        self_judgment="skip",
        mask_identities=False,
        source="The Multivac (app.themultivac.com)",
        license="Open data \u2014 cite as: The Multivac (2026)",
    )


def _script(raw: RawMultivacRound, criteria: list[str], justification_field: str) -> ScriptedClient:
    answers = {
        r.model_key: ScriptedReply(
            # An empty answer without an error was judged in the source, so it is a reply here too.
            reply=None if r.error else (r.response or ""),
            error=r.error or None,
            latency_s=(r.generation_time_ms or 0) / 1000,
            total_tokens=r.tokens_used or 0,
        )
        for r in raw.responses
    }
    judgments: dict[tuple[str, str], ScriptedReply] = {}
    for j in raw.judgments:
        if j.error == SELF_JUDGMENT_EXCLUDED:
            continue
        if j.error is not None:
            reply = ScriptedReply(reply=None, error=j.error or "the source recorded a failure without a message")
        else:
            raw_scores = j.model_dump()
            scores = {c: raw_scores[c] for c in criteria if raw_scores.get(c) is not None}
            reply = ScriptedReply(reply=judge_reply_json(scores, justification_field, j.brief_justification or ""), error=None)
        judgments[(j.judge_key, j.respondent_key)] = reply
    return ScriptedClient(answers, judgments)


def _load_raw(path: Path) -> RawMultivacRound:
    try:
        return RawMultivacRound.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise FormatError(describe_validation_error(path, exc)) from exc


def _load_metadata(path: Path) -> dict[str, Any]:
    sibling = path.with_name(path.stem + ".model_metadata.json")
    if not sibling.is_file():
        return {}
    data = json.loads(sibling.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def import_multivac_round(
    raw_path: Path, out_root: Path, rubric_path: Path | None = None, labels: dict[str, ModelLabel] | None = None
) -> RunFolder:
    """Turn one raw round file into `out_root/<evaluation_id>/`, a run folder `harness replay` reproduces.

    Raw files hold no provider labels, and their display names may predate the published ones:
    `labels` supplies them (default: provider from a sibling `.model_metadata.json`, else "unknown").
    """
    raw_path = Path(raw_path)
    if not raw_path.is_file():
        raise HarnessError(f"{raw_path}: file not found")
    raw = _load_raw(raw_path)
    rubric_path = rubric_path or default_rubric_path()
    rubric = load_rubric(rubric_path)
    config = _round_config(raw, _load_metadata(raw_path), rubric_path.stem, labels or {})
    run = RunFolder(Path(out_root) / raw.evaluation_id)
    if run.root.exists() and any(run.root.iterdir()):
        raise HarnessError(f"{run.root}: already exists; remove it or import into another --out")
    task_dir = run.root / "source-task" / raw.evaluation_id
    task_dir.mkdir(parents=True)
    (task_dir / "task.json").write_text(
        json.dumps({"task_kind": "question", "question_id": raw.question_id, "category": raw.category}) + "\n", encoding="utf-8"
    )
    (task_dir / "PROMPT.md").write_text(raw.question_text + "\n", encoding="utf-8")
    started = datetime.fromisoformat(raw.timestamp).replace(tzinfo=timezone.utc)
    info = RunInfo(
        harness_version=_version(),
        origin="import-multivac",
        started_at=utc_timestamp(started),
        evaluations={raw.evaluation_id: EvaluationSlot(evaluation_id=raw.evaluation_id, timestamp=utc_timestamp(started))},
    )
    run.snapshot(config, [task_dir], [rubric_path], info)
    _remove_tree(run.root / "source-task")
    cassette = Cassette(run.cassette_path)
    client = RecordingClient(_script(raw, [c.name for c in rubric.criteria], rubric.justification_field), cassette)
    try:
        run_in_new_loop(execute_run(run, plan_of_run(run), client, run.results_dir))
    finally:
        cassette.close()
    return run


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _version() -> str:
    from .. import __version__

    return __version__
