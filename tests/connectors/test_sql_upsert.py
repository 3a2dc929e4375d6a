"""Batch upserts and the (timestamp, key) window of the SQL connector on real databases.

SQLite always; PostgreSQL (psycopg and ODBC) and MariaDB (ODBC) when their servers and
drivers are there (``need_service`` skips, or fails in CI).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, create_engine, text
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from connectors.base import PullWindow, PushRow
from connectors.errors import RetriableError
from connectors.odbc import odbc_url
from connectors.sql import SqlConnector, SqlConnectorConfig
from connectors.sql_upsert import merge_statement, upsert_method
from mappings.spec import MappingSpec
from tests.conftest import need_service

SERVERS = {
    "postgresql-psycopg": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql-odbc": "postgresql+pyodbc://postgres@127.0.0.1:5432/test?driver=PostgreSQL+Unicode",
    "mariadb-odbc": "mariadb+pyodbc://root@127.0.0.1:3306/test?driver=MariaDB+Unicode",
}


def _spec(table: str, primary_key: str = "id") -> MappingSpec:
    return MappingSpec.model_validate(
        {
            "system": "erp",
            "entity": "customer",
            "source": {"table": table, "primary_key": primary_key, "updated_at": "changed"},
            "inbound": {"name": "name"},
            "outbound": {"golden_id_column": "gid", "fields": {"name": "name", "city": "city"}},
        }
    )


@pytest.fixture(params=["sqlite", *SERVERS])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, table) of a fresh ``customers`` table with an integer primary key."""
    name = f"crmsync_upsert_{secrets.token_hex(4)}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'erp.db'}"
        sqlite3.connect(tmp_path / "erp.db").close()
    else:
        url = SERVERS[request.param]
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR(200), "
                    "city VARCHAR(100), changed VARCHAR(40), gid VARCHAR(40))"
                )
            )
    except (DBAPIError, ImportError) as exc:
        engine.dispose()
        need_service(request.param, " ".join(str(exc).split())[:200])
    yield url, name
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    engine.dispose()


def test_batch_upsert_creates_then_updates_in_one_transaction(database: tuple[str, str]):
    url, table = database
    connector = SqlConnector("erp", SqlConnectorConfig(url=url, batch_size=500))
    spec = _spec(table)
    try:
        creates = [
            PushRow(str(i), {"name": f"Kunde {i} Müller", "city": "Köln", "gid": f"G{i}"}, True)
            for i in range(1, 1201)
        ]
        # A row with fewer columns goes in its own statement (same columns per statement).
        creates.append(PushRow("5000", {"name": "Nur Name", "gid": "G5000"}, True))
        first = connector.push(spec, creates)
        assert (first.created, first.updated) == (1201, 0)
        updates = [PushRow(str(i), {"name": f"Renamed {i}"}, False) for i in range(1, 1201, 2)]
        second = connector.push(spec, updates + creates[-1:])
        assert (second.created, second.updated) == (0, 601)
        rows = {r.source_id: r.payload for r in connector.pull(spec, PullWindow(None))}
        assert len(rows) == 1201
        assert rows["1"]["name"] == "Renamed 1" and rows["1"]["city"] == "Köln"
        assert rows["2"]["name"] == "Kunde 2 Müller" and rows["5000"]["city"] is None
        with connector.engine.connect() as conn:
            table_ = Table(table, MetaData(), autoload_with=conn)
            method = upsert_method(conn, table_, "id")
        assert method == ("on_duplicate_key" if "mariadb" in url else "on_conflict")
    finally:
        connector.close()


def test_window_on_timestamp_and_numeric_key(database: tuple[str, str]):
    url, table = database
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO {table} (id, name, changed) VALUES (:i, :n, :c)"),  # noqa: S608
            [
                {"i": i, "n": f"N{i}", "c": c}
                for i, c in (
                    (1, "2025-01-01T08:00:00"),
                    (9, "2025-01-02T08:00:00"),
                    (10, "2025-01-02T08:00:00"),
                    (2, "2025-01-03T08:00:00"),
                )
            ],
        )
    engine.dispose()
    connector = SqlConnector("erp", SqlConnectorConfig(url=url))
    spec = _spec(table)
    try:
        ordered = [r.source_id for r in connector.pull(spec, PullWindow(None))]
        assert ordered == ["1", "9", "10", "2"]  # (timestamp, numeric key)
        after_9 = PullWindow("2025-01-02T08:00:00", since_key="9")
        assert [r.source_id for r in connector.pull(spec, after_9)] == ["10", "2"]
        assert connector.count(spec, after_9) == 2
        lagged = SqlConnector("erp", SqlConnectorConfig(url=url, lag_seconds=86400))
        # A lag re-reads the day before the cursor, whatever the key.
        assert [r.source_id for r in lagged.pull(spec, PullWindow("2025-01-02T08:00:00", "9"))][
            :1
        ] == ["1"]
        lagged.close()
        full = PullWindow("2025-01-03T08:00:00", since_key="2", full_refresh=True)
        assert len(list(connector.pull(spec, full))) == 4
    finally:
        connector.close()


def test_a_table_without_primary_key_uses_select_then_write(tmp_path: Path):
    path = tmp_path / "legacy.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE kunden (nr TEXT, name TEXT, city TEXT, changed TEXT, gid TEXT)")
        db.execute("INSERT INTO kunden VALUES ('K1', 'Alt', NULL, '2025-01-01', NULL)")
    connector = SqlConnector("erp", SqlConnectorConfig(url=f"sqlite:///{path}"))
    spec = _spec("kunden", primary_key="nr")
    rows = [PushRow("K1", {"name": "Neu"}, False), PushRow("K2", {"name": "Zwei"}, True)]
    try:
        assert (connector.push(spec, rows).created, connector.push(spec, rows).created) == (1, 0)
        with connector.engine.connect() as conn:
            assert upsert_method(conn, Table("kunden", MetaData(), autoload_with=conn), "nr") == (
                "generic"
            )
        names = {r.source_id: r.payload["name"] for r in connector.pull(spec, PullWindow(None))}
        assert names == {"K1": "Neu", "K2": "Zwei"}
    finally:
        connector.close()


def test_sql_server_merge_binds_every_value():
    """SQL Server is not on this machine: the MERGE is checked as compiled SQL only."""
    table = Table("kunden", MetaData(), *_columns())
    rows = [{"id": 1, "name": "x'); DROP TABLE kunden;--"}, {"id": 2, "name": "B"}]
    dialect = mssql.dialect()
    compiled = merge_statement(dialect, table, "id", rows).compile(dialect=dialect)
    sql = str(compiled)
    assert sql.startswith("MERGE INTO kunden WITH (HOLDLOCK) AS t USING (VALUES (:p0_0, :p0_1)")
    assert "WHEN MATCHED THEN UPDATE SET t.name = s.name" in sql
    assert sql.endswith("WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name);")
    assert "DROP TABLE" not in sql
    assert sorted(compiled.params.values(), key=str) == [1, 2, "B", "x'); DROP TABLE kunden;--"]


def _columns() -> list:
    from sqlalchemy import Column, Integer, String

    return [Column("id", Integer, primary_key=True), Column("name", String(50))]


def test_odbc_port_is_passed_as_a_keyword():
    url = odbc_url(make_url("mariadb+pyodbc://root@127.0.0.1:3307/test?driver=MariaDB+Unicode"))
    assert url.port is None and url.query["port"] == "3307"
    untouched = make_url("mssql+pyodbc://sa@db:1433/erp?driver=ODBC+Driver+18")
    assert odbc_url(untouched) == untouched


@pytest.mark.mariadb
def test_a_wrong_odbc_port_fails_instead_of_reaching_the_default_server():
    """SQLAlchemy writes ``Server=host,port``, which MariaDB's driver ignores: without the
    fix a URL naming a dead port silently reached the server on 3306."""
    try:
        import pyodbc
    except ImportError as exc:
        need_service("unixODBC (Debian package unixodbc)", str(exc))
    if "MariaDB Unicode" not in pyodbc.drivers():
        need_service("the MariaDB ODBC driver (Debian package odbc-mariadb)", "not registered")
    url = "mariadb+pyodbc://root@127.0.0.1:1/test?driver=MariaDB+Unicode"
    config = SqlConnectorConfig(url=url, retry_attempts=2, retry_backoff_seconds=0)
    connector = SqlConnector("erp", config)
    with pytest.raises(RetriableError, match="failed 2 times"):
        connector.count(_spec("anything"), PullWindow(None))
    connector.close()
