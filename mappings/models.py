"""The canonical model: one shape for customers, contacts, products, orders and costs.

Every connector's records are mapped into these pydantic models, and every later stage
(quality gates, matching, survivorship, publishing) works on them only. Money is always a
``Decimal`` with an ISO 4217 currency code, countries are ISO 3166 alpha-2, times are UTC.
Each record keeps the ``(system, entity, source_id)`` it came from.

The models are deliberately lenient about *content* (an email that does not look like one
still maps): judging content is the quality gate's job, so a bad value ends in quarantine
with a named rule instead of failing the mapping. Types and shapes are strict.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator


def _blank_to_none(value: object) -> object:
    """Treat empty and whitespace-only strings as missing."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _strip(value: object) -> object:
    value = _blank_to_none(value)
    return value.strip() if isinstance(value, str) else value


OptStr = Annotated[str | None, BeforeValidator(_strip)]
"""An optional string: surrounding whitespace stripped, blank means missing."""


def _upper(value: object) -> object:
    value = _strip(value)
    return value.upper() if isinstance(value, str) else value


OptCode = Annotated[str | None, BeforeValidator(_upper)]
"""An optional code (currency, country): stripped and upper-cased, blank means missing."""


class CanonicalModel(BaseModel):
    """Base of all canonical models: immutable, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=10_000)

    presence_fields: ClassVar[tuple[str, ...]] = ()
    """Fields whose absence means the whole nested object is absent (empty: all fields)."""


class SourceRef(CanonicalModel):
    """Where a record came from: the system, the entity in that system, its key there."""

    system: str = Field(description="Name of the source system as configured, e.g. `sandbox_crm`.")
    entity: str = Field(description="Canonical entity name, e.g. `customer`.")
    source_id: str = Field(description="The record's primary key in the source system.")

    def key(self) -> str:
        """Return the ``system/entity/source_id`` string used as a stable record key."""
        return f"{self.system}/{self.entity}/{self.source_id}"


class Money(CanonicalModel):
    """An amount of money: a Decimal and its ISO 4217 currency code. Never a float."""

    presence_fields: ClassVar[tuple[str, ...]] = ("amount",)

    amount: Decimal = Field(description="The amount, exact decimal.", max_digits=28)
    currency: str = Field(
        description="ISO 4217 alphabetic code, upper case (e.g. `EUR`).",
        min_length=1,
        max_length=8,
    )

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        # A float would carry binary rounding error into finance; go through its repr.
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, str):
            return value.strip().replace(",", "") if value.strip() else value
        return value


class Address(CanonicalModel):
    """A postal address."""

    street: OptStr = Field(None, description="Street and house number as one line.")
    postcode: OptStr = Field(None, description="Postal code, as written.")
    city: OptStr = Field(None, description="City or town.")
    region: OptStr = Field(None, description="State, province or region.")
    country: OptCode = Field(None, description="ISO 3166-1 alpha-2 country code, upper case.")

    def is_empty(self) -> bool:
        """Return True when no part of the address is known."""
        return not any(self.model_dump().values())


class CustomerKind(StrEnum):
    """Whether a customer is a company (organisation) or a natural person."""

    COMPANY = "company"
    PERSON = "person"


class Record(CanonicalModel):
    """Fields every canonical record has: its source and when the source last changed it."""

    entity: ClassVar[str] = "record"

    source: SourceRef = Field(description="Where the record came from.")
    updated_at: datetime | None = Field(
        None, description="When the source last changed the record (UTC)."
    )

    @field_validator("updated_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Customer(Record):
    """A customer: a company or a person that buys from us, with its addresses and terms."""

    entity: ClassVar[str] = "customer"

    kind: CustomerKind = Field(CustomerKind.COMPANY, description="Company or person.")
    name: OptStr = Field(None, description="Legal or display name of the customer.")
    parent_source_id: OptStr = Field(
        None,
        description="Source id of the parent customer (head office) when this is a branch "
        "or plant; the hierarchy link for ordering / ship-to / bill-to.",
    )
    tax_id: OptStr = Field(None, description="Tax or VAT registration number.")
    email: OptStr = Field(None, description="Main e-mail address.")
    phone: OptStr = Field(None, description="Main phone number, as written.")
    website: OptStr = Field(None, description="Web site URL or domain.")
    bill_to: Address = Field(default_factory=Address, description="Billing address.")
    ship_to: Address = Field(default_factory=Address, description="Shipping address.")
    credit_limit: Money | None = Field(None, description="Credit limit granted to the customer.")
    payment_terms: OptStr = Field(None, description="Payment terms code, e.g. `NET30`.")
    currency: OptCode = Field(None, description="ISO 4217 currency the customer is billed in.")
    owners: tuple[str, ...] = Field((), description="Sales reps (e-mail) who own the customer.")


class Contact(Record):
    """A person at a customer: name, role and how to reach them."""

    entity: ClassVar[str] = "contact"

    customer_source_id: OptStr = Field(
        None, description="Source id of the customer this contact belongs to."
    )
    first_name: OptStr = Field(None, description="Given name.")
    last_name: OptStr = Field(None, description="Family name.")
    email: OptStr = Field(None, description="E-mail address.")
    phone: OptStr = Field(None, description="Phone number, as written.")
    job_title: OptStr = Field(None, description="Role or job title.")
    address: Address = Field(default_factory=Address, description="Postal address.")


class Product(Record):
    """A product or material: code, name, specification, unit and prices."""

    entity: ClassVar[str] = "product"

    code: OptStr = Field(None, description="Product code / SKU / material number.")
    name: OptStr = Field(None, description="Product name.")
    spec: OptStr = Field(
        None, description="Specification or variant (size, packaging, configuration)."
    )
    unit: OptStr = Field(None, description="Unit of measure, e.g. `PCE`, `KG`.")
    category: OptStr = Field(None, description="Product category or material group.")
    list_price: Money | None = Field(None, description="List (sales) price per unit.")
    cost_price: Money | None = Field(None, description="Cost price per unit.")


class OrderStatus(StrEnum):
    """Life-cycle state of a sales order."""

    ENTERED = "entered"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class OrderLine(CanonicalModel):
    """One line of an order."""

    line_no: int = Field(description="Line number within the order.", ge=0)
    product_source_id: OptStr = Field(None, description="Source id of the product.")
    quantity: Decimal = Field(description="Ordered quantity.")
    unit_price: Money = Field(description="Price per unit before discount.")
    discount: Decimal = Field(Decimal(0), description="Discount amount for the whole line.")
    amount: Money | None = Field(None, description="Line amount: quantity x price - discount.")


class Order(Record):
    """A sales order (ERP) or a won deal (CRM) with its lines."""

    entity: ClassVar[str] = "order"

    customer_source_id: OptStr = Field(None, description="Source id of the ordering customer.")
    order_date: date | None = Field(None, description="Date the order was placed.")
    status: OrderStatus = Field(OrderStatus.ENTERED, description="Order status.")
    currency: OptCode = Field(None, description="ISO 4217 currency of the order.")
    total: Money | None = Field(None, description="Order total net of tax.")
    tax_included: bool = Field(False, description="Whether prices include tax.")
    external_ref: OptStr = Field(
        None, description="Id of the same order in the other system (e.g. the CRM deal id)."
    )
    lines: tuple[OrderLine, ...] = Field((), description="Order lines.")


class Cost(Record):
    """An actual cost booked against an order (material, labour, overhead, freight)."""

    entity: ClassVar[str] = "cost"

    order_source_id: OptStr = Field(None, description="Source id of the order the cost is for.")
    cost_type: OptStr = Field(None, description="Cost element, e.g. `material`, `labour`.")
    amount: Money | None = Field(None, description="Cost amount.")
    posted_on: date | None = Field(None, description="Posting date.")


CANONICAL_MODELS: dict[str, type[Record]] = {
    model.entity: model for model in (Customer, Contact, Product, Order, Cost)
}
"""Canonical entity name → model class."""
