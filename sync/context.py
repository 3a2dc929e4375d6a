"""The sync context: settings, the migrated store, mappings and connectors of one process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from connectors.base import Connector
from connectors.registry import build_connector
from mappings.loader import PACKAGED_MAPPINGS, find_mapping
from mappings.spec import MappingSpec
from store.database import migrate, open_store
from sync.config import Settings, load_settings


@dataclass
class SyncContext:
    """What every pipeline step needs; built once per process (or Airflow task)."""

    settings: Settings
    engine: Engine
    _mappings: dict[tuple[str, str], MappingSpec] = field(default_factory=dict)
    _connectors: dict[str, Connector] = field(default_factory=dict)

    @classmethod
    def open(cls, config: str | Path | None = None, *, migrate_store: bool = True) -> SyncContext:
        """Load the settings, open the store and bring its schema up to date."""
        settings = load_settings(config)
        engine = open_store(settings.store_url())
        if migrate_store:
            migrate(engine)
        return cls(settings, engine)

    def mapping(self, system: str, entity: str) -> MappingSpec:
        """Return the mapping of ``system``'s ``entity`` (configured folders first)."""
        key = (system, entity)
        if key not in self._mappings:
            folders = [*self.settings.mapping_dirs, PACKAGED_MAPPINGS]
            self._mappings[key] = find_mapping(folders, system, entity)
        return self._mappings[key]

    def connector(self, system: str) -> Connector:
        """Return the (cached) connector of ``system``."""
        if system not in self._connectors:
            settings = self.settings.systems[system]
            self._connectors[system] = build_connector(
                system, settings.connector, settings.connector_settings()
            )
        return self._connectors[system]

    def close(self) -> None:
        """Close connectors and the store engine."""
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()
        self.engine.dispose()
