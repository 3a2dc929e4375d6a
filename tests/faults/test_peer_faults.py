"""The customer sync between the real BottleCRM and Tryton through fault-injecting proxies.

Each peer is reached only through a :class:`~tests.faults.proxy.FaultProxy` that answers
a share of requests (pull and push alike) with 429 + Retry-After, 500, connection resets
(also *after* the write reached the peer) or timeouts. Runs are repeated until one
succeeds; then, faults off, one more run must find nothing left to do (the state equals
what a fault-free run converges to), and every target must hold every golden record
exactly once: no record lost, none duplicated. Needs ``CRMSYNC_E2E=1`` (the peers).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from store.golden import load_active_golden, load_xrefs
from store.records import QUARANTINED, records_with_status
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.gate import held_golden_ids
from tests.e2e.conftest import bottlecrm_server, tryton_server  # noqa: F401 - fixtures
from tests.faults.peers import golden_ids_held, write_customer_config
from tests.faults.proxy import FaultProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("CRMSYNC_E2E") != "1", reason="needs the real peers: set CRMSYNC_E2E=1"
    ),
]

RATE = float(os.environ.get("CRMSYNC_FAULT_RATE", "0.25"))
MAX_RUNS = 12


def _through(url: str, proxy: FaultProxy) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    parts, proxied = urlsplit(url), urlsplit(proxy.url)
    return urlunsplit((parts.scheme, proxied.netloc, parts.path, parts.query, parts.fragment))


def test_sync_through_faults_loses_and_duplicates_nothing(  # noqa: F811 - fixtures
    tmp_path: Path,
    bottlecrm_server: Any,  # noqa: F811
    tryton_server: Any,  # noqa: F811
) -> None:
    crm_proxy = FaultProxy(bottlecrm_server.url, rate=RATE, seed=61, retry_after=1).start()
    erp_proxy = FaultProxy(tryton_server.url, rate=RATE, seed=62, retry_after=1).start()
    try:
        config = write_customer_config(
            tmp_path / "crmsync.yaml",
            store=tmp_path / "store.db",
            reports="reports",
            data_docs="gx",
            bottlecrm=bottlecrm_server,
            tryton=tryton_server,
            publish="batch_size: 5, max_change_ratio: 1.0",
            crm_url=_through(bottlecrm_server.url, crm_proxy),
            erp_url=_through(tryton_server.url, erp_proxy),
        )
        runs, outcomes = 0, Counter[str]()
        for _ in range(MAX_RUNS):
            runs += 1
            ctx = SyncContext.open(config)
            try:
                status = run_entity(ctx, "customer")["status"]
            except Exception as exc:  # noqa: BLE001 - a fault that exhausted the retries
                status = type(exc).__name__
            finally:
                ctx.close()
            outcomes[status] += 1
            if status == "success":
                break
        faults = crm_proxy.faults_injected + erp_proxy.faults_injected
        crm_proxy.pause()
        erp_proxy.pause()
        ctx = SyncContext.open(config)
        try:
            final = run_entity(ctx, "customer")
            with ctx.engine.connect() as c:
                golden = set(load_active_golden(c, "customer")) - held_golden_ids(ctx, "customer")
                xrefs = load_xrefs(c, "customer")
                quarantined = {
                    (r.system, r.source_id) for r in records_with_status(c, "customer", QUARANTINED)
                }
            held = {s: golden_ids_held(ctx, s) for s in ("bottlecrm", "tryton")}
        finally:
            ctx.close()
    finally:
        crm_proxy.stop()
        erp_proxy.stop()
    linked = {
        s: Counter(g for (system, _sid), g in xrefs.items() if system == s and g in golden)
        for s in held
    }
    # A golden record whose member in a target is quarantined is not written there.
    skipped = {g for key, g in xrefs.items() if key in quarantined}
    lost = {s: sorted(golden - skipped - set(held[s])) for s in held}
    duplicates = {s: sum(max(0, n - linked[s][g]) for g, n in held[s].items()) for s in held}
    print(
        f"\nfault proxy: {faults} faults injected "
        f"(crm {dict(crm_proxy.stats)}, erp {dict(erp_proxy.stats)}) over {runs} runs "
        f"{dict(outcomes)}; records lost {lost}, duplicates {duplicates}"
    )
    assert final["status"] == "success"
    for counts in final["targets"].values():
        assert counts["created"] == 0 and counts["updated"] == 0, final["targets"]
    assert faults > 0
    assert lost == {"bottlecrm": [], "tryton": []}
    assert duplicates == {"bottlecrm": 0, "tryton": 0}
