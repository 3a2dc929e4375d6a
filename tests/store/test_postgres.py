"""The store on the machine's real PostgreSQL: schema migration and a full sync."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from store.database import migrate, open_store, table_names
from store.schema import metadata, runs
from sync.context import SyncContext
from sync.runner import run_entity
from tests.conftest import need_service
from tests.sync.sandbox_setup import write_sandbox_config

pytestmark = pytest.mark.postgres

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def pg_url():
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    import psycopg

    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        need_service("PostgreSQL on 127.0.0.1:5432", str(exc).splitlines()[0])
    name = f"crmsync_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')  # a generated identifier, not user input
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_migrations_create_the_schema_on_postgres(pg_url):
    engine = open_store(pg_url)
    migrate(engine)
    migrate(engine)
    assert set(metadata.tables) <= table_names(engine)
    engine.dispose()


def test_a_sync_runs_with_the_store_on_postgres(pg_url, tmp_path):
    config = write_sandbox_config(tmp_path, store_url=pg_url, companies=80)
    ctx = SyncContext.open(config)
    try:
        first = run_entity(ctx, "customer")
        second = run_entity(ctx, "customer")
        with ctx.engine.connect() as c:
            statuses = c.execute(select(runs.c.status)).scalars().all()
    finally:
        ctx.close()
    assert first["status"] == "success" and first["golden_records"] > 0
    assert first["targets"]["sandbox_crm"]["updated"] > 0
    assert second["golden_records"] == first["golden_records"]
    for counts in second["targets"].values():
        assert counts["created"] == 0 and counts["updated"] == 0
    assert statuses == ["success", "success"]
