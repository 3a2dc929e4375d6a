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
        ("Acme GmbH - Werk Hamburg", "hamburg"),
        ("Acme GmbH Werk Hamburg", "hamburg"),
        ("Acme Hamburg Branch", "hamburg"),
        ("Acme SAS Agence de Lyon", "lyon"),
        ("Thompson Industries Corp. (Pittsburgh facility)", "pittsburgh"),
        ("Acme Ltd (Plant 2)", "2"),
        ("华为上海分公司", "上海分公司"),
    ],
)
def test_site_suffix(raw: str, expected: str) -> None:
    assert std.site_suffix(raw) == expected


def test_site_suffix_falls_back_to_own_city() -> None:
    assert std.site_suffix("Astra Robinetterie SAS Agece dr Lyon", "Lyon") == "lyon"
    assert std.site_suffix("Acme Lyon", "Lyon") == ""
    assert std.site_suffix("东成 科技（北京）", "北京") == ""


def test_company_name_strips_leading_cjk_place_and_typos_in_legal_forms() -> None:
    assert std.company_name("广州联成电子有限公司") == std.company_name("联成电子（广州）有限公司")
    assert std.company_name("苏州宏达机械有限公司", "苏州") == "宏达机械"
    assert std.company_name("Viking Pump Coompany LLC") == "viking pump"
    assert std.company_name("Köhler GmbH") == std.company_name("Koehler GmbH")
    assert std.company_name("Éts. Morel") == std.company_name("Établissements Morel")


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
    assert std.tax_id("de 123.456.789") == "123456789"
    assert std.tax_id("CN9158619433LH645CCT") == std.tax_id("9158619433LH645CCT")
    assert std.postcode("sw1a 1aa") == "SW1A1AA"
    assert std.product_code(" m-100042 ") == "M100042"
    assert std.product_code("Ｍ－１０００４２") == "M100042"
    assert std.product_code_number("M-100042") == std.product_code_number("100042") == "100042"
    assert std.product_code_number("ABC") == ""


def test_spec_is_format_free() -> None:
    assert std.spec("10 x 20 mm") == std.spec("10×20mm") == "10x20mm"
    assert std.spec("DN 25 PN 40, 7,5 kW") == std.spec("DN25 PN40 7.5 Kilowatt")
    assert std.spec("0 to 40 bar / 4 to 20 mA") == std.spec("0-40 bar, 4–20 mA")
    assert std.spec("50 µm") == std.spec("50 um") != std.spec("50 mm")
    assert std.spec("500 ml") != std.spec("1000 ml")


def test_spec_numbers() -> None:
    assert std.spec_numbers("DN 25 PN 40, 7,5 kW") == "7.5 25 40"
    assert std.spec_numbers("ISO VG 220, 208 l") == std.spec_numbers("VG220 208L")
    assert std.spec_numbers("NBR") == ""


def test_product_name_and_model_number() -> None:
    assert std.product_name("O-ring OR-267 120x3 mm NBR 70", "120x3 mm NBR 70") == "o ring or 267"
    assert std.product_name("Valve BF-424 DN25 PN10", "DN 25 PN 10") == "valve bf 424"
    assert std.product_name("Geared motor GM-764 7.5 kW 1000 rpm") == "geared motor gm 764"
    assert std.product_name("Hex bolt") == "hex bolt"
    assert std.model_number("Pressure gauge PG-627") == "627"
    assert std.model_number("Pressure gauge PG-20 0-4 bar") == "20"
    assert std.model_number("Hex bolt") == ""


def test_text_keeps_cjk_and_folds_accents() -> None:
    assert std.text("Zürich-Nord") == "zurich nord"
    assert std.text("上海 ＡＢＣ") == "上海 abc"


_NAMES = [
    "ACME GmbH & Co. KG",
    "Acme Intl. Mfg. Co., Ltd.",
    "Viking Pump Coompany LLC",
    "S.A. Acme",
    "The Acme Corp.",
    "Co AG",
    "GmbH",
    "华为技术（上海）有限公司",
    "广州联成电子有限公司",
    "華為技術股份有限公司",
    "ＡＣＭＥ　Ｃｏｒｐ．",
    "O'Brien & Sons Ltd",
    "Acme GmbH - Werk Hamburg",
    "Acme Ltd (Plant 2)",
    "Köhler GmbH\nline two",
    "Éts. Morel",
    "",
]


def test_column_functions_equal_the_per_value_ones() -> None:
    assert std.company_names(_NAMES) == [std.company_name(name) for name in _NAMES]
    cities = ["Lyon", "", "", "", "", "", "", "上海", "广州", "", "", "", "", "", "", "", ""]
    assert std.company_names(_NAMES, cities) == [
        std.company_name(name, city) for name, city in zip(_NAMES, cities, strict=True)
    ]
    assert std.site_suffixes(_NAMES) == [std.site_suffix(name) for name in _NAMES]
    assert std.fold_texts(_NAMES) == [std.text(name) for name in _NAMES]
    persons = ["Dr. Müller, Hans", "Ms Jane  DOE", "王，小明", "", "Li Wei"]
    assert std.person_names(persons) == [std.person_name(name) for name in persons]


def test_traditional_chinese_becomes_simplified_on_request() -> None:
    assert std.to_simplified_chinese("華為技術") == "华为技术"
    assert std.company_name("華為技術股份有限公司", simplify_chinese=True) == "华为技术"
    assert std.company_name("華為技術股份有限公司") == "華為技術"
    assert std.text("臺北 ABC", simplify_chinese=True) == "台北 abc"
    assert std.person_names(["張偉"], simplify_chinese=True) == ["张伟"]


_BASES = [
    "Acme",
    "The Acme",
    "Acme Intl Mfg",
    "A B C",
    "A B 2 C D e",
    "Acme G.m.b.H. X Y",
    "Köhler & Söhne",
    "O'Brien Bros.",
    "Société Générale",
    "Acme (Beijing)",
    "Acme - Werk Hamburg",
    "Acme Branch Leeds",
    "北京市联成电子",
    "上海 汽车",
    "華為技術",
    "株式会社 トヨタ",
    "ＡＣＭＥ　Ｔｅｃｈ",
    "Pt Maju",
    "Co",
    "",
]
_TAILS = [
    "",
    " GmbH",
    " GmbH & Co. KG",
    " Ltd",
    " Co., Ltd.",
    " Comapny Ltd",
    " S.A. de C.V.",
    " Gesellschaft mit beschränkter Haftung",
    " Inc. Incorporated",
    "股份有限公司",
    "有限公司集团",
    " 分公司",
    " Plant",
    " & Co",
]


_SITE_NAMES = [
    "Acme Ltd – Bristol plant",
    "Acme Ltd — Werk Köln",
    "Acme\t-\tLeeds depot",
    "Acme | Lyon",
    "Acme / Lyon",
    "Acme-Lyon Plant",
    "Acme Lyon-Sud",
    "Acme -  ",
    "Acme Plant's Leeds",
    "Acme Pl'ant Leeds",
    "Acme Ltd (Plant 2)",
    "Acme Ltd [Depot Nord]",
    "Acme Ltd ｛Depot Nord｝",
    "Acme Ltd （Plant 2）",
    "Acme Ltd （Beijing）",
    "Müller GmbH Werk Hamburg",
    "Müller GmbH Werk’s Hamburg",
    "Müller GmbH W’erk Hamburg",
    "Müller & Söhne – Zweigwerk Süd",
    "Plant Acme",
    "Plant",
    "上海联成电子分公司",
    "上海联成电子分廠",
    "台北聯成電子辦事處",
    "联成电子分&公司",
    "联成电子 分 公司",
    "联成 电子（上海）分公司",
    "分公司",
    "Établissement de Lyon",
    "Acme Agence de Lyon",
    "ＡＣＭＥ　Ｐｌａｎｔ　２",
    "Acme Büro",
    "",
]


def test_many_names_find_the_same_sites_as_one_by_one() -> None:
    names = [base + " " + name for base in ("", "Acme", "Köhler", "联成") for name in _SITE_NAMES]
    names = names * (std._BULK_MIN // len(names) + 1)
    assert not any("\n" in name for name in names)
    expected = [std.site_suffix(name) for name in names]
    assert sum(1 for site in expected if site) > len(names) // 2
    for simplify in (False, True):
        assert std.company_names_and_sites(names, simplify_chinese=simplify)[1] == expected


def test_many_names_take_the_word_wise_path_with_the_same_result() -> None:
    names = [base + tail for base in _BASES for tail in _TAILS] + _NAMES
    names = names * (std._BULK_MIN // len(names) + 1)
    assert len(names) >= std._BULK_MIN
    expected_names = [std.company_name(name, simplify_chinese=True) for name in names]
    expected_sites = [std.site_suffix(name) for name in names]
    assert std.company_names(names, simplify_chinese=True) == expected_names
    assert std.company_names_and_sites(names, simplify_chinese=True) == (
        expected_names,
        expected_sites,
    )
    cities = ["北京", "", "上海", "Hamburg"] * (len(names) // 4) + [""] * (len(names) % 4)
    assert std.company_names(names, cities) == [
        std.company_name(name, city) for name, city in zip(names, cities, strict=True)
    ]
    assert "" in expected_names and "acme international manufacturing" in expected_names
    assert std.company_name("Acme有限公司集团") == "acme"  # chained CJK forms, longest first


def test_emails_of_a_list_equal_email_of_each() -> None:
    written = [" Mailto:<Anna.Berg@Example.DE> ", "", "no-at.example.com", "a@b@c.de", "@x.de"]
    written += ["x@", "ｂｏｂ@ｍａｉｌ.ｄｅ", "line\nbreak@x.de", "Zoë@müller.de"]
    assert std.emails(written) == [std.email(value) for value in written]


def test_tax_ids_of_a_list_equal_tax_id_of_each() -> None:
    written = ["de 123.456.789", "", "DE123456789", "123 456 789", "gb-12 34", "ＤＥ１２３", "x"]
    written += ["Straße 1", "fr\n12 345", "AB", "ab1", "ÄB12"]
    assert std.tax_ids(written) == [std.tax_id(value) for value in written]
    assert std.tax_ids([]) == []


def test_website_domains_of_a_list_equal_website_domain_of_each() -> None:
    written = [
        "https://www.Example.com/about?x=1",
        "",
        "example",
        "www.gmail.com",
        "HTTP://a.b:8080",
    ]
    written += [
        "ｗｗｗ.ｍüller.de",
        "ftp+x://files.example.org/x",
        "x\nhttp://y.de",
        " sub.example.co.uk ",
    ]
    assert std.website_domains(written) == [std.website_domain(value) for value in written]
    assert std.website_domains([]) == []
