"""The sandbox CRM and ERP: two SQLite systems filled with realistic, known mess.

``seed_sandboxes`` writes ``crm.db`` (a Salesforce-like CRM), ``erp.db`` (an SAP-like
ERP) and ``truth.csv`` (which records are the same real entity, and which are planted
bad records) deterministically from a seed. The schemas are in ``docs/sandbox.md`` and
``sync.sandbox.schema``.
"""

from sync.sandbox.generator import SeedReport, seed_sandboxes
from sync.sandbox.schema import CRM_SCHEMA, ERP_SCHEMA, create_crm_schema, create_erp_schema

__all__ = [
    "CRM_SCHEMA",
    "ERP_SCHEMA",
    "SeedReport",
    "create_crm_schema",
    "create_erp_schema",
    "seed_sandboxes",
]
