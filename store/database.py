"""Opening the store database and bringing its schema up to date.

The store is one SQLAlchemy engine; its URL is the only setting (``store.url`` in the
config, or ``CRMSYNC_STORE_URL``). SQLite is the embedded default; PostgreSQL is what a
team would run in production. Both are migrated by the same Alembic scripts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
T = TypeVar("T")


def open_store(url: str) -> Engine:
    """Create the engine for the store at ``url``.

    For a SQLite file, the parent folder is created and WAL mode plus a busy timeout are
    set so that parallel Airflow tasks can read while one writes.

    Args:
        url: A SQLAlchemy database URL, e.g. ``sqlite:///.state/crmsync.db`` or
            ``postgresql+psycopg://user@host/db``.

    Returns:
        The engine. Nothing is connected yet.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def alembic_config() -> Config:
    """Return the Alembic configuration of the store's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the store schema to the newest revision (idempotent)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def table_names(engine: Engine) -> set[str]:
    """Return the names of the tables present in the store."""
    return set(inspect(engine).get_table_names())


_DIALECT_INSERT: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def chunked(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """Yield ``items`` in slices of ``size`` (bounded ``IN (...)`` lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Iterable[str],
) -> None:
    """Insert ``rows`` into ``table``, updating the non-key columns of rows that exist.

    Uses the dialect's native ``ON CONFLICT`` (SQLite, PostgreSQL). Rows must all carry
    the same columns.
    """
    if not rows:
        return
    key_list = list(keys)
    dialect = connection.dialect.name
    insert = _DIALECT_INSERT.get(dialect)
    if insert is not None:
        statement = insert(table)
        updates = {c: statement.excluded[c] for c in rows[0] if c not in key_list}
        connection.execute(
            statement.on_conflict_do_update(index_elements=key_list, set_=updates), list(rows)
        )
        return
    raise NotImplementedError(f"store upsert is not implemented for dialect {dialect!r}")
