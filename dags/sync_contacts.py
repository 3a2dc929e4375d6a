"""Airflow DAG ``sync_contacts``: the contact sync (contacts de-duplicated within their
golden customer; run it after ``sync_customers``)."""

from sync.dag_factory import build_sync_dag

dag = build_sync_dag("contact", "sync_contacts")
