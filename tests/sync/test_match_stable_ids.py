"""Stable golden ids across runs: add, change and remove sandbox records, run again.

Untouched golden records keep their ids; every merge and split is a match event; a
record deleted at the source leaves its golden record (``detach``), and a golden record
left without members is retired.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from store.golden import load_active_golden, load_xrefs, members_by_golden
from store.schema import golden_records, match_events, source_records
from sync.context import SyncContext
from sync.runner import run_entity

from .sandbox_setup import execute, query, turn_into_another_company, write_sandbox_config

CRM = "sandbox_crm"
ERP = "sandbox_erp"
ERP_FIELDS = (
    "name1, name2, ktokd, stras, pstlz, ort01, regio, land1, telf1, smtp_addr, stceg, waers"
)
FIELDS = (
    "account_name, account_type, website, email, phone, tax_number, billing_street, "
    "billing_city, billing_postal_code, billing_state, billing_country, currency_code"
)


def _with_delete_detection(config: Path) -> Path:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["entities"]["customer"]["match"] = {"detect_deletes": True}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _plain_crm_companies(folder: Path) -> set[str]:
    """CRM company accounts that are nobody's parent and have no parent themselves."""
    parents = {r[0] for r in query(folder, "crm", "SELECT parent_account_id FROM accounts")}
    rows = query(
        folder,
        "crm",
        "SELECT account_id FROM accounts WHERE account_type = 'Company' "
        "AND parent_account_id IS NULL",
    )
    return {r[0] for r in rows} - parents


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run 1; then add, change and delete CRM accounts; run 2. Yields what was done."""
    folder = tmp_path_factory.mktemp("stable")
    config = _with_delete_detection(write_sandbox_config(folder))
    ctx = SyncContext.open(config)
    first = run_entity(ctx, "customer")
    assert first["status"] == "success"
    with ctx.engine.connect() as c:
        before = load_xrefs(c, "customer")
        groups = members_by_golden(c, "customer")
    plain = _plain_crm_companies(folder)

    def crm_members(golden_id: str) -> list[str]:
        return sorted(sid for system, sid in groups[golden_id] if system == CRM)

    def pick(crm: int, size: int, taken: set[str]) -> str:
        """A golden record of ``size`` members, ``crm`` of them plain CRM companies, the
        others ERP records of its own (not created by crmsync)."""
        return next(
            g
            for g in sorted(groups, key=lambda g: sorted(groups[g]))
            if len(groups[g]) == size
            and g not in taken
            and len(crm_members(g)) == crm
            and set(crm_members(g)) <= plain
            and not any(sid.startswith(("ACC-GC-", "MDM-")) for _s, sid in groups[g])
        )

    taken: set[str] = set()
    plan: dict[str, str] = {}
    # Golden records of one CRM and one ERP record each (the most common shape); the
    # record that splits off ("split") leaves one with another CRM record, so the CRM
    # keeps a record of it and publishing creates none; the one that splits off alone
    # ("split_alone") leaves its golden record without a CRM record, so publishing
    # creates one — while the departed record still carries the golden id it left.
    for name, crm, size in (
        ("split", 2, 3),
        ("split_alone", 1, 2),
        ("detach", 1, 2),
        ("retire", 1, 2),
        ("merge_into", 1, 2),
        ("merged", 1, 2),
        ("join", 1, 2),
    ):
        plan[name] = pick(crm, size, taken)
        taken.add(plan[name])

    def erp_member(golden_id: str) -> str:
        return next(sid for system, sid in groups[golden_id] if system == ERP)

    split_id = crm_members(plan["split"])[0]
    alone_id = crm_members(plan["split_alone"])[0]
    detach_id = crm_members(plan["detach"])[0]
    retire_ids = (crm_members(plan["retire"])[0], erp_member(plan["retire"]))
    keep_id = crm_members(plan["merge_into"])[0]
    merged_ids = (crm_members(plan["merged"])[0], erp_member(plan["merged"]))
    twin_of = crm_members(plan["join"])[0]

    # Change: a record becomes another company altogether (split from its golden record).
    turn_into_another_company(folder, split_id)
    execute(
        folder,
        "crm",
        "UPDATE accounts SET account_name = 'Plovdane Saffron Mills AG', tax_number = NULL, "
        "email = 'post@plovdane-mills.example', phone = '+41 44 555 0199', website = NULL, "
        "billing_city = 'Chur', modified_at = ? WHERE account_id = ?",
        (_now(), alone_id),
    )

    # Change: both records of a golden record become copies of another's (merge).
    def copy_row(system: str, table: str, key: str, fields: str, from_id: str, to_id: str) -> None:
        (values,) = query(
            folder, system, f"SELECT {fields} FROM {table} WHERE {key} = ?", (from_id,)
        )
        assignments = ", ".join(f"{name.strip()} = ?" for name in fields.split(","))
        stamp = "modified_at" if system == "crm" else "aedat"
        execute(
            folder,
            system,
            f"UPDATE {table} SET {assignments}, {stamp} = ? WHERE {key} = ?",
            (*values, _now(), to_id),
        )

    copy_row("crm", "accounts", "account_id", FIELDS, keep_id, merged_ids[0])
    copy_row(
        "erp", "customer_master", "kunnr", ERP_FIELDS, erp_member(plan["merge_into"]), merged_ids[1]
    )
    # Add: a copy of a linked record (joins its golden record) and a new company.
    (twin,) = query(
        folder, "crm", f"SELECT {FIELDS} FROM accounts WHERE account_id = ?", (twin_of,)
    )
    marks = ", ".join("?" for _ in FIELDS.split(","))
    insert = (
        f"INSERT INTO accounts (account_id, {FIELDS}, created_at, modified_at) "
        f"VALUES (?, {marks}, ?, ?)"
    )
    execute(folder, "crm", insert, ("ACC-990001", *twin, _now(), _now()))
    execute(
        folder,
        "crm",
        "INSERT INTO accounts (account_id, account_name, account_type, email, billing_city, "
        "billing_country, currency_code, created_at, modified_at) "
        "VALUES ('ACC-990002', 'Quillmoor Lantern Works GmbH', 'Company', "
        "'info@quillmoor.example', 'Bremen', 'DE', 'EUR', ?, ?)",
        (_now(), _now()),
    )
    # Remove: one of two records of a golden record, and both records of another (the
    # ERP one by its deletion flag, as SAP does).
    for account in (detach_id, retire_ids[0]):
        execute(folder, "crm", "DELETE FROM accounts WHERE account_id = ?", (account,))
    execute(
        folder,
        "erp",
        "UPDATE customer_master SET loevm = 1, aedat = ? WHERE kunnr = ?",
        (_now(), retire_ids[1]),
    )

    second = run_entity(ctx, "customer")
    with ctx.engine.connect() as c:
        after = load_xrefs(c, "customer")
        events = [
            r._asdict()
            for r in c.execute(
                select(match_events).where(match_events.c.run_id == second["run_id"])
            )
        ]
        status = dict(
            c.execute(
                select(golden_records.c.golden_id, golden_records.c.status).where(
                    golden_records.c.entity == "customer"
                )
            ).all()
        )
        source_status = {
            (r[0], r[1]): r[2]
            for r in c.execute(
                select(
                    source_records.c.system, source_records.c.source_id, source_records.c.status
                ).where(source_records.c.entity == "customer")
            )
        }
        active = load_active_golden(c, "customer")
    carried = {
        r[0]: r[1:]
        for r in query(
            folder, "crm", "SELECT account_id, mdm_golden_id, account_name FROM accounts"
        )
    }
    ids = {
        "split": split_id,
        "split_alone": alone_id,
        "detach": detach_id,
        "retire": retire_ids,
        "keep": keep_id,
        "merged": merged_ids,
        "twin_of": twin_of,
    }
    yield {
        "second": second,
        "before": before,
        "after": after,
        "groups": groups,
        "plan": plan,
        "ids": ids,
        "events": events,
        "status": status,
        "source_status": source_status,
        "active": active,
        "carried": carried,
    }
    ctx.close()


def _events(run, kind):
    return [e for e in run["events"] if e["event"] == kind]


def test_second_run_succeeds(two_runs):
    assert two_runs["second"]["status"] == "success"


def test_untouched_golden_records_keep_their_ids(two_runs):
    before, after, plan = two_runs["before"], two_runs["after"], two_runs["plan"]
    touched = set(plan.values())
    untouched = {key: gid for key, gid in before.items() if gid not in touched}
    assert len(untouched) > 100
    moved = {key: (gid, after.get(key)) for key, gid in untouched.items() if after.get(key) != gid}
    assert moved == {}


def test_a_changed_record_splits_off_with_a_split_event(two_runs):
    plan, ids, after = two_runs["plan"], two_runs["ids"], two_runs["after"]
    new_id = after[(CRM, ids["split"])]
    assert new_id != plan["split"]
    splits = [e for e in _events(two_runs, "split") if e["golden_id"] == new_id]
    assert [(e["golden_id"], e["other_golden_ids"]) for e in splits] == [(new_id, [plan["split"]])]
    assert splits[0]["members"] == [f"{CRM}/customer/{ids['split']}"]
    # The golden record it left keeps its id and its other member.
    others = [k for k in two_runs["groups"][plan["split"]] if k != (CRM, ids["split"])]
    assert all(after[k] == plan["split"] for k in others)


def test_two_golden_records_merge_with_a_merge_event(two_runs):
    plan, ids, after = two_runs["plan"], two_runs["ids"], two_runs["after"]
    survivor = after[(CRM, ids["keep"])]
    assert after[(CRM, ids["merged"][0])] == after[(ERP, ids["merged"][1])] == survivor
    assert survivor in (plan["merge_into"], plan["merged"])
    retired = ({plan["merge_into"], plan["merged"]} - {survivor}).pop()
    merges = _events(two_runs, "merge")
    assert [(e["golden_id"], e["other_golden_ids"]) for e in merges] == [(survivor, [retired])]
    assert two_runs["status"][retired] == "retired"


def test_added_records_join_or_create(two_runs):
    plan, after = two_runs["plan"], two_runs["after"]
    assert after[(CRM, "ACC-990001")] == plan["join"]
    created = after[(CRM, "ACC-990002")]
    assert created not in two_runs["before"].values()
    assert any(e["golden_id"] == created for e in _events(two_runs, "create"))


def test_deleted_records_are_retired_from_their_golden_records(two_runs):
    plan, ids, after = two_runs["plan"], two_runs["ids"], two_runs["after"]
    crm_retired, erp_retired = ids["retire"]
    gone = [(CRM, ids["detach"]), (CRM, crm_retired), (ERP, erp_retired)]
    # Deleted, or never pulled at all (a record crmsync itself created in the ERP).
    assert all(two_runs["source_status"].get(key) in ("deleted", None) for key in gone)
    assert all(key not in after for key in gone)
    detached = sorted(
        (e["golden_id"], member) for e in _events(two_runs, "detach") for member in e["members"]
    )
    assert detached == sorted(
        [
            (plan["detach"], f"{CRM}/customer/{ids['detach']}"),
            (plan["retire"], f"{CRM}/customer/{crm_retired}"),
            (plan["retire"], f"{ERP}/customer/{erp_retired}"),
        ]
    )
    # A golden record that keeps a member stays active, re-survived from that member.
    assert two_runs["status"][plan["detach"]] == "active"
    lineage = two_runs["active"][plan["detach"]].lineage
    assert all(entry["record"] != f"{CRM}/customer/{ids['detach']}" for entry in lineage.values())
    # One left without members is retired, with an event.
    assert two_runs["status"][plan["retire"]] == "retired"
    assert plan["retire"] in {e["golden_id"] for e in _events(two_runs, "retire")}


def test_no_other_identity_changes(two_runs):
    touched = set(two_runs["plan"].values())
    for event in two_runs["events"]:
        if event["event"] in ("merge", "split", "move"):
            assert set(event["other_golden_ids"]) <= touched, event
        if event["event"] == "retire":
            assert event["golden_id"] in touched, event


def test_a_record_splitting_off_alone_keeps_its_values_and_its_new_golden_id(two_runs):
    """Issue #3: the golden record it left gets a new CRM record; the departed record is
    not taken over by that create's lookup by golden id."""
    plan, ids, after = two_runs["plan"], two_runs["ids"], two_runs["after"]
    left, account = plan["split_alone"], ids["split_alone"]
    new_id = after[(CRM, account)]
    assert new_id != left
    splits = [e for e in _events(two_runs, "split") if e["golden_id"] == new_id]
    assert [e["other_golden_ids"] for e in splits] == [[left]]
    carried = two_runs["carried"]
    assert carried[account] == (new_id, "Plovdane Saffron Mills AG")
    holders = sorted(a for a, (golden_id, _name) in carried.items() if golden_id == left)
    assert holders == [f"ACC-{left}"]  # created for the golden record it left
    assert after[(CRM, f"ACC-{left}")] == left
    assert two_runs["status"][left] == "active"
