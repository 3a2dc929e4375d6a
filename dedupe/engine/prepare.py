"""Vectorised standardisation: every distinct raw value is standardised once.

Each configured column becomes one or more *features*: integer codes per record (``-1``
for missing) into an array of distinct standardised strings. Equality is then an
integer comparison, fuzzy scores are computed on distinct value pairs, and term
frequencies are a ``bincount``.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe import standardize as std

__all__ = ["Feature", "Prepared", "prepare", "standardise_column"]

IntArray = npt.NDArray[np.int64]

_UMLAUT_SPELLING = re.compile(r"(?<=[a-z])([aou])e")
_STREET_WORDS = {
    "strasse": "str",
    "straße": "str",
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "lane": "ln",
    "drive": "dr",
    "boulevard": "blvd",
    "place": "pl",
    "square": "sq",
    "weg": "wg",
    "platz": "pl",
    "rue": "r",
    "straat": "str",
    "laan": "ln",
}
_STREET_SUFFIX = re.compile(r"(strasse|straße|straat)\b")


@dataclass
class Feature:
    """One standardised feature over all records.

    Attributes:
        codes: Per record, the index into ``values``; ``-1`` when missing.
        values: The distinct standardised values.
        counts: How many records hold each value (term frequencies).
    """

    codes: IntArray
    values: npt.NDArray[np.object_]
    counts: IntArray = field(init=False)

    def __post_init__(self) -> None:
        self.counts = np.bincount(self.codes[self.codes >= 0], minlength=len(self.values))

    @property
    def present(self) -> npt.NDArray[np.bool_]:
        """Records that have a value."""
        return self.codes >= 0

    def strings(self) -> npt.NDArray[np.object_]:
        """The standardised value per record, ``""`` when missing."""
        out = np.empty(len(self.codes), dtype=object)
        out[:] = ""
        present = self.present
        out[present] = self.values[self.codes[present]]
        return out


@dataclass
class Prepared:
    """All features of a frame, keyed ``column`` or ``column:variant``.

    Attributes:
        size: Number of records.
        features: Feature name → feature.
        kinds: Column name → configured type.
    """

    size: int
    features: dict[str, Feature]
    kinds: dict[str, str]


def _fold_names(value: str) -> str:
    """Fold "ae/oe/ue" spellings of umlauts so "Tröst" and "Troest" agree."""
    return _UMLAUT_SPELLING.sub(r"\1", value)


def _person(value: str) -> str:
    return _fold_names(std.person_name(value))


def _name_part(value: str) -> str:
    return _fold_names(std.text(value))


def _street(value: str) -> str:
    folded = _STREET_SUFFIX.sub(" str", std.text(value))
    return " ".join(_STREET_WORDS.get(token, token) for token in folded.split())


def _house(value: str) -> str:
    return std.text(value).replace(" ", "")


def _email_local(value: str) -> str:
    address = std.email(value)
    return address.split("@", 1)[0] if address else ""


def _iso_dates(values: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    series = pd.Series(values, dtype=object)
    parsed = pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")
    retry = parsed.isna()
    if retry.any():
        parsed[retry] = pd.to_datetime(series[retry], format="mixed", errors="coerce")
    out = parsed.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    out[pd.isna(out)] = ""
    return out


def _sorted_tokens(value: str) -> str:
    return " ".join(sorted(value.split()))


def _first_token(value: str) -> str:
    return value.split(" ", 1)[0]


def _company(value: str) -> str:
    return std.company_name.__wrapped__(value)


# Without a city, ``site_suffix`` finds a site only through a dash, a site word or a CJK
# branch suffix; an ASCII name showing none of them cannot have one, and most names are
# such, so they skip the full function (a third of the time of a company column).
_SITE_HINT = re.compile(
    "|".join(sorted((re.escape(word) for word in std._SITE_WORDS), key=len, reverse=True))
    + r"|[-\u2013\u2014|/]"
)


def _site(value: str) -> str:
    if value.isascii() and not _SITE_HINT.search(value.casefold()):
        return ""
    return std.site_suffix.__wrapped__(value)


def _product(value: str) -> str:
    return std.product_name.__wrapped__(value)


def _city(value: str) -> str:
    return _fold_names(std.city(value))


def _exact(value: str) -> str:
    return value.strip()


Standardiser = Callable[[str], str]

# Per type: feature suffix → function of the raw value. "" is the column's main feature.
# Module-level functions (no lambdas), so a process pool can run them; the cached
# standardisers are called unwrapped: a million distinct names would only thrash the cache.
_VARIANTS: dict[str, dict[str, Standardiser]] = {
    "company_name": {"": _company, "site": _site},
    "person_name": {"": _person},
    "first_name": {"": _name_part},
    "last_name": {"": _name_part},
    "full_address": {"": std.text},
    "street": {"": _street},
    "house_number": {"": _house},
    "city": {"": _city},
    "postcode": {"": std.postcode},
    "region": {"": std.text},
    "country": {"": std.text},
    "phone": {"": std.phone_digits},
    "email": {"": std.email, "local": _email_local},
    "tax_id": {"": std.tax_id},
    "website": {"": std.website_domain},
    "product_code": {"": std.product_code},
    "product_name": {"": _product},
    "text": {"": std.text},
    "exact": {"": _exact},
}
# Derived from the main feature's distinct values, not from raw values.
_DERIVED: dict[str, dict[str, Standardiser]] = {
    "company_name": {"sorted": _sorted_tokens, "first": _first_token},
    "person_name": {"sorted": _sorted_tokens},
    "product_name": {"sorted": _sorted_tokens},
    "full_address": {"sorted": _sorted_tokens},
    "first_name": {"initial": lambda v: v[:1]},
    "last_name": {"initial": lambda v: v[:1]},
}


_PARALLEL_MIN = 50_000


def _apply_chunk(function: Standardiser, values: list[str]) -> list[str]:
    return [function(value) if value else "" for value in values]


def _apply(
    function: Standardiser, distinct: npt.NDArray[np.object_], parallel: bool
) -> npt.NDArray[np.object_]:
    """Standardise distinct values, on two processes when there are many of them."""
    values = distinct.tolist()
    workers = min(2, os.cpu_count() or 1) if parallel else 1
    if (
        len(values) < _PARALLEL_MIN
        or workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return np.array(_apply_chunk(function, values), dtype=object)
    half = len(values) // 2
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(_apply_chunk, function, values[half:])
        first = _apply_chunk(function, values[:half])
        return np.array(first + future.result(), dtype=object)


def _encode(
    codes: IntArray, raw_values: npt.NDArray[np.object_]
) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Re-factorise standardised distinct values: several raw values may fold to one."""
    new_codes, uniques = pd.factorize(pd.Series(raw_values, dtype=object))
    mapped = np.where(codes >= 0, new_codes[np.maximum(codes, 0)], -1)
    values = np.asarray(uniques, dtype=object)
    empty = np.flatnonzero(values == "")
    if len(empty):
        mapped = np.where(mapped == empty[0], -1, mapped)
        mapped = np.where(mapped > empty[0], mapped - 1, mapped)
        values = np.delete(values, empty[0])
    return mapped.astype(np.int64), values


def _derive(feature: Feature, function: Standardiser) -> Feature:
    derived = np.array([function(value) for value in feature.values], dtype=object)
    codes, values = _encode(feature.codes, derived)
    return Feature(codes, values)


def standardise_column(
    series: pd.Series, kind: str, *, parallel: bool = True
) -> dict[str, Feature]:
    """Standardise one column, each distinct value once.

    Args:
        series: Raw values (strings; ``""`` / NA = missing).
        kind: The column type.
        parallel: Allow a second process for many distinct values.

    Returns:
        Feature suffix (``""`` for the main feature) → feature.
    """
    raw = series.astype(object).where(series.notna(), "")
    codes, uniques = pd.factorize(raw.astype(str))
    distinct = np.asarray(uniques, dtype=object)
    out: dict[str, Feature] = {}
    if kind == "date_of_birth":
        out[""] = Feature(*_encode(codes.astype(np.int64), _iso_dates(distinct)))
    else:
        for suffix, function in _VARIANTS[kind].items():
            values = _apply(function, distinct, parallel)
            out[suffix] = Feature(*_encode(codes.astype(np.int64), values))
    for suffix, function in _DERIVED.get(kind, {}).items():
        out[suffix] = _derive(out[""], function)
    return out


def prepare(frame: pd.DataFrame, columns: dict[str, str], *, parallel: bool = True) -> Prepared:
    """Standardise every configured column of a frame.

    Args:
        frame: The records.
        columns: Column name → type (``ignore`` already left out).
        parallel: Allow a second process for columns with many distinct values.

    Returns:
        The features.
    """
    features: dict[str, Feature] = {}
    for name, kind in columns.items():
        for suffix, feature in standardise_column(frame[name], kind, parallel=parallel).items():
            features[f"{name}:{suffix}" if suffix else name] = feature
    return Prepared(size=len(frame), features=features, kinds=dict(columns))
