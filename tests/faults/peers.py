"""Shared pieces of the fault tests against the real BottleCRM and Tryton peers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from connectors.base import PullWindow
from sync.context import SyncContext

__all__ = ["golden_ids_held", "write_customer_config"]

CONFIG = """
store: {{url: "sqlite:///{store}"}}
report: {{directory: {reports}, data_docs_dir: {data_docs}}}
systems:
  bottlecrm: {{connector: bottlecrm, base_url: "{crm_url}", token: "{crm_token}"}}
  tryton:
    connector: tryton
    url: "{erp_url}"
    database: "{erp_database}"
    login: "{erp_login}"
    password: "{erp_password}"
entities:
  customer:
    sources: [bottlecrm, tryton]
    targets: [bottlecrm, tryton]
    gate: {{max_failure_ratio: 0.5, max_count_drop: 0.9}}
    survivorship: {{default: [tryton, bottlecrm]}}
    publish: {{{publish}}}
"""


def write_customer_config(
    path: Path,
    *,
    store: Path,
    reports: str,
    data_docs: str,
    bottlecrm: Any,
    tryton: Any,
    publish: str,
    crm_url: str | None = None,
    erp_url: str | None = None,
) -> Path:
    """Write a crmsync config syncing customers both ways between the two peers.

    Args:
        path: The config file to write.
        store: The SQLite store file.
        reports: The report directory; ``data_docs`` the Data Docs directory.
        bottlecrm: The BottleCRM peer (``url``, ``token``).
        tryton: The Tryton peer (``url``, ``database``, ``login``, ``password``).
        publish: The customer ``publish`` settings, as YAML flow-mapping items.
        crm_url: Reach BottleCRM here instead of at its own URL (e.g. through a proxy).
        erp_url: Reach Tryton here instead of at its own URL.
    """
    path.write_text(
        CONFIG.format(
            store=store,
            reports=reports,
            data_docs=data_docs,
            crm_url=crm_url or bottlecrm.url,
            crm_token=bottlecrm.token,
            erp_url=erp_url or tryton.url,
            erp_database=tryton.database,
            erp_login=tryton.login,
            erp_password=tryton.password,
            publish=publish,
        ),
        encoding="utf-8",
    )
    return path


def _nested(payload: dict[str, Any], dotted: str) -> Any:
    if dotted in payload:
        return payload[dotted]
    value: Any = payload
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def golden_ids_held(ctx: SyncContext, system: str) -> Counter[str]:
    """How many customer records of ``system`` carry each golden id, read directly."""
    mapping = ctx.mapping(system, "customer")
    assert mapping.outbound is not None and mapping.outbound.golden_id_column
    column = mapping.outbound.golden_id_column
    held: Counter[str] = Counter()
    for record in ctx.connector(system).pull(mapping, PullWindow(None, full_refresh=True)):
        golden_id = _nested(record.payload, column)
        if golden_id:
            held[str(golden_id)] += 1
    return held
