"""Tests of the SQL connector against a real SQLite database."""

from __future__ import annotations

import sqlite3

import pytest

from connectors.base import PullWindow, PushRow
from connectors.errors import FatalError
from connectors.sql import SqlConnector, SqlConnectorConfig
from mappings.spec import MappingSpec

SPEC = MappingSpec.model_validate(
    {
        "system": "shop",
        "entity": "customer",
        "source": {"table": "clients", "primary_key": "id", "updated_at": "changed"},
        "inbound": {"name": "name"},
        "outbound": {
            "golden_id_column": "gid",
            "updated_at_column": "changed",
            "fields": {"name": "name"},
        },
    }
)


@pytest.fixture
def connector(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE clients (id TEXT PRIMARY KEY, name TEXT, changed TEXT, gid TEXT)")
        db.executemany(
            "INSERT INTO clients VALUES (?, ?, ?, NULL)",
            [
                ("1", "A", "2025-01-01T00:00:00+00:00"),
                ("2", "B", "2025-01-02T00:00:00+00:00"),
                ("3", "C", "2025-01-02T00:00:00+00:00"),
                ("4", "D'; DROP TABLE clients;--", "2025-01-03T00:00:00+00:00"),
            ],
        )
    conn = SqlConnector("shop", SqlConnectorConfig(url=f"sqlite:///{path}"))
    yield conn
    conn.close()


def test_full_pull_in_cursor_order(connector):
    records = list(connector.pull(SPEC, PullWindow(None)))
    assert [r.source_id for r in records] == ["1", "2", "3", "4"]
    assert connector.count(SPEC, PullWindow(None)) == 4


def test_window_includes_rows_sharing_the_boundary_timestamp(connector):
    window = PullWindow("2025-01-02T00:00:00+00:00")
    assert [r.source_id for r in connector.pull(SPEC, window)] == ["2", "3", "4"]
    assert connector.count(SPEC, window) == 3


def test_push_twice_changes_nothing_more(connector):
    rows = [
        PushRow("1", {"name": "A1", "gid": "G1"}, create=False),
        PushRow("9", {"name": "New", "gid": "G9"}, create=True),
    ]
    first = connector.push(SPEC, rows)
    assert (first.created, first.updated) == (1, 1)
    second = connector.push(SPEC, rows)
    assert (second.created, second.updated) == (0, 2)
    names = {r.source_id: r.payload["name"] for r in connector.pull(SPEC, PullWindow(None))}
    assert names["1"] == "A1" and names["9"] == "New" and len(names) == 5


def test_hostile_values_are_data_not_sql(connector):
    connector.push(SPEC, [PushRow("1", {"name": "x'); DELETE FROM clients;--"}, create=False)])
    assert connector.count(SPEC, PullWindow(None)) == 4


def test_missing_table_is_fatal(connector):
    spec = SPEC.model_copy(update={"source": SPEC.source.model_copy(update={"table": "nope"})})
    with pytest.raises(FatalError, match="does not exist"):
        list(connector.pull(spec, PullWindow(None)))


def test_url_is_secret():
    config = SqlConnectorConfig(url="postgresql://u:hunter2@h/db")
    assert "hunter2" not in repr(config) and "hunter2" not in str(config)


def test_each_pull_sees_the_table_as_it_is_now(connector, tmp_path):
    assert "name" in next(connector.pull(SPEC, PullWindow(None))).payload
    with sqlite3.connect(tmp_path / "shop.db") as db:
        db.execute("ALTER TABLE clients RENAME COLUMN name TO full_name")
    payload = next(connector.pull(SPEC, PullWindow(None))).payload
    assert "full_name" in payload and "name" not in payload


def test_stats_count_and_newest_change(connector):
    stats = connector.stats(SPEC)
    assert stats.total == 4
    assert stats.newest_change == "2025-01-03T00:00:00+00:00"
