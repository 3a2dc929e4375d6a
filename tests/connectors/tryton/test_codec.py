"""Tryton's typed JSON values survive a round trip through the codec."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connectors.tryton.codec import decode, dumps, encode, loads


def test_typed_values_round_trip() -> None:
    value = {
        "price": Decimal("21.50"),
        "day": dt.date(2026, 1, 31),
        "moment": dt.datetime(2026, 1, 31, 23, 59, 58, 123456),
        "at": dt.time(7, 30, 1, 5),
        "lead": dt.timedelta(days=2, seconds=3),
        "blob": b"\x00\xffcrm",
        "nested": [{"qty": Decimal("-0.0001")}, (Decimal(1), "text", 3, None, True)],
    }
    back = loads(dumps(value))
    assert back == {
        **value,
        "nested": [{"qty": Decimal("-0.0001")}, [Decimal(1), "text", 3, None, True]],
    }
    assert isinstance(back["moment"], dt.datetime) and back["moment"].microsecond == 123456


def test_encoding_is_tryton_wire_format() -> None:
    assert encode(Decimal("1.10")) == {"__class__": "Decimal", "decimal": "1.10"}
    assert encode(dt.date(2026, 2, 3)) == {"__class__": "date", "year": 2026, "month": 2, "day": 3}
    assert encode(b"ab") == {"__class__": "bytes", "base64": "YWI="}
    assert encode(dt.timedelta(minutes=1)) == {"__class__": "timedelta", "seconds": 60.0}
    # A datetime is a date too: it must keep its time part.
    assert encode(dt.datetime(2026, 2, 3, 4, 5, 6))["hour"] == 4


def test_decode_defaults_and_unknown_classes() -> None:
    assert decode({"__class__": "datetime", "year": 2026, "month": 5, "day": 6}) == dt.datetime(
        2026, 5, 6
    )
    unknown = {"__class__": "Point", "x": 1}
    assert decode(unknown) is unknown
    assert decode({"plain": 1}) == {"plain": 1}
