"""Standardisation: pure functions that turn raw field values into comparable keys.

Every function takes the value as written in a source (or ``None``) and returns a
normalised string, ``""`` when nothing usable is left. They never raise on content and
never look at other records, so they can run per value, per column or in parallel.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

__all__ = [
    "city",
    "company_name",
    "email",
    "email_domain",
    "is_cjk",
    "person_name",
    "phone_digits",
    "postcode",
    "product_code",
    "site_suffix",
    "spec",
    "tax_id",
    "text",
    "website_domain",
]

# Legal forms as token sequences (after casefolding, transliteration and punctuation
# removal, so "S.A." is ("s", "a") and "GmbH & Co. KG" is several trailing forms).
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(form.split())
    for form in (
        # German, Austrian, Swiss
        "gesellschaft mit beschrankter haftung",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "kgaa",
        "ohg",
        "gbr",
        "ug",
        "haftungsbeschrankt",
        "ev",
        "e v",
        "eg",
        "se",
        "and co",
        "und co",
        # English
        "limited",
        "ltd",
        "public limited company",
        "plc",
        "llc",
        "l l c",
        "llp",
        "lp",
        "incorporated",
        "inc",
        "corporation",
        "corp",
        "company",
        "co",
        "pty",
        "pvt",
        "private",
        # French, Spanish, Italian, Portuguese
        "s a",
        "sa",
        "s a s",
        "sas",
        "sasu",
        "s a r l",
        "sarl",
        "eurl",
        "s l",
        "sl",
        "s r l",
        "srl",
        "s p a",
        "spa",
        "ltda",
        "s a de c v",
        "sa de cv",
        # Dutch, Belgian, Nordic, Central European
        "b v",
        "bv",
        "n v",
        "nv",
        "bvba",
        "ab",
        "as",
        "a s",
        "asa",
        "oy",
        "oyj",
        "aps",
        "sp z o o",
        "s r o",
        "sro",
        "a s",
        "kft",
        "zrt",
        "d o o",
        "doo",
        # Asia
        "kk",
        "kabushiki kaisha",
        "pte",
        "bhd",
        "sdn bhd",
        "tbk",
        "pt",
    )
)
_MAX_FORM_LEN = max(len(form) for form in _LEGAL_FORMS)
_LEGAL_FORM_SET = frozenset(_LEGAL_FORMS)

# Chinese/Japanese legal forms are written without spaces, so they are stripped as
# string suffixes, longest first.
_CJK_LEGAL_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        (
            "股份有限公司",
            "有限责任公司",
            "有限責任公司",
            "有限公司",
            "株式会社",
            "集团",
            "集團",
            "公司",
        ),
        key=len,
        reverse=True,
    )
)
_LEADING_FORMS = frozenset({"the", "pt", "ooo", "zao", "oao", "株式会社"})

_ABBREVIATIONS: dict[str, str] = {
    "intl": "international",
    "int": "international",
    "internat": "international",
    "mfg": "manufacturing",
    "mfrs": "manufacturers",
    "mfr": "manufacturer",
    "bros": "brothers",
    "assoc": "associates",
    "natl": "national",
    "tech": "technology",
    "techn": "technology",
    "technologies": "technology",
    "svc": "services",
    "svcs": "services",
    "srvcs": "services",
    "service": "services",
    "eng": "engineering",
    "engg": "engineering",
    "mgmt": "management",
    "ind": "industries",
    "inds": "industries",
    "indus": "industries",
    "industry": "industries",
    "sys": "systems",
    "system": "systems",
    "ctr": "center",
    "centre": "center",
    "dept": "department",
    "univ": "university",
    "grp": "group",
    "hldgs": "holdings",
    "hldg": "holding",
    "st": "saint",
    "ste": "sainte",
    "und": "and",
    "et": "and",
    "y": "and",
}

_SITE_WORDS = frozenset(
    {
        "branch",
        "plant",
        "factory",
        "site",
        "office",
        "warehouse",
        "depot",
        "works",
        "werk",
        "filiale",
        "niederlassung",
        "zweigniederlassung",
        "standort",
        "lager",
        "division",
        "subsidiary",
        "store",
        "outlet",
        "usine",
        "succursale",
        "sucursal",
        "planta",
        "stabilimento",
        "filial",
        "vestiging",
    }
)
_CJK_SITE_SUFFIXES = ("分公司", "分厂", "分廠", "工厂", "工廠", "办事处", "辦事處", "分店", "支店")

_PERSON_TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "herr",
        "frau",
        "mme",
        "mlle",
        "m",
        "sr",
        "sra",
        "dipl",
        "ing",
        "jr",
        "sen",
        "jun",
    }
)

_PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.de",
        "yahoo.fr",
        "hotmail.com",
        "hotmail.de",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mail.com",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "web.de",
        "t-online.de",
        "freenet.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "sohu.com",
        "protonmail.com",
        "proton.me",
        "example.com",
        "example.org",
        "example.net",
    }
)

_CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2FA1F),  # CJK Extensions B..F and supplement
)
_BRACKETED = re.compile(r"[(\[{][^)\]}]*[)\]}]")
_DASH_SUFFIX = re.compile(r"\s+[-\u2013\u2014|/]\s+(?P<site>.+)$")
_SPACES = re.compile(r"\s+")
_UNIT_ALIASES = {
    "millimeter": "mm",
    "millimetre": "mm",
    "centimeter": "cm",
    "centimetre": "cm",
    "meter": "m",
    "metre": "m",
    "kilogram": "kg",
    "kgs": "kg",
    "gram": "g",
    "grams": "g",
    "liter": "l",
    "litre": "l",
    "ltr": "l",
    "milliliter": "ml",
    "millilitre": "ml",
    "inch": "in",
    "inches": "in",
    "pieces": "pc",
    "piece": "pc",
    "pcs": "pc",
    "pce": "pc",
    "st": "pc",
    "stk": "pc",
}


def is_cjk(char: str) -> bool:
    """Tell whether a single character is Chinese, Japanese or Korean script.

    Args:
        char: One character.

    Returns:
        True for ideographs, kana and hangul.
    """
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


@lru_cache(maxsize=65_536)
def text(value: str | None) -> str:
    """Fold a free-text value to lower-case ASCII words, keeping CJK characters.

    Full-width forms become half-width (NFKC), Latin letters lose their accents, every
    other non-alphanumeric character becomes a space and whitespace is collapsed.

    Args:
        value: The raw value.

    Returns:
        Space-separated lower-case tokens, ``""`` for a missing value.
    """
    if not value:
        return ""
    folded = unicodedata.normalize("NFKC", value).casefold()
    out: list[str] = []
    for char in folded:
        if char.isascii():
            out.append(char if char.isalnum() else " ")
        elif is_cjk(char):
            out.append(char)
        else:
            out.append(_ascii_alnum(unidecode(char)))
    return _SPACES.sub(" ", "".join(out)).strip()


def _ascii_alnum(value: str) -> str:
    return "".join(c if c.isalnum() else " " for c in value.casefold())


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    """Drop trailing (repeatedly) and leading legal-form tokens, never the whole name."""
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for size in range(min(_MAX_FORM_LEN, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in _LEGAL_FORM_SET:
                del tokens[-size:]
                changed = True
                break
    while len(tokens) > 1 and tokens[0] in _LEADING_FORMS:
        del tokens[0]
    return tokens


def _join_initials(tokens: list[str]) -> list[str]:
    """Join runs of single letters, so "G.m.b.H." and "S.A." read as "gmbh" and "sa"."""
    out: list[str] = []
    run = ""
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isascii() and token.isalpha():
            run += token
            continue
        if run:
            out.append(run)
            run = ""
        if token:
            out.append(token)
    return out


def _join_cjk(value: str) -> str:
    """Remove spaces between CJK characters, which CJK writing does not use."""
    chars = list(value)
    for index in range(1, len(chars) - 1):
        if chars[index] == " " and is_cjk(chars[index - 1]) and is_cjk(chars[index + 1]):
            chars[index] = ""
    return "".join(chars)


def _strip_cjk_legal_forms(token: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _CJK_LEGAL_SUFFIXES:
            if token.endswith(suffix) and len(token) > len(suffix):
                token = token[: -len(suffix)]
                changed = True
    return token


@lru_cache(maxsize=65_536)
def company_name(value: str | None) -> str:
    """Normalise a company name for comparison.

    Full-width characters become half-width, case and accents are folded (CJK kept),
    bracketed parts (region qualifiers such as "（上海）" or "(Beijing)") are removed,
    apostrophes are dropped, "&" becomes "and", abbreviations are expanded and legal
    forms are removed in many languages, Latin ("GmbH", "S.A.", "Co., Ltd.") and CJK
    ("有限公司", "股份有限公司", "集团").

    Args:
        value: The name as written.

    Returns:
        The normalised name, ``""`` when missing.
    """
    if not value:
        return ""
    raw = unicodedata.normalize("NFKC", value)
    raw = _BRACKETED.sub(" ", raw)
    raw = raw.replace("&", " and ").replace("+", " and ").replace("'", "").replace("\u2019", "")
    tokens = _join_initials(_join_cjk(text(raw)).split())
    tokens = [_ABBREVIATIONS.get(token, token) for token in tokens]
    tokens = _strip_legal_forms(tokens)
    tokens = [_strip_cjk_legal_forms(token) if is_cjk(token[-1]) else token for token in tokens]
    return " ".join(token for token in tokens if token)


@lru_cache(maxsize=65_536)
def site_suffix(value: str | None) -> str:
    """Extract the site qualifier of a branch or plant name, "" for a plain name.

    A site qualifier is the part after a spaced dash ("Acme GmbH - Werk Hamburg"), a
    bracketed part naming a site ("Acme (Plant 2)"), a trailing phrase starting with a
    site word ("Acme Ltd Branch Leeds", "Acme Hamburg Branch") or a CJK branch suffix
    ("上海分公司"). Two records with the same name but different site qualifiers are
    different sites of one company.

    Args:
        value: The name as written.

    Returns:
        The normalised qualifier, ``""`` when the name has none.
    """
    if not value:
        return ""
    raw = unicodedata.normalize("NFKC", value).strip()
    dash = _DASH_SUFFIX.search(raw)
    if dash:
        return _site_tokens(text(dash.group("site")).split())
    for bracket in _BRACKETED.findall(raw):
        inner = text(bracket).split()
        if _SITE_WORDS.intersection(inner):
            return _site_tokens(inner)
    tokens = text(raw).split()
    for index, token in enumerate(tokens):
        if token in _SITE_WORDS and index > 0:
            # "Acme Hamburg Branch" names the site before the word, "Acme Branch
            # Hamburg" after it; keep both sides beyond the company's first token.
            return _site_tokens(tokens[max(1, index - 1) :])
    compact = "".join(tokens)
    for suffix in _CJK_SITE_SUFFIXES:
        position = compact.find(suffix)
        if position > 0:
            return compact[max(0, position - 2) : position + len(suffix)]
    return ""


def _site_tokens(tokens: list[str]) -> str:
    """Sorted site tokens without legal forms, so word order and "GmbH" do not matter."""
    return " ".join(sorted(token for token in tokens if (token,) not in _LEGAL_FORM_SET))


@lru_cache(maxsize=65_536)
def person_name(value: str | None) -> str:
    """Normalise a person's name: "Last, First" reordered, titles dropped, case folded.

    Args:
        value: The name as written, e.g. "Dr. Müller, Hans".

    Returns:
        Lower-case tokens in "first ... last" order, ``""`` when missing.
    """
    if not value:
        return ""
    raw = unicodedata.normalize("NFKC", value)
    if raw.count(",") == 1:
        last, first = raw.split(",")
        raw = f"{first} {last}"
    tokens = [token for token in text(raw).split() if token not in _PERSON_TITLES]
    return " ".join(tokens)


def email(value: str | None) -> str:
    """Normalise an e-mail address: trimmed, lower case, "mailto:" dropped.

    Args:
        value: The address as written.

    Returns:
        The address, ``""`` when missing or without a single "@".
    """
    if not value:
        return ""
    address = unicodedata.normalize("NFKC", value).strip().casefold()
    address = address.removeprefix("mailto:").strip("<> ")
    if address.count("@") != 1 or address.startswith("@") or address.endswith("@"):
        return ""
    return address


def email_domain(value: str | None) -> str:
    """Return the organisation domain of an e-mail address.

    Args:
        value: The address as written.

    Returns:
        The domain after "@", ``""`` when missing or a public mail provider (a shared
        gmail.com says nothing about two customers being the same).
    """
    address = email(value)
    if not address:
        return ""
    domain = address.rsplit("@", 1)[1]
    return "" if domain in _PUBLIC_MAIL_DOMAINS else domain


def website_domain(value: str | None) -> str:
    """Return the host of a web site without scheme, "www." and path.

    Args:
        value: A URL or bare domain.

    Returns:
        The lower-case host, ``""`` when missing.
    """
    if not value:
        return ""
    host = unicodedata.normalize("NFKC", value).strip().casefold()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    host = host.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    host = host.removeprefix("www.")
    return "" if host in _PUBLIC_MAIL_DOMAINS or "." not in host else host


def phone_digits(value: str | None, keep: int = 9) -> str:
    """Reduce a phone number to its last digits, a format-free comparison key.

    Country codes and trunk prefixes differ between sources ("+49 30 1234567" vs
    "030 1234567"); the subscriber part at the end does not. Full E.164 normalisation
    needs the country and comes later.

    Args:
        value: The number as written.
        keep: How many trailing digits to keep.

    Returns:
        The last ``keep`` digits, ``""`` when the number has fewer than 7 digits.
    """
    if not value:
        return ""
    digits = "".join(c for c in unicodedata.normalize("NFKC", value) if c.isdigit())
    return digits[-keep:] if len(digits) >= 7 else ""


def tax_id(value: str | None) -> str:
    """Normalise a tax / VAT id: upper-case alphanumerics only.

    Args:
        value: The id as written, e.g. "de 123.456.789".

    Returns:
        E.g. "DE123456789", ``""`` when missing.
    """
    if not value:
        return ""
    folded = unicodedata.normalize("NFKC", value).upper()
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def postcode(value: str | None) -> str:
    """Normalise a postal code: upper-case alphanumerics only ("sw1a 1aa" → "SW1A1AA").

    Args:
        value: The code as written.

    Returns:
        The code, ``""`` when missing.
    """
    return tax_id(value)


def product_code(value: str | None) -> str:
    """Normalise a product code / SKU / material number: upper-case alphanumerics only.

    Args:
        value: The code as written, e.g. "m-100042 ".

    Returns:
        E.g. "M100042", ``""`` when missing.
    """
    return tax_id(value)


def city(value: str | None) -> str:
    """Normalise a city name: case and accents folded, punctuation removed.

    Args:
        value: The city as written.

    Returns:
        The normalised city, ``""`` when missing.
    """
    return text(value)


_NUMBER_UNIT = re.compile(r"(\d)\s+(?=[a-z])")
_DECIMAL_COMMA = re.compile(r"(\d),(\d)")
_TIMES = re.compile(r"(?<=\d)\s*[x×*]\s*(?=\d)")


@lru_cache(maxsize=65_536)
def spec(value: str | None) -> str:
    """Normalise a product specification / variant for equality tests.

    Decimal commas become points, "10 x 20" becomes "10x20", a number and its unit are
    joined ("500 ml" → "500ml"), unit words are abbreviated and tokens are sorted so the
    order of attributes does not matter.

    Args:
        value: The spec as written, e.g. "Pack of 10, 500 Millilitre".

    Returns:
        The normalised spec, ``""`` when missing.
    """
    if not value:
        return ""
    raw = unicodedata.normalize("NFKC", value).casefold()
    raw = _DECIMAL_COMMA.sub(r"\1.\2", raw)
    raw = _TIMES.sub("x", raw)
    words = re.sub(r"[^0-9a-z.\u00b0%]+", " ", unidecode(raw)).split()
    words = [_UNIT_ALIASES.get(word.strip("."), word.strip(".")) for word in words]
    joined = _NUMBER_UNIT.sub(r"\1", " ".join(word for word in words if word))
    return " ".join(sorted(joined.split()))
