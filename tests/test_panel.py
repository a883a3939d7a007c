"""Panel judging (`judging: {panel: k}`): the design, the plan and its printout, the 80% rule on the judges
assigned, and a 50-model round through the CLI against the fake OpenAI server, with its report."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harness._errors import ConfigError
from harness.aggregate import EvaluationInput, PoolModel, ScoredJudgment, aggregate_evaluation, rescore_evaluation
from harness.cli import app
from harness.formats._evaluation import EvaluationFile
from harness.plan import load_plan, question_panels, review_panels
from harness.testing import FakeOpenAIServer, FakeReply, FakeRequest, Responder, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, is_judge_request, write_question_task, write_round

CRITERIA = ("correctness", "completeness", "clarity", "depth", "usefulness")


def _ids(n: int) -> list[str]:
    return [f"m{i:02d}" for i in range(n)]


def _tasks(n: int) -> list[str]:
    return [f"q{i}" for i in range(n)]


def _loads(panels: list[dict[str, list[str]]]) -> Counter[str]:
    return Counter(judge for panel in panels for judges in panel.values() for judge in judges)


@pytest.mark.parametrize(("n", "k", "questions"), [(50, 5, 2), (10, 3, 7), (7, 6, 3), (3, 2, 1), (11, 4, 4)])
def test_each_answer_gets_k_distinct_judges_never_its_author_and_every_judge_the_same_load(n: int, k: int, questions: int) -> None:
    models = _ids(n)
    panels = question_panels(models, models, k, seed=7, questions=_tasks(questions))
    assert len(panels) == questions
    for panel in panels:
        assert list(panel) == models
        for respondent, judges in panel.items():
            assert len(judges) == len(set(judges)) == k
            assert respondent not in judges
            assert judges == [m for m in models if m in judges], "listed in pool order"
    loads = _loads(panels)
    assert set(loads) == set(models)
    assert max(loads.values()) - min(loads.values()) <= 1
    # Rotating offsets: no (judge, respondent) pair repeats before every other judge has met the respondent.
    pairs = Counter((j, r) for panel in panels for r, judges in panel.items() for j in judges)
    assert max(pairs.values()) == -(-questions * k // (n - 1))


def test_the_design_is_seeded_by_the_round_seed_and_its_tasks() -> None:
    models = _ids(12)
    assert question_panels(models, models, 4, 3, ["a", "b"]) == question_panels(models, models, 4, 3, ["a", "b"])
    assert question_panels(models, models, 4, 3, ["a", "b"]) != question_panels(models, models, 4, 4, ["a", "b"])
    # Single-question rounds of different questions, same (default) seed: not the same panels every time.
    assert question_panels(models, models, 4, 0, ["a"]) != question_panels(models, models, 4, 0, ["b"])


def test_a_judge_subset_stays_balanced() -> None:
    models, judges = _ids(12), _ids(7)
    panels = question_panels(models, judges, 3, seed=1, questions=_tasks(5))
    loads = _loads(panels)
    assert set(loads) == set(judges)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert all(r not in js and len(set(js)) == 3 for panel in panels for r, js in panel.items())


def test_too_large_a_panel_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"judging.panel: 3 judges per answer, but an answer can have at most 2"):
        question_panels(_ids(3), _ids(3), 3, 0, ["q"])
    with pytest.raises(ConfigError, match=r"judging.panel: 4 reviewers per build task, but the round has 3 judges"):
        review_panels(_ids(3), 4, 0, ["b"])


def test_review_panels_rotate_across_build_tasks() -> None:
    judges = _ids(10)
    panels = review_panels(judges, 3, seed=2, tasks=_tasks(10))
    assert all(len(set(p)) == 3 for p in panels)
    loads = Counter(j for p in panels for j in p)
    assert set(loads.values()) == {3}


def _pool(n: int) -> list[PoolModel]:
    return [PoolModel(id=m, name=m.upper(), provider="p") for m in _ids(n)]


def _judgment(judge: str, respondent: str, score: float) -> ScoredJudgment:
    return ScoredJudgment(judge_key=judge, respondent_key=respondent, weighted_score=score, brief_justification="", valid=True)


def test_the_80_percent_rule_counts_the_judges_assigned() -> None:
    """Pool of 50, panel of 5: 4 valid judges qualify (not 39); the top model with 3 does not win."""
    judgments = [_judgment(f"m{j:02d}", "m00", 9.5) for j in (1, 2, 3)]
    judgments += [_judgment(f"m{j:02d}", "m01", 8.0) for j in (2, 3, 4, 5)]
    base: dict[str, Any] = {
        "evaluation_id": "EVAL-20260101-000000",
        "question_id": "Q",
        "question_text": "?",
        "category": "c",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "pool": _pool(50),
        "judgments": judgments,
        "source": "s",
        "license": "l",
    }
    panel = aggregate_evaluation(EvaluationInput(**base, panel=5))
    assert list(panel.rankings) == ["m00", "m01"]
    assert panel.winner is not None and panel.winner.name == "M01"
    assert panel.meta.methodology == "50x50 blind peer matrix evaluation, panel of 5 judges per answer"
    rescored = rescore_evaluation(panel)  # its pool: the 6 models the file names
    assert rescored.winner == panel.winner, "a rescore reads the panel back from the methodology"
    assert rescored.meta.methodology == "6x6 blind peer matrix evaluation, panel of 5 judges per answer"
    full = aggregate_evaluation(EvaluationInput(**base))
    assert full.winner is None and full.meta.methodology == "50x50 blind peer matrix evaluation"


# --- a round through the CLI -------------------------------------------------------------------------------------

ANSWER = re.compile(r"answer number (\d+)")


def _value(respondent: int) -> int:
    """m00 answers best, m01 second, the rest below."""
    return {0: 10, 1: 9}.get(respondent, 4 + respondent % 4)


def _responder(failing: set[tuple[str, int]]) -> Responder:
    def respond(request: FakeRequest) -> ResponderResult:
        if is_judge_request(request):
            found = ANSWER.search(json.dumps(request.messages))
            assert found is not None
            respondent = int(found.group(1))
            if (request.model, respondent) in failing:
                return "no score from me"  # unusable, also after the repair re-ask
            return json.dumps({**{c: _value(respondent) for c in CRITERIA}, "brief_justification": "fine"})
        number = int(request.model[1:])
        return FakeReply(content=f"This is answer number {number}: {request.last_user_text[:30]}", prompt_tokens=10, completion_tokens=20)

    return respond


def _details(run_dir: Path, task: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((run_dir / "results" / "details" / f"{task}.json").read_text())
    return data


def test_dry_run_prints_the_saving_and_refuses_too_large_a_panel(tmp_path: Path, repo_dir: Path) -> None:
    write_question_task(tmp_path / "tasks", "q1", "T-001", "First?")
    write_question_task(tmp_path / "tasks", "q2", "T-002", "Second?")
    config = write_round(tmp_path / "round.yaml", "http://127.0.0.1:9/v1", _ids(10), ["q1", "q2"], repo_dir, judging={"panel": 3})
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--dry-run"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "20 answer, 60 judge, 0 generation and 0 review calls" in text
    assert "panel of 3: 60 judge and review calls instead of 180 for the full matrix (33.3% of them, 120 saved)" in text

    plain = write_round(tmp_path / "plain.yaml", "http://127.0.0.1:9/v1", _ids(10), ["q1", "q2"], repo_dir)
    result = CliRunner().invoke(app, ["run", str(plain), "--out", str(tmp_path / "run"), "--dry-run"])
    assert result.exit_code == 0 and "panel of" not in result.output

    small = write_round(tmp_path / "small.yaml", "http://127.0.0.1:9/v1", _ids(3), ["q1"], repo_dir, judging={"panel": 3})
    result = CliRunner().invoke(app, ["run", str(small), "--out", str(tmp_path / "run"), "--dry-run"])
    assert result.exit_code != 0
    assert "judging.panel: 3 judges per answer, but an answer can have at most 2" in " ".join((result.output + str(result.exception)).split())


def test_panel_plan_asks_no_self_judgment_even_when_recording_them(tmp_path: Path, repo_dir: Path) -> None:
    write_question_task(tmp_path / "tasks", "q1", "T-001", "First?")
    config = write_round(
        tmp_path / "round.yaml", "http://127.0.0.1:9/v1", _ids(6), ["q1"], repo_dir, judging={"panel": 2}, self_judgment="record"
    )
    plan = load_plan(config)
    judge_calls = plan.calls_of("judge", "q1")
    assert len(judge_calls) == 12 and all(c.model_id != c.respondent_id for c in judge_calls)
    assert plan.skipped_self_judgments == []
    assert [(s.judge_id, s.respondent_id) for s in plan.judgment_slots("q1")] == [(c.model_id, c.respondent_id) for c in judge_calls]
    assert plan.full_matrix_counts().judge_calls == 36, "the full matrix with self_judgment: record asks 6 x 6"


def test_fifty_models_two_questions_with_a_panel_of_five(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    models = _ids(50)
    write_question_task(tmp_path / "tasks", "q1", "T-001", "What is the capital of France, and why?")
    write_question_task(tmp_path / "tasks", "q2", "T-002", "Explain a hash map in two sentences.")
    runner = CliRunner()
    settings = {"judging": {"panel": 5}, "concurrency": 64}
    plan = load_plan(write_round(tmp_path / "round.yaml", "http://127.0.0.1:9/v1", models, ["q1", "q2"], repo_dir, **settings))
    q1_judges = {r: [c.model_id for c in plan.calls_of("judge", "q1") if c.respondent_id == r] for r in ("m00", "m02")}
    # In q1 two of m00's five judges fail, one of m02's: 3 and 4 valid judgments.
    failing = {(q1_judges["m00"][0], 0), (q1_judges["m00"][1], 0), (q1_judges["m02"][0], 2)}
    with FakeOpenAIServer(_responder(failing)) as server:
        config = write_round(tmp_path / "round.yaml", server.base_url, models, ["q1", "q2"], repo_dir, **settings)
        result = runner.invoke(app, ["run", str(config), "--out", str(tmp_path / "run")])
        assert result.exit_code == 0, result.output
    run_dir = tmp_path / "run"
    output = " ".join(result.output.split())
    assert "panel of 5: 500 judge and review calls instead of 4,900 for the full matrix (10.2% of them, 4,400 saved)" in output

    given: Counter[str] = Counter()
    for task in ("q1", "q2"):
        judgments = _details(run_dir, task)["judgments"]
        assert isinstance(judgments, list)
        by_respondent: dict[str, list[str]] = {}
        for j in judgments:
            by_respondent.setdefault(j["respondent_id"], []).append(j["judge_id"])
            given[j["judge_id"]] += 1
        assert set(by_respondent) == set(models)
        for respondent, judges in by_respondent.items():
            assert len(judges) == len(set(judges)) == 5, (task, respondent)
            assert respondent not in judges
            assert judges == [c.model_id for c in plan.calls_of("judge", task) if c.respondent_id == respondent]
    assert set(given) == set(models) and max(given.values()) - min(given.values()) <= 1

    files = {EvaluationFile.model_validate_json(p.read_text()).question_id: p for p in (run_dir / "results").glob("EVAL-*.json")}
    q1, q2 = (EvaluationFile.model_validate_json(files[q].read_text()) for q in ("T-001", "T-002"))
    for evaluation in (q1, q2):
        assert evaluation.meta.methodology == "50x50 blind peer matrix evaluation, panel of 5 judges per answer"
        assert len(evaluation.models_used) == 50
    assert q1.matrix_size == 247 and q2.matrix_size == 250
    assert q1.rankings["m00"].score_count == 3 and q1.rankings["m02"].score_count == 4
    # The 80% rule on the 5 assigned judges: 4 qualify, 3 do not; over P - 1 = 49 judges nobody would.
    assert list(q1.rankings)[:2] == ["m00", "m01"]
    assert q1.winner is not None and q1.winner.name == "M01 Model"
    assert q2.winner is not None and q2.winner.name == "M00 Model"
    # A rescore of the published file reproduces it byte for byte (the panel is read from the methodology).
    rescored = tmp_path / "rescored.json"
    assert runner.invoke(app, ["rescore", str(files["T-001"]), "--out", str(rescored)]).exit_code == 0
    assert rescored.read_bytes() == files["T-001"].read_bytes()

    report = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(run_dir), "--out", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text()
    assert html.count('class="matrix-figure matrix-compact"') == 3, "both question matrices and the overview are compact"
    assert html.count('data-rows="50" data-columns="50"') == 2
    assert "figure.matrix-compact thead th { position: sticky" in html, "headers stay in view while the box scrolls"
    assert "not on this answer&#39;s panel (panel of 5)" in html
    assert "no self-judgment is asked" in html
    assert len(html) < 3_000_000, f"the report stays a manageable size ({len(html):,} characters)"


def test_the_benchmark_cuts_real_rounds_by_the_design(shared_dir: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """benchmarks/panel.py on 20 real Multivac rounds: the design's k judges per answer; k = N-1 is the full matrix."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("panel_benchmark", repo_dir / "benchmarks" / "panel.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    raws = sorted(p for p in (shared_dir / "data" / "multivac-all").glob("EVAL-*.json") if not p.name.endswith(".model_metadata.json"))
    from harness.importers import RawMultivacRound

    matrices = [bench.matrix_of(RawMultivacRound.model_validate_json(p.read_bytes())) for p in raws[-20:]]
    for matrix in matrices:
        kept, panel = bench.panel_judgments(matrix, 5, 0)
        assigned = question_panels(matrix.pool, matrix.judges, 5, 0, [matrix.raw.evaluation_id])[0]
        assert panel == 5 and kept
        assert all(j.judge_key in assigned[j.respondent_key] and j.judge_key != j.respondent_key for j in kept)
        assert max(Counter(j.respondent_key for j in kept).values()) <= 5
    full = [bench.evaluate(m, m.judgments, None) for m in matrices]
    whole = bench.measure(matrices, full, 9, 0)
    assert whole.calls_kept == whole.calls_full and whole.cross_tau == pytest.approx(1.0)
    assert all(t == pytest.approx(1.0) for t in whole.round_taus)
    five = bench.measure(matrices, full, 5, 0)
    assert 0.4 < five.calls_kept / five.calls_full < 0.6


def test_build_tasks_get_k_reviewers_rotated_across_tasks(tmp_path: Path, repo_dir: Path) -> None:
    config = write_round(
        tmp_path / "round.yaml", "http://127.0.0.1:9/v1", _ids(6), ["build-slugify", "build-lru-cache"], repo_dir,
        tasks_dir=str(repo_dir / "tasks"), judging={"panel": 3},
    )
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--dry-run"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "0 answer, 0 judge, 12 generation and 6 review calls" in text
    assert "panel of 3: 6 judge and review calls instead of 12 for the full matrix (50.0% of them, 6 saved)" in text
    plan = load_plan(config)
    reviewers = [[c.model_id for c in plan.calls_of("review", task)] for task in ("build-slugify", "build-lru-cache")]
    assert all(len(set(r)) == 3 for r in reviewers)
    assert sorted(reviewers[0] + reviewers[1]) == _ids(6), "the window moves on: every model reviews once"
