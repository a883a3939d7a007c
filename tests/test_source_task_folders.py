"""Task folders in the source's own shapes (FORMATS.md C): no task_kind, no judge files, no reference.

They load with the source's defaults, are checked against a known-good implementation with
`task check --with`, run through `sandbox test`, and score a `judging: none` round by their
hidden tests alone. A suite that only skips is an error, never a score.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, write_round

pytestmark = pytest.mark.docker

GOOD = "def greet(name):\n    return f'Hello, {name}!'\n"
WRONG = "def greet(name):\n    return 'hello'\n"
SYS_PATH_CONFTEST = "import sys\nfrom pathlib import Path\n\nsys.path.insert(0, str(Path(__file__).resolve().parents[1]))\n"


def source_task(root: Path, name: str = "greet", *, skip_reason: str | None = None) -> Path:
    """A folder as the source writes one: task.json without task_kind, no judge files, no reference/."""
    folder = root / name
    (folder / "tests").mkdir(parents=True)
    (folder / "task.json").write_text(json.dumps({"entrypoint": "greet.py", "language": "python"}))
    (folder / "PROMPT.md").write_text("Write greet(name).\n")
    (folder / "SPEC.md").write_text("greet(name) returns 'Hello, <name>!'.\n")
    (folder / "tests" / "conftest.py").write_text(SYS_PATH_CONFTEST)
    skip = f"import pytest\npytestmark = pytest.mark.skip(reason={skip_reason!r})\n" if skip_reason else ""
    (folder / "tests" / "test_greet.py").write_text(
        skip
        + "from greet import greet\n\n"
        + "def test_ada():\n    assert greet('Ada') == 'Hello, Ada!'\n\n"
        + "def test_empty():\n    assert greet('') == 'Hello, !'\n\n"
        + "def test_type():\n    assert isinstance(greet('x'), str)\n"
    )
    return folder


def implementation(root: Path, text: str) -> Path:
    folder = root / "impl"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "greet.py").write_text(text)
    return folder


def test_task_check_needs_a_known_good_implementation(tmp_path: Path) -> None:
    task = source_task(tmp_path / "tasks")
    runner = CliRunner()
    refused = runner.invoke(app, ["task", "check", str(task)])
    assert refused.exit_code != 0
    assert "--with IMPL_DIR" in str(refused.exception) + refused.output
    checked = runner.invoke(app, ["task", "check", str(task), "--with", str(implementation(tmp_path, GOOD))])
    assert checked.exit_code == 0, checked.output
    assert "task.json leaves out task_kind, test_runner, test_invocation, loc_method" in checked.output
    assert 'task_kind="code"' in checked.output
    assert "not reviewable (no JUDGE_PROMPT.md / JUDGE_RUBRIC.md)" in checked.output
    assert "3/3 hidden tests passed" in checked.output
    wrong = runner.invoke(app, ["task", "check", str(task), "--with", str(implementation(tmp_path / "w", WRONG))])
    assert wrong.exit_code != 0 and "does not pass every hidden test" in str(wrong.exception)


def test_sandbox_test_runs_a_source_folder_as_it_is(tmp_path: Path) -> None:
    task = source_task(tmp_path / "tasks")
    result = CliRunner().invoke(app, ["sandbox", "test", str(task), str(implementation(tmp_path, WRONG)), "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert (data["passed"], data["failed"], data["skipped"], data["errors"], data["total"]) == (1, 2, 0, 0, 3)
    assert data["integrity"] == "ok"


def test_a_suite_that_only_skips_is_an_error_not_a_score(tmp_path: Path) -> None:
    task = source_task(tmp_path / "tasks", skip_reason="needs a container runtime")
    result = CliRunner().invoke(app, ["sandbox", "test", str(task), str(implementation(tmp_path, GOOD)), "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert (data["passed"], data["skipped"], data["total"]) == (0, 3, 3)
    assert data["integrity"] == "error"
    assert any("all 3 hidden tests were skipped" in note and "needs a container runtime" in note for note in data["integrity_notes"])


def _generator(request: FakeRequest) -> ResponderResult:
    return f"```python greet.py\n{GOOD if request.model == 'alpha' else WRONG}```\n"


def test_objective_round_without_judge_files(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    source_task(tmp_path / "tasks")
    runner = CliRunner()
    with FakeOpenAIServer(_generator) as server:
        peer = write_round(tmp_path / "peer.yaml", server.base_url, ["alpha", "beta"], ["greet"], repo_dir)
        refused = runner.invoke(app, ["run", str(peer), "--out", str(tmp_path / "peer-run")])
        assert refused.exit_code != 0
        assert "JUDGE_PROMPT.md: missing, and the round reviews build task 'greet'" in str(refused.exception)
        assert server.requests == [], "refused before any call"
        objective = write_round(tmp_path / "objective.yaml", server.base_url, ["alpha", "beta"], ["greet"], repo_dir, judging="none")
        result = runner.invoke(app, ["run", str(objective), "--out", str(tmp_path / "run"), "--progress", "quiet"])
        assert result.exit_code == 0, result.output
        assert len(server.requests) == 2, "two generations, no review call"
    results = tmp_path / "run" / "results"
    dataset = json.loads((results / "dataset.json").read_text(encoding="utf-8"))
    [round_] = dataset["rounds"]
    tests = {row["impl"]: row["tests"] for row in round_["scoreboard"]}
    assert tests == {"alpha": "3/3", "beta": "1/3"}
    assert all(detail["scores"] == [] for detail in round_["perImplDetail"])
    assert round_["judgeRanking"] == [] and round_["judgingCost"] == []
    details = json.loads((results / "details" / "greet.json").read_text(encoding="utf-8"))
    assert details["reviews"] == []
    replayed = runner.invoke(app, ["replay", str(tmp_path / "run"), "--out", str(tmp_path / "again"), "--progress", "quiet"])
    assert replayed.exit_code == 0, replayed.output
    assert (tmp_path / "again" / "results" / "dataset.json").read_bytes() == (results / "dataset.json").read_bytes()
