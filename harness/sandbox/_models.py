"""Data crossing the sandbox interface: limits in, test results out."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SandboxLimits", "TestCaseResult", "TestRunResult", "PUBLIC_RESULT_FIELDS", "Integrity", "TestOutcomeKind"]

PUBLIC_RESULT_FIELDS = (
    "tests",
    "passed",
    "failed",
    "skipped",
    "errors",
    "total",
    "exit_code",
    "timed_out",
    "duration_s",
    "isolation",
    "integrity",
    "integrity_notes",
    "output_tail",
)
"""Fields of `TestRunResult` printed by `harness sandbox test --json`, in this order."""


class SandboxLimits(BaseModel):
    """Resource limits of one sandboxed run. The wall-clock limit comes from the task."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    memory_mb: int = Field(default=512, gt=0)
    """Memory of the container (swap is set equal, so no swap at all)."""
    cpus: float = Field(default=1.0, gt=0)
    """CPU cores the container may use."""
    pids: int = Field(default=128, gt=8)
    """Maximum number of processes and threads in the container."""
    work_dir_mb: int = Field(default=64, gt=0)
    """Size of the writable work dir (/work), a tmpfs."""
    tmp_mb: int = Field(default=32, gt=0)
    """Size of /tmp (and of /dev/shm), tmpfs."""
    output_tail_bytes: int = Field(default=64 * 1024, gt=0)
    """Only the last this-many bytes of the combined stdout and stderr are kept."""
    kill_grace_s: float = Field(default=2.0, ge=0)
    """After the wall-clock limit, SIGINT; after this many more seconds, SIGKILL."""
    host_grace_s: float = Field(default=10.0, gt=0)
    """The host kills the container if the run outlives limit + kill grace + this."""
    max_report_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    """A report larger than this is an error of the run (never a score)."""


Integrity = Literal["ok", "suspicious", "tampered", "error"]
"""`ok`: nothing seen. `suspicious`: the submission tried something that could not reach the score
(recorded, score kept). `tampered`: evidence of an attempt on the score: counted as 0 tests passed.
`error`: the report cannot be trusted or used: counted as 0 tests passed, with the reason."""

TestOutcomeKind = Literal["passed", "failed", "error", "skipped", "missing"]
"""How one expected hidden test ended; only `passed` counts. `error`: failed outside the test body
(setup, teardown, collection); `missing`: never reported (not collected, deselected, not reached)."""


class TestCaseResult(BaseModel):
    """One hidden test: `name` is its pytest node id without the `_eval_tests/` prefix."""

    __test__ = False  # not a pytest test class, despite the name
    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    outcome: TestOutcomeKind = "passed"
    """How the test ended (see `TestOutcomeKind`)."""
    reason: str | None = None
    """Why it did not pass, in a few words, when known."""


class TestRunResult(BaseModel):
    """What one run of a task's hidden tests against one submission produced.

    `infra_error` is set when the sandbox itself failed (daemon, image, Docker
    API) after retries: such a result says nothing about the submission and
    must never be scored as a test failure.
    """

    __test__ = False
    model_config = ConfigDict(frozen=True)

    tests: list[TestCaseResult] = Field(default_factory=list)
    """Per-test outcomes from the runner's report, sorted by name."""
    passed: int = 0
    failed: int = 0
    """Expected tests whose body failed."""
    skipped: int = 0
    """Expected tests that were skipped or xfailed (not a pass)."""
    errors: int = 0
    """Expected tests that errored in setup or teardown, or were never reported."""
    total: int = 0
    """Number of expected hidden tests (from the trusted collection)."""
    exit_code: int | None = None
    """Exit code of the test invocation; None when it never finished (killed from the host)."""
    timed_out: bool = False
    duration_s: float = 0.0
    """Wall-clock time of the test invocation inside the container."""
    output_tail: str = ""
    """The last bytes of combined stdout and stderr (see `SandboxLimits.output_tail_bytes`)."""
    infra_error: str | None = None
    isolation: str = "process"
    """How the submission ran: `process` (its own process and uid) or `inprocess` (inside pytest)."""
    integrity: Integrity = "ok"
    """Whether the result can be trusted (see `Integrity`); not `ok` means see `integrity_notes`."""
    integrity_notes: list[str] = Field(default_factory=list)
    """The evidence and reasons behind `integrity`, and files of the submission that were ignored."""

    @classmethod
    def from_tests(cls, tests: list[TestCaseResult], **fields: Any) -> TestRunResult:
        """A result whose counts are taken from `tests`."""
        ordered = sorted(tests, key=lambda t: t.name)
        return cls(
            tests=ordered,
            passed=sum(t.passed for t in ordered),
            failed=sum(t.outcome == "failed" for t in ordered),
            skipped=sum(t.outcome == "skipped" for t in ordered),
            errors=sum(t.outcome in ("error", "missing") for t in ordered),
            total=len(ordered),
            **fields,
        )

    @classmethod
    def from_infra_error(cls, message: str) -> TestRunResult:
        """A result recording that the sandbox failed, not the submission."""
        return cls(infra_error=message)

    @property
    def all_passed(self) -> bool:
        """True when the run finished cleanly and every reported test passed."""
        return (
            self.infra_error is None
            and self.integrity in ("ok", "suspicious")
            and not self.timed_out
            and self.exit_code == 0
            and self.total > 0
            and self.passed == self.total
        )

    def public_dict(self) -> dict[str, Any]:
        """The fields of `harness sandbox test --json`, without `infra_error`."""
        return self.model_dump(include=set(PUBLIC_RESULT_FIELDS))

    def public_json(self, indent: int | None = 2) -> str:
        """`public_dict` as JSON text, fields in the documented order."""
        data = self.public_dict()
        return json.dumps({key: data[key] for key in PUBLIC_RESULT_FIELDS}, indent=indent, ensure_ascii=False)
