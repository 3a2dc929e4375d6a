"""The audit report of a real sandbox run, opened in headless Chromium.

Chromium renders the page (``--dump-dom``) and screenshots it; the test checks what a
reader sees: the quarantine table, the rule counts and the trend chart. Needs the Debian
package ``chromium`` (/usr/bin/chromium).
"""

from __future__ import annotations

import json
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quality.report import build_report
from store.schema import quarantine
from tests.conftest import need_service

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a throw-away profile."""
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class Dom(HTMLParser):
    """Cell texts per table id, and the SVG elements of the rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.table: str | None = None
        self.cell: list[str] | None = None
        self.in_body = False
        self.svg: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.table = attributes.get("id") or ""
            self.tables.setdefault(self.table, [])
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body and self.table is not None:
            self.tables[self.table].append([])
        elif tag == "td" and self.in_body:
            self.cell = []
        elif tag in {"svg", "circle", "polyline", "line"}:
            self.svg.append(f"{tag}.{attributes.get('class') or ''}")

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None and self.table is not None:
            self.tables[self.table][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        self.texts.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The audit report of a real customer sync of the small sandbox."""
    if not CHROMIUM.exists():
        need_service(
            "chromium",
            f"{CHROMIUM} is missing; install the Debian package: apt-get install chromium",
        )
    from sync.context import SyncContext
    from sync.runner import run_entity
    from tests.sync.sandbox_setup import write_sandbox_config

    folder = tmp_path_factory.mktemp("browser-sandbox")
    ctx = SyncContext.open(write_sandbox_config(folder))
    summary = run_entity(ctx, "customer")
    paths = build_report(ctx.engine, summary["run_id"], folder / "reports")
    with ctx.engine.connect() as c:
        held = c.execute(
            select(func.count()).where(quarantine.c.run_id == summary["run_id"])
        ).scalar_one()
    yield paths, summary, held, folder
    ctx.close()


def test_chromium_renders_tables_rules_and_chart(report, tmp_path):
    paths, summary, held, _folder = report
    result = chromium(tmp_path / "profile", "--dump-dom", paths.html.as_uri())
    dom = Dom()
    dom.feed(result.stdout)
    assert summary["run_id"] in result.stdout
    assert "success" in dom.texts
    # The quarantine table lists every entry of the run with rule and reason.
    rows = dom.tables["quarantine-table"]
    assert held > 0 and len(rows) == held
    assert all(len(r) == 7 and r[3] and r[6] for r in rows)
    # Rule counts: every quarantining rule appears with a failed count.
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    expected = {(r["stage"], r["rule"], r["column"] or "—"): r["failed"] for r in data["rules"]}
    shown = {(r[0], r[1], r[2]): int(r[5].replace(",", "")) for r in dom.tables["rules-table"]}
    assert shown == expected and sum(shown.values()) > 0
    quarantine_rules = {r[3] for r in rows}
    assert quarantine_rules <= {rule for _stage, rule, _column in shown}
    # Inputs agree with the run summary.
    pulled = {r[0]: int(r[1].replace(",", "")) for r in dom.tables["inputs-table"]}
    assert pulled == summary["pulled"]
    # The trend chart: three panels, one point each for this first run.
    assert "svg.trend" in dom.svg
    assert dom.svg.count("circle.") == 3
    assert "Records pulled" in dom.texts and "Golden records" in dom.texts


def test_chromium_screenshot_is_a_real_page(report, tmp_path):
    paths, *_ = report
    shot = tmp_path / "report.png"
    chromium(
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1400,2200",
        paths.html.as_uri(),
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 2200)
    assert len(data) > 50_000  # a blank page compresses to a few kilobytes
