"""Contacts synced end to end on the sandbox: ``crmsync run contact`` after the customers,
the golden gate, push-back to the CRM, and what the run summary and report say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from quality.report import build_report
from store.golden import load_active_golden, members_by_golden
from store.quarantine import open_entries
from sync.cli import main
from sync.context import SyncContext
from sync.runner import run_entity
from sync.stages.publish import plan_changes, publish_target
from sync.stages.summary import close_run
from tests.sync.sandbox_setup import execute, query, write_sandbox_config
from tests.sync.test_publish import stages_before_publish

CRM = "sandbox_crm"
HARMONISED = ("first_name", "last_name", "email", "phone", "job_title", "mailing_city")


def contact_config(folder: Path, companies: int) -> Path:
    """A sandbox with the contact entity configured as in the shipped crmsync.yaml."""
    config = write_sandbox_config(folder, companies=companies)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    shipped = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "crmsync.yaml").read_text(encoding="utf-8")
    )
    data["entities"]["contact"] = shipped["entities"]["contact"]
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def run_json(config: Path, entity: str, capsys: pytest.CaptureFixture[str]) -> dict:
    code = main(["-q", "--config", str(config), "run", entity, "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])[entity]
    assert code == 0, summary
    return summary


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contact-sync")
    config = contact_config(folder, companies=120)
    ctx = SyncContext.open(config)
    assert run_entity(ctx, "customer")["status"] == "success"
    ctx.close()
    return folder, config


def test_run_contact_pushes_golden_values_to_every_crm_duplicate(synced, capsys):
    folder, config = synced
    summary = run_json(config, "contact", capsys)
    (contacts,) = query(folder, "crm", "SELECT count(*) FROM contacts")[0]
    assert summary["status"] == "success"
    assert summary["pulled"] == {CRM: contacts}
    assert summary["targets"][CRM]["created"] == 0  # contacts are never created
    assert summary["targets"][CRM]["updated"] > 0
    assert 0 < summary["golden_records"] < contacts
    assert set(summary["review"]) == {"open", "new"}
    assert summary["dead_letters"] == {CRM: 0} and summary["deferred"] == {CRM: 0}
    assert summary["approvals_pending"] == 0
    ctx = SyncContext.open(config)
    with ctx.engine.connect() as c:
        golden = load_active_golden(c, "contact")
        members = members_by_golden(c, "contact")
        held = {e.source_id for e in open_entries(c, "contact") if e.system == "golden"}
    ctx.close()
    # The golden gate holds back contacts whose customer has no golden record.
    orphans = {g for g, r in golden.items() if not r.data.get("customer_golden_id")}
    assert held == orphans and summary["golden_held"] == len(orphans)
    rows = {
        r[0]: r[1:]
        for r in query(folder, "crm", f"SELECT contact_id, {', '.join(HARMONISED)} FROM contacts")
    }
    duplicates = {g: keys for g, keys in members.items() if len(keys) > 1 and g not in held}
    assert len(duplicates) > 5
    for golden_id, keys in duplicates.items():
        values = {rows[source_id] for _system, source_id in keys}
        assert len(values) == 1, (golden_id, values)  # every duplicate now reads the same
        (email,) = {rows[source_id][2] for _system, source_id in keys}
        assert email == golden[golden_id].data.get("email")

    again = run_json(config, "contact", capsys)
    assert again["targets"][CRM]["updated"] == 0
    assert again["targets"][CRM]["unchanged"] == summary["targets"][CRM]["updated"]
    assert again["golden_records"] == summary["golden_records"]


def test_run_all_syncs_contacts_between_customers_and_products(tmp_path, capsys):
    config = contact_config(tmp_path, companies=30)
    assert main(["-q", "--config", str(config), "run", "all"]) == 0
    out = capsys.readouterr().out
    order = [line.split(":")[0] for line in out.splitlines() if ": run " in line]
    assert order == ["customer", "contact", "product"]
    assert "review queue" in out and "dead letters" in out


def test_deferred_and_refused_contacts_are_counted_and_reported(tmp_path):
    folder = tmp_path
    config = contact_config(folder, companies=40)
    ctx = SyncContext.open(config)
    try:
        assert run_entity(ctx, "customer")["status"] == "success"
        run_id = stages_before_publish(ctx, "contact")
        updates = plan_changes(ctx, "contact", CRM).updates
        changed, locked = updates[0].target_id, updates[1].target_id
        # A CRM user edits one contact after our pull; another is locked by a trigger
        # whose message quotes an e-mail address.
        execute(
            folder,
            "crm",
            "UPDATE contacts SET job_title = ?, modified_at = ? WHERE contact_id = ?",
            ("Head of Purchasing", "2099-01-01T00:00:00+00:00", changed),
        )
        execute(
            folder,
            "crm",
            f"CREATE TRIGGER gdpr_lock BEFORE UPDATE ON contacts WHEN OLD.contact_id = '{locked}' "
            "BEGIN SELECT RAISE(ABORT, 'locked on request of erika.muster@example.org'); END",
        )
        counts = publish_target(ctx, run_id, "contact", CRM)
        summary = close_run(ctx, run_id, "contact")
        assert (counts.deferred, counts.rejected) == (1, 1)
        assert summary["status"] == "success"
        assert summary["deferred"] == {CRM: 1} and summary["dead_letters"] == {CRM: 1}
        assert query(folder, "crm", "SELECT job_title FROM contacts WHERE contact_id = ?",
                     (changed,)) == [("Head of Purchasing",)]  # fmt: skip
        paths = build_report(ctx.engine, run_id, tmp_path / "reports")
        data = json.loads(paths.json.read_text(encoding="utf-8"))
        assert [d["target_id"] for d in data["safety"]["deferred"]["items"]] == [changed]
        (letter,) = data["safety"]["dead_letters"]["items"]
        assert letter["target_id"] == locked
        assert "e***@example.org" in letter["error"]
        html = paths.html.read_text(encoding="utf-8")
        assert "erika.muster" not in html + paths.json.read_text(encoding="utf-8")
        # The golden suite of contacts ran and is in the report.
        assert {"customer_required", "golden_id_unique"} <= {
            r["rule"] for r in data["rules"] if r["stage"] == "golden"
        }
        # The next run re-pulls the changed contact and keeps the user's edit.
        execute(folder, "crm", "DROP TRIGGER gdpr_lock")
        after = run_entity(ctx, "contact")
        assert after["status"] == "success"
        assert after["deferred"] == {CRM: 0} and after["dead_letters"] == {CRM: 0}
        assert query(folder, "crm", "SELECT job_title FROM contacts WHERE contact_id = ?",
                     (changed,)) == [("Head of Purchasing",)]  # fmt: skip
    finally:
        ctx.close()
