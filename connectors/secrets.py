"""Connector settings from an Airflow Connection: url, login, password and token.

A system's settings may say ``airflow_conn_id: my_erp`` instead of carrying credentials;
the Connection is then read (lazily, through ``airflow.sdk.BaseHook.get_connection``, so
the environment's ``AIRFLOW_CONN_*`` variables, the secrets backend or the metadata
database answer) and its parts fill those keys of the connector's settings model that
the settings do not give explicitly. Values are never logged.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import URL

from connectors.errors import FatalError

AIRFLOW_CONN_KEY = "airflow_conn_id"
"""The settings key naming an Airflow Connection."""

_GENERIC_KEYS = ("url", "login", "password", "token")

# Airflow connection type → SQLAlchemy driver name, for connectors that take a database URL.
_SQL_DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mariadb+pyodbc",
    "mariadb": "mariadb+pyodbc",
    "mssql": "mssql+pyodbc",
    "sqlite": "sqlite",
}

_ALIASES = {
    "login": ("login", "username", "user", "client_id"),
    "password": ("password", "client_secret"),
    "token": ("token", "api_token", "access_token", "api_key"),
    "url": ("url", "base_url"),
}


def _url(connection: Any) -> str | None:
    extra = connection.extra_dejson
    if extra.get("sqlalchemy_url"):
        return str(extra["sqlalchemy_url"])
    conn_type = (connection.conn_type or "").lower()
    driver = extra.get("sqlalchemy_scheme") or _SQL_DRIVERS.get(conn_type)
    if driver == "sqlite":
        return f"sqlite:///{connection.host or connection.schema}"
    if driver:
        query = {"driver": str(extra["driver"])} if extra.get("driver") else {}
        return URL.create(
            driver,
            username=connection.login,
            password=connection.password,
            host=connection.host,
            port=connection.port,
            database=connection.schema,
            query=query,
        ).render_as_string(hide_password=False)
    host = connection.host
    if not host:
        return None
    if "://" not in host:
        host = f"{connection.schema or 'https'}://{host}"
    return f"{host}:{connection.port}" if connection.port else host


def connection_values(connection: Any) -> dict[str, Any]:
    """Return the generic settings an Airflow Connection provides.

    ``url`` (a SQLAlchemy URL for database connection types, the base URL otherwise),
    ``login``, ``password``, ``token`` (the extra's ``token``, else the password) and
    every other key of the extra.
    """
    extra = dict(connection.extra_dejson)
    values: dict[str, Any] = {
        key: value
        for key, value in extra.items()
        if key not in ("sqlalchemy_url", "sqlalchemy_scheme", "driver")
    }
    url = _url(connection)
    if url:
        values["url"] = url
    if connection.login:
        values["login"] = connection.login
    if connection.password:
        values["password"] = connection.password
    token = extra.get("token") or connection.password
    if token:
        values["token"] = token
    return values


def _fill(values: dict[str, Any], fields: Collection[str] | None) -> dict[str, Any]:
    if fields is None:
        return {key: values[key] for key in _GENERIC_KEYS if key in values}
    filled: dict[str, Any] = {}
    for field in fields:
        if field in values:
            filled[field] = values[field]
            continue
        for generic, aliases in _ALIASES.items():
            if field in aliases and generic in values:
                filled[field] = values[generic]
                break
    return filled


def read_airflow_connection(system: str, conn_id: str) -> Any:
    """Return the Airflow Connection ``conn_id`` (imports Airflow only now).

    Raises:
        FatalError: When Airflow is not installed or the connection does not exist.
    """
    try:
        from airflow.sdk import BaseHook
    except ImportError as exc:
        raise FatalError(system, f"{AIRFLOW_CONN_KEY} needs Airflow installed: {exc}") from exc
    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # noqa: BLE001 - Airflow raises its own not-found types
        raise FatalError(
            system, f"Airflow connection {conn_id!r} cannot be read: {type(exc).__name__}"
        ) from exc


def settings_with_connection(
    system: str, settings: dict[str, Any], model: type[BaseModel] | None
) -> dict[str, Any]:
    """Return ``settings`` with the keys ``model`` declares filled from its Airflow Connection.

    Explicit settings win; ``airflow_conn_id`` itself is removed. Without a known model
    only ``url``, ``login``, ``password`` and ``token`` are filled.
    """
    explicit = {k: v for k, v in settings.items() if k != AIRFLOW_CONN_KEY}
    connection = read_airflow_connection(system, str(settings[AIRFLOW_CONN_KEY]))
    fields = set(model.model_fields) if model is not None else None
    return {**_fill(connection_values(connection), fields), **explicit}
