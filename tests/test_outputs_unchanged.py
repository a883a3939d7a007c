"""Every output derived from recorded material is byte-identical to the recorded fingerprints (tests/_fingerprints.py).

A change that alters an output byte fails here; a deliberate change re-records with
`python -m tests._fingerprints --write` and says why in its commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import _fingerprints as fp


@pytest.mark.docker  # the demo's build task runs its hidden tests again
def test_demo_replay_and_report_are_unchanged(tmp_path: Path) -> None:
    assert fp.differences(fp.recorded()["demo"], fp.demo_fingerprints(tmp_path)) == []


def test_every_seed_rescores_unchanged(shared_dir: Path, tmp_path: Path) -> None:
    got = fp.seed_fingerprints(tmp_path)
    assert len(got) == len(list((shared_dir / "seeds").glob("*.json")))
    assert fp.differences(fp.recorded()["seeds"], got) == []


def test_every_raw_multivac_round_imports_and_replays_unchanged(shared_dir: Path, tmp_path: Path) -> None:
    rounds = fp.raw_round_paths()
    assert len(rounds) == len(fp.recorded()["multivac-all"])
    got = fp.multivac_fingerprints(tmp_path)
    assert fp.differences(fp.recorded()["multivac-all"], got) == []
