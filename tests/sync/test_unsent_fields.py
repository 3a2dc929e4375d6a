"""Fields a connector's settings keep it from writing are treated like owned ones.

On the real sandbox CRM (SQLite): the CRM connector is made to declare phone and credit
limit unsent; they are never planned, the CRM keeps its values and our writes echo back as
ours (the second run sends nothing).
"""

from __future__ import annotations

from connectors.sql import SqlConnector
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.publish import plan_changes

from .sandbox_setup import query, write_sandbox_config


class CrmWithoutPhones(SqlConnector):
    """The sandbox CRM's SQL connector, declaring two customer fields it never writes."""

    def unsent_fields(self, entity: str) -> tuple[str, ...]:
        return ("phone", "credit_limit") if entity == "customer" else ()


def test_fields_a_connector_never_writes_are_not_planned_and_echo_as_ours(tmp_path):
    config = write_sandbox_config(tmp_path, companies=60)
    select = "SELECT account_id, phone, credit_limit FROM accounts"
    before = {r[0]: r[1:] for r in query(tmp_path, "crm", select)}
    ctx = SyncContext.open(config)
    try:
        ctx.connector("sandbox_crm").__class__ = CrmWithoutPhones
        plan = plan_changes(ctx, "customer", "sandbox_crm")
        assert set(plan.owned_columns) == {"phone", "credit_limit"}
        assert all("phone" not in i.payload and "credit_limit" not in i.payload for i in plan.items)
        first = run_entity(ctx, "customer")
        assert first["targets"]["sandbox_crm"]["updated"] > 10
        after = {r[0]: r[1:] for r in query(tmp_path, "crm", select)}
        assert all(after[account] == values for account, values in before.items())
        second = run_entity(ctx, "customer")
        assert second["targets"]["sandbox_crm"]["updated"] == 0
        assert second["targets"]["sandbox_crm"]["created"] == 0
    finally:
        ctx.close()
