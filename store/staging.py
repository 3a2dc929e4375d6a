"""Landing pulled batches: raw payloads in staging and the new cursor, in one transaction.

A crash between pull and landing means the next run re-pulls the same window (the cursor
did not move); it can never leave a gap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from store.database import upsert
from store.schema import cursors, pull_log, staging

FULL_MODES = ("full", "full refresh")
"""Pull-log modes of pulls that read every record (a full scan or a full refresh)."""


def payload_hash(payload: dict[str, Any]) -> str:
    """Return the SHA-256 of a payload in canonical JSON form (sorted keys)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StagedRecord:
    """One raw record as landed: its key, payload, hash and source timestamp."""

    source_id: str
    payload: dict[str, Any]
    payload_hash: str
    source_updated_at: str | None


@dataclass(frozen=True)
class Cursor:
    """An incremental position: the newest source timestamp seen and the key at it."""

    value: str | None
    key: str | None = None


def get_cursor(connection: Connection, system: str, entity: str) -> Cursor:
    """Return the saved cursor of ``(system, entity)``; an empty cursor if none."""
    row = connection.execute(
        select(cursors.c.cursor_value, cursors.c.cursor_key).where(
            cursors.c.system == system, cursors.c.entity == entity
        )
    ).first()
    return Cursor(row[0], row[1]) if row else Cursor(None)


def land_batch(
    connection: Connection,
    run_id: str,
    system: str,
    entity: str,
    records: Sequence[StagedRecord],
    cursor: Cursor,
) -> None:
    """Write a pulled batch to staging and save the new cursor (caller owns the transaction)."""
    now = datetime.now(UTC)
    stage_records(connection, run_id, system, entity, records)
    upsert(
        connection,
        cursors,
        [
            {
                "system": system,
                "entity": entity,
                "cursor_value": cursor.value,
                "cursor_key": cursor.key,
                "updated_at": now,
                "run_id": run_id,
            }
        ],
        ["system", "entity"],
    )


def stage_records(
    connection: Connection,
    run_id: str,
    system: str,
    entity: str,
    records: Sequence[StagedRecord],
) -> None:
    """Write records to staging without touching the cursor (a resumable pull's pages).

    A record already staged by ``run_id`` is replaced (the newer read wins); keys must be
    unique within ``records``.
    """
    if not records:
        return
    now = datetime.now(UTC)
    upsert(
        connection,
        staging,
        [
            {
                "run_id": run_id,
                "system": system,
                "entity": entity,
                "source_id": r.source_id,
                "payload": r.payload,
                "payload_hash": r.payload_hash,
                "source_updated_at": r.source_updated_at,
                "pulled_at": now,
            }
            for r in records
        ],
        ["run_id", "system", "entity", "source_id"],
    )


def staged_records(
    connection: Connection, run_id: str, system: str, entity: str
) -> Iterator[StagedRecord]:
    """Yield the records landed by ``run_id`` for ``(system, entity)``, in key order."""
    result = connection.execute(
        select(
            staging.c.source_id,
            staging.c.payload,
            staging.c.payload_hash,
            staging.c.source_updated_at,
        )
        .where(
            staging.c.run_id == run_id,
            staging.c.system == system,
            staging.c.entity == entity,
        )
        .order_by(staging.c.source_id)
    )
    for row in result:
        yield StagedRecord(row[0], row[1], row[2], row[3])


def pulls_since_full_scan(connection: Connection, system: str, entity: str) -> int | None:
    """Return how many pulls of ``(system, entity)`` ran since its last full scan.

    Returns:
        0 when the newest pull read everything; None when no pull ever did.
    """
    modes = connection.execute(
        select(pull_log.c.mode)
        .where(pull_log.c.system == system, pull_log.c.entity == entity)
        .order_by(pull_log.c.finished_at.desc())
    ).scalars()
    for count, mode in enumerate(modes):
        if mode in FULL_MODES:
            return count
    return None
