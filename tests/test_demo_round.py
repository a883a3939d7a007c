"""The demo round (rounds/demo): its committed recording replays offline to its committed results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.formats._dataset import DatasetFile
from harness.formats._evaluation import EvaluationFile

pytestmark = pytest.mark.docker  # the hidden tests of build-slugify run again in the sandbox

DEMO_RUN = Path(__file__).resolve().parents[1] / "rounds" / "demo" / "run"
RESULTS = DEMO_RUN / "results"


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_files = _files(DEMO_RUN)
    out = tmp_path_factory.mktemp("demo") / "replayed"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DEMO_FIXTURE_KEY", raising=False)  # a replay needs no key
        result = CliRunner().invoke(app, ["replay", str(DEMO_RUN), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 calls made, 16 served from the cassette" in result.output
    assert _files(DEMO_RUN) == run_files, "a replay leaves the committed run folder alone"
    return out / "results"


def test_replay_is_byte_identical_to_the_committed_results(replayed: Path) -> None:
    assert _files(replayed) == _files(RESULTS)
    for relative in _files(RESULTS):
        assert (replayed / relative).read_bytes() == (RESULTS / relative).read_bytes(), str(relative)


def test_good_fixture_wins_the_question(replayed: Path) -> None:
    [path] = replayed.glob("EVAL-*.json")
    evaluation = EvaluationFile.model_validate_json(path.read_text(encoding="utf-8"))
    assert evaluation.question_id == "CODE-H001"
    assert evaluation.winner is not None and evaluation.winner.name == "Fixture Good"
    assert list(evaluation.rankings) == ["fixture-good", "fixture-mediocre", "fixture-broken"]
    assert evaluation.meta.source == "harness demo (fixture models)"
    # fixture-broken's judgment of fixture-good is the scripted malformed reply: recorded, never a score.
    pairs = {(j.judge_key, j.respondent_key) for j in evaluation.judgments}
    assert ("fixture-broken", "fixture-good") not in pairs and evaluation.matrix_size == 5
    details = json.loads((replayed / "details" / "q-retry-decorator.json").read_text(encoding="utf-8"))
    [failed] = [j for j in details["judgments"] if (j["judge_id"], j["respondent_id"]) == ("fixture-broken", "fixture-good")]
    assert "unusable reply after one repair re-ask" in failed["error"] and failed["weighted_score"] is None


def test_good_fixture_leads_the_build_scoreboard(replayed: Path) -> None:
    dataset = DatasetFile.model_validate_json((replayed / "dataset.json").read_text(encoding="utf-8"))
    [round_] = dataset.rounds
    assert round_.task == "build-slugify"
    passed = {row.impl: int(row.tests.split("/")[0]) for row in round_.scoreboard}
    total = int(round_.scoreboard[0].tests.split("/")[1])
    assert total == 10
    assert passed["fixture-good"] == total
    assert 0 < passed["fixture-mediocre"] < total
    assert passed["fixture-broken"] <= 2
    composite = {row.impl: row.composite or 0.0 for row in dataset.flat}
    assert composite["fixture-good"] > composite["fixture-mediocre"] > composite["fixture-broken"] > 0
    verdicts = {row.impl: row.verdict for row in round_.scoreboard}
    assert verdicts["fixture-good"] == "ship-with-cleanup" and verdicts["fixture-broken"] == "unusable"
