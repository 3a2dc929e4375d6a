"""Tests of the suite files and their loader."""

from __future__ import annotations

import json
import shutil

import pytest

from quality.suites import (
    SUITES_DIR,
    SuiteConfigError,
    available_suites,
    load_suite,
    read_suite,
    refresh_value_sets,
    suite_path,
    value_sets,
    write_suite,
)

EXPECTED_SUITES = [
    ("contact", "golden"),
    ("contact", "staged"),
    ("cost", "staged"),
    ("customer", "golden"),
    ("customer", "staged"),
    ("order", "staged"),
    ("order_line", "staged"),
    ("product", "golden"),
    ("product", "staged"),
]


def test_every_entity_and_stage_has_a_suite_file():
    assert available_suites() == EXPECTED_SUITES


@pytest.mark.parametrize(("entity", "stage"), EXPECTED_SUITES)
def test_suite_loads_with_gx_and_keeps_every_expectation(entity, stage):
    data = read_suite(entity, stage)
    suite = load_suite(entity, stage)
    assert suite.name == f"{entity}.{stage}"
    assert len(suite.expectations) == len(data["expectations"])
    for expectation in data["expectations"]:
        assert expectation["meta"]["rule"] and expectation["meta"]["reason"]
        assert "mostly" not in expectation["kwargs"]


def _rules(entity: str, stage: str) -> set[tuple[str, str | None]]:
    found = set()
    for item in read_suite(entity, stage)["expectations"]:
        kwargs = item["kwargs"]
        found.add((item["meta"]["rule"], kwargs.get("column") or kwargs.get("column_A")))
    return found


# The walking skeleton's hand-written rules, which the suites replaced: the names and
# fields stay, so quarantine history keeps meaning the same thing.
SKELETON_RULES = {
    "customer": [
        ("name_required", "name"),
        ("email_format", "email"),
        ("currency_iso4217", "currency"),
        ("currency_iso4217", "credit_limit.currency"),
        ("amount_non_negative", "credit_limit.amount"),
        ("country_iso3166", "bill_to.country"),
        ("country_iso3166", "ship_to.country"),
    ],
    "contact": [("name_required", "last_name"), ("email_format", "email")],
    "product": [
        ("name_required", "name"),
        ("price_non_negative", "list_price.amount"),
        ("price_non_negative", "cost_price.amount"),
        ("currency_iso4217", "list_price.currency"),
        ("currency_iso4217", "cost_price.currency"),
    ],
}


@pytest.mark.parametrize("entity", sorted(SKELETON_RULES))
def test_suites_keep_the_skeleton_rule_names_on_the_same_fields(entity):
    rules = _rules(entity, "staged")
    for rule in SKELETON_RULES[entity]:
        assert rule in rules


def test_rule_names_per_suite():
    assert {rule for rule, _ in _rules("customer", "staged")} == {
        "source_key_unique",
        "name_required",
        "email_format",
        "phone_format",
        "country_iso3166",
        "currency_iso4217",
        "amount_non_negative",
        "tax_id_checksum",
    }
    assert {rule for rule, _ in _rules("customer", "golden")} == (
        {rule for rule, _ in _rules("customer", "staged")} - {"source_key_unique"}
    ) | {"golden_id_unique"}
    assert {rule for rule, _ in _rules("order_line", "staged")} >= {
        "quantity_positive",
        "price_non_negative",
        "product_known",
        "line_amount_arithmetic",
    }
    assert {"order_total_arithmetic", "customer_known"} <= {r for r, _ in _rules("order", "staged")}
    assert {"order_known", "amount_non_negative"} <= {r for r, _ in _rules("cost", "staged")}
    assert "customer_known" in {r for r, _ in _rules("contact", "staged")}


def test_packaged_value_sets_are_current():
    assert refresh_value_sets() == []
    assert "DE" in value_sets()["countries"] and "EUR" in value_sets()["currencies"]


def test_refresh_value_sets_rewrites_stale_code_lists(tmp_path):
    path = tmp_path / "customer.staged.json"
    data = read_suite("customer", "staged")
    for item in data["expectations"]:
        if item["meta"]["rule"] == "country_iso3166":
            item["kwargs"]["value_set"] = ["DE"]
    write_suite(path, data)
    assert refresh_value_sets([path]) == [path]
    reread = read_suite("customer", "staged", tmp_path)
    countries = [
        e["kwargs"]["value_set"]
        for e in reread["expectations"]
        if e["meta"]["rule"] == "country_iso3166"
    ]
    assert countries and all(c == value_sets()["countries"] for c in countries)
    assert refresh_value_sets([path]) == []


def test_written_suite_reads_back_identically(tmp_path):
    data = read_suite("order", "staged")
    write_suite(tmp_path / "order.staged.json", data)
    assert json.loads((tmp_path / "order.staged.json").read_text()) == data


def _broken_copy(tmp_path, change):
    shutil.copy(suite_path("contact", "staged"), tmp_path / "contact.staged.json")
    data = read_suite("contact", "staged", tmp_path)
    change(data["expectations"])
    write_suite(tmp_path / "contact.staged.json", data)


def test_every_problem_of_a_suite_file_is_listed_with_its_key(tmp_path):
    def change(expectations):
        del expectations[1]["meta"]["rule"]
        expectations[2]["kwargs"]["mostly"] = 0.9
        expectations[3]["meta"]["reason"] = ""

    _broken_copy(tmp_path, change)
    with pytest.raises(SuiteConfigError) as error:
        read_suite("contact", "staged", tmp_path)
    message = str(error.value)
    assert "expectations[1].meta.rule" in message
    assert "expectations[2].kwargs.mostly" in message
    assert "expectations[3].meta.reason" in message


def test_gx_rejections_are_raised_not_dropped(tmp_path):
    def change(expectations):
        expectations[1]["type"] = "expect_column_values_to_be_nice"
        expectations[2]["kwargs"]["column"] = 42

    _broken_copy(tmp_path, change)
    with pytest.raises(SuiteConfigError) as error:
        load_suite("contact", "staged", tmp_path)
    message = str(error.value)
    assert "expectations[1] (expect_column_values_to_be_nice)" in message
    assert "expectations[2] (expect_column_values_to_match_regex)" in message


def test_unreadable_and_missing_suites(tmp_path):
    (tmp_path / "cost.staged.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SuiteConfigError, match="cannot read"):
        read_suite("cost", "staged", tmp_path)
    with pytest.raises(FileNotFoundError):
        read_suite("cost", "golden")


def test_suites_dir_is_the_package_folder():
    assert suite_path("customer", "staged") == SUITES_DIR / "customer.staged.json"
