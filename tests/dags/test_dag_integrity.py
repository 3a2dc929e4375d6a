"""DAG integrity: every DAG file imports cleanly, cheaply and without I/O."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
EXPECTED = {
    "sync_customers",
    "sync_contacts",
    "sync_products",
    "bottlecrm_tryton_customers",
    "bottlecrm_tryton_products",
}
ORDER_DAGS = {"bottlecrm_tryton_orders"}

PROBE = r"""
import json, sys, importlib.util
import airflow.sdk  # the baseline every DAG file pays
opened = []
def audit(event, args):
    if event in ("sqlite3.connect", "socket.connect"):
        opened.append(f"{event}:{args[0] if args else ''}")
    if event == "open" and isinstance(args[0], str) and args[0].endswith((".db", ".yaml", ".csv")):
        opened.append(f"open:{args[0]}")
before = set(sys.modules)
sys.addaudithook(audit)
spec = importlib.util.spec_from_file_location("dagfile", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({"modules": sorted(set(sys.modules) - before), "io": opened}))
"""

HEAVY = (
    "great_expectations",
    "pandas",
    "rapidfuzz",
    "numpy",
    "faker",
    "store",
    "connectors",
    "dedupe",
    "quality",
    "mappings",
    "sync.stages",
    "sync.context",
    "httpx",
    "pyodbc",
)


def test_dag_bag_imports_without_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == EXPECTED | ORDER_DAGS
    for dag_id in ORDER_DAGS:
        assert bag.dags[dag_id].task_ids == ["deals_to_sales_orders"]
    for dag_id in EXPECTED:
        dag = bag.dags[dag_id]
        assert dag.tags and "crmsync" in dag.tags
        groups = {t.task_id.split(".")[0] for t in dag.tasks if "." in t.task_id}
        stages = {"pull", "map", "gate", "match", "survive", "golden_gate", "publish", "report"}
        assert stages <= groups
        summary = dag.get_task("report.run_summary")
        assert summary.trigger_rule == "all_done"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_top_level_is_light_and_does_no_io(dag_file):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(dag_file)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    heavy = [
        m
        for m in report["modules"]
        if m.split(".")[0] in HEAVY or m in HEAVY or any(m.startswith(h + ".") for h in HEAVY)
    ]
    assert heavy == [], f"{dag_file.name} imports heavy modules at parse time: {heavy[:10]}"
    assert report["io"] == [], f"{dag_file.name} does I/O at parse time: {report['io']}"
