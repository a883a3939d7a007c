"""Helpers for tests that run rounds against the fake OpenAI server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from harness.testing import FakeRequest

JUDGE_MARKER = "RESPONSE TO EVALUATE"
TEST_KEY_ENV = "HARNESS_TEST_API_KEY"


def write_question_task(root: Path, name: str, question_id: str, prompt: str, category: str = "reasoning") -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "task.json").write_text(json.dumps({"task_kind": "question", "question_id": question_id, "category": category}))
    (folder / "PROMPT.md").write_text(prompt + "\n")


def write_round(
    path: Path,
    base_url: str,
    models: list[str],
    tasks: list[str],
    repo: Path,
    **extra: Any,
) -> Path:
    config: dict[str, Any] = {
        "name": "test-round",
        "models": [
            {
                "id": m,
                "name": m.capitalize() + " Model",
                "provider": "local",
                "litellm_model": f"openai/{m}",
                "api_base": base_url,
                "api_key_env": TEST_KEY_ENV,
                "concurrency": 4,
            }
            for m in models
        ],
        "tasks": tasks,
        "tasks_dir": "tasks",
        "judges_dir": str(repo / "judges"),
        "retry": {"max_attempts": 2, "initial_wait_s": 0.01, "max_wait_s": 0.05, "timeout_s": 10},
        "seed": 1,
    }
    config.update(extra)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def is_judge_request(request: FakeRequest) -> bool:
    return any(JUDGE_MARKER in str(m.get("content", "")) for m in request.messages)


def scores_for(judge: str, answer_text: str) -> dict[str, Any]:
    """Deterministic scores that depend on judge and answer."""
    base = 5 + (len(answer_text) + len(judge)) % 5
    return {
        "correctness": base,
        "completeness": base - 1,
        "clarity": min(10, base + 1),
        "depth": base - 2,
        "usefulness": base,
        "brief_justification": f"{judge} judged an answer of {len(answer_text)} characters.",
    }
