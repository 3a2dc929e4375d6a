"""The SQL connector on a real ODBC source: MariaDB through unixODBC and pyodbc.

Needs the MariaDB server on 127.0.0.1:3306 (root, no password, database ``test``) and the
Debian packages ``unixodbc`` and ``odbc-mariadb`` (driver ``MariaDB Unicode``).
"""

from __future__ import annotations

import secrets

import pytest

from connectors.base import PullWindow, PushRow
from connectors.sql import SqlConnector, SqlConnectorConfig
from mappings.spec import MappingSpec
from tests.conftest import need_service

URL = "mariadb+pyodbc://root@127.0.0.1:3306/test?driver=MariaDB+Unicode"

pytestmark = pytest.mark.mariadb


@pytest.fixture
def odbc_table():
    """A fresh table in MariaDB reached through ODBC; dropped afterwards."""
    try:
        import pyodbc
    except ImportError as exc:  # libodbc.so missing: the unixodbc package is not installed
        need_service("unixODBC (Debian package unixodbc)", str(exc))
    if "MariaDB Unicode" not in pyodbc.drivers():
        need_service("the MariaDB ODBC driver (Debian package odbc-mariadb)", "not registered")
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(URL)
    name = f"crmsync_clients_{secrets.token_hex(4)}"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {name} (id VARCHAR(20) PRIMARY KEY, name VARCHAR(200), "  # noqa: S608
                    "changed VARCHAR(40), gid VARCHAR(40))"
                )
            )
            conn.execute(
                text(f"INSERT INTO {name} VALUES (:i, :n, :c, NULL)"),  # noqa: S608
                [
                    {"i": "1", "n": "Müller Präzision GmbH", "c": "2025-01-01T00:00:00+00:00"},
                    {"i": "2", "n": "上海机械有限公司", "c": "2025-01-02T00:00:00+00:00"},
                    {"i": "3", "n": "O'Brien & Sons Ltd", "c": "2025-01-02T00:00:00+00:00"},
                ],
            )
    except DBAPIError as exc:
        need_service("MariaDB on 127.0.0.1:3306", str(exc.orig).splitlines()[0])
    yield name
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    engine.dispose()


def spec(table: str) -> MappingSpec:
    return MappingSpec.model_validate(
        {
            "system": "odbc_erp",
            "entity": "customer",
            "source": {"table": table, "primary_key": "id", "updated_at": "changed"},
            "inbound": {"name": "name"},
            "outbound": {"golden_id_column": "gid", "updated_at_column": "changed",
                         "fields": {"name": "name"}},
        }
    )  # fmt: skip


def test_pull_count_stats_and_idempotent_push_through_odbc(odbc_table):
    mapping = spec(odbc_table)
    connector = SqlConnector("odbc_erp", SqlConnectorConfig(url=URL))
    try:
        records = list(connector.pull(mapping, PullWindow(None)))
        assert [r.source_id for r in records] == ["1", "2", "3"]
        assert records[1].payload["name"] == "上海机械有限公司"
        boundary = PullWindow("2025-01-02T00:00:00+00:00")
        assert [r.source_id for r in connector.pull(mapping, boundary)] == ["2", "3"]
        assert connector.count(mapping, boundary) == 2
        stats = connector.stats(mapping)
        assert (stats.total, stats.newest_change) == (3, "2025-01-02T00:00:00+00:00")
        rows = [
            PushRow("3", {"name": "x'); DROP TABLE clients;--", "gid": "G3"}, create=False),
            PushRow("9", {"name": "Nordstern AG", "gid": "G9"}, create=True),
        ]
        first = connector.push(mapping, rows)
        second = connector.push(mapping, rows)
        assert (first.created, first.updated, second.created, second.updated) == (1, 1, 0, 2)
        names = {r.source_id: r.payload["name"] for r in connector.pull(mapping, PullWindow(None))}
        assert names == {
            "1": "Müller Präzision GmbH",
            "2": "上海机械有限公司",
            "3": "x'); DROP TABLE clients;--",
            "9": "Nordstern AG",
        }
    finally:
        connector.close()
