"""Issue #6: creates interrupted between the target's write and crmsync's bookkeeping, on a
target that chooses its own ids.

The sandbox CRM gets a trigger that renames every record crmsync creates (``ACC-GC-…``)
to a key of its own (``CRM-000123``), as BottleCRM and Tryton assign ids. A run is killed
with SIGKILL right after the CRM took the batch of creates (``CRMSYNC_PUBLISH_KILL_AT``),
before the bookkeeping: the store only knows the provisional ids. The next run pulls the
new records under their real ids, each carrying our golden id in ``mdm_golden_id``; they
must be anchored to that golden record, the in-doubt creates settled under the real ids,
and nothing created twice — in the CRM, nor (as copies of "new" golden records) in the ERP.
With matching off, the golden-id column is the only thing that ties a record to its
golden record.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from store.golden import load_xrefs
from store.outbox import unconfirmed_creates
from store.schema import outbox, xrefs
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.publish import KILL_AT_ENV

from .sandbox_setup import execute, query, write_sandbox_config
from .test_publish_kill import run_cli

CRM = "sandbox_crm"
ERP = "sandbox_erp"
ASSIGN_IDS = (
    "CREATE TRIGGER assign_ids AFTER INSERT ON accounts WHEN NEW.account_id LIKE 'ACC-GC-%' "
    "BEGIN UPDATE accounts SET account_id = printf('CRM-%06d', NEW.rowid) "
    "WHERE rowid = NEW.rowid; END"
)


def _prepare(folder: Path, matching: bool) -> Path:
    config = write_sandbox_config(folder, companies=40)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["entities"]["customer"]["match"] = {"enabled": matching}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    execute(folder, "crm", ASSIGN_IDS)
    return config


def _crm_created(folder: Path) -> dict[str, str]:
    rows = query(folder, "crm", "SELECT account_id, mdm_golden_id FROM accounts")
    return {r[0]: r[1] for r in rows if r[0].startswith("CRM-")}


@pytest.mark.parametrize("matching", [False, True], ids=["matching-off", "matching-on"])
def test_an_interrupted_create_is_settled_by_the_record_it_made(tmp_path, matching):
    config = _prepare(tmp_path, matching)
    # Updates go out first (one batch), then the creates (one batch): die after those.
    assert run_cli(config, env={KILL_AT_ENV: "pushed:2"}) == -signal.SIGKILL
    created = _crm_created(tmp_path)
    assert len(created) >= 3 and not query(
        tmp_path, "crm", "SELECT 1 FROM accounts WHERE account_id LIKE 'ACC-GC-%'"
    )
    ctx = SyncContext.open(config)
    try:
        with ctx.engine.connect() as c:
            in_doubt = unconfirmed_creates(c, CRM, "customer")
            links = load_xrefs(c, "customer")
        # The crash left every create in doubt, known by its provisional id only.
        assert in_doubt == {f"ACC-{g}" for g in created.values()}
        assert all(links[(CRM, f"ACC-{g}")] == g for g in created.values())

        second = run_entity(ctx, "customer")
        assert second["status"] == "success"
        assert second["targets"][CRM]["created"] == 0
        assert _crm_created(tmp_path) == created  # nothing created again in the CRM
        with ctx.engine.connect() as c:
            links = load_xrefs(c, "customer")
            reasons = dict(
                c.execute(
                    select(xrefs.c.source_id, xrefs.c.match_reason).where(
                        xrefs.c.system == CRM, xrefs.c.source_id.in_(list(created))
                    )
                ).all()
            )
            unsent = c.execute(
                select(func.count()).select_from(outbox).where(outbox.c.status != "sent")
            ).scalar_one()
            in_doubt = unconfirmed_creates(c, CRM, "customer")
        # Each record the crash orphaned is linked to the golden record it carries, as the
        # create it was; the provisional links are gone; no change is left in doubt.
        assert {sid: links[(CRM, sid)] for sid in created} == created
        assert set(reasons.values()) == {"created by publish"}
        assert not any(sid.startswith("ACC-GC-") for (system, sid) in links if system == CRM)
        assert unsent == 0 and in_doubt == set()
        # No golden record was made of an orphan: the ERP got no copy of an ERP record.
        members: dict[str, list[str]] = {}
        for (system, sid), golden_id in links.items():
            members.setdefault(golden_id, []).append(f"{system}/{sid}")
        for golden_id in created.values():
            assert any(m.startswith(f"{ERP}/") for m in members[golden_id])
        erp_created = query(
            tmp_path, "erp", "SELECT mdm_golden_id FROM customer_master WHERE kunnr LIKE 'MDM-%'"
        )
        copies = Counter(g for (g,) in erp_created)
        assert all(n == 1 for n in copies.values())
        assert not set(copies) & set(created.values())

        # Our writes echo back as ours: the next run has nothing to do.
        third = run_entity(ctx, "customer")
        assert third["status"] == "success"
        for target in (CRM, ERP):
            assert third["targets"][target]["created"] == 0
            assert third["targets"][target]["updated"] == 0
    finally:
        ctx.close()
