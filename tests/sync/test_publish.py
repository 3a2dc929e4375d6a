"""Publish safety on the real sandbox CRM and ERP (SQLite): conflicts, dead letters, field
ownership, the mass-change circuit breaker with approval, and ``crmsync plan``."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from store.approvals import requests_of_run
from store.conflicts import deferred_of_run
from store.dead_letters import open_dead_letters
from store.golden import load_xrefs
from store.schema import dead_letters
from sync.cli import main
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.gate import gate_entity, gate_golden
from sync.stages.match import match_entity
from sync.stages.publish import MassChangeError, plan_changes, publish_target
from sync.stages.pull import pull_source
from sync.stages.report import report_run
from sync.stages.summary import close_run, open_run
from sync.stages.survive import survive_entity
from sync.stages.transform import map_source

from .sandbox_setup import execute, query, turn_into_another_company, write_sandbox_config

TARGETS = ("sandbox_crm", "sandbox_erp")


def file_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of both sandbox database files: any write to a target changes them."""
    return {
        db: hashlib.sha256((folder / "sandbox" / f"{db}.db").read_bytes()).hexdigest()
        for db in ("crm", "erp")
    }


def tables(folder: Path) -> dict[str, list[tuple]]:
    out = {}
    for db, table in (("crm", "accounts"), ("erp", "customer_master")):
        with sqlite3.connect(folder / "sandbox" / f"{db}.db") as conn:
            out[table] = conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608
    return out


def golden_of(folder: Path, account_id: str) -> str | None:
    rows = query(
        folder, "crm", "SELECT mdm_golden_id FROM accounts WHERE account_id = ?", (account_id,)
    )
    return rows[0][0]


def report_json(ctx: SyncContext, run_id: str) -> dict:
    paths = report_run(ctx, run_id)
    assert paths is not None
    return json.loads(paths.json.read_text(encoding="utf-8"))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def stages_before_publish(ctx: SyncContext, entity: str = "customer") -> str:
    run_id = open_run(ctx, entity)
    for system in ctx.settings.entity(entity).sources:
        pull_source(ctx, run_id, entity, system)
        map_source(ctx, run_id, entity, system)
    gate_entity(ctx, run_id, entity)
    match_entity(ctx, run_id, entity)
    survive_entity(ctx, run_id, entity)
    gate_golden(ctx, run_id, entity)
    return run_id


@pytest.fixture
def sandbox(tmp_path):
    config = write_sandbox_config(tmp_path, companies=60)
    ctx = SyncContext.open(config)
    yield tmp_path, config, ctx
    ctx.close()


def test_a_record_changed_in_the_target_since_our_pull_is_deferred_not_overwritten(sandbox):
    folder, _config, ctx = sandbox
    run_id = stages_before_publish(ctx)
    update = plan_changes(ctx, "customer", "sandbox_crm").updates[0]
    # A CRM user edits the account after our pull, before our push.
    execute(
        folder,
        "crm",
        "UPDATE accounts SET phone = ?, modified_at = ? WHERE account_id = ?",
        ("+49 30 1234567", "2099-01-01T00:00:00+00:00", update.target_id),
    )
    counts = publish_target(ctx, run_id, "customer", "sandbox_crm")
    publish_target(ctx, run_id, "customer", "sandbox_erp")
    close_run(ctx, run_id, "customer")
    assert counts.deferred == 1 and counts.updated > 10
    phone, golden_id = query(
        folder,
        "crm",
        "SELECT phone, mdm_golden_id FROM accounts WHERE account_id = ?",
        (update.target_id,),
    )[0]
    assert phone == "+49 30 1234567" and golden_id is None  # untouched
    report = report_json(ctx, run_id)
    statuses = {(f["target_id"], f["status"]) for f in report["failed_pushes"]["items"]}
    assert (update.target_id, "conflict") in statuses  # the report lists the deferral
    with ctx.engine.connect() as c:
        deferred = deferred_of_run(c, run_id)
    assert [(d.target, d.target_id) for d in deferred] == [("sandbox_crm", update.target_id)]
    assert "2099-01-01" in deferred[0].detail
    # The next run re-pulls and re-matches the record, then writes it.
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "success"
    assert golden_of(folder, update.target_id)
    with ctx.engine.connect() as c:
        assert deferred_of_run(c, summary["run_id"]) == []
        assert deferred_of_run(c, run_id)[0].detail  # the history stays


def test_a_rejected_record_is_parked_the_rest_go_through_and_it_is_retried(sandbox):
    folder, _config, ctx = sandbox
    run_id = stages_before_publish(ctx)
    victim = plan_changes(ctx, "customer", "sandbox_crm").updates[3].target_id
    execute(
        folder,
        "crm",
        f"CREATE TRIGGER finance_lock BEFORE UPDATE ON accounts WHEN OLD.account_id = '{victim}' "
        "BEGIN SELECT RAISE(ABORT, 'account is locked by finance'); END",
    )
    counts = publish_target(ctx, run_id, "customer", "sandbox_crm")
    assert counts.rejected == 1 and counts.updated > 10
    with ctx.engine.connect() as c:
        parked = open_dead_letters(c, "customer")
    assert [(p.target, p.target_id, p.attempts) for p in parked] == [("sandbox_crm", victim, 1)]
    assert "account is locked by finance" in parked[0].error
    linked = query(folder, "crm", "SELECT count(*) FROM accounts WHERE mdm_golden_id IS NOT NULL")
    assert linked[0][0] >= counts.updated
    publish_target(ctx, run_id, "customer", "sandbox_erp")
    close_run(ctx, run_id, "customer")
    report = report_json(ctx, run_id)
    listed = {(f["target_id"], f["status"]): f["error"] for f in report["failed_pushes"]["items"]}
    assert "account is locked by finance" in listed[(victim, "rejected")]
    # Still locked: retried, parked again (two attempts); the run itself succeeds.
    second = run_entity(ctx, "customer")
    assert second["status"] == "success"
    with ctx.engine.connect() as c:
        assert [p.attempts for p in open_dead_letters(c, "customer")] == [2]
    # Unlocked: the retry goes through and the dead letter is resolved.
    execute(folder, "crm", "DROP TRIGGER finance_lock")
    third = run_entity(ctx, "customer")
    with ctx.engine.connect() as c:
        assert open_dead_letters(c, "customer") == []
        resolved = c.execute(select(dead_letters.c.resolved_run)).scalars().all()
    assert resolved == [third["run_id"]]
    assert golden_of(folder, victim)


def test_owned_fields_are_never_sent_to_their_owner(tmp_path):
    config = write_sandbox_config(tmp_path, companies=60)
    text = config.read_text(encoding="utf-8").replace(
        'sandbox_crm: {connector: sql, url: "sqlite:///sandbox/crm.db"}',
        'sandbox_crm: {connector: sql, url: "sqlite:///sandbox/crm.db", '
        "owns: {customer: [phone, credit_limit, payment_terms]}}",
    )
    config.write_text(text, encoding="utf-8")
    before = {
        r[0]: r[1:]
        for r in query(
            tmp_path, "crm", "SELECT account_id, phone, credit_limit, payment_terms FROM accounts"
        )
    }
    ctx = SyncContext.open(config)
    try:
        plan = plan_changes(ctx, "customer", "sandbox_crm")
        assert set(plan.owned_columns) == {"phone", "credit_limit", "payment_terms"}
        assert all("phone" not in i.payload and "credit_limit" not in i.payload for i in plan.items)
        first = run_entity(ctx, "customer")
        assert first["targets"]["sandbox_crm"]["updated"] > 10
        after = {
            r[0]: r[1:]
            for r in query(
                tmp_path,
                "crm",
                "SELECT account_id, phone, credit_limit, payment_terms FROM accounts",
            )
        }
        for account, values in before.items():
            assert after[account] == values  # the owner's values are its own
        created = [a for a in after if a not in before]
        assert created and all(after[a] == (None, None, None) for a in created)
        # Our writes echo back as ours: the next run sends nothing.
        second = run_entity(ctx, "customer")
        assert second["targets"]["sandbox_crm"]["updated"] == 0
        assert second["targets"]["sandbox_crm"]["created"] == 0
    finally:
        ctx.close()


def test_unknown_owned_field_is_a_config_error(tmp_path):
    config = write_sandbox_config(tmp_path, companies=20, seed_data=False)
    text = config.read_text(encoding="utf-8").replace(
        'sandbox_erp: {connector: sql, url: "sqlite:///sandbox/erp.db"}',
        'sandbox_erp: {connector: sql, url: "sqlite:///sandbox/erp.db", '
        "owns: {customer: [kredit]}}",
    )
    config.write_text(text, encoding="utf-8")
    ctx = SyncContext.open(config)
    try:
        with pytest.raises(ValueError, match=r"systems.sandbox_erp.owns.customer: unknown field"):
            plan_changes(ctx, "customer", "sandbox_erp")
    finally:
        ctx.close()


def rename_every_erp_customer(folder: Path) -> None:
    """A bad bulk edit in the ERP: every customer's name gets a suffix."""
    execute(
        folder,
        "erp",
        "UPDATE customer_master SET name1 = substr(name1, 1, 30) || ' OLD', aedat = ?",
        (now(),),
    )


def test_mass_change_stops_before_writing_until_approved(sandbox, capsys):
    folder, config, ctx = sandbox
    assert run_entity(ctx, "customer")["status"] == "success"
    rename_every_erp_customer(folder)
    digest, rows = file_digest(folder), tables(folder)
    with pytest.raises(MassChangeError) as caught:
        run_entity(ctx, "customer")
    cause = str(caught.value)
    assert "\n" not in cause and "crmsync approve" in cause and "sandbox_crm" in cause
    assert file_digest(folder) == digest and tables(folder) == rows  # nothing written
    from store.runs import last_run

    with ctx.engine.connect() as c:
        stopped = last_run(c, "customer")
        assert stopped is not None
        requests = requests_of_run(c, stopped["run_id"])
    assert stopped["status"] == "failed" and "crmsync approve" in stopped["cause"]
    assert {r.target for r in requests} >= {"sandbox_crm"}
    assert all(r.changes > r.max_changes for r in requests)
    # The CLI run ends failed with the one-line cause too.
    assert main(["--config", str(config), "-q", "run", "customer"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("crmsync: MassChangeError: mass change stopped before writing")
    assert file_digest(folder) == digest
    # Approve the first stopped run: the next run goes through.
    assert main(["--config", str(config), "approve", stopped["run_id"]]) == 0
    assert "approved" in capsys.readouterr().out
    assert main(["--config", str(config), "-q", "run", "customer", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["customer"]
    assert summary["targets"]["sandbox_crm"]["updated"] > requests[0].max_changes
    names = query(folder, "crm", "SELECT account_name FROM accounts WHERE mdm_golden_id > ''")
    assert sum(1 for (n,) in names if n and n.endswith(" OLD")) > 10


def test_approving_a_run_without_a_request_says_so(sandbox, capsys):
    _folder, config, _ctx = sandbox
    assert main(["--config", str(config), "approve", "no-such-run"]) == 1
    assert "no mass change waiting" in capsys.readouterr().out


def test_a_small_change_passes_the_breaker(sandbox):
    folder, _config, ctx = sandbox
    assert run_entity(ctx, "customer")["status"] == "success"
    execute(
        folder,
        "erp",
        "UPDATE customer_master SET name1 = 'Renamed GmbH', aedat = ? WHERE rowid <= 3",
        (now(),),
    )
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "success"
    assert 0 < summary["targets"]["sandbox_erp"]["updated"] <= 6


def test_truncated_extract_stops_before_writing_targets_byte_identical(sandbox):
    folder, _config, ctx = sandbox
    assert run_entity(ctx, "customer")["status"] == "success"
    execute(folder, "erp", "DELETE FROM customer_master WHERE rowid % 4 != 0")
    execute(folder, "crm", "UPDATE accounts SET modified_at = ?", (now(),))
    digest = file_digest(folder)
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "blocked" and "row_count_collapse" in summary["cause"]
    assert file_digest(folder) == digest


def test_plan_shows_exact_changes_and_writes_nothing(sandbox, capsys):
    folder, config, ctx = sandbox
    assert run_entity(ctx, "customer")["status"] == "success"
    with ctx.engine.connect() as c:
        erp_ids = [sid for (system, sid) in load_xrefs(c, "customer") if system == "sandbox_erp"]
    target = sorted(erp_ids)[0]
    old = query(folder, "erp", "SELECT ort01 FROM customer_master WHERE kunnr = ?", (target,))[0][0]
    execute(
        folder,
        "erp",
        "UPDATE customer_master SET ort01 = 'Neustadt an der Weinstraße', aedat = ? "
        "WHERE kunnr = ?",
        (now(), target),
    )
    # Let a run pull and survive the change, but stop it before publishing: plan then shows
    # what publish would do.
    stages_before_publish(ctx)
    digest = file_digest(folder)
    assert main(["--config", str(config), "plan", "customer", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert file_digest(folder) == digest
    crm = plan["targets"]["sandbox_crm"]
    changed = [u for u in crm["updates"] if "billing_city" in u["changes"]]
    assert changed, crm
    city = "Neustadt an der Weinstraße"
    assert changed[0]["changes"]["billing_city"] == {"old": old, "new": city}
    assert crm["creates"] == [] and crm["breaker"]["would_stop"] is False
    assert main(["--config", str(config), "plan", "customer"]) == 0
    text = capsys.readouterr().out
    assert "nothing has been written" in text
    assert f"{old} → Neustadt an der Weinstraße" in text
    assert file_digest(folder) == digest


def test_a_quarantined_member_is_not_replaced_by_a_created_duplicate(sandbox):
    folder, _config, ctx = sandbox
    assert run_entity(ctx, "customer")["status"] == "success"
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
    crm_members: dict[str, list[str]] = {}
    erp_linked = {g for (system, _sid), g in links.items() if system == "sandbox_erp"}
    for (system, sid), golden_id in links.items():
        if system == "sandbox_crm":
            crm_members.setdefault(golden_id, []).append(sid)
    golden_id, [account] = next(
        (g, m) for g, m in sorted(crm_members.items()) if len(m) == 1 and g in erp_linked
    )
    # Someone breaks the record's e-mail in the CRM: it is quarantined at the next gate.
    execute(
        folder,
        "crm",
        "UPDATE accounts SET email = 'broken@@', modified_at = ? WHERE account_id = ?",
        (now(), account),
    )
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "success"
    assert summary["targets"]["sandbox_crm"]["created"] == 0
    assert query(
        folder, "crm", "SELECT count(*) FROM accounts WHERE mdm_golden_id = ?", (golden_id,)
    ) == [(1,)]


def _lone_crm_member(folder: Path, ctx: SyncContext) -> tuple[str, str]:
    """A golden record whose only CRM record is a plain company, with an ERP record too."""
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
    crm: dict[str, list[str]] = {}
    for (system, sid), golden_id in links.items():
        if system == "sandbox_crm":
            crm.setdefault(golden_id, []).append(sid)
    # An ERP record of its own (not one crmsync created from the CRM record).
    erp = {
        g
        for (system, sid), g in links.items()
        if system == "sandbox_erp" and not sid.startswith("MDM-")
    }
    parents = {r[0] for r in query(folder, "crm", "SELECT parent_account_id FROM accounts")}
    plain = {
        r[0]
        for r in query(
            folder,
            "crm",
            "SELECT account_id FROM accounts WHERE account_type = 'Company' "
            "AND parent_account_id IS NULL",
        )
    } - parents
    return next(
        (g, m[0])
        for g, m in sorted(crm.items())
        if len(m) == 1 and g in erp and m[0] in plain and not m[0].startswith("ACC-GC-")
    )


def test_a_departed_record_is_never_taken_over_by_the_create_of_the_record_it_left(sandbox):
    """Issue #3: a record that split off its golden record still carries that golden id;
    the golden record's create in the same target must not find it and overwrite it."""
    folder, _config, ctx = sandbox
    assert run_entity(ctx, "customer")["status"] == "success"
    golden_id, account = _lone_crm_member(folder, ctx)
    assert golden_of(folder, account) == golden_id
    turn_into_another_company(folder, account)
    run_id = stages_before_publish(ctx)
    with ctx.engine.connect() as c:
        new_id = load_xrefs(c, "customer")[("sandbox_crm", account)]
    assert new_id != golden_id
    plan = plan_changes(ctx, "customer", "sandbox_crm")
    create = next(i for i in plan.creates if i.golden_id == golden_id)
    assert plan.waiting == {create.target_id: (account,)}
    assert any(i.target_id == account and i.golden_id == new_id for i in plan.updates)
    # The user edits the record once more before our push: its update is not written, so
    # it still carries the old golden id, and the create must wait.
    execute(
        folder,
        "crm",
        "UPDATE accounts SET phone = '+44 20 7123 0000', modified_at = ? WHERE account_id = ?",
        ("2099-01-01T00:00:00+00:00", account),
    )
    counts = publish_target(ctx, run_id, "customer", "sandbox_crm")
    assert counts.deferred == 2  # the departed record's update and the create
    name, carried = query(
        folder,
        "crm",
        "SELECT account_name, mdm_golden_id FROM accounts WHERE account_id = ?",
        (account,),
    )[0]
    assert (name, carried) == ("Zyqvex Orbital Kettles Ltd", golden_id)  # untouched
    assert query(
        folder, "crm", "SELECT account_id FROM accounts WHERE mdm_golden_id = ?", (golden_id,)
    ) == [(account,)]
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
        deferred = {d.target_id: d.detail for d in deferred_of_run(c, run_id)}
    assert links[("sandbox_crm", account)] == new_id  # the split holds
    assert ("sandbox_crm", create.target_id) not in links  # nothing created, nothing linked
    assert "still carries" in deferred[create.target_id] and account in deferred
    publish_target(ctx, run_id, "customer", "sandbox_erp")
    close_run(ctx, run_id, "customer")
    # The next run writes the departed record's new golden id first, then creates.
    summary = run_entity(ctx, "customer")
    assert summary["status"] == "success"
    assert summary["targets"]["sandbox_crm"]["created"] >= 1
    assert golden_of(folder, account) == new_id
    assert query(
        folder, "crm", "SELECT account_name FROM accounts WHERE account_id = ?", (account,)
    ) == [("Zyqvex Orbital Kettles Ltd",)]
    holders = query(
        folder, "crm", "SELECT account_id FROM accounts WHERE mdm_golden_id = ?", (golden_id,)
    )
    assert holders == [(create.target_id,)]
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
        assert deferred_of_run(c, summary["run_id"]) == []
        assert {d.target_id for d in deferred_of_run(c, run_id)} >= {account}
    assert links[("sandbox_crm", create.target_id)] == golden_id
    assert links[("sandbox_crm", account)] == new_id
