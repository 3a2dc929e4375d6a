"""Load the sandbox CRM/ERP databases straight into canonical models, with the truth.

A test helper, independent of the connectors and YAML mappings: it maps the columns of
``crm.db`` and ``erp.db`` (see ``docs/sandbox.md``) by hand so the matcher can be
measured against ``truth.csv`` before the rest of the pipeline exists. Records whose
truth names a planted defect are left out, as the quality gate quarantines them before
matching.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from mappings.models import Address, Customer, CustomerKind, Money, Product, SourceRef

CRM = "sandbox_crm"
ERP = "sandbox_erp"


@dataclass(frozen=True)
class SandboxData:
    """Canonical sandbox records and their truth.

    Attributes:
        customers: CRM accounts and ERP customers without defects.
        products: CRM products and ERP materials without defects.
        truth: Record key → true entity id, for the records above only.
    """

    customers: list[Customer]
    products: list[Product]
    truth: dict[str, str]


def _system(name: str) -> str:
    return CRM if "crm" in name.lower() else ERP


def _entity(name: str) -> str:
    lowered = name.lower()
    if lowered in {"account", "accounts", "customer_master", "customers"}:
        return "customer"
    if lowered in {"products", "material", "materials", "material_master"}:
        return "product"
    return lowered


def _read_truth(path: Path) -> tuple[dict[str, str], set[str]]:
    truth: dict[str, str] = {}
    defective: set[str] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ref = SourceRef(
                system=_system(row["system"]),
                entity=_entity(row["entity"]),
                source_id=row["source_id"],
            )
            if (row.get("defect") or "").strip():
                defective.add(ref.key())
            else:
                truth[ref.key()] = row["entity_id"]
    return truth, defective


def _rows(path: Path, query: str) -> Iterator[sqlite3.Row]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        yield from connection.execute(query)
    finally:
        connection.close()


def _money(amount: str | None, currency: str | None) -> Money | None:
    if not amount or not currency:
        return None
    try:
        return Money(amount=Decimal(amount.strip().replace(",", "")), currency=currency)
    except (InvalidOperation, ValueError):
        return None


def _join(*parts: str | None) -> str | None:
    text = " ".join(part.strip() for part in parts if part and part.strip())
    return text or None


def _crm_customers(path: Path) -> Iterator[Customer]:
    for row in _rows(path, "SELECT * FROM accounts ORDER BY account_id"):
        yield Customer(
            source=SourceRef(system=CRM, entity="customer", source_id=row["account_id"]),
            kind=CustomerKind.PERSON if row["account_type"] == "Person" else CustomerKind.COMPANY,
            name=row["account_name"],
            parent_source_id=row["parent_account_id"],
            tax_id=row["tax_number"],
            email=row["email"],
            phone=row["phone"],
            website=row["website"],
            bill_to=Address(
                street=row["billing_street"],
                postcode=row["billing_postal_code"],
                city=row["billing_city"],
                region=row["billing_state"],
                country=row["billing_country"],
            ),
            ship_to=Address(
                street=row["shipping_street"],
                postcode=row["shipping_postal_code"],
                city=row["shipping_city"],
                country=row["shipping_country"],
            ),
            credit_limit=_money(row["credit_limit"], row["currency_code"]),
            payment_terms=row["payment_terms"],
            currency=row["currency_code"],
            owners=tuple(o.strip() for o in (row["owner_email"] or "").split(";") if o.strip()),
        )


def _erp_customers(path: Path) -> Iterator[Customer]:
    for row in _rows(path, "SELECT * FROM customer_master ORDER BY kunnr"):
        yield Customer(
            source=SourceRef(system=ERP, entity="customer", source_id=row["kunnr"]),
            kind=CustomerKind.PERSON if row["ktokd"] == "PERS" else CustomerKind.COMPANY,
            name=_join(row["name1"], row["name2"]),
            parent_source_id=row["hkunnr"],
            tax_id=row["stceg"],
            email=row["smtp_addr"],
            phone=row["telf1"],
            bill_to=Address(
                street=row["stras"],
                postcode=row["pstlz"],
                city=row["ort01"],
                region=row["regio"],
                country=row["land1"],
            ),
            ship_to=Address(
                street=row["we_stras"],
                postcode=row["we_pstlz"],
                city=row["we_ort01"],
                country=row["we_land1"],
            ),
            credit_limit=_money(row["klimk"], row["waers"]),
            payment_terms=row["zterm"],
            currency=row["waers"],
        )


def _crm_products(path: Path) -> Iterator[Product]:
    for row in _rows(path, "SELECT * FROM products ORDER BY product_id"):
        yield Product(
            source=SourceRef(system=CRM, entity="product", source_id=row["product_id"]),
            code=row["sku"],
            name=row["product_name"],
            spec=row["description"],
            unit=row["uom"],
            category=row["product_family"],
            list_price=_money(row["unit_price"], row["currency_code"]),
        )


def _erp_products(path: Path) -> Iterator[Product]:
    for row in _rows(path, "SELECT * FROM material_master ORDER BY matnr"):
        yield Product(
            source=SourceRef(system=ERP, entity="product", source_id=row["matnr"]),
            code=row["matnr"],
            name=row["maktx"],
            spec=row["groes"],
            unit=row["meins"],
            category=row["matkl"],
            list_price=_money(row["kbetr"], row["waers"]),
            cost_price=_money(row["verpr"], row["waers"]),
        )


def load_sandbox(directory: Path) -> SandboxData:
    """Load customers, products and truth from a seeded sandbox directory.

    Args:
        directory: Folder holding ``crm.db``, ``erp.db`` and ``truth.csv``.

    Returns:
        Defect-free canonical customers and products and their truth.
    """
    truth, defective = _read_truth(directory / "truth.csv")
    crm, erp = directory / "crm.db", directory / "erp.db"
    customers = [
        record
        for record in (*_crm_customers(crm), *_erp_customers(erp))
        if record.source.key() not in defective
    ]
    products = [
        record
        for record in (*_crm_products(crm), *_erp_products(erp))
        if record.source.key() not in defective
    ]
    keys = {record.source.key() for record in (*customers, *products)}
    return SandboxData(
        customers=customers,
        products=products,
        truth={key: entity for key, entity in truth.items() if key in keys},
    )
