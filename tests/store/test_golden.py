"""Tests of golden records, cross-references and events in the store."""

from __future__ import annotations

from store.golden import (
    GoldenRecord,
    MatchEvent,
    XrefLink,
    load_active_golden,
    load_xrefs,
    members_by_golden,
    record_events,
    retire_golden,
    save_golden,
    save_xrefs,
)


def test_save_golden_counts_created_updated_unchanged(store):
    first = [
        GoldenRecord("G1", {"name": "A"}, {}, "h1"),
        GoldenRecord("G2", {"name": "B"}, {}, "h2"),
    ]
    with store.begin() as c:
        assert save_golden(c, "r1", "customer", first) == {
            "created": 2,
            "updated": 0,
            "unchanged": 0,
        }
    second = [
        GoldenRecord("G1", {"name": "A"}, {}, "h1"),
        GoldenRecord("G2", {"name": "B2"}, {}, "h3"),
    ]
    with store.begin() as c:
        assert save_golden(c, "r2", "customer", second) == {
            "created": 0,
            "updated": 1,
            "unchanged": 1,
        }
        retire_golden(c, "r2", ["G1"])
    with store.connect() as c:
        assert set(load_active_golden(c, "customer")) == {"G2"}


def test_xrefs_only_rewrite_changed_links(store):
    with store.begin() as c:
        assert (
            save_xrefs(
                c, "r1", "customer", [XrefLink("crm", "1", "G1"), XrefLink("erp", "9", "G1")]
            )
            == 2
        )
        assert (
            save_xrefs(
                c, "r2", "customer", [XrefLink("crm", "1", "G1"), XrefLink("erp", "9", "G2")]
            )
            == 1
        )
        record_events(
            c, "r2", "customer", [MatchEvent("split", "G2", ("G1",), ("erp/customer/9",))]
        )
    with store.connect() as c:
        assert load_xrefs(c, "customer") == {("crm", "1"): "G1", ("erp", "9"): "G2"}
        assert members_by_golden(c, "customer") == {"G1": [("crm", "1")], "G2": [("erp", "9")]}


def test_unchanged_record_gets_fresh_lineage_and_confirmation(store):
    from datetime import UTC, datetime

    old = datetime(2025, 1, 1, tzinfo=UTC)
    new = datetime(2025, 6, 1, tzinfo=UTC)
    with store.begin() as c:
        save_golden(c, "r1", "customer", [GoldenRecord("G1", {"n": 1}, {"n": "crm/1"}, "h", old)])
    with store.begin() as c:
        counts = save_golden(
            c, "r2", "customer", [GoldenRecord("G1", {"n": 1}, {"n": "erp/7"}, "h", new)]
        )
    assert counts == {"created": 0, "updated": 0, "unchanged": 1}
    with store.connect() as c:
        record = load_active_golden(c, "customer")["G1"]
    assert record.lineage == {"n": "erp/7"}
