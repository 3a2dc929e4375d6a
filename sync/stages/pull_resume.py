"""Reading one window of a source, resumably: a store-backed checkpoint for the connector.

A connector with a ``checkpoint`` attribute (see :mod:`connectors.http.checkpoint`) gets a
:class:`StoreCheckpoint` for the pull. Each ``save(token)`` lands the records received
since the previous save in staging under the current run, together with the token, in one
transaction — the cursor does not move — so everything before the token is durable. The
connector's ``clear()`` is only noted: the stage deletes the checkpoint in the transaction
that lands the rest and moves the cursor.

A pull that finds a checkpoint of an earlier, interrupted pull of the **same** window
(same cursor, same full-refresh flag, same mapping) adopts the rows that pull landed
(re-keyed to the current run, see :func:`store.pull_checkpoints.adopt_staged`) and hands
the token to the connector, which continues after it. An Airflow retry of the pull task
keeps its crmsync run id: the rows are already the run's own. A checkpoint of another
window (the cursor moved, a full refresh was asked for, the mapping changed) is discarded
and its rows ignored. Connectors without a ``checkpoint`` attribute read the window in one
go, as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqlalchemy import Connection, Engine

from connectors.base import Connector, PullWindow
from connectors.http.checkpoint import Checkpoint
from mappings.spec import MappingSpec
from store.pull_checkpoints import (
    PullCheckpoint,
    adopt_staged,
    drop_checkpoint,
    load_checkpoint,
    save_checkpoint,
    staged_keys,
    unstage,
)
from store.staging import Cursor, StagedRecord, payload_hash, stage_records

log = logging.getLogger(__name__)


@runtime_checkable
class Checkpointing(Protocol):
    """A connector that resumes an interrupted pull from a :class:`Checkpoint`."""

    checkpoint: Checkpoint | None


@dataclass
class PulledWindow:
    """What one window of one source yielded: records by key and the newest position.

    ``unsaved`` holds the records not landed yet (by a checkpoint save).
    """

    records: dict[str, StagedRecord] = field(default_factory=dict)
    newest: Cursor = field(default_factory=lambda: Cursor(None))
    unsaved: dict[str, StagedRecord] = field(default_factory=dict)

    def add(self, record: StagedRecord) -> None:
        """Keep ``record`` (a later read of a key replaces the earlier one)."""
        self.records[record.source_id] = record
        self.unsaved[record.source_id] = record
        # Records arrive in (timestamp, key) order: the last at the newest timestamp
        # carries the key the next window continues after.
        stamp, newest = record.source_updated_at, self.newest.value
        if stamp and (newest is None or stamp >= newest):
            self.newest = Cursor(stamp, record.source_id)


@dataclass(frozen=True)
class Resumption:
    """What an interrupted pull of the same window left: the token and the rows adopted."""

    resumable: bool = False
    """Whether the connector checkpoints at all."""
    token: str | None = None
    adopted: frozenset[str] = frozenset()
    newest: Cursor | None = None
    from_run: str | None = None


def window_fingerprint(mapping: MappingSpec, window: PullWindow) -> str:
    """Return what identifies a window: entity, cursor, full-refresh flag and the mapping.

    A changed mapping may read other columns, so rows landed under the old one are not
    adopted.
    """
    text = json.dumps(
        [
            mapping.entity,
            window.since,
            window.since_key,
            window.full_refresh,
            mapping.model_dump_json(),
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def take_over(
    connection: Connection, run_id: str, mapping: MappingSpec, fingerprint: str
) -> Resumption:
    """Adopt the checkpoint of an interrupted pull of this window, or discard another's.

    Args:
        connection: In the caller's transaction.
        run_id: The current run.
        mapping: The mapping pulled.
        fingerprint: :func:`window_fingerprint` of the window about to be read.
    """
    system, entity = mapping.system, mapping.entity
    saved = load_checkpoint(connection, system, entity)
    if saved is None:
        return Resumption(resumable=True)
    if saved.window != fingerprint:
        log.info(
            "pull %s/%s: discarding the checkpoint of run %s (%d records): it was for "
            "another window",
            system,
            entity,
            saved.run_id,
            saved.records_landed,
        )
        drop_checkpoint(connection, system, entity)
        if saved.run_id == run_id:
            unstage(connection, run_id, system, entity)
        return Resumption(resumable=True)
    adopt_staged(connection, saved.run_id, run_id, system, entity)
    adopted = frozenset(staged_keys(connection, run_id, system, entity))
    log.info(
        "resuming %s/%s after %d records landed by run %s",
        system,
        entity,
        len(adopted),
        saved.run_id,
    )
    return Resumption(True, saved.token, adopted, saved.newest, saved.run_id)


def abandon(connection: Connection, run_id: str, mapping: MappingSpec) -> None:
    """Forget the current run's partial pull of the mapping's entity (the next starts over)."""
    drop_checkpoint(connection, mapping.system, mapping.entity)
    unstage(connection, run_id, mapping.system, mapping.entity)


class StoreCheckpoint:
    """The :class:`Checkpoint` the pull stage gives a connector: tokens live in the store.

    Args:
        engine: The store.
        run_id: The current run (staging rows land under it).
        mapping: The mapping pulled.
        fingerprint: The window's :func:`window_fingerprint`.
        pulled: The window being collected (its ``unsaved`` records land on ``save``).
        resumption: What the pull adopted (the token to resume after, the adopted keys).
    """

    def __init__(
        self,
        engine: Engine,
        run_id: str,
        mapping: MappingSpec,
        fingerprint: str,
        pulled: PulledWindow,
        resumption: Resumption,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.mapping = mapping
        self.fingerprint = fingerprint
        self.pulled = pulled
        self.token = resumption.token
        self.landed: set[str] = set(resumption.adopted)
        self.saves = 0
        self.finished = False

    def load(self) -> str | None:
        """Return the token to resume after (None: read the window from its start)."""
        return self.token

    def save(self, token: str) -> None:
        """Land the records received since the last save and ``token``, in one transaction."""
        system, entity = self.mapping.system, self.mapping.entity
        records = list(self.pulled.unsaved.values())
        with self.engine.begin() as connection:
            stage_records(connection, self.run_id, system, entity, records)
            landed = len(self.landed | self.pulled.unsaved.keys())
            save_checkpoint(
                connection,
                PullCheckpoint(
                    system,
                    entity,
                    self.run_id,
                    self.fingerprint,
                    token,
                    landed,
                    self.pulled.newest,
                ),
            )
        self.landed.update(self.pulled.unsaved)
        self.pulled.unsaved.clear()
        self.token = token
        self.saves += 1

    def clear(self) -> None:
        """Note that the pull finished; the stage deletes the checkpoint when it lands."""
        self.finished = True


def collect_window(
    connector: Connector, mapping: MappingSpec, window: PullWindow, pulled: PulledWindow
) -> PulledWindow:
    """Read ``window`` from the connector into ``pulled``, de-duplicated by key."""
    label = f"{mapping.system}/{mapping.entity}"
    for raw in connector.pull(mapping, window):
        pulled.add(
            StagedRecord(raw.source_id, raw.payload, payload_hash(raw.payload), raw.updated_at)
        )
        if len(pulled.records) % 5000 == 0:
            log.info("pull %s: %d records so far", label, len(pulled.records))
    return pulled


def collect_resumably(
    engine: Engine,
    connector: Connector,
    run_id: str,
    mapping: MappingSpec,
    window: PullWindow,
    cursor: Cursor,
) -> tuple[PulledWindow, Resumption]:
    """Read ``window``, resuming an interrupted pull of it where the connector can.

    Returns:
        The records read now (those not landed by a checkpoint save are ``unsaved``) and
        what was adopted from the interrupted pull.
    """
    if not isinstance(connector, Checkpointing):
        return collect_window(connector, mapping, window, PulledWindow(newest=cursor)), Resumption()
    fingerprint = window_fingerprint(mapping, window)
    with engine.begin() as connection:
        resumption = take_over(connection, run_id, mapping, fingerprint)
    pulled = PulledWindow(newest=resumption.newest or cursor)
    connector.checkpoint = StoreCheckpoint(engine, run_id, mapping, fingerprint, pulled, resumption)
    try:
        collect_window(connector, mapping, window, pulled)
    finally:
        connector.checkpoint = None
    return pulled, resumption
