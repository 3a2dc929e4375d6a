"""Connector registry: builds a connector for a configured system by its kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import Connector
from connectors.errors import FatalError
from connectors.sql import SqlConnector, SqlConnectorConfig


def _sql(system: str, settings: dict[str, Any]) -> Connector:
    return SqlConnector(system, SqlConnectorConfig.model_validate(settings))


CONNECTOR_KINDS: dict[str, Callable[[str, dict[str, Any]], Connector]] = {"sql": _sql}
"""Connector kind (the ``connector:`` key of a system) → factory."""


def build_connector(system: str, kind: str, settings: dict[str, Any]) -> Connector:
    """Build the connector of ``kind`` for ``system`` from its settings.

    Raises:
        FatalError: When the kind is unknown.
    """
    factory = CONNECTOR_KINDS.get(kind)
    if factory is None:
        known = ", ".join(sorted(CONNECTOR_KINDS))
        raise FatalError(system, f"unknown connector kind {kind!r} (known: {known})")
    return factory(system, settings)
