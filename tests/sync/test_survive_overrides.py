"""Survivorship on the sandbox: strategies per field, steward overrides, hierarchies."""

from __future__ import annotations

import pytest
import yaml

from store.golden import load_active_golden, load_xrefs, members_by_golden
from store.records import OK, records_with_status
from sync.cli import main
from sync.context import SyncContext
from sync.runner import run_entity

from .sandbox_setup import query, write_sandbox_config

CRM = "sandbox_crm"


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A customer sync where the phone is the most recent and the name the most complete."""
    folder = tmp_path_factory.mktemp("survive")
    config = write_sandbox_config(folder)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["entities"]["customer"]["survivorship"].update(
        {"phone": {"rule": "most_recent"}, "name": {"rule": "most_complete"}}
    )
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    ctx = SyncContext.open(config)
    first = run_entity(ctx, "customer")
    assert first["status"] == "success"
    yield folder, config, ctx
    ctx.close()


def _members(ctx, golden_id):
    with ctx.engine.connect() as c:
        keys = set(members_by_golden(c, "customer")[golden_id])
        states = records_with_status(c, "customer", OK)
    return [s for s in states if (s.system, s.source_id) in keys]


def test_most_recent_and_most_complete_strategies(synced):
    _folder, _config, ctx = synced
    with ctx.engine.connect() as c:
        golden = load_active_golden(c, "customer")
    checked = 0
    for golden_id, record in golden.items():
        members = _members(ctx, golden_id)
        phones = [m for m in members if m.canonical.get("phone")]
        if len(phones) < 2 or "phone" not in record.lineage:
            continue
        newest = max(
            phones, key=lambda m: (m.canonical.get("updated_at") or "", m.system, m.source_id)
        )
        if sum(m.canonical.get("updated_at") == newest.canonical["updated_at"] for m in phones) > 1:
            continue  # a tie: another criterion decides
        assert record.data["phone"] == newest.canonical["phone"]
        assert record.lineage["phone"]["rule"] == "most recent"
        names = [m.canonical["name"] for m in members if m.canonical.get("name")]
        assert len(record.data["name"]) == max(len(n) for n in names)
        checked += 1
    assert checked >= 10


def test_steward_override_beats_every_rule_until_cleared(synced, capsys):
    _folder, config, ctx = synced
    with ctx.engine.connect() as c:
        golden_id, record = sorted(load_active_golden(c, "customer").items())[0]
    base = ["--config", str(config), "-q", "override", golden_id]
    assert main([*base, "name", "Steward Chosen Name AG", "--by", "carol"]) == 0
    assert main([*base, "bill_to.city", "Hamburg", "--by", "carol"]) == 0
    assert main([*base, "no_such_field", "x"]) == 2
    assert "has no field" in capsys.readouterr().out
    run_entity(ctx, "customer")
    with ctx.engine.connect() as c:
        overridden = load_active_golden(c, "customer")[golden_id]
    assert overridden.data["name"] == "Steward Chosen Name AG"
    assert overridden.data["bill_to"]["city"] == "Hamburg"
    assert overridden.data["bill_to"]["street"] == record.data["bill_to"]["street"]
    assert overridden.lineage["name"]["record"] == "steward:carol"
    assert overridden.lineage["name"]["rule"] == "steward override"
    assert overridden.lineage["bill_to.city"]["rule"] == "steward override"
    assert main([*base, "name", "--clear"]) == 0
    assert main([*base, "bill_to.city", "--clear"]) == 0
    run_entity(ctx, "customer")
    with ctx.engine.connect() as c:
        restored = load_active_golden(c, "customer")[golden_id]
    assert restored.data["name"] == record.data["name"]
    assert restored.data["bill_to"] == record.data["bill_to"]
    assert restored.lineage["name"]["rule"] != "steward override"


def test_branches_link_to_their_parent_and_never_merge_into_it(synced):
    folder, _config, ctx = synced
    branches = query(
        folder,
        "crm",
        "SELECT account_id, parent_account_id FROM accounts WHERE parent_account_id IS NOT NULL",
    )
    assert branches
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
        golden = load_active_golden(c, "customer")
    resolved = 0
    for branch, parent in branches:
        if (CRM, branch) not in links or (CRM, parent) not in links:
            continue  # quarantined
        branch_golden, parent_golden = links[(CRM, branch)], links[(CRM, parent)]
        assert branch_golden != parent_golden
        assert golden[branch_golden].data["parent_golden_id"] == parent_golden
        assert golden[branch_golden].lineage["parent_golden_id"]["record"]
        resolved += 1
    assert resolved >= 3
