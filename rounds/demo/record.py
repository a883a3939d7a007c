"""Record the demo round: serve the hand-written fixture files as three "models".

Run from anywhere:  python rounds/demo/record.py

It deletes rounds/demo/run/, starts a local fake OpenAI-compatible server whose
replies come from rounds/demo/fixtures/, and runs rounds/demo/round.yaml through
the real harness (LiteLLM, Docker sandbox, blind judging) into rounds/demo/run/.
Judge prompts are blind, so the server finds which answer or implementation a
judge is looking at by a content marker: the first line of each fixture file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no price-map download
os.environ.setdefault("DEMO_FIXTURE_KEY", "demo-fixture-key")  # the fake server ignores it

import yaml  # noqa: E402

from harness.config import load_round_config  # noqa: E402
from harness.runner import live_client, run_round  # noqa: E402
from harness.testing import FakeOpenAIServer, FakeRequest  # noqa: E402

DEMO = Path(__file__).resolve().parent
FIXTURES = DEMO / "fixtures"
CONFIG = DEMO / "round.yaml"
RUN = DEMO / "run"
FIXTURE_IDS = ["fixture-good", "fixture-mediocre", "fixture-broken"]

LABELS_LINE = re.compile(r"Review every implementation: ([^\n]+)\.")
REPAIR_START = "Your previous reply could not be used"
STAGE_ORDER = {"answer": 0, "judge": 1, "generate": 2, "review": 3}


def _read(relative: str) -> str:
    return (FIXTURES / relative).read_text(encoding="utf-8")


ANSWERS = {f: _read(f"answers/{f}.md") for f in FIXTURE_IDS}
IMPLEMENTATIONS = {f: _read(f"implementations/{f}/slugify.py") for f in FIXTURE_IDS}
JUDGMENTS = {f: yaml.safe_load(_read(f"judgments/{f}.yaml")) for f in FIXTURE_IDS}
REVIEWS = {f: yaml.safe_load(_read(f"reviews/{f}.yaml")) for f in FIXTURE_IDS}


def _marker(text: str) -> str:
    return text.strip().splitlines()[0]


def _whose(text: str, contents: dict[str, str]) -> str:
    """The one fixture whose content marker appears in `text`."""
    found = [f for f, content in contents.items() if _marker(content) in text]
    if len(found) != 1:
        raise ValueError(f"expected one fixture marker in the prompt, found {found}")
    return found[0]


def _judge_reply(judge: str, prompt: str, repair: bool) -> str:
    entry = JUDGMENTS[judge][_whose(prompt, ANSWERS)]
    if "reply" in entry:  # a scripted malformed reply, sent verbatim (see judgments/*.yaml)
        return str(entry["repair_reply" if repair else "reply"])
    return json.dumps(entry, ensure_ascii=False)


def _review_reply(judge: str, prompt: str) -> str:
    """The judge's reviews keyed by the prompt's shuffled labels."""
    match = LABELS_LINE.search(prompt)
    assert match is not None
    labels = [label.strip() for label in match.group(1).split(",")]
    starts = [prompt.index(f"### {label}\n") for label in labels]
    ends = starts[1:] + [match.start()]
    by_label = {}
    for label, start, end in zip(labels, starts, ends):
        by_label[label] = REVIEWS[judge][_whose(prompt[start:end], IMPLEMENTATIONS)]
    return json.dumps(by_label, ensure_ascii=False)


def respond(request: FakeRequest) -> str:
    model = request.model  # "fixture-good" etc. (the server strips "openai/")
    first_user = next(str(m["content"]) for m in request.messages if m["role"] == "user")
    repair = request.last_user_text.startswith(REPAIR_START)
    if "RESPONSE TO EVALUATE" in first_user:
        return _judge_reply(model, first_user, repair)
    if LABELS_LINE.search(first_user):
        return _review_reply(model, first_user)
    if "## Specification" in first_user:
        return f"Here is `slugify.py`:\n\n```python slugify.py\n{IMPLEMENTATIONS[model]}```\n"
    return ANSWERS[model]


def _sort_cassette(path: Path) -> None:
    """Calls finish in any order; sorting the lines keeps re-recordings diffable."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def order(line: str) -> tuple[str, int, str, str, int]:
        meta = json.loads(line)["meta"]
        return (meta["task_id"], STAGE_ORDER[meta["stage"]], meta["model_id"], meta["respondent_id"] or "", meta["attempt"])

    path.write_text("\n".join(sorted(lines, key=order)) + "\n", encoding="utf-8")


def main() -> int:
    shutil.rmtree(RUN, ignore_errors=True)
    config = load_round_config(CONFIG)
    with FakeOpenAIServer(respond) as server:
        # round.yaml names a fixed port; the fake server binds a free one, so point the client there.
        served = config.model_copy(update={"models": [m.model_copy(update={"api_base": server.base_url}) for m in config.models]})
        report = run_round(CONFIG, RUN, client=live_client(served))
        errors = server.responder_errors
    if errors:
        print("the responder failed:", *errors, sep="\n  ", file=sys.stderr)
        return 1
    _sort_cassette(RUN / "cassette.jsonl")
    (RUN / ".lock").unlink(missing_ok=True)
    print(f"recorded {report.calls_made} calls into {RUN}")
    for path in report.files:
        print(f"  wrote {path.relative_to(DEMO)}")
    print("replay offline with: harness replay rounds/demo/run --out /tmp/demo-out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
