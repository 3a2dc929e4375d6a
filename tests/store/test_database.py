"""Tests of opening and migrating the store on SQLite."""

from __future__ import annotations

from sqlalchemy import select

from store.database import migrate, open_store, table_names, upsert
from store.schema import cursors, metadata


def test_migration_creates_every_table(store):
    assert set(metadata.tables) <= table_names(store)


def test_migrate_twice_is_harmless(store):
    migrate(store)
    assert "runs" in table_names(store)


def test_sqlite_folder_is_created(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'deep' / 'er' / 'store.db'}")
    migrate(engine)
    assert (tmp_path / "deep" / "er" / "store.db").exists()
    engine.dispose()


def test_upsert_updates_existing_rows(store):
    from datetime import UTC, datetime

    row = {
        "system": "s",
        "entity": "e",
        "cursor_value": "1",
        "cursor_key": None,
        "updated_at": datetime.now(UTC),
        "run_id": "r1",
    }
    with store.begin() as connection:
        upsert(connection, cursors, [row], ["system", "entity"])
        upsert(connection, cursors, [{**row, "cursor_value": "2"}], ["system", "entity"])
    with store.connect() as connection:
        values = connection.execute(select(cursors.c.cursor_value)).scalars().all()
    assert values == ["2"]
