"""The audit report of a sync run: a self-contained HTML page plus JSON and CSV.

For auditors: what came in, which rules failed and what was quarantined, what was
merged and why, where each golden value came from, what was pushed where, how stale the
master is, and the trend over recent runs. ``build_report`` writes it from the store.
"""

from quality.report.collect import RunNotFoundError
from quality.report.command import ReportPaths, build_report, latest_run_id

__all__ = ["ReportPaths", "RunNotFoundError", "build_report", "latest_run_id"]
