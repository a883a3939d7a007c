"""LiteLLM's own price of a reply: read where the harness takes prices from LiteLLM, not computed where it does not.

Real LiteLLM against the fake server. A model in LiteLLM's price map (`openai/gpt-4o-mini`) gets LiteLLM's
price in its attempt and in the round's cassette; a call marked `litellm_price=False` (priced by the config,
or by no one) leaves LiteLLM's calculator out, which a reply's `_hidden_params` shows.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.llm import ChatMessage, ChatRequest, import_litellm
from harness.llm._attempt import AttemptCall, AttemptRunner
from harness.llm._unwanted_pricing import litellm_pricing_skipped, skip_unwanted_pricing
from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult, echo_responder

from ._round_fixtures import TEST_KEY_ENV, is_judge_request, scores_for, write_question_task, write_round

PRICED = "openai/gpt-4o-mini"


def _attempt(base_url: str, *, litellm_price: bool) -> float | None:
    async def one() -> float | None:
        runner = AttemptRunner(4)
        try:
            call = AttemptCall(
                request=ChatRequest(model=PRICED, messages=(ChatMessage(role="user", content="price me"),)),
                api_base=base_url,
                api_key="sk-pricing",
                timeout_s=30,
                litellm_price=litellm_price,
            )
            outcome = await runner.attempt(call)
            assert outcome.error is None and outcome.reply
            assert outcome.usage.prompt_tokens > 0 and outcome.usage.completion_tokens > 0
            return outcome.litellm_cost
        finally:
            await runner.aclose()

    return asyncio.run(one())


def test_litellm_prices_only_the_calls_that_take_its_price() -> None:
    with FakeOpenAIServer(echo_responder("priced: ")) as server:
        assert (_attempt(server.base_url, litellm_price=True) or 0) > 0
        assert _attempt(server.base_url, litellm_price=False) is None


def test_inside_the_skip_litellm_leaves_the_reply_unpriced() -> None:
    litellm = import_litellm()
    assert skip_unwanted_pricing(), "the LiteLLM installed has the calculator the harness skips"

    async def hidden_cost(skipped: bool, base_url: str) -> object:
        with litellm_pricing_skipped(skipped):
            response = await litellm.acompletion(
                model=PRICED,
                messages=[{"role": "user", "content": "price me"}],
                api_base=base_url,
                api_key="sk-pricing",
                num_retries=0,
            )
        return response._hidden_params.get("response_cost")

    with FakeOpenAIServer(echo_responder()) as server:
        assert asyncio.run(hidden_cost(True, server.base_url)) is None
        priced = asyncio.run(hidden_cost(False, server.base_url))
    assert isinstance(priced, float) and priced > 0


@pytest.mark.parametrize("workers", [0, 2])
def test_a_round_records_litellms_price_with_and_without_workers(
    tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-pricing-round")
    write_question_task(tmp_path / "tasks", "q0", "P-000", "Question 0: what does a call cost?")

    def responder(request: FakeRequest) -> ResponderResult:
        if is_judge_request(request):
            return json.dumps(scores_for(request.model, request.last_user_text))
        return f"An answer from {request.model}."

    with FakeOpenAIServer(responder) as server:
        extra = {"calls": {"workers": workers}} if workers else {}
        config = write_round(tmp_path / "round.yaml", server.base_url, ["alpha", "beta"], ["q0"], repo_dir, **extra)
        config.write_text(config.read_text().replace("openai/beta", PRICED))
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--progress", "quiet"])
        assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "run" / "cassette.jsonl").read_text().splitlines()]
    by_model = {}
    for record in records:
        by_model.setdefault(record["request"]["model"], []).append(record["cost_usd"])
    assert all(cost is not None and cost > 0 for cost in by_model[PRICED]), by_model
    assert all(cost is None for cost in by_model["openai/alpha"]), by_model
