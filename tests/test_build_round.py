"""A build round end to end: real LiteLLM, a local server, hidden tests in the real Docker sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.formats._dataset import DatasetFile
from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, write_round

pytestmark = pytest.mark.docker

MODELS = ["alpha", "beta", "gamma"]
LABELS = re.compile(r"Review every implementation: ([^\n]+)\.")


def _reference(repo: Path) -> str:
    return (repo / "tasks" / "build-slugify" / "reference" / "slugify.py").read_text()


def make_responder(repo: Path):  # type: ignore[no-untyped-def]
    good = _reference(repo)
    broken = good.replace("words = [word.lower() for word in words]", "words = [word.upper() for word in words]")
    assert broken != good

    def respond(request: FakeRequest) -> ResponderResult:
        text = request.last_user_text
        labels_line = LABELS.search(text)
        if labels_line:
            if request.model == "gamma":
                return "no opinion"  # a judge that never returns usable JSON: a recorded dropout
            labels = [label.strip() for label in labels_line.group(1).split(",")]
            return json.dumps(
                {
                    label: {"hardFail": True, "spec": 9 - i, "quality": 15 - i, "verdict": "ship-with-cleanup" if i == 0 else "rewrite", "note": f"review {i}"}
                    for i, label in enumerate(labels)
                }
            )
        if request.model == "alpha":
            return f"Here it is:\n\n```python slugify.py\n{good}```\n"
        if request.model == "beta":
            return f"```python\n{broken}```"
        return "I cannot write code today."  # no entrypoint: a recorded generation failure

    return respond


@pytest.fixture
def build_round(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    return tmp_path


def test_build_round_dataset_and_replay(build_round: Path, repo_dir: Path) -> None:
    runner = CliRunner()
    with FakeOpenAIServer(make_responder(repo_dir)) as server:
        config = write_round(
            build_round / "round.yaml", server.base_url, MODELS, ["build-slugify"], repo_dir,
            tasks_dir=str(repo_dir / "tasks"), samples=2, sandbox_parallel=2,
        )
        result = runner.invoke(app, ["run", str(config), "--out", str(build_round / "run")])
        assert result.exit_code == 0, result.output
        requests = server.requests
    run_dir = build_round / "run"
    dataset_path = run_dir / "results" / "dataset.json"
    dataset = DatasetFile.model_validate_json(dataset_path.read_text())
    assert dataset.meta.rows == 3 and len(dataset.rounds) == 1
    round_ = dataset.rounds[0]
    assert round_.task == "build-slugify"
    assert [s.model for s in round_.samples] == ["alpha", "alpha", "beta", "beta", "gamma", "gamma"]
    tests = {row.impl: row.tests for row in round_.scoreboard}
    total = int(tests["alpha"].split("/")[1])
    assert total >= 5
    assert tests["alpha"] == f"{total}/{total}"
    passed_beta = int(tests["beta"].split("/")[0])
    assert 0 < passed_beta < total, "the upper-casing bug fails some hidden tests, not all"
    detail = {d.impl: d for d in round_.per_impl_detail}
    assert [s.judge for s in detail["alpha"].scores] == MODELS
    assert [s.tier for s in detail["alpha"].scores] == ["self", "peer", "peer"]
    gamma_scores = [s for s in detail["alpha"].scores if s.judge == "gamma"][0]
    assert (gamma_scores.hard_fail, gamma_scores.spec, gamma_scores.verdict, gamma_scores.note) == (False, None, "—", "—")
    assert detail["gamma"].hidden_tests == [], "no implementation, no test run"
    judging = {row.judge: row for row in round_.judging_cost}
    assert judging["alpha"].harness == "harness" and isinstance(judging["alpha"].tokens, int) and judging["alpha"].tokens > 0

    # Packet reviews: shuffled labels per judge, no identity, no hidden tests, no reference solution in any prompt.
    reviews = [r for r in requests if any(LABELS.search(str(m["content"])) for m in r.messages)]
    assert len(reviews) == 3 + 1  # gamma's one repair re-ask
    hidden = (repo_dir / "tasks" / "build-slugify" / "tests" / "test_slugify.py").read_text()
    probe = [line.strip() for line in hidden.splitlines() if line.strip().startswith("assert")][0]
    for request in requests:
        body = json.dumps(request.messages)
        assert probe not in body
        if request in reviews:
            for name in MODELS:
                assert name not in body.lower()
    details = json.loads((run_dir / "results" / "details" / "build-slugify.json").read_text())
    mappings = [tuple(r["labels"].values()) for r in details["reviews"]]
    assert len(set(mappings)) > 1 or len(MODELS) < 3, "label order is shuffled per judge"
    assert (run_dir / "results" / "builds" / "build-slugify" / "alpha" / "sample-2" / "slugify.py").is_file()

    # Replay: no server; hidden tests run again in the sandbox; byte-identical outputs.
    result = runner.invoke(app, ["replay", str(run_dir), "--out", str(build_round / "replayed")])
    assert result.exit_code == 0, result.output
    assert (build_round / "replayed" / "results" / "dataset.json").read_bytes() == dataset_path.read_bytes()


def test_rescore_dataset_seed(shared_dir: Path, tmp_path: Path) -> None:
    seed = shared_dir / "seeds" / "openbench-dataset-round1.json"
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["rescore", str(seed), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == seed.read_bytes()
