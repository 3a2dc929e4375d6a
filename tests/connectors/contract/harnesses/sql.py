"""Contract harnesses of the ``sql`` kind: SQLite, PostgreSQL (psycopg and ODBC), MariaDB (ODBC).

Each opens a fresh table with integer keys (so key order is numeric, not textual) and
rows sharing timestamps, on the machine's real servers. Faults are real too: an unknown
user (401), a user without privilege on the table (403), a user whose connection budget
is used up by another session (429), a loopback proxy that drops connections before
the server answers (5xx), a lock held by another session past the lock timeout
(timeout); transient variants end the fault as soon as the connector has met it once
(the failure counter releases it), so a retry must follow for the pull to succeed.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from connectors.base import PushRow
from connectors.sql import SqlConnector, SqlConnectorConfig
from mappings.spec import MappingSpec
from tests.conftest import need_service
from tests.connectors.contract.harness import (
    ContractHarness,
    ContractSource,
    Fault,
    FaultyConnector,
)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_ODBC = "postgresql+pyodbc://{user}@127.0.0.1:{port}/test?driver=PostgreSQL+Unicode"
PG_PSYCOPG = "postgresql+psycopg://{user}@127.0.0.1:{port}/test"
MARIADB = "mariadb+pyodbc://{user}@127.0.0.1:{port}/test?driver=MariaDB+Unicode"
Release = Callable[[], None]
"""Ends an injected fault (idempotent)."""

SEED = [
    (1, "Müller Präzision GmbH", "info@mueller.example", "2025-01-01 08:00:00"),
    (2, "上海机械有限公司", "sales@sh-jixie.example", "2025-01-02 08:00:00"),
    (3, "O'Brien & Sons Ltd", "office@obrien.example", "2025-01-02 08:00:00"),
    (5, "Nordstern AG", "kontakt@nordstern.example", "2025-01-03 08:00:00"),
    (10, "Acme Corp", "hello@acme.example", "2025-01-03 08:00:00"),
    (4, "Beta SARL", "contact@beta.example", "2025-01-03 08:00:00"),
]


def _users(table: str) -> tuple[str, str]:
    """The users of one opened source (unique, so concurrent runs do not share budgets):
    one without privileges, one allowed a single connection."""
    suffix = table.rsplit("_", 1)[-1]
    return f"crmsync_denied_{suffix}", f"crmsync_limited_{suffix}"


def _mapping(table: str) -> MappingSpec:
    return MappingSpec.model_validate(
        {
            "system": "contract_sql",
            "entity": "customer",
            "source": {"table": table, "primary_key": "id", "updated_at": "changed"},
            "inbound": {"name": "name", "email": "email", "updated_at": "changed"},
            "outbound": {
                "golden_id_column": "gid",
                "updated_at_column": "changed",
                "create": {"id_template": "{golden_id}"},
                "fields": {"name": "name", "email": "email"},
            },
        }
    )


class _FailureCounter:
    """Counts the database errors an engine met (connect failures included); calls
    ``on_failure`` after each (ending a transient fault)."""

    def __init__(self, on_failure: Release | None = None) -> None:
        self.count = 0
        self.on_failure = on_failure

    def attach(self, connector: SqlConnector) -> Callable[[], int]:
        def seen(_context: Any) -> None:
            self.count += 1
            if self.on_failure is not None:
                self.on_failure()

        event.listen(connector.engine, "handle_error", seen)
        return lambda: self.count


class _DroppingProxy:
    """A loopback TCP proxy to a database that drops every connection at once, before
    the server says anything, until :meth:`heal` is called; then it forwards."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.healthy = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.healthy:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def heal(self) -> None:
        """Forward connections from now on."""
        self.healthy = True

    def close(self) -> None:
        self.closed = True
        self.listener.close()


def _once(action: Callable[[], None]) -> Release:
    done = threading.Event()

    def release() -> None:
        if not done.is_set():
            done.set()
            action()

    return release


def _nothing() -> None:
    """No fault to end: it lasts as long as the connector's settings."""


class _SqlSource(ContractSource):
    """A seeded table in a real database, reached by the connector under test."""

    volatile_columns = frozenset({"changed"})

    def __init__(self, harness: SqlHarness, admin: Engine, table: str, url: str) -> None:
        self.harness = harness
        self.admin = admin
        self.table = table
        self.url = url
        self.mapping = _mapping(table)
        self._clock = 0

    def connector(self, url: str | None = None, **settings: Any) -> SqlConnector:
        config = SqlConnectorConfig(
            url=url or self.url,
            retry_attempts=4,
            retry_backoff_seconds=0.2,
            lock_timeout_seconds=0.3,
            **settings,
        )
        return SqlConnector("contract_sql", config)

    def _stamp(self) -> str:
        self._clock += 1
        return f"2025-02-01 00:00:{self._clock:02d}"

    def update(self, source_id: str) -> None:
        with self.admin.begin() as conn:
            conn.execute(
                text(f"UPDATE {self.table} SET name = :n, changed = :c WHERE id = :i"),  # noqa: S608
                {"n": f"Renamed {source_id}", "c": self._stamp(), "i": int(source_id)},
            )

    def delete(self, source_id: str) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f"DELETE FROM {self.table} WHERE id = :i"), {"i": int(source_id)})  # noqa: S608

    def push_batch(self) -> Sequence[PushRow]:
        return [
            PushRow("2", {"name": "Shanghai Machinery Co", "gid": "G2"}, create=False),
            PushRow("77", {"name": "Neukunde KG", "email": "neu@kg.example", "gid": "G77"}, True),
        ]

    @contextlib.contextmanager
    def faulty(self, fault: Fault, *, transient: bool) -> Iterator[FaultyConnector]:
        with self.harness.inject(self, fault) as (connector, release):
            counter = _FailureCounter(release if transient else None)
            yield FaultyConnector(connector, counter.attach(connector))


class SqlHarness(ContractHarness):
    """The ``sql`` kind on one database backend."""

    kind = "sql"

    def __init__(self, id: str, marks: tuple[Any, ...] = ()) -> None:
        self.id = id
        self.marks = marks

    def admin_engine(self, workdir: Path) -> Engine:
        """An engine with rights to create tables and users (not the connector's)."""
        raise NotImplementedError

    def connector_url(self, user: str | None = None, port: int | None = None) -> str:
        """The URL the connector under test uses."""
        raise NotImplementedError

    def create_table(self, admin: Engine, table: str) -> None:
        """Create the seeded table (and the users the faults need)."""
        raise NotImplementedError

    def drop_users(self, admin: Engine, table: str) -> None:
        """Drop the users :meth:`create_table` made (after the table is gone)."""

    @contextlib.contextmanager
    def open(self, workdir: Path) -> Iterator[ContractSource]:
        admin = self.admin_engine(workdir)
        table = f"crmsync_contract_{secrets.token_hex(4)}"
        try:
            self.create_table(admin, table)
        except DBAPIError as exc:
            admin.dispose()
            need_service(self.id, str(exc.orig).splitlines()[0])
        with admin.begin() as conn:
            conn.execute(
                text(f"INSERT INTO {table} (id, name, email, changed) VALUES (:i, :n, :e, :c)"),  # noqa: S608
                [{"i": i, "n": n, "e": e, "c": c} for i, n, e, c in SEED],
            )
        try:
            yield _SqlSource(self, admin, table, self.connector_url())
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            self.drop_users(admin, table)
            admin.dispose()

    def inject(
        self, source: _SqlSource, fault: Fault
    ) -> contextlib.AbstractContextManager[tuple[SqlConnector, Release]]:
        """A connector whose database fails with ``fault``, and how to end the fault."""
        raise NotImplementedError


class SqliteHarness(SqlHarness):
    """SQLite file; the only fault it has is a lock held past the busy timeout."""

    unsupported_faults = {
        Fault.UNAUTHORIZED: "SQLite has no users",
        Fault.FORBIDDEN: "SQLite has no privileges (and file modes do not bind root)",
        Fault.RATE_LIMITED: "SQLite has no connection or request budget",
        Fault.SERVER_ERROR: "SQLite has no server",
    }

    def admin_engine(self, workdir: Path) -> Engine:
        self.path = workdir / "source.db"
        sqlite3.connect(self.path).close()
        return create_engine(f"sqlite:///{self.path}")

    def connector_url(self, user: str | None = None, port: int | None = None) -> str:
        return f"sqlite:///{self.path}"

    def create_table(self, admin: Engine, table: str) -> None:
        with admin.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT, email TEXT, "
                    "changed TEXT, gid TEXT)"
                )
            )

    @contextlib.contextmanager
    def inject(self, source: _SqlSource, fault: Fault) -> Iterator[tuple[SqlConnector, Release]]:
        assert fault is Fault.TIMEOUT
        holder = sqlite3.connect(self.path, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        release = _once(holder.rollback)
        try:
            yield source.connector(), release
        finally:
            release()
            holder.close()


class _ServerHarness(SqlHarness):
    """A database server on 127.0.0.1 with users: the faults come from the server itself.

    401 is a wrong login, 403 a user without rights on the table, 429 a user whose one
    allowed connection another session holds, 5xx a proxy that drops connections, and a
    timeout a table lock held by another session.
    """

    port: int

    def wrong_login_url(self) -> str:
        """A connector URL the server refuses to log in."""
        raise NotImplementedError

    def holder_url(self, user: str) -> str:
        """The URL another session uses to take ``user``'s one allowed connection."""
        raise NotImplementedError

    def lock_statement(self, table: str) -> str:
        """The statement that locks ``table`` against the connector's reads."""
        raise NotImplementedError

    @contextlib.contextmanager
    def inject(self, source: _SqlSource, fault: Fault) -> Iterator[tuple[SqlConnector, Release]]:
        if fault is Fault.UNAUTHORIZED:
            yield source.connector(self.wrong_login_url()), _nothing
        elif fault is Fault.FORBIDDEN:
            yield source.connector(self.connector_url(user=_users(source.table)[0])), _nothing
        elif fault is Fault.RATE_LIMITED:
            # The user's one allowed connection is taken by another session.
            limited = _users(source.table)[1]
            with _held_connection(self.holder_url(limited)) as release:
                yield source.connector(self.connector_url(user=limited)), release
        elif fault is Fault.SERVER_ERROR:
            proxy = _DroppingProxy(self.port)
            try:
                yield source.connector(self.connector_url(port=proxy.port)), proxy.heal
            finally:
                proxy.close()
        else:
            with _held_lock(source, self.lock_statement(source.table)) as release:
                yield source.connector(), release


class PostgresHarness(_ServerHarness):
    """PostgreSQL on 127.0.0.1:5432, through psycopg or through pyodbc + psqlODBC."""

    port = 5432

    def __init__(self, id: str, template: str, marks: tuple[Any, ...] = ()) -> None:
        super().__init__(id, marks)
        self.template = template

    def admin_engine(self, workdir: Path) -> Engine:
        if "pyodbc" in self.template:
            _need_odbc_driver("PostgreSQL Unicode", "odbc-postgresql")
        return create_engine(PG_ADMIN)

    def connector_url(self, user: str | None = None, port: int | None = None) -> str:
        return self.template.format(user=user or "postgres", port=port or self.port)

    def create_table(self, admin: Engine, table: str) -> None:
        with admin.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(200), "
                    "email VARCHAR(200), changed TIMESTAMP, gid VARCHAR(40))"
                )
            )
            denied, limited = _users(table)
            conn.execute(text(f"CREATE ROLE {denied} LOGIN"))
            conn.execute(text(f"CREATE ROLE {limited} LOGIN CONNECTION LIMIT 1"))
            conn.execute(text(f"GRANT SELECT ON {table} TO {limited}"))

    def drop_users(self, admin: Engine, table: str) -> None:
        with admin.begin() as conn:
            for user in _users(table):
                conn.execute(text(f"DROP ROLE IF EXISTS {user}"))

    def wrong_login_url(self) -> str:
        return self.connector_url(user="crmsync_no_such_role")

    def holder_url(self, user: str) -> str:
        return PG_PSYCOPG.format(user=user, port=self.port)

    def lock_statement(self, table: str) -> str:
        return f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"


class MariaDbHarness(_ServerHarness):
    """MariaDB on 127.0.0.1:3306 through unixODBC and the MariaDB ODBC driver."""

    port = 3306

    def admin_engine(self, workdir: Path) -> Engine:
        _need_odbc_driver("MariaDB Unicode", "odbc-mariadb")
        return create_engine(MARIADB.format(user="root", port=self.port))

    def connector_url(self, user: str | None = None, port: int | None = None) -> str:
        return MARIADB.format(user=user or "root", port=port or self.port)

    def create_table(self, admin: Engine, table: str) -> None:
        with admin.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(200), "
                    "email VARCHAR(200), changed DATETIME, gid VARCHAR(40)) "
                    "CHARACTER SET utf8mb4"
                )
            )
            denied, limited = _users(table)
            conn.execute(text(f"CREATE USER '{denied}'@'%'"))
            conn.execute(text(f"CREATE USER '{limited}'@'%' WITH MAX_USER_CONNECTIONS 1"))
            conn.execute(text(f"GRANT SELECT ON test.{table} TO '{limited}'@'%'"))

    def drop_users(self, admin: Engine, table: str) -> None:
        with admin.begin() as conn:
            for user in _users(table):
                conn.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))

    def wrong_login_url(self) -> str:
        url = make_url(self.connector_url()).set(password="wrong-password")
        return url.render_as_string(hide_password=False)

    def holder_url(self, user: str) -> str:
        return self.connector_url(user=user)

    def lock_statement(self, table: str) -> str:
        return f"LOCK TABLES {table} WRITE"


@contextlib.contextmanager
def _held_connection(url: str) -> Iterator[Release]:
    """Hold the one connection ``url``'s user may have; yield how to let it go."""
    engine = create_engine(url, poolclass=NullPool)
    holder = engine.connect()
    release = _once(holder.close)
    try:
        yield release
    finally:
        release()
        engine.dispose()


@contextlib.contextmanager
def _held_lock(source: _SqlSource, statement: str) -> Iterator[Release]:
    """Hold ``statement``'s lock in another session; yield how to let it go."""
    holder = source.admin.connect()
    transaction = holder.begin()
    holder.execute(text(statement))

    def unlock() -> None:
        if holder.dialect.name != "postgresql":
            holder.execute(text("UNLOCK TABLES"))
        transaction.rollback()

    release = _once(unlock)
    try:
        yield release
    finally:
        release()
        holder.close()


def _need_odbc_driver(driver: str, package: str) -> None:
    try:
        import pyodbc
    except ImportError as exc:  # libodbc.so missing: the unixodbc package is not installed
        need_service("unixODBC (Debian package unixodbc)", str(exc))
    if driver not in pyodbc.drivers():
        need_service(f"the ODBC driver {driver!r} (Debian package {package})", "not registered")


HARNESSES: list[ContractHarness] = [
    SqliteHarness("sql-sqlite"),
    PostgresHarness("sql-postgresql-psycopg", PG_PSYCOPG, (pytest.mark.postgres,)),
    PostgresHarness("sql-postgresql-odbc", PG_ODBC, (pytest.mark.postgres,)),
    MariaDbHarness("sql-mariadb-odbc", (pytest.mark.mariadb,)),
]
