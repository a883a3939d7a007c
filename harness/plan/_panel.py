"""Panel judging (`judging: {panel: k}`): which k judges judge each answer, by a balanced design seeded by the round.

The design. The round's judges are put in a cycle, in an order shuffled by the round's `seed` and its task ids
(one order for the whole round; the task ids make rounds of different questions draw different panels even with
the same, default, seed: with one cycle for every round, a model would meet the same few judges in every
single-question round, and their strictness would stay in its cross-round average). On question q (0-based, in the round's task order), the answer of a model that is itself a judge, at
cycle position c, is judged by the judges at positions c + d (mod m, m = number of judges) for the k offsets
d = (q*k + i) mod (m - 1) + 1, i = 0..k-1. The offsets are never 0 (mod m), so an author never judges its own
answer; they are k distinct values, so an answer gets k distinct judges. Each judge, at position p, judges the
answers at p - d: exactly k answers of judging models per question. From one question to the next the offsets
move on by k, so over ceil((m-1)/k) questions an answer's author meets every other judge once (the pairs are
balanced too, not only the loads).

A model that answers but does not judge (`judges:` lists a subset) takes the next k judges of the cycle from a
pointer that runs on over the whole round (those models take their turns in an order that rotates from one
question to the next), so those extra loads go round the cycle and every judge's count stays within one of every
other's over the round.

Build tasks are reviewed in packets (one call reviews every implementation), so a panel there is k reviewers per
task: the k judges of a window of the same cycle that moves on by k from one build task to the next. A reviewer
reviews every implementation, its own too (recorded as a self review, as without a panel).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .._errors import ConfigError

__all__ = ["available_judges", "judge_cycle", "question_panels", "review_panels"]


def judge_cycle(judges: Sequence[str], seed: int, task_ids: Sequence[str]) -> list[str]:
    """The round's judges in the order the design walks, shuffled by the round's seed and task ids."""
    order = list(judges)
    random.Random("panel/{}/{}".format(seed, "/".join(task_ids))).shuffle(order)
    return order


def available_judges(respondents: Sequence[str], judges: Sequence[str]) -> int:
    """The fewest judges any answer can have: the round's judges, less the answer's author."""
    judge_set = set(judges)
    return min((len(judges) - (r in judge_set) for r in respondents), default=len(judges))


def question_panels(respondents: Sequence[str], judges: Sequence[str], k: int, seed: int, questions: Sequence[str]) -> list[dict[str, list[str]]]:
    """For each question task (its id, in round order): respondent -> its k judges, in the order of `judges`.

    Refuses (ConfigError) a k larger than the judges an answer can have.
    """
    available = available_judges(respondents, judges)
    if k > available:
        raise ConfigError(
            f"judging.panel: {k} judges per answer, but an answer can have at most {available} "
            f"({len(judges)} judges, never the answer's author); expected a panel of at most {available}"
        )
    cycle = judge_cycle(judges, seed, questions)
    m = len(cycle)
    position = {judge: i for i, judge in enumerate(cycle)}
    order = {judge: i for i, judge in enumerate(judges)}
    others = [r for r in respondents if r not in position]
    pointer = 0
    panels: list[dict[str, list[str]]] = []
    for q in range(len(questions)):
        offsets = [(q * k + i) % (m - 1) + 1 for i in range(k)] if m > 1 else []
        chosen = {r: [cycle[(position[r] + d) % m] for d in offsets] for r in respondents if r in position}
        turn = q % len(others) if others else 0
        for respondent in others[turn:] + others[:turn]:  # who takes the pointer first changes from question to question
            chosen[respondent] = [cycle[(pointer + i) % m] for i in range(k)]
            pointer = (pointer + k) % m
        panels.append({r: sorted(chosen[r], key=order.__getitem__) for r in respondents})
    return panels


def review_panels(judges: Sequence[str], k: int, seed: int, tasks: Sequence[str]) -> list[list[str]]:
    """For each reviewed build task (its id, in round order): its k reviewers, in the order of `judges`."""
    if k > len(judges):
        raise ConfigError(
            f"judging.panel: {k} reviewers per build task, but the round has {len(judges)} judges; "
            f"expected a panel of at most {len(judges)}"
        )
    cycle = judge_cycle(judges, seed, tasks)
    m = len(cycle)
    order = {judge: i for i, judge in enumerate(judges)}
    return [sorted((cycle[(t * k + i) % m] for i in range(k)), key=order.__getitem__) for t in range(len(tasks))]
