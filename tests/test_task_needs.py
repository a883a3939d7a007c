"""Tasks say what their hidden tests need (`requires`); the sandbox grants it safely or refuses before any call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.testing import FakeOpenAIServer, FakeRequest, ResponderResult

from ._round_fixtures import TEST_KEY_ENV, write_round
from .test_source_task_folders import GOOD, implementation, source_task

pytestmark = pytest.mark.docker

NETWORK_TESTS = '''import os
import socket

import pytest


def _interfaces():
    return [name for name in os.listdir("/sys/class/net") if name != "lo"]


def test_the_sandbox_has_a_network():
    if not _interfaces():
        pytest.skip("no network interface")
    assert _interfaces()


def test_there_is_no_route_out():
    if not _interfaces():
        pytest.skip("no network interface")
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(3)
        sock.connect(("1.1.1.1", 53))
'''

JQ_TEST = '''import subprocess


def test_jq_is_installed():
    done = subprocess.run(["jq", "-n", "1 + 2"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "3"
'''


def needing(root: Path, requires: list[str], extra_tests: str, name: str = "needy") -> Path:
    folder = source_task(root, name)
    manifest = json.loads((folder / "task.json").read_text())
    (folder / "task.json").write_text(json.dumps({**manifest, "requires": requires}))
    (folder / "tests" / "test_needs.py").write_text(extra_tests)
    return folder


def _generator(request: FakeRequest) -> ResponderResult:
    return f"```python greet.py\n{GOOD}```\n"


def test_a_container_runtime_is_refused_before_any_call(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    task = needing(tmp_path / "tasks", ["container-runtime"], "def test_runs_a_container():\n    pass\n")
    runner = CliRunner()
    with FakeOpenAIServer(_generator) as server:
        config = write_round(tmp_path / "round.yaml", server.base_url, ["alpha", "beta"], ["needy"], repo_dir, judging="none")
        result = runner.invoke(app, ["run", str(config), "--out", str(tmp_path / "run")])
        assert server.requests == [], "refused before any model call"
    message = str(result.exception)
    assert result.exit_code != 0
    assert "build task 'needy' requires what this sandbox does not grant" in message
    assert "container-runtime: a container runtime inside the sandbox cannot be granted safely" in message
    tested = runner.invoke(app, ["sandbox", "test", str(task), str(implementation(tmp_path, GOOD))])
    assert tested.exit_code != 0 and "container-runtime" in str(tested.exception)


def test_network_only_when_allowed_and_with_no_route_out(tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = needing(tmp_path / "tasks", ["network"], NETWORK_TESTS)
    impl = implementation(tmp_path, GOOD)
    runner = CliRunner()
    refused = runner.invoke(app, ["sandbox", "test", str(task), str(impl), "--json"])
    assert refused.exit_code != 0 and "allow_network: true" in str(refused.exception)
    granted = runner.invoke(app, ["sandbox", "test", str(task), str(impl), "--json", "--allow-network"])
    data = json.loads(granted.output)
    assert granted.exit_code == 0, granted.output
    assert (data["passed"], data["skipped"], data["total"]) == (5, 0, 5), "the network tests really ran"
    assert any(note.startswith("network: granted") for note in data["integrity_notes"])
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    with FakeOpenAIServer(_generator) as server:
        closed = write_round(tmp_path / "closed.yaml", server.base_url, ["alpha", "beta"], ["needy"], repo_dir, judging="none")
        stopped = runner.invoke(app, ["run", str(closed), "--out", str(tmp_path / "closed-run")])
        assert stopped.exit_code != 0 and "network: the sandbox has no network" in str(stopped.exception)
        assert server.requests == []
        open_round = write_round(
            tmp_path / "open.yaml", server.base_url, ["alpha", "beta"], ["needy"], repo_dir,
            judging="none", sandbox={"allow_network": True},
        )
        result = runner.invoke(app, ["run", str(open_round), "--out", str(tmp_path / "run"), "--progress", "quiet"])
        assert result.exit_code == 0, result.output
    dataset = json.loads((tmp_path / "run" / "results" / "dataset.json").read_text(encoding="utf-8"))
    assert {row["impl"]: row["tests"] for row in dataset["rounds"][0]["scoreboard"]} == {"alpha": "5/5", "beta": "5/5"}


def test_a_debian_package_comes_in_a_derived_image(tmp_path: Path) -> None:
    task = needing(tmp_path / "tasks", ["apt:jq"], JQ_TEST)
    impl = implementation(tmp_path, GOOD)
    checked = CliRunner().invoke(app, ["task", "check", str(task), "--with", str(impl)])
    assert checked.exit_code == 0, checked.output
    assert "requires: apt:jq (granted)" in checked.output and "4/4 hidden tests passed" in checked.output
    tested = CliRunner().invoke(app, ["sandbox", "test", str(task), str(impl), "--json"])
    data = json.loads(tested.output)
    assert (data["passed"], data["total"]) == (4, 4)
    assert any(note.startswith("image: harness-sandbox:") and "-with-" in note for note in data["integrity_notes"])


def test_an_unknown_need_is_a_clear_task_error(tmp_path: Path) -> None:
    task = needing(tmp_path / "tasks", ["gpu"], "def test_x():\n    pass\n")
    result = CliRunner().invoke(app, ["sandbox", "test", str(task), str(implementation(tmp_path, GOOD))])
    assert result.exit_code != 0
    assert "requires" in str(result.exception) and "'gpu' is not a need this harness knows" in str(result.exception)
