"""Every forgery technique as a build-round reply through `harness run`: no score is raised.

The round has one "model" per trick (plus the honest wrong code and the
reference) and two tasks: the shipped `build-slugify` (`isolation: process`)
and a copy of it run the source's way (`inprocess`).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.formats._dataset import DatasetFile
from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, write_round
from .sandbox._tricks import TRICKS, WRONG

pytestmark = pytest.mark.docker

LABELS = re.compile(r"Review every implementation: ([^\n]+)\.")
BASELINE, REFERENCE = "honest-wrong", "reference"


def _reply(files: dict[str, str]) -> str:
    blocks = [f"```{'python' if name.endswith('.py') else 'text'} {name}\n{text}\n```" for name, text in files.items()]
    return "Here is my implementation.\n\n" + "\n\n".join(blocks) + "\n"


def test_no_trick_raises_a_score_through_harness_run(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    tasks = tmp_path / "tasks"
    shutil.copytree(repo_dir / "tasks" / "build-slugify", tasks / "build-slugify")
    shutil.copytree(repo_dir / "tasks" / "build-slugify", tasks / "build-slugify-inprocess")
    for name in ("build-slugify", "build-slugify-inprocess"):
        manifest = json.loads((tasks / name / "task.json").read_text())
        manifest.update(timeout_s=6, isolation="process" if name == "build-slugify" else "inprocess")
        (tasks / name / "task.json").write_text(json.dumps(manifest))
    replies = {trick.name: _reply(trick.files) for trick in TRICKS}
    replies[BASELINE] = _reply({"slugify.py": WRONG})
    replies[REFERENCE] = _reply({"slugify.py": (repo_dir / "tasks" / "build-slugify" / "reference" / "slugify.py").read_text()})
    seen_notices: list[str] = []

    def respond(request: FakeRequest) -> ResponderResult:
        text = request.last_user_text
        labels_line = LABELS.search(text)
        if labels_line:
            seen_notices.extend(re.findall(r"\(Sandbox integrity check: [a-z]+\.", text))
            labels = [label.strip() for label in labels_line.group(1).split(",")]
            return json.dumps({label: {"hardFail": True, "spec": 5, "quality": 10, "verdict": "rewrite", "note": "ok"} for label in labels})
        return replies[request.model]

    with FakeOpenAIServer(respond) as server:
        config = write_round(
            tmp_path / "round.yaml", server.base_url, list(replies), ["build-slugify", "build-slugify-inprocess"], repo_dir,
            tasks_dir=str(tasks), sandbox_parallel=2, mask_identities=False,
        )
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run")])
        assert result.exit_code == 0, result.output
    dataset = DatasetFile.model_validate_json((tmp_path / "run" / "results" / "dataset.json").read_text())
    for round_ in dataset.rounds:
        passed = {row.impl: int(row.tests.split("/")[0]) for row in round_.scoreboard}
        details = {d.impl: d for d in round_.per_impl_detail}
        assert passed[REFERENCE] == 10 and details[REFERENCE].notes == []
        assert 0 < passed[BASELINE] < 10 and details[BASELINE].notes == []
        for trick in TRICKS:
            notes = details[trick.name].notes
            tampered = bool(notes) and notes[0] in ("integrity: tampered", "integrity: error")
            assert passed[trick.name] <= passed[BASELINE] or tampered, (round_.task, trick.name, notes)
            if tampered:
                assert passed[trick.name] == 0
        if round_.task == "build-slugify-inprocess":
            flagged = {t.name for t in TRICKS if details[t.name].notes[:1] in (["integrity: tampered"], ["integrity: error"])}
            assert flagged >= {t.name for t in TRICKS if t.inprocess_flag}
        else:
            assert details["conftest-hookwrapper"].notes[0] == "integrity: suspicious"
    assert "(Sandbox integrity check: tampered." in seen_notices, "the reviewing judges are told"
