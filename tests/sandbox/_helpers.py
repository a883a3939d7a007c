"""Helpers shared by the sandbox tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.sandbox import LABEL_PID
from harness.sandbox._sweep import owner_is_alive
from harness.tasks import BuildTask

REPO = Path(__file__).resolve().parents[2]
TASKS = REPO / "tasks"
SHIPPED_TASKS = ["build-lru-cache", "build-slugify"]

ProbeTaskFactory = Callable[..., BuildTask]


def own_containers(client: Any) -> list[str]:
    """Ids of the sandbox containers owned by this test process."""
    summaries = client.api.containers(all=True, filters={"label": f"{LABEL_PID}={os.getpid()}"})
    return [summary["Id"] for summary in summaries]


def orphaned_containers(client: Any) -> list[str]:
    """Ids of sandbox containers whose owning process is gone (e.g. a finished CLI run)."""
    summaries = client.api.containers(all=True, filters={"label": LABEL_PID})
    return [summary["Id"] for summary in summaries if not owner_is_alive(summary.get("Labels") or {})]


def wait_for_no_own_containers(client: Any, within_s: float = 10.0) -> list[str]:
    deadline = time.monotonic() + within_s
    while (left := own_containers(client)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


class HostMonitor:
    """Samples, from a host thread, how late a 20 ms tick runs and how large this process's RSS is."""

    def __init__(self) -> None:
        self.max_tick_gap_s = 0.0
        self.max_rss_growth_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * self._page

    def _watch(self) -> None:
        baseline = self._rss()
        last = time.monotonic()
        while not self._stop.wait(0.02):
            now = time.monotonic()
            self.max_tick_gap_s = max(self.max_tick_gap_s, now - last)
            self.max_rss_growth_bytes = max(self.max_rss_growth_bytes, self._rss() - baseline)
            last = now

    def __enter__(self) -> HostMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
