"""Round config: the YAML file a user writes to launch a round."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ModelConfig",
    "ModelPrice",
    "SamplingConfig",
    "SamplingSettings",
    "RetryConfig",
    "JudgingConfig",
    "RoundConfig",
]

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ModelPrice(BaseModel):
    """A model's price, in USD per million tokens (`price:` of a model in the round config)."""

    model_config = ConfigDict(extra="forbid")

    input_per_mtok: float = Field(ge=0)
    """USD per million prompt tokens."""
    output_per_mtok: float = Field(ge=0)
    """USD per million completion tokens."""


class ModelConfig(BaseModel):
    """One model taking part in the round (as respondent and, by default, as judge)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Stable key used in output files (e.g. "claude_opus_46"); letters, digits, `_.-`."""
    name: str
    """Display name published in output files (e.g. "Claude Opus 4.6")."""
    provider: str
    """Provider label published in output files (e.g. "openrouter")."""
    litellm_model: str
    """Model string passed to LiteLLM (e.g. "openrouter/anthropic/claude-opus-4.6")."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible endpoint; None uses LiteLLM's default for the provider."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (the key itself never goes in a config)."""
    concurrency: int = Field(default=8, ge=1)
    """Most calls in flight to this model at once."""
    expert: bool = False
    """Build rounds: this model's reviews count as tier "expert" instead of "peer"."""
    price: ModelPrice | None = None
    """The model's price; None: LiteLLM's price map's, if it has one. Used by the estimate, `--max-cost` and each call's cost."""

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID_PATTERN.match(value):
            raise ValueError("expected letters, digits, '_', '.' or '-', starting with a letter or digit")
        return value


class SamplingSettings(BaseModel):
    """Sampling parameters of one kind of call."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature; None leaves the provider's default."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Cap on reply tokens; None leaves the provider's default."""


def _answer_defaults() -> SamplingSettings:
    return SamplingSettings(temperature=0.7, max_tokens=2048)


def _judge_defaults() -> SamplingSettings:
    return SamplingSettings(temperature=0.3, max_tokens=1024)


class SamplingConfig(BaseModel):
    """Sampling for answers and for judgments (defaults as in FORMATS.md A)."""

    model_config = ConfigDict(extra="forbid")

    answer: SamplingSettings = Field(default_factory=_answer_defaults)
    """Answers and implementations: temperature 0.7, max 2048 tokens by default."""
    judge: SamplingSettings = Field(default_factory=_judge_defaults)
    """Judge and review calls: temperature 0.3, max 1024 tokens by default."""


class RetryConfig(BaseModel):
    """Retries of transient provider errors (429, 5xx, timeouts, connection errors)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=5, ge=1, le=50)
    """Attempts per call, the first included; after the last the call is a recorded failure."""
    initial_wait_s: float = Field(default=1.0, ge=0)
    """First backoff wait; doubles on each retry, with jitter."""
    max_wait_s: float = Field(default=60.0, ge=0)
    """Longest single wait, also for a provider's `Retry-After`."""
    timeout_s: float = Field(default=300.0, gt=0)
    """Per-attempt request timeout."""
    empty_reply_attempts: int = Field(default=2, ge=1, le=50)
    """Attempts for a call whose reply is empty (200 with no message), the first included: an empty reply is
    usually the model's, and asking five times rarely changes it. After the last it is a recorded model failure."""


def check_ray_address(value: str | None) -> str | None:
    """A Ray cluster address as the config takes it."""
    if value is not None and value not in ("auto", "local") and not re.fullmatch(r"(ray://)?[^\s:/]+:\d+", value):
        raise ValueError("expected auto, local, host:port or ray://host:port")
    return value


class SandboxConfig(BaseModel):
    """The sandbox of a build round (`sandbox:` in the round config)."""

    model_config = ConfigDict(extra="forbid")

    backend: str = "docker"
    """The backend that runs hidden tests, by its name in `harness.sandbox.SANDBOX_BACKENDS`."""
    allow_network: bool = False
    """Grant a network to tasks that require "network": an internal Docker network of the run's own, with no
    route out of the machine (a run stays offline). Off: such tasks are refused before any call."""
    address: str | None = None
    """`backend: ray` only: the cluster that runs the hidden tests. `auto` (the default: the cluster this machine
    joined, or `RAY_ADDRESS`), `local` (a Ray started for the round, on this machine), `host:port` (the head's
    GCS) or `ray://host:port` (Ray Client). Runs go to nodes advertising the `docker` resource (README)."""

    @field_validator("address")
    @classmethod
    def _ray_address(cls, value: str | None) -> str | None:
        return check_ray_address(value)


class CallsConfig(BaseModel):
    """Where model calls are made (`calls:` in the round config). Retries, limits, prices and the cassette
    always stay in the process that runs the round."""

    model_config = ConfigDict(extra="forbid")

    workers: int = Field(default=0, ge=0, le=256)
    """Call workers that make the requests, sharing the round's `concurrency`: LiteLLM's CPU work per call
    (milliseconds) then runs beside the round's event loop rather than in it. 0: the round's own process makes
    them. Worth it on big rounds with a core to spare; each worker imports LiteLLM once (seconds)."""
    backend: Literal["auto", "process", "ray"] = "auto"
    """`process`: worker processes on this machine; `ray`: Ray actors on the cluster of `address`; `auto`:
    Ray actors when `sandbox.backend` is `ray`, processes otherwise."""
    address: str | None = None
    """`ray` only: the cluster (as `sandbox.address`; default: `sandbox.address`, else `auto`)."""

    @field_validator("address")
    @classmethod
    def _ray_address(cls, value: str | None) -> str | None:
        return check_ray_address(value)


class JudgingConfig(BaseModel):
    """How answers are judged (`judging:` in the round config; the string `peer` or `none` is short for `{mode: ...}`)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["peer", "none"] = "peer"
    """`peer`: the round's judges score (questions) or review (build tasks) every answer; `none`: build tasks are
    scored by their hidden tests alone, no review call is made (question tasks need `peer`)."""
    max_answer_chars: int | None = Field(default=None, ge=1)
    """Judges see each answer (each implementation's files, together) cut to this many characters, with a marker
    saying how many were cut; the details files keep the whole answer. None: judges see every answer whole."""
    panel: int | None = Field(default=None, ge=1)
    """Panel judging: each answer of a question task is judged by this many of the round's judges, never its author,
    drawn by a balanced design seeded by the round's `seed` (harness/plan/_panel.py: every judge judges, and every
    answer is judged, about equally often), instead of by every other judge; the 80% rule then counts the judges
    assigned. Build tasks: this many reviewers per task, rotated across the round's build tasks (each reviews every
    implementation, as without a panel). More than the judges available is refused. None: every judge judges everything."""

    @model_validator(mode="before")
    @classmethod
    def _from_mode_name(cls, value: object) -> object:
        return {"mode": value} if isinstance(value, str) else value


class RoundConfig(BaseModel):
    """A round: who answers, what they answer, who judges and how."""

    model_config = ConfigDict(extra="forbid")

    name: str = "round"
    """Human name of the round."""
    models: list[ModelConfig] = Field(min_length=2)
    """Models of the round's pool, in order (this order is the judge order in outputs)."""
    tasks: list[str] = Field(min_length=1)
    """Task folders: a name under `tasks_dir`, or a path relative to this config file."""
    tasks_dir: str = "../tasks"
    """Folder holding task folders, relative to this config file."""
    judges: list[str] | None = None
    """Model ids that judge; default: every model."""
    rubric: str = "multivac"
    """Rubric of question rounds: a file `<rubric>.yaml` under `judges_dir` (or a path)."""
    review_rubric: str = "packet-review"
    """Prompt templates of build-round reviews: `<review_rubric>.yaml` under `judges_dir` (or a path)."""
    judges_dir: str = "../judges"
    """Folder holding rubric files, relative to this config file."""
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    """Sampling settings for answers and for judgments."""
    judging: JudgingConfig = Field(default_factory=lambda: JudgingConfig())
    """Who judges, and what judges see (`peer` or `none`, or the mapping of `JudgingConfig`)."""
    self_judgment: Literal["skip", "record"] = "skip"
    """`skip`: never ask a model to judge itself (as the source does); `record`: ask, record, exclude from rankings."""
    samples: int = Field(default=1, ge=1)
    """Build rounds: generations per model and task; the last one is reviewed."""
    seed: int = 0
    """Seed for every shuffle (review labels and order)."""
    concurrency: int = Field(default=64, ge=1)
    """Most requests on the wire at once, all models together (a call's CPU work before and after its
    request does not hold a place: see harness/llm/_wire.py)."""
    sandbox_parallel: int | None = Field(default=None, ge=1)
    """Most sandbox runs at once; default: number of cores."""
    sandbox: SandboxConfig = Field(default_factory=lambda: SandboxConfig())
    """Build rounds: which sandbox runs the hidden tests, and what it may grant them."""
    retry: RetryConfig = Field(default_factory=RetryConfig)
    """Retry and timeout policy of model calls."""
    calls: CallsConfig = Field(default_factory=CallsConfig)
    """Where model calls are made: in this process, or by call workers (processes or Ray actors)."""
    mask_identities: bool = True
    """Mask model and vendor names in answers before judges see them."""
    output: str | None = None
    """Default run folder (relative to this config file) when `--out` is not given."""
    source: str = "harness"
    """`meta.source` of emitted files."""
    license: str = "CC-BY-4.0"
    """`meta.license` of emitted files."""

    @model_validator(mode="after")
    def _check_references(self) -> RoundConfig:
        ids = [m.id for m in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"model ids must be unique; repeated: {', '.join(duplicates)}")
        if self.judges is not None:
            unknown = [j for j in self.judges if j not in ids]
            if unknown:
                raise ValueError(f"judges {unknown} are not ids of `models` ({', '.join(ids)})")
        prices: dict[str, ModelPrice | None] = {}
        for m in self.models:
            if prices.setdefault(m.litellm_model, m.price) != m.price:
                raise ValueError(f"models with litellm_model {m.litellm_model!r} give different prices; give each the same `price`")
        return self

    def call_relevant(self) -> dict[str, object]:
        """The settings that shape recorded calls; the rest (limits, retries, endpoints, prices, labels of outputs) may change on resume."""
        transport = {"concurrency", "api_base", "api_key_env", "price"}
        data = self.model_dump(
            mode="json",
            exclude={"concurrency", "sandbox_parallel", "sandbox", "retry", "calls", "output", "source", "license", "name"},
        )
        data["models"] = [{k: v for k, v in m.items() if k not in transport} for m in data["models"]]
        return data

    def judge_ids(self) -> list[str]:
        """Judges in pool order."""
        wanted = set(self.judges) if self.judges is not None else None
        return [m.id for m in self.models if wanted is None or m.id in wanted]

    def model(self, model_id: str) -> ModelConfig:
        """The model with this id."""
        for candidate in self.models:
            if candidate.id == model_id:
                return candidate
        raise KeyError(model_id)
