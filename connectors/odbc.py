"""ODBC plumbing for the SQL connector: a ``postgresql+pyodbc`` dialect and URL fixes.

SQLAlchemy ships ``mssql+pyodbc`` and ``mariadb+pyodbc`` but no PostgreSQL dialect over
pyodbc, so an ERP whose PostgreSQL is only reachable through an ODBC DSN or driver
(``odbc-postgresql``, driver ``PostgreSQL Unicode``) had no way in. :class:`PGDialectPyODBC`
is SQLAlchemy's PostgreSQL dialect speaking pyodbc. It turns the driver's server-side
prepare off (``UseServerSidePrepare=0``): with it, PostgreSQL must infer the type of
every untyped ``?`` and rejects SQLAlchemy's reflection queries ("could not determine
data type of parameter"); without it psqlODBC binds the values itself, still as
parameters of the statement, never spliced by crmsync.

SQLAlchemy's pyodbc connector writes the port as ``Server=host,port`` (SQL Server's
syntax), which the MariaDB and PostgreSQL drivers silently ignore: a URL naming port
3307 connects to 3306. :func:`odbc_url` moves the port into a ``port=`` keyword instead.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.connectors.pyodbc import PyODBCConnector
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import URL


def odbc_url(url: URL) -> URL:
    """Return ``url`` with its port as an ODBC ``port`` keyword for non-SQL-Server drivers."""
    driver = url.get_driver_name()
    if driver != "pyodbc" or url.get_backend_name() == "mssql" or url.port is None:
        return url
    if "port" in {key.lower() for key in url.query}:
        return url
    return url.set(port=None).update_query_dict({"port": str(url.port)})


class PGDialectPyODBC(PyODBCConnector, PGDialect):
    """PostgreSQL through pyodbc and the psqlODBC driver (``postgresql+pyodbc://``)."""

    supports_statement_cache = True
    supports_native_boolean = True
    pyodbc_driver_name = "PostgreSQL Unicode"

    def create_connect_args(self, url: URL) -> Any:
        """Connection string of ``url`` with the port fixed and server-side prepare off."""
        url = odbc_url(url)
        if "odbc_connect" not in url.query:
            url = url.update_query_dict({"UseServerSidePrepare": "0"})
        return super().create_connect_args(url)

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        text = connection.exec_driver_sql("SHOW server_version").scalar()
        return tuple(int(part) for part in re.findall(r"\d+", str(text))[:2])


def register_dialects() -> None:
    """Make ``postgresql+pyodbc://`` URLs resolve to :class:`PGDialectPyODBC`."""
    registry.register("postgresql.pyodbc", __name__, "PGDialectPyODBC")


register_dialects()
