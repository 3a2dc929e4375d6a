"""HubSpot connector: CRM v3 objects, search API incremental pulls, batch upserts."""

from __future__ import annotations

from typing import Any

from connectors.hubspot.config import HubSpotConfig
from connectors.hubspot.connector import HubSpotConnector

__all__ = ["HubSpotConfig", "HubSpotConnector", "create_connector"]


def create_connector(system: str, settings: dict[str, Any]) -> HubSpotConnector:
    """Build the connector of ``system`` from its crmsync.yaml settings (entry point)."""
    return HubSpotConnector(system, HubSpotConfig.model_validate(settings))
