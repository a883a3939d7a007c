"""`harness schema`, `validate`, `export` and `task new`."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import harness.cli._tools  # noqa: F401  (registers the commands until harness.cli imports it)
from harness._errors import HarnessError
from harness.cli import app
from harness.tasks import BuildTask, QuestionTask, load_task
from harness.tools import BUILD_COLUMNS, QUESTION_COLUMNS, format_json_schema

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEMO_RESULTS = REPO / "rounds" / "demo" / "run" / "results"
DEMO_EVALUATION = next(DEMO_RESULTS.glob("EVAL-*.json"), DEMO_RESULTS / "EVAL-missing.json")
DEMO_DATASET = DEMO_RESULTS / "dataset.json"
SEEDS = sorted((SHARED / "seeds").glob("*.json")) if SHARED.is_dir() else []
MULTIVAC_RAW = SHARED / "data" / "multivac" / "EVAL-20260207-131130.json"

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def user_error(result: Any) -> str:
    """The message of the HarnessError a command raised (printed as `error: ...`, exit 2, by `main`)."""
    assert isinstance(result.exception, HarnessError), result.output
    return str(result.exception)


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def demo_evaluation() -> dict[str, Any]:
    if not DEMO_EVALUATION.is_file():
        pytest.skip("the recorded demo run has no evaluation file")
    value: dict[str, Any] = json.loads(DEMO_EVALUATION.read_text(encoding="utf-8"))
    return value


@pytest.fixture
def demo_dataset() -> dict[str, Any]:
    if not DEMO_DATASET.is_file():
        pytest.skip("the recorded demo run has no dataset file")
    value: dict[str, Any] = json.loads(DEMO_DATASET.read_text(encoding="utf-8"))
    return value


# --- schema ---------------------------------------------------------------------------------


OPTIONAL_FIELDS = {"PerImplDetail": {"notes"}}
"""Fields of ours that a file carries only when there is something to say."""


@pytest.mark.parametrize("kind", ["evaluation", "dataset"])
def test_schema_prints_a_valid_strict_json_schema(kind: str) -> None:
    from jsonschema import Draft202012Validator

    result = invoke("schema", kind)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            assert definition["additionalProperties"] is False, name
            optional = set(definition["properties"]) - set(definition["required"])
            assert optional == OPTIONAL_FIELDS.get(name, set()), name


def test_schema_uses_the_published_key_spelling() -> None:
    dataset = format_json_schema("dataset")
    assert "wallSec" in dataset["$defs"]["Sample"]["properties"]
    assert "range" in dataset["$defs"]["AgreementRow"]["properties"]
    assert "model_slug" in dataset["$defs"]["FlatRow"]["properties"]
    evaluation = format_json_schema("evaluation")
    assert evaluation["properties"]["evaluation_id"]["pattern"] == r"^EVAL-\d{8}-\d{6}$"


def test_schema_rejects_an_unknown_kind() -> None:
    assert invoke("schema", "report").exit_code == 2


# --- validate -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS, ids=[p.name for p in SEEDS])
def test_validate_accepts_each_seed(seed: Path) -> None:
    result = invoke("validate", str(seed))
    assert result.exit_code == 0, result.output
    kind = "dataset" if "dataset" in seed.name else "evaluation"
    assert result.output.strip() == f"valid {kind} file"


def test_validate_accepts_the_files_the_demo_run_emitted() -> None:
    if not DEMO_EVALUATION.is_file() or not DEMO_DATASET.is_file():
        pytest.skip("the recorded demo run is incomplete")
    result = invoke("validate", str(DEMO_EVALUATION), str(DEMO_DATASET))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{DEMO_EVALUATION}: valid evaluation file",
        f"{DEMO_DATASET}: valid dataset file",
    ]


def test_validate_accepts_an_imported_multivac_round(tmp_path: Path) -> None:
    if not MULTIVAC_RAW.is_file():
        pytest.skip(f"{MULTIVAC_RAW} not present")
    imported = invoke("import", "multivac", str(MULTIVAC_RAW), "--out", str(tmp_path))
    assert imported.exit_code == 0, imported.output
    emitted = sorted(tmp_path.glob("*/results/*.json"))
    assert emitted
    result = invoke("validate", *map(str, emitted))
    assert result.exit_code == 0, result.output


def test_validate_rejects_a_wrong_type_naming_its_path(tmp_path: Path, demo_evaluation: dict[str, Any]) -> None:
    first = next(iter(demo_evaluation["rankings"]))
    demo_evaluation["rankings"][first]["average_score"] = "x"
    demo_evaluation["matrix_size"] = 5.5
    bad = write_json(tmp_path / "bad.json", demo_evaluation)
    result = invoke("validate", str(bad))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{bad}: invalid evaluation file, 2 errors:"
    assert f"$.rankings['{first}'].average_score: 'x' is not of type 'number'" in lines
    assert "$.matrix_size: 5.5 is not of type 'integer'" in lines


def test_validate_rejects_a_missing_field_naming_its_path(tmp_path: Path, demo_dataset: dict[str, Any]) -> None:
    del demo_dataset["flat"][0]["tests"]
    del demo_dataset["rounds"][0]["samples"][0]["wallSec"]
    bad = write_json(tmp_path / "bad.json", demo_dataset)
    result = invoke("validate", str(bad))
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "$.flat[0]: 'tests' is a required property",
        "$.rounds[0].samples[0]: 'wallSec' is a required property",
    ]


def test_validate_rejects_unknown_and_snake_case_keys(tmp_path: Path, demo_dataset: dict[str, Any]) -> None:
    sample = demo_dataset["rounds"][0]["samples"][0]
    sample["wall_sec"] = sample.pop("wallSec")
    bad = write_json(tmp_path / "bad.json", demo_dataset)
    output = invoke("validate", str(bad)).output
    assert "$.rounds[0].samples[0]: 'wallSec' is a required property" in output
    assert "$.rounds[0].samples[0]: Additional properties are not allowed ('wall_sec' was unexpected)" in output


def test_validate_explains_a_bad_nullable_object_by_its_fields(tmp_path: Path, demo_evaluation: dict[str, Any]) -> None:
    del demo_evaluation["winner"]["score"]
    bad = write_json(tmp_path / "bad.json", demo_evaluation)
    assert invoke("validate", str(bad)).output.splitlines()[1:] == ["$.winner: 'score' is a required property"]
    demo_evaluation["winner"] = "nobody"
    write_json(bad, demo_evaluation)
    assert invoke("validate", str(bad)).output.splitlines()[1:] == ["$.winner: 'nobody' is not of type 'object', 'null'"]


def test_validate_checks_the_format_rules(tmp_path: Path, demo_evaluation: dict[str, Any]) -> None:
    demo_evaluation["evaluation_id"] = "EVAL-2026"
    demo_evaluation["judgments"][0]["weighted_score"] = 0
    bad = write_json(tmp_path / "bad.json", demo_evaluation)
    lines = invoke("validate", str(bad)).output.splitlines()
    assert lines[1].startswith("$.evaluation_id: 'EVAL-2026' does not match")
    assert lines[2] == "$.judgments[0].weighted_score: 0 is less than or equal to the minimum of 0"


def test_validate_reports_files_of_no_known_kind(tmp_path: Path) -> None:
    other = write_json(tmp_path / "other.json", {"rounds": []})
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = invoke("validate", str(other), str(broken))
    assert result.exit_code == 1
    assert f"{other}: not an evaluation or dataset file, 1 error:" in result.output
    assert "$: not valid JSON" in result.output
    assert invoke("validate", str(tmp_path / "missing.json")).exit_code == 2


# --- export ---------------------------------------------------------------------------------


def test_export_csv_of_the_demo_run_has_a_row_per_ranked_model(demo_evaluation: dict[str, Any]) -> None:
    result = invoke("export", str(REPO / "rounds" / "demo" / "run"), "--format", "csv")
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(table[0]) == QUESTION_COLUMNS
    rows = [dict(zip(table[0], row)) for row in table[1:]]
    assert [r["model_id"] for r in rows] == list(demo_evaluation["rankings"])
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert [r["is_winner"] for r in rows] == ["true", "false", "false"]
    assert {r["evaluation_id"] for r in rows} == {demo_evaluation["evaluation_id"]}
    details = json.loads((DEMO_RESULTS / "details" / "q-retry-decorator.json").read_text(encoding="utf-8"))
    tokens = {a["model_id"]: str(a["usage"]["total_tokens"]) for a in details["answers"]}
    assert {r["model_id"]: r["total_tokens"] for r in rows} == tokens
    assert "also has build rounds" in result.stderr


def test_export_jsonl_of_the_demo_build_round_is_the_flat_table(tmp_path: Path, demo_dataset: dict[str, Any]) -> None:
    out = tmp_path / "builds.jsonl"
    result = invoke("export", str(DEMO_RESULTS), "--format", "jsonl", "--kind", "build", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == demo_dataset["flat"]
    assert all(tuple(row) == BUILD_COLUMNS for row in rows)


def test_export_lists_unranked_models_after_the_ranked_ones(tmp_path: Path) -> None:
    if not MULTIVAC_RAW.is_file():
        pytest.skip(f"{MULTIVAC_RAW} not present")
    assert invoke("import", "multivac", str(MULTIVAC_RAW), "--out", str(tmp_path)).exit_code == 0
    result = invoke("export", str(tmp_path / MULTIVAC_RAW.stem), "--format", "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 10 and sum(row["is_winner"] for row in rows) == 1
    unranked = [row for row in rows if row["rank"] is None]
    assert [row["model_id"] for row in unranked] == ["grok_4_1_fast"]
    assert unranked[0]["model_name"] == "Grok 4.1 Fast" and "500" in unranked[0]["answer_error"]
    assert rows[-1]["model_id"] == "grok_4_1_fast"


def test_export_errors_name_what_is_missing(tmp_path: Path, demo_evaluation: dict[str, Any]) -> None:
    assert "no results" in user_error(invoke("export", str(tmp_path)))
    only_questions = tmp_path / "run"
    (only_questions / "results").mkdir(parents=True)
    shutil.copy(DEMO_EVALUATION, only_questions / "results")
    assert "no build round results" in user_error(invoke("export", str(only_questions), "--kind", "build"))


def test_export_help_documents_every_column() -> None:
    text = " ".join(invoke("export", "--help").output.split())
    for column in QUESTION_COLUMNS + BUILD_COLUMNS:
        assert column in text


# --- task new -------------------------------------------------------------------------------


def test_task_new_build_scaffolds_a_loadable_task(tmp_path: Path) -> None:
    result = invoke("task", "new", "build-word-count", "--kind", "build", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "build-word-count"
    for name in ("PROMPT.md", "SPEC.md", "JUDGE_PROMPT.md", "JUDGE_RUBRIC.md", "tests/conftest.py",
                 "tests/test_word_count.py", "reference/word_count.py"):
        assert (folder / name).is_file(), name
    manifest = json.loads((folder / "task.json").read_text(encoding="utf-8"))
    assert manifest["task_kind"] == "code" and manifest["entrypoint"] == "word_count.py"
    assert manifest["test_invocation"] == ["python3", "-m", "pytest", "_eval_tests/", "-v", "--tb=short"]
    task = load_task(folder)
    assert isinstance(task, BuildTask) and task.reference_dir == (folder / "reference").resolve()
    assert "10. " in task.spec and "hardFail" in task.judge_rubric and "quality (0-20)" in task.judge_rubric
    namespace: dict[str, Any] = {}
    exec((folder / "reference" / "word_count.py").read_text(encoding="utf-8"), namespace)
    assert namespace["solve"]() == 42


def test_task_new_question_scaffolds_a_loadable_task(tmp_path: Path) -> None:
    result = invoke("task", "new", "q-cap-theorem", "--kind", "question", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    task = load_task(tmp_path / "q-cap-theorem")
    assert isinstance(task, QuestionTask)
    assert (task.question_id, task.category) == ("CAP-THEOREM", "general")
    assert sorted(p.name for p in (tmp_path / "q-cap-theorem").iterdir()) == ["PROMPT.md", "task.json"]


@pytest.mark.parametrize("kind", ["build", "question"])
def test_task_new_refuses_to_overwrite(tmp_path: Path, kind: str) -> None:
    existing = tmp_path / "taken"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine", encoding="utf-8")
    message = user_error(invoke("task", "new", "taken", "--kind", kind, "--dir", str(tmp_path)))
    assert "already exists" in message
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


@pytest.mark.parametrize("name", ["Build-Foo", "foo_bar", "-foo", "foo-", "foo--bar", "9lives", "build-json", ""])
def test_task_new_rejects_bad_names(tmp_path: Path, name: str) -> None:
    message = user_error(invoke("task", "new", "--kind", "build", "--dir", str(tmp_path), "--", name))
    assert "invalid task name" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.docker
def test_task_check_accepts_a_fresh_build_scaffold(tmp_path: Path) -> None:
    docker = pytest.importorskip("docker")
    from harness.sandbox import resolve_image

    try:
        resolve_image(docker.from_env())
    except (docker.errors.DockerException, HarnessError) as exc:
        pytest.skip(f"no Docker engine or sandbox image: {exc}")
    assert invoke("task", "new", "build-answer", "--kind", "build", "--dir", str(tmp_path)).exit_code == 0
    result = invoke("task", "check", str(tmp_path / "build-answer"))
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    assert "reference solution: 1/1 hidden tests passed" in result.output
    assert "empty entrypoint:   0/1 passed" in result.output
