"""Tryton ERP connector (JSON-RPC): customers, products, sale orders and order costs."""

from connectors.tryton.config import TrytonConfig
from connectors.tryton.connector import TrytonConnector, create_connector

__all__ = ["TrytonConfig", "TrytonConnector", "create_connector"]
