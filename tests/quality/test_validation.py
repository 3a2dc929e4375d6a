"""Tests of the GX validation layer: every rule fails on a bad value and passes on good
and missing optional ones; references, order arithmetic, schema drift, golden suites."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from mappings.models import Address, Contact, Cost, Customer, Money, Order, Product, SourceRef
from quality.expectations import tax_id_is_valid
from quality.suites import write_suite
from quality.validation import RowFailure, SuiteOutcome, SuiteRunError, validate_records


def _source(entity: str, source_id: str) -> SourceRef:
    return SourceRef(system="crm", entity=entity, source_id=source_id)


def customer(**changes: Any) -> dict[str, Any]:
    record = Customer(
        source=_source("customer", "C1"),
        name="Acme GmbH",
        tax_id="DE136695976",
        email="info@acme.de",
        phone="+49 40 1234567",
        bill_to=Address(street="Hauptstr. 1", city="Hamburg", country="DE"),
        ship_to=Address(country="DE"),
        credit_limit=Money(amount=Decimal("1000.00"), currency="EUR"),
        currency="EUR",
    ).model_dump(mode="json")
    return _changed(record, changes)


def contact(**changes: Any) -> dict[str, Any]:
    record = Contact(
        source=_source("contact", "K1"),
        customer_source_id="C1",
        first_name="Jane",
        last_name="Doe",
        email="jane.doe@acme.de",
        phone="040 1234567",
        address=Address(country="DE"),
    ).model_dump(mode="json")
    return _changed(record, changes)


def product(**changes: Any) -> dict[str, Any]:
    record = Product(
        source=_source("product", "P1"),
        code="M-1",
        name="Pump",
        list_price=Money(amount=Decimal("60.50"), currency="EUR"),
        cost_price=Money(amount=Decimal("30"), currency="EUR"),
    ).model_dump(mode="json")
    return _changed(record, changes)


def order(**changes: Any) -> dict[str, Any]:
    line = {"product_source_id": "P1", "unit_price": Money(amount=Decimal("10"), currency="EUR")}
    record = Order(
        source=_source("order", "O1"),
        customer_source_id="C1",
        currency="EUR",
        total=Money(amount=Decimal("95.00"), currency="EUR"),
        lines=(
            {
                **line,
                "line_no": 1,
                "quantity": Decimal(5),
                "amount": {"amount": "50", "currency": "EUR"},
            },
            {
                **line,
                "line_no": 2,
                "quantity": Decimal(5),
                "discount": Decimal(5),
                "amount": {"amount": "45.00", "currency": "EUR"},
            },
        ),
    ).model_dump(mode="json")
    return _changed(record, changes)


def cost(**changes: Any) -> dict[str, Any]:
    record = Cost(
        source=_source("cost", "X1"),
        order_source_id="O1",
        cost_type="material",
        amount=Money(amount=Decimal("12.50"), currency="EUR"),
    ).model_dump(mode="json")
    return _changed(record, changes)


def _changed(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``{"bill_to__country": "XX"}``-style changes (``__`` is a dot) to a copy."""
    record = copy.deepcopy(record)
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        target = record
        for part in parents:
            if target.get(part) is None:
                target[part] = {}
            target = target[part]
        target[leaf] = value
    return record


BUILDERS = {
    "customer": customer,
    "contact": contact,
    "product": product,
    "order": order,
    "cost": cost,
}
KNOWN = {
    "customer": {("crm", "C1")},
    "product": {("crm", "P1")},
    "order": {("crm", "O1")},
}


def _run(entity: str, records: list[dict[str, Any]], stage: str = "staged", **kw: Any):
    system = "golden" if stage == "golden" else "crm"
    rows = [(system, f"R{n}", r) for n, r in enumerate(records)]
    return validate_records(entity, stage, rows, **kw)


def _rules(outcome: SuiteOutcome) -> set[tuple[str, str | None]]:
    return {(f.rule, f.column) for f in outcome.failures}


@pytest.mark.parametrize("entity", ["customer", "contact", "product", "order", "cost"])
def test_good_record_passes_every_rule(entity):
    outcome = _run(entity, [BUILDERS[entity]()], references=KNOWN)
    assert outcome.failures == []
    assert outcome.missing_columns == []
    assert all(o.checked >= 1 and o.failed == 0 for o in outcome.outcomes)


Case = tuple[dict[str, Any], str, str]
"""A bad-value case: changes to a good record, the rule and column that must fail."""

CUSTOMER_CASES: list[Case] = [
    ({"name": None}, "name_required", "name"),
    ({"name": ""}, "name_required", "name"),
    ({"name": "   "}, "name_required", "name"),
    ({"email": "info@@acme.de"}, "email_format", "email"),
    ({"email": "acme.de"}, "email_format", "email"),
    ({"phone": "n/a"}, "phone_format", "phone"),
    ({"phone": "12-34"}, "phone_format", "phone"),
    ({"bill_to__country": "XX"}, "country_iso3166", "bill_to.country"),
    ({"ship_to__country": "Germany"}, "country_iso3166", "ship_to.country"),
    ({"currency": "EURO"}, "currency_iso4217", "currency"),
    ({"credit_limit__currency": "XXY"}, "currency_iso4217", "credit_limit.currency"),
    ({"credit_limit__amount": "-1.00"}, "amount_non_negative", "credit_limit.amount"),
    ({"tax_id": "DE12345"}, "tax_id_checksum", "tax_id"),
    ({"tax_id": "FR-ABC"}, "tax_id_checksum", "tax_id"),
]


def _by_row(outcome: SuiteOutcome) -> dict[str, list[RowFailure]]:
    rows: dict[str, list[RowFailure]] = {}
    for failure in outcome.failures:
        rows.setdefault(failure.source_id, []).append(failure)
    return rows


@cache
def _batch(entity: str, stage: str = "staged") -> dict[str, list[RowFailure]]:
    """Validate a good record (``R0``) and every bad case of ``entity`` in one GX run."""
    build = BUILDERS[entity]
    records = [build()] + [build(**changes) for changes, _, _ in CASES[entity]]
    return _by_row(_run(entity, records, stage, references=KNOWN))


def _case(entity: str, case: tuple[Any, ...], stage: str = "staged") -> list[RowFailure]:
    found = _batch(entity, stage)
    assert "R0" not in found  # the good record passes beside the bad ones
    return found.get(f"R{CASES[entity].index(case) + 1}", [])


@pytest.mark.parametrize("stage", ["staged", "golden"])
@pytest.mark.parametrize(("changes", "rule", "column"), CUSTOMER_CASES)
def test_customer_rule_fails_on_bad_value(stage, changes, rule, column):
    (failure,) = _case("customer", (changes, rule, column), stage)
    assert (failure.rule, failure.column) == (rule, column)
    assert failure.system == ("golden" if stage == "golden" else "crm")
    expected = changes[column.replace(".", "__")]
    assert failure.value == (expected if str(expected).strip() else None)


OPTIONAL_MISSING: list[dict[str, Any]] = [
    {"email": None},
    {"email": ""},
    {"phone": None},
    {"tax_id": None},
    {"credit_limit": None},
    {"currency": None},
    {"bill_to__country": None},
    {"ship_to": None},
    {"tax_id": "ZZ123", "bill_to__country": None},  # no country: not judged
]


def test_missing_optional_values_never_fail():
    records = [customer(**changes) for changes in OPTIONAL_MISSING]
    assert _run("customer", records).failures == []


def test_failure_value_is_raw_and_json_ready():
    outcome = _run("customer", [customer(credit_limit__amount="-250.50")])
    (failure,) = outcome.failures
    assert failure == RowFailure(
        "crm",
        "R0",
        "amount_non_negative",
        "credit_limit.amount",
        "-250.50",
        "credit limit is negative",
    )
    json.dumps([f.__dict__ for f in outcome.failures])


def test_outcomes_count_checked_and_failed_per_expectation():
    records = [customer(), customer(email="bad"), customer(email="worse@"), customer(email=None)]
    outcome = _run("customer", records)
    email = [o for o in outcome.outcomes if o.rule == "email_format"]
    assert [(o.column, o.checked, o.failed) for o in email] == [("email", 4, 2)]
    assert len(outcome.outcomes) == 10
    assert {o.stage for o in outcome.outcomes} == {"staged"}


PHONES = [
    "030 5652486",
    "+49 511 5706 004",
    "+441132180926",
    "+1 213-898-1710",
    "+31 (0)20 4205842",
    "0121-8304032",
    "0044 141 3464214",
    "(404) 973-5508",
    "03 32 83 75 32",
    "04.38.74.92.97",
    "+33 (0)5 65 41 87 43",
    "0033 5 24 51 85 74",
    "001 313 956 2889",
    "+86 186 41524851",
    "+49 40 123456 ext. 12",
    "0711/123456",
]


def test_phone_rule_accepts_realistic_formats():
    outcome = _run("customer", [customer(phone=p) for p in PHONES])
    assert outcome.failures == []


@pytest.mark.parametrize(
    ("value", "country", "strict", "valid"),
    [
        ("DE136695976", "DE", True, True),
        ("de 136.695.976", "DE", True, True),
        ("136695976", "DE", True, True),
        ("DE136695977", "DE", True, False),
        ("DE136695977", "DE", False, True),  # tolerant: wrong check digit accepted
        ("DE13669597", "DE", False, False),  # still a wrong length
        ("ATU13585627", "DE", True, True),  # a foreign EU VAT id, valid for Austria
        ("anything", "XX", True, True),  # no stdnum module: not judged
        ("anything", None, True, True),
        (None, "DE", True, True),
    ],
)
def test_tax_id_is_valid(value, country, strict, valid):
    assert tax_id_is_valid(value, country, strict) is valid


CONTACT_CASES: list[Case] = [
    ({"last_name": None}, "name_required", "last_name"),
    ({"last_name": " "}, "name_required", "last_name"),
    ({"email": "jane@"}, "email_format", "email"),
    ({"phone": "call me"}, "phone_format", "phone"),
    ({"address__country": "D"}, "country_iso3166", "address.country"),
    ({"customer_source_id": "C404"}, "customer_known", "customer_source_id"),
]


@pytest.mark.parametrize(("changes", "rule", "column"), CONTACT_CASES)
def test_contact_rule_fails_on_bad_value(changes, rule, column):
    failures = _case("contact", (changes, rule, column))
    assert [(f.rule, f.column) for f in failures] == [(rule, column)]


PRODUCT_CASES: list[Case] = [
    ({"name": None}, "name_required", "name"),
    ({"name": ""}, "name_required", "name"),
    ({"list_price__amount": "-5"}, "price_non_negative", "list_price.amount"),
    ({"cost_price__amount": "-0.01"}, "price_non_negative", "cost_price.amount"),
    ({"list_price__currency": "XYZ"}, "currency_iso4217", "list_price.currency"),
    ({"cost_price__currency": "DOLLAR"}, "currency_iso4217", "cost_price.currency"),
]


@pytest.mark.parametrize("stage", ["staged", "golden"])
@pytest.mark.parametrize(("changes", "rule", "column"), PRODUCT_CASES)
def test_product_rule_fails_on_bad_value(stage, changes, rule, column):
    failures = _case("product", (changes, rule, column), stage)
    assert [(f.rule, f.column) for f in failures] == [(rule, column)]


def test_product_without_prices_passes():
    assert _run("product", [product(list_price=None, cost_price=None)]).failures == []


COST_CASES: list[Case] = [
    ({"order_source_id": None}, "order_required", "order_source_id"),
    ({"amount": None}, "amount_required", "amount.amount"),
    ({"amount__amount": "-3"}, "amount_non_negative", "amount.amount"),
    ({"amount__currency": "EURO"}, "currency_iso4217", "amount.currency"),
    ({"order_source_id": "O404"}, "order_known", "order_source_id"),
]


@pytest.mark.parametrize(("changes", "rule", "column"), COST_CASES)
def test_cost_rule_fails_on_bad_value(changes, rule, column):
    failures = _case("cost", (changes, rule, column))
    assert [(f.rule, f.column) for f in failures] == [(rule, column)]


CASES: dict[str, list[Case]] = {
    "customer": CUSTOMER_CASES,
    "contact": CONTACT_CASES,
    "product": PRODUCT_CASES,
    "cost": COST_CASES,
}


def _with_line(record: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    record["lines"][index] = _changed(record["lines"][index], changes)
    return record


ORDER_CASES = [
    (lambda: order(customer_source_id=None), "customer_required", "customer_source_id"),
    (lambda: order(customer_source_id="C404"), "customer_known", "customer_source_id"),
    (lambda: order(currency="EURO"), "currency_iso4217", "currency"),
    (lambda: order(total__amount="-95"), "amount_non_negative", "total.amount"),
    (lambda: order(total__amount="110.00"), "order_total_arithmetic", "total.amount"),
    (lambda: order(total__amount="95.02"), "order_total_arithmetic", "total.amount"),
    (
        lambda: _with_line(order(), 1, quantity="0", amount=None),
        "quantity_positive",
        "lines.quantity",
    ),
    (
        lambda: _with_line(order(), 0, unit_price__amount="-10", amount=None),
        "price_non_negative",
        "lines.unit_price.amount",
    ),
    (
        lambda: _with_line(order(), 0, unit_price__currency="EURO"),
        "currency_iso4217",
        "lines.unit_price.currency",
    ),
    (
        lambda: _with_line(order(), 0, product_source_id="P404"),
        "product_known",
        "lines.product_source_id",
    ),
]


@cache
def _order_batch() -> dict[str, list[RowFailure]]:
    records = [order()] + [make() for make, _, _ in ORDER_CASES]
    return _by_row(_run("order", records, references=KNOWN))


@pytest.mark.parametrize(
    ("number", "rule", "column"), [(n + 1, r, c) for n, (_, r, c) in enumerate(ORDER_CASES)]
)
def test_order_rule_fails_and_is_reported_against_the_order(number, rule, column):
    found = _order_batch()
    assert "R0" not in found
    failures = found[f"R{number}"]
    assert (rule, column) in {(f.rule, f.column) for f in failures}
    line_failures = [f for f in failures if f.column and f.column.startswith("lines.")]
    assert all(f.reason.startswith("line ") for f in line_failures)


def test_line_amount_arithmetic_names_the_line():
    bad = _with_line(order(total__amount="96.00"), 1, amount={"amount": "46.00", "currency": "EUR"})
    outcome = _run("order", [bad], references=KNOWN)
    assert _rules(outcome) == {("line_amount_arithmetic", "lines.amount.amount")}
    (failure,) = outcome.failures
    assert failure.value == "46.00"
    assert failure.reason.startswith("line 2: ")


def test_order_total_within_tolerance_passes():
    assert _run("order", [order(total__amount="95.01")], references=KNOWN).failures == []
    assert _run("order", [order(total__amount="94.99")], references=KNOWN).failures == []


def test_order_without_lines_or_line_amounts_is_not_judged_by_arithmetic():
    no_lines = order(lines=[])
    no_amounts = order()
    for line in no_amounts["lines"]:
        line["amount"] = None
    assert _run("order", [no_lines, no_amounts], references=KNOWN).failures == []


def test_duplicate_line_numbers_fail_line_key_uniqueness():
    record = order()
    record["lines"][1]["line_no"] = 1
    outcome = _run("order", [record], references=KNOWN)
    assert ("source_key_unique", "lines.source_id") in _rules(outcome)


def test_order_line_entity_validates_lines_given_directly():
    record = order()["lines"][0]
    rows = [("crm", "O1#1", record), ("crm", "O1#2", {**record, "quantity": "-1", "amount": None})]
    outcome = validate_records("order_line", "staged", rows, {"product": KNOWN["product"]})
    assert [(f.source_id, f.rule) for f in outcome.failures] == [("O1#2", "quantity_positive")]


def test_reference_rules_are_skipped_without_a_reference_set():
    outcome = _run("contact", [contact(customer_source_id="C404")])
    assert outcome.failures == []
    (known,) = [o for o in outcome.outcomes if o.rule == "customer_known"]
    assert (known.checked, known.failed) == (0, 0)
    assert known.detail.startswith("skipped")


def test_reference_rules_match_on_system_and_id():
    # The same id in another system is not a known customer of this one.
    outcome = _run("contact", [contact()], references={"customer": {("erp", "C1")}})
    assert _rules(outcome) == {("customer_known", "customer_source_id")}
    outcome = _run("contact", [contact(customer_source_id=None)], references=KNOWN)
    assert outcome.failures == []


@pytest.mark.parametrize(
    ("stage", "system", "rule"),
    [("staged", "crm", "source_key_unique"), ("golden", "golden", "golden_id_unique")],
)
def test_duplicate_keys_fail_uniqueness(stage, system, rule):
    rows = [(system, "K1", customer()), (system, "K1", customer()), (system, "K2", customer())]
    outcome = validate_records("customer", stage, rows)
    assert [(f.source_id, f.rule, f.value) for f in outcome.failures] == [("K1", rule, "K1")]
    other_system = [("crm", "K1", customer()), ("erp", "K1", customer())]
    assert validate_records("customer", "staged", other_system).failures == []


def test_missing_required_column_is_reported_as_schema_drift():
    records = [{k: v for k, v in customer().items() if k != "name"} for _ in range(3)]
    outcome = _run("customer", records)
    assert outcome.missing_columns == ["name"]
    assert {f.rule for f in outcome.failures} == {"name_required"}
    assert len(outcome.failures) == 3


def test_null_parent_object_is_not_schema_drift():
    assert _run("cost", [cost(amount=None)]).missing_columns == []
    drifted = {k: v for k, v in cost().items() if k != "amount"}
    assert _run("cost", [drifted]).missing_columns == ["amount.amount"]


def test_empty_batch_reports_zero_counts():
    outcome = validate_records("customer", "staged", [])
    assert outcome.failures == [] and outcome.missing_columns == []
    assert all(o.checked == 0 for o in outcome.outcomes)


def test_an_entity_without_a_golden_suite_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        validate_records("contact", "golden", [("golden", "G1", contact())], suites_dir=tmp_path)


def test_an_expectation_gx_cannot_evaluate_raises(tmp_path):
    bad: dict[str, Any] = {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "name", "min_value": 0},  # a number bound on a text column
        "meta": {"rule": "name_range", "reason": "never"},
    }
    write_suite(tmp_path / "product.staged.json", {"name": "product.staged", "expectations": [bad]})
    with pytest.raises(SuiteRunError, match="name_range"):
        validate_records("product", "staged", [("crm", "P1", product())], suites_dir=tmp_path)


def test_importing_the_validation_module_does_not_import_gx():
    import subprocess
    import sys

    code = "import sys, quality.validation; print('great_expectations' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------------------
# The sandbox: every planted defect is caught, good records pass
# --------------------------------------------------------------------------------------

SANDBOX_MAPPINGS = [
    ("sandbox_crm", "customer"),
    ("sandbox_erp", "customer"),
    ("sandbox_crm", "product"),
    ("sandbox_erp", "product"),
    ("sandbox_crm", "contact"),
    ("sandbox_erp", "cost"),
]
DEFECT_RULE = {
    "no_name": "name_required",
    "invalid_email": "email_format",
    "unknown_currency": "currency_iso4217",
    "negative_price": "price_non_negative",
}
# Measured on seed 7, 1200 companies: 0 of 9,759 good records failed a rule (tax id
# checksums verified). Keep the bound tight.
MAX_FALSE_POSITIVE_SHARE = 0.001


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    import csv
    import sqlite3

    from mappings.engine import map_inbound
    from mappings.loader import PACKAGED_MAPPINGS, find_mapping
    from sync.sandbox import seed_sandboxes

    folder = tmp_path_factory.mktemp("sandbox")
    report = seed_sandboxes(folder, companies=1200)
    rows: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for system, entity in SANDBOX_MAPPINGS:
        spec = find_mapping([PACKAGED_MAPPINGS], system, entity)
        path = report.crm_path if system == "sandbox_crm" else report.erp_path
        with sqlite3.connect(path) as connection:
            connection.row_factory = sqlite3.Row
            table = spec.source.table
            records = connection.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
        for record in records:
            key = str(record[spec.source.primary_key])
            canonical = map_inbound(spec, key, dict(record)).model_dump(mode="json")
            rows.setdefault(entity, []).append((system, key, canonical))
    with report.truth_path.open(encoding="utf-8", newline="") as handle:
        truth = {
            (r["system"], r["entity"], r["source_id"]): r["defect"] for r in csv.DictReader(handle)
        }
    return rows, truth


def test_sandbox_defects_caught_and_good_records_pass(sandbox):
    rows, truth = sandbox
    customers = {(s, i) for s, i, _ in rows["customer"]}
    good = false_positives = 0
    for entity in ("customer", "product", "contact", "cost"):
        references = {"customer": customers} if entity == "contact" else None
        outcome = validate_records(entity, "staged", rows[entity], references)
        failed: dict[tuple[str, str], set[str]] = {}
        for failure in outcome.failures:
            failed.setdefault((failure.system, failure.source_id), set()).add(failure.rule)
        for system, source_id, _ in rows[entity]:
            defect = truth.get((system, entity, source_id), "")
            rules = failed.get((system, source_id), set())
            if defect:
                assert DEFECT_RULE[defect] in rules, (system, source_id, defect, rules)
            else:
                good += 1
                false_positives += bool(rules)
    assert good > 7000
    assert false_positives / good <= MAX_FALSE_POSITIVE_SHARE
