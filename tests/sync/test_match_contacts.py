"""Contacts on the sandbox: de-duplicated within their golden customer, measured on truth."""

from __future__ import annotations

import pytest
import yaml

from dedupe.evaluate import golden_clusters, pairwise_scores
from store.golden import load_active_golden, load_xrefs
from store.records import OK, records_with_status
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.gate import gate_entity
from sync.stages.match import match_entity
from sync.stages.pull import pull_source
from sync.stages.summary import open_run
from sync.stages.survive import survive_entity
from sync.stages.transform import map_source

from .sandbox_setup import read_truth, write_sandbox_config

CRM = "sandbox_crm"


@pytest.fixture(scope="module")
def contacts(tmp_path_factory):
    """Customers synced, then the contact stages up to survive."""
    folder = tmp_path_factory.mktemp("contacts")
    config = write_sandbox_config(folder)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["entities"]["contact"] = {"sources": [CRM], "survivorship": {"default": [CRM]}}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    ctx = SyncContext.open(config)
    assert run_entity(ctx, "customer")["status"] == "success"
    run_id = open_run(ctx, "contact")
    pull_source(ctx, run_id, "contact", CRM)
    map_source(ctx, run_id, "contact", CRM)
    gate_entity(ctx, run_id, "contact")
    counts = match_entity(ctx, run_id, "contact")
    survive_entity(ctx, run_id, "contact")
    yield folder, ctx, counts
    ctx.close()


def test_contacts_are_deduplicated_against_truth(contacts):
    folder, ctx, counts = contacts
    truth = {
        f"{r['system']}/contact/{r['source_id']}": r["entity_id"]
        for r in read_truth(folder)
        if r["entity"] == "contact" and not r["defect"]
    }
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "contact")
    scores = pairwise_scores(golden_clusters(links, "contact").values(), truth)
    assert counts.merged_records > 10
    assert scores.precision >= 0.95, scores
    assert scores.recall >= 0.85, scores
    assert all(golden_id.startswith("GK-") for golden_id in links.values())


def test_contacts_never_merge_across_golden_customers(contacts):
    _folder, ctx, _counts = contacts
    with ctx.engine.connect() as c:
        customer_links = load_xrefs(c, "customer")
        golden = load_active_golden(c, "contact")
        members = {
            (s.system, s.source_id): s.canonical or {}
            for s in records_with_status(c, "contact", OK)
        }
        contact_links = load_xrefs(c, "contact")
    customers_of: dict[str, set[str | None]] = {}
    for (system, source_id), golden_id in contact_links.items():
        account = members[(system, source_id)]["customer_source_id"]
        customers_of.setdefault(golden_id, set()).add(customer_links.get((system, account)))
    assert all(len(customers) == 1 for customers in customers_of.values())
    # The golden contact points at its golden customer.
    for golden_id, record in golden.items():
        assert record.data["customer_golden_id"] in customers_of[golden_id]
