"""HubSpot connector against recorded responses written from the API documentation.

Every request is checked against the recording (method, path, query, JSON body), so the
search filters, the window split and the batch bodies are pinned, not only the answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import PullWindow, PushRow
from connectors.errors import FatalError
from connectors.http import MemoryCheckpoint
from connectors.hubspot import HubSpotConfig, HubSpotConnector
from mappings.engine import map_inbound
from mappings.loader import load_mapping
from mappings.models import Customer
from mappings.spec import MappingSpec
from tests.connectors.recordings.replay import Replay

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2024, 5, 2, 12, 0, 0, tzinfo=UTC)
TOKEN = "pat-na1-recorded-token"


def _mapping() -> MappingSpec:
    return load_mapping(ROOT / "mappings" / "hubspot_customer.yaml")


def _connector(
    name: str, now: datetime = NOW, **settings: Any
) -> tuple[HubSpotConnector, Replay, list[float]]:
    replay = Replay("hubspot", name)
    sleeps: list[float] = []
    config = HubSpotConfig.model_validate(
        {"access_token": TOKEN, "requests_per_second": None, **settings}
    )
    connector = HubSpotConnector(
        "hubspot", config, transport=replay.transport, sleep=sleeps.append, now=lambda: now
    )
    return connector, replay, sleeps


def test_incremental_pull_pages_by_after_and_orders_ties_by_id() -> None:
    connector, replay, sleeps = _connector("pull_incremental", search_page_size=2)
    mapping = _mapping()
    window = PullWindow("2024-05-01T10:00:00.000Z", "9")
    checkpoint = MemoryCheckpoint()
    connector.checkpoint = checkpoint
    assert connector.count(mapping, window) == 3
    records = list(connector.pull(mapping, window))
    replay.assert_done()
    assert [(r.updated_at, r.source_id) for r in records] == [
        ("2024-05-01T15:30:00.000Z", "7"),
        ("2024-05-01T15:30:00.000Z", "12"),
        ("2024-05-02T09:00:00.000Z", "20"),
    ]
    assert set(records[0].payload) == {
        "hs_object_id", "hs_lastmodifieddate", "name", "phone", "domain", "address", "zip",
        "city", "state", "country", "crmsync_golden_id",
    }  # fmt: skip
    customer = map_inbound(mapping, records[0].source_id, records[0].payload)
    assert isinstance(customer, Customer) and customer.name == "Acme GmbH"
    assert customer.bill_to.country == "DE" and customer.website == "acme.example"
    assert checkpoint.saves == 2 and checkpoint.load() is None
    assert sleeps == []  # plenty of rate budget left in the headers


def test_window_over_the_search_cap_is_split_by_time() -> None:
    connector, replay, _ = _connector("pull_split", search_cap=2)
    mapping = _mapping()
    window = PullWindow("2024-05-01T10:00:00.000Z")
    assert connector.count(mapping, window) == 3
    records = list(connector.pull(mapping, window))
    replay.assert_done()
    assert [r.source_id for r in records] == ["7", "12", "20"]
    assert len(records) == connector.count(mapping, window)


def test_more_records_in_one_millisecond_than_the_cap_fail_loudly() -> None:
    one_ms_later = datetime(2024, 5, 1, 10, 0, 0, 1000, tzinfo=UTC)
    connector, replay, _ = _connector(
        "pull_split_impossible", now=one_ms_later, search_cap=2, lag_seconds=0
    )
    mapping = _mapping()
    window = PullWindow("2024-05-01T10:00:00.000Z")
    assert connector.count(mapping, window) == 3
    with pytest.raises(FatalError, match="share one millisecond"):
        list(connector.pull(mapping, window))
    replay.assert_done()


def test_429_with_retry_after_and_502_are_retried() -> None:
    connector, replay, sleeps = _connector("error_rate_limited")
    assert connector.count(_mapping(), PullWindow("2024-05-01T10:00:00.000Z")) == 3
    replay.assert_done()
    assert sleeps[0] == 1.0 and len(sleeps) == 2


def test_401_is_fatal() -> None:
    connector, replay, sleeps = _connector("error_unauthorized")
    with pytest.raises(FatalError, match="HTTP 401") as caught:
        connector.count(_mapping(), PullWindow("2024-05-01T10:00:00.000Z"))
    assert sleeps == [] and TOKEN not in str(caught.value)
    replay.assert_done()


def test_a_spent_rate_limit_interval_is_waited_out() -> None:
    connector, replay, sleeps = _connector("interval_spent")
    connector.count(_mapping(), PullWindow("2024-05-01T10:00:00.000Z"))
    assert sleeps == [10.0]
    replay.assert_done()


def test_deletes_leave_the_key_list_and_archived_records_are_listed() -> None:
    connector, replay, _ = _connector("deletes")
    mapping = _mapping()
    assert list(connector.keys(mapping)) == ["7", "12", "20"]
    assert list(connector.deleted_keys(mapping, "2024-05-01T00:00:00.000Z")) == ["9"]
    replay.assert_done()


def _rows() -> list[PushRow]:
    def create(golden: str, name: str, city: str, **extra: str) -> PushRow:
        values = {"name": name, "city": city, "zip": None, **extra, "crmsync_golden_id": golden}
        return PushRow(f"HS-{golden}", values, create=True)

    return [
        create("G-000030", "Baltic Foods AB", "Malmö"),
        create("G-000031", "Elbe Papier GmbH", "Dresden"),
        create("G-000032", "Kiel Kontor", "Kiel", country="Atlantis"),
        PushRow("7", {"name": "Acme GmbH", "crmsync_golden_id": "G-000001"}, create=False),
    ]


def test_batch_upsert_isolates_refused_records_and_twice_changes_nothing() -> None:
    connector, replay, _ = _connector("push_upsert")
    mapping = _mapping()
    first = connector.push(mapping, _rows())
    assert (first.created, first.updated) == (2, 1)
    assert first.assigned_ids == {"HS-G-000030": "30", "HS-G-000031": "31"}
    assert list(first.rejected) == ["HS-G-000032"]
    assert first.rejected["HS-G-000032"].startswith("VALIDATION_ERROR: Property values")
    again = connector.push(mapping, _rows())
    assert (again.created, again.updated) == (0, 3)
    assert again.assigned_ids == first.assigned_ids and again.rejected == first.rejected
    replay.assert_done()


def test_config_hides_the_token() -> None:
    config = HubSpotConfig.model_validate({"access_token": TOKEN})
    assert TOKEN not in repr(config) and TOKEN not in config.model_dump_json()
