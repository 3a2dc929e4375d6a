"""Stage 2, map: turn a source's newly landed records into canonical records.

Records whose content did not change since the last run are skipped (the boundary rows an
incremental window re-reads, or an unchanged full scan). A record that cannot be mapped
is quarantined with the field, column and reason; the rest continue as ``pending`` for
the gate.

A record whose written columns equal what crmsync last sent it changed only through our
own push: it keeps its golden record link (``needs_match`` false) instead of being matched
afresh, so publishing never feeds back into matching. So is a record an interrupted create
made under an id the target chose: unknown by its id, it carries the golden id of a create
in doubt, with exactly that create's content.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

from mappings.engine import MappingError, map_inbound, outbound_projection
from mappings.spec import MappingSpec
from quality.masking import shown_value
from store.outbox import last_published, unconfirmed_create_hashes
from store.quarantine import QuarantineEntry, hold
from store.records import QUARANTINED, SourceRecordState, known_states, save_records
from store.staging import payload_hash, staged_records
from sync.context import SyncContext

log = logging.getLogger(__name__)

PENDING = "pending"


def written_fields(mapping: MappingSpec) -> set[str]:
    """Return the canonical fields (dotted paths) crmsync writes to this system."""
    if mapping.outbound is None:
        return set()
    return {rule.field for rule in mapping.outbound.rules().values() if rule.field}


def _without_echo(
    values: dict[str, Any], previous: dict[str, Any], written: set[str]
) -> dict[str, Any]:
    """Undo what our own push changed: the fields we write and the change timestamp.

    What we wrote came from the golden record; fed back as source values it would let a
    lossy target (a name cut to its column width) or a moved timestamp rewrite the golden
    record. Fields we do not write keep the system's new values.
    """
    restored = copy.deepcopy(values)
    # Whole top-level values come back, so an address or an amount stays coherent.
    for name in sorted({path.split(".", 1)[0] for path in written}):
        restored[name] = copy.deepcopy(previous.get(name))
    restored["updated_at"] = previous.get("updated_at")
    return restored


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
        known = known_states(connection, system, entity, [r.source_id for r in staged])
        sent = last_published(connection, system, entity)
        in_doubt = unconfirmed_create_hashes(connection, system, entity)
    golden_column = mapping.outbound.golden_id_column if mapping.outbound else None
    written = written_fields(mapping)
    states: list[SourceRecordState] = []
    held: list[QuarantineEntry] = []
    updated: dict[str, str] = {}
    unchanged = 0
    for record in staged:
        before = known.get(record.source_id)
        if before and before.payload_hash == record.payload_hash and before.status != PENDING:
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
        projected = payload_hash(outbound_projection(mapping, record.payload))
        echo = sent.get(record.source_id) == projected or (
            record.source_id not in sent
            and golden_column is not None
            and projected in in_doubt.get(str(record.payload.get(golden_column) or ""), ())
        )
        values = canonical.model_dump(mode="json")
        ignored: list[str] | None = None
        if echo and before is not None and before.canonical:
            values = _without_echo(values, before.canonical, written)
        elif echo:
            # A record crmsync created: everything we wrote came from the golden record.
            ignored = sorted({path.split(".", 1)[0] for path in written} | {"updated_at"})
        states.append(
            SourceRecordState(
                system,
                entity,
                record.source_id,
                record.payload_hash,
                values,
                PENDING,
                needs_match=not echo,
                ignored_fields=ignored,
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
