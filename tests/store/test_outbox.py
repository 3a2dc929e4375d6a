"""Tests of the outbox: idempotency keys, in-doubt changes, what a target holds, and the
store tables of publish safety (dead letters, deferred updates, approvals)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from store.approvals import (
    ApprovalRequest,
    approve,
    request_approval,
    requests_of_run,
    use_approval,
)
from store.conflicts import Deferred, defer, deferred_of_run
from store.conflicts import resolve as resolve_conflicts
from store.database import alembic_config
from store.dead_letters import Rejection, open_dead_letters, park
from store.dead_letters import resolve as resolve_dead_letters
from store.golden import XrefLink, load_xrefs, save_xrefs
from store.outbox import (
    OutboxItem,
    confirmed_published,
    enqueue,
    known_keys,
    last_published,
    log_publish,
    mark_failed,
    mark_sent,
    publish_counts,
    unconfirmed_creates,
)


def item(
    payload_hash: str = "h1", target_id: str = "ACC-1", operation: str = "update"
) -> OutboxItem:
    return OutboxItem("crm", "customer", "G1", target_id, operation, {"a": 1}, payload_hash)


def test_the_key_names_the_change_not_the_run_or_the_timestamp():
    a = item()
    b = OutboxItem("crm", "customer", "G1", "ACC-1", "update", {"a": 1}, "h1", "2026-01-01")
    assert a.idempotency_key == b.idempotency_key
    assert a.idempotency_key != item("h2").idempotency_key


def test_sent_changes_are_confirmed(store):
    with store.begin() as c:
        todo = enqueue(c, "r1", [item()])
        mark_sent(c, "r1", todo)
    with store.connect() as c:
        assert confirmed_published(c, "crm", "customer") == {"ACC-1": "h1"}
        assert known_keys(c, [item().idempotency_key]) == set()


def test_a_change_in_doubt_counts_as_held_for_echoes_but_not_as_confirmed(store):
    with store.begin() as c:
        mark_sent(c, "r1", enqueue(c, "r1", [item("h1")]))
        enqueue(c, "r2", [item("h2")])  # the process died before the bookkeeping
    with store.connect() as c:
        assert confirmed_published(c, "crm", "customer") == {"ACC-1": "h1"}
        assert last_published(c, "crm", "customer") == {"ACC-1": "h2"}
        assert known_keys(c, [item("h2").idempotency_key]) == {item("h2").idempotency_key}
    with store.begin() as c:
        mark_failed(c, [item("h2")], "timeout")
    with store.connect() as c:
        assert last_published(c, "crm", "customer") == {"ACC-1": "h2"}  # still in doubt


def test_a_change_sent_before_is_sent_again_when_the_target_no_longer_holds_it(store):
    # A → B → A: the plan asks for A again; the outbox must not swallow it as "sent".
    with store.begin() as c:
        mark_sent(c, "r1", enqueue(c, "r1", [item("A")]))
        mark_sent(c, "r2", enqueue(c, "r2", [item("B")]))
        assert enqueue(c, "r3", [item("A")]) == [item("A")]
    with store.connect() as c:
        assert last_published(c, "crm", "customer") == {"ACC-1": "A"}  # pending again


def test_a_create_is_unconfirmed_until_sent_and_rekeyed_to_the_assigned_id(store):
    create = item("h1", "new-G1", "create")
    with store.begin() as c:
        enqueue(c, "r1", [create])
        save_xrefs(c, "r1", "customer", [XrefLink("crm", "new-G1", "G1", 1.0, "created")])
    with store.connect() as c:
        assert unconfirmed_creates(c, "crm", "customer") == {"new-G1"}
    with store.begin() as c:
        mark_sent(c, "r1", [create], {"new-G1": "4711"})
    with store.connect() as c:
        assert unconfirmed_creates(c, "crm", "customer") == set()
        assert confirmed_published(c, "crm", "customer") == {"4711": "h1"}
        assert load_xrefs(c, "customer") == {("crm", "4711"): "G1"}


def test_publish_log(store):
    with store.begin() as c:
        log_publish(c, "r1", "crm", "customer", {"created": 1, "updated": 2, "unchanged": 3})
    with store.connect() as c:
        assert publish_counts(c, "r1") == {"crm": {"created": 1, "updated": 2, "unchanged": 3}}


def test_dead_letters_count_attempts_and_resolve(store):
    refused = Rejection("crm", "customer", "ACC-1", "G1", "update", "locked by finance")
    with store.begin() as c:
        park(c, "r1", [refused])
        park(c, "r2", [refused])
    with store.connect() as c:
        [letter] = open_dead_letters(c, "customer")
    assert (letter.attempts, letter.first_run, letter.last_run) == (2, "r1", "r2")
    assert letter.error == "locked by finance"
    with store.begin() as c:
        resolve_dead_letters(c, "r3", "crm", "customer", ["ACC-1"])
    with store.connect() as c:
        assert open_dead_letters(c) == []


def test_open_dead_letters_up_to_a_limit_by_target_and_id(store):
    refused = [
        Rejection(target, "customer", target_id, "G1", "update", "locked")
        for target, target_id in (("erp", "E-1"), ("crm", "ACC-2"), ("crm", "ACC-1"))
    ]
    with store.begin() as c:
        park(c, "r1", refused)
    with store.connect() as c:
        first = open_dead_letters(c, "customer", limit=2)
    assert [(d.target, d.target_id) for d in first] == [("crm", "ACC-1"), ("crm", "ACC-2")]


def test_deferred_updates_are_listed_per_run_and_resolved(store):
    deferred = Deferred("r1", "crm", "customer", "ACC-1", "G1", "2026-01-01", "changed at X")
    with store.begin() as c:
        defer(c, [deferred])
        resolve_conflicts(c, "r2", "crm", "customer", ["ACC-1"])
    with store.connect() as c:
        assert deferred_of_run(c, "r1") == [deferred]
        assert deferred_of_run(c, "r2") == []


def test_an_approval_covers_the_approved_number_of_changes_once_and_its_reruns(store):
    with store.begin() as c:
        request_approval(c, ApprovalRequest("r1", "customer", "crm", 100, 120, 60))
        assert use_approval(c, "r2", "customer", "crm", 90) is None  # not approved yet
        assert approve(c, "r1", "alice") == 1
        assert use_approval(c, "r2", "customer", "crm", 150) is None  # more than approved
        assert use_approval(c, "r2", "customer", "crm", 90) == "r1"
        assert use_approval(c, "r2", "customer", "crm", 90) == "r1"  # a rerun of r2
        assert use_approval(c, "r3", "customer", "crm", 90) is None  # spent
        assert [r.status for r in requests_of_run(c, "r1")] == ["used"]


def test_migration_0003_downgrades_and_upgrades(store):
    config = alembic_config()
    with store.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    names = set(inspect(store).get_table_names())
    assert not {"dead_letters", "publish_conflicts", "publish_approvals"} & names
    assert "payload_hash" not in {c["name"] for c in inspect(store).get_columns("outbox")}
    with store.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert {"dead_letters", "publish_conflicts", "publish_approvals"} <= set(
        inspect(store).get_table_names()
    )
