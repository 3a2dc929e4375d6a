"""Each batch gate stops a real run before match and publish: targets stay unchanged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store.golden import load_active_golden
from sync.context import SyncContext
from sync.runner import run_entity

from .sandbox_setup import execute, write_sandbox_config


def snapshot(folder: Path) -> dict[str, list[tuple]]:
    """Every row of both sandbox systems' customer tables."""
    out = {}
    for db, table in (("crm", "accounts"), ("erp", "customer_master")):
        with sqlite3.connect(folder / "sandbox" / f"{db}.db") as conn:
            out[table] = conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608
    return out


def golden(ctx: SyncContext) -> dict:
    with ctx.engine.connect() as c:
        return {g: r.data for g, r in load_active_golden(c, "customer").items()}


@pytest.fixture
def synced_once(tmp_path):
    config = write_sandbox_config(tmp_path, companies=60)
    ctx = SyncContext.open(config)
    assert run_entity(ctx, "customer")["status"] == "success"
    yield tmp_path, config, ctx
    ctx.close()


def test_truncated_extract_stops_before_publish(synced_once):
    folder, _config, ctx = synced_once
    # The extract now holds a fifth of the accounts: as if the export was cut short.
    execute(folder, "crm", "DELETE FROM accounts WHERE rowid % 5 != 0")
    targets, master = snapshot(folder), golden(ctx)
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "blocked"
    assert summary["cause"].startswith("row_count_collapse (sandbox_crm/customer)")
    assert snapshot(folder) == targets
    assert golden(ctx) == master


def test_schema_drift_stops_before_publish(synced_once):
    folder, _config, ctx = synced_once
    execute(folder, "crm", "ALTER TABLE accounts RENAME COLUMN tax_number TO vat_number")
    execute(folder, "crm", "UPDATE accounts SET modified_at = '2026-12-01T00:00:00+00:00'")
    targets, master = snapshot(folder), golden(ctx)
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "blocked"
    assert "schema_drift (sandbox_crm/accounts)" in summary["cause"]
    assert "tax_number" in summary["cause"]
    assert snapshot(folder) == targets
    assert golden(ctx) == master


def test_stale_source_stops_before_publish(tmp_path):
    config = write_sandbox_config(tmp_path, companies=40)
    text = config.read_text(encoding="utf-8").replace(
        "gate: {max_failure_ratio: 0.2}", "gate: {max_failure_ratio: 0.2, max_source_age_hours: 24}"
    )
    config.write_text(text, encoding="utf-8")
    targets = snapshot(tmp_path)
    ctx = SyncContext.open(config)
    try:
        summary = run_entity(ctx, "customer")
    finally:
        ctx.close()
    assert summary["status"] == "blocked"
    assert "stale_data" in summary["cause"] and "h old" in summary["cause"]
    assert snapshot(tmp_path) == targets
