from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.base import PushRow
from connectors.errors import FatalError
from mappings.loader import PACKAGED_MAPPINGS, load_mapping
from tests.connectors.bottlecrm.fake import FakeBottleCrm

CUSTOMERS = load_mapping(PACKAGED_MAPPINGS / "bottlecrm_customer.yaml")
PRODUCTS = load_mapping(PACKAGED_MAPPINGS / "bottlecrm_product.yaml")
GOLDEN = "custom_fields.crmsync_golden_id"


def _account(golden: str, name: str, **values: Any) -> dict[str, Any]:
    assert CUSTOMERS.outbound is not None
    row: dict[str, Any] = dict.fromkeys(CUSTOMERS.outbound.fields)
    row.update(name=name, **values)
    row[GOLDEN] = golden
    return row


def _writes(fake: FakeBottleCrm) -> list[tuple[str, str, Any]]:
    return [
        (r.method, r.url.path, json.loads(r.content) if r.content else None)
        for r in fake.requests
        if r.method not in ("GET",) and "custom-fields" not in r.url.path
    ]


def test_create_defines_the_custom_field_posts_reads_back_and_assigns_the_id() -> None:
    fake = FakeBottleCrm()
    result = fake.connector().push(
        CUSTOMERS, [PushRow("new-account-G1", _account("G1", "Acme", city="Ghent"), True)]
    )
    assert fake.custom_fields["Account"] == {"crmsync_golden_id"}
    (record,) = fake.accounts
    assert result.created == 1 and result.assigned_ids == {"new-account-G1": record["id"]}
    assert record["custom_fields"] == {"crmsync_golden_id": "G1"}
    posted = _writes(fake)[0][2]
    assert "email" not in posted, "missing values are left to the server's defaults"
    assert fake.requests[-1].method == "GET"  # the new record is read back


def test_pushing_the_same_creates_again_finds_them_and_writes_nothing() -> None:
    fake = FakeBottleCrm()
    rows = [PushRow(f"n{i}", _account(f"G{i}", f"Acme {i}", city="Ghent"), True) for i in range(3)]
    first = fake.connector().push(CUSTOMERS, rows)
    written = len(_writes(fake))
    second = fake.connector().push(CUSTOMERS, rows)
    assert (second.created, second.updated, second.rejected) == (0, 0, {})
    assert second.assigned_ids == first.assigned_ids
    assert len(_writes(fake)) == written
    assert len(fake.accounts) == 3


def test_an_update_sends_only_what_differs() -> None:
    fake = FakeBottleCrm()
    fake.accounts = [
        {
            "id": "a1",
            "name": "Acme",
            "city": "Ghent",
            "email": "old@acme.example",
            "is_active": True,
            "custom_fields": {"crmsync_golden_id": "G1", "other": "kept"},
        }
    ]
    fake.custom_fields["Account"].add("crmsync_golden_id")
    row = PushRow("a1", _account("G1", "Acme", city="Ghent", email="new@acme.example"), False)
    result = fake.connector().push(CUSTOMERS, [row])
    assert result.updated == 1
    # None values for columns the server already has empty are no change either
    assert _writes(fake) == [("PATCH", "/api/accounts/a1/", {"email": "new@acme.example"})]
    assert fake.accounts[0]["custom_fields"]["other"] == "kept"


def test_a_case_only_rename_of_an_account_is_not_sent() -> None:
    fake = FakeBottleCrm()
    fake.accounts = [{"id": "a1", "name": "Acme", "custom_fields": {"crmsync_golden_id": "G1"}}]
    fake.custom_fields["Account"].add("crmsync_golden_id")
    result = fake.connector().push(CUSTOMERS, [PushRow("a1", _account("G1", "ACME"), False)])
    assert (result.updated, result.rejected) == (0, {})
    assert _writes(fake) == []


def test_a_create_links_to_the_account_holding_its_name() -> None:
    fake = FakeBottleCrm()
    fake.accounts = [{"id": "a1", "name": "Acme SA", "custom_fields": {}}]
    result = fake.connector().push(
        CUSTOMERS, [PushRow("new", _account("G9", "ACME sa", city="Lyon"), True)]
    )
    assert result.assigned_ids == {"new": "a1"} and result.created == 0
    assert fake.accounts[0]["custom_fields"] == {"crmsync_golden_id": "G9"}
    assert fake.accounts[0]["city"] == "Lyon"


def test_a_name_held_by_another_golden_record_is_rejected() -> None:
    fake = FakeBottleCrm()
    fake.accounts = [{"id": "a1", "name": "Acme", "custom_fields": {"crmsync_golden_id": "G1"}}]
    result = fake.connector().push(CUSTOMERS, [PushRow("new", _account("G2", "acme"), True)])
    assert result.rejected == {"new": "name 'acme' is already used by a1 (golden id G1)"}
    assert result.assigned_ids == {} and _writes(fake) == []


def test_a_refused_record_is_rejected_and_the_others_land() -> None:
    fake = FakeBottleCrm()
    rows = [
        PushRow("bad", _account("G1", "Bad", email="nope"), True),
        PushRow("good", _account("G2", "Good", email="ok@example.com"), True),
        PushRow("gone", _account("G3", "Gone"), False),
    ]
    result = fake.connector().push(CUSTOMERS, rows)
    assert result.rejected == {
        "bad": "HTTP 400: email: Enter a valid email address.",
        "gone": "record gone does not exist (any more)",
    }
    assert result.created == 1 and set(result.assigned_ids) == {"good"}


def test_the_golden_id_must_survive_the_create() -> None:
    fake = FakeBottleCrm()
    real_create = fake._create

    def drops_custom_fields(prefix: str, records: list[dict[str, Any]], body: dict[str, Any]):
        body.pop("custom_fields", None)  # as BottleCRM does for an undefined custom field
        return real_create(prefix, records, body)

    fake._create = drops_custom_fields  # type: ignore[method-assign]
    with pytest.raises(FatalError, match="did not keep custom_fields.crmsync_golden_id"):
        fake.connector().push(CUSTOMERS, [PushRow("n", _account("G1", "Acme"), True)])


def test_without_create_custom_fields_a_missing_definition_is_fatal() -> None:
    fake = FakeBottleCrm()
    connector = fake.connector()
    connector.config.create_custom_fields = False
    with pytest.raises(FatalError, match="no active Account custom field"):
        connector.push(CUSTOMERS, [PushRow("n", _account("G1", "Acme"), True)])
    assert fake.accounts == []


def _product(sku: str | None, price: str, name: str = "Bolt") -> dict[str, Any]:
    return {
        "sku": sku,
        "name": name,
        "description": None,
        "category": None,
        "price": price,
        "currency": "EUR",
    }


def test_products_link_by_sku_compare_prices_as_decimals_and_refuse_no_sku() -> None:
    fake = FakeBottleCrm()
    fake.products = [{"id": "p1", "sku": "B-1", "name": "Bolt", "price": "0.30", "currency": "EUR"}]
    rows = [
        PushRow("n1", _product("B-1", "0.3"), True),
        PushRow("n2", _product(None, "1"), True),
        PushRow("n3", _product("B-2", "2.00", "Nut"), True),
        PushRow("n4", _product("B-2", "2.00", "Nut copy"), True),
    ]
    result = fake.connector().push(PRODUCTS, rows)
    assert result.assigned_ids["n1"] == "p1"
    assert "n2" in result.rejected and "no sku" in result.rejected["n2"]
    new_id = result.assigned_ids["n3"]
    assert result.assigned_ids["n4"] == new_id  # the same SKU within the batch links
    assert result.created == 1 and result.updated == 1  # only n4's new name was written
    puts = [w for w in _writes(fake) if w[0] == "PUT"]
    assert puts == [("PUT", f"/api/invoices/products/{new_id}/", {"name": "Nut copy"})]


def test_an_update_taking_another_products_sku_is_rejected_before_the_server() -> None:
    fake = FakeBottleCrm()
    fake.products = [
        {"id": "p1", "sku": "A", "name": "A", "price": "1.00"},
        {"id": "p2", "sku": "B", "name": "B", "price": "1.00"},
    ]
    result = fake.connector().push(PRODUCTS, [PushRow("p2", _product("A", "1"), False)])
    assert result.rejected == {"p2": "sku 'A' is already used by p1"}
    assert _writes(fake) == []


def test_an_update_of_a_record_changed_since_the_pull_is_a_conflict() -> None:
    fake = FakeBottleCrm()
    fake.products = [
        {"id": "p1", "sku": "A", "name": "A", "price": "1.00", "updated_at": "2026-05-01T00:00:00Z"}
    ]
    row = PushRow("p1", _product("A", "2"), False)
    object.__setattr__(row, "expected_updated_at", "2026-04-01T00:00:00.000000Z")
    result = fake.connector().push(PRODUCTS, [row])
    if hasattr(result, "conflicts"):
        assert "p1" in result.conflicts
    assert result.updated == 0 and _writes(fake) == []
    object.__setattr__(row, "expected_updated_at", "2026-05-01T00:00:00.000000Z")
    assert fake.connector().push(PRODUCTS, [row]).updated == 1


def test_a_web_address_without_scheme_gets_https() -> None:
    fake = FakeBottleCrm()
    fake.connector().push(
        CUSTOMERS, [PushRow("n", _account("G1", "Acme", website="acme.example"), True)]
    )
    assert fake.accounts[0]["website"] == "https://acme.example"
    again = fake.connector().push(
        CUSTOMERS, [PushRow("n", _account("G1", "Acme", website="acme.example"), True)]
    )
    assert (again.created, again.updated) == (0, 0)
