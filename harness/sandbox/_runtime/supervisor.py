"""PID 1 of a sandbox container: the trusted side inside it.

Runs as root with only CHOWN, SETUID, SETGID and KILL (no DAC override, no
ptrace). It lays out the work tree with owners and modes, starts the test
runner (and, for `isolation: process`, the submission's process) under
unprivileged uids, reads the report and audit channels, enforces the time
limit, kills every other process in the container before it looks at the
results, and sends one framed result document to the host on its own stderr,
which no other process in the container holds.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


class Reader(threading.Thread):
    """Drains one pipe: keeps the first `limit` bytes (or the last ones, with `tail`)."""

    def __init__(self, fd, limit, tail=False):
        super().__init__(daemon=True)
        self.fd, self.limit, self.tail = fd, limit, tail
        self.data = bytearray()
        self.overflow = False
        self.closed_at = None
        self.writer_pid = None
        self.closed_while_writer_ran = False

    def run(self):
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.closed_at = time.monotonic()
                self.closed_while_writer_ran = self.writer_pid is not None and not _exits_soon(self.writer_pid)
                os.close(self.fd)
                return
            if self.tail:
                self.data += chunk
                if len(self.data) > 2 * self.limit:
                    del self.data[: len(self.data) - self.limit]
            elif len(self.data) + len(chunk) <= self.limit:
                self.data += chunk
            else:
                self.overflow = True

    def text(self):
        data = self.data[-self.limit :] if self.tail else self.data
        return bytes(data).decode("utf-8", "replace")


def _exits_soon(pid, within_s=0.5):
    """Whether `pid` is (or within `within_s` becomes) a zombie: its exit is what closed the pipe."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def lay_out(payload):
    """Write every file, then set owners and modes leaves first (root has no DAC override)."""
    for path, mode, uid in payload["dirs"]:
        os.makedirs(path, exist_ok=True)
    for path, data, mode, uid in payload["files"]:
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))
        os.chmod(path, mode)
        os.chown(path, uid, uid)
    for path, mode, uid in sorted(payload["dirs"], key=lambda d: -d[0].count("/")):
        os.chmod(path, mode)
        os.chown(path, uid, uid)


def other_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != 1]


def kill_everything_else():
    """SIGKILL every process but this one, and reap them; returns how many were alive."""
    alive = len(other_pids())
    for _ in range(200):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not other_pids():
            break
        time.sleep(0.005)
    return alive


def start(argv, uid, cwd, stdin, output_fd, pass_fds):
    # Popen changes directory before it drops to `uid`: `cwd` must be open to root without DAC override.
    return subprocess.Popen(
        argv,
        user=uid,
        group=uid,
        extra_groups=[],
        umask=0o077,
        cwd=cwd,
        env=ENV,
        stdin=stdin,
        stdout=output_fd,
        stderr=output_fd,
        pass_fds=pass_fds,
        start_new_session=True,
        close_fds=True,
    )


def stop_when_the_host_is_gone():
    """The host holds the container's stdin open until it has removed the container; an end of stdin
    before then means the harness is gone (killed, crashed) and no one will read this run. Everything
    stops at once, so the container ends and removes itself instead of running out its time limit."""
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, ValueError):
        pass
    kill_everything_else()
    os._exit(0)


def main(nonce, payload):
    host_watch = threading.Thread(target=stop_when_the_host_is_gone, daemon=True)
    host_watch.start()
    lay_out(payload)
    config = payload["runner_config"]
    report_r, report_w = os.pipe()
    evidence_r, evidence_w = os.pipe()
    output_r, output_w = os.pipe()
    key_r, key_w = os.pipe()
    config["report_fd"], config["evidence_fd"] = report_w, evidence_w
    keep = [report_w, evidence_w]
    subject = None
    if config["isolation"] == "process":
        runner_end, subject_end = socket.socketpair()
        config["subject_fd"] = runner_end.fileno()
        keep.append(runner_end.fileno())
        subject = start(
            ["python3", "-I", "-B", payload["subject_script"], str(subject_end.fileno()), payload["subject_dir"]],
            payload["subject_uid"], payload["work_dir"], subprocess.DEVNULL, output_w, (subject_end.fileno(),),
        )
        subject_end.close()
    config_path = payload["runner_config_path"]
    with open(config_path, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    os.chmod(config_path, 0o644)
    started = time.monotonic()
    runner = start(
        ["python3", "-I", "-B", payload["runner_script"], config_path],
        payload["runner_uid"], payload["work_dir"], key_r, output_w, tuple(keep),
    )
    os.write(key_w, payload["key"].encode() + b"\n")
    for fd in (key_r, key_w, report_w, evidence_w, output_w):
        os.close(fd)
    if subject is not None:
        runner_end.close()
    readers = {
        "report": Reader(report_r, payload["max_report_bytes"]),
        "evidence": Reader(evidence_r, 2**20),
        "output": Reader(output_r, payload["tail_bytes"], tail=True),
    }
    for reader in readers.values():
        reader.writer_pid = runner.pid
        reader.start()
    timed_out = False
    try:
        runner.wait(timeout=payload["limit_s"])
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            runner.send_signal(signal.SIGINT)  # pytest reports what finished, then stops
            runner.wait(timeout=payload["kill_grace_s"])
        except (subprocess.TimeoutExpired, OSError):
            runner.kill()
            runner.wait()
    duration = time.monotonic() - started
    expected_alive = 1 if subject is not None and subject.poll() is None else 0
    stray = kill_everything_else() - expected_alive
    exit_status = runner.returncode if runner.returncode >= 0 else 128 - runner.returncode  # as a shell shows a signal
    for reader in readers.values():
        reader.join(timeout=2.0)
    result = {
        "exit_status": exit_status,
        "timed_out": timed_out,
        "duration_s": round(duration, 3),
        "report": readers["report"].text(),
        "report_overflow": readers["report"].overflow,
        "report_closed_early": readers["report"].closed_while_writer_ran,
        "evidence": readers["evidence"].text(),
        "evidence_overflow": readers["evidence"].overflow,
        "evidence_closed_early": readers["evidence"].closed_while_writer_ran,
        "stray_processes": max(stray, 0),
        "output_tail": readers["output"].text(),
    }
    body = json.dumps(result).encode("utf-8")
    out = os.fdopen(2, "wb", buffering=0)
    out.write(f"harness-result-{nonce} {len(body)}\n".encode() + body + f"\nharness-end-{nonce}\n".encode())
    host_watch.join()  # the host removes the container, or goes away: either ends this process
