"""Flat columns from BottleCRM's nested JSON and back, with stable timestamps and values.

Pulled records become flat dicts (``custom_fields.crmsync_golden_id``, ``assigned_to``
as ``;``-joined e-mails) so the mapping files address plain column names; a push turns
the flat outbound columns back into the nested body the API takes. Blank strings read as
missing (``None``), so an empty field hashes the same whether the server sends ``""`` or
``null``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.http.windows import parse_timestamp


def format_stamp(value: Any) -> str | None:
    """Return a timestamp as fixed-width UTC text ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    BottleCRM drops the fraction when it is zero (``...:40Z``), which would sort after
    ``...:40.1Z``; fixed width keeps text order equal to time order. Blank gives None.
    """
    if value in (None, ""):
        return None
    moment: datetime = parse_timestamp(value).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def blank_to_none(value: Any) -> Any:
    """Return None for empty or whitespace-only strings, the value otherwise."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def flatten(prefix: str, value: dict[str, Any]) -> dict[str, Any]:
    """Return ``{prefix.key: value}`` for every key of ``value`` (one level, blanks as None)."""
    return {f"{prefix}.{key}": blank_to_none(item) for key, item in sorted(value.items())}


def unflatten(columns: dict[str, Any]) -> dict[str, Any]:
    """Turn dotted columns into nested objects: ``{"a.b": 1}`` → ``{"a": {"b": 1}}``."""
    nested: dict[str, Any] = {}
    for column, value in columns.items():
        *parents, leaf = column.split(".")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return nested


def joined(items: Any, key: str) -> str | None:
    """Return the ``key`` values of a list of objects, sorted and ``;``-joined (None if none)."""
    if not isinstance(items, list):
        return None
    values = sorted(str(item[key]) for item in items if isinstance(item, dict) and item.get(key))
    return ";".join(values) or None


def same_value(current: Any, wanted: Any, numeric: bool = False) -> bool:
    """Whether the server's ``current`` value already equals the ``wanted`` one.

    Blank and None are equal; with ``numeric`` two amounts compare as decimals, so
    ``"12.50"`` equals ``"12.5"`` and ``12.5``.
    """
    current, wanted = blank_to_none(current), blank_to_none(wanted)
    if current is None or wanted is None:
        return current is None and wanted is None
    if numeric:
        try:
            return Decimal(str(current)) == Decimal(str(wanted))
        except InvalidOperation:
            pass
    if isinstance(current, bool) or isinstance(wanted, bool):
        return current is wanted
    return str(current) == str(wanted)
