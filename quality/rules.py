"""Row rules of the skeleton gate: each checks one canonical field of one record.

A rule names itself, the field it reads and why a value fails. The full Great
Expectations suites replace these per entity and stage; the rule names stay the same so
quarantine history stays comparable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import pycountry

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@cache
def iso_currencies() -> frozenset[str]:
    """Return the ISO 4217 alphabetic currency codes."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


@cache
def iso_countries() -> frozenset[str]:
    """Return the ISO 3166-1 alpha-2 country codes."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@dataclass(frozen=True)
class RowRule:
    """A check of one field: ``passes(value)`` is False for a bad value."""

    name: str
    field: str
    passes: Callable[[Any], bool]
    reason: str


def _get(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _required(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _email(value: Any) -> bool:
    return value is None or bool(_EMAIL.match(str(value)))


def _currency(value: Any) -> bool:
    return value is None or str(value) in iso_currencies()


def _country(value: Any) -> bool:
    return value is None or str(value) in iso_countries()


def _non_negative(value: Any) -> bool:
    if value is None:
        return True
    try:
        return Decimal(str(value)) >= 0
    except InvalidOperation:
        return False


RULES: dict[str, tuple[RowRule, ...]] = {
    "customer": (
        RowRule("name_required", "name", _required, "customer has no name"),
        RowRule("email_format", "email", _email, "not a valid e-mail address"),
        RowRule("currency_iso4217", "currency", _currency, "not an ISO 4217 currency code"),
        RowRule(
            "currency_iso4217",
            "credit_limit.currency",
            _currency,
            "not an ISO 4217 currency code",
        ),
        RowRule(
            "amount_non_negative",
            "credit_limit.amount",
            _non_negative,
            "credit limit is negative",
        ),
        RowRule("country_iso3166", "bill_to.country", _country, "not an ISO 3166 country code"),
        RowRule("country_iso3166", "ship_to.country", _country, "not an ISO 3166 country code"),
    ),
    "contact": (
        RowRule("name_required", "last_name", _required, "contact has no last name"),
        RowRule("email_format", "email", _email, "not a valid e-mail address"),
    ),
    "product": (
        RowRule("name_required", "name", _required, "product has no name"),
        RowRule("price_non_negative", "list_price.amount", _non_negative, "list price < 0"),
        RowRule("price_non_negative", "cost_price.amount", _non_negative, "cost price < 0"),
        RowRule(
            "currency_iso4217", "list_price.currency", _currency, "not an ISO 4217 currency code"
        ),
        RowRule(
            "currency_iso4217", "cost_price.currency", _currency, "not an ISO 4217 currency code"
        ),
    ),
}
"""Row rules per canonical entity."""


@dataclass(frozen=True)
class RuleFailure:
    """One rule a record failed, with the failing value."""

    rule: str
    field: str
    value: Any
    reason: str


def check_record(entity: str, record: dict[str, Any]) -> list[RuleFailure]:
    """Return every rule the canonical record (JSON form) fails; empty when it passes."""
    failures = []
    for rule in RULES.get(entity, ()):
        value = _get(record, rule.field)
        if not rule.passes(value):
            failures.append(RuleFailure(rule.name, rule.field, value, rule.reason))
    return failures
