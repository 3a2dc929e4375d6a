"""Smoke tests proving the real peers work the way the connectors will use them.

Tryton: JSON-RPC login, parties with addresses and contact mechanisms, product templates
with a variant, typed values, and the ``write_date``/``create_date`` incremental filter.
BottleCRM: bearer-token REST, creates, the per-endpoint pagination envelopes, and 401.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.peers.bottlecrm import BottleCrmServer
from tests.e2e.peers.tryton import TrytonClient, TrytonError, TrytonServer

pytestmark = pytest.mark.e2e


# --------------------------------------------------------------------------- Tryton


@pytest.fixture
def rpc(tryton_server: TrytonServer) -> Any:
    """A logged-in Tryton JSON-RPC client."""
    with tryton_server.client() as client:
        yield client


def _utcnow() -> dt.datetime:
    """Tryton stores naive UTC timestamps."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def test_tryton_login_and_context(tryton_server: TrytonServer, rpc: TrytonClient) -> None:
    assert rpc.context["company"]
    assert rpc.call("company.company", "search_count", []) == 1
    with pytest.raises(httpx.HTTPStatusError) as refused:  # a bad password is HTTP 401
        TrytonClient(tryton_server.url, tryton_server.database, "admin", "wrong-password")
    assert refused.value.response.status_code == 401
    bad = httpx.post(
        tryton_server.rpc_url,
        json={
            "id": 1,
            "method": "model.party.party.search",
            "params": [[], 0, 1, None, {}],
        },
        headers={"Authorization": "Session YWRtaW46MTpub3Bl"},
    )
    assert bad.status_code == 401


def test_tryton_party_with_address_and_contacts(rpc: TrytonClient) -> None:
    since = _utcnow() - dt.timedelta(seconds=1)
    name = f"Acme {uuid.uuid4().hex[:6]}"
    (party_id,) = rpc.call(
        "party.party",
        "create",
        [
            {
                "name": name,
                "addresses": [
                    [
                        "create",
                        [{"street": "1 Main Street", "postal_code": "1000", "city": "Brussels"}],
                    ]
                ],
                "contact_mechanisms": [
                    [
                        "create",
                        [
                            {"type": "email", "value": "sales@acme.example"},
                            {"type": "phone", "value": "+32 2 555 12 12"},
                        ],
                    ]
                ],
            }
        ],
    )
    rows = rpc.call(
        "party.party",
        "search_read",
        ["OR", ["write_date", ">=", since], ["create_date", ">=", since]],
        0,
        100,
        [["write_date", "ASC"], ["id", "ASC"]],
        ["name", "code", "addresses", "contact_mechanisms", "create_date", "write_date"],
    )
    assert [row["id"] for row in rows] == [party_id]  # not the company's party
    party = rows[0]
    assert party["name"] == name and party["code"]  # sequential code
    assert isinstance(party["create_date"], dt.datetime)
    # party.party writes its sequential code right after create, so write_date is
    # already set (= create_date); other models (party.address) leave it empty.
    assert party["write_date"] in (None, party["create_date"])
    mechanisms = rpc.call(
        "party.contact_mechanism",
        "read",
        party["contact_mechanisms"],
        ["type", "value", "party.name"],
    )
    assert {(m["type"], m["value"]) for m in mechanisms} >= {("email", "sales@acme.example")}
    assert mechanisms[0]["party."]["name"] == name  # dotted read
    (address,) = rpc.call("party.address", "read", party["addresses"], ["city", "street"])
    assert address["city"] == "Brussels"

    time.sleep(1.1)
    changed_since = _utcnow()
    rpc.call("party.party", "write", [party_id], {"name": name + " SA"})
    changed = rpc.call(
        "party.party",
        "search_read",
        ["OR", ["write_date", ">=", changed_since], ["create_date", ">=", changed_since]],
        0,
        None,
        [["write_date", "ASC"], ["id", "ASC"]],
        ["name", "write_date"],
    )
    assert [(row["id"], row["name"]) for row in changed] == [(party_id, name + " SA")]
    assert changed[0]["write_date"] >= changed_since


def test_tryton_product_template_and_variant(rpc: TrytonClient) -> None:
    unit = rpc.find_one("product.uom", [["name", "=", "Unit"]])
    category = rpc.find_one("product.category", [["name", "=", "Goods"]])
    code = f"W{uuid.uuid4().hex[:6].upper()}"
    (template_id,) = rpc.call(
        "product.template",
        "create",
        [
            {
                "name": "Widget",
                "code": code,
                "type": "goods",
                "default_uom": unit,
                "salable": True,
                "sale_uom": unit,
                "account_category": category,
                "list_price": Decimal("21.50"),
                "products": [
                    ["create", [{"suffix_code": "-BLU", "cost_price": Decimal("9.2500")}]]
                ],
            }
        ],
    )
    rows = rpc.call(
        "product.product",
        "search_read",
        [["template", "=", template_id]],
        0,
        10,
        None,
        ["code", "cost_price", "template.list_price", "template.name", "write_date"],
    )
    assert len(rows) == 1
    variant = rows[0]
    assert variant["code"] == f"{code}-BLU"
    assert variant["cost_price"] == Decimal("9.2500")
    assert variant["template."]["list_price"] == Decimal("21.50")
    assert variant["template."]["name"] == "Widget"
    assert rpc.call("product.template", "search_count", [["code", "=", code]]) == 1
    # Once stock moves exist only this wizard may change cost_price; it records a revision.
    variant_ctx = {"active_model": "product.product", "active_id": variant["id"]}
    rpc.wizard(
        "product.modify_cost_price",
        [("start", {"date": dt.date.today(), "cost_price": "10.00"}, "modify")],
        context={**variant_ctx, "active_ids": [variant["id"]]},
    )
    (after,) = rpc.call("product.product", "read", [variant["id"]], ["cost_price"])
    assert after["cost_price"] == Decimal("10.0000")
    revisions = rpc.call(
        "product.cost_price.revision",
        "search_read",
        [["product", "=", variant["id"]]],
        0,
        None,
        None,
        ["cost_price"],
    )
    assert [r["cost_price"] for r in revisions] == ["10.00"]
    with pytest.raises(TrytonError) as refused:  # errors come back as HTTP 200 + "error"
        rpc.call("product.template", "create", [{"code": "NO-NAME", "default_uom": unit}])
    assert refused.value.kind == "UserError"


# --------------------------------------------------------------------------- BottleCRM


@pytest.fixture
def crm(bottlecrm_server: BottleCrmServer) -> Any:
    """An httpx client on BottleCRM's ``/api/`` with the admin's bearer token."""
    with bottlecrm_server.client() as client:
        yield client


def _created(response: httpx.Response, wrapper: str | None = None) -> str:
    """Return the new record's id: top-level ``id``, or ``<wrapper>.id`` (products)."""
    assert response.status_code in (200, 201), response.text
    body = response.json()
    assert body["error"] is False, body
    return str(body[wrapper]["id"] if wrapper else body["id"])


def test_bottlecrm_rejects_a_bad_token(bottlecrm_server: BottleCrmServer) -> None:
    """A bad or missing token is refused: 403 on org-scoped endpoints, never data.

    BottleCRM's org middleware answers before DRF authentication, so an unknown PAT
    gets ``403 {"detail": "Organization context is required. ..."}``, not a 401.
    """
    with bottlecrm_server.client(token="bcrm_pat_not-a-real-token") as bad:
        refused = bad.get("accounts/")
        assert refused.status_code == 403
        assert "Organization context" in refused.json()["detail"]
        assert bad.get("org/").status_code == 403  # {"detail": "Invalid token"}
    assert httpx.get(f"{bottlecrm_server.url}/api/accounts/").status_code == 403
    with bottlecrm_server.client() as good:
        assert good.get("org/").status_code == 200


def test_bottlecrm_accounts_paginate(crm: httpx.Client) -> None:
    names = [f"Globex {i} {uuid.uuid4().hex[:4]}" for i in range(3)]
    ids = [_created(crm.post("accounts/", json={"name": name})) for name in names]
    detail = crm.get(f"accounts/{ids[0]}/")
    assert detail.status_code == 200, detail.text
    assert detail.json()["account_obj"]["name"] == names[0]
    duplicate = crm.post("accounts/", json={"name": names[0].upper()})
    assert duplicate.status_code == 400 and "name" in duplicate.json()["errors"]

    # Page through the whole list (the session's server also holds other tests' accounts,
    # so ours need not be on the first pages): pages of 2, no overlaps, ours all seen.
    seen: list[str] = []
    offset, total = 0, None
    while total is None or offset < total:
        page = crm.get("accounts/", params={"limit": 2, "offset": offset})
        assert page.status_code == 200, page.text
        active = page.json()["active_accounts"]
        total = int(active["open_accounts_count"])
        assert total >= 3 and len(active["open_accounts"]) <= 2
        seen += [row["id"] for row in active["open_accounts"]]
        offset += 2
    assert len(seen) == len(set(seen)) == total
    assert set(ids) <= set(seen)


def test_bottlecrm_contacts_paginate(crm: httpx.Client) -> None:
    account = _created(crm.post("accounts/", json={"name": f"Initech {uuid.uuid4().hex[:6]}"}))
    emails = [f"person{i}.{uuid.uuid4().hex[:6]}@example.com" for i in range(3)]
    ids = [
        _created(
            crm.post(
                "contacts/",
                json={
                    "first_name": f"Person{i}",
                    "last_name": "Tester",
                    "email": email,
                    "account": account,
                },
            )
        )
        for i, email in enumerate(emails)
    ]
    detail = crm.get(f"contacts/{ids[0]}/").json()
    assert detail["contact_obj"]["email"] == emails[0]
    first = crm.get("contacts/", params={"limit": 2, "offset": 0}).json()
    second = crm.get("contacts/", params={"limit": 2, "offset": 2}).json()
    assert first["count"] == second["count"] >= 3
    assert len(first["results"]) == 2
    got = {row["id"] for row in first["results"] + second["results"]}
    assert set(ids) <= got
    assert all("updated_at" in row for row in first["results"])


def test_bottlecrm_products_paginate(crm: httpx.Client) -> None:
    skus = [f"SKU-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    ids = [
        _created(
            crm.post(
                "invoices/products/",
                json={
                    "name": f"Gadget {sku}",
                    "sku": sku,
                    "price": "12.50",
                    "currency": "EUR",
                },
            ),
            wrapper="product",
        )
        for sku in skus
    ]
    page = crm.get("invoices/products/", params={"limit": 2, "offset": 0})
    assert page.status_code == 200, page.text
    body = page.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] >= 3 and len(body["results"]) == 2 and body["next"]
    rest = crm.get("invoices/products/", params={"limit": 500, "offset": 0}).json()
    by_id = {row["id"]: row for row in rest["results"]}
    assert set(ids) <= set(by_id)
    assert Decimal(str(by_id[ids[0]]["price"])) == Decimal("12.50")
    assert by_id[ids[0]]["updated_at"]
