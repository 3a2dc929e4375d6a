"""Airflow DAG ``sync_customers``: the customer master sync (CRM ↔ ERP golden customers)."""

from sync.dag_factory import build_sync_dag

dag = build_sync_dag("customer", "sync_customers")
