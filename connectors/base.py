"""The Connector protocol every system connector implements, and the records it moves."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from mappings.spec import MappingSpec


@dataclass(frozen=True)
class RawRecord:
    """One record as pulled: its primary key, the raw columns, its change timestamp."""

    source_id: str
    payload: dict[str, Any]
    updated_at: str | None


@dataclass(frozen=True)
class PullWindow:
    """An incremental window on the (timestamp, key) cursor.

    Records changed at or after ``since`` are in the window (None: full scan). Rows that
    share the boundary timestamp are re-read; ``since_key`` (the key of the last record
    landed at ``since``) lets a connector that orders by (timestamp, key) skip the ones
    already landed instead. ``full_refresh`` asks for every record regardless of the
    cursor (fields that change without touching it, e.g. formula fields).
    """

    since: str | None
    since_key: str | None = None
    full_refresh: bool = False


@dataclass(frozen=True)
class SourceStats:
    """What the source says about the entity as a whole: how many records, newest change."""

    total: int
    newest_change: str | None


@dataclass(frozen=True)
class PushRow:
    """One record to write to a target: its key, the columns, create or update."""

    target_id: str
    values: dict[str, Any]
    create: bool
    golden_id: str | None = None
    """The golden id the record belongs to. A create first looks for a record that already
    carries it (lookup before create), so a create retried after a crash between the
    write and crmsync's bookkeeping finds its record instead of making a second one."""
    expected_updated_at: str | None = None
    """For an update: the target's change timestamp as crmsync last pulled it. A record
    whose timestamp moved since is not overwritten (reported in ``PushResult.conflicts``).
    None: no check."""


@dataclass
class PushResult:
    """What a push did: counts and the records the target rejected, with its message."""

    created: int = 0
    updated: int = 0
    rejected: dict[str, str] = field(default_factory=dict)
    assigned_ids: dict[str, str] = field(default_factory=dict)
    """Provisional target id (from the create template) → the id the target assigned,
    for systems that choose their own keys (REST APIs). Absent: the provisional id is
    the record's key."""
    conflicts: dict[str, str] = field(default_factory=dict)
    """Target id → what was found, for updates not written because the record changed in
    the target since crmsync pulled it (``PushRow.expected_updated_at``)."""


class Connector(Protocol):
    """A system crmsync reads from and writes to.

    Implementations never import Airflow and never log secrets.
    """

    system: str

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield the entity's records changed in ``window``, ordered by (timestamp, key)."""
        ...

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return how many records the source holds in ``window`` (completeness check)."""
        ...

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return the source's own record count and newest change timestamp for the entity."""
        ...

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield the primary key of every record the source holds now (delete detection)."""
        ...

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Create or update ``rows`` in the target, idempotently (upsert on the key)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class DeclaresUnsentFields(Protocol):
    """A connector whose settings keep it from writing some canonical fields.

    Optional beside :class:`Connector`: the publish stage treats the fields as owned by the
    target (``systems.<name>.owns``), so they are never planned as changes and the target's
    own values count as what our write left there (echo detection).
    """

    def unsent_fields(self, entity: str) -> tuple[str, ...]:
        """Return the canonical fields (top-level or dotted) this connector never writes."""
        ...
