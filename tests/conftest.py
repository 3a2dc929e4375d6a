"""Shared test fixtures.

Airflow reads its configuration when first imported, so this module points
``AIRFLOW_HOME`` at a fresh temporary folder before any test imports it: tests never
touch the repository's ``.state`` folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="crmsync-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ.pop("CRMSYNC_CONFIG", None)
os.environ.pop("CRMSYNC_STORE_URL", None)

import pytest  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from store.database import migrate, open_store  # noqa: E402

REQUIRE_SERVICES = os.environ.get("CRMSYNC_REQUIRE_SERVICES") == "1"


def need_service(name: str, reason: str) -> None:
    """Skip (on a developer machine) or fail (in CI) a test whose service is down."""
    message = f"{name} is not reachable: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (CI requires it; see STACK.md for how to start it)")
    pytest.skip(f"{message}; start it to run this test")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    """A migrated store in a temporary SQLite file."""
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    yield engine
    engine.dispose()
