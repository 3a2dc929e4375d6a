"""Engine frames: canonical records as the columns the matching engine understands.

The engine (:mod:`dedupe.engine`) reads a table of strings and a type per column; this
module renders customers, products and contacts into such a table, one row per record
keyed by its record key (``system/entity/source_id``), and names each column's type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from dedupe.engine import EngineConfig, parse_config
from mappings.models import Contact, Customer, Product, Record

__all__ = ["ID_COLUMN", "engine_config", "engine_frame"]

ID_COLUMN = "record_key"

_CUSTOMER_COLUMNS = {
    "kind": "exact",
    "name": "company_name",
    "tax_id": "tax_id",
    "email": "email",
    "phone": "phone",
    "website": "website",
    "street": "street",
    "postcode": "postcode",
    "city": "city",
    "country": "country",
}
_PRODUCT_COLUMNS = {
    "code": "product_code",
    "name": "product_name",
    "spec": "text",
    "category": "text",
}
# A contact's address is mostly its company's, shared by every colleague: no evidence.
_CONTACT_COLUMNS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
}
COLUMNS: dict[str, dict[str, str]] = {
    "customer": _CUSTOMER_COLUMNS,
    "product": _PRODUCT_COLUMNS,
    "contact": _CONTACT_COLUMNS,
}


def _customer_row(record: Customer) -> dict[str, str | None]:
    address = record.bill_to if not record.bill_to.is_empty() else record.ship_to
    return {
        "kind": str(record.kind),
        "name": record.name,
        "tax_id": record.tax_id,
        "email": record.email,
        "phone": record.phone,
        "website": record.website,
        "street": address.street,
        "postcode": address.postcode,
        "city": address.city,
        "country": address.country,
    }


def _product_row(record: Product) -> dict[str, str | None]:
    return {
        "code": record.code,
        "name": record.name,
        "spec": record.spec,
        "category": record.category,
    }


def _contact_row(record: Contact) -> dict[str, str | None]:
    return {
        "first_name": record.first_name,
        "last_name": record.last_name,
        "email": record.email,
        "phone": record.phone,
    }


_ROWS: dict[str, Callable[[Any], dict[str, str | None]]] = {
    "customer": _customer_row,
    "product": _product_row,
    "contact": _contact_row,
}


def engine_frame(entity: str, records: Sequence[Record]) -> pd.DataFrame:
    """Return one row of strings per record (``""`` for missing), keyed by record key.

    Args:
        entity: ``customer``, ``product`` or ``contact``.
        records: Canonical records of that entity.

    Raises:
        KeyError: For an entity without an engine frame.
    """
    row_of = _ROWS[entity]
    columns = [ID_COLUMN, *COLUMNS[entity]]
    rows = [
        {ID_COLUMN: record.source.key(), **{k: v or "" for k, v in row_of(record).items()}}
        for record in records
    ]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def engine_config(entity: str, *, upper: float, lower: float) -> EngineConfig:
    """Return the engine configuration of ``entity`` with the given decision thresholds.

    Args:
        entity: ``customer``, ``product`` or ``contact``.
        upper: Probability at or above which the engine calls a pair a match.
        lower: Probability at or above which the engine reports a pair (for review).
    """
    return parse_config(
        {
            "id_column": ID_COLUMN,
            "columns": dict(COLUMNS[entity]),
            "thresholds": {"match": upper, "review": lower, "cannot_link": min(0.001, lower)},
            # Sync batches are small; a second process would cost more than it saves.
            "parallel": False,
        }
    )
