"""CLI polish (issue 13): switches read as switches, choices are listed, Ctrl-C says how to resume,
`replay --out` and `demo --out` share a layout, every command is in the README, `task check` warns on a scaffold."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from harness.cli import app
from harness.cli._app import OPTIONAL_VALUE_OPTIONS
from harness.testing import FakeOpenAIServer

from ._round_fixtures import TEST_KEY_ENV, write_question_task, write_round
from .test_crash_resume import _question_responder, _recorded, _results, _signature

REPO = Path(__file__).resolve().parents[1]
DEMO_RUN = REPO / "rounds" / "demo" / "run"
WIDE = CliRunner(env={"COLUMNS": "200"})  # no wrapped option rows


def _commands(command: Any = None, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every group and command of `harness`, with its path of names."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def _help(path: tuple[str, ...]) -> str:
    result = WIDE.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def _row_after(output: str, option: str) -> str | None:
    """The help row of `option`: the text after its name, or None if no row starts with it."""
    for line in output.splitlines():
        match = re.match(rf"^│\s*(?:\*\s+)?{re.escape(option)}(?![\w-])(.*)$", line)
        if match:
            return match.group(1)
    return None


# --- 1. switches ------------------------------------------------------------------------------


def test_no_switch_shows_a_value_placeholder_in_any_help() -> None:
    switches = 0
    for path, command in _commands():
        output = _help(path)
        assert "[default: False]" not in output and "[default: True]" not in output, path
        for param in command.get_params(typer.main.get_command(app).make_context("harness", [], resilient_parsing=True)):
            if param.param_type_name != "option":
                continue
            for option in [*param.opts, *param.secondary_opts]:
                row = _row_after(output, option)
                assert row is not None, f"harness {' '.join(path)} --help has no row for {option}"
                shown = row.lstrip(" ,/").split(maxsplit=1)[0] if row.strip(" │") else ""
                if param.is_flag:
                    switches += 1
                    assert not shown.startswith(("<", "[")), f"harness {' '.join(path)}: {option} shows {shown!r}"
                elif option in OPTIONAL_VALUE_OPTIONS:
                    assert shown.startswith("["), f"harness {' '.join(path)}: {option}'s value may be left out, shown {shown!r}"
                else:
                    assert shown.startswith("<"), f"harness {' '.join(path)}: {option} takes a value but shows {shown!r}"
    # --help of 18 groups and commands, plus --dry-run, --offline, --force, --json, --allow-network (2), --skip-bad.
    assert switches >= 25


# --- 2. choices -------------------------------------------------------------------------------


def _choice_values(param: Any) -> list[str]:
    return [c.value if isinstance(c, Enum) else str(c) for c in param.type_descriptor.choices]


def _choice_params() -> list[tuple[tuple[str, ...], Any, Any]]:
    found = []
    for path, command in _commands():
        for param in command.params:
            descriptor = getattr(param, "type_descriptor", None)
            if descriptor is not None and descriptor.is_choice:
                found.append((path, command, param))
    return found


def test_the_known_choice_options_are_choices() -> None:
    got = {(" ".join(path), param.opts[0]): _choice_values(param) for path, _, param in _choice_params()}
    for command in ("run", "resume", "replay"):
        assert got[(command, "--progress")] == ["live", "jsonl", "quiet"]
    assert got[("export", "--format")] == ["csv", "jsonl"]
    assert got[("export", "--kind")] == ["auto", "question", "build"]
    assert got[("schema", "kind")] == ["evaluation", "dataset"]
    assert got[("task new", "--kind")] == ["build", "question"]


@pytest.mark.parametrize("case", _choice_params(), ids=lambda c: f"{' '.join(c[0])}:{c[2].name}")
def test_every_choice_is_listed_in_help_and_others_are_rejected_with_the_list(case: tuple[Any, Any, Any]) -> None:
    path, command, tested = case
    choices = _choice_values(tested)
    row = _row_after(_help(path), tested.opts[0] if tested.param_type_name == "option" else tested.name)
    assert row is not None and f"<{'|'.join(choices)}>" in row
    argv: list[str] = list(path)
    for param in command.params:
        if param.param_type_name == "argument":
            argv.append("not-a-choice" if param is tested else "x")
        elif param is tested:
            argv += [param.opts[0], "not-a-choice"]
        elif param.required:
            argv += [param.opts[0], _choice_values(param)[0] if getattr(param.type_descriptor, "is_choice", False) else "x"]
    result = WIDE.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "not-a-choice" in result.output
    for choice in choices:
        assert f"'{choice}'" in result.output, result.output


# --- 3. Ctrl-C --------------------------------------------------------------------------------


def _harness(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, **{TEST_KEY_ENV: "sk-test"})
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _cassette_lines(run_dir: Path) -> list[str]:
    path = run_dir / "cassette.jsonl"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _interrupt_after(process: subprocess.Popen[str], run_dir: Path, lines: int) -> tuple[str, str]:
    """SIGINT once the cassette holds `lines` records; the process's stdout and stderr."""
    deadline = time.monotonic() + 120
    while len(_cassette_lines(run_dir)) < lines:
        assert process.poll() is None, f"finished before the interrupt: {process.communicate()}"
        assert time.monotonic() < deadline, "the interrupt point was never reached"
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=60)


def test_ctrl_c_during_run_and_resume_prints_the_resume_command_and_exits_130(tmp_path: Path, repo_dir: Path) -> None:
    models = ["alpha", "beta", "gamma"]
    for index in range(2):
        write_question_task(tmp_path / "tasks", f"q{index}", f"K-{index:03d}", f"Interrupted question {index}?")
    with FakeOpenAIServer(_question_responder) as baseline_server:
        config = write_round(tmp_path / "base.yaml", baseline_server.base_url, models, ["q0", "q1"], repo_dir, concurrency=2)
        done = _harness("run", str(config), "--out", str(tmp_path / "base"), "--progress", "quiet", cwd=tmp_path)
        assert done.wait(timeout=300) == 0, done.communicate()

    run_dir = (tmp_path / "crash").resolve()
    with FakeOpenAIServer(_question_responder, latency_s=0.3) as server:
        # No --out: the run folder is the config's `output`, and the message names it.
        config = write_round(tmp_path / "crash.yaml", server.base_url, models, ["q0", "q1"], repo_dir, concurrency=2, output="crash")
        run = _harness("run", str(config), cwd=tmp_path)
        _, err = _interrupt_after(run, run_dir, 3)
        assert run.returncode == 130, err
        assert f"continue with: harness resume {shlex.quote(str(run_dir))}\n" in err
        kept = _cassette_lines(run_dir)
        assert len(kept) >= 3 and all(json.loads(line) for line in kept), "every record is kept, none torn"

        resume = _harness("resume", "crash", "--progress", "quiet", cwd=tmp_path)
        out, err = _interrupt_after(resume, run_dir, len(kept) + 3)
        assert resume.returncode == 130, err
        assert out == "" and err.strip() == "interrupted: every finished call is kept in the run's cassette; continue with: harness resume crash"
        lines = _cassette_lines(run_dir)
        assert lines[: len(kept)] == kept and all(json.loads(line) for line in lines), "append-only, nothing torn"

        recorded = _recorded(run_dir)
        before = len(server.requests)
        final = _harness("resume", "crash", "--progress", "quiet", cwd=tmp_path)
        out, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
        made = [_signature(r.model, r.messages) for r in server.requests[before:]]
    assert made, "the missing calls were made"
    assert len(made) == len(set(made)) and set(made) == _recorded(run_dir) - recorded, "only the missing calls"
    assert len(_recorded(run_dir)) == 2 * 3 + 2 * 3 * 2  # every answer and every judgment
    assert _results(run_dir) == _results(tmp_path / "base")


# --- 4. replay --out and demo --out -----------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.docker  # the demo's build task runs its hidden tests again
def test_replay_out_and_demo_out_share_one_layout(tmp_path: Path) -> None:
    replay = WIDE.invoke(app, ["replay", str(DEMO_RUN), "--out", str(tmp_path / "replayed"), "--progress", "quiet"])
    assert replay.exit_code == 0, replay.output
    demo = WIDE.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert demo.exit_code == 0, demo.output
    assert sorted(p.name for p in (tmp_path / "replayed").iterdir()) == ["results"]
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["report.html", "results"]
    replayed = _tree(tmp_path / "replayed" / "results")
    assert replayed == _tree(tmp_path / "demo" / "results") == _tree(DEMO_RUN / "results")
    assert f"report: {tmp_path / 'demo' / 'report.html'}" in demo.output

    # Without --out the replay goes to RUN_DIR/replay/, laid out the same way.
    run_dir = tmp_path / "run"
    shutil.copytree(DEMO_RUN, run_dir)
    default = WIDE.invoke(app, ["replay", str(run_dir), "--progress", "quiet"])
    assert default.exit_code == 0, default.output
    assert _tree(run_dir / "replay" / "results") == replayed
    report = WIDE.invoke(app, ["report", str(run_dir), "--results", str(run_dir / "replay" / "results"), "--out", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "r.html").read_bytes() == (tmp_path / "demo" / "report.html").read_bytes()


# --- 5. every command is in the README's command table ----------------------------------------


def test_every_command_is_in_the_readme_command_table() -> None:
    rows = [line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `harness ")]
    first_cells = " ".join(row.split(" | ")[0] for row in rows)
    leaves = [path for path, command in _commands() if path and not getattr(command, "commands", None)]
    assert ("sandbox", "sweep") in leaves
    missing = [" ".join(path) for path in leaves if not re.search(rf"`harness {re.escape(' '.join(path))}(?=[ `])", first_cells)]
    assert missing == []
    [sweep] = [row for row in rows if row.startswith("| `harness sandbox sweep`")]
    assert "no longer run" in sweep and "networks" in sweep


@pytest.mark.docker
def test_sandbox_sweep_removes_what_dead_processes_left_and_names_it() -> None:
    import docker

    from harness.sandbox import LABEL_PID, resolve_image
    from harness.sandbox._sweep import owner_labels

    client = docker.from_env()
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead = {**owner_labels("polish-stale"), LABEL_PID: str(finished.pid)}
    image = resolve_image(client)
    stale = client.containers.create(image, ["sleep", "60"], labels=dead)
    alive = client.containers.create(image, ["sleep", "60"], labels=owner_labels("polish-alive"))
    network = client.networks.create(f"polish-stale-{finished.pid}", labels=dead, internal=True)
    try:
        result = WIDE.invoke(app, ["sandbox", "sweep"])
        assert result.exit_code == 0, result.output
        assert f"removed container {stale.id[:12]}" in result.output
        assert f"removed network {network.id[:12]}" in result.output
        assert alive.id[:12] not in result.output
        assert re.search(r"removed \d+ stale sandbox container\(s\) and \d+ network\(s\)", result.output)
        remaining = {c.id for c in client.containers.list(all=True, filters={"label": LABEL_PID})}
        assert stale.id not in remaining and alive.id in remaining
    finally:
        for leftover in (stale, alive):
            try:
                leftover.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        try:
            network.remove()
        except docker.errors.NotFound:
            pass


# --- 6. task check on a scaffold --------------------------------------------------------------


@pytest.mark.docker
def test_task_check_warns_on_scaffold_placeholders_naming_each_file(tmp_path: Path) -> None:
    assert WIDE.invoke(app, ["task", "new", "build-answer", "--kind", "build", "--dir", str(tmp_path)]).exit_code == 0
    folder = tmp_path / "build-answer"
    fresh = WIDE.invoke(app, ["task", "check", str(folder)])
    assert fresh.exit_code == 0, fresh.output
    assert "ok: build-answer" in fresh.stdout and "warning" not in fresh.stdout
    warned = fresh.stderr.splitlines()
    assert warned[0].startswith(f"warning: 4 files of {folder} still hold the scaffold's placeholder text")
    named = {line.strip().split(":")[0] for line in warned[1:]}
    assert named == {"SPEC.md", "JUDGE_RUBRIC.md", "tests/test_answer.py", "reference/answer.py"}
    assert "  reference/answer.py: line 5" in warned

    # Filled in (every scaffold TODO line gone); a TODO of the author's own is no placeholder.
    for relative in named:
        path = folder / relative
        path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if "TODO" not in line))
    reference = folder / "reference" / "answer.py"
    reference.write_text(reference.read_text() + "\n# TODO: accept a base other than ten\n")
    filled = WIDE.invoke(app, ["task", "check", str(folder)])
    assert filled.exit_code == 0, filled.output
    assert filled.stderr == "" and "ok: build-answer" in filled.stdout
