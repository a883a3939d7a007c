"""`harness report`: the self-contained HTML report, checked offline and in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import harness.cli._report  # noqa: F401  (registers `report` until harness.cli imports it)
from harness.cli import app
from harness.llm import CallMeta, CallRecord, ChatRequest, Usage, call_key
from harness.report import ReportError, render_report

from ._round_fixtures import scores_for, write_question_task, write_round

DEMO_RUN = Path(__file__).resolve().parents[1] / "rounds" / "demo" / "run"
DEMO_NAMES = ["Fixture Good", "Fixture Mediocre", "Fixture Broken"]
MULTIVAC_RAW = "data/multivac/EVAL-20260402-130102.json"


class ReportPage(HTMLParser):
    """What the checks need from a report page: matrices, ids, links and resource references."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.matrices: list[dict[str, list[Any]]] = []  # per matrix: cells (class, title, text), column and row headers
        self.ids: set[str] = set()
        self.local_links: list[str] = []
        self.resources: list[str] = []  # src/href of link, script, img, and any other src
        self.body_attributes: dict[str, str | None] = {}
        self.script_tags = 0
        self._cell: dict[str, str] | None = None
        self._header: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "body":
            self.body_attributes = attributes
        if tag == "script":
            self.script_tags += 1
        if tag in ("link", "script", "img", "iframe", "source", "video", "audio", "embed"):
            self.resources += [str(attributes[key]) for key in ("src", "href") if attributes.get(key)]
        href = attributes.get("href")
        if tag == "a" and href and href.startswith("#"):
            self.local_links.append(href[1:])
        if tag == "table" and "matrix" in classes:
            self.matrices.append({"cells": [], "columns": [], "rows": []})
        if not self.matrices:
            return
        if tag == "td" and "cell" in classes:
            self._cell = {"class": " ".join(classes), "title": attributes.get("title") or "", "text": ""}
        if tag == "th" and ({"column-head", "row-head"} & set(classes)) and "footer-head" not in classes:
            self._header = "columns" if "column-head" in classes else "rows"
            self.matrices[-1][self._header].append("")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data
        if self._header is not None:
            self.matrices[-1][self._header][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self._cell["text"] = self._cell["text"].strip()
            self.matrices[-1]["cells"].append(self._cell)
            self._cell = None
        if tag == "th":
            self._header = None


def _kinds(cells: list[dict[str, str]], kind: str) -> list[dict[str, str]]:
    return [c for c in cells if f"cell-{kind}" in c["class"].split()]


def _write_report(run_dir: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(app, ["report", str(run_dir), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (DEMO_RUN / "results" / "details").is_dir():
        pytest.skip("rounds/demo/run has no results")
    out = tmp_path_factory.mktemp("report") / "demo.html"
    _write_report(DEMO_RUN, out)
    return out


def test_demo_report_has_the_question_matrix_with_self_and_failed_cells(demo_html: Path) -> None:
    page = ReportPage(demo_html.read_text(encoding="utf-8"))
    question, build_spec, build_quality = page.matrices
    assert question["rows"] == DEMO_NAMES and question["columns"] == DEMO_NAMES
    assert len(question["cells"]) == 9
    assert [c["text"] for c in _kinds(question["cells"], "self")] == ["self"] * 3
    [failed] = _kinds(question["cells"], "failed")
    assert failed["text"] == "✕"
    assert failed["title"].startswith("Fixture Broken on Fixture Good: failed: unusable reply after one repair re-ask")
    assert {c["text"] for c in _kinds(question["cells"], "score")} == {"6.4", "2.0", "8.6", "3.0", "8.0"}
    # Build reviews include self-reviews: hatched, but with their score.
    assert len(build_spec["cells"]) == 9 and len(build_quality["cells"]) == 9
    assert [c["text"] for c in _kinds(build_spec["cells"], "self")] == ["10.0", "10.0", "10.0"]


def test_demo_report_is_self_contained_and_every_cell_link_has_a_target(demo_html: Path) -> None:
    html = demo_html.read_text(encoding="utf-8")
    page = ReportPage(html)
    assert page.resources == []
    assert not [r for r in page.resources if r.startswith(("http://", "https://", "//"))]
    assert "@import" not in html and "url(" not in html
    assert page.script_tags == 1
    missing = [target for target in page.local_links if target not in page.ids]
    assert missing == []
    # Answers, implementations and hidden tests are one click away.
    assert "q-q-retry-decorator-answer-fixture-good-by-fixture-broken" in page.ids
    assert "b-build-slugify-impl-fixture-broken-by-fixture-broken" in page.ids
    assert "test_slugify.py::test_max_length_cuts_at_word_boundaries" in html
    assert "def slugify(" in html  # the files of the implementations


def test_report_is_deterministic_and_accepts_a_separate_results_folder(demo_html: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / DEMO_RUN.name
    shutil.copytree(DEMO_RUN, copy)
    assert render_report(copy) == demo_html.read_text(encoding="utf-8")
    moved = tmp_path / "replayed"
    shutil.move(copy / "results", moved)
    assert _write_report(copy, tmp_path / "r.html", "--results", str(moved)) == demo_html.read_text(encoding="utf-8")
    assert not (copy / "report.html").exists()
    result = CliRunner().invoke(app, ["report", str(copy), "--results", str(moved)])
    assert result.exit_code == 0 and (copy / "report.html").is_file()  # the default --out


def test_model_text_is_escaped(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(DEMO_RUN, run)
    details = run / "results" / "details" / "q-retry-decorator.json"
    data = json.loads(details.read_text(encoding="utf-8"))
    data["answers"][0]["text"] = '<script>alert("x")</script><img src="https://evil.example/x.png">'
    data["judgments"][1]["justification"] = '"><b onmouseover=alert(1)>bold</b>'
    details.write_text(json.dumps(data), encoding="utf-8")
    html = render_report(run)
    page = ReportPage(html)
    assert page.script_tags == 1 and page.resources == []
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b onmouseover=alert(1)&gt;" in html and "<b onmouseover" not in html


def test_build_dropout_and_failed_generation_are_marked(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(DEMO_RUN, run)
    details = run / "results" / "details" / "build-slugify.json"
    data = json.loads(details.read_text(encoding="utf-8"))
    [dropout] = [r for r in data["reviews"] if r["judge_id"] == "fixture-broken"]
    dropout.update(reviews={}, error="unusable reply after one repair re-ask: no JSON object")
    [broken] = [s for s in data["samples"] if s["model_id"] == "fixture-broken"]
    broken.update(error="the reply holds no slugify.py", tests=None, loc=None)
    details.write_text(json.dumps(data), encoding="utf-8")
    shutil.rmtree(run / "results" / "builds" / "build-slugify" / "fixture-broken")
    html = render_report(run)
    spec = ReportPage(html).matrices[1]
    failed = _kinds(spec["cells"], "failed")
    assert len(failed) == 3 and all("no JSON object" in c["title"] for c in failed)
    assert "Judges that dropped out: Fixture Broken" in html
    assert "the reply holds no slugify.py" in html


def test_errors_name_the_folder_and_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not a run folder"):
        render_report(tmp_path)
    with pytest.raises(ReportError, match="no such folder"):
        render_report(tmp_path / "absent")
    run = tmp_path / "unfinished"
    run.mkdir()
    for name in ("round.yaml", "run.json"):
        shutil.copy(DEMO_RUN / name, run / name)
    with pytest.raises(ReportError, match="no results yet"):
        render_report(run)
    result = CliRunner().invoke(app, ["report", str(run)])
    assert result.exit_code != 0 and isinstance(result.exception, ReportError)


def test_imported_multivac_round(shared_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    imported = runner.invoke(app, ["import", "multivac", str(shared_dir / MULTIVAC_RAW), "--out", str(tmp_path)])
    assert imported.exit_code == 0, imported.output
    run = tmp_path / "EVAL-20260402-130102"
    page = ReportPage(_write_report(run, run / "report.html"))
    [matrix] = page.matrices
    assert len(matrix["rows"]) == len(matrix["columns"]) == 10 and len(matrix["cells"]) == 100
    details = json.loads((run / "results" / "details" / "EVAL-20260402-130102.json").read_text(encoding="utf-8"))
    failures = [j for j in details["judgments"] if j["judge_id"] != j["respondent_id"] and j["error"]]
    assert len(_kinds(matrix["cells"], "self")) == 10
    assert len(_kinds(matrix["cells"], "failed")) == len(failures) > 0
    assert matrix["columns"][0] == "Claude Sonnet 4.6"  # columns in rank order: the winner first


class SelfScoringClient:
    """Every model answers and judges (itself included); gamma is unpriced, and its judgment of alpha fails."""

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        cost = None if meta.model_id == "gamma" else 0.001
        usage = Usage(prompt_tokens=100, completion_tokens=50, total_tokens=150)
        if meta.stage == "answer":
            reply: str | None = f"Answer of {meta.model_id} to {meta.task_id}."
        elif (meta.model_id, meta.respondent_id) == ("gamma", "alpha"):
            reply = None
        else:
            reply = json.dumps(scores_for(meta.model_id, f"{meta.respondent_id} {meta.task_id}"))
        error = None if reply is not None else "provider error 500 after 2 attempts"
        return CallRecord(key=call_key(request, meta), meta=meta, request=request, reply=reply, usage=usage, cost_usd=cost, latency_s=0.5, error=error)

    async def aclose(self) -> None:
        return None


def test_two_questions_with_recorded_self_judgments_and_costs(tmp_path: Path, repo_dir: Path) -> None:
    from harness.session import run_round

    write_question_task(tmp_path / "tasks", "q1", "T-001", "Why is the sky blue?")
    write_question_task(tmp_path / "tasks", "q2", "T-002", "What is a monad?", category="code")
    config = write_round(tmp_path / "round.yaml", "http://127.0.0.1:9/v1", ["alpha", "beta", "gamma"], ["q1", "q2"], repo_dir, self_judgment="record")
    run_round(config, tmp_path / "run", client=SelfScoringClient())
    html = render_report(tmp_path / "run")
    page = ReportPage(html)
    overview, first, second = page.matrices
    assert overview["columns"] == ["T-001", "T-002"] and len(overview["cells"]) == 6
    for question in (first, second):
        selves = _kinds(question["cells"], "self")
        assert len(selves) == 3 and all(c["text"] != "self" for c in selves)  # recorded self scores are shown
        [failed] = _kinds(question["cells"], "failed")
        assert "provider error 500" in failed["title"]
    assert html.count("Self-bias (self-judgments recorded, never counted)") == 2
    # 2 questions x (3 answers + 9 judgments); gamma's 8 calls are unpriced.
    assert "<dt>calls</dt><dd>24</dd>" in html and "<dt>cost</dt><dd>≥ $0.0160</dd>" in html


def _chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


def test_report_renders_in_headless_chromium(demo_html: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary (CI installs Debian's `chromium` package)")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}"]
    url = demo_html.resolve().as_uri()
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    page = ReportPage(dom)
    assert page.body_attributes.get("data-report-ready") == "true", "the inline script ran to its end"
    question = page.matrices[0]
    assert question["rows"] == DEMO_NAMES and question["columns"] == DEMO_NAMES and len(question["cells"]) == 9
    screenshot = tmp_path / "report.png"
    subprocess.run([*flags, "--hide-scrollbars", f"--screenshot={screenshot}", "--window-size=1400,2000", url], capture_output=True, timeout=120, check=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
