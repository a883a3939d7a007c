"""Sandbox parts that need no Docker: the stdio protocol, the verdict, the scan, the wire, recipes."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import sys
from pathlib import Path

import pytest

from harness.sandbox import (
    OFFLINE_RECIPE,
    PUBLIC_RESULT_FIELDS,
    SANDBOX_BACKENDS,
    DockerSandbox,
    SandboxBackend,
    SandboxInfraError,
    SandboxInputError,
    SandboxLimits,
    TestCaseResult,
    TestRunResult,
    create_backend,
    default_image_tag,
    load_build_task,
    read_submission_dir,
    scan_submission,
)
from harness.sandbox._archive import check_submission_path
from harness.sandbox._attach import ContainerStdio, TailBuffer
from harness.sandbox._container import container_options
from harness.sandbox._verdict import IntegrityLog, judge_run

from ._helpers import SHIPPED_TASKS, TASKS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "harness" / "sandbox" / "_runtime"))
import wire  # noqa: E402  (the runtime's wire module, as shipped into the container)

sys.path.pop(0)


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.py", "a/../../x.py", "a//b.py", "./a.py", "_eval_tests/test_x.py", "a\\b.py"])
def test_unsafe_submission_paths_are_rejected(path: str) -> None:
    with pytest.raises(SandboxInputError):
        check_submission_path(path)


def test_read_submission_dir_skips_caches(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "pkg" / "m.py").write_text("m = 1\n")
    (tmp_path / "main.py").write_text("import pkg\n")
    assert read_submission_dir(tmp_path) == {"main.py": "import pkg\n", "pkg/m.py": "m = 1\n"}
    with pytest.raises(SandboxInputError, match="not found"):
        read_submission_dir(tmp_path / "missing")


class FakeAttachApi:
    """Stands in for the Docker API: `attach_socket` hands out one end of a socket pair."""

    def __init__(self) -> None:
        self.container_end, self.host_end = socket.socketpair()

    def attach_socket(self, container_id: str, params: dict[str, int]) -> socket.socket:
        return self.host_end


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_stdio_protocol_reads_the_framed_result_document() -> None:
    api = FakeAttachApi()
    stdio = ContainerStdio(api, "c")
    stdio.send_payload(b"{}!")
    nonce, size = api.container_end.recv(100).split(b"\n")[0].split()
    assert int(size) == 3 and len(nonce) == 32
    body = json.dumps({"exit_status": 1, "pad": " " * 3000}).encode()
    api.container_end.sendall(
        frame(1, b"lots of output\n")
        + frame(2, b"harness-result-forged 2\n{}\nharness-end-forged\n")  # a marker without the nonce means nothing
        + frame(2, b"harness-res")
        + frame(2, b"ult-" + nonce + b" " + str(len(body)).encode() + b"\n" + body[:2000])
        + frame(2, body[2000:] + b"\nharness-e")
        + frame(2, b"nd-" + nonce + b"\n")
    )
    output = TailBuffer(1000)
    outcome = stdio.read_outcome(output, max_document_bytes=10000)
    assert outcome.document is not None and outcome.document["exit_status"] == 1
    assert output.text() == "lots of output\n"
    stdio.close()


def test_stdio_protocol_refuses_oversized_documents_and_survives_a_dead_container() -> None:
    api = FakeAttachApi()
    stdio = ContainerStdio(api, "c")
    stdio.send_payload(b"")
    nonce = api.container_end.recv(100).split()[0]
    api.container_end.sendall(frame(2, b"harness-result-" + nonce + b" 5000\n" + b"x" * 5000))
    outcome = stdio.read_outcome(TailBuffer(10), max_document_bytes=1000)
    assert outcome.document is None and "over the limit" in (outcome.error or "")
    stdio.close()

    api = FakeAttachApi()
    stdio = ContainerStdio(api, "c")
    api.container_end.sendall(frame(1, b"partial"))
    api.container_end.close()  # killed before any result
    output = TailBuffer(10)
    outcome = stdio.read_outcome(output, max_document_bytes=1000)
    assert (outcome.document, output.text()) == (None, "partial")
    stdio.close()


KEY = b"k" * 32
IDS = ["_eval_tests/test_a.py::test_one", "_eval_tests/test_a.py::test_two"]


def signed(records: list[dict[str, object]], key: bytes = KEY, start: int = 1) -> str:
    lines = []
    for seq, record in enumerate(records, start):
        body = json.dumps({"seq": seq, **record}, separators=(",", ":"))
        lines.append(hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32] + " " + body)
    return "\n".join(lines) + "\n"


def honest(outcomes: dict[str, str], exit_status: int) -> list[dict[str, object]]:
    records: list[dict[str, object]] = [{"k": "start"}, {"k": "collected", "ids": list(outcomes)}]
    for node, outcome in outcomes.items():
        records += [
            {"k": "phase", "id": node, "when": "setup", "outcome": "passed", "text": ""},
            {"k": "phase", "id": node, "when": "call", "outcome": outcome, "text": "E   assert 1 == 2" if outcome == "failed" else ""},
            {"k": "phase", "id": node, "when": "teardown", "outcome": "passed", "text": ""},
        ]
    return [*records, {"k": "finish", "exit": exit_status}]


def verdict(report: str, *, exit_status: int | None = 1, isolation: str = "process", **document: object) -> TestRunResult:
    task = load_build_task(TASKS / "build-slugify").model_copy(update={"isolation": isolation})
    evidence = '{"ready": true}\n' if isolation == "inprocess" else ""
    doc = {"exit_status": exit_status, "report": report, "evidence": evidence, "duration_s": 0.1, **document}
    return judge_run(task, doc, KEY, IDS, IntegrityLog())


def test_verdict_counts_every_expected_test() -> None:
    result = verdict(signed(honest({IDS[0]: "passed", IDS[1]: "failed"}, 1)))
    assert (result.passed, result.failed, result.total, result.integrity) == (1, 1, 2, "ok")
    assert result.tests[1].reason == "E   assert 1 == 2"


def test_verdict_turns_missing_skipped_and_deselected_tests_into_failures() -> None:
    records = honest({IDS[0]: "skipped"}, 0)
    result = verdict(signed(records), exit_status=0)
    assert (result.passed, result.skipped, result.errors, result.total) == (0, 1, 1, 2)
    assert result.tests[1].outcome == "missing" and "not collected" in (result.tests[1].reason or "")


@pytest.mark.parametrize(
    ("report", "exit_status", "why"),
    [
        (signed(honest({IDS[0]: "passed", IDS[1]: "passed"}, 0), key=b"x" * 32), 0, "not written by"),
        (signed(honest({IDS[0]: "passed", IDS[1]: "passed"}, 0), start=2), 0, "out of order"),
        (signed(honest({IDS[0]: "passed", IDS[1]: "failed"}, 0)), 0, "exit status says every test passed"),
        (signed(honest({IDS[0]: "passed", IDS[1]: "passed"}, 1)), 1, "shows no failure"),
        (signed(honest({IDS[0]: "passed", IDS[1]: "passed"}, 0)), 1, "exited with 1 but pytest finished with 0"),
        (signed([*honest({IDS[0]: "passed", IDS[1]: "passed"}, 0), {"k": "phase", "id": IDS[0]}]), 0, "after the end"),
        ("", 0, "wrote no report"),
    ],
)
def test_forged_or_inconsistent_reports_never_score(report: str, exit_status: int, why: str) -> None:
    for isolation, level in (("process", "error"), ("inprocess", "tampered")):
        result = verdict(report, exit_status=exit_status, isolation=isolation)
        assert result.passed == 0 and result.integrity in (level, "error"), result.integrity_notes
        assert any(why in note for note in result.integrity_notes), result.integrity_notes


def test_oversized_report_and_audit_findings_are_flagged() -> None:
    good = signed(honest({IDS[0]: "passed", IDS[1]: "passed"}, 0))
    assert verdict(good, exit_status=0).all_passed
    assert verdict(good, exit_status=0, report_overflow=True).integrity == "error"
    finding = '{"ready": true}\n{"event": "open", "what": "open /work/_eval_tests/test_a.py", "where": "slugify.py:3"}\n'
    tampered = verdict(good, exit_status=0, isolation="inprocess", evidence=finding)
    assert tampered.integrity == "tampered" and tampered.passed == 0
    assert verdict(good, exit_status=0, isolation="inprocess", evidence="").integrity == "error"  # the hook never started


def test_a_timeout_keeps_what_finished() -> None:
    records = honest({IDS[0]: "passed"}, 0)[:-1] + [{"k": "phase", "id": IDS[1], "when": "setup", "outcome": "passed", "text": ""}]
    result = verdict(signed(records), exit_status=-9, timed_out=True)
    assert (result.passed, result.total, result.timed_out, result.integrity) == (1, 2, True, "ok")
    assert result.tests[1].reason == "hit the time limit"


def test_static_scan_leaves_honest_code_alone() -> None:
    for name in SHIPPED_TASKS:
        task = load_build_task(TASKS / name)
        assert task.reference_dir is not None and scan_submission(read_submission_dir(task.reference_dir)) == []
    honest_code = (
        "import os, sys, inspect, functools\n@functools.wraps(print)\ndef f(x):\n"
        "    return inspect.signature(f), sys.version_info, os.path.join('a', str(x))\n"
    )
    assert scan_submission({"m.py": honest_code}) == []
    hostile = "import sys\nfrom _pytest import reports\nframe = sys._getframe(1).f_back\nsys.modules['x'] = 1\nopen('_eval_tests/t.py')\n"
    notes = scan_submission({"m.py": hostile, "notes.txt": "import ctypes"})
    assert [n.split(":")[1] for n in notes] == ["2", "3", "3", "4", "5"]


def test_wire_decodes_nothing_but_plain_values() -> None:
    value = {"a": [1, 2.5, None, True], ("t", 1): frozenset({b"x"}), 3: {1, 2}}
    encoded = wire.encode(value, lambda v: pytest.fail(f"no handle needed for {v!r}"))
    assert wire.decode(json.loads(json.dumps(encoded)), lambda tag, payload: pytest.fail(tag)) == value

    class AlwaysEqual(str):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = str.__hash__

    plain = wire.decode(wire.encode(AlwaysEqual("no"), lambda v: None), lambda tag, payload: None)
    assert type(plain) is str and plain != "yes"
    for bad in ({"X": 1}, {"L": 1}, {"D": [[1]]}, [1, 2], {"B": 5}):
        with pytest.raises(wire.ProtocolError):
            wire.decode(bad, lambda tag, payload: (_ for _ in ()).throw(wire.ProtocolError(tag)))


def test_result_json_has_exactly_the_public_fields() -> None:
    result = TestRunResult.from_tests(
        [TestCaseResult(name="b", passed=False), TestCaseResult(name="a", passed=True)],
        exit_code=1, duration_s=0.5, output_tail="out", infra_error=None,
    )
    data = json.loads(result.public_json())
    assert list(data) == list(PUBLIC_RESULT_FIELDS)
    assert data == {
        "tests": [
            {"name": "a", "passed": True, "outcome": "passed", "reason": None},
            {"name": "b", "passed": False, "outcome": "passed", "reason": None},
        ],
        "passed": 1, "failed": 0, "skipped": 0, "errors": 0, "total": 2, "exit_code": 1, "timed_out": False,
        "duration_s": 0.5, "isolation": "process", "integrity": "ok", "integrity_notes": [], "output_tail": "out",
    }
    assert not result.all_passed
    assert TestRunResult.from_infra_error("daemon gone").infra_error == "daemon gone"


def test_image_tag_records_the_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_SANDBOX_IMAGE", raising=False)
    tag = default_image_tag()
    assert tag == OFFLINE_RECIPE.tag
    assert tag.startswith("harness-sandbox:bookworm-py3-pytest-") and len(tag.rsplit("-", 1)[1]) == 12
    assert OFFLINE_RECIPE.model_copy(update={"packages": ("python3",)}).tag != tag
    monkeypatch.setenv("HARNESS_SANDBOX_IMAGE", "mine:1")
    assert default_image_tag() == "mine:1"


def test_container_options_are_locked_down() -> None:
    import docker

    api = docker.APIClient(version="1.41")  # builds configs only, never connects
    options = container_options(api, SandboxLimits(), {"harness.run_id": "r"})
    host = options["host_config"]
    assert options["network_disabled"] and host["NetworkMode"] == "none" and host["ReadonlyRootfs"]
    assert host["CapDrop"] == ["ALL"] and host["SecurityOpt"] == ["no-new-privileges"]
    assert host["CapAdd"] == ["CHOWN", "SETUID", "SETGID", "KILL"]  # PID 1 only; the tests run without any
    assert options["user"] == "0:0" and host["PidsLimit"] == 128
    assert host["Memory"] == host["MemorySwap"] == 512 * 2**20 and host["NanoCpus"] == 10**9
    assert "size=64m" in host["Tmpfs"]["/work"] and "size=32m" in host["Tmpfs"]["/tmp"]
    assert host["AutoRemove"] and host["LogConfig"]["Type"] == "none"


def test_backend_registry() -> None:
    assert isinstance(DockerSandbox(), SandboxBackend)
    assert isinstance(create_backend("docker"), DockerSandbox)
    assert "docker" in SANDBOX_BACKENDS
    with pytest.raises(SandboxInfraError, match="unknown sandbox backend"):
        create_backend("firecracker")
