"""The analysis page: self-contained, escaped, with its charts; rendered by headless chromium when there is one."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.analysis._html import interval_chart, render_analysis_html

NETWORK_REFERENCE = re.compile(
    r"""(?:src|href|action|srcset|xlink:href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.IGNORECASE,
)
"""An attribute or CSS reference to a network resource (absolute or protocol-relative URL), or a CSS import."""


def _analysis() -> dict[str, Any]:
    return {
        "inputs": {"question_rounds": 3, "build_rounds": 0, "skipped": [], "bootstrap": 200, "seed": 7},
        "leaderboard": [
            {
                "model_key": "alpha",
                "display_name": "Alpha One",
                "avg_score": 8.512,
                "median_score": 8.6,
                "std_score": 0.4,
                "evaluations": 3,
                "avg_rank": 1.33,
                "wins_rank1": 2,
                "top3_finishes": 3,
            },
            {
                "model_key": "evil",
                "display_name": "<b>x</b>",
                "avg_score": 7.1,
                "median_score": 7.0,
                "std_score": 0.9,
                "evaluations": 3,
                "avg_rank": 2.0,
                "wins_rank1": 1,
                "top3_finishes": 3,
            },
        ],
        "bradley_terry": [
            {
                "name": "Alpha One",
                "component": 0,
                "naive": 8.5,
                "naive_rank": 1,
                "bt": 0.42,
                "bt_rank": 1,
                "bt_ci_low": 0.1,
                "bt_ci_high": 0.8,
            },
            {
                "name": "<b>x</b>",
                "component": 0,
                "naive": 7.1,
                "naive_rank": 2,
                "bt": -0.42,
                "bt_rank": 2,
                "bt_ci_low": -0.9,
                "bt_ci_high": -0.05,
            },
            {
                "name": "Loner Model",
                "component": 1,
                "naive": 6.0,
                "naive_rank": 1,
                "bt": 0.0,
                "bt_rank": 1,
                "bt_ci_low": None,
                "bt_ci_high": None,
            },
        ],
        "bradley_terry_summary": {
            "components": [["Alpha One", "<b>x</b>"], ["Loner Model"]],
            "bootstrap": 200,
            "separated_pair_fraction": 0.5,
        },
        "judges": [
            {
                "judge_key": "alpha",
                "judge_name": "Alpha Judge",
                "avg_score_given": 7.2,
                "total_judgments": 6,
                "leniency": -0.31,
                "leniency_ci_low": -0.6,
                "leniency_ci_high": -0.02,
            },
            {
                "judge_key": "evil",
                "judge_name": "Strict & Co",
                "avg_score_given": 8.4,
                "total_judgments": 6,
                "leniency": 0.31,
                "leniency_ci_low": 0.05,
                "leniency_ci_high": 0.7,
            },
        ],
        "family_bias": [
            {
                "judge": "alpha",
                "family": "anthropic",
                "avg_same_family": 8.0,
                "avg_other_family": 7.5,
                "same_family_bias": 0.5,
                "n_same": 2,
                "n_other": 4,
                "paired_bias": 0.4,
                "paired_ci_low": -0.1,
                "paired_ci_high": 0.9,
            },
        ],
        "self_bias": [{"model": "alpha", "self_mean": 9.0, "peer_mean": 8.4, "delta": 0.6}],
        "agreement": {"krippendorff_alpha": 0.61, "per_round": [{"evaluation_id": "EVAL-1", "alpha": 0.6}]},
        "fragility": {"rank1_changes": 1, "rounds": {"EVAL-1": {"winner": "alpha", "margin": 0.2}}},
        "build_judges": [
            {
                "judge": "glm",
                "reviews": 6,
                "auc_spec": 1.0,
                "auc_quality": 0.75,
                "passes_failing_rate": 0.0,
                "fails_passing_rate": None,
                "weight": 1.0,
            }
        ],
        "build_leaderboard": [
            {
                "date": "2026-05-05",
                "task": "sandbox",
                "impl": "kimi",
                "model_slug": "p/kimi",
                "tests": "9/9",
                "all_tests_passed": True,
                "plain_spec": 8.0,
                "calibrated_spec": 8.333,
                "plain_quality": 16.0,
                "calibrated_quality": 15.8,
                "plain_rank": 1,
                "calibrated_rank": 1,
            }
        ],
    }


def test_page_shows_every_table_and_the_charts() -> None:
    html = render_analysis_html(_analysis())
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for name in (
        "Alpha One",
        "Loner Model",
        "Alpha Judge",
        "Strict &amp; Co",
        "anthropic",
        "krippendorff_alpha",
        "EVAL-1",
        "rank1_changes",
        "glm",
        "kimi",
        "8.333",
        "question_rounds",
        "separated_pair_fraction",
    ):
        assert name in html, name
    assert html.count("<svg") == 4, "BT components 0 and 1, leniency, paired family bias"
    assert html.count('class="whisker"') == 3 * (2 + 2 + 1), "every CI but the loner's, three lines each"
    assert html.count('<rect class="bar') == 3 and html.count('<circle class="dot') == 3


def test_text_is_escaped() -> None:
    html = render_analysis_html(_analysis())
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_page_references_nothing_on_the_network() -> None:
    html = render_analysis_html(_analysis())
    assert NETWORK_REFERENCE.search(html) is None
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html
    assert "default-src 'none'" in html


def test_missing_or_empty_tables_are_left_out() -> None:
    assert "Nothing to show" in render_analysis_html({})
    html = render_analysis_html({"leaderboard": [], "judges": [], "inputs": {"question_rounds": 0, "skipped": ["a.json: bad"]}})
    assert "<svg" not in html and "Nothing to show" in html and "a.json: bad" in html and "<dd>0</dd>" in html
    only_builds = render_analysis_html({"build_judges": _analysis()["build_judges"]})
    assert "auc_spec" in only_builds and "Leaderboard</h2>" not in only_builds


def test_chart_axis_includes_zero_and_every_interval() -> None:
    chart = interval_chart([("a", 2.0, 1.0, 3.0), ("b", 5.0, None, None)], "c", bars=True)
    zero, a, b = chart.zero_x, chart.rows[0], chart.rows[1]
    assert a.low_x is not None and a.high_x is not None
    assert chart.plot_left <= zero < a.low_x < a.value_x < a.high_x < b.value_x <= chart.plot_right
    assert b.low_x is None and b.bar_x == zero and a.bar_width > 0 and not a.negative
    assert [label for _, label in chart.ticks] == ["0", "2", "4"], "axis -0.25..5.25: step 2"


def _chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary (CI installs Debian's `chromium` package)")
    page = tmp_path / "analysis.html"
    page.write_text(render_analysis_html(_analysis()), encoding="utf-8")
    screenshot = tmp_path / "analysis.png"
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--hide-scrollbars",
    ]
    subprocess.run(
        [*flags, f"--screenshot={screenshot}", "--window-size=1200,1600", page.resolve().as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
