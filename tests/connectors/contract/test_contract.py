"""The connector contract, proved for every harness in ``harnesses/`` against a real source.

Properties: primary key present and unique; every record maps; the (timestamp, key)
cursor is monotone and an update moves past it; a re-pull from the last window returns
only the boundary rows (none with the key cursor); the source's count agrees with the
pull; pushing the same batch twice changes nothing; ``keys()`` reflects deletes; 401/403
are fatal at once; 429/5xx/timeouts are retried and raise RetriableError only once the
retry policy is exhausted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import PullWindow, RawRecord
from connectors.errors import FatalError, RetriableError
from mappings.engine import MappingError, map_inbound
from tests.connectors.contract.harness import (
    FATAL_FAULTS,
    RETRIABLE_FAULTS,
    ContractHarness,
    ContractSource,
    Fault,
    FaultyConnector,
)
from tests.connectors.contract.harnesses import all_harnesses

HARNESSES = all_harnesses()


def _params() -> list[Any]:
    return [pytest.param(h, id=h.id, marks=list(h.marks)) for h in HARNESSES]


@pytest.fixture(params=_params())
def harness(request: pytest.FixtureRequest) -> ContractHarness:
    return request.param


@pytest.fixture
def source(harness: ContractHarness, tmp_path: Path) -> Iterator[ContractSource]:
    with harness.open(tmp_path) as opened:
        yield opened


def _moment(value: str) -> Any:
    """A comparable timestamp: aware datetimes compare across offsets; else the text."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pull(source: ContractSource, window: PullWindow | None = None) -> list[RawRecord]:
    connector = source.connector()
    try:
        return list(connector.pull(source.mapping, window or PullWindow(None)))
    finally:
        connector.close()


def _snapshot(source: ContractSource) -> dict[str, dict[str, Any]]:
    return {
        r.source_id: {k: v for k, v in r.payload.items() if k not in source.volatile_columns}
        for r in _pull(source)
    }


def test_primary_key_present_and_unique(source: ContractSource) -> None:
    records = _pull(source)
    assert len(records) >= 3
    ids = [r.source_id for r in records]
    assert all(ids), "every record has a key"
    assert len(set(ids)) == len(ids), "keys are unique"
    key_column = source.mapping.source.primary_key
    assert all(str(r.payload[key_column]) == r.source_id for r in records)


def test_every_record_maps(source: ContractSource) -> None:
    problems = []
    for record in _pull(source):
        try:
            map_inbound(source.mapping, record.source_id, record.payload)
        except MappingError as exc:
            problems.append(f"{record.source_id}: {exc}")
    assert problems == []


def test_cursor_is_monotone_and_an_update_moves_past_it(
    harness: ContractHarness, source: ContractSource
) -> None:
    if not source.mapping.source.updated_at:
        pytest.skip(f"{harness.id}: no updated-at column (full scan + content hash)")
    records = _pull(source)
    assert all(r.updated_at for r in records), "every record carries its change timestamp"
    positions = [(_moment(r.updated_at or ""), harness.key_order(r.source_id)) for r in records]
    assert positions == sorted(positions), "pulled in (timestamp, key) order"
    assert len(set(positions)) == len(positions)
    last = records[-1]
    changed = records[0].source_id
    source.update(changed)
    after = _pull(source, PullWindow(last.updated_at, since_key=last.source_id))
    assert changed in [r.source_id for r in after]
    assert all(_moment(r.updated_at or "") >= _moment(last.updated_at or "") for r in after)


def test_repull_from_the_last_window_returns_only_boundary_rows(
    harness: ContractHarness, source: ContractSource
) -> None:
    if not source.mapping.source.updated_at:
        pytest.skip(f"{harness.id}: no updated-at column (full scan + content hash)")
    records = _pull(source)
    last = records[-1]
    boundary = {r.source_id for r in records if r.updated_at == last.updated_at}
    if harness.shared_boundary:
        assert len(boundary) >= 2, "the seed shares the newest timestamp between records"
    repulled = {r.source_id for r in _pull(source, PullWindow(last.updated_at))}
    assert repulled == boundary, "closed start: the boundary is re-read, nothing else"
    with_key = [r.source_id for r in _pull(source, PullWindow(last.updated_at, last.source_id))]
    assert set(with_key) <= boundary - {last.source_id}


def test_count_agrees_with_the_pull(source: ContractSource) -> None:
    records = _pull(source)
    connector = source.connector()
    try:
        assert connector.count(source.mapping, PullWindow(None)) == len(records)
        if source.mapping.source.updated_at:
            last = records[-1]
            window = PullWindow(last.updated_at, last.source_id)
            pulled = list(connector.pull(source.mapping, window))
            assert connector.count(source.mapping, window) == len(pulled)
        assert connector.stats(source.mapping).total == len(records)
    finally:
        connector.close()


def test_pushing_the_same_batch_twice_changes_nothing(source: ContractSource) -> None:
    if source.mapping.outbound is None:
        pytest.skip("the mapping is pull-only")
    batch = list(source.push_batch())
    assert any(row.create for row in batch) and any(not row.create for row in batch)
    connector = source.connector()
    try:
        first = connector.push(source.mapping, batch)
        assert first.rejected == {}
        assert first.created + first.updated == len(batch)
        once = _snapshot(source)
        second = connector.push(source.mapping, batch)
    finally:
        connector.close()
    assert second.rejected == {}
    assert second.created == 0, "a repeated create finds the record it made"
    assert _snapshot(source) == once


def test_keys_reflect_deletes(source: ContractSource) -> None:
    connector = source.connector()
    try:
        before = list(connector.keys(source.mapping))
        assert sorted(before) == sorted(r.source_id for r in _pull(source))
        gone = before[1]
        source.delete(gone)
        after = set(connector.keys(source.mapping))
    finally:
        connector.close()
    assert after == set(before) - {gone}


def _skip_unsupported(harness: ContractHarness, fault: Fault) -> None:
    if fault in harness.unsupported_faults:
        reason = harness.unsupported_faults[fault]
        pytest.skip(f"{harness.id} cannot produce {fault.value}: {reason}")


@contextlib.contextmanager
def _faulty(source: ContractSource, fault: Fault, *, transient: bool) -> Iterator[FaultyConnector]:
    """``source``'s connector failing with ``fault``, closed on the way out."""
    with source.faulty(fault, transient=transient) as faulty:
        try:
            yield faulty
        finally:
            faulty.connector.close()


@pytest.mark.parametrize("fault", FATAL_FAULTS, ids=lambda f: f.value)
def test_auth_faults_are_fatal_at_once(
    harness: ContractHarness, source: ContractSource, fault: Fault
) -> None:
    _skip_unsupported(harness, fault)
    with _faulty(source, fault, transient=False) as faulty, pytest.raises(FatalError):
        list(faulty.connector.pull(source.mapping, PullWindow(None)))
    assert 1 <= faulty.failures() <= 2, "an auth failure is not retried (one refresh at most)"


@pytest.mark.parametrize("fault", RETRIABLE_FAULTS, ids=lambda f: f.value)
def test_transient_faults_are_retried(
    harness: ContractHarness, source: ContractSource, fault: Fault
) -> None:
    _skip_unsupported(harness, fault)
    expected = [r.source_id for r in _pull(source)]
    with _faulty(source, fault, transient=True) as faulty:
        pulled = [r.source_id for r in faulty.connector.pull(source.mapping, PullWindow(None))]
    assert faulty.failures() >= 1, "the fault was injected"
    assert pulled == expected


@pytest.mark.parametrize("fault", RETRIABLE_FAULTS, ids=lambda f: f.value)
def test_lasting_faults_raise_retriable_after_the_policy(
    harness: ContractHarness, source: ContractSource, fault: Fault
) -> None:
    _skip_unsupported(harness, fault)
    with _faulty(source, fault, transient=False) as faulty, pytest.raises(RetriableError):
        list(faulty.connector.pull(source.mapping, PullWindow(None)))
    assert faulty.failures() > 1, "retried before giving up"
