"""Archive benchmark (run by hand): import every raw Multivac round and replay them all, each in one process.

    python benchmarks/replay_archive.py [--repeat 3]

Runs `harness import multivac RAW... --out DIR` and then `harness replay DIR/* --out OUT` as two subprocesses
(the way a user runs them: one process start each), and prints the wall time of each step and of both together,
with the median over the runs. Target: <= 60 s in all for the 286 rounds of ../shared/data/multivac-all/.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sandbox import background_load  # noqa: E402

ROUNDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "multivac-all"


def _timed(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(["harness", *args, "--progress", "quiet"] if args[0] == "replay" else ["harness", *args],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"harness {args[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not ROUNDS.is_dir():
        sys.exit(f"{ROUNDS}: not present")
    raw = sorted(str(p) for p in ROUNDS.glob("EVAL-*.json") if not p.name.endswith(".model_metadata.json"))
    print(f"{len(raw)} raw rounds; background load {background_load():.2f} cores")
    totals = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            imported, replayed = Path(scratch) / "imported", Path(scratch) / "replayed"
            import_s = _timed(["import", "multivac", *raw, "--out", str(imported)])
            folders = sorted(str(p) for p in imported.iterdir() if p.is_dir())
            replay_s = _timed(["replay", *folders, "--out", str(replayed)])
            written = sum(1 for _ in replayed.rglob("*.json"))
        totals.append(import_s + replay_s)
        print(f"run {run + 1}: import {import_s:.1f} s, replay {replay_s:.1f} s ({len(folders)} folders, {written} files), total {totals[-1]:.1f} s")
    print(f"median total {statistics.median(totals):.1f} s over {len(totals)} runs (target 60 s); background load {background_load():.2f} cores")


if __name__ == "__main__":
    main()
