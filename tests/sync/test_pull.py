"""The pull stage: (timestamp, key) cursor, full refresh, and deletes retired on full scans."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import PullWindow
from mappings.spec import MappingSpec
from store.golden import members_by_golden
from store.schema import golden_records, pull_log, source_records, staging, xrefs
from store.staging import Cursor, get_cursor
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.pull import (
    FULL_REFRESH,
    FULL_SCAN,
    INCREMENTAL,
    pull_mode,
    pull_source,
    window_for,
)
from sync.stages.summary import open_run

from .sandbox_setup import execute, query, write_sandbox_config
from .shop_setup import open_shop

T1, T2, T3 = "2025-03-01T10:00:00+00:00", "2025-03-02T10:00:00+00:00", "2025-03-03T10:00:00+00:00"


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SyncContext]:
    """A one-table SQLite source whose rows share timestamps, and a context on it."""
    ctx = open_shop(tmp_path, [(1, "A", T1), (2, "B", T1), (9, "C", T2), (10, "D", T2)])
    yield ctx
    ctx.close()


def _shop_execute(ctx: SyncContext, sql: str, params: tuple = ()) -> None:
    path = ctx.settings.base_dir / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute(sql, params)


def _landed(ctx: SyncContext, run_id: str) -> list[str]:
    with ctx.engine.connect() as c:
        rows = c.execute(select(staging.c.source_id).where(staging.c.run_id == run_id))
        return sorted(rows.scalars(), key=int)


def _pull(ctx: SyncContext, **options: bool) -> tuple[str, int]:
    run_id = open_run(ctx, "customer")
    return run_id, pull_source(ctx, run_id, "customer", "shop", **options)


def test_cursor_continues_after_the_last_key_at_the_boundary_timestamp(shop: SyncContext):
    first, landed = _pull(shop)
    assert landed == 4
    with shop.engine.connect() as c:
        assert get_cursor(c, "shop", "customer") == Cursor(T2, "10")
    # Nothing changed: the boundary rows are not read again.
    second, landed = _pull(shop)
    assert landed == 0 and _landed(shop, second) == []
    # A late row at the boundary timestamp with a larger key, and a change, both arrive;
    # a row at the boundary with a smaller key is a row the last window already saw.
    _shop_execute(shop, "INSERT INTO clients VALUES (11, 'E', ?)", (T2,))
    _shop_execute(shop, "UPDATE clients SET name = 'A2', changed = ? WHERE id = 1", (T3,))
    third, landed = _pull(shop)
    assert _landed(shop, third) == ["1", "11"]
    with shop.engine.connect() as c:
        assert get_cursor(c, "shop", "customer") == Cursor(T3, "1")


def test_full_refresh_reads_everything_regardless_of_the_cursor(shop: SyncContext):
    _pull(shop)
    # A change that does not touch the cursor column (a formula field).
    _shop_execute(shop, "UPDATE clients SET name = 'B (recomputed)' WHERE id = 2")
    incremental, _ = _pull(shop)
    assert _landed(shop, incremental) == []
    refresh, landed = _pull(shop, full_refresh=True)
    assert landed == 4 and _landed(shop, refresh) == ["1", "2", "9", "10"]
    with shop.engine.connect() as c:
        modes = dict(c.execute(select(pull_log.c.run_id, pull_log.c.mode)).all())
        assert get_cursor(c, "shop", "customer") == Cursor(T2, "10")
    assert modes[incremental] == INCREMENTAL and modes[refresh] == FULL_REFRESH


def test_full_refresh_every_n_pulls(shop: SyncContext):
    shop.settings.entity("customer").full_refresh_every = 3
    runs = [_pull(shop)[0] for _ in range(7)]
    with shop.engine.connect() as c:
        modes = dict(c.execute(select(pull_log.c.run_id, pull_log.c.mode)).all())
    assert [modes[r] for r in runs] == [
        FULL_SCAN,
        INCREMENTAL,
        INCREMENTAL,
        FULL_REFRESH,
        INCREMENTAL,
        INCREMENTAL,
        FULL_REFRESH,
    ]


def test_pull_mode_and_window():
    spec = MappingSpec.model_validate(
        {"system": "s", "entity": "customer", "source": {"table": "t", "primary_key": "id",
         "updated_at": "ts"}, "inbound": {"name": "n"}}
    )  # fmt: skip
    no_stamp = spec.model_copy(
        update={"source": spec.source.model_copy(update={"updated_at": None})}
    )
    at = Cursor(T1, "7")
    assert pull_mode(spec, Cursor(None), False, None, None) == FULL_SCAN
    assert pull_mode(no_stamp, at, False, None, 0) == FULL_SCAN
    assert pull_mode(spec, at, True, None, 0) == FULL_REFRESH
    assert pull_mode(spec, at, False, 1, 0) == FULL_REFRESH
    assert pull_mode(spec, at, False, 5, None) == FULL_REFRESH
    assert pull_mode(spec, at, False, 5, 2) == INCREMENTAL
    assert window_for(INCREMENTAL, at) == PullWindow(T1, "7")
    assert window_for(FULL_REFRESH, at) == PullWindow(None, full_refresh=True)
    assert window_for(FULL_SCAN, at) == PullWindow(None)


def test_a_record_deleted_in_the_source_retires_from_its_golden_record(tmp_path: Path):
    """Delete CRM accounts in the sandbox; the next full refresh retires them: the source
    record is marked deleted, its cross-reference removed, a golden record keeping
    another member stays active, one left without members is retired."""
    config = write_sandbox_config(tmp_path, companies=60)
    ctx = SyncContext.open(config)
    try:
        assert run_entity(ctx, "customer")["status"] == "success"
        # A second run pulls back the records publish created, so every member picked
        # below is a pulled source record (not only a cross-reference).
        assert run_entity(ctx, "customer")["status"] == "success"
        with ctx.engine.connect() as c:
            groups = members_by_golden(c, "customer")
        parents = {r[0] for r in query(tmp_path, "crm", "SELECT parent_account_id FROM accounts")}
        pairs = sorted(
            g
            for g, members in groups.items()
            if sorted(s for s, _ in members) == ["sandbox_crm", "sandbox_erp"]
            and next(i for s, i in members if s == "sandbox_crm") not in parents
            and next(i for s, i in members if s == "sandbox_erp") not in parents
        )
        detached, emptied = pairs[0], pairs[1]
        crm_of = {g: next(i for s, i in groups[g] if s == "sandbox_crm") for g in pairs[:2]}
        erp_of = {g: next(i for s, i in groups[g] if s == "sandbox_erp") for g in pairs[:2]}
        for golden_id in (detached, emptied):
            execute(
                tmp_path, "crm", "DELETE FROM accounts WHERE account_id = ?", (crm_of[golden_id],)
            )
        execute(tmp_path, "erp", "DELETE FROM customer_master WHERE kunnr = ?", (erp_of[emptied],))
        # CRM crmsync would otherwise re-create the detached golden record in the CRM: it
        # is a target too. Only the source side is under test here.
        ctx.settings.entity("customer").targets = []

        ctx.settings.entity("customer").full_refresh_every = 1
        assert run_entity(ctx, "customer")["status"] == "success"

        gone = {("sandbox_crm", crm_of[detached]), ("sandbox_crm", crm_of[emptied]),
                ("sandbox_erp", erp_of[emptied])}  # fmt: skip
        with ctx.engine.connect() as c:
            status = {
                (r.system, r.source_id): r.status
                for r in c.execute(select(source_records)).mappings()
            }
            linked = {(r.system, r.source_id) for r in c.execute(select(xrefs)).mappings()}
            golden_status = dict(
                c.execute(select(golden_records.c.golden_id, golden_records.c.status)).all()
            )
            after = members_by_golden(c, "customer")
        assert all(status[key] == "deleted" for key in gone)
        assert not gone & linked
        assert golden_status[emptied] == "retired"
        assert golden_status[detached] == "active"
        assert after[detached] == [("sandbox_erp", erp_of[detached])]
    finally:
        ctx.close()


def test_cli_full_refresh_flag(shop: SyncContext, capsys: pytest.CaptureFixture[str]):
    from sync.cli import main

    config = str(shop.settings.base_dir / "crmsync.yaml")
    assert main(["-q", "--config", config, "run", "customer"]) == 0
    assert main(["-q", "--config", config, "run", "customer", "--full-refresh"]) == 0
    assert main(["-q", "--config", config, "run", "customer"]) == 0
    with shop.engine.connect() as c:
        modes = list(c.execute(select(pull_log.c.mode).order_by(pull_log.c.finished_at)).scalars())
    assert modes == [FULL_SCAN, FULL_REFRESH, INCREMENTAL]
    capsys.readouterr()


class _LaggingConnector:
    """The shop's SQL connector, with a window that ends before ``end`` (like a lag)."""

    def __init__(self, inner: Any, end: str) -> None:
        self.inner = inner
        self.end = end
        self.system = inner.system

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[Any]:
        return (r for r in self.inner.pull(mapping, window) if (r.updated_at or "") < self.end)

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        return sum(1 for _ in self.pull(mapping, window))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_full_pull_never_retires_a_record_changed_after_its_window(shop: SyncContext):
    """A record changed inside the lag (after the window's end) is still held by the
    source: only the keys the source holds decide what is gone, never the window."""
    from sync.stages.transform import map_source

    run_id, _count = _pull(shop)
    map_source(shop, run_id, "customer", "shop")
    _shop_execute(shop, "UPDATE clients SET changed = ? WHERE id = 10", (T3,))
    _shop_execute(shop, "DELETE FROM clients WHERE id = 2")
    shop._connectors["shop"] = _LaggingConnector(shop.connector("shop"), end=T3)
    _pull(shop, full_refresh=True)
    with shop.engine.connect() as c:
        status = dict(c.execute(select(source_records.c.source_id, source_records.c.status)).all())
    assert status["2"] == "deleted"
    assert status["10"] != "deleted"
    assert sum(1 for s in status.values() if s == "deleted") == 1
