"""Salesforce connector against recorded responses written from the API documentation.

Every request the connector makes is checked against the recording (method, path, SOQL
text, body), so these tests pin the queries as well as the handling of the answers.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from connectors.base import PullWindow, PushRow, RawRecord
from connectors.errors import FatalError, RetriableError
from connectors.http import MemoryCheckpoint
from connectors.http.checkpoint import ResumePoint, read_resume_token, resume_token
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from mappings.engine import map_inbound
from mappings.loader import load_mapping
from mappings.models import Customer
from mappings.spec import MappingSpec
from tests.connectors.recordings.replay import Replay

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2024, 5, 2, 12, 0, 0, tzinfo=UTC)
WINDOW = PullWindow("2024-05-01T10:00:00.000Z", "001Dn00000Acc001IAF")
SECRET = "recorded-secret-value"


def _mapping(entity: str = "customer") -> MappingSpec:
    return load_mapping(ROOT / "mappings" / f"salesforce_{entity}.yaml")


def _connector(name: str, **settings: Any) -> tuple[SalesforceConnector, Replay, list[float]]:
    replay = Replay("salesforce", name)
    sleeps: list[float] = []
    config = SalesforceConfig.model_validate(
        {
            "instance_url": "https://acme.my.salesforce.com",
            "client_id": "3MVG9test-consumer-key",
            "client_secret": SECRET,
            "bulk_poll_seconds": 0.5,
            **settings,
        }
    )
    connector = SalesforceConnector(
        "salesforce", config, transport=replay.transport, sleep=sleeps.append, now=lambda: NOW
    )
    return connector, replay, sleeps


def test_incremental_pull_follows_pages_in_cursor_order_and_maps() -> None:
    connector, replay, _ = _connector("pull_incremental")
    mapping = _mapping()
    checkpoint = MemoryCheckpoint()
    connector.checkpoint = checkpoint
    assert connector.count(mapping, WINDOW) == 3
    records = list(connector.pull(mapping, WINDOW))
    replay.assert_done()
    ids = [r.source_id for r in records]
    assert ids == ["001Dn00000Acc001IAF", "001Dn00000Acc002IAF", "001Dn00000Acc003IAF"]
    assert len(set(ids)) == len(ids)
    stamps = [r.updated_at or "" for r in records]
    assert stamps == sorted(stamps) and stamps[0] == "2024-05-01T10:00:00.000Z"
    first = records[0].payload
    assert first["Owner.Email"] == "anna.berg@acme.example" and "attributes" not in first
    assert records[2].payload["Owner.Email"] is None  # null parent relationship
    mapped = [map_inbound(mapping, r.source_id, r.payload) for r in records]
    customers = [c for c in mapped if isinstance(c, Customer)]
    assert len(customers) == 3
    assert customers[1].parent_source_id == "001Dn00000Acc001IAF"
    assert customers[0].bill_to.city == "Hamburg" and customers[0].owners == (
        "anna.berg@acme.example",
    )
    # quota read before the pull and updated from Sforce-Limit-Info during it
    assert connector.quota.remaining == 15000 - 113
    # one checkpoint per page, cleared when the pull finished
    assert checkpoint.saves == 2 and checkpoint.load() is None


def test_an_interrupted_pull_resumes_from_its_checkpoint() -> None:
    mapping = _mapping()
    first, _, _ = _connector("pull_incremental")
    checkpoint = MemoryCheckpoint()
    first.checkpoint = checkpoint
    first.count(mapping, WINDOW)
    pages = cast(Generator[RawRecord, None, None], first.pull(mapping, WINDOW))
    handed_out = [next(pages), next(pages), next(pages)]  # page 1 done, page 2 begun
    pages.close()  # the worker dies here
    assert [r.source_id[-6:-3] for r in handed_out] == ["001", "002", "003"]
    # saved after page 1: resume after its last record
    assert read_resume_token(checkpoint.load(), "customer", WINDOW) == ResumePoint(
        "2024-05-01T10:00:00.000Z", "001Dn00000Acc002IAF"
    )
    # a run stopped after a later page resumes at that page's last timestamp
    later = ResumePoint("2024-05-02T08:15:42.000Z", "001Dn00000Acc003IAF")
    second, replay, _ = _connector("pull_resume")
    second.checkpoint = MemoryCheckpoint(resume_token("customer", WINDOW, later))
    second.count(mapping, WINDOW)
    assert [r.source_id for r in second.pull(mapping, WINDOW)] == ["001Dn00000Acc003IAF"]
    replay.assert_done()


def test_re_pull_from_the_saved_cursor_returns_only_boundary_rows() -> None:
    connector, replay, _ = _connector("pull_from_last_cursor")
    mapping = _mapping()
    window = PullWindow("2024-05-02T08:15:42.000Z", "001Dn00000Acc003IAF")
    assert connector.count(mapping, window) == 1
    records = list(connector.pull(mapping, window))
    assert [(r.updated_at, r.source_id) for r in records] == [
        ("2024-05-02T08:15:42.000Z", "001Dn00000Acc003IAF")
    ]
    replay.assert_done()


def test_bulk_pull_above_the_threshold_reads_csv_pages_by_locator() -> None:
    connector, replay, sleeps = _connector("pull_bulk", bulk_query_threshold=2, bulk_page_records=2)
    mapping = _mapping()
    assert connector.count(mapping, WINDOW) == 3
    records = list(connector.pull(mapping, WINDOW))
    replay.assert_done()
    assert sleeps == [0.5]  # one poll while InProgress
    assert [r.source_id for r in records] == [
        "001Dn00000Acc001IAF",
        "001Dn00000Acc002IAF",
        "001Dn00000Acc003IAF",
    ]
    # the CSV payload equals what the REST API gives for the same record
    rest, rest_replay, _ = _connector("pull_incremental")
    rest.count(mapping, WINDOW)
    by_rest = {r.source_id: r.payload for r in rest.pull(mapping, WINDOW)}
    for record in records:
        assert record.payload == by_rest[record.source_id], record.source_id


def test_pull_that_would_exhaust_the_quota_stops_before_querying() -> None:
    connector, replay, _ = _connector("quota_stop_before")
    mapping = _mapping()
    connector.count(mapping, WINDOW)
    with pytest.raises(
        FatalError, match=r"1010 of 15000 daily API requests left.*1000 are reserved"
    ):
        list(connector.pull(mapping, WINDOW))
    replay.assert_done()


def test_quota_falling_below_the_reserve_during_a_pull_fails_it() -> None:
    connector, replay, _ = _connector("quota_stop_during")
    mapping = _mapping()
    connector.count(mapping, WINDOW)
    landed = []
    with pytest.raises(FatalError, match="999 of 15000"):
        for record in connector.pull(mapping, WINDOW):
            landed.append(record)
    assert len(landed) == 2  # the first page came through; the pull did not end as a success
    replay.assert_done()


def test_invalid_session_twice_is_fatal() -> None:
    connector, replay, _ = _connector("error_invalid_session")
    with pytest.raises(FatalError, match="INVALID_SESSION_ID"):
        connector.count(_mapping(), WINDOW)
    replay.assert_done()


def test_expired_session_is_renewed_once() -> None:
    connector, replay, _ = _connector("error_session_expired_once")
    assert connector.count(_mapping(), WINDOW) == 3
    replay.assert_done()


def test_request_limit_exceeded_is_fatal_and_not_retried() -> None:
    connector, replay, sleeps = _connector("error_request_limit")
    with pytest.raises(FatalError, match="REQUEST_LIMIT_EXCEEDED") as caught:
        connector.count(_mapping(), WINDOW)
    assert not isinstance(caught.value, RetriableError) and sleeps == []
    assert SECRET not in str(caught.value)
    replay.assert_done()


def test_server_unavailable_is_retried_after_retry_after() -> None:
    connector, replay, sleeps = _connector("error_unavailable")
    assert connector.count(_mapping(), WINDOW) == 3
    assert sleeps == [2.0]
    replay.assert_done()


def test_deletes_leave_the_key_scan_and_are_listed_by_query_all() -> None:
    connector, replay, _ = _connector("deletes")
    mapping = _mapping()
    assert list(connector.keys(mapping)) == ["001Dn00000Acc001IAF", "001Dn00000Acc003IAF"]
    assert list(connector.deleted_keys(mapping, "2024-05-01T10:00:00.000Z")) == [
        "001Dn00000Acc002IAF"
    ]
    replay.assert_done()


def test_stats_in_one_aggregate_query() -> None:
    connector, replay, _ = _connector("stats")
    stats = connector.stats(_mapping())
    assert (stats.total, stats.newest_change) == (3, "2024-05-02T08:15:42.000Z")
    replay.assert_done()


def _push_rows() -> list[PushRow]:
    return [
        PushRow(
            "SF-G-000007",
            {
                "Name": "Acme GmbH",
                "BillingCity": "Hamburg",
                "AnnualRevenue": Decimal("1250000.50"),
                "crmsync_golden_id__c": "G-000007",
            },
            create=True,
        ),
        PushRow(
            "001Dn00000Acc001IAF",
            {"Name": "Acme GmbH", "crmsync_golden_id__c": "G-000001"},
            create=False,
        ),
        PushRow(
            "SF-G-000008",
            {
                "Name": "",
                "Parent.crmsync_golden_id__c": "G-000007",
                "crmsync_golden_id__c": "G-000008",
            },
            create=True,
        ),
    ]


def test_push_upserts_on_the_external_id_and_the_same_batch_twice_changes_nothing() -> None:
    connector, replay, _ = _connector("push_upsert")
    mapping = _mapping()
    first = connector.push(mapping, _push_rows())
    assert (first.created, first.updated) == (1, 1)
    assert first.assigned_ids == {"SF-G-000007": "001Dn00000Acc007IAF"}
    assert first.rejected == {
        "SF-G-000008": "REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (Name)"
    }
    again = connector.push(mapping, _push_rows())
    assert (again.created, again.updated) == (0, 2)  # the retried create found its record
    assert again.assigned_ids == first.assigned_ids and again.rejected == first.rejected
    replay.assert_done()


def test_large_push_runs_bulk_ingest_jobs() -> None:
    connector, replay, sleeps = _connector("push_bulk", bulk_push_threshold=2)
    rows = [
        PushRow(
            "SF-G-000010",
            {"Name": "Baltic Foods AB", "BillingCity": "Malmö", "crmsync_golden_id__c": "G-000010"},
            True,
        ),
        PushRow(
            "SF-G-000011",
            {
                "Name": "Elbe Papier GmbH",
                "BillingCity": "Dresden",
                "crmsync_golden_id__c": "G-000011",
            },
            True,
        ),
        PushRow(
            "SF-G-000012",
            {"Name": None, "BillingCity": "Kiel", "crmsync_golden_id__c": "G-000012"},
            True,
        ),
        PushRow(
            "001Dn00000Acc001IAF", {"Name": "Acme GmbH", "crmsync_golden_id__c": "G-000001"}, False
        ),
        PushRow(
            "001Dn00000Acc404IAF", {"Name": "Gone Ltd", "crmsync_golden_id__c": "G-000404"}, False
        ),
    ]
    result = connector.push(_mapping(), rows)
    replay.assert_done()
    assert result.assigned_ids == {
        "SF-G-000010": "001Dn00000Acc010IAF",
        "SF-G-000011": "001Dn00000Acc011IAF",
    }
    assert (result.created, result.updated) == (1, 2)
    assert set(result.rejected) == {"SF-G-000012", "001Dn00000Acc404IAF"}
    assert result.rejected["001Dn00000Acc404IAF"].startswith("ENTITY_IS_DELETED")
    assert sleeps == [0.5, 0.5]


def test_push_without_a_golden_id_column_is_refused() -> None:
    connector, _, _ = _connector("stats")
    with pytest.raises(FatalError, match="golden_id_column"):
        connector.push(_mapping("contact"), [PushRow("x", {}, True)])


def test_config_needs_credentials_and_hides_the_secret() -> None:
    with pytest.raises(ValueError, match="client_id and client_secret"):
        SalesforceConfig.model_validate({"instance_url": "https://acme.my.salesforce.com"})
    config = SalesforceConfig.model_validate(
        {"instance_url": "https://x", "client_id": "a", "client_secret": SECRET}
    )
    assert SECRET not in repr(config) and SECRET not in config.model_dump_json()


def test_opportunities_come_with_all_their_line_items() -> None:
    connector, replay, _ = _connector("pull_opportunity")
    mapping = MappingSpec.model_validate(
        {
            "system": "salesforce",
            "entity": "order",
            "source": {"table": "Opportunity", "primary_key": "Id", "updated_at": "SystemModstamp"},
            "inbound": {
                "customer_source_id": "AccountId",
                "order_date": "CloseDate",
                "status": "StageName",
                "total.amount": "Amount",
            },
        }
    )
    assert connector.count(mapping, WINDOW) == 1
    (deal,) = list(connector.pull(mapping, WINDOW))
    replay.assert_done()
    assert deal.payload["Amount"] == "1250.5"  # exact text, never a float
    lines = deal.payload["OpportunityLineItems"]
    assert [(x["Product2.ProductCode"], x["Quantity"], x["UnitPrice"]) for x in lines] == [
        ("PKG-100", "10.0", "100.05"),
        ("PKG-200", "2.0", "125.0"),
    ]
