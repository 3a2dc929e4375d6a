"""Approvals of mass changes: what the publish circuit breaker stopped, and who let it go.

A run that would change more than the configured share of a target's records records a
*pending* request per target and stops. ``crmsync approve RUN_ID`` marks the run's
requests *approved*; the next run of the entity (or a rerun of the same run) that hits
the breaker on that target with at most the approved number of changes uses the approval
(*used*) and goes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, or_, select, update

from store.database import upsert
from store.schema import publish_approvals

PENDING = "pending"
APPROVED = "approved"
USED = "used"


@dataclass(frozen=True)
class ApprovalRequest:
    """A target's mass change the breaker stopped in a run."""

    run_id: str
    entity: str
    target: str
    changes: int
    target_records: int
    max_changes: int
    status: str = PENDING


def request_approval(connection: Connection, request: ApprovalRequest) -> None:
    """Record that ``request.run_id`` was stopped on ``request.target`` (idempotent)."""
    upsert(
        connection,
        publish_approvals,
        [
            {
                "run_id": request.run_id,
                "entity": request.entity,
                "target": request.target,
                "changes": request.changes,
                "target_records": request.target_records,
                "max_changes": request.max_changes,
                "status": PENDING,
                "requested_at": datetime.now(UTC),
            }
        ],
        ["run_id", "entity", "target"],
    )


def requests_of_run(connection: Connection, run_id: str) -> list[ApprovalRequest]:
    """Return the breaker's requests recorded for ``run_id``."""
    rows = connection.execute(
        select(
            publish_approvals.c.run_id,
            publish_approvals.c.entity,
            publish_approvals.c.target,
            publish_approvals.c.changes,
            publish_approvals.c.target_records,
            publish_approvals.c.max_changes,
            publish_approvals.c.status,
        )
        .where(publish_approvals.c.run_id == run_id)
        .order_by(publish_approvals.c.target)
    )
    return [ApprovalRequest(*r) for r in rows]


def approve(connection: Connection, run_id: str, approved_by: str) -> int:
    """Approve the pending requests of ``run_id``; return how many were approved."""
    result = connection.execute(
        update(publish_approvals)
        .where(publish_approvals.c.run_id == run_id, publish_approvals.c.status == PENDING)
        .values(status=APPROVED, approved_at=datetime.now(UTC), approved_by=approved_by[:128])
    )
    return int(result.rowcount or 0)


def use_approval(
    connection: Connection, run_id: str, entity: str, target: str, changes: int
) -> str | None:
    """Spend an approval covering ``changes`` on ``target`` for ``run_id``.

    An approval covers a run with at most as many changes as were approved; one already
    spent by ``run_id`` itself still covers it (a rerun of that run).

    Returns:
        The run id the approval was given for, or None when none covers this run.
    """
    row = connection.execute(
        select(publish_approvals.c.run_id)
        .where(
            publish_approvals.c.entity == entity,
            publish_approvals.c.target == target,
            publish_approvals.c.changes >= changes,
            or_(
                publish_approvals.c.status == APPROVED,
                (publish_approvals.c.status == USED) & (publish_approvals.c.used_run == run_id),
            ),
        )
        .order_by(publish_approvals.c.approved_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    connection.execute(
        update(publish_approvals)
        .where(
            publish_approvals.c.run_id == row[0],
            publish_approvals.c.entity == entity,
            publish_approvals.c.target == target,
        )
        .values(status=USED, used_run=run_id)
    )
    return str(row[0])
