"""Tests of the review queue and steward overrides in the store."""

from __future__ import annotations

import pytest

from store.overrides import clear_override, load_overrides, set_override
from store.review import (
    QueuedPair,
    decide_review,
    get_review,
    list_reviews,
    mark_applied,
    queue_pairs,
    steward_decisions,
)

EXPLANATION = [{"field": "name", "level": "jw>=0.88", "agrees": True, "weight": 3.2}]


def _pair(left: str, right: str, probability: float) -> QueuedPair:
    return QueuedPair(left, right, probability, 1.5, EXPLANATION, "G1", "G2")


def test_queue_lifecycle(store):
    with store.begin() as c:
        counts = queue_pairs(c, "r1", "customer", [_pair("a", "b", 0.7), _pair("a", "c", 0.6)])
    assert counts == {"queued": 2, "refreshed": 0, "superseded": 0}
    with store.connect() as c:
        items = list_reviews(c, "customer")
    assert [(i.left_key, i.right_key, i.status) for i in items] == [
        ("a", "b", "open"),
        ("a", "c", "open"),
    ]
    assert items[0].explanation == EXPLANATION
    ab, ac = items
    with store.begin() as c:
        decided = decide_review(c, ab.id, "merge", "alice")
    assert (decided.status, decided.decided_by, decided.applied_run) == ("merged", "alice", None)
    # Next run: a-b still uncertain (decision kept), a-c no longer (superseded), a-d new.
    with store.begin() as c:
        counts = queue_pairs(c, "r2", "customer", [_pair("a", "b", 0.8), _pair("a", "d", 0.55)])
        mark_applied(c, "r2", [ab.id])
    assert counts == {"queued": 1, "refreshed": 0, "superseded": 1}
    with store.connect() as c:
        merged, superseded = get_review(c, ab.id), get_review(c, ac.id)
        assert merged is not None and superseded is not None
        assert (merged.status, merged.applied_run) == ("merged", "r2")
        assert superseded.status == "superseded"
        assert [(d.left_key, d.right_key) for d in steward_decisions(c, "customer")] == [("a", "b")]
        assert {i.right_key for i in list_reviews(c, None, None)} == {"b", "c", "d"}
    # A superseded pair that turns uncertain again opens again.
    with store.begin() as c:
        counts = queue_pairs(c, "r3", "customer", [_pair("a", "c", 0.65), _pair("a", "d", 0.55)])
    assert counts == {"queued": 0, "refreshed": 2, "superseded": 0}
    with store.connect() as c:
        reopened = get_review(c, ac.id)
    assert reopened is not None and reopened.status == "open"


def test_decide_refuses_unknown_pairs_and_decisions(store):
    with store.begin() as c:
        queue_pairs(c, "r1", "product", [_pair("x", "y", 0.7)])
        item = list_reviews(c, "product")[0]
        with pytest.raises(KeyError):
            decide_review(c, 12345, "merge", "alice")
        with pytest.raises(ValueError, match="decision must be one of"):
            decide_review(c, item.id, "maybe", "alice")


def test_overrides_set_replace_and_clear(store):
    with store.begin() as c:
        set_override(c, "customer", "G1", "name", "ACME AG", "carol")
        set_override(c, "customer", "G1", "name", "ACME SE", "dan")
        set_override(c, "customer", "G1", "bill_to.city", "Kiel", "dan")
        set_override(c, "product", "P1", "name", "Pump", "dan")
    with store.connect() as c:
        found = load_overrides(c, "customer")
    assert [(o.field, o.value, o.set_by) for o in found["G1"]] == [
        ("bill_to.city", "Kiel", "dan"),
        ("name", "ACME SE", "dan"),
    ]
    with store.begin() as c:
        assert clear_override(c, "G1", "name") is True
        assert clear_override(c, "G1", "name") is False
    with store.connect() as c:
        assert [o.field for o in load_overrides(c, "customer")["G1"]] == ["bill_to.city"]


def test_list_reviews_of_one_run_most_probable_first_up_to_a_limit(store):
    with store.begin() as c:
        queue_pairs(c, "r1", "customer", [_pair("a", "b", 0.7), _pair("a", "c", 0.6)])
        queue_pairs(
            c, "r2", "customer", [_pair("a", "b", 0.7), _pair("x", "y", 0.9), _pair("x", "z", 0.8)]
        )
    with store.connect() as c:
        of_r2 = list_reviews(c, "customer", run_id="r2", limit=2)
        any_status = list_reviews(c, "customer", None, run_id="r2")
        of_r1 = list_reviews(c, "customer", None, run_id="r1")
    assert [(i.left_key, i.right_key) for i in of_r2] == [("x", "y"), ("x", "z")]
    # r2 no longer found a-c uncertain: superseded, and stamped with r2.
    assert [(i.right_key, i.status) for i in any_status][-1] == ("c", "superseded")
    assert of_r1 == []
