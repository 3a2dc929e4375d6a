"""The audit report's identity changes, review queue and publish safeguards sections."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from quality.report import build_report
from quality.report.collect import collect_report
from quality.report.review import evidence_summary
from quality.report.safety import masked_text
from store.schema import (
    dead_letters,
    match_review,
    publish_approvals,
    publish_conflicts,
    source_records,
)
from tests.quality.test_report import EARLIER, RUN, T0, insert_match_events, seed, table_rows

EXPLANATION = [
    {"field": "name", "level": "jw>=0.88", "agrees": True, "weight": 3.14},
    {"field": "email", "level": "different", "agrees": False, "weight": -4.2},
    {"field": "phone", "level": "missing", "agrees": None, "weight": 0.0},
    {"field": "tax_id", "level": "exact", "agrees": True, "weight": 7.9},
]


def review_row(review_id: int, left: str, right: str, **values) -> dict:
    row = {
        "id": review_id,
        "entity": "customer",
        "left_key": left,
        "right_key": right,
        "probability": 0.7,
        "match_weight": 1.2,
        "explanation": EXPLANATION,
        "left_golden_id": "GC-1",
        "right_golden_id": "GC-7",
        "status": "open",
        "run_id": RUN,
        "created_run": RUN,
        "created_at": T0,
        "decided_by": None,
        "applied_run": None,
    }
    row.update(values)
    return row


def source(source_id: str, canonical: dict) -> dict:
    return {
        "system": "crm",
        "entity": "customer",
        "source_id": source_id,
        "payload_hash": source_id,
        "canonical": canonical,
        "status": "ok",
        "needs_match": False,
        "ignored_fields": None,
        "source_updated_at": None,
        "first_seen_run": RUN,
        "last_changed_run": RUN,
        "last_seen_at": T0,
    }


@pytest.fixture
def stewarded(store):
    seed(store)
    with store.begin() as c:
        insert_match_events(
            c,
            [
                ("move", "GC-5", ["GC-3"], ["crm/customer/C-30"]),
                ("detach", "GC-1", [], ["crm/customer/C-31"]),
            ],
        )
        c.execute(
            source_records.insert(),
            [
                source("C-40", {"kind": "person", "name": "Maria Muster"}),
                source("C-41", {"kind": "company", "name": "Muster <i>GmbH</i>"}),
                source("C-42", {"kind": "company", "name": "Other AG"}),
            ],
        )
        c.execute(
            match_review.insert(),
            [
                review_row(1, "crm/customer/C-40", "crm/customer/C-41", probability=0.62),
                # Scored again in this run, first queued earlier.
                review_row(2, "crm/customer/C-41", "crm/customer/C-42", created_run=EARLIER),
                # Open, but last scored by an earlier run: counted, not listed.
                review_row(3, "crm/customer/C-42", "crm/customer/C-43", run_id=EARLIER),
                # A steward's decision this run applied.
                review_row(4, "crm/customer/C-44", "crm/customer/C-45", status="merged",
                           decided_by="steward", applied_run=RUN),
                review_row(5, "crm/product/P-1", "crm/product/P-2", entity="product"),
            ],
        )  # fmt: skip
        c.execute(
            dead_letters.insert(),
            [
                {
                    "target": "erp",
                    "entity": "customer",
                    "target_id": "E-2",
                    "golden_id": "GC-2",
                    "operation": "update",
                    "error": "duplicate e-mail jane@doe.org <b>refused</b>",
                    "attempts": 3,
                    "first_run": EARLIER,
                    "last_run": RUN,
                    "first_failed_at": T0 - timedelta(days=1),
                    "last_failed_at": T0,
                    "resolved_run": None,
                },
                {
                    "target": "erp",
                    "entity": "customer",
                    "target_id": "E-9",
                    "golden_id": "GC-9",
                    "operation": "update",
                    "error": "resolved long ago",
                    "attempts": 1,
                    "first_run": EARLIER,
                    "last_run": EARLIER,
                    "first_failed_at": T0,
                    "last_failed_at": T0,
                    "resolved_run": RUN,
                },
            ],
        )
        c.execute(
            publish_conflicts.insert(),
            [
                {
                    "run_id": run_id,
                    "target": "crm",
                    "entity": "customer",
                    "target_id": target_id,
                    "golden_id": "GC-1",
                    "expected_updated_at": "2026-11-20T08:00:00+00:00",
                    "detail": "changed in the target at 2026-11-20T08:30:00+00:00",
                    "created_at": T0,
                    "resolved_run": None,
                }
                for run_id, target_id in [(RUN, "C-10"), (EARLIER, "C-99")]
            ],
        )
        c.execute(
            publish_approvals.insert(),
            [
                {
                    "run_id": run_id,
                    "entity": "customer",
                    "target": "erp",
                    "changes": changes,
                    "target_records": 100,
                    "max_changes": 50,
                    "status": status,
                    "requested_at": requested,
                    "used_run": used,
                }
                for run_id, changes, status, requested, used in [
                    ("customer-older-stopped", 80, "pending", T0 - timedelta(days=2), None),
                    (EARLIER, 70, "used", T0 - timedelta(days=1), RUN),
                    ("customer-done", 60, "used", T0 - timedelta(days=3), "customer-x"),
                ]
            ],
        )
    return store


def test_identity_changes_list_moves_and_detaches(stewarded, tmp_path):
    report = collect_report(stewarded, RUN)
    assert (report.identity.moved, report.identity.detached) == (1, 1)
    assert [(c.event, c.golden_id) for c in report.identity_changes.items] == [
        ("merge", "GC-2"),
        ("retire", "GC-9"),
        ("move", "GC-5"),
        ("detach", "GC-1"),
    ]
    html = build_report(stewarded, RUN, tmp_path).html.read_text(encoding="utf-8")
    rows = table_rows(html, "identity-table")
    assert rows[2][:4] == ["move", "GC-5", "GC-3", "crm/customer/C-30"]
    assert rows[3][:4] == ["detach", "GC-1", "—", "crm/customer/C-31"]
    assert "1 move(s) and 1 detach(es)" in html


def test_review_queue_lists_open_pairs_of_this_run_with_evidence_and_masked_names(
    stewarded, tmp_path
):
    queue = collect_report(stewarded, RUN).review
    assert (queue.pairs.total, queue.open_total, queue.applied) == (2, 3, 1)
    first, second = queue.pairs.items
    assert (first.review_id, first.new_in_run) == (2, False)  # most probable first
    assert (second.review_id, second.new_in_run) == (1, True)
    assert second.left_name == "Ma********er"  # a person's name is personal
    assert second.right_name == "Muster <i>GmbH</i>"
    assert second.evidence == "tax_id exact +7.9 · email different -4.2 · name jw>=0.88 +3.1"
    paths = build_report(stewarded, RUN, tmp_path / "masked")
    html = paths.html.read_text(encoding="utf-8")
    rows = table_rows(html, "review-table")
    assert [r[0] for r in rows] == ["2", "1"]
    assert rows[1][1:6] == [
        "crm/customer/C-40 (new)",
        "Ma********er",
        "crm/customer/C-41",
        "Muster <i>GmbH</i>",
        "0.620",
    ]
    assert "<i>" not in html  # escaped
    assert "Maria Muster" not in html + paths.json.read_text(encoding="utf-8")
    assert "Open pairs of customer in all: 3" in html
    clear = build_report(stewarded, RUN, tmp_path / "clear", unmasked=True)
    assert "Maria Muster" in clear.html.read_text(encoding="utf-8")


def test_held_back_section_lists_dead_letters_deferrals_and_approvals(stewarded, tmp_path):
    paths = build_report(stewarded, RUN, tmp_path / "masked")
    html = paths.html.read_text(encoding="utf-8")
    letters = table_rows(html, "dead-letters-table")
    assert letters == [
        [
            "erp",
            "E-2",
            "GC-2",
            "update",
            "duplicate e-mail j***@doe.org <b>refused</b>",
            "3",
            EARLIER,
            RUN,
        ]
    ]
    assert "<b>" not in html
    assert table_rows(html, "deferred-table") == [
        [
            "crm",
            "C-10",
            "GC-1",
            "2026-11-20T08:00:00+00:00",
            "changed in the target at 2026-11-20T08:30:00+00:00",
            "—",
        ]
    ]
    approvals = table_rows(html, "approvals-table")
    assert [(a[0], a[5]) for a in approvals] == [
        ("customer-older-stopped", "pending"),
        (EARLIER, "used"),
    ]
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["safety"]["dead_letters"]["total"] == 1
    assert data["safety"]["deferred"]["items"][0]["target_id"] == "C-10"
    assert "jane@doe.org" not in html + paths.json.read_text(encoding="utf-8")
    clear = build_report(stewarded, RUN, tmp_path / "clear", unmasked=True)
    assert "jane@doe.org" in clear.html.read_text(encoding="utf-8")


def test_a_run_with_nothing_held_back_says_so(store, tmp_path):
    seed(store)
    html = build_report(store, RUN, tmp_path).html.read_text(encoding="utf-8")
    for message in (
        "This run left no open pair for review.",
        "No record is parked as a dead letter.",
        "No update was deferred in this run.",
        "No mass change waits for approval.",
    ):
        assert message in html, message
    assert table_rows(html, "identity-table")[0][:2] == ["merge", "GC-2"]


def test_evidence_summary_ranks_fields_by_weight_either_way():
    many = [
        {"field": f"f{i}", "level": "exact", "agrees": True, "weight": float(i)} for i in range(6)
    ]
    assert evidence_summary(many) == "f5 exact +5.0 · f4 exact +4.0 · f3 exact +3.0 · " + (
        "f2 exact +2.0 · 2 more"
    )
    assert evidence_summary([]) == "no field evidence"
    assert evidence_summary([{"field": "x", "agrees": None, "weight": 0}]) == "no field evidence"


def test_masked_text_masks_e_mail_addresses_only():
    text = "HTTP 409: contact anna.berg@example.com exists (id 42)"
    assert masked_text(text, unmasked=False) == "HTTP 409: contact a***@example.com exists (id 42)"
    assert masked_text(text, unmasked=True) == text
