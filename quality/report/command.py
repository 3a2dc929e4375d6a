"""Building the audit report files of one run: the entry point for the CLI and Airflow.

``build_report`` writes ``<out_dir>/<run_id>/report.html``, ``report.json``,
``quarantine.csv`` and ``rules.csv``; rebuilding replaces them. Each file is written to a
temporary name first and then moved into place, so a reader never sees half a report.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from quality.report.collect import collect_report
from quality.report.export import write_json, write_quarantine_csv, write_rules_csv
from quality.report.render_html import render_html
from store.schema import runs

HTML_NAME = "report.html"
JSON_NAME = "report.json"
QUARANTINE_CSV_NAME = "quarantine.csv"
RULES_CSV_NAME = "rules.csv"
DATA_DOCS_INDEX = "index.html"


@dataclass(frozen=True)
class ReportPaths:
    """The files of one run's audit report."""

    html: Path
    json: Path
    csv: Path
    """The quarantine list of the run."""
    rules_csv: Path


def build_report(
    engine: Engine,
    run_id: str,
    out_dir: Path,
    *,
    stale_after_days: int = 180,
    unmasked: bool = False,
    data_docs: Path | None = None,
) -> ReportPaths:
    """Write the audit report of ``run_id`` as HTML, JSON and CSV.

    Args:
        engine: The crmsync store.
        run_id: The run to report on.
        out_dir: Folder of all reports; this run's files go to ``out_dir/<run_id>/``.
        stale_after_days: Golden records not confirmed for this many days count as stale.
        unmasked: Show personal golden values in clear. Quarantine values stay masked:
            they are masked when stored.
        data_docs: Great Expectations Data Docs (their folder or an HTML file) to link
            to; the link is relative to the report folder.

    Returns:
        The paths of the written files.

    Raises:
        quality.report.collect.RunNotFoundError: When the store has no such run.
        ValueError: When ``run_id`` cannot be a folder name.
    """
    folder = Path(out_dir) / _folder_name(run_id)
    report = collect_report(engine, run_id, stale_after_days=stale_after_days, unmasked=unmasked)
    folder.mkdir(parents=True, exist_ok=True)
    if data_docs is not None:
        report = dataclasses.replace(report, data_docs=_relative_link(data_docs, folder))
    paths = ReportPaths(
        html=folder / HTML_NAME,
        json=folder / JSON_NAME,
        csv=folder / QUARANTINE_CSV_NAME,
        rules_csv=folder / RULES_CSV_NAME,
    )
    downloads = {
        "JSON": JSON_NAME,
        "Quarantine CSV": QUARANTINE_CSV_NAME,
        "Rules CSV": RULES_CSV_NAME,
    }
    html = render_html(report, downloads)
    _atomic(paths.html, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    _atomic(paths.json, lambda tmp: write_json(report, tmp))
    _atomic(paths.csv, lambda tmp: write_quarantine_csv(report, tmp))
    _atomic(paths.rules_csv, lambda tmp: write_rules_csv(report, tmp))
    return paths


def latest_run_id(engine: Engine, entity: str | None = None) -> str | None:
    """Return the id of the newest finished run (of ``entity``, if given), or None."""
    query = select(runs.c.run_id).where(runs.c.status != "running")
    if entity is not None:
        query = query.where(runs.c.entity == entity)
    with engine.connect() as connection:
        row = connection.execute(
            query.order_by(runs.c.started_at.desc(), runs.c.run_id.desc()).limit(1)
        ).first()
    return None if row is None else str(row[0])


def _folder_name(run_id: str) -> str:
    if not run_id or run_id in {".", ".."} or any(c in run_id for c in "/\\\0"):
        raise ValueError(f"run id {run_id!r} cannot name a report folder")
    return run_id


def _relative_link(target: Path, folder: Path) -> str:
    if target.is_dir():
        target = target / DATA_DOCS_INDEX
    relative = Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()
    # "./" keeps a file name with a colon from reading as a URL scheme.
    return relative if relative.startswith(".") else f"./{relative}"


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(0o644)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
