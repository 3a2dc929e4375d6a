"""Tests of the outbox: idempotency keys and what a target last received."""

from __future__ import annotations

from store.outbox import OutboxItem, enqueue, last_published, log_publish, mark_sent, publish_counts


def item(payload_hash: str = "h1") -> OutboxItem:
    return OutboxItem("crm", "customer", "G1", "ACC-1", "update", {"a": 1}, payload_hash)


def test_a_sent_change_is_not_enqueued_again(store):
    with store.begin() as c:
        todo = enqueue(c, "r1", [item()])
        assert len(todo) == 1
        mark_sent(c, "r1", todo)
    with store.begin() as c:
        assert enqueue(c, "r2", [item()]) == []
        assert len(enqueue(c, "r2", [item("h2")])) == 1
    with store.connect() as c:
        assert last_published(c, "crm", "customer") == {"ACC-1": "h1"}


def test_a_pending_change_is_retried(store):
    with store.begin() as c:
        enqueue(c, "r1", [item()])
    with store.begin() as c:
        assert len(enqueue(c, "r2", [item()])) == 1


def test_publish_log(store):
    with store.begin() as c:
        log_publish(c, "r1", "crm", "customer", {"created": 1, "updated": 2, "unchanged": 3})
    with store.connect() as c:
        assert publish_counts(c, "r1") == {"crm": {"created": 1, "updated": 2, "unchanged": 3}}
