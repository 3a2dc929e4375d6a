"""The push outbox and the record of what each target last received.

Publishing first writes every intended change to ``outbox`` with an idempotency key
(target, entity, golden id, target id, content), then sends, then marks the row sent and
records the payload hash in ``published``. A change whose hash equals what the target
last received is never sent again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from store.database import chunked, upsert
from store.schema import outbox, publish_log, published


@dataclass(frozen=True)
class OutboxItem:
    """One change for one target record."""

    target: str
    entity: str
    golden_id: str
    target_id: str
    operation: str  # create | update
    payload: dict[str, Any]
    payload_hash: str

    @property
    def idempotency_key(self) -> str:
        """Key that is equal for the same change of the same record, whatever the run."""
        text = "|".join(
            [self.target, self.entity, self.golden_id, self.target_id, self.payload_hash]
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def last_published(connection: Connection, target: str, entity: str) -> dict[str, str]:
    """Return ``target_id -> payload hash`` of what ``target`` last received."""
    rows = connection.execute(
        select(published.c.target_id, published.c.payload_hash).where(
            published.c.target == target, published.c.entity == entity
        )
    )
    return {r[0]: r[1] for r in rows}


def enqueue(connection: Connection, run_id: str, items: Sequence[OutboxItem]) -> list[OutboxItem]:
    """Add items to the outbox unless the same change is already there.

    Returns:
        The items that still need sending (new, or pending/failed from an earlier try).
    """
    if not items:
        return []
    keys = [i.idempotency_key for i in items]
    done: set[str] = set()
    for chunk in chunked(keys):
        done.update(
            r[0]
            for r in connection.execute(
                select(outbox.c.idempotency_key).where(
                    outbox.c.idempotency_key.in_(list(chunk)),
                    outbox.c.status == "sent",
                )
            )
        )
    now = datetime.now(UTC)
    rows = [
        {
            "run_id": run_id,
            "target": i.target,
            "entity": i.entity,
            "golden_id": i.golden_id,
            "target_id": i.target_id,
            "operation": i.operation,
            "payload": i.payload,
            "idempotency_key": i.idempotency_key,
            "status": "pending",
            "error": None,
            "created_at": now,
        }
        for i in items
        if i.idempotency_key not in done
    ]
    upsert(connection, outbox, rows, ["idempotency_key"])
    return [i for i in items if i.idempotency_key not in done]


def mark_sent(connection: Connection, run_id: str, items: Sequence[OutboxItem]) -> None:
    """Mark items sent and remember their payload hash as what the target received."""
    if not items:
        return
    now = datetime.now(UTC)
    keys = [i.idempotency_key for i in items]
    for chunk in chunked(keys):
        connection.execute(
            update(outbox)
            .where(outbox.c.idempotency_key.in_(list(chunk)))
            .values(status="sent", sent_at=now)
        )
    upsert(
        connection,
        published,
        [
            {
                "target": i.target,
                "entity": i.entity,
                "target_id": i.target_id,
                "golden_id": i.golden_id,
                "payload_hash": i.payload_hash,
                "run_id": run_id,
                "published_at": now,
            }
            for i in items
        ],
        ["target", "entity", "target_id"],
    )


def mark_failed(connection: Connection, items: Sequence[OutboxItem], error: str) -> None:
    """Mark items failed with the target's error message (they are retried next run)."""
    keys = [i.idempotency_key for i in items]
    for chunk in chunked(keys):
        connection.execute(
            update(outbox)
            .where(outbox.c.idempotency_key.in_(list(chunk)))
            .values(status="failed", error=error[:2000])
        )


def log_publish(
    connection: Connection, run_id: str, target: str, entity: str, counts: dict[str, int]
) -> None:
    """Record what publishing ``entity`` to ``target`` did in ``run_id``."""
    upsert(
        connection,
        publish_log,
        [
            {
                "run_id": run_id,
                "target": target,
                "entity": entity,
                "created": counts["created"],
                "updated": counts["updated"],
                "unchanged": counts["unchanged"],
                "finished_at": datetime.now(UTC),
            }
        ],
        ["run_id", "target"],
    )


def publish_counts(connection: Connection, run_id: str) -> dict[str, dict[str, int]]:
    """Return ``target -> {created, updated, unchanged}`` logged for ``run_id``."""
    rows = connection.execute(
        select(
            publish_log.c.target,
            publish_log.c.created,
            publish_log.c.updated,
            publish_log.c.unchanged,
        ).where(publish_log.c.run_id == run_id)
    )
    return {r[0]: {"created": r[1], "updated": r[2], "unchanged": r[3]} for r in rows}
