"""Order flow: deal → target ids through the golden cross-references, and what is held."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from mappings.loader import load_mapping
from sync.stages.orders import IdTranslator, Problem, order_columns, translate_order

ROOT = Path(__file__).resolve().parents[2]

CUSTOMERS = IdTranslator(
    "customer",
    {
        ("crm", "acc-1"): "GC-1",
        ("erp", "17"): "GC-1",
        ("crm", "acc-2"): "GC-2",  # golden, but not in the ERP yet
        ("crm", "acc-3"): "GC-3",
        ("erp", "9"): "GC-3",  # two ERP duplicates of one golden customer
        ("erp", "12"): "GC-3",
    },
)
PRODUCTS = IdTranslator(
    "product",
    {("crm", "p-a"): "GP-1", ("erp", "5"): "GP-1", ("crm", "p-b"): "GP-2", ("erp", "6"): "GP-2"},
)


def _line(number: int, product: str | None, quantity: str, price: str, **extra: Any) -> dict:
    return {
        "line_no": number,
        "product_source_id": product,
        "quantity": quantity,
        "unit_price": {"amount": price, "currency": "EUR"},
        **extra,
    }


def _deal(customer: str | None, *lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": {"system": "crm", "entity": "order", "source_id": "D1"},
        "customer_source_id": customer,
        "order_date": "2026-11-20",
        "status": "entered",
        "currency": "EUR",
        "total": {"amount": "100", "currency": "EUR"},
        "lines": list(lines),
    }


def test_customer_and_products_become_the_targets_ids() -> None:
    deal = _deal("acc-1", _line(1, "p-a", "2", "10.00"), _line(2, "p-b", "1", "5"))
    translation = translate_order(deal, "D1", "crm", "erp", CUSTOMERS, PRODUCTS)
    assert translation.problems == []
    order = translation.order
    assert order is not None
    assert order["customer_source_id"] == "17"
    assert order["external_ref"] == "D1"
    assert [(line["product_source_id"], line["quantity"]) for line in order["lines"]] == [
        ("5", "2"),
        ("6", "1"),
    ]
    assert order["lines"][0]["unit_price"] == {"amount": "10.00", "currency": "EUR"}


def test_duplicates_in_the_target_resolve_to_the_oldest_record() -> None:
    assert CUSTOMERS.translate("crm", "acc-3", "erp") == "9"


def test_a_customer_without_golden_record_is_named() -> None:
    translation = translate_order(
        _deal("acc-9", _line(1, "p-a", "1", "1")), "D1", "crm", "erp", CUSTOMERS, PRODUCTS
    )
    assert translation.order is None
    [problem] = translation.problems
    assert problem.field == "customer_source_id" and problem.value == "acc-9"
    assert "customer acc-9 of crm has no golden record yet" in problem.reason


def test_a_golden_customer_missing_in_the_target_is_named() -> None:
    problem = CUSTOMERS.translate("crm", "acc-2", "erp")
    assert isinstance(problem, Problem)
    assert problem.reason == "customer acc-2 of crm (golden GC-2) has no record in erp yet"


def test_every_missing_product_and_productless_line_is_listed() -> None:
    deal = _deal(
        "acc-1",
        _line(1, "p-a", "1", "1"),
        _line(2, "p-zz", "1", "1"),
        _line(3, None, "1", "100"),
    )
    translation = translate_order(deal, "D1", "crm", "erp", CUSTOMERS, PRODUCTS)
    assert translation.order is None
    assert [(p.field, p.value) for p in translation.problems] == [
        ("product_source_id", "p-zz"),
        ("lines[3].product_source_id", None),
    ]
    assert translation.problems[1].reason == "line 3 has no product"


def test_a_deal_without_customer_or_lines_is_held() -> None:
    translation = translate_order(_deal(None), "D1", "crm", "erp", CUSTOMERS, PRODUCTS)
    assert [p.reason for p in translation.problems] == [
        "the deal has no customer",
        "the deal has no line items",
    ]


def test_a_line_discount_is_folded_into_the_unit_price() -> None:
    deal = _deal("acc-1", _line(1, "p-a", "4", "25.00", discount="10.00"))
    order = translate_order(deal, "D1", "crm", "erp", CUSTOMERS, PRODUCTS).order
    assert order is not None
    line = order["lines"][0]
    # 4 x 25.00 - 10.00 = 90.00 = 4 x 22.50
    assert Decimal(line["unit_price"]["amount"]) == Decimal("22.50")
    assert line["discount"] == "0"


def test_the_tryton_columns_keep_the_lines_as_a_list() -> None:
    mapping = load_mapping(ROOT / "mappings" / "tryton_order.yaml")
    deal = _deal("acc-1", _line(1, "p-a", "2", "10.00"))
    order = translate_order(deal, "D1", "crm", "erp", CUSTOMERS, PRODUCTS).order
    assert order is not None
    columns = order_columns(mapping, order)
    assert columns["party"] == "17"
    assert columns["reference"] == "D1"
    assert columns["sale_date"] == "2026-11-20"
    assert columns["currency"] == "EUR"
    assert columns["lines"] == [
        {
            "line_no": 1,
            "product_source_id": "5",
            "quantity": "2",
            "unit_price": {"amount": "10.00", "currency": "EUR"},
            "discount": "0",
        }
    ]
