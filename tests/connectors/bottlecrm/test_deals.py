"""Deal push helpers: when two line-item lists are the same, and what a deal row needs.

The push itself is proved against the real BottleCRM in
tests/e2e/test_orders_bottlecrm_tryton.py (create with lines, twice unchanged, lines
replaced, a create cut before its lines completed by the retry).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from connectors.bottlecrm.deals import line_key


def test_a_pushed_line_and_the_servers_line_item_have_the_same_key() -> None:
    pushed = {"product_source_id": "p1", "quantity": "3", "unit_price": {"amount": "12.5"}}
    held = {"id": "l1", "product": {"id": "p1"}, "quantity": "3.00", "unit_price": "12.50"}
    assert line_key(pushed) == line_key(held) == ("p1", None, Decimal("3"), Decimal("12.5"))


def test_line_lists_compare_as_multisets() -> None:
    a = {"product_id": "p1", "quantity": 1, "unit_price": 2}
    b = {"name": "Service", "quantity": 1, "unit_price": 100}
    assert Counter(map(line_key, [a, b])) == Counter(map(line_key, [b, a]))
    assert Counter(map(line_key, [a, a])) != Counter(map(line_key, [a]))


def test_a_price_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not a number"):
        line_key({"product_id": "p1", "quantity": "1", "unit_price": "abc"})
