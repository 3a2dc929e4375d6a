"""Features only blocking reads, derived from the prepared features on first use.

Blocking on exact names and dates loses every pair with a typo in both keys' fields.
These variants survive the usual person-data noise:

* ``<name>:phonetic`` — Soundex of a first or last name (of every word, sorted, for a
  whole ``person_name``): "meyer" and "maier" agree.
* ``<first>:name_low`` / ``<last>:name_high`` — the smaller and the larger of the
  first and last name's phonetic codes: a record with the names swapped gets the same
  pair. With one name missing, both hold the other's code.
* ``<first>:initial_low`` / ``<last>:initial_high`` — the same for the initials.
* ``<date>:year`` of an ISO date of birth: with names, a key that survives a wrong day
  or month, or both swapped.
* ``<name>:tag`` — the same code for every record: it adds nothing to a key's blocks but
  names the column. A key on ``name_low`` also reads the last name (the smaller code
  may be either name's), and the engine leaves the comparisons of the columns a key
  names out of that key's estimate, since its pairs agree there by construction.

A variant is computed once per distinct value where it can be and kept in
``prepared.features`` under its name, so each key using it reads it as a plain feature.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe.engine.phonetic import soundex, soundex_tokens
from dedupe.engine.prepare import Feature, Prepared

__all__ = ["blocking_feature", "has_feature"]

IntArray = npt.NDArray[np.int64]
Values = list[str]

# Per column type: variant → function of the main feature's distinct values.
_PER_VALUE: dict[str, dict[str, Callable[[Values], Values]]] = {
    "first_name": {"phonetic": soundex},
    "last_name": {"phonetic": soundex},
    "person_name": {"phonetic": soundex_tokens},
    "date_of_birth": {
        "year": lambda dates: [date[:4] for date in dates],
    },
}
# Variants over the first first_name and last_name columns together: variant → the
# (first, last) features it orders, and whether it is the smaller or the larger.
_UNORDERED: dict[str, tuple[str, str, bool]] = {
    "name_low": ("phonetic", "phonetic", False),
    "name_high": ("phonetic", "phonetic", True),
    "initial_low": ("initial", "initial", False),
    "initial_high": ("initial", "initial", True),
}


def _first_of(prepared: Prepared, kind: str) -> str | None:
    return next((column for column, each in prepared.kinds.items() if each == kind), None)


def has_feature(prepared: Prepared, name: str) -> bool:
    """Whether ``name`` is a prepared feature or a blocking variant that can be derived.

    Args:
        prepared: The standardised features.
        name: ``column`` or ``column:variant``.

    Returns:
        True when :func:`blocking_feature` can give it.
    """
    if name in prepared.features:
        return True
    column, _, variant = name.partition(":")
    kind = prepared.kinds.get(column)
    if kind is None or column not in prepared.features:
        return False
    if variant in _PER_VALUE.get(kind, {}) or variant == "tag":
        return True
    if variant in _UNORDERED:
        first, last = _first_of(prepared, "first_name"), _first_of(prepared, "last_name")
        wanted = first if variant.endswith("_low") else last
        return column == wanted and first is not None and last is not None
    return False


def _from_values(feature: Feature, function: Callable[[Values], Values]) -> Feature:
    """A feature of the main feature's distinct values (several may give one value)."""
    derived = np.asarray(function(feature.values.tolist()), dtype=object)
    new_codes, uniques = pd.factorize(derived)
    values = np.asarray(uniques, dtype=object)
    codes = np.where(feature.codes >= 0, new_codes[np.maximum(feature.codes, 0)], -1)
    empty = np.flatnonzero(values == "")
    if len(empty):
        codes = np.where(codes == empty[0], -1, codes)
        codes = np.where(codes > empty[0], codes - 1, codes)
        values = np.delete(values, empty[0])
    return Feature(codes.astype(np.int64), values)


def _ranks(feature: Feature, vocabulary: npt.NDArray[np.object_]) -> IntArray:
    """Per record, the position of its value in the sorted ``vocabulary`` (-1: missing)."""
    positions = np.searchsorted(vocabulary, feature.values).astype(np.int64)
    return np.where(feature.codes >= 0, positions[np.maximum(feature.codes, 0)], -1)


def _unordered(prepared: Prepared, variant: str) -> Feature:
    part, _, larger = _UNORDERED[variant]
    first = blocking_feature(prepared, f"{_first_of(prepared, 'first_name')}:{part}")
    last = blocking_feature(prepared, f"{_first_of(prepared, 'last_name')}:{part}")
    vocabulary = np.unique(np.concatenate([first.values, last.values]))
    a, b = _ranks(first, vocabulary), _ranks(last, vocabulary)
    # -1 (missing) loses every max and would win every min: a lone name is both.
    a = np.where(a < 0, b, a)
    b = np.where(b < 0, a, b)
    ranks = np.maximum(a, b) if larger else np.minimum(a, b)
    used, codes = np.unique(ranks[ranks >= 0], return_inverse=True)
    out = np.full(len(ranks), -1, dtype=np.int64)
    out[ranks >= 0] = codes
    return Feature(out, vocabulary[used])


def blocking_feature(prepared: Prepared, name: str) -> Feature:
    """A prepared feature, or a blocking variant derived (and kept) on first use.

    Args:
        prepared: The standardised features; derived variants are added to them.
        name: ``column`` or ``column:variant`` (see the module docstring).

    Returns:
        The feature.

    Raises:
        KeyError: When the name is neither prepared nor a derivable variant.
    """
    if name in prepared.features:
        return prepared.features[name]
    if not has_feature(prepared, name):
        raise KeyError(f"no feature {name!r}")
    column, _, variant = name.partition(":")
    kind = prepared.kinds[column]
    if variant in _UNORDERED:
        feature = _unordered(prepared, variant)
    elif variant == "tag":
        feature = Feature(np.zeros(prepared.size, dtype=np.int64), np.array(["*"], dtype=object))
    else:
        feature = _from_values(prepared.features[column], _PER_VALUE[kind][variant])
    prepared.features[name] = feature
    return feature
