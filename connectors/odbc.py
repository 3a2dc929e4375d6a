"""ODBC plumbing for the SQL connector: a ``postgresql+pyodbc`` dialect and URL fixes.

SQLAlchemy ships ``mssql+pyodbc`` and ``mariadb+pyodbc`` but no PostgreSQL dialect over
pyodbc, so an ERP whose PostgreSQL is only reachable through an ODBC DSN or driver
(``odbc-postgresql``, driver ``PostgreSQL Unicode``) had no way in. :class:`PGDialectPyODBC`
is SQLAlchemy's PostgreSQL dialect speaking pyodbc. It turns the driver's server-side
prepare off (``UseServerSidePrepare=0``): with it, PostgreSQL must infer the type of
every untyped ``?`` and rejects SQLAlchemy's reflection queries ("could not determine
data type of parameter"); without it psqlODBC binds the values itself, still as
parameters of the statement, never spliced by crmsync.

psqlODBC returns array values as their text form (``{id,name}``); SQLAlchemy's reflection
of primary keys and indexes reads arrays, so :class:`_TextArray` parses that form back
into lists (one dimension, which is all reflection uses).

SQLAlchemy's pyodbc connector writes the port as ``Server=host,port`` (SQL Server's
syntax), which the MariaDB and PostgreSQL drivers silently ignore: a URL naming port
3307 connects to 3306. :func:`odbc_url` moves the port into a ``port=`` keyword instead.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.connectors.pyodbc import PyODBCConnector
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import URL


def odbc_url(url: URL) -> URL:
    """Return ``url`` with its port as an ODBC ``port`` keyword for non-SQL-Server drivers."""
    driver = url.get_driver_name()
    if driver != "pyodbc" or url.get_backend_name() == "mssql" or url.port is None:
        return url
    if "port" in {key.lower() for key in url.query}:
        return url
    return url._replace(port=None).update_query_dict({"port": str(url.port)})


def parse_pg_array(text: str) -> list[str | None]:
    """Parse PostgreSQL's text form of a one-dimensional array (``{a,"b c",NULL}``)."""
    if not (text.startswith("{") and text.endswith("}")):
        return [text]
    items: list[str | None] = []
    current: list[str] = []
    quoted = escaped = was_quoted = False
    body = text[1:-1]

    def finish() -> str | None:
        value = "".join(current)
        return None if value == "NULL" and not was_quoted else value

    for char in body:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            items.append(finish())
            current, was_quoted = [], False
        else:
            current.append(char)
    if body:
        items.append(finish())
    return items


class _TextArray(ARRAY[Any]):
    """PostgreSQL ARRAY whose values may arrive as text from the ODBC driver."""

    def result_processor(self, dialect: Any, coltype: object) -> Any:
        inner = super().result_processor(dialect, coltype)
        try:
            numeric = self.item_type.python_type is int
        except NotImplementedError:
            numeric = False

        def process(value: Any) -> Any:
            if isinstance(value, str):
                items = parse_pg_array(value)
                value = [int(i) if numeric and i is not None else i for i in items]
            return inner(value) if inner else value

        return process


class PGDialectPyODBC(PyODBCConnector, PGDialect):
    """PostgreSQL through pyodbc and the psqlODBC driver (``postgresql+pyodbc://``)."""

    supports_statement_cache = True
    supports_native_boolean = True
    pyodbc_driver_name = "PostgreSQL Unicode"
    colspecs = {**PGDialect.colspecs, sqltypes.ARRAY: _TextArray}

    def create_connect_args(self, url: URL) -> Any:
        """Connection string of ``url`` with the port fixed and server-side prepare off."""
        url = odbc_url(url)
        if "odbc_connect" not in url.query:
            # Booleans as booleans, not the characters '1' / '0' (the driver's default).
            url = url.update_query_dict({"UseServerSidePrepare": "0", "BoolsAsChar": "0"})
        return super().create_connect_args(url)

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        text = connection.exec_driver_sql("SHOW server_version").scalar()
        return tuple(int(part) for part in re.findall(r"\d+", str(text))[:2])


def register_dialects() -> None:
    """Make ``postgresql+pyodbc://`` URLs resolve to :class:`PGDialectPyODBC`."""
    registry.register("postgresql.pyodbc", __name__, "PGDialectPyODBC")


register_dialects()
