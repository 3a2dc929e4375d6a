"""Pull checkpoints: where an interrupted pull of a (system, entity) resumes.

A resumable pull lands each page the connector has handed out completely in staging,
under its run id, together with the connector's resume token in the
``pull_checkpoints`` row — one transaction, and the cursor does not move. So everything
before the token is durable. When the pull finishes, the stage lands the rest, moves the
cursor and deletes the row in one transaction.

A later pull of the same window *adopts* the rows: :func:`adopt_staged` re-keys them to
the new run (a new run of the pipeline after a failed one) and records the new owner, so
the map stage of the new run reads them like rows it pulled itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from store.database import upsert
from store.schema import pull_checkpoints, staging
from store.staging import Cursor


@dataclass(frozen=True)
class PullCheckpoint:
    """The saved state of one (system, entity) pull that has not finished.

    Attributes:
        run_id: The run whose staging holds the rows landed so far.
        window: Fingerprint of the window (and mapping) the pull reads.
        token: The connector's opaque resume token.
        records_landed: Distinct keys staged so far.
        newest: The (timestamp, key) cursor the landed rows reach.
    """

    system: str
    entity: str
    run_id: str
    window: str
    token: str
    records_landed: int
    newest: Cursor


def load_checkpoint(connection: Connection, system: str, entity: str) -> PullCheckpoint | None:
    """Return the checkpoint of ``(system, entity)``, or None when no pull is unfinished."""
    row = connection.execute(
        select(pull_checkpoints).where(
            pull_checkpoints.c.system == system, pull_checkpoints.c.entity == entity
        )
    ).first()
    if row is None:
        return None
    return PullCheckpoint(
        row.system,
        row.entity,
        row.run_id,
        row.window_fingerprint,
        row.token,
        row.records_landed,
        Cursor(row.newest_value, row.newest_key),
    )


def save_checkpoint(connection: Connection, checkpoint: PullCheckpoint) -> None:
    """Write ``checkpoint`` (replacing the one of its (system, entity))."""
    upsert(
        connection,
        pull_checkpoints,
        [
            {
                "system": checkpoint.system,
                "entity": checkpoint.entity,
                "run_id": checkpoint.run_id,
                "window_fingerprint": checkpoint.window,
                "token": checkpoint.token,
                "records_landed": checkpoint.records_landed,
                "newest_value": checkpoint.newest.value,
                "newest_key": checkpoint.newest.key,
                "updated_at": datetime.now(UTC),
            }
        ],
        ["system", "entity"],
    )


def drop_checkpoint(connection: Connection, system: str, entity: str) -> None:
    """Delete the checkpoint of ``(system, entity)`` (finished, or discarded)."""
    connection.execute(
        delete(pull_checkpoints).where(
            pull_checkpoints.c.system == system, pull_checkpoints.c.entity == entity
        )
    )


def adopt_staged(
    connection: Connection, from_run: str, to_run: str, system: str, entity: str
) -> None:
    """Move the rows ``from_run`` staged for ``(system, entity)`` to ``to_run``.

    A key ``to_run`` already staged keeps ``to_run``'s row (it was read later). The
    checkpoint, if any, is handed to ``to_run`` in the same transaction (caller's).
    """
    if from_run == to_run:
        return
    newer = aliased(staging)
    taken = exists().where(
        and_(
            newer.c.run_id == to_run,
            newer.c.system == system,
            newer.c.entity == entity,
            newer.c.source_id == staging.c.source_id,
        )
    )
    mine = and_(
        staging.c.run_id == from_run, staging.c.system == system, staging.c.entity == entity
    )
    connection.execute(delete(staging).where(mine, taken))
    connection.execute(update(staging).where(mine).values(run_id=to_run))
    connection.execute(
        update(pull_checkpoints)
        .where(pull_checkpoints.c.system == system, pull_checkpoints.c.entity == entity)
        .values(run_id=to_run, updated_at=datetime.now(UTC))
    )


def staged_keys(connection: Connection, run_id: str, system: str, entity: str) -> set[str]:
    """Return the keys ``run_id`` staged for ``(system, entity)``."""
    return set(
        connection.execute(
            select(staging.c.source_id).where(
                staging.c.run_id == run_id, staging.c.system == system, staging.c.entity == entity
            )
        ).scalars()
    )


def unstage(connection: Connection, run_id: str, system: str, entity: str) -> None:
    """Delete the rows ``run_id`` staged for ``(system, entity)`` (a discarded partial pull)."""
    connection.execute(
        delete(staging).where(
            staging.c.run_id == run_id, staging.c.system == system, staging.c.entity == entity
        )
    )
