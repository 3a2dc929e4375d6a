"""Masking of personal values before they are written to quarantine rows and reports."""

from __future__ import annotations

PERSONAL_FIELDS = frozenset(
    {"email", "phone", "first_name", "last_name", "street", "tax_id", "date_of_birth"}
)
"""Canonical field names (last part of the dotted path) that hold personal data."""


def is_personal(field: str) -> bool:
    """Return True when the canonical field (dotted path) holds personal data."""
    return field.rsplit(".", 1)[-1] in PERSONAL_FIELDS


def mask(value: object) -> str | None:
    """Mask a value so its shape shows but not its content: ``jane@x.com`` → ``j***@x.com``."""
    if value is None:
        return None
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(text) <= 4:
        return "*" * len(text)
    return f"{text[:2]}{'*' * (len(text) - 4)}{text[-2:]}"


def shown_value(field: str, value: object, unmasked: bool = False) -> str | None:
    """Return the value as it may be shown: masked when personal unless ``unmasked``."""
    if value is None:
        return None
    if unmasked or not is_personal(field):
        return str(value)[:500]
    return mask(value)
