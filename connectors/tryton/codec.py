"""Tryton's JSON-RPC value codec: typed objects for Decimal, date, datetime, time,
timedelta and bytes.

Tryton sends and expects values JSON has no type for as objects tagged with
``__class__`` (``{"__class__": "Decimal", "decimal": "21.50"}``). :func:`encode` turns
Python values into that form before sending; :func:`decode` is the ``json`` object hook
that turns them back. Unknown tagged objects pass through unchanged.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any


def encode(value: Any) -> Any:
    """Return ``value`` with every typed value replaced by Tryton's tagged object (recursively).

    Dicts, lists and tuples are rebuilt; other JSON-native values are returned as they are.
    """
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, dt.time):
        return {
            "__class__": "time",
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, bytes | bytearray):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def decode(obj: dict[str, Any]) -> Any:
    """``json`` object hook: turn Tryton's tagged objects back into Python values."""
    kind = obj.get("__class__")
    if kind is None:
        return obj
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "date":
        return dt.date(obj["year"], obj["month"], obj["day"])
    if kind == "datetime":
        return dt.datetime(
            obj["year"],
            obj["month"],
            obj["day"],
            obj.get("hour", 0),
            obj.get("minute", 0),
            obj.get("second", 0),
            obj.get("microsecond", 0),
        )
    if kind == "time":
        return dt.time(
            obj.get("hour", 0),
            obj.get("minute", 0),
            obj.get("second", 0),
            obj.get("microsecond", 0),
        )
    if kind == "timedelta":
        return dt.timedelta(seconds=obj["seconds"])
    if kind == "bytes":
        return base64.b64decode(obj["base64"])
    return obj


def dumps(value: Any) -> str:
    """Serialise ``value`` to JSON text in Tryton's typed form."""
    return json.dumps(encode(value), separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse JSON text from Tryton, decoding its typed objects."""
    return json.loads(text, object_hook=decode)
