"""What a connector kind provides to run the contract suite against a real source.

A **harness** (:class:`ContractHarness`) knows how to bring up one fresh, seeded source
of its kind — a SQLite file, a table in the machine's PostgreSQL, a peer server, a
recorded or fault-injecting HTTP transport — and yields it as a :class:`ContractSource`:
the mapping under test, a connector on it, ways to change, delete and push records, and
connectors whose source fails in a chosen way (:class:`Fault`).

Add a harness by writing a module in ``tests/connectors/contract/harnesses/`` that
defines ``HARNESSES: list[ContractHarness]``; ``test_contract.py`` runs every property
over every harness found there. A harness whose service is down calls
``tests.conftest.need_service`` from :meth:`ContractHarness.open` (skip on a developer
machine, fail in CI).

What the seed must hold (the properties check it):

* at least three records, all of which map cleanly with the harness's mapping;
* when the mapping has an updated-at column and the source lets the harness choose
  timestamps: at least two records sharing the newest timestamp (the boundary case);
  set :attr:`ContractHarness.shared_boundary` to False when it cannot;
* no lag: build connectors with a zero lag so a re-pull returns exactly the boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from connectors.base import Connector, PushRow
from mappings.spec import MappingSpec


class Fault(Enum):
    """A way the source can fail, named after its HTTP face."""

    UNAUTHORIZED = "401"
    """Bad credentials (SQL: wrong password or unknown user)."""
    FORBIDDEN = "403"
    """Valid credentials without permission (SQL: no privilege on the table)."""
    RATE_LIMITED = "429"
    """Too many requests (SQL: the database is locked by another writer)."""
    SERVER_ERROR = "5xx"
    """The server failed (SQL: the database server is unreachable)."""
    TIMEOUT = "timeout"
    """No answer in time (SQL: a lock or statement timeout)."""


FATAL_FAULTS = (Fault.UNAUTHORIZED, Fault.FORBIDDEN)
"""Faults retrying cannot fix: the connector raises FatalError at once."""

RETRIABLE_FAULTS = (Fault.RATE_LIMITED, Fault.SERVER_ERROR, Fault.TIMEOUT)
"""Faults the connector retries; RetriableError only once its retry policy is exhausted."""


@dataclass
class FaultyConnector:
    """A connector whose source fails with one fault, and how often the source failed it."""

    connector: Connector
    failures: Callable[[], int]
    """How many failing answers (HTTP responses, refused connections, lock errors) the
    source has given so far: a transient fault that ends in success proves a retry only
    when this is at least one."""


class ContractSource(ABC):
    """One live, seeded source, fresh for one test."""

    mapping: MappingSpec
    """The mapping the properties use (its ``source`` and ``outbound`` sections)."""

    volatile_columns: frozenset[str] = frozenset()
    """Payload columns a push sets anew every time (e.g. the target's own change
    timestamp): ignored when checking that a repeated push changed nothing."""

    @abstractmethod
    def connector(self) -> Connector:
        """Return a connector on the source with a retry policy fast enough for tests."""

    @abstractmethod
    def update(self, source_id: str) -> None:
        """Change a mapped field of record ``source_id`` and move its change timestamp
        forward past every other record's."""

    @abstractmethod
    def delete(self, source_id: str) -> None:
        """Delete record ``source_id`` from the source (as the system deletes)."""

    @abstractmethod
    def push_batch(self) -> Sequence[PushRow]:
        """Return a batch to push: at least one create and one update of a seeded record,
        shaped like the publish stage makes them (outbound columns, golden id column)."""

    @abstractmethod
    def faulty(self, fault: Fault, *, transient: bool) -> AbstractContextManager[FaultyConnector]:
        """Return a context with a connector whose source fails with ``fault``.

        ``transient``: the fault clears by itself after the first failing answer(s), so a
        connector that retries succeeds; otherwise it lasts for the whole context.
        Only called for faults not listed in :attr:`ContractHarness.unsupported_faults`.
        """


class ContractHarness(ABC):
    """How to test one connector kind on one kind of real source."""

    id: str
    """Test id, e.g. ``sql-sqlite`` or ``tryton-customer``."""
    kind: str
    """The connector kind (entry-point name) under test."""
    marks: tuple[Any, ...] = ()
    """pytest marks for every test of this harness (e.g. ``pytest.mark.postgres``)."""
    unsupported_faults: Mapping[Fault, str] = {}
    """Faults this source cannot be made to produce, each with the reason (reported as
    the skip reason, so a missing case is visible, never silent)."""
    shared_boundary: bool = True
    """The seed holds at least two records sharing the newest change timestamp."""

    def key_order(self, source_id: str) -> Any:
        """Sort key that orders source ids as the source orders its keys (default: numbers
        numerically, then text)."""
        return natural_key(source_id)

    @abstractmethod
    def open(self, workdir: Path) -> AbstractContextManager[ContractSource]:
        """Bring up a fresh, seeded source (files under ``workdir``) and tear it down after.

        Calls ``tests.conftest.need_service`` when the service the source needs is down.
        """


def natural_key(source_id: str) -> tuple[int, int | str]:
    """Sort key of a source id the way sources order keys: numbers numerically."""
    return (0, int(source_id)) if source_id.isdigit() else (1, source_id)
