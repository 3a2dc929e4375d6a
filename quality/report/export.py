"""Machine-readable copies of the audit report: the whole report as JSON, lists as CSV.

The JSON holds the same content as the HTML page (dataclass fields plus their derived
values such as ``failure_pct``), with datetimes in ISO 8601 and Decimals as strings. The
CSV files are for spreadsheets: UTF-8 with a byte-order mark so Excel reads non-ASCII
names, and cells that a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from quality.report.model import AuditReport

JSON_FORMAT = "crmsync-audit-report"
JSON_VERSION = 1
QUARANTINE_COLUMNS = (
    "run_id",
    "entity",
    "system",
    "source_id",
    "stage",
    "rule",
    "column",
    "value",
    "reason",
)
RULE_COLUMNS = (
    "run_id",
    "entity",
    "stage",
    "rule",
    "column",
    "checked",
    "passed",
    "failed",
    "failure_pct",
    "detail",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def report_to_dict(report: AuditReport) -> dict[str, Any]:
    """Return the report as plain JSON-ready data (dicts, lists, str, numbers, None)."""
    data = _plain(report)
    return {"format": JSON_FORMAT, "version": JSON_VERSION, **data}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in _properties(type(value)):
            out[name] = _plain(getattr(value, name))
        return out
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | Path):
        return str(value)
    return value


def _properties(cls: type) -> list[str]:
    return [
        name
        for klass in reversed(cls.__mro__)
        for name, member in vars(klass).items()
        if isinstance(member, property)
    ]


def write_json(report: AuditReport, path: Path) -> None:
    """Write the report as indented UTF-8 JSON to ``path``."""
    text = json.dumps(report_to_dict(report), ensure_ascii=False, indent=2, default=str)
    path.write_text(text + "\n", encoding="utf-8")


def write_quarantine_csv(report: AuditReport, path: Path) -> None:
    """Write every quarantine entry of the run, one row each, to ``path``."""
    h = report.header
    _write_csv(
        path,
        QUARANTINE_COLUMNS,
        (
            (
                h.run_id,
                h.entity,
                q.system,
                q.source_id,
                q.stage,
                q.rule,
                q.column,
                q.value,
                q.reason,
            )
            for q in report.quarantine
        ),
    )


def write_rules_csv(report: AuditReport, path: Path) -> None:
    """Write every rule result of the run (batch gates included) to ``path``."""
    h = report.header
    rows: list[Sequence[Any]] = [
        (
            h.run_id,
            h.entity,
            r.stage,
            r.rule,
            r.column,
            r.checked,
            r.passed,
            r.failed,
            None if r.failure_pct is None else f"{r.failure_pct:.2f}",
            r.detail,
        )
        for r in report.rules
    ]
    rows += [
        (
            h.run_id,
            h.entity,
            "batch",
            g.gate,
            g.subject,
            None,
            None,
            int(g.decision == "blocked"),
            None,
            g.detail,
        )
        for g in report.batch_gates
    ]
    _write_csv(path, RULE_COLUMNS, rows)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([safe_cell(v) for v in row] for row in rows)


def safe_cell(value: Any) -> Any:
    """Return a CSV cell that a spreadsheet shows as text, never evaluates as a formula."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _is_number(value):
        return value
    return "'" + value


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
