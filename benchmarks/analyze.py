"""Analysis benchmark (run by hand): `harness analyze` of every raw Multivac round, wall time.

    python benchmarks/analyze.py [--bootstrap 200] [--repeat 3]

Target: <= 30 s for the 286 rounds of ../shared/data/multivac-all/ with --bootstrap 200. Prints each run's
wall time (in-process, the CLI's own code path) and the median, and the background load before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from harness.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sandbox import background_load  # noqa: E402

ROUNDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "multivac-all"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not ROUNDS.is_dir():
        sys.exit(f"{ROUNDS}: not present")
    print(f"{len(list(ROUNDS.glob('EVAL-*.json')))} rounds, --bootstrap {args.bootstrap}; background load {background_load():.2f} cores")
    times = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            result = CliRunner().invoke(app, ["analyze", str(ROUNDS), "--out", out, "--bootstrap", str(args.bootstrap), "--seed", str(run)])
            times.append(time.perf_counter() - started)
            assert result.exit_code == 0, result.output
        print(f"run {run + 1}: {times[-1]:.2f}s")
    median = statistics.median(times)
    print(f"median {median:.2f}s (target <= 30s: {'ok' if median <= 30 else 'MISSED'}); background load {background_load():.2f} cores")


if __name__ == "__main__":
    main()
