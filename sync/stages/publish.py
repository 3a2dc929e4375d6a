"""Stage 7, publish: write golden values and golden ids back to a target system.

For every active golden record, each of the target's records linked to it receives the
golden values through the target's outbound mapping, plus the golden id. A golden record
the target does not hold yet is created there when the mapping allows it (with a key
derived from the golden id, so a retried create cannot duplicate), and the new record is
cross-referenced at once. What the target last received is remembered: a payload equal to
it is not sent again. Golden records held by the golden gate are not sent. Every change
goes through the outbox first.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from connectors.base import PushRow
from mappings.engine import map_outbound, render_create_values
from store.golden import XrefLink, load_active_golden, members_by_golden, save_xrefs
from store.outbox import (
    OutboxItem,
    enqueue,
    last_published,
    log_publish,
    mark_failed,
    mark_sent,
)
from store.records import QUARANTINED, records_with_status
from store.staging import payload_hash
from sync.context import SyncContext
from sync.stages.gate import held_golden_ids

log = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class PublishCounts:
    """What publishing to one target did."""

    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dict."""
        return asdict(self)


def plan_target(ctx: SyncContext, entity: str, target: str) -> tuple[list[OutboxItem], int]:
    """Return the changes ``target`` needs and the number of linked records already current."""
    mapping = ctx.mapping(target, entity)
    outbound = mapping.outbound
    if outbound is None:
        return [], 0
    with ctx.engine.connect() as connection:
        golden = load_active_golden(connection, entity)
        members = members_by_golden(connection, entity)
        sent = last_published(connection, target, entity)
        held = {
            s.source_id
            for s in records_with_status(connection, entity, QUARANTINED)
            if s.system == target
        }
    blocked = held_golden_ids(ctx, entity)
    items: list[OutboxItem] = []
    unchanged = 0
    for golden_id in sorted(set(golden) - blocked):
        values = map_outbound(mapping, golden[golden_id].data)
        if outbound.golden_id_column:
            values[outbound.golden_id_column] = golden_id
        digest = payload_hash(values)
        linked = [sid for system, sid in members.get(golden_id, []) if system == target]
        linked = [sid for sid in linked if sid not in held]
        if not linked and outbound.create is not None:
            new_id, extra = render_create_values(mapping, golden_id)
            create_values = {**extra, **values}
            items.append(
                OutboxItem(target, entity, golden_id, new_id, "create", create_values, digest)
            )
            continue
        for target_id in linked:
            if sent.get(target_id) == digest:
                unchanged += 1
                continue
            items.append(OutboxItem(target, entity, golden_id, target_id, "update", values, digest))
    return items, unchanged


def publish_target(ctx: SyncContext, run_id: str, entity: str, target: str) -> PublishCounts:
    """Push golden records of ``entity`` to ``target``; return created/updated/unchanged."""
    items, unchanged = plan_target(ctx, entity, target)
    mapping = ctx.mapping(target, entity)
    connector = ctx.connector(target)
    with ctx.engine.begin() as connection:
        todo = enqueue(connection, run_id, items)
    created = updated = 0
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        rows = [PushRow(i.target_id, i.payload, i.operation == "create") for i in batch]
        try:
            result = connector.push(mapping, rows)
        except Exception as exc:
            with ctx.engine.begin() as connection:
                mark_failed(connection, batch, str(exc))
            raise
        created += result.created
        updated += result.updated
        with ctx.engine.begin() as connection:
            mark_sent(connection, run_id, batch)
            save_xrefs(
                connection,
                run_id,
                entity,
                [
                    XrefLink(target, i.target_id, i.golden_id, 1.0, "created by publish")
                    for i in batch
                    if i.operation == "create"
                ],
            )
        log.info("publish %s → %s: %d/%d sent", entity, target, start + len(batch), len(todo))
    counts = PublishCounts(created, updated, unchanged + len(items) - len(todo))
    with ctx.engine.begin() as connection:
        log_publish(connection, run_id, target, entity, counts.as_dict())
    log.info("publish %s → %s: %s", entity, target, counts.as_dict())
    return counts
