"""Hardened sandbox that runs a build task's hidden tests against a submission.

Entry points: `SandboxPool.run` (asyncio, parallel), `DockerSandbox.run`
(blocking, one run), `check_task` (reference passes, empty file fails),
`build_image` and `default_image_tag` (the image runs use).
"""

from .._errors import SandboxInfraError, SandboxInputError, TaskCheckError
from ._archive import HIDDEN_TESTS_DIR, Submission, read_submission_dir
from ._backend import DEFAULT_SANDBOX_BACKEND, SANDBOX_BACKENDS, SandboxBackend, create_backend
from ._check import TaskCheckReport, check_task, load_build_task
from ._docker import DockerSandbox
from ._image import (
    DOCKERFILE_RECIPE,
    OFFLINE_RECIPE,
    ImageRecipe,
    default_image_tag,
    resolve_image,
)
from ._image_build import DEFAULT_DEBIAN_MIRROR, ImageBuildResult, build_image
from ._models import (
    PUBLIC_RESULT_FIELDS,
    Integrity,
    SandboxLimits,
    TestCaseResult,
    TestRunResult,
)
from ._needs import CONTAINER_RUNTIME_REFUSAL, check_needs, refused_needs
from ._pool import SandboxPool
from ._scan import scan_submission
from ._sweep import LABEL_PID, LABEL_RUN_ID, sweep_stale_containers

__all__ = [
    "CONTAINER_RUNTIME_REFUSAL",
    "check_needs",
    "refused_needs",
    "DEFAULT_SANDBOX_BACKEND",
    "DEFAULT_DEBIAN_MIRROR",
    "DOCKERFILE_RECIPE",
    "HIDDEN_TESTS_DIR",
    "LABEL_PID",
    "LABEL_RUN_ID",
    "OFFLINE_RECIPE",
    "PUBLIC_RESULT_FIELDS",
    "SANDBOX_BACKENDS",
    "DockerSandbox",
    "ImageBuildResult",
    "ImageRecipe",
    "Integrity",
    "SandboxBackend",
    "SandboxInfraError",
    "SandboxInputError",
    "SandboxLimits",
    "SandboxPool",
    "Submission",
    "TaskCheckError",
    "TaskCheckReport",
    "TestCaseResult",
    "TestRunResult",
    "build_image",
    "check_task",
    "create_backend",
    "default_image_tag",
    "load_build_task",
    "read_submission_dir",
    "resolve_image",
    "scan_submission",
    "sweep_stale_containers",
]
