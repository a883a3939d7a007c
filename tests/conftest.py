from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the repo; tests that need it skip cleanly where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def built_sandbox_image() -> str:
    """The sandbox image, built (offline where no registry answers) if it is missing."""
    from harness.sandbox import build_image

    return build_image("auto", log=lambda line: print(f"[sandbox build] {line}")).tag


@pytest.fixture(autouse=True)
def _sandbox_image_for_docker_tests(request: pytest.FixtureRequest) -> None:
    """Tests marked `docker` get the image whatever order they run in."""
    if request.node.get_closest_marker("docker") is not None:
        request.getfixturevalue("built_sandbox_image")
