"""Stage 1, pull: read a source's changed records and land them with the new cursor."""

from __future__ import annotations

import logging

from connectors.base import PullWindow
from connectors.errors import FatalError
from store.quality_log import PullRecord, log_pull
from store.staging import Cursor, StagedRecord, get_cursor, land_batch, payload_hash
from sync.context import SyncContext

log = logging.getLogger(__name__)


def pull_source(ctx: SyncContext, run_id: str, entity: str, system: str) -> int:
    """Pull ``entity`` from ``system`` since its cursor and land the batch.

    The landed rows and the new cursor are written in one transaction, and the number of
    landed rows is checked against the source's own count for the window: a mismatch
    fails the pull instead of passing on an incomplete extract.

    Returns:
        The number of records landed.
    """
    mapping = ctx.mapping(system, entity)
    connector = ctx.connector(system)
    with ctx.engine.connect() as connection:
        cursor = get_cursor(connection, system, entity)
    window = PullWindow(since=cursor.value if mapping.source.updated_at else None)
    mode = "incremental" if mapping.source.updated_at else "full scan + content hash"
    log.info("pull %s/%s (%s) since %s", system, entity, mode, window.since or "the beginning")
    expected = connector.count(mapping, window)
    records: dict[str, StagedRecord] = {}
    newest = cursor
    for raw in connector.pull(mapping, window):
        records[raw.source_id] = StagedRecord(
            raw.source_id, raw.payload, payload_hash(raw.payload), raw.updated_at
        )
        if raw.updated_at and (newest.value is None or raw.updated_at >= newest.value):
            newest = Cursor(raw.updated_at, raw.source_id)
        if len(records) % 5000 == 0:
            log.info("pull %s/%s: %d records so far", system, entity, len(records))
    if len(records) < expected:
        raise FatalError(
            system,
            f"incomplete pull of {entity}: source counts {expected} records in the window, "
            f"{len(records)} arrived",
        )
    stats = connector.stats(mapping)
    with ctx.engine.begin() as connection:
        land_batch(connection, run_id, system, entity, list(records.values()), newest)
        log_pull(
            connection,
            PullRecord(
                run_id,
                system,
                entity,
                len(records),
                stats.total,
                stats.newest_change,
                "incremental" if mapping.source.updated_at else "full",
            ),
        )
    log.info(
        "pull %s/%s: landed %d records, cursor now %s", system, entity, len(records), newest.value
    )
    return len(records)
