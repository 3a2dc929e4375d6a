"""Stages 0 and 8: open a run, and close it with its summary.

The summary of an entity's run holds, per source system, the records pulled and the
records held in quarantine; the number of golden records, of those the golden gate holds
back (``golden_held``) and of source records merged into a golden record with others;
per target the created / updated / unchanged counts; and what waits for someone: the
review queue (``review``: pairs open in all, and those this run newly queued), the open
dead letters and this run's deferred updates per target, and the mass changes waiting
for approval (``approvals_pending``). It is saved with the run (append-only) and printed
by the CLI.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select

from store.golden import golden_count, members_by_golden
from store.outbox import publish_counts
from store.quarantine import held_record_count
from store.records import OK, records_with_status
from store.runs import finish_run, get_run, note_cause, start_run
from store.schema import dead_letters, match_review, publish_approvals, publish_conflicts, staging
from sync.context import SyncContext
from sync.stages.gate import GOLDEN

log = logging.getLogger(__name__)


def open_run(ctx: SyncContext, entity: str, run_id: str | None = None) -> str:
    """Start a run of ``entity`` (checks the entity is configured) and return its id."""
    ctx.settings.entity(entity)
    with ctx.engine.begin() as connection:
        return start_run(connection, entity, run_id)


def build_summary(ctx: SyncContext, run_id: str, entity: str) -> dict[str, Any]:
    """Return the summary of ``run_id`` for ``entity`` (see the module docstring)."""
    settings = ctx.settings.entity(entity)
    with ctx.engine.connect() as connection:
        pulled_rows = connection.execute(
            select(staging.c.system, func.count())
            .where(staging.c.run_id == run_id, staging.c.entity == entity)
            .group_by(staging.c.system)
        ).all()
        held = held_record_count(connection, entity)
        good = {(s.system, s.source_id) for s in records_with_status(connection, entity, OK)}
        groups = members_by_golden(connection, entity)
        goldens = golden_count(connection, entity)
        run = get_run(connection, run_id) or {}
        published = publish_counts(connection, run_id)
        waiting = _waiting(connection, run_id, entity, settings.targets)
    pulled = {system: 0 for system in settings.sources}
    pulled.update({system: int(count) for system, count in pulled_rows})
    merged = 0
    for keys in groups.values():
        alive = [k for k in keys if k in good]
        if len(alive) > 1:
            merged += len(alive)
    targets = {
        target: published.get(target, {"created": 0, "updated": 0, "unchanged": 0})
        for target in settings.targets
    }
    return {
        "run_id": run_id,
        "status": run.get("status", "unknown"),
        "cause": run.get("cause"),
        "pulled": pulled,
        "quarantined": {system: held.get(system, 0) for system in settings.sources},
        "golden_records": goldens,
        "golden_held": held.get(GOLDEN, 0),
        "merged_source_records": merged,
        "targets": targets,
        **waiting,
    }


def _count_by_target(
    connection: Connection, table: Table, targets: Sequence[str], *where: ColumnElement[bool]
) -> dict[str, int]:
    rows = connection.execute(
        select(table.c.target, func.count()).where(*where).group_by(table.c.target)
    ).all()
    found = {str(target): int(count) for target, count in rows}
    return {target: found.get(target, 0) for target in targets}


def _waiting(
    connection: Connection, run_id: str, entity: str, targets: Sequence[str]
) -> dict[str, Any]:
    """Return what the run leaves for people: review pairs, dead letters, deferrals,
    approvals."""
    open_pairs, new_pairs = connection.execute(
        select(
            func.count(),
            func.count().filter(match_review.c.created_run == run_id),
        ).where(match_review.c.entity == entity, match_review.c.status == "open")
    ).one()
    return {
        "review": {"open": int(open_pairs), "new": int(new_pairs or 0)},
        "dead_letters": _count_by_target(
            connection,
            dead_letters,
            targets,
            dead_letters.c.entity == entity,
            dead_letters.c.resolved_run.is_(None),
        ),
        "deferred": _count_by_target(
            connection,
            publish_conflicts,
            targets,
            publish_conflicts.c.entity == entity,
            publish_conflicts.c.run_id == run_id,
        ),
        "approvals_pending": int(
            connection.execute(
                select(func.count()).where(
                    publish_approvals.c.entity == entity,
                    publish_approvals.c.status == "pending",
                )
            ).scalar_one()
        ),
    }


def record_cause(ctx: SyncContext, run_id: str, cause: str) -> None:
    """Remember why a stage of the run failed (the status is decided when it closes)."""
    with ctx.engine.begin() as connection:
        note_cause(connection, run_id, cause)


def close_run(ctx: SyncContext, run_id: str, entity: str) -> dict[str, Any]:
    """Finish the run and return its summary.

    A blocked run stays blocked. Otherwise the run succeeded when every target was
    published, and failed (with the last recorded cause) when a stage did not finish.
    """
    targets = ctx.settings.entity(entity).targets
    with ctx.engine.connect() as connection:
        run = get_run(connection, run_id) or {}
        done = publish_counts(connection, run_id)
    status = run.get("status", "running")
    cause = run.get("cause")
    if status == "running":
        complete = all(t in done for t in targets)
        if complete:
            status, cause = "success", None
        else:
            status, cause = "failed", cause or "stopped before every target was published"
    with ctx.engine.begin() as connection:
        finish_run(connection, run_id, status, cause=cause)
    summary = build_summary(ctx, run_id, entity)
    with ctx.engine.begin() as connection:
        finish_run(connection, run_id, status, summary=summary, cause=cause)
    log.info("run %s of %s ended %s%s", run_id, entity, status, f": {cause}" if cause else "")
    return summary
