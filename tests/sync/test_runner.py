"""End-to-end tests of a sync run in-process on the sandbox CRM and ERP (SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from dedupe.evaluate import golden_clusters, pairwise_scores
from store.golden import load_active_golden, load_xrefs
from store.schema import quarantine
from sync.context import SyncContext
from sync.runner import run_entity

from .sandbox_setup import execute, query, read_truth, write_sandbox_config

TABLE = {
    ("crm", "customer"): ("accounts", "account_id", "account_name"),
    ("erp", "customer"): ("customer_master", "kunnr", "name1"),
    ("crm", "product"): ("products", "product_id", "product_name"),
    ("erp", "product"): ("material_master", "matnr", "maktx"),
}


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A sandbox synced once for customers and products; the first summaries."""
    folder = tmp_path_factory.mktemp("sandbox")
    config = write_sandbox_config(folder)
    ctx = SyncContext.open(config)
    first = {e: run_entity(ctx, e) for e in ("customer", "product")}
    yield folder, ctx, first
    ctx.close()


def test_first_run_builds_golden_master_and_pushes_it(synced):
    folder, ctx, first = synced
    summary = first["customer"]
    assert summary["status"] == "success"
    assert summary["pulled"]["sandbox_crm"] > 100 and summary["pulled"]["sandbox_erp"] > 50
    assert 0 < summary["golden_records"] < sum(summary["pulled"].values())
    assert summary["merged_source_records"] > 0
    crm = summary["targets"]["sandbox_crm"]
    assert crm["updated"] > 0 and crm["created"] > 0
    with ctx.engine.connect() as c:
        golden = load_active_golden(c, "customer")
        xrefs = load_xrefs(c, "customer")
    assert len(golden) == summary["golden_records"]
    # Every linked CRM account now carries its golden id and the golden name.
    rows = dict(
        ((r[0]), (r[1], r[2]))
        for r in query(
            folder, "crm", "SELECT account_id, mdm_golden_id, account_name FROM accounts"
        )
    )
    linked = [(sid, gid) for (system, sid), gid in xrefs.items() if system == "sandbox_crm"]
    assert linked
    for source_id, golden_id in linked:
        assert rows[source_id][0] == golden_id
        assert rows[source_id][1] == golden[golden_id].data["name"]
    # ERP records got the golden id and the name wrapped over name1/name2.
    erp = {
        r[0]: (r[1], " ".join(p for p in (r[2], r[3]) if p))
        for r in query(
            folder, "erp", "SELECT kunnr, mdm_golden_id, name1, name2 FROM customer_master"
        )
    }
    for (system, sid), gid in xrefs.items():
        if system == "sandbox_erp":
            assert erp[sid][0] == gid
            assert golden[gid].data["name"].startswith(erp[sid][1])  # the ERP keeps 2 x 35 chars


def test_bad_records_are_quarantined_and_never_pushed(synced):
    folder, ctx, _first = synced
    bad = {
        (r["system"], r["source_id"]): r["defect"]
        for r in read_truth(folder)
        if r["defect"] and r["entity"] == "customer"
    }
    assert bad
    with ctx.engine.connect() as c:
        held = {
            (r.system, r.source_id): r
            for r in c.execute(
                select(quarantine).where(
                    quarantine.c.entity == "customer", quarantine.c.released_run.is_(None)
                )
            )
        }
        xrefs = load_xrefs(c, "customer")
    for key, defect in bad.items():
        assert key in held, f"{key} ({defect}) was not quarantined"
        assert held[key].reason and held[key].rule
        assert key not in xrefs
    crm_bad = [sid for (system, sid) in bad if system == "sandbox_crm"]
    for source_id in crm_bad:
        assert query(
            folder, "crm", "SELECT mdm_golden_id FROM accounts WHERE account_id = ?", (source_id,)
        ) == [(None,)]


def test_personal_values_are_masked_in_quarantine(synced):
    _folder, ctx, _first = synced
    with ctx.engine.connect() as c:
        emails = [
            r.value
            for r in c.execute(select(quarantine).where(quarantine.c.rule == "email_format"))
            if r.value
        ]
    assert emails
    assert all("***" in value for value in emails)


def test_customer_matching_precision_on_truth(synced):
    folder, ctx, _first = synced
    truth = {
        f"{r['system']}/customer/{r['source_id']}": r["entity_id"]
        for r in read_truth(folder)
        if r["entity"] == "customer" and not r["defect"]
    }
    with ctx.engine.connect() as c:
        xrefs = load_xrefs(c, "customer")
    scores = pairwise_scores(golden_clusters(xrefs, "customer").values(), truth)
    assert scores.precision >= 0.95, scores


def test_second_run_changes_nothing_and_keeps_ids(synced):
    _folder, ctx, _first = synced
    with ctx.engine.connect() as c:
        before = {e: load_xrefs(c, e) for e in ("customer", "product")}
    second = {e: run_entity(ctx, e) for e in ("customer", "product")}
    for entity, summary in second.items():
        assert summary["status"] == "success"
        for target, counts in summary["targets"].items():
            assert counts["created"] == 0 and counts["updated"] == 0, (entity, target, counts)
            assert counts["unchanged"] > 0
    with ctx.engine.connect() as c:
        after = {e: load_xrefs(c, e) for e in ("customer", "product")}
    for entity in before:
        common = set(before[entity]) & set(after[entity])
        assert common == set(before[entity])
        assert all(before[entity][k] == after[entity][k] for k in common)


def test_fixed_record_is_released_and_merged(synced):
    folder, ctx, _first = synced
    nameless = [
        r
        for r in read_truth(folder)
        if r["defect"] == "no_name" and r["system"] == "sandbox_crm" and r["entity"] == "customer"
    ]
    assert nameless
    truth = read_truth(folder)
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
        golden = load_active_golden(c, "customer")
    # A nameless record whose real entity already has a golden record: once someone types
    # the name in at the source, it must be released and merged into that golden record.
    record, twin_golden = next(
        (r, links[(t["system"], t["source_id"])])
        for r in nameless
        for t in truth
        if t["entity_id"] == r["entity_id"]
        and not t["defect"]
        and (t["system"], t["source_id"]) in links
    )
    name = golden[twin_golden].data["name"]
    execute(
        folder,
        "crm",
        "UPDATE accounts SET account_name = ?, modified_at = ? WHERE account_id = ?",
        (name, datetime.now(UTC).isoformat(timespec="seconds"), record["source_id"]),
    )
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "success"
    with ctx.engine.connect() as c:
        entries = (
            c.execute(
                select(quarantine.c.released_run).where(
                    quarantine.c.source_id == record["source_id"]
                )
            )
            .scalars()
            .all()
        )
        xrefs = load_xrefs(c, "customer")
    assert entries and all(run == summary["run_id"] for run in entries)
    assert xrefs[("sandbox_crm", record["source_id"])] == twin_golden


def test_batch_gate_stops_before_publish(tmp_path):
    config = write_sandbox_config(tmp_path, companies=60, ratio=0.0)
    before = query(tmp_path, "crm", "SELECT * FROM accounts ORDER BY account_id")
    ctx = SyncContext.open(config)
    try:
        summary = run_entity(ctx, "customer")
    finally:
        ctx.close()
    assert summary["status"] == "blocked"
    assert "failed mapping or quality rules" in summary["cause"]
    assert summary["golden_records"] == 0
    assert query(tmp_path, "crm", "SELECT * FROM accounts ORDER BY account_id") == before
