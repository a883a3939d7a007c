"""`harness analyze` of the 286 raw Multivac rounds: the paper's tables by ANALYSIS.md's definitions.

The fixed rows below were computed by hand from the raw files with a separate script (plain loops over the
JSON); the Bradley-Terry ranks are checked against a minorization-maximization fit written here, the
source's own algorithm, run to convergence.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.analysis import load_inputs
from harness.analysis._bt import MIN_COMPARISONS
from harness.cli import app


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared = Path(__file__).resolve().parents[2] / "shared"
    if not shared.is_dir():
        pytest.skip("../shared is not present")
    out = tmp_path_factory.mktemp("analysis")
    result = CliRunner().invoke(app, ["analyze", str(shared / "data" / "multivac-all"), "--out", str(out), "--bootstrap", "20", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return out


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    key = next(iter(rows[0]))
    return {row[key]: row for row in rows}


def test_leaderboard_rows(analysed: Path) -> None:
    rows = _rows(analysed / "leaderboard.csv")
    expected = {
        "gpt_5_4": ("GPT-5.4", "8.946", "9.1", "0.576", "186", "2.88", "53", "121"),
        "claude_opus_46": ("Claude Opus 4.6", "8.501", "8.925", "1.13", "186", "4.3", "27", "83"),
        "gemini_3_flash": ("Gemini 3 Flash Preview", "8.767", "8.93", "0.658", "163", "5", "7", "47"),
    }
    columns = ("display_name", "avg_score", "median_score", "std_score", "evaluations", "avg_rank", "wins_rank1", "top3_finishes")
    for key, values in expected.items():
        assert tuple(rows[key][c] for c in columns) == values, key
    averages = [float(r["avg_score"]) for r in rows.values() if r["avg_score"]]
    assert averages == sorted(averages, reverse=True)


def test_judge_rows(analysed: Path) -> None:
    rows = _rows(analysed / "judges.csv")
    columns = ("avg_score_given", "median_score_given", "std", "total_judgments", "min_given", "max_given")
    assert tuple(rows["gpt_5_4"][c] for c in columns) == ("7.187", "8.0", "2.215", "1565", "0.2", "10.0")
    assert tuple(rows["claude_opus_46"][c] for c in columns) == ("7.982", "8.6", "1.982", "1579", "0.2", "10.0")
    given = [float(r["avg_score_given"]) for r in rows.values()]
    assert given == sorted(given), "strictest first"


def test_family_bias_rows(analysed: Path) -> None:
    rows = _rows(analysed / "family_bias.csv")
    columns = ("family", "avg_same_family", "avg_other_family", "same_family_bias", "n_same", "n_other")
    assert tuple(rows["gpt_5_4"][c] for c in columns) == ("openai", "7.082", "7.2", "-0.118", "172", "1393")
    assert tuple(rows["gemini_3_flash"][c] for c in columns) == ("google", "7.761", "9.466", "-1.705", "169", "1198")
    assert tuple(rows["qwen3_32b"][c] for c in columns) == ("qwen", "9.315", "8.069", "1.246", "79", "96")
    assert rows["qwen3_32b"]["paired_bias"] != "", "the paired estimate sits beside the naive one"


def _mm_strengths(wins: dict[tuple[str, str], float], names: list[str]) -> dict[str, float]:
    """Hunter's MM iteration for Bradley-Terry, to a tight tolerance."""
    strength = dict.fromkeys(names, 1.0)
    total = {n: sum(w for (a, _), w in wins.items() if a == n) for n in names}
    games: dict[tuple[str, str], float] = defaultdict(float)
    for (a, b), w in wins.items():
        games[(a, b)] += w
        games[(b, a)] += w
    for _ in range(20000):
        new = {}
        for n in names:
            denominator = sum(g / (strength[n] + strength[m]) for (x, m), g in games.items() if x == n)
            new[n] = total[n] / denominator
        scale = 1.0
        for value in new.values():
            scale *= value ** (1 / len(names))
        new = {n: v / scale for n, v in new.items()}
        if max(abs(new[n] - strength[n]) for n in names) < 1e-10:
            return new
        strength = new
    raise AssertionError("MM did not converge")


def test_bradley_terry_ranks_match_an_mm_fit(analysed: Path) -> None:
    shared = Path(__file__).resolve().parents[2] / "shared"
    rounds = load_inputs([shared / "data" / "multivac-all"]).questions
    wins: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    members_of_group: list[set[str]] = []
    for round_ in rounds:
        groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for j in round_.judgments:
            if j.usable and j.score is not None:
                groups[j.judge_name][j.respondent_name].append(j.score)
        for group in groups.values():
            scores = {n: sum(s) / len(s) for n, s in group.items()}
            if len(scores) < 2:
                continue
            names = sorted(scores)
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    counts[a] += 1
                    counts[b] += 1
                    if scores[a] != scores[b]:
                        wins[(a, b) if scores[a] > scores[b] else (b, a)] += 1
                    else:
                        wins[(a, b)] += 0.5
                        wins[(b, a)] += 0.5
            members_of_group.append(set(names))
    fitted = {n for n, c in counts.items() if c >= MIN_COMPARISONS}
    parent = {n: n for n in fitted}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for group in members_of_group:
        inside = sorted(group & fitted)
        for other in inside[1:]:
            parent[root(other)] = root(inside[0])
    components: dict[str, list[str]] = defaultdict(list)
    for n in sorted(fitted):
        components[root(n)].append(n)
    assert len(components) == 2, "the 286 rounds form 2 components"
    rows = list(csv.DictReader((analysed / "bradley_terry.csv").open(encoding="utf-8")))
    for pool in components.values():
        strengths = _mm_strengths({(a, b): w for (a, b), w in wins.items() if a in pool and b in pool}, pool)
        listed = sorted((r for r in rows if r["name"] in pool), key=lambda r: int(r["bt_rank"]))
        assert len({r["component"] for r in listed}) == 1
        assert [r["name"] for r in listed] == sorted((r["name"] for r in listed), key=lambda n: -strengths[n])
        assert [int(r["bt_rank"]) for r in listed] == list(range(1, len(listed) + 1))
    summary = json.loads((analysed / "bradley_terry.json").read_text(encoding="utf-8"))
    assert summary["components"] == 2 and 0 <= summary["separated_pair_fraction"] <= 1


def test_the_same_seed_gives_the_same_cis(analysed: Path, tmp_path: Path) -> None:
    shared = Path(__file__).resolve().parents[2] / "shared"
    again = tmp_path / "again"
    result = CliRunner().invoke(app, ["analyze", str(shared / "data" / "multivac-all"), "--out", str(again), "--bootstrap", "20", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (again / "bradley_terry.csv").read_bytes() == (analysed / "bradley_terry.csv").read_bytes()
    assert (again / "judges.csv").read_bytes() == (analysed / "judges.csv").read_bytes()
