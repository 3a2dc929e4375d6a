"""Running the sync DAGs through Airflow from the command line (``crmsync demo``).

Uses the real Airflow CLI in a subprocess — ``airflow db migrate`` then ``airflow dags test
<dag_id>`` — with ``AIRFLOW_HOME`` pointing at the folder holding ``airflow.cfg`` (the
repository root in a checkout). Airflow's own output goes to a log file; a one-line
progress message is printed per DAG.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

DAG_OF_ENTITY = {
    "customer": "sync_customers",
    "contact": "sync_contacts",
    "product": "sync_products",
}


class AirflowRunError(RuntimeError):
    """An Airflow command failed; the message names the command and its log file."""


def airflow_home(config_dir: Path) -> Path:
    """Return ``AIRFLOW_HOME``: the environment's, else the config folder if it has airflow.cfg."""
    if os.environ.get("AIRFLOW_HOME"):
        return Path(os.environ["AIRFLOW_HOME"])
    for candidate in (config_dir, Path.cwd()):
        if (candidate / "airflow.cfg").is_file():
            return candidate.resolve()
    raise AirflowRunError(
        f"no airflow.cfg in {config_dir} or {Path.cwd()}: set AIRFLOW_HOME to the folder "
        "holding the crmsync airflow.cfg"
    )


def _airflow_executable() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def _run(args: list[str], env: dict[str, str], log_file: Path) -> float:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_file.open("w", encoding="utf-8") as out:
        completed = subprocess.run(
            [_airflow_executable(), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if completed.returncode != 0:
        raise AirflowRunError(
            f"`airflow {' '.join(args)}` exited {completed.returncode}; see {log_file}"
        )
    return time.monotonic() - started


def run_dags(entities: list[str], config_file: Path, log_dir: Path) -> None:
    """Migrate the Airflow metadata DB and run each entity's DAG once with ``dags test``."""
    home = airflow_home(config_file.parent)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "CRMSYNC_CONFIG": str(config_file.resolve()),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    (home / ".state" / "airflow").mkdir(parents=True, exist_ok=True)
    print(f"· airflow db migrate (AIRFLOW_HOME={home})", flush=True)
    _run(["db", "migrate"], env, log_dir / "airflow-db-migrate.log")
    for entity in entities:
        dag_id = DAG_OF_ENTITY[entity]
        log_file = log_dir / f"airflow-dags-test-{dag_id}.log"
        print(f"· airflow dags test {dag_id} (log: {log_file})", flush=True)
        seconds = _run(["dags", "test", dag_id], env, log_file)
        print(f"  {dag_id} finished in {seconds:.1f} s", flush=True)
