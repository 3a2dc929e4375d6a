"""Issue #6 against the real BottleCRM and Tryton: a run killed with SIGKILL right after
BottleCRM took a batch of creates, before crmsync's bookkeeping (the kill hook
``CRMSYNC_PUBLISH_KILL_AT``). BottleCRM chose the new records' ids, so the store knows
them only by their provisional ids. The next runs must settle those creates by the
records they made (found by the golden id they carry), create nothing twice in either
system, and end with nothing left to do. Needs ``CRMSYNC_E2E=1`` (the peers).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from store.golden import load_xrefs
from store.outbox import unconfirmed_creates
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.publish import KILL_AT_ENV
from tests.e2e.conftest import fresh_bottlecrm, fresh_tryton  # noqa: F401 - fixtures
from tests.e2e.test_sync_bottlecrm_tryton import (
    _seed_bottlecrm,
    _seed_tryton,
    wait_out_tryton_lag,
)
from tests.faults.peers import golden_ids_held, write_customer_config
from tests.sync.test_publish_kill import run_cli

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("CRMSYNC_E2E") != "1", reason="needs the real peers: set CRMSYNC_E2E=1"
    ),
]


def test_creates_interrupted_in_bottlecrm_are_settled_not_repeated(  # noqa: F811 - fixtures
    tmp_path: Path,
    fresh_bottlecrm: Any,  # noqa: F811
    fresh_tryton: Any,  # noqa: F811
) -> None:
    bottlecrm_server, tryton_server = fresh_bottlecrm, fresh_tryton
    with tryton_server.client() as rpc, bottlecrm_server.client() as crm:
        _seed_tryton(rpc)
        _seed_bottlecrm(crm)
    wait_out_tryton_lag()
    config = write_customer_config(
        tmp_path / "crmsync.yaml",
        store=tmp_path / "store.db",
        reports=f"{tmp_path}/reports",
        data_docs=f"{tmp_path}/gx",
        bottlecrm=bottlecrm_server,
        tryton=tryton_server,
        publish="max_change_ratio: 1.0",
    )
    # BottleCRM is published first: its updates (one call), then its creates (one call).
    assert run_cli(config, env={KILL_AT_ENV: "pushed:2"}) == -signal.SIGKILL
    ctx = SyncContext.open(config)
    try:
        with ctx.engine.connect() as c:
            in_doubt = unconfirmed_creates(c, "bottlecrm", "customer")
            links = load_xrefs(c, "customer")
        assert in_doubt, "the kill did not land between BottleCRM's creates and bookkeeping"
        orphaned = {links[("bottlecrm", p)] for p in in_doubt}
        held = golden_ids_held(ctx, "bottlecrm")
        assert all(held[g] == 1 for g in orphaned)  # the creates did reach BottleCRM

        wait_out_tryton_lag()
        second = run_entity(ctx, "customer")
        assert second["status"] == "success"
        with ctx.engine.connect() as c:
            links = load_xrefs(c, "customer")
            assert unconfirmed_creates(c, "bottlecrm", "customer") == set()
            assert unconfirmed_creates(c, "tryton", "customer") == set()
        after = {s: golden_ids_held(ctx, s) for s in ("bottlecrm", "tryton")}
        # Each orphan is linked under its real id; the provisional links are gone.
        crm_links = {sid: g for (system, sid), g in links.items() if system == "bottlecrm"}
        assert not set(crm_links) & in_doubt
        for golden_id in orphaned:
            assert after["bottlecrm"][golden_id] == 1
            assert list(crm_links.values()).count(golden_id) == 1
        # Nothing was created twice, in either system.
        assert {s: [g for g, n in held_.items() if n > 1] for s, held_ in after.items()} == {
            "bottlecrm": [],
            "tryton": [],
        }
        # Values Tryton derives for a party we created there (currency, delivery address)
        # reach BottleCRM one run later; then a run has nothing left to do.
        for _ in range(2):
            wait_out_tryton_lag()
            final = run_entity(ctx, "customer")
            assert final["status"] == "success"
            assert all(c["created"] == 0 for c in final["targets"].values()), final["targets"]
            if all(c["updated"] == 0 for c in final["targets"].values()):
                break
        assert all(c["updated"] == 0 for c in final["targets"].values()), final["targets"]
    finally:
        ctx.close()
