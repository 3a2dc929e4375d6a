from __future__ import annotations

from connectors.bottlecrm.records import (
    flatten,
    format_stamp,
    joined,
    same_value,
    unflatten,
)


def test_stamps_are_fixed_width_utc_so_text_order_is_time_order() -> None:
    whole = format_stamp("2026-11-25T14:15:40Z")
    fraction = format_stamp("2026-11-25T14:15:40.104492Z")
    assert whole == "2026-11-25T14:15:40.000000Z"
    assert fraction == "2026-11-25T14:15:40.104492Z"
    assert whole is not None and fraction is not None and whole < fraction
    assert format_stamp("2026-11-25T15:15:40+01:00") == whole
    assert format_stamp(None) is None and format_stamp("") is None


def test_flatten_and_unflatten_are_inverse_and_blanks_read_as_missing() -> None:
    flat = flatten("custom_fields", {"crmsync_golden_id": "G-1", "note": "  "})
    assert flat == {"custom_fields.crmsync_golden_id": "G-1", "custom_fields.note": None}
    nested = unflatten({"name": "Acme", "custom_fields.crmsync_golden_id": "G-1"})
    assert nested == {"name": "Acme", "custom_fields": {"crmsync_golden_id": "G-1"}}


def test_joined_sorts_and_skips_empty() -> None:
    assert joined([{"name": "b"}, {"name": "a"}, {"name": ""}], "name") == "a;b"
    assert joined([], "name") is None
    assert joined(None, "name") is None


def test_same_value() -> None:
    assert same_value("12.50", "12.5", numeric=True)
    assert not same_value("12.50", "12.5")  # text columns compare as text
    assert not same_value("+4930", "4930", numeric=False)
    assert same_value("", None) and same_value(None, None)
    assert not same_value(None, "x")
    assert same_value(True, True) and not same_value(True, "True")
    assert same_value(12, "12")
