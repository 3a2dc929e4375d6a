"""Vectorised standardisation: every distinct raw value is standardised once, column-wise.

Each configured column becomes one or more *features*: integer codes per record (``-1``
for missing) into an array of distinct standardised strings. Equality is then an
integer comparison, fuzzy scores are computed on distinct value pairs, and term
frequencies are a ``bincount``. Standardisers take a whole list of distinct values
(:func:`dedupe.standardize.company_names` and friends fold all of them in one pass).
"""

from __future__ import annotations

import multiprocessing
import operator
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe import standardize as std
from dedupe.engine.background import Background
from dedupe.engine.phones import e164_numbers, region_code

__all__ = ["ColumnReader", "Feature", "Prepared", "prepare", "prepare_read", "standardise_column"]

IntArray = npt.NDArray[np.int64]
Values = list[str]
T = TypeVar("T")
R = TypeVar("R")
ColumnStandardiser = Callable[[Values], Values]
# Reads the named columns of the records (as text) into a frame.
ColumnReader = Callable[[list[str]], pd.DataFrame]

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
# A whole word of _STREET_WORDS in lines of words joined by spaces and newlines.
_STREET_WORD = re.compile(
    "(?<![^ \n])(?:"
    + "|".join(map(re.escape, sorted(_STREET_WORDS, key=len, reverse=True)))
    + ")(?![^ \n])"
)


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


class Standardiser(Protocol):
    """A standardiser of a list of distinct raw values."""

    def __call__(self, values: Values, simplify_chinese: bool) -> Values:
        """Standardise ``values``, optionally writing Chinese in simplified characters."""
        ...


class SeveralStandardiser(Protocol):
    """A standardiser of distinct raw values giving several features in one pass."""

    def __call__(self, values: Values, simplify_chinese: bool) -> tuple[Values, ...]:
        """One list of standardised values per feature, each in the order of ``values``."""
        ...


def _fold_names(values: Values) -> Values:
    """Fold "ae/oe/ue" spellings of umlauts so "Tröst" and "Troest" agree."""
    if not values:
        return []
    return _UMLAUT_SPELLING.sub(r"\1", "\n".join(values)).split("\n")


def _texts(values: Values, simplify_chinese: bool) -> Values:
    return std.fold_texts(values, simplify_chinese=simplify_chinese)


def _companies(values: Values, simplify_chinese: bool) -> Values:
    return std.company_names(values, simplify_chinese=simplify_chinese)


def _companies_and_sites(values: Values, simplify_chinese: bool) -> tuple[Values, Values]:
    """Names and sites in one pass (sites compare as written, never simplified)."""
    return std.company_names_and_sites(values, simplify_chinese=simplify_chinese)


def _persons(values: Values, simplify_chinese: bool) -> Values:
    return _fold_names(std.person_names(values, simplify_chinese=simplify_chinese))


def _name_parts(values: Values, simplify_chinese: bool) -> Values:
    return _fold_names(_texts(values, simplify_chinese))


def _city(values: Values, simplify_chinese: bool) -> Values:
    return _fold_names(_texts(values, simplify_chinese))


def _street(values: Values, simplify_chinese: bool) -> Values:
    folded = _texts(values, simplify_chinese)
    if not folded:
        return []
    joined = _STREET_SUFFIX.sub(" str", "\n".join(folded))
    joined = _STREET_WORD.sub(lambda word: _STREET_WORDS[word.group()], joined)
    return _single_spaced(joined).split("\n")


def _single_spaced(joined: str) -> str:
    """Lines joined by newlines with one space between words and none at the line ends."""
    while "  " in joined:
        joined = joined.replace("  ", " ")
    return joined.replace(" \n", "\n").replace("\n ", "\n").strip(" ")


def _house(values: Values, simplify_chinese: bool) -> Values:
    return [value.replace(" ", "") for value in _texts(values, simplify_chinese)]


def _country(values: Values, simplify_chinese: bool) -> Values:
    """ISO alpha-2 codes where the country is recognised, else the folded text."""
    codes = [region_code(value) for value in values]
    return [
        code or folded for code, folded in zip(codes, _texts(values, simplify_chinese), strict=True)
    ]


@dataclass(frozen=True)
class _PerValue:
    """A standardiser of single values applied to a list (picklable for the process pool)."""

    function: Callable[[str], str]

    def __call__(self, values: Values, simplify_chinese: bool) -> Values:
        del simplify_chinese
        return [self.function(value) if value else "" for value in values]


def _emails(values: Values, simplify_chinese: bool) -> Values:
    del simplify_chinese
    return std.emails(values)


def _tax_ids(values: Values, simplify_chinese: bool) -> Values:
    del simplify_chinese
    return std.tax_ids(values)


def _websites(values: Values, simplify_chinese: bool) -> Values:
    del simplify_chinese
    return std.website_domains(values)


def _product(value: str) -> str:
    return std.product_name.__wrapped__(value)


def _exact(value: str) -> str:
    return value.strip()


def _iso_dates(values: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    series = pd.Series(values, dtype=object)
    parsed = pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")
    retry = parsed.isna()
    if retry.any():
        parsed[retry] = pd.to_datetime(series[retry], format="mixed", errors="coerce")
    out = parsed.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    out[pd.isna(out)] = ""
    return out


# Per type: feature suffix → standardiser of a list of distinct raw values (and whether
# to simplify Chinese). "" is the column's main feature. Module-level functions, so a
# process pool can run them.
_VARIANTS: dict[str, dict[str, Standardiser]] = {
    "person_name": {"": _persons},
    "first_name": {"": _name_parts},
    "last_name": {"": _name_parts},
    "full_address": {"": _texts},
    "street": {"": _street},
    "house_number": {"": _house},
    "city": {"": _city},
    "postcode": {"": _PerValue(std.postcode)},
    "region": {"": _texts},
    "country": {"": _country},
    "email": {"": _emails},
    "tax_id": {"": _tax_ids},
    "website": {"": _websites},
    "product_code": {"": _PerValue(std.product_code)},
    "product_name": {"": _PerValue(_product)},
    "text": {"": _texts},
    "exact": {"": _PerValue(_exact)},
}


# Types whose standardiser gives several features in one pass: their suffixes, and a
# function of distinct raw values returning one list per suffix.
_SEVERAL: dict[str, tuple[tuple[str, ...], SeveralStandardiser]] = {
    "company_name": (("", "site"), _companies_and_sites),
}


def _sorted_tokens(values: Values) -> Values:
    return [" ".join(sorted(value.split())) for value in values]


def _first_tokens(values: Values) -> Values:
    return [value.partition(" ")[0] for value in values]


def _local_parts(values: Values) -> Values:
    return [value.partition("@")[0] for value in values]


def _initials(values: Values) -> Values:
    return [value[:1] for value in values]


_PHONE_TAIL = 9


def _phone_tails(values: Values) -> Values:
    """The last nine digits of E.164 numbers: agree when the country code is missing.

    A record without a country keeps a number written without "+" as bare digits, and a
    US number written "001 …" (a European habit) is read by the US rules as part of
    the number; the tail of the subscriber number agrees in both cases.
    """
    return [value.removeprefix("+")[-_PHONE_TAIL:] for value in values]


# Derived from the main feature's distinct values, not from raw values.
_DERIVED: dict[str, dict[str, ColumnStandardiser]] = {
    "company_name": {"sorted": _sorted_tokens, "first": _first_tokens},
    "person_name": {"sorted": _sorted_tokens},
    "product_name": {"sorted": _sorted_tokens},
    "full_address": {"sorted": _sorted_tokens},
    "phone": {"digits": _phone_tails},
    "email": {"local": _local_parts},
    "first_name": {"initial": _initials},
    "last_name": {"initial": _initials},
}


_PARALLEL_MIN = 50_000


def _apply(
    function: Callable[[list[T]], R],
    values: list[T],
    parallel: bool,
    merge: Callable[[R, R], R] = operator.add,
) -> R:
    """Standardise distinct values, on two processes when there are many of them.

    ``merge`` joins the results of the two halves (lists: concatenation).
    """
    workers = min(2, os.cpu_count() or 1) if parallel else 1
    if (
        len(values) < _PARALLEL_MIN
        or workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return function(values)
    half = len(values) // 2
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(function, values[half:])
        first = function(values[:half])
        return merge(first, future.result())


def _concat_each(first: tuple[Values, ...], second: tuple[Values, ...]) -> tuple[Values, ...]:
    return tuple(a + b for a, b in zip(first, second, strict=True))


def _encode(codes: IntArray, raw_values: Values) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Re-factorise standardised distinct values: several raw values may fold to one."""
    new_codes, uniques = pd.factorize(np.asarray(raw_values, dtype=object))
    mapped = np.where(codes >= 0, new_codes[np.maximum(codes, 0)], -1)
    values = np.asarray(uniques, dtype=object)
    empty = np.flatnonzero(values == "")
    if len(empty):
        mapped = np.where(mapped == empty[0], -1, mapped)
        mapped = np.where(mapped > empty[0], mapped - 1, mapped)
        values = np.delete(values, empty[0])
    return mapped.astype(np.int64), values


def _derive(feature: Feature, function: ColumnStandardiser) -> Feature:
    codes, values = _encode(feature.codes, function(feature.values.tolist()))
    return Feature(codes, values)


def _raw_codes(series: pd.Series) -> tuple[IntArray, Values]:
    """Per record, the index of its raw value among the distinct raw values (NA = "")."""
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    distinct = np.asarray(uniques, dtype=object).tolist()
    if not all(type(value) is str for value in distinct):
        # Not all text (e.g. numbers from Parquet): the slow, general way.
        raw = series.astype(object).where(series.notna(), "").astype(str)
        codes, uniques = pd.factorize(raw.to_numpy(dtype=object))
        distinct = np.asarray(uniques, dtype=object).tolist()
    elif (codes < 0).any():
        codes = np.where(codes < 0, len(distinct), codes)
        distinct.append("")
    return codes.astype(np.int64), distinct


def _e164_pairs(pairs: list[tuple[str, str]]) -> Values:
    return e164_numbers([phone for phone, _ in pairs], [region for _, region in pairs])


def _phones(series: pd.Series, regions: pd.Series | None, parallel: bool) -> Feature:
    """E.164 over distinct (number, region) pairs."""
    phone_codes, phones = _raw_codes(series)
    if regions is None:
        region_codes, region_of = np.zeros(len(phone_codes), dtype=np.int64), [""]
    else:
        region_codes, countries = _raw_codes(regions)
        region_of = [region_code(country) for country in countries]
    width = max(len(region_of), 1)
    codes, uniques = pd.factorize(phone_codes * width + region_codes)
    keys = np.asarray(uniques, dtype=np.int64)
    pairs = list(
        zip(
            np.asarray(phones, dtype=object)[keys // width].tolist(),
            np.asarray(region_of, dtype=object)[keys % width].tolist(),
            strict=True,
        )
    )
    return Feature(*_encode(codes.astype(np.int64), _apply(_e164_pairs, pairs, parallel)))


def standardise_column(
    series: pd.Series,
    kind: str,
    *,
    parallel: bool = True,
    simplify_chinese: bool = True,
    regions: pd.Series | None = None,
) -> dict[str, Feature]:
    """Standardise one column, each distinct value once.

    Args:
        series: Raw values (strings; ``""`` / NA = missing).
        kind: The column type.
        parallel: Allow a second process for many distinct values.
        simplify_chinese: Write traditional Chinese characters as simplified ones in
            names, addresses and text.
        regions: For phones, each record's country (code or name), the default region
            of numbers written without ``+``.

    Returns:
        Feature suffix (``""`` for the main feature) → feature.
    """
    out: dict[str, Feature] = {}
    if kind == "phone":
        out[""] = _phones(series, regions, parallel)
    else:
        codes, distinct = _raw_codes(series)
        if kind == "date_of_birth":
            dates = _iso_dates(np.asarray(distinct, dtype=object)).tolist()
            out[""] = Feature(*_encode(codes, dates))
        if kind in _SEVERAL:
            suffixes, several = _SEVERAL[kind]
            column_lists = _apply(
                partial(several, simplify_chinese=simplify_chinese),
                distinct,
                parallel,
                merge=_concat_each,
            )
            for suffix, standardised in zip(suffixes, column_lists, strict=True):
                out[suffix] = Feature(*_encode(codes, standardised))
        for suffix, function in _VARIANTS.get(kind, {}).items():
            column = partial(function, simplify_chinese=simplify_chinese)
            out[suffix] = Feature(*_encode(codes, _apply(column, distinct, parallel)))
    for suffix, derived in _DERIVED.get(kind, {}).items():
        out[suffix] = _derive(out[""], derived)
    return out


# Rough cost of a column, by type, for sharing columns out: standardising (measured on
# the 1M benchmark in units of ~0.5 s of CPU: company names ~11 units, phones ~5,
# e-mails ~2, streets ~1.5, tax ids and web sites ~1, postcodes ~0.5, the rest less),
# plus reading the column from a file (~0.3 units, company names ~0.7) when the
# workers read their own columns.
_COST = {
    "company_name": 20,
    "phone": 10,
    "person_name": 4,
    "product_name": 4,
    "full_address": 4,
    "email": 4,
    "street": 3,
    "text": 2,
    "tax_id": 2,
    "website": 2,
    "postcode": 1,
    "date_of_birth": 0.5,
}
_SMALL_COST = 0.3
_READ_COST = {"company_name": 1.4}
_SMALL_READ_COST = 0.6
# What a forked worker reads instead of receiving the frame pickled.
_FORKED: dict[str, tuple[pd.DataFrame, dict[str, str], bool, pd.Series | None]] = {}


def _cost(kind: str, read: bool) -> float:
    cost = _COST.get(kind, _SMALL_COST)
    return cost + _READ_COST.get(kind, _SMALL_READ_COST) if read else cost


def _split(
    columns: dict[str, str], read: bool = False, head_start: float = 0.0
) -> tuple[list[str], list[str]]:
    """Two groups of columns of about equal cost, the costliest column in the first.

    Args:
        columns: Column name → type.
        read: Count the cost of reading each column too.
        head_start: Work the second group's process has besides its columns.
    """
    groups: tuple[list[str], list[str]] = ([], [])
    loads = [0.0, head_start]
    for name in sorted(columns, key=lambda column: -_cost(columns[column], read)):
        lighter = 0 if loads[0] <= loads[1] else 1
        groups[lighter].append(name)
        loads[lighter] += _cost(columns[name], read)
    return groups


def _standardise_columns(
    frame: pd.DataFrame,
    columns: dict[str, str],
    names: list[str],
    simplify_chinese: bool,
    regions: pd.Series | None,
) -> dict[str, Feature]:
    features: dict[str, Feature] = {}
    for name in names:
        standardised = standardise_column(
            frame[name],
            columns[name],
            parallel=False,
            simplify_chinese=simplify_chinese,
            regions=regions,
        )
        for suffix, feature in standardised.items():
            features[f"{name}:{suffix}" if suffix else name] = feature
    return features


def _standardise_forked(names: list[str]) -> dict[str, Feature]:
    frame, columns, simplify_chinese, regions = _FORKED["job"]
    return _standardise_columns(frame, columns, names, simplify_chinese, regions)


def _country_column(columns: dict[str, str]) -> str | None:
    return next((name for name, kind in columns.items() if kind == "country"), None)


def _read_and_standardise(
    read: ColumnReader,
    columns: dict[str, str],
    names: list[str],
    keep: list[str],
    simplify_chinese: bool,
) -> tuple[dict[str, Feature], pd.DataFrame]:
    """Read ``names`` (and ``keep``, and the country for phones), standardise ``names``.

    Returns:
        The features, and the ``keep`` columns as read.
    """
    country = _country_column(columns)
    wanted = [*keep, *names]
    if country is not None and country not in wanted and "phone" in map(columns.get, names):
        wanted.append(country)
    frame = read(wanted)
    regions = frame[country] if country is not None and country in frame else None
    features = _standardise_columns(frame, columns, names, simplify_chinese, regions)
    return features, frame[[name for name in keep if name in frame]]


def _ordered(features: dict[str, Feature], columns: dict[str, str]) -> dict[str, Feature]:
    """The features in the order of the configured columns."""
    return {
        key: features[key]
        for name in columns
        for key in features
        if key == name or key.startswith(f"{name}:")
    }


def prepare_read(
    read: ColumnReader,
    columns: dict[str, str],
    *,
    keep: list[str],
    parallel: bool = True,
    simplify_chinese: bool = True,
) -> tuple[Prepared, pd.DataFrame]:
    """Read and standardise every configured column, sharing both over two processes.

    With ``parallel``, a forked second process reads and standardises about half of the
    columns (the costliest among them) while this one reads and standardises the rest;
    only the features travel back. Reading a column costs about as much as
    standardising a cheap one, so both halves are sped up.

    Args:
        read: Reads the named columns of the records.
        columns: Column name → type (``ignore`` already left out).
        keep: Columns to read and return as they are (e.g. the record id).
        parallel: Allow a second process (worth it for many records).
        simplify_chinese: Write traditional Chinese characters as simplified ones.

    Returns:
        The features, and the ``keep`` columns.
    """
    forked, here = _split(columns, read=True, head_start=_SMALL_READ_COST * len(keep))
    worker = Background(
        _read_and_standardise,
        read,
        columns,
        forked,
        [],
        simplify_chinese,
        enabled=parallel and bool(here),
    )
    if not worker.forked:
        forked, here = [], list(columns)
    features, kept = _read_and_standardise(read, columns, here, keep, simplify_chinese)
    if forked:
        features.update(worker.result()[0])
    prepared = Prepared(size=len(kept), features=_ordered(features, columns), kinds=dict(columns))
    return prepared, kept


def prepare(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    parallel: bool = True,
    simplify_chinese: bool = True,
) -> Prepared:
    """Standardise every configured column of a frame.

    With ``parallel`` and many records, a forked second process standardises about half
    of the work (the costliest column and others) while this one does the rest; the
    child reads the frame from the fork, only the features travel back.

    Args:
        frame: The records.
        columns: Column name → type (``ignore`` already left out).
        parallel: Allow a second process.
        simplify_chinese: Write traditional Chinese characters as simplified ones.

    Returns:
        The features.
    """
    country = _country_column(columns)
    regions = frame[country] if country is not None else None
    forked, here = _split(columns)
    if (
        not parallel
        or len(frame) < _PARALLEL_MIN
        or not here
        or (os.cpu_count() or 1) < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        features = _standardise_columns(frame, columns, list(columns), simplify_chinese, regions)
    else:
        _FORKED["job"] = (frame, columns, simplify_chinese, regions)
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                future = pool.submit(_standardise_forked, forked)
                features = _standardise_columns(frame, columns, here, simplify_chinese, regions)
                features.update(future.result())
        finally:
            _FORKED.clear()
    return Prepared(size=len(frame), features=_ordered(features, columns), kinds=dict(columns))
