"""Airflow DAG ``sync_products``: the product master sync (CRM ↔ ERP golden products)."""

from sync.dag_factory import build_sync_dag

dag = build_sync_dag("product", "sync_products")
