"""`harness report`: one self-contained HTML page per run (score matrices, leaderboards, judges, costs)."""

from ._load import ReportError, RunMaterial, load_run_material
from ._render import REPORT_FILE_NAME, build_report_view, render_report, write_report
from ._views import ReportView

__all__ = [
    "REPORT_FILE_NAME",
    "ReportError",
    "ReportView",
    "RunMaterial",
    "build_report_view",
    "load_run_material",
    "render_report",
    "write_report",
]
