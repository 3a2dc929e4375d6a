"""Stage 3, gate: quarantine records that break a quality rule; stop a bad batch.

Works on the records the map stage left ``pending``. Failing records go to quarantine
with rule, field and masked value; passing ones become ``ok`` and any open quarantine
entry of theirs is released (a fixed record comes back by itself). If the share of
failures in this run is above the entity's limit, the run is marked blocked and stops
here: nothing is matched or pushed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from quality.gate import BatchBlockedError, check_rows, enforce_failure_ratio
from quality.masking import shown_value
from store.quarantine import QuarantineEntry, hold, release
from store.records import OK, QUARANTINED, records_with_status, set_status
from store.runs import finish_run
from store.schema import quarantine
from sync.context import SyncContext
from sync.stages.transform import PENDING

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateCounts:
    """What the gate did in one run."""

    checked: int
    passed: int
    quarantined: int
    released: int


def gate_entity(ctx: SyncContext, run_id: str, entity: str) -> GateCounts:
    """Gate the pending records of ``entity``.

    Raises:
        BatchBlockedError: When the failure share exceeds the limit (the run is marked blocked).
    """
    with ctx.engine.connect() as connection:
        pending = records_with_status(connection, entity, PENDING)
        map_failures = connection.execute(
            quarantine.select().where(
                quarantine.c.run_id == run_id,
                quarantine.c.entity == entity,
                quarantine.c.stage == "map",
            )
        ).all()
    rows = [(r.system, r.source_id, r.canonical or {}) for r in pending]
    hashes = {(r.system, r.source_id): r.payload_hash for r in pending}
    outcome = check_rows(entity, rows)
    entries = [
        QuarantineEntry(
            system,
            entity,
            source_id,
            "gate",
            f.rule,
            f.field,
            shown_value(f.field, f.value),
            f.reason,
            hashes[(system, source_id)],
        )
        for (system, source_id), failures in outcome.failed.items()
        for f in failures
    ]
    failed = len(outcome.failed) + len(map_failures)
    total = len(rows) + len(map_failures)
    limit = ctx.settings.entity(entity).gate.max_failure_ratio
    try:
        enforce_failure_ratio(entity, failed, total, limit)
    except BatchBlockedError as exc:
        with ctx.engine.begin() as connection:
            hold(connection, run_id, entries)
            finish_run(connection, run_id, "blocked", cause=str(exc))
        log.error("gate blocked: %s", exc)
        raise
    released = 0
    with ctx.engine.begin() as connection:
        hold(connection, run_id, entries)
        set_status(connection, entity, list(outcome.failed), QUARANTINED)
        set_status(connection, entity, outcome.passed, OK)
        by_system: dict[str, list[str]] = {}
        for system, source_id in outcome.passed:
            by_system.setdefault(system, []).append(source_id)
        for system, ids in by_system.items():
            released += release(connection, run_id, system, entity, ids)
    counts = GateCounts(len(rows), len(outcome.passed), len(outcome.failed), released)
    log.info(
        "gate %s: %d checked, %d passed, %d quarantined, %d released",
        entity,
        counts.checked,
        counts.passed,
        counts.quarantined,
        counts.released,
    )
    return counts
