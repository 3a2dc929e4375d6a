"""Tests of dedupe.standardize."""

from __future__ import annotations

import pytest

from dedupe import standardize as std


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ACME GmbH & Co. KG", "acme"),
        ("Acme Gesellschaft mit beschränkter Haftung", "acme"),
        ("Acme Intl. Mfg. Co., Ltd.", "acme international manufacturing"),
        ("Société Générale S.A.", "societe generale"),
        ("Acme B.V.", "acme"),
        ("Acme N.V.", "acme"),
        ("Acme SARL", "acme"),
        ("Acme Incorporated", "acme"),
        ("The Acme Corp.", "acme"),
        ("Smith & Sons LLC", "smith and sons"),
        ("Acme (Beijing) Co., Ltd.", "acme"),
        ("ＡＣＭＥ　Ｃｏｒｐ．", "acme"),
        ("华为技术（上海）有限公司", "华为技术"),
        ("华为技术股份有限公司", "华为技术"),
        ("海尔集团有限公司", "海尔"),
        ("中兴通讯有限责任公司", "中兴通讯"),
        ("GmbH", "gmbh"),
        ("", ""),
        (None, ""),
    ],
)
def test_company_name(raw: str | None, expected: str) -> None:
    assert std.company_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme GmbH", ""),
        ("Acme GmbH - Werk Hamburg", "hamburg werk"),
        ("Acme Hamburg Branch", "branch hamburg"),
        ("Acme Ltd (Plant 2)", "2 plant"),
        ("华为上海分公司", "上海分公司"),
    ],
)
def test_site_suffix(raw: str, expected: str) -> None:
    assert std.site_suffix(raw) == expected


def test_person_name_reorders_and_drops_titles() -> None:
    assert std.person_name("Dr. Müller, Hans") == "hans muller"
    assert std.person_name("Ms Jane  DOE") == "jane doe"


def test_email_and_domain() -> None:
    assert std.email("  Foo@Acme.DE ") == "foo@acme.de"
    assert std.email("mailto:a@b.io") == "a@b.io"
    assert std.email("not-an-email") == ""
    assert std.email_domain("x@acme.de") == "acme.de"
    assert std.email_domain("someone@gmail.com") == ""


def test_website_domain() -> None:
    assert std.website_domain("https://www.Acme.de/contact?x=1") == "acme.de"
    assert std.website_domain("acme") == ""


def test_phone_digits_keeps_subscriber_part() -> None:
    assert std.phone_digits("+49 (30) 1234-5678") == std.phone_digits("030 12345678")
    assert std.phone_digits("12-34") == ""


def test_ids_and_codes() -> None:
    assert std.tax_id("de 123.456.789") == "DE123456789"
    assert std.postcode("sw1a 1aa") == "SW1A1AA"
    assert std.product_code(" m-100042 ") == "M100042"
    assert std.product_code("Ｍ－１０００４２") == "M100042"


def test_spec_is_format_and_order_free() -> None:
    assert std.spec("10 x 20 mm") == std.spec("10x20mm")
    assert std.spec("500 Millilitre, Pack of 10") == std.spec("pack of 10 500ml")
    assert std.spec("1,5 kg") == std.spec("1.5kg")
    assert std.spec("500 ml") != std.spec("1000 ml")


def test_text_keeps_cjk_and_folds_accents() -> None:
    assert std.text("Zürich-Nord") == "zurich nord"
    assert std.text("上海 ＡＢＣ") == "上海 abc"
