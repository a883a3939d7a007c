"""The Ray backend on a real local Ray cluster: a head without Docker and node processes advertising `docker`.

The round is driven through the CLI against the fake OpenAI server; the sandbox runs are Ray tasks on
the `docker` node. The results must equal, byte for byte, a replay of the same run with the local
backend; killing the node mid-round must leave every run done once or made again, none lost.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import harness
from harness._errors import ConfigError
from harness.cli import app
from harness.sandbox import sweep_stale_containers
from harness.sandbox._ray_node import NodeSettings, node_prepare, sandbox_fingerprint
from harness.testing import FakeOpenAIServer

from ._round_fixtures import TEST_KEY_ENV, write_round
from .test_build_round import MODELS, make_responder

pytestmark = [pytest.mark.docker, pytest.mark.ray]

# Ray replaces 127.0.0.1 by the host's routable address; another loopback address it keeps as given,
# so every connection of the test cluster stays on loopback.
NODE_IP = "127.0.0.2"
RAY_LOG = "harness.sandbox.ray"
# Ray 2.60 turns token authentication on for a new cluster when ~/.ray/auth_token exists (a `ray.init()` of its
# own writes one). The test cluster is on loopback only: no token, said explicitly to every process of it.
AUTH = {"RAY_AUTH_MODE": "disabled"}
# Child processes (the Ray nodes' workers, `harness run`) import the harness this test imports.
HARNESS_PATH = {"PYTHONPATH": os.pathsep.join([str(Path(harness.__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _tool(name: str) -> str:
    """A console script of this Python's environment (`ray`, `harness`), whatever PATH says."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else name


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class LocalRayCluster:
    """`ray start --block` processes of this test: a head (`docker: 0`) and nodes advertising `docker: 1`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        with socket.socket() as probe:
            probe.bind((NODE_IP, 0))
            self.port = probe.getsockname()[1]
        self.address = f"{NODE_IP}:{self.port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # Ray's sockets live under its temp dir, and a socket path has at most 107 bytes: keep it short.
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
        self.env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **AUTH, **HARNESS_PATH}

    def _start(self, name: str, args: list[str]) -> None:
        log = (self.root / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [_tool("ray"), "start", "--block", "--node-ip-address", NODE_IP, "--num-cpus", "1", "--disable-usage-stats", *args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env,
        )
        # Connecting before the node is up blocks in Ray's GCS client: wait for `ray start` to say it is up.
        deadline = time.monotonic() + 90
        while "will now block" not in (self.root / f"{name}.log").read_text(errors="replace"):
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"ray start ({name}) failed: {(self.root / f'{name}.log').read_text()[-2000:]}")
            time.sleep(0.2)

    def start_head(self) -> float:
        started = time.monotonic()
        self._start("head", ["--head", "--port", str(self.port), "--temp-dir", str(self.temp_dir),
                             "--include-dashboard", "false", "--resources", json.dumps({"docker": 0})])
        self.wait_for_nodes(1, docker=0)
        return time.monotonic() - started

    def add_docker_node(self, name: str) -> float:
        started = time.monotonic()
        before = len(self.alive_docker_nodes())
        self._start(name, ["--address", self.address, "--resources", json.dumps({"docker": 1})])
        self.wait_for_nodes(None, docker=before + 1)
        return time.monotonic() - started

    def _nodes(self) -> list[dict[str, object]]:
        """Alive nodes, as this process (the round's driver too) sees them through Ray."""
        import ray

        if not ray.is_initialized():
            try:
                ray.init(address=self.address, logging_level="ERROR", log_to_driver=False, namespace="harness")
            except ConnectionError:
                return []
        return [n for n in ray.nodes() if n["Alive"]]

    def alive_docker_nodes(self) -> list[str]:
        if "head" not in self.procs:
            return []
        return [str(n["NodeID"]) for n in self._nodes() if dict(n["Resources"]).get("docker", 0) > 0]  # type: ignore[call-overload]

    def wait_for_nodes(self, total: int | None, docker: int, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            nodes = self._nodes()
            docker_nodes = [n for n in nodes if dict(n["Resources"]).get("docker", 0) > 0]  # type: ignore[call-overload]
            if (total is None or len(nodes) >= total) and len(docker_nodes) >= docker:
                return
            time.sleep(0.5)
        raise AssertionError(f"the Ray cluster did not reach {docker} docker node(s); see {self.root}/*.log")

    def kill_raylet(self, name: str) -> None:
        """SIGKILL the node's raylet: the node dies as on a crash (its workers go with it)."""
        raylets = [pid for pid in _children(self.procs[name].pid) if _name(pid) == "raylet"]
        assert raylets, f"no raylet under node {name}"
        for pid in raylets:
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop every node process this test started (by pid), the head last."""
        for name in sorted(self.procs, key=lambda n: n == "head"):
            proc = self.procs[name]
            descendants = _children(proc.pid)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # `ray start --block` stops what it started
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            for pid in descendants:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRayCluster]:
    import ray

    saved = {key: os.environ.get(key) for key in AUTH}
    os.environ.update(AUTH)  # this process is the round's driver
    cluster = LocalRayCluster(tmp_path_factory.mktemp("ray-cluster"))
    try:
        head_s = cluster.start_head()
        node_s = cluster.add_docker_node("node-a")
        print(f"[ray] head up in {head_s:.1f} s, docker node in {node_s:.1f} s")
        yield cluster
    finally:
        ray.shutdown()
        cluster.stop()
        import docker

        sweep_stale_containers(docker.from_env())
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Runs(logging.Handler):
    """The Ray backend's log: which run finished on which node, which were lost."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.done: list[tuple[str, str]] = []
        self.lost: list[str] = []
        self.first_done = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("sandbox run %s done on"):
            self.done.append((str(record.args[0]), str(record.args[1])))  # type: ignore[index]
            self.first_done.set()
        elif "was lost" in record.msg and record.msg.startswith("sandbox run"):
            self.lost.append(str(record.args[0]))  # type: ignore[index]


@pytest.fixture
def runs() -> Iterator[_Runs]:
    handler = _Runs()
    logger = logging.getLogger(RAY_LOG)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _slow_task(repo: Path, tasks: Path) -> str:
    """build-slugify with one more hidden test that takes 2 s: a run is surely in flight when the node dies."""
    shutil.copytree(repo / "tasks" / "build-slugify", tasks / "build-slugify")
    (tasks / "build-slugify" / "tests" / "test_zz_slow.py").write_text(
        "import time\n\n\ndef test_takes_a_while():\n    time.sleep(2)\n"
    )
    return "build-slugify"


def _round(tmp: Path, repo: Path, base_url: str, address: str, tasks_dir: Path | None = None) -> Path:
    return write_round(
        tmp / "round.yaml", base_url, MODELS, ["build-slugify"], repo,
        tasks_dir=str(tasks_dir or repo / "tasks"), samples=2, sandbox_parallel=2,
        sandbox={"backend": "ray", "address": address},
    )


def _replay_with_local_backend(run_dir: Path, tmp: Path) -> Path:
    """The same run replayed with the default backend (the local Docker pool): its results/ folder."""
    copy = tmp / "local" / run_dir.name
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("results", "replay"))
    config = yaml.safe_load((copy / "round.yaml").read_text())
    config.pop("sandbox")
    (copy / "round.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = CliRunner().invoke(app, ["replay", str(copy), "--out", str(tmp / "local-out"), "--progress", "quiet"])
    assert result.exit_code == 0, result.output
    return tmp / "local-out" / "results"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_round_on_ray_runs_on_the_docker_node_and_matches_the_local_backend(
    ray_cluster: LocalRayCluster, runs: _Runs, tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    [docker_node] = ray_cluster.alive_docker_nodes()
    with FakeOpenAIServer(make_responder(repo_dir)) as server:
        config = _round(tmp_path, repo_dir, server.base_url, ray_cluster.address)
        started = time.monotonic()
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--progress", "quiet"])
        print(f"[ray] build round on Ray: {time.monotonic() - started:.1f} s")
        assert result.exit_code == 0, result.output
    # alpha's and beta's two samples each were tested (gamma wrote no code), each once, all on the docker node.
    assert len(runs.done) == 4 and len({label for label, _ in runs.done}) == 4
    assert all(f"Ray node {docker_node[:12]}" in where for _, where in runs.done), runs.done
    assert runs.lost == []

    started = time.monotonic()
    local = _files(_replay_with_local_backend(tmp_path / "run", tmp_path))
    print(f"[ray] the same round replayed with the local backend: {time.monotonic() - started:.1f} s")
    on_ray = _files(tmp_path / "run" / "results")
    assert sorted(on_ray) == sorted(local) and "dataset.json" in on_ray
    for name in on_ray:
        assert on_ray[name] == local[name], f"results/{name} differs between the Ray and the local backend"


def _sample_tests(details: dict[str, object]) -> list[tuple[str, int, object]]:
    samples = details["samples"]
    assert isinstance(samples, list)
    return [(s["model_id"], s["sample"], {k: v for k, v in (s.get("tests") or {}).items() if k != "integrity_notes"}) for s in samples]


def test_killed_node_mid_round_every_run_done_or_made_again(
    ray_cluster: LocalRayCluster, runs: _Runs, tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test")
    [node_a] = ray_cluster.alive_docker_nodes()
    tasks = tmp_path / "tasks"
    _slow_task(repo_dir, tasks)
    failures: list[BaseException] = []

    def kill_then_replace() -> None:
        try:
            assert runs.first_done.wait(180), "no sandbox run finished"
            time.sleep(1.0)  # the next run is on the node by now (each takes > 2 s)
            ray_cluster.kill_raylet("node-a")
            ray_cluster.add_docker_node("node-b")
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    killer = threading.Thread(target=kill_then_replace, daemon=True)
    with FakeOpenAIServer(make_responder(repo_dir)) as server:
        config = _round(tmp_path, repo_dir, server.base_url, ray_cluster.address, tasks)
        killer.start()
        started = time.monotonic()
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--progress", "quiet"])
        print(f"[ray] build round with a node killed: {time.monotonic() - started:.1f} s, runs made again: {runs.lost}")
        killer.join(120)
    assert not failures, failures
    assert result.exit_code == 0, result.output

    # Every run finished exactly once; the lost ones were made again, on the new node.
    labels = [label for label, _ in runs.done]
    assert len(labels) == 4 and len(set(labels)) == 4, runs.done
    assert runs.lost, "killing the node lost no run in flight"
    assert set(runs.lost) <= set(labels)
    [node_b] = [n for n in ray_cluster.alive_docker_nodes() if n != node_a]
    for label, where in runs.done:
        if label in runs.lost:
            assert f"Ray node {node_b[:12]}" in where, (label, where)

    # Visible in the run's notes, and nothing counted twice: the same test results as a local replay.
    details = json.loads((tmp_path / "run" / "results" / "details" / "build-slugify.json").read_text())
    notes = [n for s in details["samples"] for n in (s.get("tests") or {}).get("integrity_notes", []) if n.startswith("sandbox: the run was lost")]
    assert len(notes) == len(set(runs.lost)), notes
    assert all(f"Ray node {node_a[:12]}" in n and "attempt 2 of at most 3" in n for n in notes), notes
    print(f"[ray] note: {notes[0]}")
    local = _replay_with_local_backend(tmp_path / "run", tmp_path)
    assert _sample_tests(details) == _sample_tests(json.loads((local / "details" / "build-slugify.json").read_text()))
    on_ray = json.loads((tmp_path / "run" / "results" / "dataset.json").read_text())
    replayed = json.loads((local / "dataset.json").read_text())
    assert on_ray["rounds"][0]["scoreboard"] == replayed["rounds"][0]["scoreboard"]


def test_a_node_without_the_named_image_refuses_naming_the_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """The node-side check, called directly (no cluster): an image asked for by name is never built."""
    monkeypatch.setenv("HARNESS_SANDBOX_IMAGE", "harness-sandbox:no-such-image")
    reply = node_prepare(NodeSettings(fingerprint=sandbox_fingerprint()))
    assert reply.error_kind == "infra" and reply.error is not None
    assert socket.gethostname() in reply.error and "harness-sandbox:no-such-image" in reply.error
    other = node_prepare(NodeSettings(fingerprint="another harness"))
    assert other.error_kind == "infra" and "another harness" in (other.error or "")


def test_address_local_starts_a_ray_for_the_round(tmp_path: Path, repo_dir: Path) -> None:
    """`address: local` from a fresh `harness run` process: a Ray of the round's own, stopped with it."""
    with FakeOpenAIServer(make_responder(repo_dir)) as server:
        config = _round(tmp_path, repo_dir, server.base_url, "local")
        env = {**os.environ, TEST_KEY_ENV: "sk-test", **AUTH, **HARNESS_PATH}
        done = subprocess.run(
            [sys.executable, "-c", "from harness.cli import main; main()", "run", str(config), "--out", str(tmp_path / "run"), "--progress", "quiet"],
            check=False, capture_output=True, text=True, timeout=300, env=env,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    dataset = json.loads((tmp_path / "run" / "results" / "dataset.json").read_text())
    tests = {row["impl"]: row["tests"] for row in dataset["rounds"][0]["scoreboard"]}
    total = tests["alpha"].split("/")[1]
    assert tests["alpha"] == f"{total}/{total}" and int(total) >= 5 and tests["beta"] != tests["alpha"]


@pytest.mark.parametrize(
    ("sandbox", "message"),
    [
        ({"backend": "docker", "address": "local"}, "only `backend: ray` takes an address"),
        ({"backend": "ray", "address": "somewhere"}, "expected auto, local, host:port or ray://host:port"),
    ],
)
def test_sandbox_address_is_checked_before_any_call(
    sandbox: dict[str, str], message: str, tmp_path: Path, repo_dir: Path
) -> None:
    config = write_round(tmp_path / "round.yaml", "http://127.0.0.1:9", MODELS, ["build-slugify"], repo_dir,
                         tasks_dir=str(repo_dir / "tasks"), sandbox=sandbox)
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "run"), "--dry-run"])
    assert isinstance(result.exception, ConfigError) and message in str(result.exception), result.output


def test_ray_is_imported_only_when_the_backend_runs() -> None:
    """`harness --help`, the plan and constructing the backend do not import Ray (seconds of start-up)."""
    code = (
        "import sys; from typer.testing import CliRunner; from harness.cli import app; "
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0; "
        "from harness.sandbox import SandboxBackend, create_backend; "
        "backend = create_backend('ray', address='auto'); assert isinstance(backend, SandboxBackend); "
        "print('ray' in sys.modules)"
    )
    env = {**os.environ, **HARNESS_PATH}
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.strip() == "False"


def test_calls_made_by_ray_actors_give_the_files_of_calls_in_the_loop(
    ray_cluster: LocalRayCluster, tmp_path: Path, repo_dir: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`calls: {backend: ray}`: the round's attempts are made by actors on the cluster's nodes."""
    from .test_call_workers import KEY, MODELS as QUESTION_MODELS, _records, _rerun_with_workers, honest_with_key
    from .test_retry_failed import _same_as_clean
    from ._round_fixtures import write_question_task

    monkeypatch.setenv(TEST_KEY_ENV, KEY)
    for index in range(3):
        write_question_task(tmp_path / "tasks", f"q{index}", f"R-{index:03d}", f"Question {index}: why actors?")
    caplog.set_level(logging.INFO, logger="harness.llm.ray")
    with FakeOpenAIServer(honest_with_key, latency_s=0.02) as server:
        config = write_round(
            tmp_path / "round.yaml", server.base_url, QUESTION_MODELS, ["q0", "q1", "q2"], repo_dir,
            calls={"workers": 2, "backend": "ray", "address": ray_cluster.address},
        )
        result = CliRunner().invoke(app, ["run", str(config), "--out", str(tmp_path / "on-ray"), "--progress", "quiet"])
        assert result.exit_code == 0, result.output
        _rerun_with_workers(tmp_path / "on-ray", tmp_path / "in-loop", 0, server.base_url)

    placed = [r for r in caplog.records if r.msg.startswith("call actor %d")]
    assert len(placed) == 2, [r.getMessage() for r in caplog.records]
    cluster_nodes = {str(n["NodeID"]) for n in ray_cluster._nodes()}
    # The cluster's `ray start` processes are this test's children, so Ray's workers descend from it too.
    cluster = {pid for proc in ray_cluster.procs.values() for pid in (proc.pid, *_children(proc.pid))}
    mine = set(_children(os.getpid())) - cluster
    for record in placed:
        node_id, pid = str(record.args[2]), int(record.args[3])  # type: ignore[index]
        assert node_id in cluster_nodes
        assert pid not in mine and pid != os.getpid()  # a process of the cluster, not of this driver
    records = _records(tmp_path / "on-ray")
    assert len(records) == 4 * 3 + 4 * 3 * 3 and all(r["error"] is None for r in records)
    _same_as_clean(tmp_path / "on-ray", tmp_path / "in-loop")
