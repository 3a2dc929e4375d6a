"""Property tests: malformed and hostile source rows through pull, map, gate and publish.

Rows are written into a real SQLite source table (the sandbox CRM's ``accounts``) with
wrong types (numbers, floats incl. NaN/inf, blobs where text belongs), missing values,
huge strings, control characters, SQL and HTML meta-characters and odd Unicode. Pulled
through the SQL connector and mapped, every row either maps with its text intact or is
held with the field and a reason; nothing else is raised, and no value is ever executed.
End to end, bad rows land in quarantine and never reach a target, while hostile but valid
text (``'); DROP TABLE …``) arrives in the other system byte for byte, as data.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.base import PullWindow
from connectors.sql import SqlConnector, SqlConnectorConfig
from mappings.engine import MappingError, map_inbound
from mappings.loader import PACKAGED_MAPPINGS, find_mapping
from mappings.models import Customer
from store.golden import load_xrefs
from store.schema import quarantine
from sync.context import SyncContext
from sync.runner import run_entity
from sync.sandbox.schema import CRM_SCHEMA
from tests.sync.sandbox_setup import write_sandbox_config

MAPPING = find_mapping([PACKAGED_MAPPINGS], "sandbox_crm", "customer")

META = [
    "Robert'); DROP TABLE accounts;--",
    "1' OR '1'='1",
    '"; DELETE FROM customer_master; --',
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "O'Brien & Söhne <GmbH>",
    "%s %d {0} ${HOME} $(id) `id`",
    "\\x00 \\n NULL None null",
]
ODD_UNICODE = [
    "Ｆｕｌｌ－ｗｉｄｔｈ 株式会社",
    "مرحبا شركة",  # right-to-left
    "e\u0301\u0301\u0301 combining",
    "zero\u200bwidth\u200djoiner",
    "👩‍👩‍👧‍👦 family",
    "\u202eRTL override",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙",
]
CONTROL = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=8)
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
HOSTILE_TEXT = st.one_of(
    st.sampled_from(META),
    st.sampled_from(ODD_UNICODE),
    ANY_TEXT,
    st.tuples(ANY_TEXT, CONTROL, ANY_TEXT).map("".join),
    st.integers(10_001, 40_000).map(lambda n: "W" * n),  # past the model's 10 000 chars
)
WRONG_TYPE = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=40),
    st.none(),
)
COLUMNS = [
    "account_name",
    "account_type",
    "website",
    "email",
    "phone",
    "tax_number",
    "billing_street",
    "billing_city",
    "billing_postal_code",
    "billing_country",
    "credit_limit",
    "currency_code",
    "payment_terms",
    "owner_email",
]


@st.composite
def hostile_row(draw: st.DrawFn) -> dict[str, Any]:
    """One accounts row: each column hostile text, a wrong type, or missing."""
    row: dict[str, Any] = {}
    for column in COLUMNS:
        if draw(st.booleans()):
            row[column] = draw(st.one_of(HOSTILE_TEXT, WRONG_TYPE))
    row["account_type"] = draw(
        st.one_of(st.sampled_from(["Company", "Person"]), HOSTILE_TEXT, WRONG_TYPE)
    )
    if row["account_type"] is None:  # NOT NULL in the schema: the database refuses it
        row["account_type"] = "Company"
    return row


def _insert(db: Path, rows: list[dict[str, Any]], stamp: str) -> list[str]:
    ids = []
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM accounts")
        for n, row in enumerate(rows):
            account_id = f"ACC-H{n:05d}"
            ids.append(account_id)
            values = {**row, "account_id": account_id, "created_at": stamp, "modified_at": stamp}
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            conn.execute(
                f"INSERT INTO accounts ({columns}) VALUES ({marks})", list(values.values())
            )  # noqa: S608
    return ids


@pytest.fixture(scope="module")
def source_db() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="crmsync-hostile-"))
    db = folder / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(CRM_SCHEMA)
    yield db
    shutil.rmtree(folder, ignore_errors=True)


def _expected_text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(hostile_row(), min_size=1, max_size=8))
def test_pull_and_map_hold_bad_rows_with_a_reason_and_keep_the_rest_intact(source_db, rows):
    ids = _insert(source_db, rows, "2026-01-01T00:00:00+00:00")
    connector = SqlConnector("sandbox_crm", SqlConnectorConfig(url=f"sqlite:///{source_db}"))
    try:
        pulled = list(connector.pull(MAPPING, PullWindow(None)))
    finally:
        connector.close()
    assert sorted(r.source_id for r in pulled) == ids
    for record in pulled:
        row = rows[ids.index(record.source_id)]
        assert record.payload["account_id"] == record.source_id
        try:
            customer = map_inbound(MAPPING, record.source_id, record.payload)
        except MappingError as exc:
            assert exc.field and exc.reason  # held with the field and why
            continue
        assert isinstance(customer, Customer)
        # What maps keeps its text exactly (stripped), meta-characters and all.
        # (SQLite's TEXT affinity stores a number written to a text column as text: the
        # expectation is the value as the source holds it.)
        assert customer.name == _expected_text(record.payload.get("account_name"))
        assert customer.email == _expected_text(record.payload.get("email"))
        assert customer.bill_to.city == _expected_text(record.payload.get("billing_city"))
        if isinstance(row.get("account_name"), str):
            assert record.payload["account_name"] == row["account_name"]  # arrived intact
    # Nothing was executed: the table and its rows are all still there.
    with sqlite3.connect(source_db) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == len(rows)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"accounts", "contacts"} <= tables


@pytest.fixture(scope="module")
def synced_template() -> Iterator[Path]:
    """A sandbox synced once; each example works on a copy of it."""
    folder = Path(tempfile.mkdtemp(prefix="crmsync-hostile-e2e-"))
    config = write_sandbox_config(folder, companies=40)
    ctx = SyncContext.open(config)
    try:
        assert run_entity(ctx, "customer")["status"] == "success"
    finally:
        ctx.close()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


BAD_ROWS: list[tuple[str, dict[str, Any]]] = [
    ("credit_limit", {"credit_limit": "twelve thousand"}),
    ("credit_limit", {"credit_limit": "-5000"}),
    ("kind", {"account_type": "Alien"}),
    ("name", {"account_name": "H" * 20_000}),
    ("name", {"account_name": None}),
    ("email", {"email": "not-an-email@@example"}),
    ("bill_to.country", {"billing_country": "Atlantis"}),
]
VALID_NAME = st.one_of(
    st.sampled_from(META + ODD_UNICODE),
    st.text(
        st.characters(categories=["L", "N", "P", "S"], exclude_characters="\x85"),
        min_size=3,
        max_size=30,
    ),
).filter(lambda s: s == " ".join(s.split()) and len(s) <= 35 and s.strip("'\"") == s)


def _base_row(n: int, stamp: str) -> dict[str, Any]:
    return {
        "account_type": "Company",
        "email": f"hostile{n}@example.org",
        "billing_country": "DE",
        "currency_code": "EUR",
        "created_at": stamp,
        "modified_at": stamp,
    }


@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # a failing run is minutes: report, not shrink
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(names=st.lists(VALID_NAME, min_size=2, max_size=4, unique=True))
def test_bad_rows_are_quarantined_and_never_pushed_hostile_text_arrives_as_data(
    synced_template, names
):
    folder = Path(tempfile.mkdtemp(prefix="crmsync-hostile-run-"))
    try:
        shutil.copytree(synced_template, folder, dirs_exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        rows = []
        for n, (_field, bad) in enumerate(BAD_ROWS):
            rows.append({**_base_row(n, stamp), "account_name": f"Bad Row {n} AG", **bad})
        for n, name in enumerate(names, start=len(rows)):
            rows.append({**_base_row(n, stamp), "account_name": name})
        ids = []
        with sqlite3.connect(folder / "sandbox" / "crm.db") as conn:
            for n, row in enumerate(rows):
                account_id = f"ACC-H{n:05d}"
                ids.append(account_id)
                values = {**row, "account_id": account_id}
                columns = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                conn.execute(
                    f"INSERT INTO accounts ({columns}) VALUES ({marks})",  # noqa: S608
                    list(values.values()),
                )
        ctx = SyncContext.open(folder / "crmsync.yaml")
        try:
            summary = run_entity(ctx, "customer")
            with ctx.engine.connect() as c:
                held = {
                    r.source_id: r
                    for r in c.execute(
                        select(quarantine).where(
                            quarantine.c.system == "sandbox_crm",
                            quarantine.c.released_run.is_(None),
                        )
                    )
                }
                xrefs = load_xrefs(c, "customer")
        finally:
            ctx.close()
        assert summary["status"] == "success"
        bad_ids = ids[: len(BAD_ROWS)]
        for account_id, (field, _bad) in zip(bad_ids, BAD_ROWS, strict=True):
            assert account_id in held, f"{field} row {account_id} not quarantined"
            assert held[account_id].reason
            assert ("sandbox_crm", account_id) not in xrefs  # never matched, never pushed
        with sqlite3.connect(folder / "sandbox" / "erp.db") as conn:
            erp_names = [r[0] for r in conn.execute("SELECT name1 FROM customer_master")]
            erp_tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        with sqlite3.connect(folder / "sandbox" / "crm.db") as conn:
            crm_tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            crm_rows = dict(
                conn.execute(
                    "SELECT account_id, account_name FROM accounts WHERE account_id LIKE 'ACC-H%'"
                ).fetchall()
            )
        assert {"customer_master"} <= erp_tables and {"accounts", "contacts"} <= crm_tables
        assert not any(n and n.startswith("Bad Row") for n in erp_names)  # nothing bad pushed
        for account_id, name in zip(ids[len(BAD_ROWS) :], names, strict=True):
            assert ("sandbox_crm", account_id) in xrefs
            assert crm_rows[account_id] == name  # the source record kept its name
            assert name in erp_names, f"{name!r} did not arrive intact in the ERP"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
