"""Airflow DAGs syncing a real CRM and ERP: BottleCRM ↔ Tryton customers and products.

They use ``config/bottlecrm-tryton.yaml`` (override with ``CRMSYNC_PEERS_CONFIG``); see
docs/bottlecrm-tryton.md for setting the two systems' URLs and credentials.
"""

import os
from pathlib import Path

from sync.dag_factory import build_order_dag, build_sync_dag

CONFIG = os.environ.get(
    "CRMSYNC_PEERS_CONFIG",
    str(Path(__file__).resolve().parents[1] / "config" / "bottlecrm-tryton.yaml"),
)

customers = build_sync_dag(
    "customer", "bottlecrm_tryton_customers", config=CONFIG, tags=("bottlecrm", "tryton")
)
products = build_sync_dag(
    "product", "bottlecrm_tryton_products", config=CONFIG, tags=("bottlecrm", "tryton")
)

orders = build_order_dag("bottlecrm_tryton_orders", config=CONFIG)
