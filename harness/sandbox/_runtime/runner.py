"""The test runner inside the sandbox: pytest with the harness's own config and report plugin.

Runs under the runner uid, started by PID 1 (`supervisor.py`) as
`python3 -I -B runner.py CONFIG`. It reads a per-run key from stdin before
anything of the submission's can run, and signs every report record with it,
so records the submission writes into the channel are recognised as forged.
"""

import hashlib
import hmac
import json
import os
import sys

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, RUNTIME_DIR)


def _make_channel(fd, key):
    sequence = [0]
    write = os.write
    new = hmac.new
    dumps = json.dumps

    def emit(record):
        sequence[0] += 1
        body = dumps({"seq": sequence[0], **record}, separators=(",", ":"))
        mac = new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        write(fd, f"{mac} {body}\n".encode("utf-8"))

    return emit


def _text(report, limit=2000):
    try:
        text = str(report.longrepr) if report.longrepr is not None else ""
    except Exception:  # noqa: BLE001
        text = "(unprintable)"
    return text if len(text) <= limit else text[: limit // 2] + "\n...\n" + text[-limit // 2 :]


# Module globals pytest itself sets and resets around every test.
_VOLATILE = frozenset({"_reprcompare", "_assertion_pass", "_config", "__warningregistry__"})


def _snapshot(prefixes):
    state = {}
    for name, module in list(sys.modules.items()):
        if module is not None and name.split(".")[0] in prefixes:
            state[name] = {k: id(v) for k, v in list(vars(module).items()) if k not in _VOLATILE}
    return state


class ReportPlugin:
    """Streams collection and per-phase outcomes to PID 1 as they happen."""

    def __init__(self, emit, guard_modules):
        self.emit = emit
        self.guard = guard_modules
        self.baseline = None

    def _check_guarded(self, when):
        if self.baseline is None:
            return
        changed = []
        now = _snapshot(self.guard)
        for name, attrs in self.baseline.items():
            current = now.get(name)
            if current is None:
                changed.append(f"{name} (removed)")
                continue
            changed += [f"{name}.{k}" for k, v in attrs.items() if current.get(k) != v]
        if changed:
            self.emit({"k": "changed", "when": when, "names": sorted(changed)[:20]})
            self.baseline = now

    def pytest_collection_finish(self, session):
        self.emit({"k": "collected", "ids": [item.nodeid for item in session.items]})
        if self.guard:
            self.baseline = _snapshot(self.guard)

    def pytest_collectreport(self, report):
        if report.failed:
            self.emit({"k": "collect_error", "id": report.nodeid, "text": _text(report)})

    def pytest_runtest_logreport(self, report):
        outcome = report.outcome
        if outcome == "skipped" and hasattr(report, "wasxfail"):
            outcome = "xfail"
        self.emit({"k": "phase", "id": report.nodeid, "when": report.when, "outcome": outcome, "text": _text(report)})
        if report.when == "teardown":
            self._check_guarded(report.nodeid)

    def pytest_sessionfinish(self, session, exitstatus):
        self._check_guarded("session end")
        self.emit({"k": "finish", "exit": int(exitstatus)})


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    key = bytes.fromhex(sys.stdin.readline().strip())
    sys.stdin.close()
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")  # under memory pressure the tests die, never PID 1
    except OSError:
        pass
    sys.dont_write_bytecode = True
    emit = _make_channel(config["report_fd"], key)
    del key
    guard = ()
    if config["isolation"] == "process":
        import socket

        import proxy

        proxy.install(socket.socket(fileno=config["subject_fd"]), config["modules"])
    else:
        import audit

        protected = [config["tests_dir"], RUNTIME_DIR]
        audit.install(config["evidence_fd"], config["work_dir"], protected, {config["report_fd"], config["evidence_fd"]})
        guard = ("pytest", "_pytest", "pluggy", "builtins", "proxy", "audit")
    sys.path.remove(RUNTIME_DIR)
    emit({"k": "start"})
    import pytest

    plugin = ReportPlugin(emit, guard)
    code = pytest.main(config["pytest_args"], plugins=[plugin])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


if __name__ == "__main__":
    main()
