"""Tests of the deterministic sandbox CRM/ERP generator (``sync.sandbox``)."""

from __future__ import annotations

import csv
import re
import sqlite3
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from stdnum.cn import uscc
from stdnum.de import vat as de_vat
from stdnum.fr import tva
from stdnum.gb import vat as gb_vat
from stdnum.nl import btw
from stdnum.us import tin

from sync.sandbox import SeedReport, seed_sandboxes
from sync.sandbox.schema import CRM_TABLES, ERP_TABLES

COMPANIES = 200
DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
# The stdnum validator of each generated country's tax id, and whether it takes the id
# with its country prefix (the VAT modules) or without (USCC and US TIN).
TAX_ID_VALIDATORS = {
    "DE": (de_vat.validate, True),
    "GB": (gb_vat.validate, True),
    "FR": (tva.validate, True),
    "NL": (btw.validate, True),
    "CN": (uscc.validate, False),
    "US": (tin.validate, False),
}
PRIMARY_KEYS = {
    ("sandbox_crm", "customer"): ("crm.db", "accounts", "account_id"),
    ("sandbox_crm", "contact"): ("crm.db", "contacts", "contact_id"),
    ("sandbox_crm", "product"): ("crm.db", "products", "product_id"),
    ("sandbox_erp", "customer"): ("erp.db", "customer_master", "kunnr"),
    ("sandbox_erp", "product"): ("erp.db", "material_master", "matnr"),
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> SeedReport:
    """One small seeded sandbox shared by the read-only tests."""
    return seed_sandboxes(tmp_path_factory.mktemp("sandbox"), seed=7, companies=COMPANIES)


def query(path: Path, sql: str, *params: object) -> list[tuple]:
    """Run one query against a sandbox database and return all rows."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def dump(report: SeedReport) -> dict[str, list[tuple]]:
    """Return every table of both databases (ordered) plus the truth file text."""
    tables: dict[str, list[tuple]] = {}
    for path, names in ((report.crm_path, CRM_TABLES), (report.erp_path, ERP_TABLES)):
        for name in names:
            tables[name] = query(path, f"SELECT * FROM {name} ORDER BY 1, 2")
    tables["truth"] = [(report.truth_path.read_text(encoding="utf-8"),)]
    return tables


def truth_rows(report: SeedReport) -> list[dict[str, str]]:
    """Return the rows of ``truth.csv``."""
    with report.truth_path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def entities_per_system(report: SeedReport, entity: str) -> dict[str, Counter[str]]:
    """Count records per entity id, per system, for one kind of entity."""
    counts: dict[str, Counter[str]] = {"sandbox_crm": Counter(), "sandbox_erp": Counter()}
    for row in truth_rows(report):
        if row["entity"] == entity:
            counts[row["system"]][row["entity_id"]] += 1
    return counts


def documented_columns() -> dict[str, list[tuple[str, str, int, int]]]:
    """Build the tables of ``docs/sandbox.md`` in memory and return their columns."""
    blocks = re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    conn = sqlite3.connect(":memory:")
    try:
        for block in blocks:
            conn.executescript(block)
        return table_columns(conn)
    finally:
        conn.close()


def table_columns(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str, int, int]]]:
    """Return (name, type, not null, primary key position) of every column per table."""
    names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {
        name: [(c[1], c[2], c[3], c[5]) for c in conn.execute(f"PRAGMA table_info({name})")]
        for name in names
    }


def test_same_seed_gives_identical_tables(tmp_path: Path) -> None:
    first = seed_sandboxes(tmp_path / "a", seed=11, companies=60)
    second = seed_sandboxes(tmp_path / "b", seed=11, companies=60)
    assert dump(first) == dump(second)


def test_other_seed_gives_other_tables(tmp_path: Path) -> None:
    first = dump(seed_sandboxes(tmp_path / "a", seed=11, companies=60))
    second = dump(seed_sandboxes(tmp_path / "b", seed=12, companies=60))
    assert first["accounts"] != second["accounts"]
    assert first["products"] != second["products"]
    assert first["truth"] != second["truth"]


def test_schemas_match_the_documentation(sandbox: SeedReport) -> None:
    documented = documented_columns()
    generated = {}
    for path in (sandbox.crm_path, sandbox.erp_path):
        conn = sqlite3.connect(path)
        try:
            generated.update(table_columns(conn))
        finally:
            conn.close()
    assert set(documented) == set(CRM_TABLES) | set(ERP_TABLES)
    assert generated == documented


def test_report_counts_match_tables(sandbox: SeedReport) -> None:
    for path, system, names in (
        (sandbox.crm_path, "sandbox_crm", CRM_TABLES),
        (sandbox.erp_path, "sandbox_erp", ERP_TABLES),
    ):
        for name in names:
            (count,) = query(path, f"SELECT COUNT(*) FROM {name}")[0]
            assert sandbox.counts[system][name] == count


def test_counts_are_plausible(sandbox: SeedReport) -> None:
    crm, erp = sandbox.counts["sandbox_crm"], sandbox.counts["sandbox_erp"]
    assert 1.3 * COMPANIES <= crm["accounts"] <= 2.0 * COMPANIES
    assert 0.75 * COMPANIES <= erp["customer_master"] <= 1.3 * COMPANIES
    assert 1.8 * COMPANIES <= crm["contacts"] <= 4.0 * COMPANIES
    assert COMPANIES / 3 * 0.9 <= crm["products"] <= COMPANIES / 3 * 1.15
    assert COMPANIES / 3 * 0.85 <= erp["material_master"] <= COMPANIES / 3 * 1.1
    assert crm["opportunities"] == round(COMPANIES * 1.25)
    assert crm["opportunity_lines"] >= crm["opportunities"]
    assert erp["sales_orders"] == COMPANIES
    assert erp["sales_order_items"] >= erp["sales_orders"]
    assert erp["order_costs"] >= erp["sales_orders"] // 2


def test_truth_and_records_match_one_to_one(sandbox: SeedReport) -> None:
    by_table: dict[tuple[str, str], set[str]] = {}
    for row in truth_rows(sandbox):
        key = (row["system"], row["entity"])
        assert key in PRIMARY_KEYS
        ids = by_table.setdefault(key, set())
        assert row["source_id"] not in ids, f"duplicate truth row {row}"
        ids.add(row["source_id"])
    assert set(by_table) == set(PRIMARY_KEYS)
    folder = sandbox.crm_path.parent
    for key, (database, table, column) in PRIMARY_KEYS.items():
        stored = {row[0] for row in query(folder / database, f"SELECT {column} FROM {table}")}
        assert stored == by_table[key], key


def test_entity_ids_have_their_documented_shape(sandbox: SeedReport) -> None:
    prefixes = {"customer": "C", "contact": "K", "product": "P"}
    for row in truth_rows(sandbox):
        assert re.fullmatch(prefixes[row["entity"]] + r"\d{5}", row["entity_id"]), row


def test_customers_are_duplicated_within_crm_and_across_systems(sandbox: SeedReport) -> None:
    counts = entities_per_system(sandbox, "customer")
    crm, erp = counts["sandbox_crm"], counts["sandbox_erp"]
    duplicated_in_crm = sum(1 for n in crm.values() if n > 1)
    assert 0.15 * len(crm) <= duplicated_in_crm <= 0.35 * len(crm)
    assert sum(1 for n in erp.values() if n > 1) >= 0.04 * len(erp)
    in_both = set(crm) & set(erp)
    assert 0.55 * len(crm) <= len(in_both) <= 0.85 * len(crm)
    assert set(erp) - set(crm), "some customers exist in the ERP only"
    assert set(crm) - set(erp), "some customers exist in the CRM only"


def test_contacts_and_products_have_duplicates(sandbox: SeedReport) -> None:
    contacts = entities_per_system(sandbox, "contact")["sandbox_crm"]
    assert sum(1 for n in contacts.values() if n > 1) >= 0.05 * len(contacts)
    products = entities_per_system(sandbox, "product")
    crm, erp = products["sandbox_crm"], products["sandbox_erp"]
    assert len(set(crm) & set(erp)) >= 0.85 * len(crm)
    assert set(crm) - set(erp) and set(erp) - set(crm)


def test_same_product_name_with_different_spec_is_another_entity(sandbox: SeedReport) -> None:
    truth = {
        row["source_id"]: row["entity_id"]
        for row in truth_rows(sandbox)
        if row["system"] == "sandbox_erp" and row["entity"] == "product"
    }
    rows = query(sandbox.erp_path, "SELECT matnr, maktx FROM material_master")
    entities_by_name: dict[str, set[str]] = {}
    for matnr, name in rows:
        if name:
            entities_by_name.setdefault(name.upper(), set()).add(truth[matnr])
    assert sum(1 for ids in entities_by_name.values() if len(ids) > 1) >= 2


def test_crm_skus_share_material_numbers_with_format_noise(sandbox: SeedReport) -> None:
    skus = [row[0] for row in query(sandbox.crm_path, "SELECT sku FROM products")]
    assert any(sku is None for sku in skus)
    assert any(sku and re.fullmatch(r"M-\d{6}", sku) for sku in skus)
    assert any(sku and re.fullmatch(r"M\d{6}|m-?\d{6}| M-\d{6} ", sku) for sku in skus)
    matnrs = {row[0] for row in query(sandbox.erp_path, "SELECT matnr FROM material_master")}
    normalized = {re.sub(r"\D", "", sku) for sku in skus if sku}
    assert len(normalized & {re.sub(r"\D", "", m) for m in matnrs}) >= 0.8 * len(normalized)


def test_every_defect_kind_is_planted(sandbox: SeedReport) -> None:
    defects = {
        (row["system"], row["entity"], row["defect"])
        for row in truth_rows(sandbox)
        if row["defect"]
    }
    for system in ("sandbox_crm", "sandbox_erp"):
        for defect in ("no_name", "invalid_email", "unknown_currency"):
            assert (system, "customer", defect) in defects
        for defect in ("no_name", "negative_price", "unknown_currency"):
            assert (system, "product", defect) in defects


def test_defects_show_in_the_records(sandbox: SeedReport) -> None:
    columns = {
        ("sandbox_crm", "customer"): ("account_name", "email", "currency_code", None),
        ("sandbox_erp", "customer"): ("name1", "smtp_addr", "waers", None),
        ("sandbox_crm", "product"): ("product_name", None, "currency_code", "unit_price"),
        ("sandbox_erp", "product"): ("maktx", None, "waers", "kbetr"),
    }
    folder = sandbox.crm_path.parent
    for row in truth_rows(sandbox):
        key = (row["system"], row["entity"])
        if not row["defect"] or key not in columns:
            continue
        database, table, pk = PRIMARY_KEYS[key]
        name_col, email_col, currency_col, price_col = columns[key]
        wanted = {
            "no_name": name_col,
            "invalid_email": email_col,
            "unknown_currency": currency_col,
            "negative_price": price_col,
        }[row["defect"]]
        assert wanted is not None, row
        (value,) = query(
            folder / database, f"SELECT {wanted} FROM {table} WHERE {pk} = ?", row["source_id"]
        )[0]
        if row["defect"] == "no_name":
            assert not value
        elif row["defect"] == "invalid_email":
            assert not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value or "")
        elif row["defect"] == "unknown_currency":
            assert value not in {"EUR", "GBP", "USD", "CNY"}
        else:
            assert Decimal(value) < 0


def test_defects_are_rare(sandbox: SeedReport) -> None:
    rows = truth_rows(sandbox)
    bad = Counter((r["system"], r["entity"]) for r in rows if r["defect"])
    total = Counter((r["system"], r["entity"]) for r in rows)
    for key, count in bad.items():
        assert count <= max(4, 0.06 * total[key]), key


def test_chinese_names_use_full_width_characters(sandbox: SeedReport) -> None:
    names = [
        row[0] or ""
        for row in query(
            sandbox.crm_path, "SELECT account_name FROM accounts WHERE billing_country = 'CN'"
        )
    ]
    assert any(FULL_WIDTH.search(name) for name in names)
    assert any("（" in name for name in names)
    assert any("有限公司" in name for name in names)
    assert any(name.endswith("股份有限公司") for name in names)


def test_branch_hierarchy_resolves_within_each_system(sandbox: SeedReport) -> None:
    truth = {
        (row["system"], row["source_id"]): row["entity_id"]
        for row in truth_rows(sandbox)
        if row["entity"] == "customer"
    }
    for system, path, sql in (
        (
            "sandbox_crm",
            sandbox.crm_path,
            "SELECT b.account_id, p.account_id FROM accounts b "
            "LEFT JOIN accounts p ON p.account_id = b.parent_account_id "
            "WHERE b.parent_account_id IS NOT NULL",
        ),
        (
            "sandbox_erp",
            sandbox.erp_path,
            "SELECT b.kunnr, p.kunnr FROM customer_master b "
            "LEFT JOIN customer_master p ON p.kunnr = b.hkunnr WHERE b.hkunnr IS NOT NULL",
        ),
    ):
        pairs = query(path, sql)
        assert pairs, f"no branches in {system}"
        for branch, parent in pairs:
            assert parent is not None, f"{system}: dangling parent of {branch}"
            assert truth[(system, branch)] != truth[(system, parent)]


def test_foreign_keys_resolve(sandbox: SeedReport) -> None:
    for path in (sandbox.crm_path, sandbox.erp_path):
        assert query(path, "PRAGMA foreign_key_check") == []


def test_order_arithmetic_is_consistent_for_most_orders(sandbox: SeedReport) -> None:
    items = query(
        sandbox.erp_path, "SELECT vbeln, kwmeng, netpr, rabatt, netwr FROM sales_order_items"
    )
    totals: dict[str, Decimal] = {}
    for vbeln, quantity, price, discount, net in items:
        assert Decimal(quantity) * Decimal(price) - Decimal(discount) == Decimal(net)
        totals[vbeln] = totals.get(vbeln, Decimal(0)) + Decimal(net)
    headers = query(sandbox.erp_path, "SELECT vbeln, netwr FROM sales_orders")
    wrong = [vbeln for vbeln, net in headers if Decimal(net) != totals[vbeln]]
    assert 0 < len(wrong) <= 0.02 * len(headers)


def test_opportunity_amounts_add_up(sandbox: SeedReport) -> None:
    lines = query(
        sandbox.crm_path,
        "SELECT opportunity_id, quantity, unit_price, discount, total_price FROM opportunity_lines",
    )
    totals: dict[str, Decimal] = {}
    for deal, quantity, price, discount, total in lines:
        gross = Decimal(quantity) * Decimal(price)
        discount_amount = gross * Decimal(discount) / 100
        expected = gross - discount_amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert Decimal(total) == expected
        totals[deal] = totals.get(deal, Decimal(0)) + Decimal(total)
    for deal, amount in query(sandbox.crm_path, "SELECT opportunity_id, amount FROM opportunities"):
        assert Decimal(amount) == totals[deal]


def test_orders_reference_won_opportunities(sandbox: SeedReport) -> None:
    stages = dict(query(sandbox.crm_path, "SELECT opportunity_id, stage FROM opportunities"))
    references = [row[0] for row in query(sandbox.erp_path, "SELECT bstnk FROM sales_orders")]
    deal_refs = [ref for ref in references if ref and ref.startswith("OPP-")]
    assert deal_refs
    assert all(stages[ref] == "Closed Won" for ref in deal_refs)


def test_timestamps_are_2025_and_some_are_tied(sandbox: SeedReport) -> None:
    stamps = query(sandbox.crm_path, "SELECT created_at, modified_at FROM accounts")
    assert all(created <= modified for created, modified in stamps)
    assert all(created.startswith("2025-") and created.endswith("+00:00") for created, _ in stamps)
    modified = Counter(m for _, m in stamps)
    assert any(count > 1 for count in modified.values())
    assert query(
        sandbox.erp_path, "SELECT COUNT(*) FROM customer_master WHERE mdm_golden_id IS NOT NULL"
    ) == [(0,)]
    flagged = query(sandbox.erp_path, "SELECT COUNT(*) FROM customer_master WHERE loevm = 1")
    assert 0 < flagged[0][0] <= 0.02 * sandbox.counts["sandbox_erp"]["customer_master"]


def test_tax_ids_pass_their_country_checksum(sandbox: SeedReport) -> None:
    rows = query(sandbox.crm_path, "SELECT tax_number, billing_country FROM accounts")
    rows += query(sandbox.erp_path, "SELECT stceg, land1 FROM customer_master")
    judged: Counter[str] = Counter()
    noisy = 0
    for raw, country in rows:
        if raw is None:
            continue
        tax_id = re.sub(r"[ .]", "", raw).upper()
        noisy += tax_id != raw
        if not tax_id.startswith(country):
            tax_id = country + tax_id
        validate, with_prefix = TAX_ID_VALIDATORS[country]
        validate(tax_id if with_prefix else tax_id[2:])  # raises on a wrong check digit
        judged[country] += 1
    assert set(judged) == set(TAX_ID_VALIDATORS)
    # The format noise (spaces, dots, lower case, missing prefix) is still there.
    assert noisy > 0


def test_existing_files_are_kept_without_overwrite(tmp_path: Path) -> None:
    seed_sandboxes(tmp_path, seed=3, companies=30)
    before = (tmp_path / "truth.csv").read_bytes()
    with pytest.raises(FileExistsError):
        seed_sandboxes(tmp_path, seed=4, companies=30)
    assert (tmp_path / "truth.csv").read_bytes() == before
    report = seed_sandboxes(tmp_path, seed=4, companies=30, overwrite=True)
    assert report.truth_path.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db", "erp.db", "truth.csv"]
