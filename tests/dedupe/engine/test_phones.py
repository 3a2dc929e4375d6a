"""E.164 phone numbers: the fast path agrees with phonenumbers."""

from __future__ import annotations

import phonenumbers
import pytest

from dedupe.engine.phones import _fast, _parsed, _region, e164, e164_numbers, region_code

_WRITTEN = [
    ("+49 30 1234567", "DE"),
    ("+49 (0)521 8102774", "DE"),
    ("0049 521 8102774", "DE"),
    ("030-1234567", "DE"),
    ("4930123456", "DE"),
    ("(404) 616-6543", "US"),
    ("1-404-616-6543", "US"),
    ("011 49 521 8102774", "US"),
    ("001 414 820 7537", "US"),
    ("+1 (404) 616-6543 ext 12", "US"),
    ("02 84 80 33 99", "FR"),
    ("01.66.07.59.61", "FR"),
    ("0044 7825 905948", "GB"),
    ("0121 8465471", "GB"),
    ("+86 135 58167867", "CN"),
    ("020 91877711", "CN"),
    ("06-12345678", "NL"),
    ("+31 (0)6 12345678", "NL"),
    ("02 1234567", "IT"),
    ("＋４９ ３０ １２３４５６７", "DE"),
]


@pytest.mark.parametrize(("written", "region"), _WRITTEN)
def test_fast_path_agrees_with_phonenumbers(written: str, region: str) -> None:
    expected = phonenumbers.format_number(
        phonenumbers.parse(written, region), phonenumbers.PhoneNumberFormat.E164
    )
    assert e164(written, region) == expected == _parsed(written, region)


def test_column_of_numbers_with_their_regions() -> None:
    assert e164_numbers(["030 1234567", "", "12", "(404) 616-6543"], ["DE", "DE", "DE", "US"]) == [
        "+49301234567",
        "",
        "",
        "+14046166543",
    ]


def test_a_column_gives_what_each_number_gives_alone() -> None:
    """The batched fast path (one translate, by region) equals the per-number one."""
    written = [value for value, _ in _WRITTEN] + ["+0 123 4567", "01 2345678", " +44 020 7946 0958"]
    written += ["line\nbreak 1234567", "+1 404 616 6543", "12345678901234567", ""]
    regions = [region for _, region in _WRITTEN] + ["DE", "US", "GB", "DE", "", "FR", "NL"]
    alone = [
        "" if not value else _fast(value, _region(region)) or _parsed(value, region)
        for value, region in zip(written, regions, strict=True)
    ]
    for value, region, number in zip(written, regions, alone, strict=True):
        expected = number if len(number.removeprefix("+")) >= 7 else ""
        assert e164_numbers([value], [region]) == [expected]
    assert e164_numbers(written, regions) == [
        number if len(number.removeprefix("+")) >= 7 else "" for number in alone
    ]


def test_without_region_only_international_numbers_become_e164() -> None:
    assert e164("+49 30 1234567") == "+49301234567"
    assert e164("030 1234567") == "0301234567"


def test_region_codes_from_codes_and_names() -> None:
    assert region_code("de") == "DE"
    assert region_code("UK") == "GB"
    assert region_code("Germany") == "DE"
    assert region_code("DEU") == "DE"
    assert region_code("Atlantis") == ""
    assert region_code("") == ""
