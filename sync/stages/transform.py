"""Stage 2, map: turn a source's newly landed records into canonical records.

Records whose content did not change since the last run are skipped (the boundary rows an
incremental window re-reads, or an unchanged full scan). A record that cannot be mapped
is quarantined with the field, column and reason; the rest continue as ``pending`` for
the gate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mappings.engine import MappingError, map_inbound
from quality.masking import shown_value
from store.quarantine import QuarantineEntry, hold
from store.records import QUARANTINED, SourceRecordState, known_hashes, save_records
from store.staging import staged_records
from sync.context import SyncContext

log = logging.getLogger(__name__)

PENDING = "pending"


@dataclass(frozen=True)
class MapCounts:
    """What the map stage did with one source's batch."""

    staged: int
    unchanged: int
    mapped: int
    quarantined: int


def map_source(ctx: SyncContext, run_id: str, entity: str, system: str) -> MapCounts:
    """Map the records ``system`` landed in ``run_id``; quarantine those that do not fit."""
    mapping = ctx.mapping(system, entity)
    with ctx.engine.connect() as connection:
        staged = list(staged_records(connection, run_id, system, entity))
        known = known_hashes(connection, system, entity, [r.source_id for r in staged])
    states: list[SourceRecordState] = []
    held: list[QuarantineEntry] = []
    updated: dict[str, str] = {}
    unchanged = 0
    for record in staged:
        before = known.get(record.source_id)
        if before and before[0] == record.payload_hash and before[1] != PENDING:
            unchanged += 1
            continue
        if record.source_updated_at:
            updated[record.source_id] = record.source_updated_at
        try:
            canonical = map_inbound(mapping, record.source_id, record.payload)
        except MappingError as exc:
            held.append(
                QuarantineEntry(
                    system,
                    entity,
                    record.source_id,
                    "map",
                    "mapping",
                    exc.field,
                    shown_value(exc.field, exc.value),
                    exc.reason,
                    record.payload_hash,
                )
            )
            states.append(
                SourceRecordState(
                    system, entity, record.source_id, record.payload_hash, None, QUARANTINED
                )
            )
            continue
        states.append(
            SourceRecordState(
                system,
                entity,
                record.source_id,
                record.payload_hash,
                canonical.model_dump(mode="json"),
                PENDING,
            )
        )
    with ctx.engine.begin() as connection:
        save_records(connection, run_id, states, updated)
        hold(connection, run_id, held)
    counts = MapCounts(len(staged), unchanged, len(states) - len(held), len(held))
    log.info(
        "map %s/%s: %d staged, %d unchanged, %d mapped, %d quarantined",
        system,
        entity,
        counts.staged,
        counts.unchanged,
        counts.mapped,
        counts.quarantined,
    )
    return counts
