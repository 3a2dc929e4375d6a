"""End to end through Airflow: the sync DAGs run with ``dag.test()`` on SQLite and leave
golden records, cross-references and pushed values behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sync.sandbox_setup import query, write_sandbox_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def airflow_db():
    """A fresh Airflow metadata DB in the session's temporary AIRFLOW_HOME."""
    from airflow.utils.db import resetdb

    resetdb()


def _run(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    return bag.dags[dag_id].test()


def test_customer_and_product_dags_sync_the_sandbox(airflow_db, tmp_path, monkeypatch):
    config = write_sandbox_config(tmp_path, companies=80)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(config))

    from store.golden import load_active_golden, load_xrefs
    from store.runs import last_run
    from sync.context import SyncContext

    for dag_id, entity in (("sync_customers", "customer"), ("sync_products", "product")):
        run = _run(dag_id)
        assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state
        ctx = SyncContext.open(config)
        with ctx.engine.connect() as c:
            summary = last_run(c, entity)
            golden = load_active_golden(c, entity)
            xrefs = load_xrefs(c, entity)
        ctx.close()
        assert summary is not None and summary["status"] == "success"
        assert summary["summary"]["golden_records"] == len(golden) > 0
        assert xrefs
        states = {t: c for t, c in summary["summary"]["targets"].items()}
        assert states["sandbox_crm"]["updated"] + states["sandbox_crm"]["created"] > 0

    crm = dict(query(tmp_path, "crm", "SELECT account_id, mdm_golden_id FROM accounts"))
    with SyncContext.open(config).engine.connect() as c:
        links = load_xrefs(c, "customer")
    for (system, source_id), golden_id in links.items():
        if system == "sandbox_crm":
            assert crm[source_id] == golden_id


def test_blocked_batch_fails_the_gate_task_and_skips_publish(airflow_db, tmp_path, monkeypatch):
    config = write_sandbox_config(tmp_path, companies=40, ratio=0.0)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(config))
    before = query(tmp_path, "crm", "SELECT * FROM accounts ORDER BY account_id")

    run = _run("sync_customers")
    assert "failed" in str(run.state).lower()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "failed" in states["gate.gate_staged"]
    assert (
        "upstream_failed" in states["publish.publish_target"]
        or "skipped" in states["publish.publish_target"]
    )
    # The run was closed and reported; the last task fails with the cause.
    assert "success" in states["report.run_summary"]
    assert "success" in states["report.audit_report"]
    assert "failed" in states["report.run_outcome"]

    from store.runs import last_run
    from sync.context import SyncContext

    with SyncContext.open(config).engine.connect() as c:
        summary = last_run(c, "customer")
    assert summary is not None and summary["status"] == "blocked"
    assert "failed mapping or quality rules" in summary["cause"]
    assert query(tmp_path, "crm", "SELECT * FROM accounts ORDER BY account_id") == before


def test_contact_dag_runs_after_the_customer_dag(airflow_db, tmp_path, monkeypatch):
    from tests.sync.test_contact_sync import contact_config

    config = contact_config(tmp_path, companies=40)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(config))

    from store.golden import load_active_golden, load_xrefs
    from store.runs import last_run
    from sync.context import SyncContext

    assert "success" in str(_run("sync_customers").state).lower()
    run = _run("sync_contacts")
    assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state
    ctx = SyncContext.open(config)
    with ctx.engine.connect() as c:
        summary = last_run(c, "contact")
        golden = load_active_golden(c, "contact")
        customers = set(load_active_golden(c, "customer"))
        contact_links = load_xrefs(c, "contact")
    ctx.close()
    assert summary is not None and summary["status"] == "success"
    assert summary["summary"]["golden_records"] == len(golden) > 0
    assert summary["summary"]["targets"]["sandbox_crm"]["updated"] > 0
    assert all(golden_id.startswith("GK-") for golden_id in contact_links.values())
    # Every golden contact points at an active golden customer, or is held back for lacking one.
    orphans = [g for g, r in golden.items() if r.data.get("customer_golden_id") not in customers]
    assert len(orphans) == summary["summary"]["golden_held"]
