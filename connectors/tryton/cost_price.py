"""Pushing a golden cost price to a Tryton variant: when it is sent, and how it is written.

Tryton values stock at the variant's cost price, so crmsync writes it only when the
system's ``push_cost_price`` setting is on. Then a golden cost price is sent when

* it is given (a golden record without a cost price leaves Tryton's alone),
* its currency is the Tryton company's (a price in another currency is refused with the
  reason: crmsync never converts a cost price silently), and
* rounded to the precision Tryton stores cost prices with (``digits`` of
  ``product.product.cost_price``, as Tryton rounds it) it differs from Tryton's, so a
  rounding difference is not pushed again on every run.

An existing variant is changed through Tryton's wizard ``product.modify_cost_price``,
which records a ``product.cost_price.revision`` and revalues the stock the supported way
(writing ``cost_price`` directly fails once the variant has stock moves); a new variant
gets its cost price in the create.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.tryton.lookups import Lookups
from connectors.tryton.rpc import TrytonRpc

DEFAULT_DIGITS = 4
"""Tryton's default price precision (``[product] price_decimal``)."""

WIZARD = "product.modify_cost_price"


class CostPriceRefusedError(ValueError):
    """The golden cost price cannot be sent to Tryton as it is (the message says why)."""


def _amount(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise CostPriceRefusedError(f"cost price {value!r} is not a number") from None


def cost_price_change(
    current: Any,
    wanted: Any,
    wanted_currency: Any,
    company_currency: str | None,
    digits: int,
) -> Decimal | None:
    """Return the cost price to write to a variant, or None when nothing is to be written.

    Args:
        current: The variant's cost price in Tryton (None: a variant not created yet).
        wanted: The golden cost price amount (blank: nothing to send).
        wanted_currency: The golden cost price's ISO 4217 currency code.
        company_currency: The Tryton company's currency code.
        digits: Decimal places Tryton stores cost prices with.

    Returns:
        ``wanted`` rounded to ``digits`` places (the way Tryton rounds), when it differs
        from ``current`` rounded the same way; None otherwise.

    Raises:
        CostPriceRefusedError: The currency is missing or is not the company's, or the amount
            is not a number.
    """
    amount = _amount(wanted)
    if amount is None:
        return None
    currency = str(wanted_currency).strip().upper() if wanted_currency else ""
    if not company_currency:
        raise CostPriceRefusedError(
            "the Tryton company's currency is unknown: the cost price cannot be checked"
        )
    if currency != company_currency.upper():
        shown = currency or "no currency"
        raise CostPriceRefusedError(
            f"cost price {amount} is in {shown}, the Tryton company's currency is "
            f"{company_currency}: cost prices are not converted, send it in {company_currency}"
        )
    step = Decimal(1).scaleb(-digits)
    rounded = amount.quantize(step)
    before = _amount(current)
    if before is not None and before.quantize(step) == rounded:
        return None
    return rounded


def digits_of(field: dict[str, Any]) -> int:
    """Return the decimal places of a numeric field from its ``fields_get`` description.

    ``digits`` is ``[precision, scale]``; a scale given as a field name (per-record
    digits) or missing falls back to Tryton's default price precision.
    """
    digits = field.get("digits")
    if isinstance(digits, list | tuple) and len(digits) == 2 and isinstance(digits[1], int):
        return digits[1]
    return DEFAULT_DIGITS


class CostPriceWriter:
    """Decides and writes variant cost prices in one Tryton database.

    The company currency and the cost price precision are read once and kept.
    """

    def __init__(self, rpc: TrytonRpc, lookups: Lookups) -> None:
        self.rpc = rpc
        self.lookups = lookups
        self._digits: int | None = None
        self._currency: tuple[str | None] | None = None

    @property
    def digits(self) -> int:
        """Decimal places of ``product.product.cost_price``."""
        if self._digits is None:
            fields = self.rpc.model("product.product", "fields_get", ["cost_price"])
            self._digits = digits_of(fields.get("cost_price") or {})
        return self._digits

    @property
    def company_currency(self) -> str | None:
        """The Tryton company's currency code."""
        if self._currency is None:
            self._currency = (self.lookups.company_currency(),)
        return self._currency[0]

    def change(self, current: Any, wanted: Any, wanted_currency: Any) -> Decimal | None:
        """Return the cost price to write, or None (see :func:`cost_price_change`).

        Raises:
            CostPriceRefusedError: The golden cost price cannot be sent as it is.
        """
        if _amount(wanted) is None:
            return None
        return cost_price_change(
            current, wanted, wanted_currency, self.company_currency, self.digits
        )

    def modify(self, variant: int, amount: Decimal) -> None:
        """Set ``variant``'s cost price to ``amount`` through ``product.modify_cost_price``.

        The revision is dated Tryton's today (the wizard's own default), the day a
        fixed cost price takes effect at once.
        """
        context = {
            **self.rpc.context,
            "active_model": "product.product",
            "active_id": variant,
            "active_ids": [variant],
        }
        defaults = self.rpc.model(f"{WIZARD}.start", "default_get", ["date"], context=context)
        session = self.rpc.call(f"wizard.{WIZARD}.create", context)[0]
        try:
            start = {"date": defaults["date"], "cost_price": format(amount, "f")}
            self.rpc.call(
                f"wizard.{WIZARD}.execute", session, {"start": start}, "modify", context, write=True
            )
        finally:
            self.rpc.call(f"wizard.{WIZARD}.delete", session, context)
