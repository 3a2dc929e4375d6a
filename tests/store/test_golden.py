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


def test_retire_missing_detaches_records_the_source_no_longer_holds(store):
    from sqlalchemy import select

    from store.golden import retire_missing
    from store.records import SourceRecordState, save_records
    from store.schema import match_events, source_records

    states = [
        SourceRecordState("crm", "customer", sid, "h", {"name": sid}, "ok")
        for sid in ("1", "2", "3")
    ]
    with store.begin() as c:
        save_records(c, "r1", states, {})
        save_xrefs(
            c,
            "r1",
            "customer",
            [XrefLink("crm", "1", "G1"), XrefLink("crm", "2", "G1"), XrefLink("crm", "3", "G2")],
        )
        # A record crmsync created in the target: linked, never pulled.
        save_xrefs(c, "r1", "customer", [XrefLink("crm", "NEW-9", "G2")])
    with store.begin() as c:
        gone = retire_missing(c, "r2", "customer", "crm", ["1", "3"])
    assert gone == ["2", "NEW-9"]
    with store.connect() as c:
        assert load_xrefs(c, "customer") == {("crm", "1"): "G1", ("crm", "3"): "G2"}
        status = dict(c.execute(select(source_records.c.source_id, source_records.c.status)).all())
        events = c.execute(
            select(match_events.c.event, match_events.c.golden_id, match_events.c.members)
        ).all()
    assert status == {"1": "ok", "2": "deleted", "3": "ok"}
    assert sorted(events) == [
        ("detach", "G1", ["crm/customer/2"]),
        ("detach", "G2", ["crm/customer/NEW-9"]),
    ]
    with store.begin() as c:
        assert retire_missing(c, "r3", "customer", "crm", ["1", "3"]) == []
