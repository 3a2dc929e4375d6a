"""Batch upserts: one upsert statement per chunk of rows where the dialect has one.

The statement is executed once with the chunk's rows as its parameter sets (DBAPI
``executemany``; SQLAlchemy folds them into multi-row VALUES where the driver benefits):
5-10x faster than compiling one literal multi-row statement per chunk.

* PostgreSQL and SQLite: ``INSERT … ON CONFLICT (key) DO UPDATE SET col = excluded.col``.
* MariaDB/MySQL: ``INSERT … ON DUPLICATE KEY UPDATE col = VALUES(col)``.
* SQL Server: ``MERGE … USING (VALUES …) … WHEN MATCHED … WHEN NOT MATCHED``.
* Anything else, or a key column that is not the table's primary key (no conflict
  target the database would recognise): one multi-row INSERT of the new keys and an
  UPDATE per existing key.

The caller owns the transaction (one per batch) and knows which keys exist already.
Every value is a bound parameter; identifiers are quoted by the dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, text, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect

_MAX_PARAMETERS = 30000  # below SQLite's 32766 and far below PostgreSQL's 65535


def _chunks(rows: Sequence[dict[str, Any]], columns: int, batch_size: int) -> list[list[Any]]:
    size = max(1, min(batch_size, _MAX_PARAMETERS // max(columns, 1)))
    return [list(rows[i : i + size]) for i in range(0, len(rows), size)]


def _grouped(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    # A multi-row statement needs the same columns in every row.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups


def upsert_method(connection: Connection, table: Table, key: str) -> str:
    """Return how rows are upserted into ``table`` on ``connection``'s dialect."""
    if [c.name for c in table.primary_key.columns] != [key]:
        return "generic"
    name = connection.dialect.name
    if name in ("postgresql", "sqlite"):
        return "on_conflict"
    if name in ("mysql", "mariadb"):
        return "on_duplicate_key"
    if name == "mssql":
        return "merge"
    return "generic"


def _on_conflict(connection: Connection, table: Table, key: str, rows: list[Any]) -> None:
    module: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = module.insert(table)
    changed = {c: statement.excluded[c] for c in rows[0] if c != key}
    if changed:
        statement = statement.on_conflict_do_update(index_elements=[key], set_=changed)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[key])
    connection.execute(statement, rows)


def _on_duplicate_key(connection: Connection, table: Table, key: str, rows: list[Any]) -> None:
    statement = mysql.insert(table)
    changed = {c: statement.inserted[c] for c in rows[0] if c != key} or {key: table.c[key]}
    connection.execute(statement.on_duplicate_key_update(changed), rows)


def merge_statement(dialect: Dialect, table: Table, key: str, rows: list[Any]) -> Any:
    """Return SQL Server's MERGE of ``rows`` into ``table`` on ``key`` (bound values)."""
    quote = dialect.identifier_preparer.quote
    columns = list(rows[0])
    names = ", ".join(quote(c) for c in columns)
    values = ", ".join(
        "(" + ", ".join(f":p{i}_{j}" for j in range(len(columns))) + ")" for i in range(len(rows))
    )
    sets = ", ".join(f"t.{quote(c)} = s.{quote(c)}" for c in columns if c != key)
    matched = f" WHEN MATCHED THEN UPDATE SET {sets}" if sets else ""
    target = quote(table.name) if not table.schema else f"{quote(table.schema)}.{quote(table.name)}"
    sql = (
        f"MERGE INTO {target} WITH (HOLDLOCK) AS t USING (VALUES {values}) AS s ({names}) "  # noqa: S608 - identifiers quoted by the dialect, values bound
        f"ON t.{quote(key)} = s.{quote(key)}{matched} "
        f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ("
        + ", ".join(f"s.{quote(c)}" for c in columns)
        + ");"
    )
    binds = [
        bindparam(f"p{i}_{j}", row[c], type_=table.c[c].type)
        for i, row in enumerate(rows)
        for j, c in enumerate(columns)
    ]
    return text(sql).bindparams(*binds)


def _generic(
    connection: Connection, table: Table, key: str, rows: list[Any], existing: set[str]
) -> None:
    new = [row for row in rows if str(row[key]) not in existing]
    if new:
        connection.execute(insert(table), new)
    for row in rows:
        if str(row[key]) in existing:
            values = {c: v for c, v in row.items() if c != key}
            if values:
                connection.execute(update(table).where(table.c[key] == row[key]).values(values))


def upsert(
    connection: Connection,
    table: Table,
    key: str,
    rows: Sequence[dict[str, Any]],
    existing: set[str],
    batch_size: int,
) -> str:
    """Insert or update ``rows`` (each holding ``key``) in ``table``; return the method used.

    ``existing`` holds the keys (as text) already in the table; only the generic method
    needs it, the others let the database decide.
    """
    method = upsert_method(connection, table, key)
    for group in _grouped(rows).values():
        for chunk in _chunks(group, len(group[0]), batch_size):
            if method == "on_conflict":
                _on_conflict(connection, table, key, chunk)
            elif method == "on_duplicate_key":
                _on_duplicate_key(connection, table, key, chunk)
            elif method == "merge":
                connection.execute(merge_statement(connection.dialect, table, key, chunk))
            else:
                _generic(connection, table, key, chunk, existing)
    return method
