"""User tools around the published files and task folders: schemas, validation, export, task scaffolds."""

from ._export import (
    BUILD_COLUMNS,
    QUESTION_COLUMNS,
    ExportFormat,
    RoundKind,
    RunTable,
    find_results_dir,
    read_run_table,
    results_kinds,
    table_text,
)
from ._scaffold import ScaffoldKind, TaskNames, scaffold_placeholders, scaffold_task, task_names
from ._schema import FILE_KINDS, FileKind, format_json_schema
from ._validate import (
    FileValidation,
    detect_published_kind,
    validate_document,
    validate_published_file,
)

__all__ = [
    "BUILD_COLUMNS",
    "FILE_KINDS",
    "QUESTION_COLUMNS",
    "ExportFormat",
    "FileKind",
    "FileValidation",
    "RoundKind",
    "RunTable",
    "ScaffoldKind",
    "TaskNames",
    "detect_published_kind",
    "find_results_dir",
    "format_json_schema",
    "read_run_table",
    "results_kinds",
    "scaffold_placeholders",
    "scaffold_task",
    "table_text",
    "task_names",
    "validate_document",
    "validate_published_file",
]
