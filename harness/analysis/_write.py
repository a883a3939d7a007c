"""Write an analysis: one CSV per table, every table in `analysis.json`, the page `analysis.html`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..formats import write_atomic
from ._analyze import CSV_TABLES
from ._html import render_analysis_html

__all__ = ["JSON_TABLES", "write_analysis"]

JSON_TABLES = {"agreement": "agreement.json", "fragility": "fragility.json", "bradley_terry": "bradley_terry.json"}
"""Tables also written as their own JSON file."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_text(rows: list[Mapping[str, Any]]) -> str:
    """Header row (the first row's keys, in order), one row per entity; empty cell for null."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if rows:
        columns = list(rows[0])
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def write_analysis(analysis: Mapping[str, Any], out: Path) -> list[Path]:
    out = Path(out)
    written = []
    for name in CSV_TABLES:
        if name in analysis:
            path = out / f"{name}.csv"
            write_atomic(path, csv_text(analysis[name]))
            written.append(path)
    for name, file_name in JSON_TABLES.items():
        if name in analysis:
            value = analysis[name] if name != "bradley_terry" else {"rows": analysis[name], **analysis["bradley_terry_summary"]}
            write_atomic(out / file_name, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
            written.append(out / file_name)
    write_atomic(out / "analysis.json", json.dumps(analysis, indent=2, ensure_ascii=False) + "\n")
    write_atomic(out / "analysis.html", render_analysis_html(analysis))
    return [*written, out / "analysis.json", out / "analysis.html"]
