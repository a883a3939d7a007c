"""Raw Multivac rounds import, replay to their published files, and follow FORMATS.md A."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harness.cli import app

from ._reference_rules import expected_from_raw

PUBLISHED = ["EVAL-20260402-130102", "EVAL-20260402-131157", "EVAL-20260402-133034"]


def _without_provider(entries: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps({k: v for k, v in e.items() if k != "provider"}, sort_keys=True) for e in entries)


def _import_and_replay(raw: Path, tmp_path: Path, labels: Path | None = None) -> tuple[Path, dict[str, Any]]:
    runner = CliRunner()
    extra = ["--labels", str(labels)] if labels else []
    result = runner.invoke(app, ["import", "multivac", str(raw), "--out", str(tmp_path / "runs"), *extra])
    assert result.exit_code == 0, result.output
    run_dir = tmp_path / "runs" / raw.stem
    replayed = tmp_path / "replayed"
    result = runner.invoke(app, ["replay", str(run_dir), "--out", str(replayed)])
    assert result.exit_code == 0, result.output
    out = replayed / "results" / f"{raw.stem}.json"
    recorded = run_dir / "results" / f"{raw.stem}.json"
    assert out.read_bytes() == recorded.read_bytes(), "replay must be byte-identical to the imported run"
    return run_dir, json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("evaluation_id", PUBLISHED)
def test_import_replay_equals_published_seed(shared_dir: Path, tmp_path: Path, evaluation_id: str) -> None:
    seed = json.loads((shared_dir / "seeds" / f"multivac-{evaluation_id}.json").read_text(encoding="utf-8"))
    # The published layer's labels (provider; a renamed display name) are not in the raw file.
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({m["id"]: {"name": m["name"], "provider": m["provider"]} for m in seed["models_used"]}))
    _, got = _import_and_replay(shared_dir / "data" / "multivac" / f"{evaluation_id}.json", tmp_path, labels)
    assert list(got) == list(seed), "same fields in the same order"
    assert got["rankings"] == seed["rankings"] and list(got["rankings"]) == list(seed["rankings"])
    assert got["winner"] == seed["winner"]
    for field in ("evaluation_id", "question_id", "question_text", "category", "timestamp", "display_date", "avg_score", "matrix_size"):
        assert got[field] == seed[field], field
    assert {k: v for k, v in got["winner"].items() if k != "provider"} == {k: v for k, v in seed["winner"].items() if k != "provider"}
    assert list(got["rankings"]) == list(seed["rankings"]), "rank order"
    for key, entry in seed["rankings"].items():
        assert {k: v for k, v in got["rankings"][key].items() if k != "provider"} == {k: v for k, v in entry.items() if k != "provider"}
    assert _without_provider(got["models_used"]) == _without_provider(seed["models_used"])
    assert sorted(json.dumps(j, sort_keys=True) for j in got["judgments"]) == sorted(json.dumps(j, sort_keys=True) for j in seed["judgments"])


def _raw_rounds() -> list[Path]:
    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "multivac"
    return sorted(p for p in folder.glob("EVAL-*.json") if not p.name.endswith(".model_metadata.json")) if folder.is_dir() else []


@pytest.mark.parametrize("raw_path", _raw_rounds(), ids=lambda p: p.stem)
def test_every_raw_round_follows_the_published_rules(shared_dir: Path, tmp_path: Path, raw_path: Path) -> None:
    raw = json.loads(raw_path.read_text(encoding="utf-8"))
    _, got = _import_and_replay(raw_path, tmp_path)
    expected = expected_from_raw(raw)
    assert got["matrix_size"] == expected["matrix_size"]
    assert got["avg_score"] == expected["avg_score"]
    assert {k: v["average_score"] for k, v in got["rankings"].items()} == expected["averages"]
    assert {k: v["score_count"] for k, v in got["rankings"].items()} == expected["counts"]
    means = expected["means"]
    order = list(got["rankings"])
    assert all(means[a] >= means[b] for a, b in zip(order, order[1:])), "ranked by unrounded mean"
    winner_name = raw_name = None
    if expected["winner"] is not None:
        raw_name = got["rankings"][expected["winner"]]["display_name"]
    winner_name = got["winner"]["name"] if got["winner"] else None
    assert winner_name == raw_name
    assert all(j["judge_key"] != j["respondent_key"] for j in got["judgments"])
    assert got["meta"]["methodology"].startswith(f"{len(raw['models_used'])}x")


def test_no_qualifying_winner_round(shared_dir: Path, tmp_path: Path) -> None:
    _, got = _import_and_replay(shared_dir / "data" / "multivac" / "EVAL-20260402-161326.json", tmp_path)
    assert got["winner"] is None
    assert got["rankings"], "models are still ranked"


def test_failed_answer_round_keeps_the_model_in_the_pool(shared_dir: Path, tmp_path: Path) -> None:
    run_dir, got = _import_and_replay(shared_dir / "data" / "multivac" / "EVAL-20260207-131130.json", tmp_path)
    assert "grok_4_1_fast" not in got["rankings"]
    assert got["meta"]["methodology"] == "10x10 blind peer matrix evaluation"
    details = json.loads((run_dir / "results" / "details" / "EVAL-20260207-131130.json").read_text(encoding="utf-8"))
    failed = [a for a in details["answers"] if a["error"]]
    assert [a["model_id"] for a in failed] == ["grok_4_1_fast"]
    assert "500" in failed[0]["error"]


@pytest.mark.parametrize("evaluation_id", PUBLISHED)
def test_rescore_returns_the_seed(shared_dir: Path, tmp_path: Path, evaluation_id: str) -> None:
    seed = shared_dir / "seeds" / f"multivac-{evaluation_id}.json"
    out = tmp_path / "rescored.json"
    result = CliRunner().invoke(app, ["rescore", str(seed), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == seed.read_bytes()


def test_rescore_recomputes_a_tampered_file(shared_dir: Path, tmp_path: Path) -> None:
    seed = json.loads((shared_dir / "seeds" / "multivac-EVAL-20260402-130102.json").read_text(encoding="utf-8"))
    seed["rankings"]["gpt_5_4"]["average_score"] = 1.0
    seed["avg_score"] = 0
    seed["winner"] = None
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(seed), encoding="utf-8")
    out = tmp_path / "out.json"
    assert CliRunner().invoke(app, ["rescore", str(tampered), "--out", str(out)]).exit_code == 0
    fixed = json.loads(out.read_text(encoding="utf-8"))
    assert fixed["rankings"]["gpt_5_4"]["average_score"] == 9.41
    assert fixed["avg_score"] == 8.59
    assert fixed["winner"]["name"] == "Claude Sonnet 4.6"
