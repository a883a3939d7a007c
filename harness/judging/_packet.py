"""Packet reviews: one judge reviews all implementations of a task under shuffled anonymous labels."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .._errors import ConfigError
from .._validation import load_yaml_model
from ..config import SamplingSettings
from ..formats import PacketReview, ReviewScores
from ..llm import CallMeta, ChatMessage, ChatRequest, ModelClient
from ._ask import ask_with_repair
from ._cut import cut_files
from ._parse import ReplyError, extract_json_object
from ._rubric import fill_template

__all__ = ["PacketRubric", "PacketJudge", "load_packet_rubric", "parse_packet_reply", "shuffled_labels"]

class PacketRubric(BaseModel):
    """Prompt templates of packet reviews (read from `judges/<name>.yaml`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Rubric name."""
    mode: Literal["packet"] = "packet"
    """Judging mode: all implementations in one call."""
    system_prompt: str = ""
    """System message of every review call."""
    prompt_template: str
    """User message; placeholders {judge_prompt} {judge_rubric} {prompt} {spec} {implementations} {labels} {json_example}."""
    repair_prompt: str
    """Re-ask after an unusable reply; placeholders {error} {labels} {json_example}."""


def load_packet_rubric(path: Path) -> PacketRubric:
    return load_yaml_model(path, PacketRubric, ConfigError, "review rubric file")


def shuffled_labels(model_ids: list[str], seed: int, task_id: str, judge_id: str) -> dict[str, str]:
    """Label -> model id, the order shuffled per (round seed, task, judge)."""
    order = list(model_ids)
    random.Random(f"{seed}/{task_id}/{judge_id}").shuffle(order)
    letters = [f"Implementation {string.ascii_uppercase[i % 26]}{'' if i < 26 else i // 26}" for i in range(len(order))]
    return dict(zip(letters, order))


def _render_implementation(label: str, files: Mapping[str, str] | None, notice: str | None = None) -> str:
    header = f"### {label}" + (f"\n{notice}" if notice else "")
    if not files:
        return f"{header}\n(no files were produced)\n"
    parts = [header]
    for name in sorted(files):
        parts.append(f"File `{name}`:\n```\n{files[name]}\n```")
    return "\n".join(parts) + "\n"


def parse_packet_reply(text: str, labels: list[str]) -> dict[str, ReviewScores]:
    data = extract_json_object(text)
    if not isinstance(data, dict):
        raise ReplyError("the reply's JSON is not an object keyed by label")
    missing = [label for label in labels if label not in data]
    if missing:
        raise ReplyError(f"missing reviews for: {', '.join(missing)}")
    reviews = {}
    for label in labels:
        try:
            reviews[label] = ReviewScores.model_validate(data[label])
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ReplyError(f"review of {label} is invalid: {problems}") from exc
    return reviews


@dataclass(frozen=True)
class PacketJudge:
    """Runs packet reviews with one rubric."""

    client: ModelClient
    rubric: PacketRubric
    sampling: SamplingSettings
    max_answer_chars: int | None = None
    """Judges see each implementation's files cut to this many characters in all (`judging.max_answer_chars`)."""

    def _request(self, model: str, messages: list[ChatMessage]) -> ChatRequest:
        return ChatRequest(model=model, messages=tuple(messages), temperature=self.sampling.temperature, max_tokens=self.sampling.max_tokens)

    def _seen(self, files: Mapping[str, str] | None) -> Mapping[str, str] | None:
        """An implementation's files as the judge sees them (cut to `max_answer_chars`)."""
        return cut_files(files, self.max_answer_chars) if files and self.max_answer_chars is not None else files

    async def review(
        self,
        *,
        task_id: str,
        judge_id: str,
        judge_litellm_model: str,
        labels: dict[str, str],
        implementations: Mapping[str, Mapping[str, str] | None],
        texts: Mapping[str, str],
        notices: Mapping[str, str] | None = None,
    ) -> PacketReview:
        """`implementations`: model id -> files (masked); `texts`: judge_prompt, judge_rubric, prompt, spec;
        `notices`: model id -> what the sandbox found (an integrity verdict other than ok)."""
        label_list = list(labels)
        example = json.dumps(
            {label: {"hardFail": True, "spec": 8, "quality": 14, "verdict": "ship-with-cleanup", "note": "..."} for label in label_list},
            indent=1,
        )
        rendered = "\n".join(
            _render_implementation(label, self._seen(implementations.get(labels[label])), (notices or {}).get(labels[label]))
            for label in label_list
        )
        user = fill_template(
            self.rubric.prompt_template,
            judge_prompt=texts["judge_prompt"],
            judge_rubric=texts["judge_rubric"],
            prompt=texts["prompt"],
            spec=texts["spec"],
            implementations=rendered,
            labels=", ".join(label_list),
            json_example=example,
        )
        messages = ([ChatMessage(role="system", content=self.rubric.system_prompt)] if self.rubric.system_prompt else []) + [
            ChatMessage(role="user", content=user)
        ]
        base = PacketReview(task_id=task_id, judge_id=judge_id, labels=labels)

        def repair_prompt(error: ReplyError) -> str:
            return fill_template(self.rubric.repair_prompt, error=str(error), labels=", ".join(label_list), json_example=example)

        asked = await ask_with_repair(
            self.client,
            lambda sent: self._request(judge_litellm_model, sent),
            messages,
            CallMeta(stage="review", model_id=judge_id, task_id=task_id),
            lambda reply: parse_packet_reply(reply, label_list),
            repair_prompt,
            noun="review",
        )
        spent = {"latency_s": asked.latency_s, "usage": asked.usage, "cost_usd": asked.cost_usd, "over_max_tokens": asked.over_max_tokens}
        if asked.parsed is None:
            return base.model_copy(update={"error": asked.error, **spent})
        reviews = {labels[label]: scores for label, scores in asked.parsed.items()}
        return base.model_copy(update={"reviews": reviews, "repaired": asked.repaired, **spent})
