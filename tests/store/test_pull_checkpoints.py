"""Pull checkpoints in the store: round trip, and adoption of an interrupted run's rows.

Run on SQLite and on the machine's PostgreSQL (marked ``postgres``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from store.database import migrate, open_store
from store.pull_checkpoints import (
    PullCheckpoint,
    adopt_staged,
    drop_checkpoint,
    load_checkpoint,
    save_checkpoint,
    staged_keys,
    unstage,
)
from store.schema import cursors, staging
from store.staging import Cursor, StagedRecord, payload_hash, stage_records
from tests.store.test_postgres import pg_url  # noqa: F401 - fixture


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store on SQLite or PostgreSQL."""
    url = (
        f"sqlite:///{tmp_path / 'store.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    store = open_store(url)
    migrate(store)
    with store.begin() as c:  # the PostgreSQL database is shared by the module's tests
        c.execute(staging.delete())
        drop_checkpoint(c, "crm", "customer")
    yield store
    store.dispose()


def _record(key: str, name: str) -> StagedRecord:
    payload = {"id": key, "name": name}
    return StagedRecord(key, payload, payload_hash(payload), f"2025-01-0{key}T00:00:00.000Z")


def _checkpoint(run_id: str, landed: int) -> PullCheckpoint:
    return PullCheckpoint(
        "crm", "customer", run_id, "w" * 64, '{"after":[1]}', landed, Cursor("2025-01-02", "2")
    )


def _names(engine: Engine, run_id: str) -> dict[str, str]:
    with engine.connect() as c:
        rows = c.execute(
            select(staging.c.source_id, staging.c.payload).where(staging.c.run_id == run_id)
        )
        return {key: payload["name"] for key, payload in rows}


def test_checkpoint_round_trip_and_drop(engine: Engine) -> None:
    with engine.begin() as c:
        assert load_checkpoint(c, "crm", "customer") is None
        save_checkpoint(c, _checkpoint("run-1", 2))
        save_checkpoint(c, _checkpoint("run-1", 4))  # the next page replaces it
    with engine.connect() as c:
        assert load_checkpoint(c, "crm", "customer") == _checkpoint("run-1", 4)
        assert load_checkpoint(c, "crm", "product") is None
    with engine.begin() as c:
        drop_checkpoint(c, "crm", "customer")
        assert load_checkpoint(c, "crm", "customer") is None


def test_stage_records_does_not_move_the_cursor(engine: Engine) -> None:
    with engine.begin() as c:
        stage_records(c, "run-1", "crm", "customer", [_record("1", "A"), _record("2", "B")])
        stage_records(c, "run-1", "crm", "customer", [_record("2", "B2")])  # newer read wins
    with engine.connect() as c:
        assert c.execute(select(cursors)).first() is None
    assert _names(engine, "run-1") == {"1": "A", "2": "B2"}


def test_adoption_re_keys_the_rows_and_hands_over_the_checkpoint(engine: Engine) -> None:
    with engine.begin() as c:
        stage_records(c, "run-1", "crm", "customer", [_record("1", "A"), _record("2", "B")])
        stage_records(c, "run-1", "crm", "product", [_record("1", "P")])
        save_checkpoint(c, _checkpoint("run-1", 2))
        # run-2 already read key 2 again (changed since): its row is the newer one
        stage_records(c, "run-2", "crm", "customer", [_record("2", "B (new)")])
        adopt_staged(c, "run-1", "run-2", "crm", "customer")
    assert _names(engine, "run-2") == {"1": "A", "2": "B (new)"}
    assert _names(engine, "run-1") == {"1": "P"}  # another entity stays where it was
    with engine.begin() as c:
        saved = load_checkpoint(c, "crm", "customer")
        assert saved is not None and saved.run_id == "run-2"
        assert staged_keys(c, "run-2", "crm", "customer") == {"1", "2"}
        adopt_staged(c, "run-2", "run-2", "crm", "customer")  # a retry of the same run
        assert staged_keys(c, "run-2", "crm", "customer") == {"1", "2"}
        unstage(c, "run-2", "crm", "customer")
        assert staged_keys(c, "run-2", "crm", "customer") == set()
