"""Lookups over one build task's samples, reviews and dataset round, shared by the build views."""

from __future__ import annotations

from pathlib import Path

from ..config import RoundConfig
from ..formats import BuildSampleOutcome, PacketReview, ReviewScores
from ._format import anchor
from ._load import BuildResult
from ._question_facts import model_labeler
from ._views import TableCell, cell

__all__ = ["BuildFacts", "hard_fail_cell"]


class BuildFacts:
    """Lookups over one build task's samples, reviews and dataset round."""

    def __init__(self, result: BuildResult, config: RoundConfig, results_dir: Path) -> None:
        self.result = result
        self.results_dir = results_dir
        self.label = model_labeler(config)
        self.answer_max_tokens = config.sampling.answer.max_tokens
        self.section = anchor("b", result.task_id)
        self.round = result.dataset_round
        self.scoreboard = {row.impl: row for row in self.round.scoreboard}
        composite = {row.impl: row.composite for row in result.flat}
        order = list(self.scoreboard) + [s.model_id for s in result.outcome.samples if s.model_id not in self.scoreboard]
        ranked = [impl for impl in dict.fromkeys(order) if composite.get(impl) is not None]
        ranked.sort(key=lambda impl: -(composite[impl] or 0.0))
        self.impls = ranked + [impl for impl in dict.fromkeys(order) if impl not in ranked]
        self.reviews: dict[str, PacketReview] = {r.judge_id: r for r in result.outcome.reviews}
        position = {m: i for i, m in enumerate(self.impls)}
        judge_ids = list(dict.fromkeys(config.judge_ids() + list(self.reviews)))
        self.judges = sorted(judge_ids, key=lambda j: position.get(j, len(position)))
        self.experts = {m.id for m in config.models if m.expert}
        self.rank = {impl: i + 1 for i, impl in enumerate(ranked)}

    def review(self, judge: str, impl: str) -> ReviewScores | None:
        packet = self.reviews.get(judge)
        return packet.reviews.get(impl) if packet is not None else None

    def tier(self, judge: str, impl: str) -> str:
        return "self" if judge == impl else "expert" if judge in self.experts else "peer"

    def samples_of(self, impl: str) -> list[BuildSampleOutcome]:
        return [s for s in self.result.outcome.samples if s.model_id == impl]

    def impl_anchor(self, impl: str) -> str:
        return anchor(self.section, "impl", impl)

    def review_anchor(self, judge: str, impl: str) -> str:
        return anchor(self.section, "impl", impl, "by", judge)

    def peer_reviews_by(self, judge: str) -> list[ReviewScores]:
        return [r for impl in self.impls if impl != judge and (r := self.review(judge, impl)) is not None]


def hard_fail_cell(passed: bool | None) -> TableCell:
    if passed is None:
        return cell(None)
    return cell("passed", css="good") if passed else cell("FAILED", css="bad")
