"""Tests of the generated data dictionary."""

from __future__ import annotations

from pathlib import Path

from mappings.dictionary import iter_fields, render_dictionary
from mappings.models import Customer
from sync.config import load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_customer_field_has_type_and_meaning():
    fields = {path: (kind, meaning) for path, kind, meaning in iter_fields(Customer)}
    assert "bill_to.city" in fields
    assert "credit_limit.amount" in fields
    assert all(meaning for _kind, meaning in fields.values())


def test_dictionary_shows_which_column_maps_where():
    text = render_dictionary(load_settings(ROOT / "crmsync.yaml"))
    line = next(x for x in text.splitlines() if x.startswith("| `tax_id`"))
    assert "`tax_number`" in line and "`stceg`" in line
    for entity in ("customer", "contact", "product", "order", "cost"):
        assert f"## {entity}" in text


def test_committed_dictionary_is_current():
    committed = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed == render_dictionary(load_settings(ROOT / "crmsync.yaml")), (
        "docs/data_dictionary.md is stale: run `make dictionary`"
    )
