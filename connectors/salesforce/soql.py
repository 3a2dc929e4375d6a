"""SOQL text for the connector's queries.

SOQL over REST has no bound parameters, so every literal goes through :func:`literal`,
which quotes and escapes it as the SOQL reference prescribes; field and object names come
from the mapping files and are checked against :data:`NAME`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.http.windows import TimeWindow

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"'}


def name(value: str) -> str:
    """Return ``value`` if it is a valid (dotted) field or object name.

    Raises:
        ValueError: It is not one (it would be injected into the query text).
    """
    if not NAME.match(value):
        raise ValueError(f"not a Salesforce field or object name: {value!r}")
    return value


def datetime_literal(moment: datetime) -> str:
    """Return a SOQL dateTime literal, ``YYYY-MM-DDThh:mm:ssZ`` in UTC.

    Salesforce keeps SystemModstamp to the second, so whole seconds lose nothing: a
    closed start floored still includes its second, an open end floored leaves the last
    partial second to the next window.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def literal(value: Any) -> str:
    """Return ``value`` as a SOQL literal: quoted and escaped text, numbers, booleans, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return datetime_literal(value)
    text = str(value)
    return "'" + "".join(_ESCAPES.get(c, c) for c in text) + "'"


def conditions(
    where: Mapping[str, Any], stamp_field: str | None, window: TimeWindow | None
) -> list[str]:
    """Return the WHERE conditions of a mapping's filters and a time window.

    The window is closed at its start and open at its end; boundary rows at the start are
    read again (the pipeline recognises them by content hash).
    """
    parts = [f"{name(field)} = {literal(value)}" for field, value in where.items()]
    if stamp_field and window is not None:
        if window.start is not None:
            parts.append(f"{name(stamp_field)} >= {datetime_literal(window.start)}")
        parts.append(f"{name(stamp_field)} < {datetime_literal(window.end)}")
    return parts


def select(
    fields: Iterable[str],
    table: str,
    where: Iterable[str] = (),
    order_by: Iterable[str] = (),
    subquery: str | None = None,
    limit: int | None = None,
) -> str:
    """Return a SELECT statement (names checked, literals already escaped in ``where``)."""
    columns = [name(f) for f in fields]
    if subquery:
        columns.append(f"({subquery})")
    return _statement(columns, table, where, order_by, limit)


def aggregate(expressions: Iterable[str], table: str, where: Iterable[str] = ()) -> str:
    """Return an aggregate SELECT, e.g. ``SELECT COUNT() FROM Account WHERE ...``.

    ``expressions`` are written by the connector itself (``COUNT()``, ``MAX(<name>) x``),
    never taken from configuration unchecked.
    """
    return _statement(list(expressions), table, where, (), None)


def _statement(
    columns: list[str],
    table: str,
    where: Iterable[str],
    order_by: Iterable[str],
    limit: int | None,
) -> str:
    # SOQL over REST takes no bound parameters: names are checked by name() and literals
    # escaped by literal() before they get here.
    text = f"SELECT {', '.join(columns)} FROM {name(table)}"  # noqa: S608
    clauses = list(where)
    if clauses:
        text += " WHERE " + " AND ".join(clauses)
    order = [name(f) for f in order_by]
    if order:
        text += " ORDER BY " + ", ".join(order)
    if limit is not None:
        text += f" LIMIT {int(limit)}"
    return text
