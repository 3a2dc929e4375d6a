"""Connector registry: finds connector kinds and builds a connector for a configured system.

A kind is a factory ``(system: str, settings: dict) -> Connector`` registered under the
``crmsync.connectors`` entry-point group, so a third-party package adds one by declaring,
in its own ``pyproject.toml``::

    [project.entry-points."crmsync.connectors"]
    mycrm = "mycrm_connector:create_connector"

crmsync's built-in kinds are declared the same way in its ``pyproject.toml``;
:data:`CONNECTOR_KINDS` lists them too, so a checkout whose package metadata is stale
(entry points are read from the installed metadata) still finds them. Factories are
imported only when their kind is used (or listed), never all at start-up.

Each kind validates its settings with a pydantic model (secrets as ``SecretStr``); the
registry finds it (the factory's ``config_model`` attribute, else the ``config``
parameter of the connector class the factory returns) to list the kind's keys and to
fill them from an Airflow Connection (``airflow_conn_id``, see :mod:`connectors.secrets`).
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors.base import Connector
from connectors.errors import FatalError
from connectors.secrets import AIRFLOW_CONN_KEY, settings_with_connection

ENTRY_POINT_GROUP = "crmsync.connectors"
"""The entry-point group connector kinds are registered under."""

ConnectorFactory = Callable[[str, dict[str, Any]], Connector]
"""Builds the connector of one system from its name and settings."""

CONNECTOR_KINDS: dict[str, str | ConnectorFactory] = {
    "sql": "connectors.sql:create_connector",
    "bottlecrm": "connectors.bottlecrm:create_connector",
    "tryton": "connectors.tryton:create_connector",
    "salesforce": "connectors.salesforce:create_connector",
    "hubspot": "connectors.hubspot:create_connector",
}
"""Built-in kinds (``module:attribute`` or the factory itself), used when the installed
package metadata does not declare them (an entry point of the same name wins)."""


@dataclass(frozen=True)
class ConnectorKind:
    """One available connector kind: its name and where its factory lives."""

    name: str
    target: str
    """``module:attribute`` of the factory (``<callable>`` when registered in-process)."""
    origin: str
    """Who provides it: the distribution of the entry point, or ``built-in``."""
    _factory: ConnectorFactory | None = None

    def load(self) -> ConnectorFactory:
        """Import and return the kind's factory.

        Raises:
            FatalError: When the module cannot be imported or the attribute is missing.
        """
        if self._factory is not None:
            return self._factory
        module_name, _, attribute = self.target.partition(":")
        try:
            factory = importlib.import_module(module_name)
            for part in attribute.split("."):
                factory = getattr(factory, part)
        except (ImportError, AttributeError) as exc:
            raise FatalError(
                self.name, f"connector kind {self.name!r} ({self.target}) cannot load: {exc}"
            ) from exc
        if not callable(factory):
            raise FatalError(self.name, f"kind {self.name!r}: {self.target} is not callable")
        return typing.cast(ConnectorFactory, factory)

    def config_model(self) -> type[BaseModel] | None:
        """Return the pydantic model the kind validates its settings with, if it is known."""
        return config_model_of(self.load())


def config_model_of(factory: ConnectorFactory) -> type[BaseModel] | None:
    """Return the settings model of ``factory``.

    Its ``config_model`` attribute when set; otherwise the first pydantic-model parameter
    of the ``__init__`` of the class the factory is annotated to return.
    """
    declared = getattr(factory, "config_model", None)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return declared
    try:
        returned = typing.get_type_hints(factory).get("return")
        if not inspect.isclass(returned):
            return None
        hints = typing.get_type_hints(returned.__init__)
    except (NameError, TypeError):
        return None
    for name, hint in hints.items():
        if name != "return" and inspect.isclass(hint) and issubclass(hint, BaseModel):
            return hint
    return None


def connector_kinds() -> dict[str, ConnectorKind]:
    """Return every available connector kind by name: built-ins, then entry points."""
    kinds: dict[str, ConnectorKind] = {}
    for name, registered in CONNECTOR_KINDS.items():
        if isinstance(registered, str):
            kinds[name] = ConnectorKind(name, registered, "built-in")
        else:
            target = f"{registered.__module__}:{registered.__qualname__}"
            kinds[name] = ConnectorKind(name, target, "built-in", registered)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        origin = point.dist.name if point.dist is not None else "entry point"
        kinds[point.name] = ConnectorKind(point.name, point.value, origin)
    return dict(sorted(kinds.items()))


def _describe(error: Any) -> str:
    # Only the key path and pydantic's message: the input may be a secret.
    location = ".".join(str(part) for part in error["loc"]) or "<settings>"
    return f"{location}: {error['msg']}"


def build_connector(system: str, kind: str, settings: dict[str, Any]) -> Connector:
    """Build the connector of ``kind`` for ``system`` from its settings.

    When the settings name an Airflow Connection (``airflow_conn_id``), the keys the
    kind's settings model declares are filled from it first (explicit settings win).

    Raises:
        FatalError: When the kind is not installed (the message lists the known kinds),
            cannot load, or the settings are invalid (every problem, without values).
    """
    kinds = connector_kinds()
    found = kinds.get(kind)
    if found is None:
        known = ", ".join(kinds) or "none"
        raise FatalError(
            system,
            f"connector kind {kind!r} is not installed (known: {known}); "
            f"a package adds one under the {ENTRY_POINT_GROUP!r} entry-point group",
        )
    factory = found.load()
    if AIRFLOW_CONN_KEY in settings:
        settings = settings_with_connection(system, settings, config_model_of(factory))
    try:
        return factory(system, settings)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        # Not chained: pydantic's own message quotes the input, which may be a secret.
        raise FatalError(system, f"invalid {kind} connector settings: {problems}") from None
