"""Unit tests of the batch gates' decisions."""

from __future__ import annotations

from datetime import UTC, datetime

from mappings.loader import PACKAGED_MAPPINGS, find_mapping
from quality.batch_gates import (
    failure_ratio,
    mapped_columns,
    row_count_collapse,
    schema_drift,
    stale_data,
)


def test_failure_ratio_at_and_over_limit():
    assert failure_ratio("customer", 2, 10, 0.2).passed
    decision = failure_ratio("customer", 3, 10, 0.2)
    assert not decision.passed
    assert decision.cause.startswith("failure_ratio (customer): 3 of 10 changed records failed")


def test_schema_drift_names_missing_columns():
    mapping = find_mapping([PACKAGED_MAPPINGS], "sandbox_crm", "customer")
    columns = mapped_columns(mapping)
    assert {"account_id", "modified_at", "account_name", "tax_number"} <= columns
    assert schema_drift(mapping, columns, 10).passed
    decision = schema_drift(mapping, columns - {"tax_number"}, 10)
    assert not decision.passed and "tax_number" in decision.detail
    assert schema_drift(mapping, set(), 0).passed  # nothing pulled, nothing to judge


def test_row_count_collapse():
    assert row_count_collapse("crm/customer", 900, 1000, 0.5).passed
    decision = row_count_collapse("crm/customer", 100, 1000, 0.5)
    assert not decision.passed and "truncated" in decision.detail
    assert row_count_collapse("crm/customer", 5, None, 0.5).passed  # first run
    assert row_count_collapse("crm/customer", 5000, 1000, 0.5).passed  # growth is fine


def test_stale_data():
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert stale_data("crm", "2026-11-25T10:00:00+00:00", 24, now).passed
    decision = stale_data("crm", "2026-11-20T10:00:00", 24, now)
    assert not decision.passed and "h old" in decision.detail
    assert stale_data("crm", "2020-01-01T00:00:00", None, now).passed  # not configured
