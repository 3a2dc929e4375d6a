"""Tests of the audit report: content, escaping, masking, files, and a real sandbox run."""

from __future__ import annotations

import csv
import json
import secrets
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from quality.masking import mask
from quality.report import RunNotFoundError, build_report, latest_run_id
from quality.report import collect as collect_module
from quality.report import render_html as render_html_module
from quality.report.chart import nice_ticks, trend_svg
from quality.report.collect import collect_report
from quality.report.export import report_to_dict, safe_cell
from quality.report.model import TrendPoint
from store.database import migrate, open_store
from store.schema import (
    golden_records,
    match_events,
    outbox,
    publish_log,
    pull_log,
    quarantine,
    rule_results,
    runs,
    xrefs,
)
from tests.conftest import need_service

RUN = "customer-20261120T090000-aaaaaa"
EARLIER = "customer-20261119T090000-bbbbbb"
OTHER_ENTITY = "product-20261120T091000-cccccc"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOSTILE = '<script>alert("pwned")</script>\'"&'


def summary(pulled: dict[str, int], quarantined: dict[str, int], goldens: int) -> dict:
    return {
        "pulled": pulled,
        "quarantined": quarantined,
        "golden_records": goldens,
        "merged_source_records": 3,
        "targets": {
            "crm": {"created": 1, "updated": 2, "unchanged": 0},
            "erp": {"created": 0, "updated": 1, "unchanged": 1},
        },
    }


def golden(golden_id: str, data: dict, lineage: dict, **extra) -> dict:
    row = {
        "golden_id": golden_id,
        "entity": "customer",
        "data": data,
        "lineage": lineage,
        "content_hash": golden_id,
        "status": "active",
        "created_run": RUN,
        "updated_run": RUN,
        "confirmed_at": T0,
    }
    row.update(extra)
    return row


def insert_match_events(
    connection: Connection, events: list[tuple[str, str, list[str], list[str]]]
) -> None:
    """Store customer match events of ``RUN``: (event, golden id, other golden ids, members)."""
    connection.execute(
        match_events.insert(),
        [
            {
                "run_id": RUN,
                "entity": "customer",
                "event": event,
                "golden_id": golden_id,
                "other_golden_ids": others,
                "members": members,
                "created_at": T0,
            }
            for event, golden_id, others, members in events
        ],
    )


def seed(engine) -> None:
    """A realistic history: an earlier run, this run (RUN), a product run in between."""
    with engine.begin() as c:
        c.execute(
            runs.insert(),
            [
                {
                    "run_id": EARLIER,
                    "entity": "customer",
                    "started_at": T0 - timedelta(days=1),
                    "finished_at": T0 - timedelta(days=1) + timedelta(seconds=40),
                    "status": "success",
                    "summary": summary({"crm": 90, "erp": 50}, {"crm": 4, "erp": 1}, 110),
                },
                {
                    "run_id": OTHER_ENTITY,
                    "entity": "product",
                    "started_at": T0 + timedelta(minutes=10),
                    "finished_at": T0 + timedelta(minutes=11),
                    "status": "success",
                    "summary": summary({"crm": 7}, {}, 7),
                },
                {
                    "run_id": RUN,
                    "entity": "customer",
                    "started_at": T0,
                    "finished_at": T0 + timedelta(seconds=83),
                    "status": "success",
                    "summary": summary({"crm": 100, "erp": 60}, {"crm": 5, "erp": 2}, 120),
                },
            ],
        )
        c.execute(
            pull_log.insert(),
            [
                {
                    "run_id": RUN,
                    "system": "crm",
                    "entity": "customer",
                    "pulled": 100,
                    "source_total": 1000,
                    "newest_source_change": "2026-11-20T08:59:00+00:00",
                    "mode": "incremental",
                    "finished_at": T0,
                },
                {
                    "run_id": RUN,
                    "system": "erp",
                    "entity": "customer",
                    "pulled": 60,
                    "source_total": 60,
                    "newest_source_change": None,
                    "mode": "full",
                    "finished_at": T0,
                },
            ],
        )
        rules = [
            ("map", "mapping", "credit_limit", 0, 1, "value does not fit the canonical model"),
            ("staged", "email_format", "email", 159, 3, None),
            ("staged", "name_required", "name", 159, 0, None),
            ("golden", "name_required", "name", 120, 0, None),
            ("batch", "failure_ratio", "customer", 1, 0, "4 of 160 failed (2.5%, limit 20.0%)"),
            ("batch", "schema_drift", "crm/accounts", 1, 0, "all mapped columns present"),
        ]
        c.execute(
            rule_results.insert(),
            [
                {
                    "run_id": run_id,
                    "entity": "customer",
                    "stage": stage,
                    "rule": rule,
                    "column": column,
                    "checked": checked,
                    "failed": failed,
                    "detail": detail,
                    "created_at": T0,
                }
                for run_id in (RUN, EARLIER)
                for stage, rule, column, checked, failed, detail in rules
            ],
        )
        held = [
            (EARLIER, "crm", "C-9", "gate", "email_format", "email", "x***@", "bad e-mail", None),
            (EARLIER, "crm", "C-8", "gate", "name_required", "name", None, "no name", RUN),
            (RUN, "crm", "C-1", "gate", "email_format", "email", "j***@@x.de", "bad e-mail", None),
            (RUN, "crm", "C-2", "gate", "email_format", "email", HOSTILE, HOSTILE, None),
            (RUN, "crm", "C-3", "gate", "email_format", "email", "=HYPERLINK(1)", "bad", None),
            (RUN, "erp", "E-7", "map", "mappable", "credit_limit", "12,5", "not a number", None),
        ]
        c.execute(
            quarantine.insert(),
            [
                {
                    "run_id": run_id,
                    "system": system,
                    "entity": "customer",
                    "source_id": source_id,
                    "stage": stage,
                    "rule": rule,
                    "column": column,
                    "value": value,
                    "reason": reason,
                    "payload_hash": "h",
                    "created_at": T0,
                    "released_run": released,
                }
                for run_id, system, source_id, stage, rule, column, value, reason, released in held
            ],
        )
        c.execute(
            golden_records.insert(),
            [
                golden(
                    "GC-1",
                    {
                        "kind": "company",
                        "name": "ACME <b>GmbH</b>",
                        "email": "info@acme.de",
                        "phone": "+49 30 1234567",
                        "bill_to": {"street": "Hauptstrasse 5", "city": "Berlin", "country": "DE"},
                        "credit_limit": {"amount": "50000.00", "currency": "EUR"},
                        "owners": ["anna.berg@example.com"],
                    },
                    {
                        "kind": {"record": "erp/customer/E-1", "rule": "source priority"},
                        "name": {"record": "erp/customer/E-1", "rule": "source priority"},
                        "email": {"record": "crm/customer/C-10", "rule": "source priority"},
                        "phone": {"record": "erp/customer/E-1", "rule": "most complete"},
                        "bill_to": {"record": "erp/customer/E-1", "rule": "most recent"},
                        "credit_limit": {"record": "erp/customer/E-1", "rule": "only source"},
                        "owners": {"record": "crm/customer/C-10", "rule": "only source"},
                    },
                ),
                golden(
                    "GC-2",
                    {"kind": "person", "name": "Jane Doe", "email": "jane@doe.org"},
                    {
                        "kind": {"record": "crm/customer/C-11", "rule": "only source"},
                        "name": {"record": "crm/customer/C-11", "rule": "only source"},
                        "email": {"record": "crm/customer/C-11", "rule": "only source"},
                    },
                ),
                golden(
                    "GC-3",
                    {"kind": "company", "name": "Solo Ltd"},
                    {"name": {"record": "crm/customer/C-12", "rule": "only source"}},
                    updated_run=EARLIER,
                    confirmed_at=T0 - timedelta(days=400),
                ),
                golden(
                    "GC-5",
                    {"kind": "company", "name": "Joined AG"},
                    {"name": {"record": "crm/customer/C-20", "rule": "only source"}},
                    created_run=EARLIER,
                    updated_run=EARLIER,
                ),
                golden(
                    "GC-4",
                    {"kind": "company", "name": "Old Retired"},
                    {},
                    status="retired",
                    updated_run=EARLIER,
                    confirmed_at=T0 - timedelta(days=900),
                ),
            ],
        )
        c.execute(
            xrefs.insert(),
            [
                {
                    "system": system,
                    "entity": "customer",
                    "source_id": source_id,
                    "golden_id": golden_id,
                    "match_score": score,
                    "match_reason": reason,
                    "linked_run": linked,
                }
                for system, source_id, golden_id, score, reason, linked in [
                    ("erp", "E-1", "GC-1", "1.0000", "tax_id equal; name 1.00", RUN),
                    ("crm", "C-10", "GC-1", "0.8125", "email domain equal; name <0.81>", RUN),
                    ("crm", "C-11", "GC-2", "0.9500", "email equal", RUN),
                    ("erp", "E-2", "GC-2", "0.9500", "email equal", EARLIER),
                    ("crm", "C-12", "GC-3", None, None, RUN),
                    # E-20 joined the existing GC-5 in this run (no match event).
                    ("crm", "C-20", "GC-5", None, None, EARLIER),
                    ("erp", "E-20", "GC-5", "0.9100", "phone equal; name 0.91", RUN),
                ]
            ],
        )
        insert_match_events(
            c,
            [
                ("create", "GC-1", [], ["erp/customer/E-1", "crm/customer/C-10"]),
                ("merge", "GC-2", ["GC-9"], ["crm/customer/C-11", "erp/customer/E-2"]),
                ("create", "GC-3", [], ["crm/customer/C-12"]),
                ("retire", "GC-9", [], []),
            ],
        )
        c.execute(
            publish_log.insert(),
            [
                {
                    "run_id": RUN,
                    "target": target,
                    "entity": "customer",
                    "created": created,
                    "updated": updated,
                    "unchanged": unchanged,
                    "finished_at": T0,
                }
                for target, created, updated, unchanged in [("crm", 1, 2, 0), ("erp", 0, 1, 1)]
            ],
        )
        c.execute(
            outbox.insert(),
            [
                {
                    "run_id": RUN,
                    "target": "erp",
                    "entity": "customer",
                    "golden_id": golden_id,
                    "target_id": target_id,
                    "operation": "update",
                    "payload": {},
                    "idempotency_key": key,
                    "status": status,
                    "error": error,
                    "created_at": T0,
                }
                for golden_id, target_id, key, status, error in [
                    ("GC-1", "E-1", "k1", "sent", None),
                    ("GC-2", "E-2", "k2", "failed", "HTTP 422: <img src=x onerror=alert(1)>"),
                ]
            ],
        )


@pytest.fixture
def seeded(store):
    seed(store)
    return store


class DomTable(HTMLParser):
    """Collects the cell texts of the table with a given id, row by row."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0
        self.rows: list[list[str]] = []
        self.in_body = False
        self.cell: list[str] | None = None
        self.elements: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.depth = 1
        elif tag == "table" and self.depth:
            self.depth += 1
        if not self.depth:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.cell = []

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.depth -= 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    parser = DomTable(table_id)
    parser.feed(html)
    return parser.rows


def test_build_report_writes_the_files_of_the_run(seeded, tmp_path):
    paths = build_report(seeded, RUN, tmp_path / "reports")
    folder = tmp_path / "reports" / RUN
    assert paths.html == folder / "report.html"
    assert paths.json == folder / "report.json"
    assert paths.csv == folder / "quarantine.csv"
    assert paths.rules_csv == folder / "rules.csv"
    for path in (paths.html, paths.json, paths.csv, paths.rules_csv):
        assert path.stat().st_size > 0
    # Rebuilding overwrites in place and leaves no temporary files behind.
    build_report(seeded, RUN, tmp_path / "reports")
    assert sorted(p.name for p in folder.iterdir()) == [
        "quarantine.csv",
        "report.html",
        "report.json",
        "rules.csv",
    ]


def test_header_and_inputs(seeded, tmp_path):
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    assert f'<code id="run-id">{RUN}</code>' in html
    assert 'class="badge badge-success" id="status">success</span>' in html
    assert "2026-11-20 09:00:00 UTC" in html and "2026-11-20 09:01:23 UTC" in html
    assert "1 min 23 s" in html
    inputs = table_rows(html, "inputs-table")
    assert inputs == [
        ["crm", "100", "1,000", "2026-11-20T08:59:00+00:00", "incremental"],
        ["erp", "60", "60", "—", "full"],
    ]


def test_rules_show_checked_passed_failed_and_percentage(seeded, tmp_path):
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    rules = table_rows(html, "rules-table")
    assert rules == [
        ["map", "mapping", "credit_limit", "—", "—", "1", "—"],
        ["staged", "email_format", "email", "159", "156", "3", "1.9 %"],
        ["staged", "name_required", "name", "159", "159", "0", "0.0 %"],
        ["golden", "name_required", "name", "120", "120", "0", "0.0 %"],
    ]
    gates = table_rows(html, "gates-table")
    assert gates == [
        ["failure_ratio", "customer", "4 of 160 failed (2.5%, limit 20.0%)", "passed"],
        ["schema_drift", "crm/accounts", "all mapped columns present", "passed"],
    ]
    assert "the stage does not count the records it checked" in html


def test_values_from_the_store_are_escaped(seeded, tmp_path):
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<img" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&#x27;&quot;&amp;" in html
    assert "HTTP 422: &lt;img src=x onerror=alert(1)&gt;" in html
    assert "ACME &lt;b&gt;GmbH&lt;/b&gt;" in html
    # The parsed page has no element that a value could have injected.
    parser = DomTable("none")
    parser.feed(html)
    assert not {"script", "img", "b", "iframe"} & set(parser.elements)
    rows = table_rows(html, "quarantine-table")
    assert [rows[1][5], rows[1][6]] == [HOSTILE, HOSTILE]


def test_quarantine_lists_this_run_and_counts_older_open_entries(seeded, tmp_path):
    paths = build_report(seeded, RUN, tmp_path)
    html = paths.html.read_text(encoding="utf-8")
    rows = table_rows(html, "quarantine-table")
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("crm", "C-1", "gate", "email_format", "email"),
        ("crm", "C-2", "gate", "email_format", "email"),
        ("crm", "C-3", "gate", "email_format", "email"),
        ("erp", "E-7", "map", "mappable", "credit_limit"),
    ]
    assert rows[0][5] == "j***@@x.de"
    # C-9 from the earlier run is still held; C-8 was released.
    assert "1 older quarantine entry from earlier runs still open" in html
    with paths.csv.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [line["source_id"] for line in lines] == ["C-1", "C-2", "C-3", "E-7"]
    assert lines[1]["value"] == HOSTILE
    assert lines[2]["value"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert {line["run_id"] for line in lines} == {RUN}


def test_merges_show_members_with_score_and_reason_weakest_first(seeded, tmp_path):
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    rows = table_rows(html, "merges-table")
    assert rows[0] == [
        "GC-1",
        "ACME <b>GmbH</b>",
        "create",
        "erp/customer/E-1 new",
        "1.000",
        "tax_id equal; name 1.00",
    ]
    assert rows[1] == [
        "crm/customer/C-10 new",
        "0.812",
        "email domain equal; name <0.81>",
    ]
    # New records that joined an existing golden record in this run are listed too.
    assert rows[2] == ["GC-5", "Joined AG", "link", "crm/customer/C-20", "—", "—"]
    assert rows[3] == ["erp/customer/E-20 new", "0.910", "phone equal; name 0.91"]
    assert rows[4][:4] == ["GC-2", "Ja****oe", "merge", "crm/customer/C-11 new"]
    assert rows[5][0] == "erp/customer/E-2"  # linked in an earlier run
    assert len(rows) == 6  # GC-3 has a single member: not a merge
    assert "created 2 golden records, merged 1, split 0 and retired 1" in html


def test_lineage_masks_personal_values_unless_unmasked(seeded, tmp_path):
    masked = build_report(seeded, RUN, tmp_path / "masked")
    html = masked.html.read_text(encoding="utf-8")
    rows = table_rows(html, "lineage-table")
    gc1 = rows[: next(i for i, r in enumerate(rows) if i and r[0].startswith("GC-"))]
    by_field = {r[-4]: r[-3:] for r in gc1}
    assert by_field["email"] == ["i***@acme.de", "crm/customer/C-10", "source priority"]
    assert by_field["phone"][0] == "+4**********67"
    assert by_field["bill_to.street"][0] == mask("Hauptstrasse 5") == "Ha********** 5"
    assert by_field["bill_to.city"] == ["Berlin", "erp/customer/E-1", "most recent"]
    assert by_field["credit_limit.amount"][0] == "50000.00"
    assert by_field["owners"][0] == "a***@example.com"
    body = html + masked.json.read_text(encoding="utf-8")
    for secret in ("info@acme.de", "Hauptstrasse", "jane@doe.org", "Jane Doe", "anna.berg"):
        assert secret not in body
    # Only golden records whose latest change was this run (GC-3 changed earlier).
    assert {r[0] for r in rows if r[0].startswith("GC-")} == {"GC-1", "GC-2"}
    clear = build_report(seeded, RUN, tmp_path / "clear", unmasked=True)
    clear_html = clear.html.read_text(encoding="utf-8")
    assert "info@acme.de" in clear_html and "Hauptstrasse 5" in clear_html
    assert "Jane Doe" in clear_html


def test_pushes_and_failed_outbox_items(seeded, tmp_path):
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    assert table_rows(html, "pushes-table") == [
        ["crm", "1", "2", "0", "0", "yes"],
        ["erp", "0", "1", "1", "1", "yes"],
    ]
    assert table_rows(html, "failed-pushes-table") == [
        ["erp", "update", "GC-2", "E-2", "failed", "HTTP 422: <img src=x onerror=alert(1)>"]
    ]


def test_staleness_uses_the_configured_days(seeded, tmp_path):
    now = T0 + timedelta(days=10)
    report = collect_report(seeded, RUN, now=now)
    assert report.staleness.count == 1  # GC-3; the retired GC-4 does not count
    (stale,) = report.staleness.oldest
    assert (stale.golden_id, stale.name, stale.age_days) == ("GC-3", "Solo Ltd", 410)
    assert collect_report(seeded, RUN, now=now, stale_after_days=500).staleness.count == 0
    assert collect_report(seeded, RUN, now=now, stale_after_days=5).staleness.count == 4
    html = build_report(seeded, RUN, tmp_path, stale_after_days=5000).html.read_text("utf-8")
    assert "No golden record is older than 5,000 days." in html


def test_trend_covers_runs_of_the_entity_up_to_this_one(seeded, tmp_path):
    report = collect_report(seeded, RUN)
    assert [(p.run_id, p.pulled, p.quarantined, p.golden_records) for p in report.trend] == [
        (EARLIER, 140, 5, 110),
        (RUN, 160, 7, 120),
    ]
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="trend"' in html
    assert html.count("<polyline") == 3
    assert "Records pulled" in html and "Golden records" in html


def test_chart_with_a_single_run_and_with_zeros():
    point = TrendPoint("r1", T0, "blocked", 0, 0, 0)
    svg = trend_svg([point])
    assert svg.count("<circle") == 3 and "<polyline" not in svg
    assert 'fill="#ffffff"' in svg  # a blocked run is drawn hollow
    assert trend_svg([]) == ""
    assert nice_ticks(784) == [0, 200, 400, 600, 800]
    assert nice_ticks(0) == [0.0, 1.0]
    assert nice_ticks(3)[-1] >= 3


def test_json_has_the_same_content_machine_readable(seeded, tmp_path):
    data = json.loads(build_report(seeded, RUN, tmp_path).json.read_text(encoding="utf-8"))
    assert data["format"] == "crmsync-audit-report" and data["version"] == 1
    assert data["header"]["run_id"] == RUN
    assert data["header"]["started_at"] == "2026-11-20T09:00:00+00:00"
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    assert [i["system"] for i in data["inputs"]] == ["crm", "erp"]
    email = next(r for r in data["rules"] if r["rule"] == "email_format")
    assert (email["checked"], email["passed"], email["failed"]) == (159, 156, 3)
    assert email["failure_pct"] == pytest.approx(100 * 3 / 159)
    assert data["batch_gates"][0]["decision"] == "passed"
    assert len(data["quarantine"]) == 4 and data["older_open_quarantine"] == 1
    assert data["merges"]["total"] == 3
    assert data["merges"]["items"][0]["members"][1]["score"] == pytest.approx(0.8125)
    assert data["lineage"]["total"] == 2
    assert data["failed_pushes"]["items"][0]["error"].startswith("HTTP 422")
    assert data["staleness"]["after_days"] == 180
    assert [p["run_id"] for p in data["trend"]] == [EARLIER, RUN]


def test_rules_csv(seeded, tmp_path):
    paths = build_report(seeded, RUN, tmp_path)
    with paths.rules_csv.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(r["stage"], r["rule"], r["failed"]) for r in lines] == [
        ("map", "mapping", "1"),
        ("staged", "email_format", "3"),
        ("staged", "name_required", "0"),
        ("golden", "name_required", "0"),
        ("batch", "failure_ratio", "0"),
        ("batch", "schema_drift", "0"),
    ]
    assert lines[1]["failure_pct"] == "1.89"


def test_long_lists_are_capped_with_the_total_stated(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(collect_module, "MERGE_CAP", 1)
    monkeypatch.setattr(collect_module, "LINEAGE_CAP", 1)
    report = collect_report(seeded, RUN)
    assert (len(report.merges.items), report.merges.total) == (1, 3)
    assert (len(report.lineage.items), report.lineage.total) == (1, 2)
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    assert "Showing 1 of 3; 2 more are not listed." in html
    assert "Showing 1 of 2; 1 more are not listed." in html


def test_empty_sections_say_so(store, tmp_path):
    with store.begin() as c:
        c.execute(
            runs.insert().values(
                run_id="customer-blocked",
                entity="customer",
                started_at=T0,
                finished_at=T0 + timedelta(seconds=2),
                status="blocked",
                cause="customer: 30 of 100 changed records failed quality rules\n(30.0% > 20.0%)",
                summary={"pulled": {}, "quarantined": {}, "golden_records": 0, "targets": {}},
            )
        )
    html = build_report(store, "customer-blocked", tmp_path).html.read_text(encoding="utf-8")
    for message in (
        "No source was pulled in this run.",
        "No rule results were recorded for this run.",
        "No records quarantined in this run.",
        "No older quarantine entries are still open.",
        "No golden record in this run combines more than one source record.",
        "No golden record was created or changed in this run.",
        "No targets configured.",
        "No golden record is older than 180 days.",
        "No Great Expectations Data Docs were given for this report.",
    ):
        assert message in html, message
    assert 'class="badge badge-blocked" id="status">blocked</span>' in html
    # The cause is shown on one line, and the gate table says the batch was blocked.
    assert "failed quality rules (30.0% &gt; 20.0%)" in html
    assert table_rows(html, "gates-table")[0][-1] == "blocked"


def test_rules_fall_back_to_the_quarantine_when_not_logged(seeded, tmp_path):
    with seeded.begin() as c:
        c.execute(rule_results.delete())
        c.execute(pull_log.delete())
    report = collect_report(seeded, RUN)
    assert not report.rules_logged and not report.inputs_logged
    assert [(r.stage, r.rule, r.column, r.checked, r.failed) for r in report.rules] == [
        ("gate", "email_format", "email", None, 3),
        ("map", "mappable", "credit_limit", None, 1),
    ]
    assert [(i.system, i.pulled) for i in report.inputs] == [("crm", 100), ("erp", 60)]
    assert [g.decision for g in report.batch_gates] == ["passed"]
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    assert "failures are counted from its quarantine entries" in html
    assert "counts come from the run summary" in html


def test_data_docs_link_is_relative(seeded, tmp_path):
    docs = tmp_path / "gx" / "data_docs" / "local_site"
    docs.mkdir(parents=True)
    paths = build_report(seeded, RUN, tmp_path / "reports", data_docs=docs)
    html = paths.html.read_text(encoding="utf-8")
    assert 'href="../../gx/data_docs/local_site/index.html"' in html
    assert (paths.html.parent / "../../gx/data_docs/local_site").resolve() == docs.resolve()
    assert str(tmp_path) not in html  # no absolute paths of this machine


def test_latest_run_id(seeded):
    assert latest_run_id(seeded) == OTHER_ENTITY
    assert latest_run_id(seeded, "customer") == RUN
    assert latest_run_id(seeded, "contact") is None
    with seeded.begin() as c:
        c.execute(
            runs.insert().values(
                run_id="customer-running",
                entity="customer",
                started_at=T0 + timedelta(hours=1),
                status="running",
            )
        )
    assert latest_run_id(seeded, "customer") == RUN  # a run still going has no report yet


def test_unknown_run_and_unsafe_run_id(seeded, tmp_path):
    with pytest.raises(RunNotFoundError, match="no run 'nope'"):
        build_report(seeded, "nope", tmp_path / "out")
    with pytest.raises(ValueError, match="cannot name a report folder"):
        build_report(seeded, "../evil", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_safe_cell_keeps_numbers_and_text():
    assert safe_cell("-12.50") == "-12.50"
    assert safe_cell("+49 30 1234") == "'+49 30 1234"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("ACME") == "ACME"
    assert safe_cell(None) is None and safe_cell(7) == 7


@pytest.fixture(scope="module")
def sandbox_run(tmp_path_factory):
    """A real sync of the small sandbox, run twice (the second run changes nothing)."""
    from sync.context import SyncContext
    from sync.runner import run_entity
    from tests.sync.sandbox_setup import write_sandbox_config

    folder = tmp_path_factory.mktemp("report-sandbox")
    ctx = SyncContext.open(write_sandbox_config(folder, companies=80))
    first = run_entity(ctx, "customer")
    second = run_entity(ctx, "customer")
    yield ctx, first, second
    ctx.close()


def test_report_of_a_real_run_agrees_with_the_store(sandbox_run, tmp_path):
    ctx, first, second = sandbox_run
    assert latest_run_id(ctx.engine, "customer") == second["run_id"]
    paths = build_report(ctx.engine, first["run_id"], tmp_path)
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["header"]["status"] == "success"
    assert {i["system"]: i["pulled"] for i in data["inputs"]} == first["pulled"]
    with ctx.engine.connect() as c:
        held = c.execute(
            select(func.count()).where(quarantine.c.run_id == first["run_id"])
        ).scalar_one()
        events = c.execute(
            select(match_events.c.members).where(
                match_events.c.run_id == first["run_id"],
                match_events.c.event.in_(("create", "merge")),
            )
        ).all()
    assert held > 0 and len(data["quarantine"]) == held
    assert data["merges"]["total"] == sum(1 for (m,) in events if len(m) > 1) > 0
    assert {
        p["target"]: {k: p[k] for k in ("created", "updated", "unchanged")} for p in data["pushes"]
    } == first["targets"]
    assert data["lineage"]["total"] > 0
    rule_names = {r["rule"] for r in data["rules"]}
    assert {"name_required", "email_format"} <= rule_names
    html = paths.html.read_text(encoding="utf-8")
    assert len(table_rows(html, "quarantine-table")) == held
    # Every member score shown comes from the cross-references.
    scores = [m["score"] for g in data["merges"]["items"] for m in g["members"]]
    assert all(s is None or 0 <= s <= 1 for s in scores)


def test_report_of_a_no_change_run(sandbox_run, tmp_path):
    ctx, first, second = sandbox_run
    paths = build_report(ctx.engine, second["run_id"], tmp_path)
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["lineage"]["total"] == 0
    assert [p["run_id"] for p in data["trend"]] == [first["run_id"], second["run_id"]]
    assert all(p["created"] == 0 and p["updated"] == 0 for p in data["pushes"])
    html = paths.html.read_text(encoding="utf-8")
    assert "No golden record was created or changed in this run." in html
    assert Path(paths.csv).exists()


def test_a_blocked_run_names_the_gate_that_stopped_it(seeded, tmp_path):
    cause = "row_count_collapse (crm/customer): source holds 10 records, 1000 at the last good run"
    with seeded.begin() as c:
        c.execute(runs.update().where(runs.c.run_id == RUN).values(status="blocked", cause=cause))
        c.execute(
            rule_results.insert().values(
                run_id=RUN,
                entity="customer",
                stage="batch",
                rule="row_count_collapse",
                column="crm/customer",
                checked=1,
                failed=1,
                detail="source holds 10 records, 1000 at the last good run",
                created_at=T0,
            )
        )
    html = build_report(seeded, RUN, tmp_path).html.read_text(encoding="utf-8")
    gates = table_rows(html, "gates-table")
    assert [g[0] for g in gates if g[-1] == "blocked"] == ["row_count_collapse"]
    assert f"The batch gate stopped the run: {cause}. Nothing was pushed" in html
    assert 'class="badge badge-blocked" id="status">blocked</span>' in html


@pytest.fixture
def postgres_store():
    """A migrated store in a fresh PostgreSQL database, dropped afterwards."""
    import psycopg

    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        need_service("PostgreSQL on 127.0.0.1:5432", str(exc).splitlines()[0])
    name = f"crmsync_report_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')  # a generated identifier, not user input
    engine = open_store(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_the_report_reads_the_same_from_postgres(seeded, postgres_store):
    seed(postgres_store)
    now = T0 + timedelta(days=200)
    on_sqlite = report_to_dict(collect_report(seeded, RUN, now=now))
    on_postgres = report_to_dict(collect_report(postgres_store, RUN, now=now))
    assert on_postgres == on_sqlite
    assert on_postgres["staleness"]["count"] == 4


def test_a_long_quarantine_is_capped_on_the_page_but_complete_in_the_files(
    seeded, tmp_path, monkeypatch
):
    monkeypatch.setattr(render_html_module, "QUARANTINE_SHOWN", 2)
    paths = build_report(seeded, RUN, tmp_path)
    html = paths.html.read_text(encoding="utf-8")
    assert len(table_rows(html, "quarantine-table")) == 2
    assert "Showing the first 2 of 4 entries; all of them are in the CSV and JSON files." in html
    assert len(json.loads(paths.json.read_text(encoding="utf-8"))["quarantine"]) == 4
    assert len(paths.csv.read_text(encoding="utf-8-sig").splitlines()) == 5
