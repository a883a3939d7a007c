"""The trusted verdict: a run's result document, checked and turned into a `TestRunResult`.

Every expected hidden test must be accounted for by report records that carry
the run's key; anything else is evidence (`tampered`) or an unusable report
(`error`), never a score. See the README, "Integrity".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..tasks import BuildTask
from ._archive import HIDDEN_TESTS_DIR
from ._models import Integrity, TestCaseResult, TestOutcomeKind, TestRunResult

__all__ = ["Report", "read_report", "judge_run", "IntegrityLog"]

_PREFIX = f"{HIDDEN_TESTS_DIR}/"
_RANK: dict[Integrity, int] = {"ok": 0, "suspicious": 1, "error": 2, "tampered": 3}


@dataclass
class IntegrityLog:
    """The worst level seen so far and every note behind it."""

    level: Integrity = "ok"
    notes: list[str] = field(default_factory=list)

    def add(self, level: Integrity, note: str) -> None:
        if _RANK[level] > _RANK[self.level]:
            self.level = level
        self.notes.append(f"{level}: {note}" if level != "ok" else note)


@dataclass
class Report:
    """The records of one run's report channel that carry the run's key, in order."""

    records: list[dict[str, Any]]
    forged: int = 0
    out_of_order: int = 0


def read_report(text: str, key: bytes) -> Report:
    """Records whose MAC checks out and whose sequence numbers run 1, 2, 3, ...; the rest are counted."""
    report = Report(records=[])
    for line in text.splitlines():
        mac, _, body = line.partition(" ")
        expected = hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        if not body or not hmac.compare_digest(mac.encode(), expected.encode()):
            report.forged += 1
            continue
        record = json.loads(body)
        if record.get("seq") != len(report.records) + 1:
            report.out_of_order += 1
            continue
        report.records.append(record)
    return report


def _name(node_id: str) -> str:
    return node_id[len(_PREFIX) :] if node_id.startswith(_PREFIX) else node_id


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    pick = next((line for line in reversed(lines) if line.startswith("E ")), lines[-1] if lines else "")
    return pick[:200]


def _outcome(phases: dict[str, tuple[str, str]]) -> tuple[TestOutcomeKind, str | None]:
    setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
    if setup is not None and setup[0] == "failed":
        return "error", f"setup failed: {_first_line(setup[1])}"
    if setup is not None and setup[0] in ("skipped", "xfail"):
        return "skipped", f"skipped: {_first_line(setup[1])}"
    if call is None:
        return "missing", "did not finish"
    if call[0] == "failed":
        return "failed", _first_line(call[1]) or "failed"
    if call[0] in ("skipped", "xfail"):
        return "skipped", f"{call[0]}: {_first_line(call[1])}"
    if teardown is not None and teardown[0] == "failed":
        return "error", f"teardown failed: {_first_line(teardown[1])}"
    return "passed", None


def _evidence(document: dict[str, Any], isolation: str, log: IntegrityLog) -> None:
    lines = [line for line in str(document.get("evidence") or "").splitlines() if line.strip()]
    ready = False
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            log.add("tampered", "the audit channel holds text the audit hook did not write")
            continue
        if item == {"ready": True}:
            ready = True
        elif isinstance(item, dict):
            log.add("tampered", f"runtime: {item.get('what')} (at {item.get('where')})")
    if isolation == "inprocess" and not ready:
        log.add("error", "the audit hook did not report that it started")
    if document.get("evidence_closed_early"):
        log.add("tampered", "the audit channel was closed while the tests ran")
    if document.get("evidence_overflow"):
        log.add("tampered", "the audit channel was flooded")


def _check_really_ran(tests: list[TestCaseResult], timed_out: bool, log: IntegrityLog) -> None:
    """A suite that did not really run is not a score: no test at all, or every test skipped."""
    if timed_out:
        return
    if not tests:
        log.add("error", "no hidden test was collected: the suite did not run, so there is no score")
    elif all(t.outcome == "skipped" for t in tests):
        reason = next((t.reason for t in tests if t.reason), "")
        log.add(
            "error",
            f"all {len(tests)} hidden tests were skipped: the suite did not really run here, so there is no score"
            + (f" (first reason: {reason[:200]})" if reason else ""),
        )


def judge_run(
    task: BuildTask,
    document: dict[str, Any],
    key: bytes,
    expected_ids: list[str] | None,
    log: IntegrityLog,
) -> TestRunResult:
    """The result of a run from PID 1's document, the trusted expected test ids and what is known already."""
    isolation = task.isolation
    attack: Integrity = "tampered" if isolation == "inprocess" else "error"
    timed_out = bool(document.get("timed_out"))
    exit_status = document.get("exit_status")
    _evidence(document, isolation, log)
    if document.get("report_overflow"):
        log.add(attack, "the report is larger than the limit: not used")
    if document.get("report_closed_early"):
        log.add(attack, "the report channel was closed while the tests ran")
    report = read_report(str(document.get("report") or ""), key)
    if report.forged:
        log.add(attack, f"{report.forged} report line(s) not written by the harness's report plugin")
    if report.out_of_order:
        log.add(attack, f"{report.out_of_order} report line(s) replayed or out of order")
    collected: list[str] | None = None
    finish: int | None = None
    phases: dict[str, dict[str, tuple[str, str]]] = {}
    any_failed = False
    for record in report.records:
        kind = record.get("k")
        if finish is not None:
            log.add(attack, "report records after the end of the session")
            break
        if kind == "collected":
            collected = [str(i) for i in record.get("ids", [])]
        elif kind == "collect_error":
            any_failed = True
            log.notes.append(f"collection error in {record.get('id')}: {_first_line(record.get('text', ''))}")
        elif kind == "phase":
            node, when = str(record.get("id")), str(record.get("when"))
            if when in phases.setdefault(node, {}):
                log.add(attack, f"{_name(node)} {when} reported twice")
            phases[node][when] = (str(record.get("outcome")), str(record.get("text", "")))
            any_failed = any_failed or record.get("outcome") == "failed"
        elif kind == "changed":
            names = ", ".join(record.get("names", []))
            log.add("tampered", f"the test runner's modules were changed during {_name(str(record.get('when')))}: {names}")
        elif kind == "finish":
            finish = int(record.get("exit", -1))
    if expected_ids is None:
        expected_ids = collected or []
        log.notes.append("the expected tests come from this run's own collection (the task has no reference solution)")
    tests = _account(expected_ids, collected, phases, timed_out, log)
    _check_really_ran(tests, timed_out, log)
    if not report.records and not timed_out:
        log.add("error", f"the test process wrote no report (exit status {exit_status})")
    _check_exit(finish, exit_status, timed_out, any_failed, attack, log)
    if log.level in ("tampered", "error"):
        tests = [
            t if not t.passed else TestCaseResult(name=t.name, passed=False, outcome="error", reason=f"not counted: the run is {log.level}")
            for t in tests
        ]
    return TestRunResult.from_tests(
        tests,
        exit_code=exit_status,
        timed_out=timed_out,
        duration_s=float(document.get("duration_s") or 0.0),
        output_tail=str(document.get("output_tail") or ""),
        isolation=isolation,
        integrity=log.level,
        integrity_notes=log.notes,
    )


def _account(
    expected_ids: Iterable[str],
    collected: list[str] | None,
    phases: dict[str, dict[str, tuple[str, str]]],
    timed_out: bool,
    log: IntegrityLog,
) -> list[TestCaseResult]:
    expected = list(dict.fromkeys(expected_ids))
    tests = []
    for node in expected:
        if node in phases:
            outcome, reason = _outcome(phases[node])
            if outcome == "missing" and timed_out:
                reason = "hit the time limit"
        elif timed_out:
            outcome, reason = "missing", "not reached before the time limit"
        elif collected is not None and node not in collected:
            outcome, reason = "missing", "not collected (missing, renamed or deselected)"
        else:
            outcome, reason = "missing", "not reported (the test process ended early)"
        tests.append(TestCaseResult(name=_name(node), passed=outcome == "passed", outcome=outcome, reason=reason))
    extra = sorted(set(phases) - set(expected))
    if extra:
        shown = ", ".join(_name(n) for n in extra[:5]) + (f" (+{len(extra) - 5} more)" if len(extra) > 5 else "")
        log.notes.append(f"{len(extra)} test(s) not in the expected set were ignored: {shown}")
    return tests


def _check_exit(
    finish: int | None, exit_status: Any, timed_out: bool, any_failed: bool, attack: Integrity, log: IntegrityLog
) -> None:
    if timed_out:
        return
    if finish is None:
        if exit_status is not None:
            log.notes.append(f"the test process ended before pytest finished (exit status {exit_status})")
        return
    if exit_status != finish:
        log.add(attack, f"the test process exited with {exit_status} but pytest finished with {finish}")
    elif finish == 0 and any_failed:
        log.add(attack, "pytest's exit status says every test passed, the report says some failed")
    elif finish == 1 and not any_failed:
        log.add(attack, "pytest's exit status says tests failed, the report shows no failure")
