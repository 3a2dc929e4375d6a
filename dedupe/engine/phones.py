"""Phone numbers to E.164 over a whole column, each record's country as default region.

``phonenumbers`` parses about 80,000 numbers a second: too slow for a million records.
Its metadata (country calling code, national and international prefixes per region)
turns the common shapes — ``+49 30 1234567``, ``0049 …``, ``030 1234567``,
``(404) 616-6543`` — into E.164 with string operations; every other shape (letters,
extensions, carrier codes, a number that may already hold the country code) goes
through ``phonenumbers.parse``. Both paths give the same result on the shapes the fast
one takes (tested). A number that cannot be read as E.164 (no region and no ``+``) keeps
its digits, so equally written numbers still agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

__all__ = ["e164", "e164_numbers", "region_code"]

# Layout characters the fast path drops; anything else but digits and a leading "+"
# (letters, "ext", "#") sends a number to the full parser.
_LAYOUT = str.maketrans("", "", " \t().-/")
_NON_DIGITS = re.compile(r"\D+")
_NATIONAL_MIN, _NATIONAL_MAX = 4, 14
_MIN_DIGITS = 7


@dataclass(frozen=True)
class _Region:
    """What the fast path needs of one region's metadata."""

    calling_code: str
    national_prefix: re.Pattern[str] | None
    international_prefix: re.Pattern[str] | None


@lru_cache(maxsize=512)
def _region(region: str) -> _Region | None:
    metadata = PhoneMetadata.metadata_for_region(region) if region else None
    if metadata is None:
        return None
    national = metadata.national_prefix_for_parsing or metadata.national_prefix
    if metadata.national_prefix_transform_rule is not None:
        return None
    international = metadata.international_prefix
    return _Region(
        calling_code=str(metadata.country_code),
        national_prefix=re.compile(national) if national else None,
        international_prefix=re.compile(international) if international else None,
    )


@lru_cache(maxsize=512)
def _home_region(calling_code: str) -> _Region | None:
    region = phonenumbers.region_code_for_country_code(int(calling_code))
    return _region(region) if region != "ZZ" else None


# Digit strings of one to three characters that _calling_code would take as a calling
# code (by integer value, so "01" counts as 1, as int() reads it).
_CALLING_CODES = frozenset(
    written
    for size in (1, 2, 3)
    for number in range(10**size)
    if number in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    for written in (f"{number:0{size}d}",)
)


def _calling_code(digits: str) -> str | None:
    for size in (1, 2, 3):
        if digits[:size] in _CALLING_CODES:
            return digits[:size]
    return None


def _international(digits: str) -> str | None:
    """E.164 of digits that start with the calling code, or ``None`` for the full parser."""
    code = _calling_code(digits) if digits else None
    if code is None:
        return None
    national = digits[len(code) :]
    home = _home_region(code)
    if home is None:
        return None
    # A trunk prefix after the calling code ("+44 020 …") is the full parser's business.
    if home.national_prefix is not None and home.national_prefix.match(national):
        return None
    if not _NATIONAL_MIN <= len(national) <= _NATIONAL_MAX:
        return None
    return "+" + digits


def _national(digits: str, rules: _Region) -> str | None:
    """E.164 of digits written without "+", by the record's region, or ``None``."""
    if rules.international_prefix is not None:
        prefix = rules.international_prefix.match(digits)
        if prefix and prefix.end() and digits[prefix.end() : prefix.end() + 1] not in ("", "0"):
            return _international(digits[prefix.end() :])
    national = digits
    prefix = rules.national_prefix.match(digits) if rules.national_prefix else None
    if prefix and prefix.end():
        if any(prefix.groups()):
            return None
        national = digits[prefix.end() :]
    elif digits.startswith(rules.calling_code):
        return None  # perhaps written with the calling code but without "+"
    if not _NATIONAL_MIN <= len(national) <= _NATIONAL_MAX:
        return None
    return "+" + rules.calling_code + national


def _fast(value: str, rules: _Region | None) -> str | None:
    """E.164 by string operations, or ``None`` when the shape needs the full parser."""
    written = value.strip()
    international = written.startswith("+")
    if international and "(0)" in written:
        written = written.replace("(0)", "")
    digits = written.translate(_LAYOUT).removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        return None
    if international:
        return _international(digits)
    return None if rules is None else _national(digits, rules)


def _without_layout(values: list[str]) -> list[str]:
    """Each value without layout characters, in one ``translate`` over all of them."""
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:
        return [value.translate(_LAYOUT) for value in values]
    return joined.translate(_LAYOUT).split("\n")


def _internationals(numbers: list[str]) -> list[str | None]:
    """:func:`_international` of many digit strings, the same steps inline (no call each)."""
    codes = _CALLING_CODES
    out: list[str | None] = []
    for digits in numbers:
        code = (
            digits[:1]
            if digits[:1] in codes
            else digits[:2]
            if digits[:2] in codes
            else digits[:3]
            if digits[:3] in codes
            else None
        )
        home = _home_region(code) if code is not None else None
        if home is None:
            out.append(None)
            continue
        national = digits[len(code) :]  # type: ignore[arg-type]  # code is set with home
        if (
            home.national_prefix is not None and home.national_prefix.match(national)
        ) or not _NATIONAL_MIN <= len(national) <= _NATIONAL_MAX:
            out.append(None)
        else:
            out.append("+" + digits)
    return out


def _nationals(numbers: list[str], rules: _Region) -> list[str | None]:
    """:func:`_national` of many digit strings of one region, the same steps inline."""
    out: list[str | None] = []
    abroad: list[int] = []
    international, trunk, code = (
        rules.international_prefix,
        rules.national_prefix,
        rules.calling_code,
    )
    for digits in numbers:
        if international is not None:
            prefix = international.match(digits)
            if prefix and (end := prefix.end()) and digits[end : end + 1] not in ("", "0"):
                abroad.append(len(out))
                out.append(digits[end:])
                continue
        national = digits
        prefix = trunk.match(digits) if trunk else None
        if prefix and prefix.end():
            if any(prefix.groups()):
                out.append(None)
                continue
            national = digits[prefix.end() :]
        elif digits.startswith(code):
            out.append(None)
            continue
        if _NATIONAL_MIN <= len(national) <= _NATIONAL_MAX:
            out.append("+" + code + national)
        else:
            out.append(None)
    if abroad:
        converted = _internationals([out[at] or "" for at in abroad])
        for at, number in zip(abroad, converted, strict=True):
            out[at] = number
    return out


def _fast_numbers(written: list[str], regions: Sequence[str]) -> list[str | None]:
    """:func:`_fast` of many numbers: the string work over all at once, then by region."""
    stripped = [value.strip() for value in written]
    cleaned = [value.replace("(0)", "") if value[:1] == "+" else value for value in stripped]
    digits = [value.removeprefix("+") for value in _without_layout(cleaned)]
    numbers: list[str | None] = [None] * len(written)
    international: list[int] = []
    by_region: dict[str, list[int]] = {}
    for at, (value, number, region) in enumerate(zip(stripped, digits, regions, strict=True)):
        if not (number.isdigit() and number.isascii()):
            continue
        if value[:1] == "+":
            international.append(at)
        else:
            by_region.setdefault(region, []).append(at)
    groups = [(international, _internationals([digits[at] for at in international]))]
    for region, positions in by_region.items():
        rules = _region(region)
        if rules is not None:
            groups.append((positions, _nationals([digits[at] for at in positions], rules)))
    for positions, converted in groups:
        for at, converted_number in zip(positions, converted, strict=True):
            numbers[at] = converted_number
    return numbers


def _parsed(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value, region or None)
    except NumberParseException:
        digits = _NON_DIGITS.sub("", value)
        return digits if len(digits) >= _MIN_DIGITS else ""
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def e164(value: str, region: str = "") -> str:
    """One phone number in E.164.

    Args:
        value: The number as written.
        region: ISO 3166 alpha-2 code of the record's country, ``""`` if unknown.

    Returns:
        E.g. ``"+49301234567"``; the bare digits when the number has no ``+`` and no
        region is known; ``""`` when missing or fewer than 7 digits.
    """
    return e164_numbers([value], [region])[0]


def e164_numbers(values: Sequence[str], regions: Sequence[str]) -> list[str]:
    """:func:`e164` of many numbers, each with its own region.

    Args:
        values: Numbers as written (``""`` for missing).
        regions: Each number's region code (``""`` if unknown).

    Returns:
        The E.164 numbers, in order.
    """
    written = [
        value if value.isascii() else unicodedata.normalize("NFKC", value) for value in values
    ]
    out = []
    for value, region, number in zip(
        written, regions, _fast_numbers(written, regions), strict=True
    ):
        if not value:
            out.append("")
            continue
        if number is None:
            number = _parsed(value, region)
        out.append(number if len(number.removeprefix("+")) >= _MIN_DIGITS else "")
    return out


@lru_cache(maxsize=4096)
def region_code(country: str) -> str:
    """The ISO 3166 alpha-2 code of a country written as a code or an English name.

    Args:
        country: E.g. ``"DE"``, ``"deu"``, ``"Germany"``.

    Returns:
        The upper-case alpha-2 code, ``""`` when it is not recognised.
    """
    written = country.strip()
    if not written:
        return ""
    if len(written) == 2 and written.isalpha():
        code = "GB" if written.upper() == "UK" else written.upper()
        return code if phonenumbers.country_code_for_region(code) else ""
    import pycountry  # imported here: its database loads on first use only

    try:
        found = pycountry.countries.lookup(written)
    except LookupError:
        return ""
    return str(found.alpha_2)
