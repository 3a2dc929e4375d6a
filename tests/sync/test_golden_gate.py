"""The golden gate holds back golden records that fail the golden suite from publishing."""

from __future__ import annotations

from sqlalchemy import update

from store.golden import load_active_golden
from store.schema import golden_records
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.gate import gate_golden, held_golden_ids
from sync.stages.publish import plan_target

from .sandbox_setup import write_sandbox_config


def test_a_failing_golden_record_is_not_published(tmp_path):
    config = write_sandbox_config(tmp_path, companies=40)
    ctx = SyncContext.open(config)
    try:
        assert run_entity(ctx, "customer")["status"] == "success"
        with ctx.engine.connect() as c:
            golden_id, record = sorted(load_active_golden(c, "customer").items())[0]
        broken = {**record.data, "email": "not-an-email"}
        with ctx.engine.begin() as c:
            c.execute(
                update(golden_records)
                .where(golden_records.c.golden_id == golden_id)
                .values(data=broken, content_hash="x")
            )
        counts = gate_golden(ctx, "run-test", "customer")
        assert counts.quarantined == 1
        assert held_golden_ids(ctx, "customer") == {golden_id}
        items, _unchanged = plan_target(ctx, "customer", "sandbox_crm")
        assert golden_id not in {i.golden_id for i in items}
    finally:
        ctx.close()
