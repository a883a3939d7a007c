"""Cost limits that mean what they say: prices in the config, `--max-cost` refusals, replies over max_tokens, cut answers.

Real LiteLLM over HTTP to the fake server; the CLI is driven as a user would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from harness.cli import app
from harness.llm import LiteLLMPriceMap
from harness.testing import FakeOpenAIServer, FakeReply, FakeRequest, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, is_judge_request, scores_for, write_question_task, write_round

MODELS = ["alpha", "beta", "gamma"]  # not in LiteLLM's price map
PRICE = {"input_per_mtok": 3.0, "output_per_mtok": 15.0}
LONG_ANSWER = "".join(f"line {i:04d} of a very long answer.\n" for i in range(200))  # 6,600 characters


def responder(request: FakeRequest) -> ResponderResult:
    if is_judge_request(request):
        return FakeReply(content=json.dumps(scores_for(request.model, request.last_user_text)), prompt_tokens=300, completion_tokens=60)
    return FakeReply(content=f"{request.model} answers: {request.last_user_text[:40]}", prompt_tokens=100, completion_tokens=200)


@pytest.fixture
def tasks_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    for index in range(2):
        write_question_task(tmp_path / "tasks", f"q{index}", f"C-{index:03d}", f"Question {index}: explain budgets.")
    return tmp_path


def _with_prices(config: Path, prices: dict[str, dict[str, float]]) -> Path:
    data = yaml.safe_load(config.read_text())
    for model in data["models"]:
        if model["id"] in prices:
            model["price"] = prices[model["id"]]
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def _plain(output: str) -> str:
    """CLI output without the error panel's frame and line breaks (typer wraps usage errors in a box)."""
    return " ".join(output.replace("│", " ").split())


def _records(run_dir: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (run_dir / "cassette.jsonl").read_text().splitlines()]


# --- prices: the config's over LiteLLM's map, read without importing litellm ----------------------------------


def _repo_models(repo: Path) -> list[str]:
    found = []
    for path in sorted((repo / "rounds").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if isinstance(data, dict):
            found += [m["litellm_model"] for m in data.get("models", []) if isinstance(m, dict) and "litellm_model" in m]
    return found


def test_price_map_agrees_with_litellm(repo_dir: Path) -> None:
    """The JSON lookup gives LiteLLM's own prices for the models of the repo's configs and tests (prefixes, case, aliases)."""
    import litellm

    models = sorted(
        set(_repo_models(repo_dir))
        | {"gpt-4o-mini", "openai/gpt-4o-mini", "OpenAI/GPT-4o-mini", "openai/alpha", "anthropic/claude-3-5-sonnet-20240620"}
        | {"openrouter/openai/gpt-4o", "openrouter/anthropic/claude-3.5-sonnet", "gemini/gemini-1.5-pro", "claude-sonnet-latest"}
        | {"anthropic/claude-sonnet-4-5", "claude-haiku-4-5", "openai/gpt-4.1", "deepseek/deepseek-chat", "gemini/gemini-2.5-pro"}
        | {"vertex_ai/claude-haiku-4-5"}
    )
    assert "openrouter/anthropic/claude-sonnet-4.6" in models, "the repo's example config is read"
    ours = LiteLLMPriceMap.load()

    def theirs(model: str) -> tuple[float, float] | None:
        try:
            info = litellm.get_model_info(model)
        except Exception:  # LiteLLM raises for models it does not know
            return None
        pair = (float(info.get("input_cost_per_token") or 0), float(info.get("output_cost_per_token") or 0))
        return pair if any(pair) else None

    disagree = {m: (ours.price(m), theirs(m)) for m in models if ours.price(m) != theirs(m)}
    assert disagree == {}
    assert ours.price("openai/gpt-4o-mini") == theirs("openai/gpt-4o-mini") is not None
    assert sum(ours.price(m) is not None for m in models) >= 6, "most of the checked models have a price"


def test_dry_run_does_not_import_litellm(tasks_root: Path, repo_dir: Path) -> None:
    config = write_round(tasks_root / "round.yaml", "http://127.0.0.1:9/v1", MODELS, ["q0", "q1"], repo_dir)
    _with_prices(config, {"alpha": PRICE})
    text = config.read_text().replace("openai/beta", "openai/gpt-4o-mini")
    config.write_text(text)
    probe = (
        "import sys\n"
        "from harness.cli import main\n"
        f"sys.argv = ['harness', 'run', {str(config)!r}, '--dry-run']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('LITELLM IMPORTED' if 'litellm' in sys.modules else 'LITELLM NOT IMPORTED')\n"
    )
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env, cwd=tasks_root, check=False)
    assert done.returncode == 0, done.stderr
    assert "LITELLM NOT IMPORTED" in done.stdout
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip() for line in done.stdout.splitlines() if line.count("│") > 5}
    assert rows["gamma"] == "unknown"
    assert float(rows["alpha"]) > 0 and float(rows["beta"]) > 0, "config price (alpha) and LiteLLM's map (gpt-4o-mini)"


def test_config_price_drives_estimate_recorded_cost_and_limit(tasks_root: Path, repo_dir: Path) -> None:
    runner = CliRunner()
    with FakeOpenAIServer(responder) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0", "q1"], repo_dir)
        _with_prices(config, {m: PRICE for m in MODELS})
        dry = runner.invoke(app, ["run", str(config), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "unknown" not in dry.output and "at most $" in dry.output
        done = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run"), "--max-cost", "5"])
        assert done.exit_code == 0, done.output
        # The guard prices calls with the config's price: an answer may cost 2,048 x 15 USD/Mtok = 0.031 USD,
        # so a limit of 0.05 USD lets one start and stops the round (unpriced, every call would look free).
        stopped = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "stopped"), "--max-cost", "0.05"])
        assert stopped.exit_code == 3, stopped.output
    records = _records(tasks_root / "run")
    assert len(records) == 2 * (3 + 6)
    for record in records:
        usage = record["usage"]
        expected = usage["prompt_tokens"] * 3.0 / 1e6 + usage["completion_tokens"] * 15.0 / 1e6
        assert record["cost_usd"] == pytest.approx(expected)
    stopped_records = _records(tasks_root / "stopped")
    assert 0 < len(stopped_records) < len(records)
    assert sum(r["cost_usd"] for r in stopped_records) <= 0.05


# --- --max-cost refusals: before any call, exit 2 ---------------------------------------------------------------


def test_max_cost_refuses_unpriced_models_before_any_call(tasks_root: Path, repo_dir: Path) -> None:
    runner = CliRunner()
    with FakeOpenAIServer(responder) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir)
        _with_prices(config, {"alpha": PRICE})
        refused = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run"), "--max-cost", "1"])
        assert refused.exit_code == 2, refused.output
        message = _plain(refused.output)
        assert "no known price for 2 model(s): beta (openai/beta), gamma (openai/gamma)." in message
        assert "alpha (" not in message
        assert "--allow-unpriced" in message and "price: {input_per_mtok" in message
        assert server.requests == [] and not (tasks_root / "run").exists()

        negative = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run"), "--max-cost", "-1"])
        assert negative.exit_code == 2 and "--max-cost" in negative.output and "-1 is negative: the limit is a cost in USD" in _plain(negative.output)
        assert server.requests == []

        allowed = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run"), "--max-cost", "1", "--allow-unpriced"])
        assert allowed.exit_code == 0, allowed.output
        made = len(server.requests)
        assert made == 3 + 6

        resumed = runner.invoke(app, ["resume", str(tasks_root / "run"), "--max-cost", "1"])
        assert resumed.exit_code == 2 and "beta (openai/beta)" in _plain(resumed.output)
        negative_resume = runner.invoke(app, ["resume", str(tasks_root / "run"), "--max-cost", "-0.5"])
        assert negative_resume.exit_code == 2
        assert runner.invoke(app, ["resume", str(tasks_root / "run"), "--max-cost", "1", "--allow-unpriced"]).exit_code == 0
        assert len(server.requests) == made


def test_a_price_in_the_config_does_not_change_the_round(tasks_root: Path, repo_dir: Path) -> None:
    """Prices shape no call: adding one and resuming is allowed, and a priced model is no longer refused."""
    runner = CliRunner()
    with FakeOpenAIServer(responder) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir)
        assert runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run")]).exit_code == 0
        _with_prices(config, {m: PRICE for m in MODELS})
        again = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run"), "--max-cost", "1"])
        assert again.exit_code == 0, again.output
        assert runner.invoke(app, ["resume", str(tasks_root / "run"), "--max-cost", "1"]).exit_code == 0
        assert len(server.requests) == 3 + 6, "every call was served from the cassette"
    negative_price = yaml.safe_load(config.read_text())
    negative_price["models"][0]["price"] = {"input_per_mtok": -1, "output_per_mtok": 1}
    config.write_text(yaml.safe_dump(negative_price))
    bad = runner.invoke(app, ["run", str(config), "--dry-run"])
    assert bad.exit_code != 0 and "input_per_mtok" in (bad.output + str(bad.exception))


# --- replies over max_tokens --------------------------------------------------------------------------------


def over_responder(request: FakeRequest) -> ResponderResult:
    """beta's answers and gamma's judgments report more completion tokens than were asked for."""
    assert request.max_tokens is not None
    if is_judge_request(request):
        tokens = request.max_tokens + 500 if request.model == "gamma" else 60
        return FakeReply(content=json.dumps(scores_for(request.model, request.last_user_text)), completion_tokens=tokens)
    tokens = request.max_tokens + 1000 if request.model == "beta" else 200
    return FakeReply(content=f"{request.model} answers: {request.last_user_text[:40]}", completion_tokens=tokens)


def test_reply_over_max_tokens_is_flagged_in_details_and_report(tasks_root: Path, repo_dir: Path) -> None:
    runner = CliRunner()
    with FakeOpenAIServer(over_responder) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir)
        done = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
        assert done.exit_code == 0, done.output
    details = json.loads((tasks_root / "run" / "results" / "details" / "q0.json").read_text())
    flagged = {a["model_id"]: a.get("over_max_tokens") for a in details["answers"]}
    assert flagged == {"alpha": None, "beta": True, "gamma": None}, "the field is absent when false"
    judged = {(j["judge_id"], j["respondent_id"]): j.get("over_max_tokens") for j in details["judgments"]}
    assert [flag for (judge, respondent), flag in judged.items() if judge == "gamma" and respondent != "gamma"] == [True, True]
    assert all(flag is None for (judge, respondent), flag in judged.items() if judge != "gamma" or respondent == "gamma")

    report = runner.invoke(app, ["report", str(tasks_root / "run"), "--out", str(tasks_root / "report.html")])
    assert report.exit_code == 0, report.output
    html = (tasks_root / "report.html").read_text()
    assert "Beta Model</strong> <span class=\"headline\">" in html
    beta_headline = html.split("Beta Model</strong> <span class=\"headline\">")[1].split("</span>")[0]
    assert "reply over max_tokens" in beta_headline
    assert "exceeded: 3,048 reply tokens, 2,048 requested" in html
    costs = html.split('id="costs"')[1]
    assert "replies over max_tokens" in costs
    assert "3 replies used more completion tokens" in costs and "beta: 1" in costs and "gamma: 2" in costs


# --- judges see cut answers ----------------------------------------------------------------------------------


def long_responder(request: FakeRequest) -> ResponderResult:
    if is_judge_request(request):
        return json.dumps(scores_for(request.model, request.last_user_text))
    return LONG_ANSWER if request.model == "alpha" else f"{request.model}: a short answer."


def test_judges_see_answers_cut_to_max_answer_chars(tasks_root: Path, repo_dir: Path) -> None:
    runner = CliRunner()
    with FakeOpenAIServer(long_responder) as server:
        config = write_round(tasks_root / "round.yaml", server.base_url, MODELS, ["q0"], repo_dir, judging={"max_answer_chars": 1000})
        uncut = write_round(tasks_root / "uncut.yaml", server.base_url, MODELS, ["q0"], repo_dir)
        estimates = {}
        for name, path in (("cut", config), ("uncut", uncut)):
            dry = runner.invoke(app, ["run", str(path), "--dry-run"], env={"COLUMNS": "200"})
            assert dry.exit_code == 0, dry.output
            estimates[name] = [line for line in dry.output.splitlines() if line.count("│") > 5]
        done = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
        assert done.exit_code == 0, done.output
        judge_texts = [r.last_user_text for r in server.requests if is_judge_request(r)]

    def input_tokens(rows: list[str]) -> int:
        return sum(int(row.split("│")[4].strip().replace(",", "")) for row in rows)

    assert input_tokens(estimates["cut"]) < input_tokens(estimates["uncut"]), "the estimate counts the cut size"
    of_alpha = [t for t in judge_texts if "line 0000" in t]
    assert len(of_alpha) == 2, "beta and gamma judge alpha's answer"
    for text in of_alpha:
        assert LONG_ANSWER[:1000] in text and LONG_ANSWER[1000:1100] not in text
        cut = len(LONG_ANSWER) - 1000
        assert f"[... {cut:,} characters cut here: judges see the first 1,000 characters of each answer ...]" in text
    assert all("characters cut here" not in t for t in judge_texts if "line 0000" not in t), "short answers are whole"
    details = json.loads((tasks_root / "run" / "results" / "details" / "q0.json").read_text())
    assert next(a["text"] for a in details["answers"] if a["model_id"] == "alpha") == LONG_ANSWER, "details keep the whole answer"


# --- build rounds: the generation sample is flagged, reviewers see implementations cut ------------------------

REVIEW_LABELS = re.compile(r"Review every implementation: ([^\n]+)\.")


def build_responder(reference: str):  # type: ignore[no-untyped-def]
    def respond(request: FakeRequest) -> ResponderResult:
        labels_line = REVIEW_LABELS.search(request.last_user_text)
        if labels_line:
            labels = [label.strip() for label in labels_line.group(1).split(",")]
            verdict = {"hardFail": True, "spec": 8, "quality": 14, "verdict": "rewrite", "note": "ok"}
            return json.dumps({label: verdict for label in labels})
        assert request.max_tokens is not None
        over = request.model == "alpha"
        tokens = request.max_tokens + 10 if over else 300
        return FakeReply(content=f"```python slugify.py\n{reference}```\n", completion_tokens=tokens)

    return respond


@pytest.mark.docker
def test_build_round_flags_generation_and_cuts_implementations(tasks_root: Path, repo_dir: Path) -> None:
    reference = (repo_dir / "tasks" / "build-slugify" / "reference" / "slugify.py").read_text()
    runner = CliRunner()
    with FakeOpenAIServer(build_responder(reference)) as server:
        config = write_round(
            tasks_root / "round.yaml", server.base_url, MODELS, ["build-slugify"], repo_dir,
            tasks_dir=str(repo_dir / "tasks"), judging={"max_answer_chars": 500},
        )
        done = runner.invoke(app, ["run", str(config), "--out", str(tasks_root / "run")])
        assert done.exit_code == 0, done.output
        reviews = [r.last_user_text for r in server.requests if REVIEW_LABELS.search(r.last_user_text)]
    assert len(reviews) == 3
    marker = f"[... {len(reference) - 500:,} characters cut here: judges see the first 500 characters of each implementation"
    for text in reviews:
        assert text.count(marker) == 3, "each of the three implementations is cut"
        assert reference[:500] in text and reference[500:600] not in text
    run_dir = tasks_root / "run"
    assert (run_dir / "results" / "builds" / "build-slugify" / "alpha" / "sample-1" / "slugify.py").read_text() == reference
    details = json.loads((run_dir / "results" / "details" / "build-slugify.json").read_text())
    assert {s["model_id"]: s.get("over_max_tokens") for s in details["samples"]} == {"alpha": True, "beta": None, "gamma": None}
    assert runner.invoke(app, ["report", str(run_dir), "--out", str(tasks_root / "report.html")]).exit_code == 0
    html = (tasks_root / "report.html").read_text()
    alpha_headline = html.split("Alpha Model</strong> <span class=\"headline\">")[1].split("</span>")[0]
    assert "reply over max_tokens" in alpha_headline
    assert "exceeded: 2,058 reply tokens, 2,048 requested" in html
