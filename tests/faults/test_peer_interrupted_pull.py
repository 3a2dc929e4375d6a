"""Issue #5 on the real Tryton: a pull whose network dies mid-way resumes from its checkpoint.

A fresh Tryton is seeded with 40 customers and read five records a page. Tryton is
reached through a :class:`~tests.faults.proxy.FaultProxy` that forwards until the pull's
checkpoint in the store shows 15 records landed, then resets every connection (a dead
network), so the first run fails mid-pull. The next run, network healed, must adopt what
the first landed, read only the records after the checkpoint from Tryton, lose nothing,
land every record once, and build a complete golden master. Needs ``CRMSYNC_E2E=1``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import PullWindow, RawRecord
from mappings.spec import MappingSpec
from store.golden import load_xrefs
from store.pull_checkpoints import load_checkpoint
from store.schema import pull_log, staging
from store.staging import Cursor, get_cursor
from sync.context import SyncContext
from sync.runner import run_entity
from tests.e2e.conftest import fresh_tryton  # noqa: F401 - fixture
from tests.e2e.test_sync_bottlecrm_tryton import _country_ids, wait_out_tryton_lag
from tests.faults.proxy import FaultProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("CRMSYNC_E2E") != "1", reason="needs the real peers: set CRMSYNC_E2E=1"
    ),
]

PARTIES = 40
PAGE = 5
CUT_AT = 15  # records landed by checkpoints when the network dies

FIRST = ["Amber", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor"]
SECOND = ["Tooling", "Foods", "Textiles", "Logistics", "Optics"]

CONFIG = """
store: {{url: "sqlite:///{store}"}}
report: {{directory: {folder}/reports, data_docs_dir: {folder}/gx}}
systems:
  tryton:
    connector: tryton
    url: "{url}"
    database: "{database}"
    login: "{login}"
    password: "{password}"
    page_size: {page}
    retry: {{max_attempts: 2, initial_delay: 0.1, max_delay: 0.2}}
entities:
  customer:
    sources: [tryton]
    gate: {{max_failure_ratio: 1.0}}
    survivorship: {{default: [tryton]}}
"""


class NetworkCut(FaultProxy):
    """Forwards until the store's checkpoint shows ``landed`` records, then resets every
    connection until :meth:`heal`."""

    def __init__(self, upstream: str, store: Path, landed: int) -> None:
        super().__init__(upstream, rate=0.0)
        self.store = store
        self.landed = landed
        self.cut = False
        self.healed = False

    def _checkpoint_reached(self) -> bool:
        try:
            with sqlite3.connect(self.store) as db:
                row = db.execute("SELECT max(records_landed) FROM pull_checkpoints").fetchone()
        except sqlite3.Error:  # the store is not migrated yet
            return False
        return bool(row and row[0] is not None and row[0] >= self.landed)

    def choose(self) -> str:
        """Reset the connection once the checkpoint was reached, else forward."""
        if not self.healed and (self.cut or self._checkpoint_reached()):
            self.cut = True
            self.stats["reset"] += 1
            return "reset"
        return super().choose()

    def heal(self) -> None:
        """Forward everything again."""
        self.healed = True


def _seed(rpc: Any) -> None:
    country = _country_ids(rpc)["DE"]
    names = [f"{a} {b} GmbH" for b in SECOND for a in FIRST][:PARTIES]
    rpc.call(
        "party.party",
        "create",
        [
            {
                "name": name,
                "addresses": [
                    [
                        "create",
                        [
                            {
                                "street": f"Industriestraße {number}",
                                "postal_code": f"{20000 + number}",
                                "city": "Hamburg",
                                "country": country,
                            }
                        ],
                    ]
                ],
            }
            for number, name in enumerate(names, start=1)
        ],
    )


def _count_reads(ctx: SyncContext, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the key of every record the Tryton connector's pull hands out."""
    connector = ctx.connector("tryton")
    original = connector.pull
    read: list[str] = []

    def counting(mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        for record in original(mapping, window):
            read.append(record.source_id)
            yield record

    monkeypatch.setattr(connector, "pull", counting)
    return read


def test_an_interrupted_tryton_pull_resumes_from_its_checkpoint(  # noqa: F811 - fixture
    tmp_path: Path,
    fresh_tryton: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fresh_tryton.client() as rpc:
        _seed(rpc)
    wait_out_tryton_lag()
    store = tmp_path / "store.db"
    proxy = NetworkCut(fresh_tryton.url, store, CUT_AT)
    proxy.start()
    try:
        config = tmp_path / "crmsync.yaml"
        config.write_text(
            CONFIG.format(
                store=store,
                folder=tmp_path,
                url=proxy.url,
                database=fresh_tryton.database,
                login=fresh_tryton.login,
                password=fresh_tryton.password,
                page=PAGE,
            ),
            encoding="utf-8",
        )
        ctx = SyncContext.open(config)
        try:
            with pytest.raises(Exception, match="(?i)reset|connect|disconnect"):
                run_entity(ctx, "customer")
            with ctx.engine.connect() as c:
                interrupted = load_checkpoint(c, "tryton", "customer")
                cursor = get_cursor(c, "tryton", "customer")
        finally:
            ctx.close()
        assert proxy.cut and interrupted is not None
        assert cursor == Cursor(None)  # the cursor never moved past unlanded rows

        proxy.heal()
        ctx = SyncContext.open(config)
        try:
            all_keys = set(ctx.connector("tryton").keys(ctx.mapping("tryton", "customer")))
            read = _count_reads(ctx, monkeypatch)
            summary = run_entity(ctx, "customer")
            run_id = summary["run_id"]
            with ctx.engine.connect() as c:
                staged = c.execute(
                    select(staging.c.source_id).where(
                        staging.c.system == "tryton", staging.c.entity == "customer"
                    )
                ).scalars()
                staged_keys = list(staged)
                logged = c.execute(
                    select(pull_log.c.pulled).where(pull_log.c.run_id == run_id)
                ).scalar_one()
                left = load_checkpoint(c, "tryton", "customer")
                members = {sid for (system, sid) in load_xrefs(c, "customer") if system == "tryton"}
        finally:
            ctx.close()
    finally:
        proxy.stop()
    adopted = interrupted.records_landed
    print(
        f"\ninterrupted pull: {adopted} of {len(all_keys)} records landed before the cut "
        f"({proxy.stats['reset']} connections reset); the resumed pull read {len(read)}"
    )
    assert summary["status"] == "success"
    assert CUT_AT <= adopted < len(all_keys)
    assert len(read) == len(all_keys) - adopted  # only what came after the checkpoint
    assert sorted(staged_keys) == sorted(all_keys)  # every record landed, each once
    assert logged == len(all_keys)
    assert left is None
    assert members == all_keys  # the golden master holds every Tryton customer
