"""Tests of dedupe.matcher on small hand-made records."""

from __future__ import annotations

from decimal import Decimal

from dedupe.matcher import (
    MatchOptions,
    MatchResult,
    match_contacts,
    match_customers,
    match_products,
)
from mappings.models import Address, Contact, Customer, CustomerKind, Money, Product, SourceRef


def _customer(system: str, source_id: str, name: str, **fields: object) -> Customer:
    source = SourceRef(system=system, entity="customer", source_id=source_id)
    return Customer.model_validate({"source": source, "name": name, **fields})


def _product(system: str, source_id: str, **fields: object) -> Product:
    source = SourceRef(system=system, entity="product", source_id=source_id)
    return Product.model_validate({"source": source, **fields})


def _together(result: MatchResult, *keys: str) -> bool:
    return any(set(keys) <= set(cluster) for cluster in result.clusters)


def test_result_shape_every_key_once() -> None:
    records = [
        _customer("crm", "2", "Beta Ltd", bill_to=Address(city="Leeds")),
        _customer("crm", "1", "Acme GmbH", tax_id="DE1"),
        _customer("erp", "1", "ACME G.m.b.H.", tax_id="de 1"),
    ]
    result = match_customers(records)
    assert result.clusters == [["crm/customer/1", "erp/customer/1"], ["crm/customer/2"]]
    assert [(p.left, p.right) for p in result.pairs] == [("crm/customer/1", "erp/customer/1")]
    assert result.pairs[0].reason.startswith("tax_id equal")
    assert 0.0 <= result.pairs[0].score <= 1.0
    assert result.candidate_pairs >= 1


def test_empty_input() -> None:
    for result in (match_customers([]), match_products([])):
        assert (result.clusters, result.pairs, result.review, result.candidate_pairs) == (
            [],
            [],
            [],
            0,
        )


def test_fuzzy_name_needs_a_corroborating_field() -> None:
    berlin = Address(city="Berlin", postcode="10115")
    records = [
        _customer("crm", "1", "Acme International Tools Ltd", bill_to=berlin),
        _customer("erp", "1", "ACME Intl. Tools Limited", bill_to=berlin),
        _customer("erp", "2", "Acme International Tools", bill_to=Address(city="Paris")),
    ]
    result = match_customers(records)
    assert _together(result, "crm/customer/1", "erp/customer/1")
    assert ["erp/customer/2"] in result.clusters


def test_cjk_legal_forms_and_full_width() -> None:
    records = [
        _customer("crm", "1", "华为技术（上海）有限公司", phone="+86 21 1234 5678"),
        _customer("erp", "1", "华为技术有限公司", phone="021-12345678"),
    ]
    assert _together(match_customers(records), "crm/customer/1", "erp/customer/1")


def test_different_tax_ids_never_match() -> None:
    records = [
        _customer("crm", "1", "Acme GmbH", tax_id="DE1", email="a@acme.de"),
        _customer("erp", "1", "Acme GmbH", tax_id="DE2", email="a@acme.de"),
    ]
    assert match_customers(records).pairs == []


def test_person_never_matches_company() -> None:
    records = [
        _customer("crm", "1", "Jane Doe", kind=CustomerKind.PERSON, email="jane@doe.io"),
        _customer("erp", "1", "Jane Doe", kind=CustomerKind.COMPANY, email="jane@doe.io"),
    ]
    assert match_customers(records).pairs == []


def test_persons_match_on_name_and_phone() -> None:
    records = [
        _customer("crm", "1", "Jane Doe", kind=CustomerKind.PERSON, phone="+44 20 7946 0958"),
        _customer("erp", "1", "Doe, Jane", kind=CustomerKind.PERSON, phone="020 7946 0958"),
        _customer("erp", "2", "Jane Doe", kind=CustomerKind.PERSON, phone="020 7000 0000"),
    ]
    result = match_customers(records)
    assert _together(result, "crm/customer/1", "erp/customer/1")
    assert ["erp/customer/2"] in result.clusters


def test_branch_and_head_office_never_merge() -> None:
    hamburg = Address(city="Hamburg", postcode="20095")
    records = [
        _customer("crm", "HQ", "Acme GmbH", tax_id="DE1", bill_to=hamburg),
        _customer("crm", "BR", "Acme GmbH", tax_id="DE1", parent_source_id="HQ", bill_to=hamburg),
    ]
    assert match_customers(records).pairs == []


def test_sites_of_one_company_stay_apart_but_same_site_matches() -> None:
    records = [
        _customer("crm", "1", "Acme GmbH - Werk Hamburg", tax_id="DE1", parent_source_id="0"),
        _customer("crm", "2", "Acme GmbH - Werk Bremen", tax_id="DE1", parent_source_id="0"),
        _customer("erp", "1", "ACME GmbH Werk Hamburg", tax_id="DE1", parent_source_id="9"),
    ]
    result = match_customers(records)
    assert _together(result, "crm/customer/1", "erp/customer/1")
    assert ["crm/customer/2"] in result.clusters


def test_same_name_different_parent_in_one_system() -> None:
    records = [
        _customer("erp", "1", "Acme Store", parent_source_id="A", email="x@acme.de"),
        _customer("erp", "2", "Acme Store", parent_source_id="B", email="x@acme.de"),
    ]
    assert match_customers(records).pairs == []


def test_matching_is_deterministic_and_order_free() -> None:
    records = [
        _customer("crm", str(i), f"Company {i % 3} GmbH", bill_to=Address(city="Berlin"))
        for i in range(9)
    ]
    first = match_customers(records)
    assert match_customers(list(reversed(records))).clusters == first.clusters
    assert match_customers(records) == first


def test_products_match_on_code_despite_format() -> None:
    records = [
        _product("crm", "P1", code="100042", name="Hex Bolt HB-8", spec="M8 x 40"),
        _product("erp", "M-100042", code="M-100042", name="HEX BOLT HB-8", spec="M8x40"),
        _product("erp", "M-100043", code="M-100043", name="Hex Bolt HB-8", spec="M8x50"),
    ]
    result = match_products(records)
    assert result.clusters == [
        ["crm/product/P1", "erp/product/M-100042"],
        ["erp/product/M-100043"],
    ]
    assert result.pairs[0].reason.startswith("code equal")


def test_products_with_different_model_numbers_never_match() -> None:
    records = [
        _product("crm", "P1", name="Pressure gauge PG-627", spec="0-40 bar, 4-20 mA"),
        _product("erp", "M1", code="M-1", name="Pressure gauge PG-705", spec="0-40 bar, 4-20 mA"),
    ]
    assert match_products(records).pairs == []


def test_product_duplicate_under_a_new_code() -> None:
    records = [
        _product("erp", "M-100009", code="M-100009", name="Bearing PB-793", spec="60×122×12mm"),
        _product("erp", "M-900001", code="M-900001", name="BEARING PB-793", spec="60x122x12 mm"),
    ]
    result = match_products(records)
    assert result.clusters == [["erp/product/M-100009", "erp/product/M-900001"]]
    assert result.pairs[0].reason.startswith("name and spec equal")


def test_products_without_code_need_equal_spec() -> None:
    price = Money(amount=Decimal("1.00"), currency="EUR")
    records = [
        _product("crm", "P1", name="Hex Bolt", spec="M8 x 40", category="Fasteners"),
        _product(
            "erp", "X1", name="Hex Bolt", spec="M8x40", category="fasteners", list_price=price
        ),
        _product("erp", "X2", name="Hex Bolt", spec="M8x50", category="fasteners"),
    ]
    result = match_products(records)
    assert _together(result, "crm/product/P1", "erp/product/X1")
    assert ["erp/product/X2"] in result.clusters


def test_steward_merge_and_reject_override_the_rules() -> None:
    records = [
        _customer("crm", "1", "Acme GmbH", tax_id="DE1"),
        _customer("erp", "1", "ACME GmbH", tax_id="DE1"),
        _customer("erp", "2", "Zeta Handel KG"),
    ]
    options = MatchOptions(
        must_link=[("crm/customer/1", "erp/customer/2")],
        cannot_link=[("crm/customer/1", "erp/customer/1")],
    )
    result = match_customers(records, options)
    assert _together(result, "crm/customer/1", "erp/customer/2")
    assert not _together(result, "crm/customer/1", "erp/customer/1")
    assert [p.reason for p in result.pairs] == ["steward merge"]


def test_a_rejection_also_stops_chains() -> None:
    records = [
        _customer("crm", "1", "Acme GmbH", tax_id="DE1"),
        _customer("erp", "1", "ACME GmbH", tax_id="DE1"),
        _customer("erp", "2", "Acme GmbH", tax_id="DE1"),
    ]
    options = MatchOptions(cannot_link=[("erp/customer/1", "erp/customer/2")])
    result = match_customers(records, options)
    assert not _together(result, "erp/customer/1", "erp/customer/2")
    assert sum(len(cluster) for cluster in result.clusters) == 3


def _contact(source_id: str, account: str, first: str, last: str, **fields: object) -> Contact:
    source = SourceRef(system="crm", entity="contact", source_id=source_id)
    return Contact.model_validate(
        {
            "source": source,
            "customer_source_id": account,
            "first_name": first,
            "last_name": last,
            **fields,
        }
    )


def test_contacts_match_within_their_golden_customer_only() -> None:
    records = [
        _contact("1", "A1", "Anna", "Becker", email="anna.becker@acme.de", phone="040 1234 56"),
        _contact(
            "2", "A2", "A.", "Becker", email="ANNA.BECKER@ACME.DE", address=Address(city="Kiel")
        ),
        _contact("3", "A1", "Anna", "Beckert", phone="040 1234 56"),
        _contact("4", "B1", "Anna", "Becker", email="anna.becker@acme.de"),
        _contact("5", "A1", "Jonas", "Becker", email="jonas.becker@acme.de"),
    ]
    # A1 and A2 are two records of one golden customer; B1 is another company.
    customer_of = {
        "crm/contact/1": "GC-A",
        "crm/contact/2": "GC-A",
        "crm/contact/3": "GC-A",
        "crm/contact/4": "GC-B",
        "crm/contact/5": "GC-A",
    }
    result = match_contacts(records, customer_of)
    assert _together(result, "crm/contact/1", "crm/contact/2", "crm/contact/3")
    assert ["crm/contact/4"] in result.clusters
    assert ["crm/contact/5"] in result.clusters
