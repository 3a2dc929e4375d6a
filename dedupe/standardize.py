"""Standardisation: pure functions that turn raw field values into comparable keys.

Every function takes the value as written in a source (or ``None``) and returns a
normalised string, ``""`` when nothing usable is left. They never raise on content and
never look at other records, so they can run per value, per column or in parallel.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from itertools import compress

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist
from unidecode import unidecode

__all__ = [
    "city",
    "company_name",
    "company_names",
    "company_names_and_sites",
    "email",
    "email_domain",
    "emails",
    "fold_texts",
    "is_cjk",
    "person_name",
    "person_names",
    "phone_digits",
    "postcode",
    "model_number",
    "product_code",
    "product_code_number",
    "product_name",
    "site_suffix",
    "site_suffixes",
    "spec",
    "spec_numbers",
    "tax_id",
    "tax_ids",
    "text",
    "to_simplified_chinese",
    "website_domain",
    "website_domains",
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
        "limited liability company",
        "societe par actions simplifiee",
        "societe anonyme",
        "societe a responsabilite limitee",
        "entreprise unipersonnelle a responsabilite limitee",
        "aktiengesellschaft",
        "kommanditgesellschaft",
        "offene handelsgesellschaft",
        "besloten vennootschap",
        "naamloze vennootschap",
        "sociedad anonima",
        "sociedad limitada",
        "societa per azioni",
        "societa a responsabilita limitata",
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
IntArray = npt.NDArray[np.int64]
_MAX_FORM_LEN = max(len(form) for form in _LEGAL_FORMS)
_UMLAUT_SPELLINGS = re.compile(r"(?<=[a-z])(ae|oe|ue)")


def _fold_umlaut_spelling(token: str) -> str:
    """Spell "ae", "oe", "ue" inside a word as "a", "o", "u", like transliterated umlauts.

    "Köhler" becomes "kohler" by transliteration while sources also write "Koehler";
    folding both spellings the same way makes them equal.
    """
    return _UMLAUT_SPELLINGS.sub(lambda match: match.group(1)[0], token)


_LEGAL_FORM_SET = frozenset(
    tuple(_fold_umlaut_spelling(token) for token in form) for form in _LEGAL_FORMS
)
_MIN_FUZZY_FORM_LEN = 7
_LONG_FORMS = tuple(
    sorted(
        form[0]
        for form in _LEGAL_FORM_SET
        if len(form) == 1 and len(form[0]) >= _MIN_FUZZY_FORM_LEN
    )
)

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
# Leading place names of Chinese company names; provinces and the largest cities.
_CJK_PLACES: tuple[str, ...] = (
    "北京",
    "上海",
    "天津",
    "重庆",
    "广州",
    "深圳",
    "苏州",
    "杭州",
    "宁波",
    "南京",
    "无锡",
    "青岛",
    "成都",
    "武汉",
    "西安",
    "厦门",
    "大连",
    "沈阳",
    "长沙",
    "郑州",
    "济南",
    "合肥",
    "福州",
    "东莞",
    "佛山",
    "常州",
    "温州",
    "香港",
    "台北",
    "广东",
    "江苏",
    "浙江",
    "山东",
    "河北",
    "河南",
    "湖北",
    "湖南",
    "四川",
    "福建",
    "安徽",
    "辽宁",
    "陕西",
    "江西",
    "云南",
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
    "ets": "etablissements",
    "etabl": "etablissements",
    "etablissement": "etablissements",
    "u": "and",
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
        "fabriek",
        "facility",
        "agence",
        "agency",
        "etablissement",
        "location",
        "zweigwerk",
    }
)
_SITE_STOP_WORDS = frozenset({"de", "du", "des", "of", "the", "in", "at", "der", "la", "le", "van"})
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
# A bracket never spans lines, so the pattern also works on many values joined by "\n".
_BRACKETED = re.compile(r"[(\[{][^)\]}\n]*[)\]}]")
_DASH_SUFFIX = re.compile(r"\s+[-\u2013\u2014|/]\s+(?P<site>.+)$")
_SPACES = re.compile(r"\s+")
_UNIT_ALIASES = {
    "kilowatt": "kw",
    "kilowatts": "kw",
    "watt": "w",
    "watts": "w",
    "volt": "v",
    "volts": "v",
    "millimeters": "mm",
    "millimetres": "mm",
    "meters": "m",
    "metres": "m",
    "liters": "l",
    "litres": "l",
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


_TRADITIONAL_TO_SIMPLIFIED: dict[str, str] = {}


def _traditional_to_simplified() -> dict[str, str]:
    """OpenCC's character table (traditional → simplified), read once on first use."""
    if not _TRADITIONAL_TO_SIMPLIFIED:
        table = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
        for line in table.read_text(encoding="utf-8").splitlines():
            traditional, _, simplified = line.partition("\t")
            if len(traditional) == 1 and simplified:
                # Several candidates are listed most common first.
                _TRADITIONAL_TO_SIMPLIFIED[traditional] = simplified.split()[0]
    return _TRADITIONAL_TO_SIMPLIFIED


def to_simplified_chinese(value: str) -> str:
    """Write traditional Chinese characters in their simplified form (character by character).

    OpenCC's character table is enough for matching: "華為技術股份有限公司" and
    "华为技术股份有限公司" become equal; phrase-level variants do not matter there.

    Args:
        value: Any text; non-Chinese characters are kept.

    Returns:
        The text with simplified characters.
    """
    table = _traditional_to_simplified()
    return "".join(table.get(char, char) for char in value)


class _FoldTable(dict[int, str]):
    """The character map of :func:`text` for ``str.translate``, filled on first use.

    A character's replacement depends on that character alone, so one C-level
    ``translate`` over a value, or over many values joined by newlines, does the work of
    a Python loop per character.
    """

    def __init__(self, *, simplify_chinese: bool, keep_newlines: bool) -> None:
        super().__init__()
        self.simplify_chinese = simplify_chinese
        if keep_newlines:
            self[ord("\n")] = "\n"

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char.isascii():
            out = char if char.isalnum() else " "
        elif is_cjk(char):
            out = _traditional_to_simplified().get(char, char) if self.simplify_chinese else char
        else:
            out = _ascii_alnum(unidecode(char))
        self[code] = out
        return out


_FOLD_TABLES = {
    (simplify, lines): _FoldTable(simplify_chinese=simplify, keep_newlines=lines)
    for simplify in (False, True)
    for lines in (False, True)
}


@lru_cache(maxsize=65_536)
def text(value: str | None, simplify_chinese: bool = False) -> str:
    """Fold a free-text value to lower-case ASCII words, keeping CJK characters.

    Full-width forms become half-width (NFKC), Latin letters lose their accents, every
    other non-alphanumeric character becomes a space and whitespace is collapsed.

    Args:
        value: The raw value.
        simplify_chinese: Also write traditional Chinese characters as simplified ones.

    Returns:
        Space-separated lower-case tokens, ``""`` for a missing value.
    """
    if not value:
        return ""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(folded.translate(_FOLD_TABLES[simplify_chinese, False]).split())


def _joined(values: Sequence[str]) -> str:
    """Values joined by newlines; a newline inside a value becomes a space."""
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:
        joined = "\n".join(value.replace("\n", " ") for value in values)
    return joined


def _collapse_spaces(joined: str) -> str:
    """Single spaces between words and none at the ends of lines (lines joined by newlines).

    ``str.replace`` in a loop (each pass halves the longest run of spaces) is several
    times faster than a regular expression over millions of characters.
    """
    while "  " in joined:
        joined = joined.replace("  ", " ")
    return joined.replace(" \n", "\n").replace("\n ", "\n").strip(" ")


def _fold_lines(
    lines: list[str],
    simplify_chinese: bool,
    *,
    before: Callable[[str], str] | None = None,
    after_other: Callable[[str], str] | None = None,
) -> list[str]:
    """:func:`text` of each line, in two C-level passes: ASCII lines, then all others.

    NFKC is the identity on ASCII, and ``str.translate`` caches its mapping for ASCII
    input only, so ASCII lines are folded together on that fast path and the others
    (accents, CJK, full width) together on the slow one; the results are put back in
    order by a boolean mask.

    Args:
        lines: Values without newlines.
        simplify_chinese: Also write traditional Chinese characters as simplified ones.
        before: Applied to each part (lines joined by newlines) after NFKC, before
            folding; it must keep the lines.
        after_other: Applied to the folded non-ASCII part; it must keep the lines.

    Returns:
        The folded lines, in order.
    """
    if not lines:
        return []
    table = _FOLD_TABLES[simplify_chinese, True]
    plain = np.fromiter(map(str.isascii, lines), dtype=bool, count=len(lines))
    out = np.empty(len(lines), dtype=object)
    for ascii_only in (True, False):
        mask = plain if ascii_only else ~plain
        if not mask.any():
            continue
        part = "\n".join(compress(lines, mask))
        if not ascii_only:
            part = unicodedata.normalize("NFKC", part)
        if before is not None:
            part = before(part)
        part = _collapse_spaces(part.casefold().translate(table))
        if not ascii_only and after_other is not None:
            part = after_other(part)
        out[mask] = part.split("\n")
    folded: list[str] = out.tolist()
    return folded


def _fold_joined(joined: str, simplify_chinese: bool) -> list[str]:
    """:func:`text` of each line of a joined string."""
    return _fold_lines(joined.split("\n"), simplify_chinese)


def fold_texts(values: Sequence[str], *, simplify_chinese: bool = False) -> list[str]:
    """:func:`text` of many values at once: one normalise, casefold and translate over all.

    Args:
        values: Raw values (``""`` for missing).
        simplify_chinese: Also write traditional Chinese characters as simplified ones.

    Returns:
        The folded values, in order.
    """
    if not values:
        return []
    return _fold_lines(_joined(values).split("\n"), simplify_chinese)


def _ascii_alnum(value: str) -> str:
    return "".join(c if c.isalnum() else " " for c in value.casefold())


class _TokenCache(dict[str, str]):
    """A function of one token, remembered per distinct token (names share few words)."""

    _LIMIT = 1_000_000

    def __init__(self, function: Callable[[str], str]) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, token: str) -> str:
        if len(self) >= self._LIMIT:
            self.clear()
        value = self[token] = self.function(token)
        return value


def _misspelt_form(token: str) -> str:
    misspelt = len(token) >= _MIN_FUZZY_FORM_LEN and any(
        OSA.distance(token, form) <= 1 for form in _LONG_FORMS
    )
    return "y" if misspelt else ""


_MISSPELT_FORMS = _TokenCache(_misspelt_form)
_FORM_TOKENS = frozenset(token for form in _LEGAL_FORM_SET for token in form)


def _is_misspelt_form(token: str) -> bool:
    """A long legal-form word with one typo or swap ("Coompany", "Comapny")."""
    return bool(_MISSPELT_FORMS[token])


def _is_form_token(token: str) -> bool:
    return token in _FORM_TOKENS or _is_misspelt_form(token)


def _strip_trailing_forms(tokens: list[str]) -> list[str]:
    """Drop trailing legal forms, longest first and repeatedly, never the whole name."""
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for size in range(min(_MAX_FORM_LEN, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in _LEGAL_FORM_SET:
                del tokens[-size:]
                changed = True
                break
        if not changed and _is_misspelt_form(tokens[-1]):
            del tokens[-1]
            changed = True
    return tokens


# Trailing run of legal-form words → how many of them are stripped. Only that run
# decides (a form is made of form words), and names end in few distinct runs.
_TRAILING_FORMS: dict[tuple[str, ...], int] = {}
_PLACEHOLDER = "\x00"


def _dropped_of_tail(tail: tuple[str, ...]) -> int:
    """How many of a name's trailing legal-form words (after a non-form word) are dropped."""
    if tail not in _TRAILING_FORMS:
        if len(_TRAILING_FORMS) >= 100_000:
            _TRAILING_FORMS.clear()
        # A non-form word in front stands for the rest of the name, which stays.
        kept = _strip_trailing_forms([_PLACEHOLDER, *tail])
        _TRAILING_FORMS[tail] = len(tail) + 1 - len(kept)
    return _TRAILING_FORMS[tail]


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    """Drop trailing (repeatedly) and leading legal-form tokens, never the whole name."""
    run = 0
    for token in reversed(tokens):
        if not _is_form_token(token):
            break
        run += 1
    if run == len(tokens):
        tokens = _strip_trailing_forms(tokens)
    elif run and (dropped := _dropped_of_tail(tuple(tokens[-run:]))):
        del tokens[-dropped:]
    while len(tokens) > 1 and tokens[0] in _LEADING_FORMS:
        del tokens[0]
    return tokens


def _strip_cjk_place(token: str, own_city: str) -> str:
    """Drop one leading place name (with its 市/省 suffix), keeping at least two characters."""
    places = (own_city, *_CJK_PLACES) if own_city and is_cjk(own_city[0]) else _CJK_PLACES
    for place in places:
        for written in (place + "市", place + "省", place):
            if token.startswith(written) and len(token) - len(written) >= 2:
                return token[len(written) :]
    return token


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


_CJK_CLASS = "[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]"
_CJK_GAP = re.compile(f"(?<={_CJK_CLASS}) (?={_CJK_CLASS})")


def _join_cjk(value: str) -> str:
    """Remove spaces between CJK characters, which CJK writing does not use."""
    return _CJK_GAP.sub("", value)


def _strip_cjk_legal_forms(token: str) -> str:
    """Drop CJK legal forms ending a word, repeatedly and longest first ("有限公司集团")."""
    changed = True
    while changed:
        changed = False
        for suffix in _CJK_LEGAL_SUFFIXES:
            if token.endswith(suffix) and len(token) > len(suffix):
                token = token[: -len(suffix)]
                changed = True
                break
    return token


def _company_token(token: str) -> str:
    return _fold_umlaut_spelling(_ABBREVIATIONS.get(token, token))


_COMPANY_TOKENS = _TokenCache(_company_token)


def _company_from_folded(folded: str, own_city: str) -> str:
    """The rest of :func:`company_name` once the name went through :func:`text`."""
    plain = folded.isascii()
    if not plain:
        folded = _join_cjk(folded)
    tokens = folded.split()
    if any(len(token) == 1 for token in tokens):
        tokens = _join_initials(tokens)
    tokens = _strip_legal_forms([_COMPANY_TOKENS[token] for token in tokens])
    if not plain:
        tokens = _strip_cjk_tokens(tokens, own_city)
    return " ".join(token for token in tokens if token)


def _strip_cjk_tokens(tokens: list[str], own_city: str) -> list[str]:
    """CJK legal forms off CJK words, a leading place name off the first word."""
    tokens = [_strip_cjk_legal_forms(token) if is_cjk(token[-1]) else token for token in tokens]
    if tokens and is_cjk(tokens[0][0]):
        tokens[0] = _strip_cjk_place(tokens[0], own_city)
    return tokens


def _company_marks(joined: str) -> str:
    """Drop bracketed parts and apostrophes, spell "&" and "+" as "and" (before folding)."""
    if "(" in joined or "[" in joined or "{" in joined:
        joined = _BRACKETED.sub(" ", joined)
    return joined.replace("&", " and ").replace("+", " and ").replace("'", "").replace("\u2019", "")


# Many names at once: each distinct word is looked at once, and per name only integer
# arrays are worked on. Below this many names the per-name path is faster.
_BULK_MIN = 2_000
# A run of two or more single letters ("g m b h"), each a word of its own.
_INITIALS_RUN = re.compile(r"(?<![^ \n])[a-z](?: [a-z])+(?![^ \n])")


def _joined_initials(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


def _word_codes(joined: str) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """``pd.factorize`` of the words of lines joined by newlines (each newline a word),
    runs of two or more single letters joined into one word as ``_INITIALS_RUN`` does.

    The runs are found among the factorised words rather than by the pattern over the
    whole text, which tries every character; ``uniques`` may hold letters no longer used.
    """
    codes, uniques = pd.factorize(np.array(joined.replace("\n", " \n ").split(" "), dtype=object))
    codes = codes.astype(np.int64)
    letter = np.fromiter(
        (len(word) == 1 and "a" <= word <= "z" for word in uniques.tolist()), bool, len(uniques)
    )
    single = letter[codes]
    follows = np.zeros(len(codes), dtype=bool)
    follows[1:] = single[1:] & single[:-1]
    if not follows.any():
        return codes, np.asarray(uniques, dtype=object)
    # A run: its first letter's place takes the joined run, the letters after it go.
    last = np.r_[follows[1:], False]
    starts = np.flatnonzero(single & ~follows & last)
    ends = np.flatnonzero(follows & ~last) + 1
    merged = [
        "".join(uniques[codes[start:end]].tolist())
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    known = pd.Index(uniques).get_indexer(merged)
    new_codes, new_words = pd.factorize(np.asarray(merged, dtype=object)[known < 0])
    known[known < 0] = len(uniques) + new_codes
    codes[starts] = known
    words = np.concatenate([np.asarray(uniques, dtype=object), np.asarray(new_words, dtype=object)])
    return codes[~follows], words


def _trailing_form_runs(
    form: npt.NDArray[np.bool_], line: IntArray, start: IntArray, end: IntArray
) -> IntArray:
    """Per line, how many of its last words are legal-form words."""
    last_other = np.full(len(start), -1, dtype=np.int64)
    other = np.flatnonzero(~form)
    np.maximum.at(last_other, line[other], other)
    result: IntArray = end - 1 - np.maximum(last_other, start - 1)
    return result


def _tail_ids(
    code: IntArray, lines: IntArray, run: IntArray, end: IntArray, distinct_words: int
) -> IntArray:
    """An id per line that is equal exactly when the lines' last ``run`` words are."""
    key = code[end[lines] - 1]
    for back in range(2, int(run.max(initial=1)) + 1):
        longer = run >= back
        pairs = key[longer] * distinct_words + code[end[lines[longer]] - back]
        key[longer] = pd.factorize(pairs)[0]
    width = max(distinct_words, len(lines)) + 1
    ids: IntArray = pd.factorize(run * width + key)[0].astype(np.int64)
    return ids


def _learn_misspelt_forms(words: list[str]) -> None:
    """Fill the cache of :func:`_is_misspelt_form` for many words in one C-level pass."""
    new = [
        word for word in words if len(word) >= _MIN_FUZZY_FORM_LEN and word not in _MISSPELT_FORMS
    ]
    if not new or len(_MISSPELT_FORMS) + len(new) > _TokenCache._LIMIT:
        return
    distances = cdist(new, _LONG_FORMS, scorer=OSA.distance, score_cutoff=1, workers=1)
    misspelt = np.asarray(np.any(distances <= 1, axis=1), dtype=bool)
    for word, flag in zip(new, misspelt.tolist(), strict=True):
        _MISSPELT_FORMS[word] = "y" if flag else ""


def _company_names_bulk(
    folded: list[str], own_cities: list[str] | None
) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """The rest of :func:`company_names` for many folded names, word work per distinct word.

    Same result as :func:`_company_from_folded` per name: initials are joined, words
    mapped (abbreviations, umlaut spellings) per distinct word, trailing legal forms
    dropped per distinct run of trailing form words, leading forms per name with
    integer arrays; names made only of form words and CJK names take the per-name path.

    Also returns, per name, whether one of its folded words is a site word.
    """
    codes, uniques = _word_codes("\n".join(folded))
    words: list[str] = [_COMPANY_TOKENS[word] if word.strip() else word for word in uniques]
    _learn_misspelt_forms(words)
    is_form = np.fromiter(
        (bool(word.strip()) and _is_form_token(word) for word in words), bool, len(words)
    )
    is_leading = np.fromiter((word in _LEADING_FORMS for word in words), bool, len(words))
    newline = np.flatnonzero(uniques == "\n")
    blank = np.flatnonzero(uniques == "")
    marker = codes == (newline[0] if len(newline) else -2)
    real = ~marker & (codes != (blank[0] if len(blank) else -2))
    code = codes[real].astype(np.int64)
    line = np.cumsum(marker)[real]
    count = np.bincount(line, minlength=len(folded))
    start = np.cumsum(count) - count
    end = start + count
    is_site = np.fromiter((word in _SITE_WORDS for word in uniques), bool, len(uniques))
    site_word = np.bincount(line[is_site[code]], minlength=len(folded)) > 0
    run = _trailing_form_runs(is_form[code], line, start, end)
    only_forms = (run == count) & (count > 0)
    dropped = np.zeros(len(folded), dtype=np.int64)
    partial = np.flatnonzero((run > 0) & (run < count))
    if len(partial):
        tails = _tail_ids(code, partial, run[partial], end, len(words))
        _, first = np.unique(tails, return_index=True)
        of_tail = np.zeros(len(first), dtype=np.int64)
        for tail, index in enumerate(first.tolist()):
            at = int(partial[index])
            of_tail[tail] = _dropped_of_tail(
                tuple(words[word] for word in code[end[at] - run[at] : end[at]].tolist())
            )
        dropped[partial] = of_tail[tails]
    kept = count - dropped
    lead = np.zeros(len(folded), dtype=np.int64)
    last = max(len(code) - 1, 0)
    while len(code):
        more = ~only_forms & (kept - lead > 1) & is_leading[code[np.minimum(start + lead, last)]]
        if not more.any():
            break
        lead += more
    position = np.arange(len(code))
    keep = (
        (position >= (start + lead)[line]) & (position < (end - dropped)[line]) & ~only_forms[line]
    )
    keep_all = marker.copy()
    keep_all[np.flatnonzero(real)[keep]] = True
    text_of = np.array(words, dtype=object)
    names = (
        " ".join(text_of[codes[keep_all]].tolist())
        .replace(" \n", "\n")
        .replace("\n ", "\n")
        .split("\n")
    )
    for at in np.flatnonzero(only_forms).tolist():
        names[at] = " ".join(
            _strip_legal_forms([words[word] for word in code[start[at] : end[at]].tolist()])
        )
    return _strip_cjk_names(names, folded, own_cities), site_word


# _strip_cjk_legal_forms and _strip_cjk_place (without an own city) over names joined by
# newlines: every form ending a word, each time keeping one character; a place starting
# a name, keeping two characters of its word.
_CJK_FORMS_AT_WORD_END = re.compile(
    "(?<=[^ \n])(?:" + "|".join(_CJK_LEGAL_SUFFIXES) + ")+(?=[ \n]|$)"
)
_CJK_PLACE_AT_START = re.compile(
    "^(?:" + "|".join(_CJK_PLACES) + ")[市省]?(?=[^ \n]{2})", re.MULTILINE
)


def _strip_cjk_names(
    names: list[str], folded: list[str], own_cities: list[str] | None
) -> list[str]:
    """:func:`_strip_cjk_tokens` of the names whose folded text is not ASCII."""
    other = ~np.fromiter(map(str.isascii, folded), dtype=bool, count=len(folded))
    if own_cities is not None:
        with_city = other & np.fromiter(
            (bool(city) and is_cjk(city[0]) for city in own_cities), bool, len(own_cities)
        )
        for at in np.flatnonzero(with_city).tolist():
            names[at] = " ".join(_strip_cjk_tokens(names[at].split(), own_cities[at]))
        other &= ~with_city
    if not other.any():
        return names
    out = np.array(names, dtype=object)
    joined = _CJK_FORMS_AT_WORD_END.sub("", "\n".join(out[other].tolist()))
    out[other] = _CJK_PLACE_AT_START.sub("", joined).split("\n")
    result: list[str] = out.tolist()
    return result


def company_names(
    values: Sequence[str],
    cities: Sequence[str] | None = None,
    *,
    simplify_chinese: bool = False,
) -> list[str]:
    """:func:`company_name` of many values, the character work done once over all of them.

    Args:
        values: Names as written (``""`` for missing).
        cities: Each name's city, or ``None``.
        simplify_chinese: Also write traditional Chinese characters as simplified ones.

    Returns:
        The normalised names, in order.
    """
    if not values:
        return []
    folded = _fold_lines(
        _joined(values).split("\n"), simplify_chinese, before=_company_marks, after_other=_join_cjk
    )
    if len(folded) >= _BULK_MIN:
        own = None if cities is None else fold_texts(cities, simplify_chinese=simplify_chinese)
        return _company_names_bulk(folded, own)[0]
    if cities is None:
        return [_company_from_folded(name, "") if name else "" for name in folded]
    own = fold_texts(cities, simplify_chinese=simplify_chinese)
    return [
        _company_from_folded(name, city) if name else ""
        for name, city in zip(folded, own, strict=True)
    ]


@lru_cache(maxsize=65_536)
def company_name(
    value: str | None, city_name: str | None = None, simplify_chinese: bool = False
) -> str:
    """Normalise a company name for comparison.

    Full-width characters become half-width, case and accents are folded (CJK kept),
    bracketed parts (region qualifiers such as "（上海）" or "(Beijing)") are removed,
    apostrophes are dropped, "&" becomes "and", abbreviations are expanded and legal
    forms are removed in many languages, Latin ("GmbH", "S.A.", "Co., Ltd.") and CJK
    ("有限公司", "股份有限公司", "集团").

    A CJK name also loses a leading place name — a major Chinese city or province, or
    the record's own city — since "广州联成电子有限公司" and "联成电子（广州）有限公司" are
    written both ways.

    Args:
        value: The name as written.
        city_name: The record's city, stripped when a CJK name starts with it.
        simplify_chinese: Also write traditional Chinese characters as simplified ones.

    Returns:
        The normalised name, ``""`` when missing.
    """
    if not value:
        return ""
    return company_names([value], [city_name or ""], simplify_chinese=simplify_chinese)[0]


@lru_cache(maxsize=65_536)
def site_suffix(value: str | None, city_name: str | None = None) -> str:
    """Extract the site of a branch or plant name, "" for a plain company name.

    A site is named by the part after a spaced dash ("Acme GmbH - Werk Hamburg"), a
    bracketed part holding a site word ("Acme (Plant 2)"), the words after or before a
    site word ("Acme Branch Leeds", "Acme Hamburg Branch", "Acme Agence de Lyon"), a CJK
    branch suffix ("上海分公司"), or, failing those, the record's own city ending a name
    of three or more words ("Acme SAS Agece dr Lyon" in Lyon). Site words, stop words
    and legal forms are dropped and the rest sorted, so "Werk Hamburg" and "Hamburg
    plant" give the same site. Two records with the same name but different sites are
    different sites of one company.

    Args:
        value: The name as written.
        city_name: The record's city, used by the last rule.

    Returns:
        The normalised site, ``""`` when the name names none.
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
    for index, token in enumerate(tokens[1:], start=1):
        if token in _SITE_WORDS:
            after = _site_tokens(tokens[index + 1 :])
            return after or _site_tokens(tokens[index - 1 : index])
    compact = "".join(tokens)
    for suffix in _CJK_SITE_SUFFIXES:
        position = compact.find(suffix)
        if position > 0:
            return compact[max(0, position - 2) : position + len(suffix)]
    own_city = text(city_name).split()
    words = [
        token for token in text(_BRACKETED.sub(" ", raw)).split() if (token,) not in _LEGAL_FORM_SET
    ]
    if own_city and len(words) >= len(own_city) + 2 and words[-len(own_city) :] == own_city:
        return " ".join(own_city)
    return ""


_SITE_MARKS = "-\u2013\u2014|/"


def _may_name_site(value: str, folded: str) -> bool:
    """Whether :func:`site_suffix` (without a city) can find a site; cheap checks only."""
    if not _SITE_WORDS.isdisjoint(folded.split()):
        return True
    if value.isascii():
        return any(mark in value for mark in _SITE_MARKS) and bool(_DASH_SUFFIX.search(value))
    if any(mark in unicodedata.normalize("NFKC", value) for mark in _SITE_MARKS):
        return True
    compact = folded.replace(" ", "")
    return any(suffix in compact for suffix in _CJK_SITE_SUFFIXES)


_SITE_WORD = re.compile("(?<![^ ])(?:" + "|".join(sorted(_SITE_WORDS)) + ")(?![^ ])")


def site_suffixes(values: Sequence[str]) -> list[str]:
    """:func:`site_suffix` (without a city) of many values.

    Most names name no site and skip the full function: one without a site word, a
    spaced dash or a CJK branch suffix cannot have one.

    Args:
        values: Names as written (``""`` for missing).

    Returns:
        The sites, ``""`` where a name names none.
    """
    word, dash = _SITE_WORD.search, _DASH_SUFFIX.search
    sites = [""] * len(values)
    for at, (value, folded) in enumerate(zip(values, fold_texts(values), strict=True)):
        # For ASCII, the same test as _may_name_site (a dash match has a mark).
        if not value:
            continue
        if word(folded) or (dash(value) if value.isascii() else _may_name_site(value, folded)):
            sites[at] = site_suffix.__wrapped__(value)
    return sites


# Characters that make company_names split a name into other words than fold_texts
# does: brackets (their part is dropped) and apostrophes ("&" and "+" only add the
# word "and", which is no site word).
_ASCII_MARKS = b"([{'"
# The same in other names after NFKC, "&" and "+" too: a CJK branch suffix is looked
# for with the spaces taken out, where an added "and" would split it.
_OTHER_MARK = re.compile("[([{&+'\u2019]")
_SITE_MARK = re.compile(f"[{re.escape(_SITE_MARKS)}]")


def _lines_holding(data: bytes, lines: int, marks: bytes) -> npt.NDArray[np.bool_]:
    """Per line of ``data`` (lines joined by newlines), whether it holds one of ``marks``.

    ``marks`` are ASCII, whose bytes occur in UTF-8 only as themselves. Deleting every
    other byte but the newlines is one C-level pass; the rest is small.
    """
    kept = np.frombuffer(data.translate(None, _ALL_BUT[marks]), dtype=np.uint8)
    newline = kept == 10
    out = np.zeros(lines, dtype=bool)
    out[np.cumsum(newline)[~newline]] = True
    return out


class _AllBut(dict[bytes, bytes]):
    """Marks → every other byte but the newline (to delete with ``bytes.translate``)."""

    def __missing__(self, marks: bytes) -> bytes:
        value = self[marks] = bytes(set(range(256)) - set(marks) - {10})
        return value


_ALL_BUT = _AllBut()


def _lines_matching(lines: list[str], pattern: re.Pattern[str]) -> npt.NDArray[np.bool_]:
    """Per line, whether ``pattern`` (never matching a newline) matches in it."""
    ends = np.cumsum(np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + 1)
    starts = np.fromiter(
        (match.start() for match in pattern.finditer("\n".join(lines))), dtype=np.int64
    )
    out = np.zeros(len(lines), dtype=bool)
    out[np.searchsorted(ends, starts, side="right")] = True
    return out


def _dashed(lines: Sequence[str], rows: npt.NDArray[np.int64]) -> list[int]:
    """The rows whose line has a spaced dash (or bar, slash) followed by more."""
    dash = _DASH_SUFFIX.search
    return [at for at in rows.tolist() if dash(lines[at])]


def _cjk_site_suffix(simplify_chinese: bool) -> re.Pattern[str]:
    """The CJK branch suffixes, also as folded with or without simplifying Chinese."""
    table = _FOLD_TABLES[simplify_chinese, True]
    suffixes = {*_CJK_SITE_SUFFIXES, *(suffix.translate(table) for suffix in _CJK_SITE_SUFFIXES)}
    return re.compile("|".join(sorted(suffixes)))


def _may_name_sites(
    lines: list[str], folded: list[str], suffix: re.Pattern[str]
) -> npt.NDArray[np.bool_]:
    """Per name (NFKC, and folded by :func:`fold_texts`), whether it may name a site.

    A site word among the folded words, a spaced dash or a CJK branch suffix.
    """
    out = np.zeros(len(lines), dtype=bool)
    word, dash, compact = _SITE_WORD.search, _DASH_SUFFIX.search, suffix.search
    for at, (line, folded_line) in enumerate(zip(lines, folded, strict=True)):
        out[at] = bool(word(folded_line) or dash(line) or compact(folded_line.replace(" ", "")))
    return out


def _other_site_candidates(
    values: list[str], folded: list[str], site_word: npt.NDArray[np.bool_], simplify_chinese: bool
) -> npt.NDArray[np.bool_]:
    """:func:`_site_candidates` of non-ASCII names.

    Without marks, ``folded`` (as company_names folds) is fold_texts' text but for the
    spaces between CJK characters, which a branch suffix is looked for without.
    """
    lines = unicodedata.normalize("NFKC", "\n".join(values)).split("\n")
    if len(lines) != len(values):  # pragma: no cover - NFKC made or removed a newline
        lines = [unicodedata.normalize("NFKC", value).replace("\n", " ") for value in values]
    suffix = _cjk_site_suffix(simplify_chinese)
    candidate = site_word | _lines_matching([line.replace(" ", "") for line in folded], suffix)
    dashes = np.flatnonzero(~candidate & _lines_matching(lines, _SITE_MARK))
    candidate[_dashed(lines, dashes)] = True
    marked = np.flatnonzero(_lines_matching(lines, _OTHER_MARK)).tolist()
    if marked:
        again = fold_texts([values[at] for at in marked])
        candidate[marked] = _may_name_sites([lines[at] for at in marked], again, suffix)
    return candidate


def _site_candidates(
    values: Sequence[str],
    joined: str,
    folded: list[str],
    site_word: npt.NDArray[np.bool_],
    simplify_chinese: bool,
) -> npt.NDArray[np.bool_]:
    """The names :func:`site_suffix` (without a city) may find a site in: all that can.

    A site needs a spaced dash, a site word among the folded words or a CJK branch
    suffix. The words :func:`company_names` saw (``site_word``: one is a site word) are
    :func:`fold_texts`' words but in names with brackets or apostrophes; only those are
    folded again.

    Args:
        values: Names as written, none with a newline.
        joined: ``values`` joined by newlines.
        folded: Each name folded as :func:`company_names` folds it.
        site_word: Per name, whether one of its folded words is a site word.
        simplify_chinese: Whether ``folded`` writes Chinese in simplified characters.
    """
    count = len(values)
    plain = np.fromiter(map(str.isascii, values), dtype=bool, count=count)
    data = joined.encode("utf-8")
    marked = plain & _lines_holding(data, count, _ASCII_MARKS)
    candidate = plain & ~marked & site_word
    dashes = np.flatnonzero(plain & ~marked & ~candidate & _lines_holding(data, count, b"-|/"))
    candidate[_dashed(values, dashes)] = True
    rows = np.flatnonzero(marked).tolist()
    if rows:
        ascii_marked = [values[at] for at in rows]
        candidate[rows] = _may_name_sites(
            ascii_marked, fold_texts(ascii_marked), _cjk_site_suffix(False)
        )
    rows = np.flatnonzero(~plain).tolist()
    if rows:
        candidate[rows] = _other_site_candidates(
            [values[at] for at in rows],
            [folded[at] for at in rows],
            site_word[rows],
            simplify_chinese,
        )
    return candidate


def company_names_and_sites(
    values: Sequence[str], *, simplify_chinese: bool = False
) -> tuple[list[str], list[str]]:
    """:func:`company_names` and :func:`site_suffixes` of many values in one pass.

    The site words are found among the words :func:`company_names` looks at anyway; only
    names it splits into other words than :func:`fold_texts` (non-ASCII, brackets,
    apostrophes) are folded again for the site test.

    Args:
        values: Names as written (``""`` for missing).
        simplify_chinese: Also write traditional Chinese characters as simplified ones
            (in the names; sites compare as written).

    Returns:
        The normalised names and the sites, in order.
    """
    if len(values) < _BULK_MIN:
        return company_names(values, simplify_chinese=simplify_chinese), site_suffixes(values)
    joined = "\n".join(values)
    one_line_each = joined.count("\n") == len(values) - 1
    if not one_line_each:
        joined = _joined(values)
    folded = _fold_lines(
        joined.split("\n"), simplify_chinese, before=_company_marks, after_other=_join_cjk
    )
    names, site_word = _company_names_bulk(folded, None)
    if one_line_each:
        candidates = _site_candidates(values, joined, folded, site_word, simplify_chinese)
    else:  # a value with a newline in it: every name is tested on its own
        candidates = np.ones(len(values), dtype=bool)
    sites = [""] * len(values)
    for at in np.flatnonzero(candidates).tolist():
        if values[at]:
            sites[at] = site_suffix.__wrapped__(values[at])
    return names, sites


def _site_tokens(tokens: list[str]) -> str:
    """Sorted site tokens without site words, stop words and legal forms."""
    kept = (
        token
        for token in tokens
        if (token,) not in _LEGAL_FORM_SET
        and token not in _SITE_WORDS
        and token not in _SITE_STOP_WORDS
    )
    return " ".join(sorted(kept))


def _first_last(value: str) -> str:
    """ "Last, First" as "First Last"; other values unchanged."""
    if value.count(",") != 1:
        return value
    last, first = value.split(",")
    return f"{first} {last}"


def person_names(values: Sequence[str], *, simplify_chinese: bool = False) -> list[str]:
    """:func:`person_name` of many values, the character work done once over all of them.

    Args:
        values: Names as written (``""`` for missing).
        simplify_chinese: Also write traditional Chinese characters as simplified ones.

    Returns:
        The normalised names, in order.
    """
    if not values:
        return []
    lines = unicodedata.normalize("NFKC", _joined(values)).split("\n")
    joined = "\n".join(_first_last(line) if "," in line else line for line in lines)
    return [
        name
        if _PERSON_TITLES.isdisjoint(tokens := name.split())
        else " ".join(token for token in tokens if token not in _PERSON_TITLES)
        for name in _fold_joined(joined, simplify_chinese)
    ]


@lru_cache(maxsize=65_536)
def person_name(value: str | None, simplify_chinese: bool = False) -> str:
    """Normalise a person's name: "Last, First" reordered, titles dropped, case folded.

    Args:
        value: The name as written, e.g. "Dr. Müller, Hans".
        simplify_chinese: Also write traditional Chinese characters as simplified ones.

    Returns:
        Lower-case tokens in "first ... last" order, ``""`` when missing.
    """
    if not value:
        return ""
    return person_names([value], simplify_chinese=simplify_chinese)[0]


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


def emails(values: Sequence[str]) -> list[str]:
    """:func:`email` of many values, each step once over the list (no call per value).

    Args:
        values: Addresses as written (``""`` for missing).

    Returns:
        The addresses, ``""`` where missing or without a single "@".
    """
    addresses = [
        (value if value.isascii() else unicodedata.normalize("NFKC", value))
        .strip()
        .casefold()
        .removeprefix("mailto:")
        .strip("<> ")
        for value in values
    ]
    return [
        address if address.count("@") == 1 and address[:1] != "@" and address[-1:] != "@" else ""
        for address in addresses
    ]


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


_URL_SCHEMES = re.compile(r"^[a-z][a-z0-9+.-]*://", re.MULTILINE)


def website_domains(values: Sequence[str]) -> list[str]:
    """:func:`website_domain` of many values, the scheme removed over all of them joined.

    Args:
        values: URLs or bare domains (``""`` for missing).

    Returns:
        The hosts, ``""`` where missing, a public mail provider or without a dot.
    """
    if not values:
        return []
    written = [
        (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip().casefold()
        for value in values
    ]
    joined = "\n".join(written)
    if joined.count("\n") != len(values) - 1:
        return [website_domain(value) for value in values]
    hosts = [
        host.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].removeprefix("www.")
        for host in _URL_SCHEMES.sub("", joined).split("\n")
    ]
    public = _PUBLIC_MAIL_DOMAINS
    return ["" if host in public or "." not in host else host for host in hosts]


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


# After upper-casing, every ASCII letter or digit is one of these.
_NOT_ASCII_ALNUM_UPPER = re.compile("[^A-Z0-9]+")


def _alnum_upper(value: str | None) -> str:
    if not value:
        return ""
    folded = value if value.isascii() else unicodedata.normalize("NFKC", value)
    return _NOT_ASCII_ALNUM_UPPER.sub("", folded.upper())


_COUNTRY_PREFIX = re.compile(r"^[A-Z]{2}(?=\d)")


def tax_id(value: str | None) -> str:
    """Normalise a tax / VAT id: upper-case alphanumerics without the country prefix.

    VAT ids are written with and without their two-letter country prefix ("DE123456789"
    vs "123456789"); the number alone identifies the company, so the prefix is dropped.

    Args:
        value: The id as written, e.g. "de 123.456.789".

    Returns:
        E.g. "123456789", ``""`` when missing.
    """
    return _COUNTRY_PREFIX.sub("", _alnum_upper(value))


_NOT_ASCII_ALNUM_UPPER_LINES = re.compile("[^A-Z0-9\n]+")
_COUNTRY_PREFIXES = re.compile(r"^[A-Z]{2}(?=\d)", re.MULTILINE)


def tax_ids(values: Sequence[str]) -> list[str]:
    """:func:`tax_id` of many values, with two regular expressions over all of them joined.

    Args:
        values: Ids as written (``""`` for missing).

    Returns:
        The ids without country prefix, in order.
    """
    if not values:
        return []
    folded = [
        value if value.isascii() else unicodedata.normalize("NFKC", value) for value in values
    ]
    joined = "\n".join(folded).upper()
    if joined.count("\n") != len(values) - 1:
        return [tax_id(value) for value in values]
    alnum = _NOT_ASCII_ALNUM_UPPER_LINES.sub("", joined)
    return _COUNTRY_PREFIXES.sub("", alnum).split("\n")


def postcode(value: str | None) -> str:
    """Normalise a postal code: upper-case alphanumerics only ("sw1a 1aa" → "SW1A1AA").

    Args:
        value: The code as written.

    Returns:
        The code, ``""`` when missing.
    """
    return _alnum_upper(value)


def product_code(value: str | None) -> str:
    """Normalise a product code / SKU / material number: upper-case alphanumerics only.

    Args:
        value: The code as written, e.g. "m-100042 ".

    Returns:
        E.g. "M100042", ``""`` when missing.
    """
    return _alnum_upper(value)


_CODE_NUMBER = re.compile(r"^[A-Z]{0,4}0*(\d{3,})$")


def product_code_number(value: str | None) -> str:
    """Return the numeric body of a code made of a short letter prefix and digits.

    Systems often drop or change the prefix ("M-100042" in the ERP, "100042" as the CRM
    SKU), so the number is a second, weaker code key.

    Args:
        value: The code as written.

    Returns:
        The digits without leading zeros ("100042"), ``""`` when the code has another
        shape or is missing.
    """
    match = _CODE_NUMBER.match(product_code(value))
    return match.group(1) if match else ""


def city(value: str | None) -> str:
    """Normalise a city name: case and accents folded, punctuation removed.

    Args:
        value: The city as written.

    Returns:
        The normalised city, ``""`` when missing.
    """
    return text(value)


_DECIMAL_COMMA = re.compile(r"(\d),(\d)")
_RANGE_WORD = re.compile(r"(?<=\d)\s*(?:to|bis|a|à)\s*(?=\d)")
_TIMES = re.compile(r"(?<=\d)\s*[x×*]\s*(?=\d)")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


def _spec_text(value: str) -> str:
    raw = unicodedata.normalize("NFKC", value).replace("\u03bc", "u").replace("\u00b5", "u")
    raw = unidecode(_DASHES.sub("-", raw)).casefold()
    raw = _DECIMAL_COMMA.sub(r"\1.\2", raw)
    raw = _RANGE_WORD.sub("-", raw)
    return _TIMES.sub("x", raw)


@lru_cache(maxsize=65_536)
def spec(value: str | None) -> str:
    """Normalise a product specification / variant into one compact string.

    Case, spaces and punctuation are dropped (decimal points and ranges kept), decimal
    commas become points, "10 × 20" becomes "10x20", "0 to 40" becomes "0-40" and unit
    words are abbreviated, so "DN 25 PN 40, 7.5 Kilowatt" and "DN25 PN40 7.5 kW" agree.
    Compare with a fuzzy score plus :func:`spec_numbers`: sources also drop words
    ("ISO VG 220" vs "VG220").

    Args:
        value: The spec as written.

    Returns:
        The normalised spec, ``""`` when missing.
    """
    if not value:
        return ""
    words = re.sub(r"[^0-9a-z.%-]+", " ", _spec_text(value)).split()
    words = [_UNIT_ALIASES.get(word.strip(".-"), word.strip(".-")) for word in words]
    return re.sub(r"(?<!\d)[.-]|[.-](?!\d)", "", "".join(words))


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@lru_cache(maxsize=65_536)
def spec_numbers(value: str | None) -> str:
    """Return the numbers of a specification, sorted: the part of a spec that must agree.

    Args:
        value: The spec as written, e.g. "DN 25 PN 40, 7,5 kW".

    Returns:
        E.g. "7.5 25 40", ``""`` when the spec has no numbers or is missing.
    """
    if not value:
        return ""
    numbers = _NUMBER.findall(_spec_text(value))
    return " ".join(sorted(numbers, key=lambda number: (float(number), number)))


_DIGIT_RUNS = re.compile(r"\d+")


@lru_cache(maxsize=65_536)
def product_name(name: str | None, spec_text: str | None = None) -> str:
    """Normalise a product name, dropping a specification appended to it.

    Sources often append the spec to the name ("O-ring OR-267 120x3 mm NBR 70" vs
    "O-ring OR-267"); the spec is compared on its own. A trailing copy of the record's
    spec is removed, and so is anything with numbers after the model code ("Geared motor
    GM-764 7.5 kW 1000 rpm" → "geared motor gm 764").

    Args:
        name: The product name.
        spec_text: The product's spec.

    Returns:
        The folded name without the appended spec.
    """
    if not name:
        return ""
    compact_spec = text(spec_text).replace(" ", "")
    tokens = text(name).split()
    if compact_spec:
        for size in range(len(tokens) - 1, 0, -1):
            if "".join(tokens[-size:]) == compact_spec:
                return " ".join(tokens[:-size])
    words = unicodedata.normalize("NFKC", name).split()
    for index, word in enumerate(words[:-1]):
        if _DIGIT_RUNS.search(word):
            if any(_DIGIT_RUNS.search(rest) for rest in words[index + 1 :]):
                return text(" ".join(words[: index + 1]))
            break
    return " ".join(tokens)


def model_number(name: str | None) -> str:
    """Return the model number of a product name: the digits of its first word with digits.

    "Pressure gauge PG-627" and "Pressure gauge PG-705" are near-identical strings but
    different products: the model number decides.

    Args:
        name: The product name.

    Returns:
        E.g. "627", ``""`` when no word of the name has digits.
    """
    for word in unicodedata.normalize("NFKC", name or "").split():
        digits = "".join(_DIGIT_RUNS.findall(word))
        if digits:
            return digits
    return ""
