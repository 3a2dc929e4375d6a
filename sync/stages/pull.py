"""Stage 1, pull: read a source's changed records and land them with the new cursor.

The window continues from the saved (timestamp, key) cursor, so rows sharing the boundary
timestamp are neither skipped nor, where the connector orders by key, re-read. A **full
refresh** reads every record regardless of the cursor — on request (``crmsync run
--full-refresh``, the DAG param ``full_refresh``) or every ``entities.<e>.full_refresh_every``
pulls — to catch fields that change without touching the cursor (formula fields).

A pull that reads every record (a full refresh, a first pull, or a source without an
updated-at column) knows every key the source holds: the records the store knows for
that source but the pull no longer saw are **retired** in the same transaction that lands
the batch (source record marked deleted, cross-reference removed; the match stage then
retires golden records left without members and survive re-computes the others).
Incremental pulls leave deletes to the match stage's key scan (``match.detect_deletes``).

A connector that checkpoints its progress (a ``checkpoint`` attribute) pulls
**resumably** (:mod:`sync.stages.pull_resume`): each page it has handed out lands in
staging with its resume token, the cursor moves only when the whole window has landed,
and a pull interrupted mid-way is continued by the next one from its checkpoint.
"""

from __future__ import annotations

import logging

from connectors.base import PullWindow
from connectors.errors import FatalError
from mappings.spec import MappingSpec
from store.golden import retire_missing
from store.pull_checkpoints import drop_checkpoint
from store.quality_log import PullRecord, log_pull
from store.staging import Cursor, get_cursor, land_batch, pulls_since_full_scan
from sync.context import SyncContext
from sync.stages.pull_resume import abandon, collect_resumably

log = logging.getLogger(__name__)

INCREMENTAL = "incremental"
FULL_SCAN = "full"
FULL_REFRESH = "full refresh"


def pull_mode(
    mapping: MappingSpec,
    cursor: Cursor,
    requested: bool,
    every: int | None,
    since_full: int | None,
) -> str:
    """Decide how to pull: ``incremental``, ``full`` (no cursor to continue from) or
    ``full refresh`` (asked for, or ``every`` pulls since the last full one)."""
    if not mapping.source.updated_at or cursor.value is None:
        return FULL_SCAN
    if requested:
        return FULL_REFRESH
    if every is not None and (since_full is None or since_full + 1 >= every):
        return FULL_REFRESH
    return INCREMENTAL


def window_for(mode: str, cursor: Cursor) -> PullWindow:
    """The window a pull of ``mode`` reads, continuing from ``cursor`` when incremental."""
    if mode == INCREMENTAL:
        return PullWindow(since=cursor.value, since_key=cursor.key)
    return PullWindow(since=None, full_refresh=mode == FULL_REFRESH)


def pull_source(
    ctx: SyncContext, run_id: str, entity: str, system: str, *, full_refresh: bool = False
) -> int:
    """Pull ``entity`` from ``system`` since its cursor and land the batch.

    The rest of the landed rows and the new cursor are written in one transaction (a
    resumable pull landed its earlier pages with checkpoints; its checkpoint is deleted in
    that transaction too), and the number of distinct keys landed is checked against the
    source's own count for the window: a mismatch fails the pull instead of passing on an
    incomplete extract (and a resumable pull starts that window over next time). A pull
    that read every record retires, in the same transaction, the records the source no
    longer holds.

    Args:
        ctx: The sync context.
        run_id: The current run.
        entity: The entity pulled.
        system: The source system.
        full_refresh: Read every record regardless of the cursor.

    Returns:
        The number of records landed.
    """
    mapping = ctx.mapping(system, entity)
    connector = ctx.connector(system)
    every = ctx.settings.entity(entity).full_refresh_every
    with ctx.engine.connect() as connection:
        cursor = get_cursor(connection, system, entity)
        since_full = pulls_since_full_scan(connection, system, entity)
    mode = pull_mode(mapping, cursor, full_refresh, every, since_full)
    window = window_for(mode, cursor)
    log.info(
        "pull %s/%s (%s) since %s",
        system,
        entity,
        mode if mapping.source.updated_at else "full scan + content hash",
        f"{window.since} after key {window.since_key}" if window.since else "the beginning",
    )
    expected = connector.count(mapping, window)
    pulled, resumed = collect_resumably(ctx.engine, connector, run_id, mapping, window, cursor)
    landed = resumed.adopted | pulled.records.keys()
    if len(landed) < expected:
        if resumed.resumable:  # start the window over: its partial rows may be the cause
            with ctx.engine.begin() as connection:
                abandon(connection, run_id, mapping)
        adopted = f", {len(resumed.adopted)} of them from run {resumed.from_run}"
        raise FatalError(
            system,
            f"incomplete pull of {entity}: source counts {expected} records in the window, "
            f"{len(landed)} arrived{adopted if resumed.from_run else ''}",
        )
    stats = connector.stats(mapping)
    # A full pull's window still ends `lag` seconds before now, so records created since
    # (e.g. by our own publish a moment ago) are not in it: the keys the source holds now
    # decide what is gone, never the window alone.
    present = landed | set(connector.keys(mapping)) if mode != INCREMENTAL else set()
    with ctx.engine.begin() as connection:
        land_batch(connection, run_id, system, entity, list(pulled.unsaved.values()), pulled.newest)
        drop_checkpoint(connection, system, entity)
        log_pull(
            connection,
            PullRecord(
                run_id,
                system,
                entity,
                len(landed),
                stats.total,
                stats.newest_change,
                mode,
            ),
        )
        retired = (
            retire_missing(connection, run_id, entity, system, present)
            if mode != INCREMENTAL
            else []
        )
    if retired:
        log.info("pull %s/%s: retired %d records gone from it", system, entity, len(retired))
    log.info(
        "pull %s/%s: landed %d records, cursor now %s",
        system,
        entity,
        len(landed),
        pulled.newest.value,
    )
    return len(landed)
