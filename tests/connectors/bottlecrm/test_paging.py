from __future__ import annotations

import httpx
import pytest

from connectors.bottlecrm.paging import count_records, scan
from connectors.bottlecrm.resources import ACCOUNTS, CONTACTS
from connectors.errors import RetriableError
from tests.connectors.bottlecrm.fake import FakeBottleCrm


def test_accounts_page_through_the_open_and_the_closed_list_together() -> None:
    fake = FakeBottleCrm()
    fake.accounts = [{"id": f"o{i}", "name": f"O{i}"} for i in range(5)] + [
        {"id": f"c{i}", "name": f"C{i}", "is_active": False} for i in range(2)
    ]
    client = fake.connector().client
    result = scan(client, ACCOUNTS, page_size=2)
    assert sorted(r["id"] for r in result.records) == sorted(r["id"] for r in fake.accounts)
    assert result.total == 7
    # pages at offsets 0, 2, 4: the open list comes back short (1 of 2) at offset 4
    assert result.requests == 3
    assert [r.url.params["offset"] for r in fake.requests] == ["0", "2", "4"]
    assert count_records(client, ACCOUNTS) == 7


def test_an_exact_multiple_of_the_page_size_ends_on_an_empty_page() -> None:
    fake = FakeBottleCrm()
    fake.contacts = [{"id": f"k{i}"} for i in range(4)]
    result = scan(fake.connector().client, CONTACTS, page_size=2)
    assert len(result.records) == 4 and result.requests == 3


def test_fewer_records_than_the_count_fail_loudly() -> None:
    fake = FakeBottleCrm()

    def shrinking(request: httpx.Request) -> httpx.Response:
        # the server counts 5 but a record vanished between pages
        offset = int(request.url.params["offset"])
        rows = [{"id": f"k{i}"} for i in range(5) if i != 2][offset : offset + 2]
        return httpx.Response(200, json={"count": 5, "results": rows})

    fake.fail = shrinking
    with pytest.raises(RetriableError, match="4 distinct records but the server counts 5"):
        scan(fake.connector().client, CONTACTS, page_size=2)


def test_a_server_that_ignores_offset_is_caught() -> None:
    fake = FakeBottleCrm()
    fake.fail = lambda request: httpx.Response(
        200, json={"count": 9, "results": [{"id": "k0"}, {"id": "k1"}]}
    )
    with pytest.raises(RetriableError, match="does not page"):
        scan(fake.connector().client, CONTACTS, page_size=2)


def test_a_duplicate_across_pages_is_kept_once() -> None:
    fake = FakeBottleCrm()
    pages = {
        "0": [{"id": "k0"}, {"id": "k1"}],
        "2": [{"id": "k1"}, {"id": "k2"}],
        "4": [{"id": "k3"}],
    }
    fake.fail = lambda request: httpx.Response(
        200, json={"count": 4, "results": pages[request.url.params["offset"]]}
    )
    result = scan(fake.connector().client, CONTACTS, page_size=2)
    assert [r["id"] for r in result.records] == ["k0", "k1", "k2", "k3"]
