"""The push outbox and the record of what each target last received.

Publishing first writes every intended change to ``outbox`` with an idempotency key
(target, entity, golden id, target id, content), then sends, then marks the row sent and
records the payload hash in ``published``. ``published`` holds only what a target
confirmed; a change that was enqueued (or sent) but whose outcome is unknown — the
process died between the write and this bookkeeping — is *in doubt*: the next run plans
it again (the target's upsert on the key, or its lookup before create on the golden id,
makes the repeat harmless), and meanwhile its hash still counts as something the target
may hold, so the record's echo is not mistaken for a change made in the target.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from store.database import chunked, upsert
from store.schema import outbox, publish_log, published, xrefs

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
REJECTED = "rejected"
CONFLICT = "conflict"
IN_DOUBT = (PENDING, FAILED)
"""Statuses of a change that may or may not have reached the target."""


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
    expected_updated_at: str | None = None
    """The target record's change timestamp as last pulled (compare-and-set); not part of
    the change's identity."""

    @property
    def idempotency_key(self) -> str:
        """Key that is equal for the same change of the same record, whatever the run."""
        text = "|".join(
            [self.target, self.entity, self.golden_id, self.target_id, self.payload_hash]
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def confirmed_published(connection: Connection, target: str, entity: str) -> dict[str, str]:
    """Return ``target_id -> payload hash`` of what ``target`` confirmed receiving."""
    rows = connection.execute(
        select(published.c.target_id, published.c.payload_hash).where(
            published.c.target == target, published.c.entity == entity
        )
    )
    return {r[0]: r[1] for r in rows}


def last_published(connection: Connection, target: str, entity: str) -> dict[str, str]:
    """Return ``target_id -> payload hash`` of what ``target`` holds as far as we know.

    The confirmed hash, replaced by the newest in-doubt change's hash where one exists:
    a record that comes back with exactly that content carries our own write.
    """
    held = confirmed_published(connection, target, entity)
    rows = connection.execute(
        select(outbox.c.target_id, outbox.c.payload_hash)
        .where(
            outbox.c.target == target,
            outbox.c.entity == entity,
            outbox.c.status.in_(IN_DOUBT),
            outbox.c.payload_hash.is_not(None),
        )
        .order_by(outbox.c.id)
    )
    held.update({r[0]: r[1] for r in rows})
    return held


def unconfirmed_creates(connection: Connection, target: str, entity: str) -> set[str]:
    """Return the provisional ids of creates in ``target`` that were never confirmed."""
    rows = connection.execute(
        select(outbox.c.target_id).where(
            outbox.c.target == target,
            outbox.c.entity == entity,
            outbox.c.operation == "create",
            outbox.c.status != SENT,
        )
    )
    confirmed = confirmed_published(connection, target, entity)
    return {r[0] for r in rows if r[0] not in confirmed}


def records_carrying(
    connection: Connection, target: str, entity: str, golden_ids: Collection[str]
) -> dict[str, set[str]]:
    """Return ``golden_id -> target ids`` of the records whose golden-id column crmsync
    wrote that golden id into (confirmed), or may have (an update in doubt).

    A record that left a golden record still carries its id until publish rewrites it;
    a lookup before create by that id would find it and take it over.
    """
    found: dict[str, set[str]] = {}
    for chunk in chunked(sorted(golden_ids)):
        confirmed = select(published.c.golden_id, published.c.target_id).where(
            published.c.target == target,
            published.c.entity == entity,
            published.c.golden_id.in_(list(chunk)),
        )
        in_doubt = select(outbox.c.golden_id, outbox.c.target_id).where(
            outbox.c.target == target,
            outbox.c.entity == entity,
            outbox.c.operation == "update",
            outbox.c.status.in_(IN_DOUBT),
            outbox.c.golden_id.in_(list(chunk)),
        )
        for query in (confirmed, in_doubt):
            for golden_id, target_id in connection.execute(query):
                if target_id is not None:
                    found.setdefault(golden_id, set()).add(target_id)
    return found


def unconfirmed_create_hashes(
    connection: Connection, target: str, entity: str
) -> dict[str, set[str]]:
    """Return ``golden_id -> payload hashes`` of creates in ``target`` never confirmed.

    A pulled record that carries one of these golden ids with exactly such content is the
    record an interrupted create made (under an id the target chose), i.e. our own write.
    """
    provisional = unconfirmed_creates(connection, target, entity)
    rows = connection.execute(
        select(outbox.c.golden_id, outbox.c.target_id, outbox.c.payload_hash).where(
            outbox.c.target == target,
            outbox.c.entity == entity,
            outbox.c.operation == "create",
            outbox.c.status != SENT,
        )
    )
    found: dict[str, set[str]] = {}
    for golden_id, target_id, digest in rows:
        if target_id in provisional and digest:
            found.setdefault(golden_id, set()).add(digest)
    return found


def settle_found_create(
    connection: Connection, run_id: str, target: str, entity: str, golden_id: str, real_id: str
) -> str | None:
    """Settle an interrupted create of ``golden_id`` in ``target`` by the record found.

    The create reached the target (a pulled record, ``real_id``, carries the golden id)
    but its bookkeeping was lost. Its outbox rows are marked sent under the real id, the
    newest one's content is recorded as what the target holds, and the provisional
    cross-reference moves to the real id — so the next publish updates that record
    instead of sending the create again.

    Returns:
        The provisional id settled, or None when ``golden_id`` has no create in doubt in
        ``target``.
    """
    provisional = unconfirmed_creates(connection, target, entity)
    rows = connection.execute(
        select(outbox.c.target_id, outbox.c.payload, outbox.c.payload_hash)
        .where(
            outbox.c.target == target,
            outbox.c.entity == entity,
            outbox.c.golden_id == golden_id,
            outbox.c.operation == "create",
            outbox.c.status != SENT,
        )
        .order_by(outbox.c.id.desc())
    ).all()
    # The provisional cross-reference may be gone already: a full pull retires the ids
    # the target does not hold, and it never held the provisional one.
    newest = next((r for r in rows if r[0] in provisional), None)
    if newest is None:
        return None
    item = OutboxItem(target, entity, golden_id, newest[0], "create", newest[1], newest[2])
    mark_sent(connection, run_id, [item], {item.target_id: real_id})
    # Older attempts of the same create (an earlier payload) reached nothing more.
    connection.execute(
        update(outbox)
        .where(
            outbox.c.target == target,
            outbox.c.entity == entity,
            outbox.c.target_id == item.target_id,
            outbox.c.operation == "create",
            outbox.c.status != SENT,
        )
        .values(status=SENT, target_id=real_id, error=None)
    )
    return item.target_id


def known_keys(connection: Connection, keys: Sequence[str]) -> set[str]:
    """Return those of ``keys`` already in the outbox and not sent (enqueued by an
    earlier run that got past the circuit breaker)."""
    found: set[str] = set()
    for chunk in chunked(keys):
        found.update(
            connection.execute(
                select(outbox.c.idempotency_key).where(
                    outbox.c.idempotency_key.in_(list(chunk)), outbox.c.status != SENT
                )
            ).scalars()
        )
    return found


def has_history(connection: Connection, target: str, entity: str) -> bool:
    """Return True when crmsync has ever published (or tried to) ``entity`` to ``target``."""
    row = connection.execute(
        select(outbox.c.id).where(outbox.c.target == target, outbox.c.entity == entity).limit(1)
    ).first()
    return row is not None


def enqueue(connection: Connection, run_id: str, items: Sequence[OutboxItem]) -> list[OutboxItem]:
    """Write ``items`` to the outbox as pending (an existing row of the same change is
    re-armed: the plan only asks for changes the target does not hold).

    Returns:
        The items, all of which are to be sent.
    """
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
            "payload_hash": i.payload_hash,
            "idempotency_key": i.idempotency_key,
            "status": PENDING,
            "error": None,
            "created_at": now,
        }
        for i in items
    ]
    upsert(connection, outbox, rows, ["idempotency_key"])
    return list(items)


def _set_status(
    connection: Connection, items: Sequence[OutboxItem], status: str, error: str | None
) -> None:
    keys = [i.idempotency_key for i in items]
    for chunk in chunked(keys):
        connection.execute(
            update(outbox)
            .where(outbox.c.idempotency_key.in_(list(chunk)))
            .values(status=status, error=error[:2000] if error else None)
        )


def mark_sent(
    connection: Connection,
    run_id: str,
    items: Sequence[OutboxItem],
    assigned_ids: Mapping[str, str] | None = None,
) -> None:
    """Mark items sent and remember their payload hash as what the target holds.

    Args:
        connection: The store, in the transaction of the batch's bookkeeping.
        run_id: The run that sent them.
        items: The changes the target accepted.
        assigned_ids: Provisional id → the id the target gave a created record (or the
            record found by its golden id); its cross-reference and ``published`` row are
            keyed by the real id.
    """
    if not items:
        return
    assigned = dict(assigned_ids or {})
    now = datetime.now(UTC)
    keys = [i.idempotency_key for i in items]
    for chunk in chunked(keys):
        connection.execute(
            update(outbox)
            .where(outbox.c.idempotency_key.in_(list(chunk)))
            .values(status=SENT, sent_at=now, error=None)
        )
    for item in items:
        real = assigned.get(item.target_id)
        if real and real != item.target_id:
            _rekey_created(connection, item, real, run_id)
    upsert(
        connection,
        published,
        [
            {
                "target": i.target,
                "entity": i.entity,
                "target_id": assigned.get(i.target_id, i.target_id),
                "golden_id": i.golden_id,
                "payload_hash": i.payload_hash,
                "run_id": run_id,
                "published_at": now,
            }
            for i in items
        ],
        ["target", "entity", "target_id"],
    )


def _rekey_created(connection: Connection, item: OutboxItem, real_id: str, run_id: str) -> None:
    """Move a created record's cross-reference from its provisional id to its real id."""
    connection.execute(
        delete(xrefs).where(
            xrefs.c.system == item.target,
            xrefs.c.entity == item.entity,
            xrefs.c.source_id == item.target_id,
        )
    )
    upsert(
        connection,
        xrefs,
        [
            {
                "system": item.target,
                "entity": item.entity,
                "source_id": real_id,
                "golden_id": item.golden_id,
                "match_score": "1.0",
                "match_reason": "created by publish",
                "linked_run": run_id,
            }
        ],
        ["system", "entity", "source_id"],
    )
    connection.execute(
        update(outbox)
        .where(outbox.c.idempotency_key == item.idempotency_key)
        .values(target_id=real_id)
    )


def mark_failed(connection: Connection, items: Sequence[OutboxItem], error: str) -> None:
    """Mark items failed with the error (in doubt: planned again next run)."""
    _set_status(connection, items, FAILED, error)


def mark_rejected(connection: Connection, items: Sequence[OutboxItem], error: str) -> None:
    """Mark items the target refused (their dead letter holds the message)."""
    _set_status(connection, items, REJECTED, error)


def mark_conflict(connection: Connection, items: Sequence[OutboxItem], detail: str) -> None:
    """Mark updates not written because the target changed the record since our pull."""
    _set_status(connection, items, CONFLICT, detail)


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
