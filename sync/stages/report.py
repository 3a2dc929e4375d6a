"""Stage 9, report: the audit report of a run (HTML, JSON, CSV) and GX Data Docs.

Runs whatever happened to the run (blocked and failed runs get their report too).
"""

from __future__ import annotations

import logging

from quality.data_docs import data_docs_index
from quality.report import ReportPaths, build_report, latest_run_id
from sync.context import SyncContext

log = logging.getLogger(__name__)


def report_run(ctx: SyncContext, run_id: str | None = None) -> ReportPaths | None:
    """Build the audit report of ``run_id`` (default: the newest run); None if no run."""
    run_id = run_id or latest_run_id(ctx.engine)
    if run_id is None:
        return None
    settings = ctx.settings.report
    paths = build_report(
        ctx.engine,
        run_id,
        settings.directory,
        stale_after_days=settings.stale_after_days,
        unmasked=settings.unmasked,
        data_docs=docs if (docs := data_docs_index(settings.data_docs_dir)).exists() else None,
    )
    log.info("audit report of %s: %s", run_id, paths.html)
    return paths
