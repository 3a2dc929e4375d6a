"""Salesforce connector: SOQL on SystemModstamp, Bulk API 2.0, external-id upserts."""

from __future__ import annotations

from typing import Any

from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.connector import SalesforceConnector

__all__ = ["SalesforceConfig", "SalesforceConnector", "create_connector"]


def create_connector(system: str, settings: dict[str, Any]) -> SalesforceConnector:
    """Build the connector of ``system`` from its crmsync.yaml settings (entry point)."""
    return SalesforceConnector(system, SalesforceConfig.model_validate(settings))
