"""BottleCRM (``django-crm``) connector: accounts, contacts and products over its REST API."""

from connectors.bottlecrm.config import BottleCrmConfig
from connectors.bottlecrm.connector import BottleCrmConnector, create_connector

__all__ = ["BottleCrmConfig", "BottleCrmConnector", "create_connector"]
