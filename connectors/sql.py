"""The SQL connector: pulls from and pushes to any SQLAlchemy-reachable database.

Driven entirely by the mapping files: the source table, its primary key and its
updated-at column come from ``source``; written columns from ``outbound``. Works with
SQLite, PostgreSQL (``postgresql+psycopg://``), MariaDB/MySQL and ODBC sources
(``mssql+pyodbc://``, ``mariadb+pyodbc://``, ``postgresql+pyodbc://`` — see
:mod:`connectors.odbc`). Only bound parameters reach the database.

Incremental pulls follow a watermark column on the (timestamp, key) cursor: ordered by
(updated-at, key), a window takes the rows with ``ts > since or (ts = since and key >
since_key)``, so rows sharing a timestamp are never skipped nor re-read; with a lag the
window starts ``lag_seconds`` earlier and re-reads (the pull stage drops duplicates by
key). Transient failures (locks, timeouts, a lost connection) are retried under a
policy — a pull interrupted mid-stream resumes after the last record it yielded — and
become :class:`RetriableError` only when the policy is exhausted; bad credentials and
missing privileges are :class:`FatalError` at once. Pushes upsert in one statement per
chunk (:mod:`connectors.sql_upsert`) inside one transaction per batch.
"""

from __future__ import annotations

import logging
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
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, NoSuchTableError

from connectors.base import PullWindow, PushResult, PushRow, RawRecord, SourceStats
from connectors.errors import FatalError
from connectors.odbc import odbc_url
from connectors.sql_errors import Retrier, RetryPolicy
from connectors.sql_upsert import upsert
from mappings.spec import MappingSpec

log = logging.getLogger(__name__)


class SqlConnectorConfig(BaseModel):
    """Settings of a SQL connector."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(description="SQLAlchemy URL; may hold a password, so it is secret.")
    lag_seconds: int = Field(
        0, ge=0, description="Re-read this many seconds before the cursor (late commits)."
    )
    batch_size: int = Field(1000, gt=0, description="Rows fetched or written per round-trip.")
    retry_attempts: int = Field(
        4, ge=1, description="Attempts at an operation that fails transiently (locks, timeouts)."
    )
    retry_backoff_seconds: float = Field(
        1.0, ge=0, description="Wait after the first transient failure; doubles each time."
    )
    lock_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="How long a statement waits for a lock before failing (and being "
        "retried): SQLite busy timeout, PostgreSQL lock_timeout, MariaDB lock_wait_timeout.",
    )

    def retry_policy(self) -> RetryPolicy:
        """The retry policy these settings describe."""
        return RetryPolicy(self.retry_attempts, self.retry_backoff_seconds)


_JSON_NATIVE = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """Turn a database value into a JSON-safe value without losing precision."""
    if type(value) in _JSON_NATIVE:  # the common case first: one set lookup
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
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


def _typed(column: Any, value: str) -> Any:
    """Turn a cursor value (text) back into the column's Python type for comparison."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind in (int, Decimal, float):
            return kind(value)
    except (ValueError, ArithmeticError):
        return value
    return value


def _now_for(column: Any) -> Any:
    """The current time as ``column`` stores it: a datetime (naive UTC unless the column
    keeps time zones) for date-time columns, ISO text otherwise."""
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    if kind is datetime:
        return now if getattr(column.type, "timezone", False) else now.replace(tzinfo=None)
    return now.isoformat()


def _session_setup(url: URL, lock_timeout: float) -> tuple[dict[str, Any], list[str]]:
    """Connect arguments and per-connection statements that bound lock waits."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return {"timeout": lock_timeout}, []
    milliseconds = max(1, int(lock_timeout * 1000))
    if backend == "postgresql":
        return {}, [f"SET lock_timeout = {milliseconds}"]
    if backend in ("mysql", "mariadb"):
        seconds = max(1, round(lock_timeout))
        return {}, [
            f"SET SESSION lock_wait_timeout = {seconds}",
            f"SET SESSION innodb_lock_wait_timeout = {seconds}",
        ]
    return {}, []


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
            url = odbc_url(make_url(self.config.url.get_secret_value()))
            database = url.database or ""
            # SQLite would silently create an empty file: a missing system must fail.
            if (
                url.get_backend_name() == "sqlite"
                and database not in ("", ":memory:")
                and not Path(database).is_file()
            ):
                raise FatalError(self.system, f"SQLite database {database} does not exist")
            connect_args, statements = _session_setup(url, self.config.lock_timeout_seconds)
            engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
            if statements:

                def bound_waits(dbapi_connection: Any, _record: Any) -> None:
                    cursor = dbapi_connection.cursor()
                    for statement in statements:
                        cursor.execute(statement)
                    cursor.close()
                    # A SET inside a transaction is undone by its rollback: keep it.
                    dbapi_connection.commit()

                event.listen(engine, "connect", bound_waits)
            self._engine = engine
        return self._engine

    def _retrier(self, what: str) -> Retrier:
        return Retrier(self.system, what, self.config.retry_policy())

    def _reflect(self, name: str) -> Table:
        # Reflected on every call, never cached: a source's columns may change between
        # pulls, and the schema-drift gate must see the table as it is now.
        return Table(name, MetaData(), autoload_with=self.engine)

    def _table(self, name: str) -> Table:
        return self._retrier(f"reading table {name}").call(lambda: self._reflect(name))

    def _window_filter(
        self, mapping: MappingSpec, table: Table, window: PullWindow, *, resume: bool = False
    ) -> Any:
        """The WHERE clause of ``window``; ``resume`` continues after an exact position."""
        source = mapping.source
        conditions = [table.c[column] == value for column, value in source.where.items()]
        key = table.c[source.primary_key]
        if source.updated_at and window.since and not window.full_refresh:
            stamp = table.c[source.updated_at]
            if self.config.lag_seconds and not resume:
                since = _typed(stamp, _lagged(window.since, self.config.lag_seconds))
                conditions.append(stamp >= since)
            elif window.since_key is not None:
                since = _typed(stamp, window.since)
                after = _typed(key, window.since_key)
                conditions.append(or_(stamp > since, and_(stamp == since, key > after)))
            else:
                conditions.append(stamp >= _typed(stamp, window.since))
        elif not source.updated_at and resume and window.since_key is not None:
            conditions.append(key > _typed(key, window.since_key))
        return and_(*conditions) if conditions else None

    def _pull_query(
        self, mapping: MappingSpec, table: Table, window: PullWindow, resume: bool
    ) -> Any:
        source = mapping.source
        query = select(table)
        condition = self._window_filter(mapping, table, window, resume=resume)
        if condition is not None:
            query = query.where(condition)
        order = [table.c[source.updated_at]] if source.updated_at else []
        return query.order_by(*order, table.c[source.primary_key])

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield records in ``window`` ordered by (updated-at, key).

        Without an updated-at column every record is yielded (full scan, ordered by key);
        the pipeline then tells changed from unchanged by content hash. A transient
        failure mid-stream resumes after the last yielded record.
        """
        source = mapping.source
        retrier = self._retrier(f"pull of {source.table}")
        position, resume = window, False
        while True:
            try:
                table = self._reflect(source.table)
                query = self._pull_query(mapping, table, position, resume)
                with self.engine.connect() as connection:
                    result = connection.execution_options(yield_per=self.config.batch_size).execute(
                        query
                    )
                    columns = list(result.keys())
                    for row in result:
                        payload = dict(zip(columns, map(_plain, row), strict=True))
                        updated = payload.get(source.updated_at) if source.updated_at else None
                        record = RawRecord(str(payload[source.primary_key]), payload, updated)
                        yield record
                        position = PullWindow(updated, record.source_id)
                        resume = True
                return
            except NoSuchTableError as exc:
                raise FatalError(self.system, f"table {str(exc)!r} does not exist") from exc
            except DBAPIError as exc:
                retrier.failed(exc)

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return the number of records in ``window`` as the source itself counts them."""

        def counted() -> int:
            table = self._reflect(mapping.source.table)
            query = select(func.count()).select_from(table)
            condition = self._window_filter(mapping, table, window)
            if condition is not None:
                query = query.where(condition)
            with self.engine.connect() as connection:
                return int(connection.execute(query).scalar_one())

        return self._retrier(f"count of {mapping.source.table}").call(counted)

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return how many records the source table holds and its newest change."""
        source = mapping.source

        def measured() -> Any:
            table = self._reflect(source.table)
            columns: list[Any] = [func.count()]
            if source.updated_at:
                columns.append(func.max(table.c[source.updated_at]))
            query = select(*columns).select_from(table)
            condition = self._window_filter(mapping, table, PullWindow(None))
            if condition is not None:
                query = query.where(condition)
            with self.engine.connect() as connection:
                return connection.execute(query).one()

        row = self._retrier(f"stats of {source.table}").call(measured)
        newest = _plain(row[1]) if len(row) > 1 and row[1] is not None else None
        return SourceStats(int(row[0]), newest)

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield every primary key the source table holds now (for delete detection).

        Read completely before the first key is yielded, so a transient failure is
        retried instead of leaving a partial key set (which would look like deletes).
        """
        source = mapping.source

        def scanned() -> list[str]:
            table = self._reflect(source.table)
            key = table.c[source.primary_key]
            query = select(key)
            condition = self._window_filter(mapping, table, PullWindow(None))
            if condition is not None:
                query = query.where(condition)
            with self.engine.connect() as connection:
                result = connection.execution_options(yield_per=self.config.batch_size).execute(
                    query.order_by(key)
                )
                return [str(value) for value in result.scalars()]

        yield from self._retrier(f"key scan of {source.table}").call(scanned)

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Upsert ``rows`` into the target table in one transaction.

        A row is inserted when its key is absent and updated otherwise, so sending the
        same batch twice changes nothing more. Plain rows are written with the dialect's
        batch upsert (one statement per chunk); rows that need a guard (a create whose
        golden id already exists, a compare-and-set update) one by one. The target's
        updated-at column is set to now, as the system itself would on a change.
        """
        outbound = mapping.outbound
        if outbound is None:
            raise FatalError(self.system, f"mapping for {mapping.entity} has no outbound section")
        table = self._table(outbound.table or mapping.source.table)
        key_name = mapping.source.primary_key
        key = table.c[key_name]
        now = _now_for(table.c[outbound.updated_at_column]) if outbound.updated_at_column else None

        def written() -> PushResult:
            result = PushResult()
            with self.engine.begin() as connection:
                ids = [r.target_id for r in rows]
                existing: set[str] = set()
                for start in range(0, len(ids), 500):
                    chunk = [_typed(key, i) for i in ids[start : start + 500]]
                    existing.update(
                        str(v)
                        for v in connection.execute(select(key).where(key.in_(chunk))).scalars()
                    )
                plain: list[dict[str, Any]] = []
                for row in rows:
                    values = dict(row.values)
                    if outbound.updated_at_column:
                        values[outbound.updated_at_column] = now
                    if _write_guarded(connection, table, mapping, row, values, existing, result):
                        continue
                    values[key_name] = _typed(key, row.target_id)
                    plain.append(values)
                    if row.target_id in existing:
                        result.updated += 1
                    else:
                        result.created += 1
                if plain:
                    upsert(connection, table, key_name, plain, existing, self.config.batch_size)
            return result

        return self._retrier(f"push to {table.name}").call(written)

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
