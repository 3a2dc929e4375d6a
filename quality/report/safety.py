"""The publish safeguards in the audit report: dead letters, deferred updates, approvals.

Reads ``dead_letters`` (records a target refused, still parked), ``publish_conflicts``
(updates the run did not write because the target changed the record since the pull)
and ``publish_approvals`` (mass changes the circuit breaker stopped). The targets' own
messages are free text and may quote a personal value: e-mail addresses in them are
masked unless the report is unmasked.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, func, or_, select

from quality.masking import mask
from quality.report.model import (
    ApprovalItem,
    Capped,
    DeadLetterItem,
    DeferredItem,
    PublishSafety,
)
from store.dead_letters import open_dead_letters
from store.schema import dead_letters, publish_approvals, publish_conflicts

PENDING = "pending"
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def masked_text(text: str, *, unmasked: bool) -> str:
    """Return a target's message with the e-mail addresses in it masked."""
    if unmasked:
        return text
    return _EMAIL.sub(lambda found: mask(found.group(0)) or "", text)


def safety_of_run(
    connection: Connection, run_id: str, entity: str, *, unmasked: bool, cap: int
) -> PublishSafety:
    """Return what the publish safeguards held back, as of run ``run_id`` of ``entity``."""
    return PublishSafety(
        dead_letters=_dead_letters(connection, entity, unmasked=unmasked, cap=cap),
        deferred=_deferred(connection, run_id, entity, unmasked=unmasked, cap=cap),
        approvals=_approvals(connection, run_id, entity),
    )


def _dead_letters(
    connection: Connection, entity: str, *, unmasked: bool, cap: int
) -> Capped[DeadLetterItem]:
    where = (dead_letters.c.entity == entity, dead_letters.c.resolved_run.is_(None))
    total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    items = tuple(
        DeadLetterItem(
            letter.target,
            letter.target_id,
            letter.golden_id,
            letter.operation,
            masked_text(letter.error, unmasked=unmasked),
            int(letter.attempts),
            letter.first_run,
            letter.last_run,
        )
        for letter in open_dead_letters(connection, entity, limit=cap)
    )
    return Capped(items, total)


def _deferred(
    connection: Connection, run_id: str, entity: str, *, unmasked: bool, cap: int
) -> Capped[DeferredItem]:
    where = (publish_conflicts.c.run_id == run_id, publish_conflicts.c.entity == entity)
    total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    rows = connection.execute(
        select(
            publish_conflicts.c.target,
            publish_conflicts.c.target_id,
            publish_conflicts.c.golden_id,
            publish_conflicts.c.expected_updated_at,
            publish_conflicts.c.detail,
            publish_conflicts.c.resolved_run,
        )
        .where(*where)
        .order_by(publish_conflicts.c.target, publish_conflicts.c.target_id)
        .limit(cap)
    )
    items = tuple(
        DeferredItem(
            target, target_id, golden_id, expected, masked_text(detail, unmasked=unmasked), resolved
        )
        for target, target_id, golden_id, expected, detail, resolved in rows
    )
    return Capped(items, total)


def _approvals(connection: Connection, run_id: str, entity: str) -> tuple[ApprovalItem, ...]:
    rows = connection.execute(
        select(
            publish_approvals.c.run_id,
            publish_approvals.c.target,
            publish_approvals.c.changes,
            publish_approvals.c.target_records,
            publish_approvals.c.max_changes,
            publish_approvals.c.status,
        )
        .where(
            publish_approvals.c.entity == entity,
            or_(
                publish_approvals.c.run_id == run_id,
                publish_approvals.c.used_run == run_id,
                publish_approvals.c.status == PENDING,
            ),
        )
        .order_by(publish_approvals.c.requested_at, publish_approvals.c.target)
    )
    return tuple(ApprovalItem(*row) for row in rows)
