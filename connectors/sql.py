"""The SQL connector: pulls from and pushes to any SQLAlchemy-reachable database.

Driven entirely by the mapping files: the source table, its primary key and its
updated-at column come from ``source``; written columns from ``outbound``. Works with
SQLite, PostgreSQL, MariaDB/MySQL and ODBC sources (``mssql+pyodbc://``,
``mariadb+pyodbc://``). Only bound parameters reach the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    and_,
    create_engine,
    func,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, NoSuchTableError, OperationalError, SQLAlchemyError

from connectors.base import PullWindow, PushResult, PushRow, RawRecord, SourceStats
from connectors.errors import FatalError, RetriableError
from mappings.spec import MappingSpec


class SqlConnectorConfig(BaseModel):
    """Settings of a SQL connector."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(description="SQLAlchemy URL; may hold a password, so it is secret.")
    lag_seconds: int = Field(
        0, ge=0, description="Re-read this many seconds before the cursor (late commits)."
    )
    batch_size: int = Field(1000, gt=0, description="Rows fetched or written per round-trip.")


def _plain(value: Any) -> Any:
    """Turn a database value into a JSON-safe value without losing precision."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _lagged(since: str, lag_seconds: int) -> str:
    if not lag_seconds:
        return since
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        return since
    return (moment - timedelta(seconds=lag_seconds)).isoformat()


class SqlConnector:
    """A connector for one SQL database (one system)."""

    def __init__(self, system: str, config: SqlConnectorConfig) -> None:
        self.system = system
        self.config = config
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use."""
        if self._engine is None:
            url = make_url(self.config.url.get_secret_value())
            database = url.database or ""
            # SQLite would silently create an empty file: a missing system must fail.
            if (
                url.get_backend_name() == "sqlite"
                and database not in ("", ":memory:")
                and not Path(database).is_file()
            ):
                raise FatalError(self.system, f"SQLite database {database} does not exist")
            self._engine = create_engine(url, pool_pre_ping=True)
        return self._engine

    def _table(self, name: str) -> Table:
        # Reflected on every call, never cached: a source's columns may change between
        # pulls, and the schema-drift gate must see the table as it is now.
        try:
            return Table(name, MetaData(), autoload_with=self.engine)
        except NoSuchTableError as exc:
            raise FatalError(self.system, f"table {name!r} does not exist") from exc
        except OperationalError as exc:
            raise RetriableError(self.system, f"cannot reach database: {exc.orig}") from exc

    def _window_filter(self, mapping: MappingSpec, table: Table, window: PullWindow) -> Any:
        source = mapping.source
        conditions = [table.c[column] == value for column, value in source.where.items()]
        if source.updated_at and window.since:
            since = _lagged(window.since, self.config.lag_seconds)
            conditions.append(table.c[source.updated_at] >= since)
        return and_(*conditions) if conditions else None

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield records changed since ``window.since`` ordered by (updated-at, key).

        Without an updated-at column every record is yielded (full scan); the pipeline
        then tells changed from unchanged by content hash.
        """
        source = mapping.source
        table = self._table(source.table)
        query = select(table)
        condition = self._window_filter(mapping, table, window)
        if condition is not None:
            query = query.where(condition)
        order = [table.c[source.updated_at]] if source.updated_at else []
        query = query.order_by(*order, table.c[source.primary_key])
        try:
            with self.engine.connect() as connection:
                result = connection.execution_options(yield_per=self.config.batch_size).execute(
                    query
                )
                for row in result.mappings():
                    payload = {key: _plain(value) for key, value in row.items()}
                    updated = payload.get(source.updated_at) if source.updated_at else None
                    yield RawRecord(str(payload[source.primary_key]), payload, updated)
        except OperationalError as exc:
            raise RetriableError(self.system, f"pull failed: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise FatalError(self.system, f"pull failed: {exc}") from exc

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return the number of records in ``window`` as the source itself counts them."""
        table = self._table(mapping.source.table)
        query = select(func.count()).select_from(table)
        condition = self._window_filter(mapping, table, window)
        if condition is not None:
            query = query.where(condition)
        try:
            with self.engine.connect() as connection:
                return int(connection.execute(query).scalar_one())
        except OperationalError as exc:
            raise RetriableError(self.system, f"count failed: {exc.orig}") from exc

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return how many records the source table holds and its newest change."""
        source = mapping.source
        table = self._table(source.table)
        columns: list[Any] = [func.count()]
        if source.updated_at:
            columns.append(func.max(table.c[source.updated_at]))
        query = select(*columns).select_from(table)
        condition = self._window_filter(mapping, table, PullWindow(None))
        if condition is not None:
            query = query.where(condition)
        try:
            with self.engine.connect() as connection:
                row = connection.execute(query).one()
        except OperationalError as exc:
            raise RetriableError(self.system, f"stats failed: {exc.orig}") from exc
        newest = _plain(row[1]) if len(row) > 1 and row[1] is not None else None
        return SourceStats(int(row[0]), newest)

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield every primary key the source table holds now (for delete detection)."""
        source = mapping.source
        table = self._table(source.table)
        query = select(table.c[source.primary_key])
        condition = self._window_filter(mapping, table, PullWindow(None))
        if condition is not None:
            query = query.where(condition)
        try:
            with self.engine.connect() as connection:
                result = connection.execution_options(yield_per=self.config.batch_size).execute(
                    query.order_by(table.c[source.primary_key])
                )
                for value in result.scalars():
                    yield str(value)
        except OperationalError as exc:
            raise RetriableError(self.system, f"key scan failed: {exc.orig}") from exc

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Upsert ``rows`` into the target table in one transaction.

        A row is inserted when its key is absent and updated otherwise, so sending the
        same batch twice changes nothing more. The target's updated-at column is set to
        now, as the system itself would on a change.
        """
        outbound = mapping.outbound
        if outbound is None:
            raise FatalError(self.system, f"mapping for {mapping.entity} has no outbound section")
        table = self._table(outbound.table or mapping.source.table)
        key = table.c[mapping.source.primary_key]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        result = PushResult()
        try:
            with self.engine.begin() as connection:
                ids = [r.target_id for r in rows]
                existing: set[str] = set()
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    existing.update(
                        str(v)
                        for v in connection.execute(select(key).where(key.in_(chunk))).scalars()
                    )
                for row in rows:
                    values = dict(row.values)
                    if outbound.updated_at_column:
                        values[outbound.updated_at_column] = now
                    if _write_guarded(connection, table, mapping, row, values, existing, result):
                        continue
                    if row.target_id in existing:
                        connection.execute(update(table).where(key == row.target_id).values(values))
                        result.updated += 1
                    else:
                        values[mapping.source.primary_key] = row.target_id
                        connection.execute(table.insert().values(values))
                        result.created += 1
        except OperationalError as exc:
            raise RetriableError(self.system, f"push failed: {exc.orig}") from exc
        except DBAPIError as exc:
            raise FatalError(self.system, f"push rejected: {exc.orig}") from exc
        return result

    def close(self) -> None:
        """Dispose of the connection pool."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def create_connector(system: str, settings: dict[str, Any]) -> SqlConnector:
    """Entry-point factory of the ``sql`` kind: validate ``settings`` and build the connector."""
    return SqlConnector(system, SqlConnectorConfig.model_validate(settings))


# --- Publish safety (lookup before create, compare-and-set) --------------------------
# Kept apart from the upsert above: they only decide whether a row may be written and
# under which key; the plain upsert path stays as it is.


def _write_guarded(
    connection: Connection,
    table: Table,
    mapping: MappingSpec,
    row: PushRow,
    values: dict[str, Any],
    existing: set[str],
    result: PushResult,
) -> bool:
    """Write ``row`` when it needs a guard; return False to let the plain upsert write it.

    * A create whose key is absent but whose golden id a record already carries (created
      earlier, the bookkeeping lost in a crash) updates that record instead, and reports
      its key in ``result.assigned_ids``.
    * An update with ``expected_updated_at`` is a compare-and-set in this transaction:
      written only where the change timestamp still equals the pulled one, otherwise
      reported in ``result.conflicts`` and left alone.
    """
    outbound = mapping.outbound
    assert outbound is not None
    key = table.c[mapping.source.primary_key]
    if row.create:
        if row.target_id in existing or not (outbound.golden_id_column and row.golden_id):
            return False
        found = connection.execute(
            select(key).where(table.c[outbound.golden_id_column] == row.golden_id).limit(1)
        ).scalar()
        if found is None:
            return False
        connection.execute(update(table).where(key == found).values(values))
        result.assigned_ids[row.target_id] = str(found)
        result.updated += 1
        return True
    if not (row.expected_updated_at and outbound.updated_at_column):
        return False
    stamp = table.c[outbound.updated_at_column]
    written = connection.execute(
        update(table).where(key == row.target_id, stamp == row.expected_updated_at).values(values)
    ).rowcount
    if written:
        result.updated += 1
        return True
    current = connection.execute(select(stamp).where(key == row.target_id)).first()
    result.conflicts[row.target_id] = (
        "record no longer exists in the target"
        if current is None
        else f"changed in the target at {_plain(current[0])} (pulled at {row.expected_updated_at})"
    )
    return True
