"""What the connector knows about each BottleCRM resource: path, envelope, fields, keys.

One :class:`Resource` per ``source.table`` a mapping may name (``accounts``,
``contacts``, ``products``, ``opportunities``; deals are written by
:mod:`connectors.bottlecrm.deals`, not the generic pusher). BottleCRM wraps
every list differently (``active_accounts.open_accounts`` +
``closed_accounts.close_accounts``, ``results``, ``opportunities``), wraps details
(``account_obj``) and answers creates with only an id (products: the record under
``product``); those differences live here as data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.bottlecrm.records import blank_to_none, flatten, format_stamp, joined


@dataclass(frozen=True)
class Envelope:
    """Where a list response keeps its records and its total count.

    ``lists`` are dotted paths to record arrays paged together with the same
    ``limit``/``offset`` (accounts: the open and the closed list); ``counts`` are the
    dotted paths of their totals, summed.
    """

    lists: tuple[str, ...]
    counts: tuple[str, ...]

    def records(self, body: dict[str, Any]) -> list[list[dict[str, Any]]]:
        """Return the record arrays of one page, one per list path."""
        return [list(_dig(body, path) or []) for path in self.lists]

    def total(self, body: dict[str, Any]) -> int:
        """Return the server's count of all records the list holds (not just this page)."""
        return sum(int(_dig(body, path) or 0) for path in self.counts)


def _dig(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _owners(record: dict[str, Any]) -> str | None:
    profiles = [p.get("user_details") for p in record.get("assigned_to") or []]
    return joined([p for p in profiles if isinstance(p, dict)], "email")


@dataclass(frozen=True)
class Resource:
    """One BottleCRM resource as the connector reads and writes it."""

    table: str
    """The name mappings use in ``source.table``."""
    path: str
    """List path under ``/api/``; ``<path><id>/`` is the detail."""
    envelope: Envelope
    fields: tuple[str, ...]
    """Top-level fields kept as columns (read-only extras such as roll-ups are left out, so
    the content hash changes only when the record does)."""
    detail_wrapper: str | None = None
    """Key wrapping the record in a detail response (None: the body is the record)."""
    created_wrapper: str | None = None
    """Key holding the new record in a create response (None: only ``id`` comes back)."""
    update_method: str = "PATCH"
    custom_field_model: str | None = None
    """``target_model`` of the org's custom-field definitions (None: no custom fields)."""
    natural_key: str | None = None
    """Column the server keeps unique per org (compared case-insensitively)."""
    case_renames: bool = True
    """Whether the server accepts a change of only the natural key's letter case."""
    required: frozenset[str] = frozenset()
    """Columns the server never accepts empty: a missing golden value is not sent."""
    numeric: frozenset[str] = frozenset()
    """Columns compared as decimals when deciding whether a write changes anything."""
    updated_at: str | None = None
    """Change-timestamp column, when the resource has one."""
    extras: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    """Derived columns: name → function of the raw record."""
    writable: bool = True
    """Whether the connector pushes to the resource."""
    outgoing: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    """Column → how a pushed value is put into the form the server accepts."""

    def prepare(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return outbound ``values`` in the form the server accepts (see ``outgoing``)."""
        return {
            column: self.outgoing[column](value) if column in self.outgoing else value
            for column, value in values.items()
        }

    def columns(self, record: dict[str, Any]) -> dict[str, Any]:
        """Return the flat columns of one raw API record."""
        out: dict[str, Any] = {}
        for name in self.fields:
            value = record.get(name)
            if name in ("created_at", "updated_at", "stage_changed_at"):
                out[name] = format_stamp(value)
            elif name == "custom_fields":
                out.update(flatten(name, value if isinstance(value, dict) else {}))
            else:
                out[name] = blank_to_none(value)
        for name, derive in self.extras.items():
            out[name] = derive(record)
        return out

    def natural_value(self, columns: dict[str, Any]) -> str | None:
        """Return the record's unique natural key, normalised for comparison (None if blank)."""
        if self.natural_key is None:
            return None
        value = blank_to_none(columns.get(self.natural_key))
        return str(value).strip().casefold() if value is not None else None

    def detail_path(self, record_id: str) -> str:
        """Return the path of one record."""
        return f"{self.path}{record_id}/"


_ADDRESS = ("address_line", "city", "state", "postcode", "country")


def with_scheme(value: Any) -> Any:
    """Give a web address without a scheme ``https://``: BottleCRM refuses ``acme.example``."""
    if isinstance(value, str) and value.strip() and "://" not in value:
        return f"https://{value.strip()}"
    return value


ACCOUNTS = Resource(
    table="accounts",
    path="accounts/",
    envelope=Envelope(
        lists=("active_accounts.open_accounts", "closed_accounts.close_accounts"),
        counts=("active_accounts.open_accounts_count", "closed_accounts.close_accounts_count"),
    ),
    fields=(
        "id",
        "name",
        "email",
        "phone",
        "website",
        "industry",
        "number_of_employees",
        "annual_revenue",
        "currency",
        *_ADDRESS,
        "description",
        "is_active",
        "created_at",
        "custom_fields",
    ),
    detail_wrapper="account_obj",
    custom_field_model="Account",
    natural_key="name",
    # BottleCRM's uniqueness check on update finds the account itself when only the case
    # of its name changes ("Account already exists with this name").
    case_renames=False,
    required=frozenset({"name"}),
    numeric=frozenset({"annual_revenue", "number_of_employees"}),
    extras={"assigned_to": _owners, "tags": lambda r: joined(r.get("tags"), "name")},
    outgoing={"website": with_scheme},
)

CONTACTS = Resource(
    table="contacts",
    path="contacts/",
    envelope=Envelope(lists=("results",), counts=("count",)),
    fields=(
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "organization",
        "title",
        "department",
        "do_not_call",
        "linkedin_url",
        *_ADDRESS,
        "description",
        "is_active",
        "account",
        "created_at",
        "updated_at",
        "custom_fields",
    ),
    detail_wrapper="contact_obj",
    custom_field_model="Contact",
    natural_key="email",
    required=frozenset({"first_name", "last_name"}),
    updated_at="updated_at",
    extras={"assigned_to": _owners, "tags": lambda r: joined(r.get("tags"), "name")},
)

PRODUCTS = Resource(
    table="products",
    path="invoices/products/",
    envelope=Envelope(lists=("results",), counts=("count",)),
    fields=(
        "id",
        "name",
        "description",
        "sku",
        "price",
        "currency",
        "category",
        "is_active",
        "created_at",
        "updated_at",
    ),
    created_wrapper="product",
    update_method="PUT",  # BottleCRM's product PUT is partial; there is no PATCH.
    natural_key="sku",
    required=frozenset({"name"}),
    numeric=frozenset({"price"}),
    updated_at="updated_at",
)


def _deal_lines(deal: dict[str, Any]) -> list[dict[str, Any]]:
    """A deal's line items as order lines: numbered, with the deal's currency on amounts.

    BottleCRM numbers every line ``order`` 0 unless reordered, so lines are numbered by
    (order, created_at, id).
    """
    currency = deal.get("currency")
    items = sorted(
        deal.get("line_items") or [],
        key=lambda i: (i.get("order") or 0, i.get("created_at") or "", str(i.get("id"))),
    )
    return [
        {
            "line_no": number,
            "product_source_id": (item.get("product") or {}).get("id"),
            "quantity": item.get("quantity"),
            "unit_price": {"amount": item.get("unit_price"), "currency": currency},
            "discount": item.get("discount_amount") or "0",
            "amount": {"amount": item.get("total"), "currency": currency},
        }
        for number, item in enumerate(items, start=1)
    ]


OPPORTUNITIES = Resource(
    table="opportunities",
    path="opportunities/",
    envelope=Envelope(lists=("opportunities",), counts=("opportunities_count",)),
    fields=(
        "id",
        "name",
        "stage",
        "stage_kind",
        "currency",
        "amount",
        "probability",
        "closed_on",
        "description",
        "source_ref",
        "is_active",
        "created_at",
        "stage_changed_at",
        "custom_fields",
    ),
    numeric=frozenset({"amount"}),
    extras={
        "account": lambda r: (r.get("account") or {}).get("id"),
        "lines": _deal_lines,
    },
    writable=False,
)

RESOURCES: dict[str, Resource] = {r.table: r for r in (ACCOUNTS, CONTACTS, PRODUCTS, OPPORTUNITIES)}
"""Resource by the ``source.table`` name mappings use."""
