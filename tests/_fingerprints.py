"""Fingerprints of every output the harness derives from recorded material, to prove a refactor changes no byte.

Three groups, as issue 10 lists them:

- `demo`: the demo round replayed (`harness replay rounds/demo/run`), every results file and the report;
- `seeds`: `harness rescore` of every published seed in `../shared/seeds/`;
- `multivac-all`: every raw round in `../shared/data/multivac-all/` imported (`harness import multivac`)
  and replayed (`harness replay`): one digest per round over its imported results and its replay.

    python -m tests._fingerprints --write     # record the current outputs in tests/fingerprints.json
    python -m tests._fingerprints             # compare with the recorded ones; exit 1 on any difference

`tests/test_outputs_unchanged.py` runs the comparison (the `../shared/` groups skip where it is absent).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from harness.cli import app

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MANIFEST = Path(__file__).resolve().parent / "fingerprints.json"
DEMO_RUN = REPO / "rounds" / "demo" / "run"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    if result.exit_code != 0:
        raise RuntimeError(f"harness {' '.join(args)} exited {result.exit_code}: {result.output[-2000:]}")


def demo_fingerprints(work: Path) -> dict[str, str]:
    out = work / "demo"
    _invoke("replay", str(DEMO_RUN), "--out", str(out), "--progress", "quiet")
    _invoke("report", str(DEMO_RUN), "--results", str(out / "results"), "--out", str(work / "demo-report.html"))
    return {**_tree(out / "results"), "report.html": _sha256(work / "demo-report.html")}


def seed_fingerprints(work: Path) -> dict[str, str]:
    found = {}
    for seed in sorted((SHARED / "seeds").glob("*.json")):
        out = work / "seeds" / seed.name
        _invoke("rescore", str(seed), "--out", str(out))
        found[seed.name] = _sha256(out)
    return found


def raw_round_paths() -> list[Path]:
    folder = SHARED / "data" / "multivac-all"
    return sorted(p for p in folder.glob("EVAL-*.json") if not p.name.endswith(".model_metadata.json"))


def multivac_fingerprint(raw: Path, work: Path) -> str:
    """One digest over a raw round's imported results and their replay."""
    runs = work / "runs"
    _invoke("import", "multivac", str(raw), "--out", str(runs))
    run_dir = runs / raw.stem
    replayed = work / "replayed" / raw.stem
    _invoke("replay", str(run_dir), "--out", str(replayed), "--progress", "quiet")
    listing = {f"results/{k}": v for k, v in _tree(run_dir / "results").items()}
    listing |= {f"replay/{k}": v for k, v in _tree(replayed / "results").items()}
    return hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()


def multivac_fingerprints(work: Path) -> dict[str, str]:
    return {raw.stem: multivac_fingerprint(raw, work) for raw in raw_round_paths()}


GROUPS: dict[str, Callable[[Path], dict[str, str]]] = {
    "demo": demo_fingerprints,
    "seeds": seed_fingerprints,
    "multivac-all": multivac_fingerprints,
}


def recorded() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


def differences(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    keys = sorted(set(expected) | set(got))
    return [f"{k}: expected {expected.get(k, 'nothing')[:12]}, got {got.get(k, 'nothing')[:12]}" for k in keys if expected.get(k) != got.get(k)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="record the current outputs")
    parser.add_argument("--group", choices=list(GROUPS), action="append", help="only these groups")
    args = parser.parse_args()
    groups = args.group or list(GROUPS)
    if not SHARED.is_dir():
        groups = [g for g in groups if g == "demo"]
        print("../shared is absent: only the demo group", file=sys.stderr)
    manifest = recorded() if MANIFEST.is_file() else {}
    failed = False
    for group in groups:
        with tempfile.TemporaryDirectory() as tmp:
            got = GROUPS[group](Path(tmp))
        if args.write:
            manifest[group] = got
            print(f"{group}: {len(got)} fingerprints recorded")
            continue
        diff = differences(manifest.get(group, {}), got)
        failed |= bool(diff)
        print(f"{group}: {len(got)} outputs, {len(diff)} differ")
        for line in diff[:50]:
            print(f"  {line}")
    if args.write:
        MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
