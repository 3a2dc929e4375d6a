"""Comparison: field-by-field similarity of candidate pairs, computed over whole arrays.

A comparison takes one column of standardised values (one per record) and the
candidate pairs as two position arrays, and returns one float per pair: a similarity in
``[0, 1]``, or ``NaN`` when either side is missing, so "unknown" never reads as
"different". String similarity runs in rapidfuzz's vectorised ``cpdist`` on all cores;
there is no per-pair Python loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

__all__ = [
    "FloatArray",
    "exact",
    "jaro_winkler",
    "ratio",
    "token_sort",
    "similarity",
]

FloatArray = npt.NDArray[np.float64]
Scorer = Callable[..., float]


def _as_array(values: Sequence[str] | npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    return np.asarray(values, dtype=object)


def _missing(
    left: npt.NDArray[np.object_], right: npt.NDArray[np.object_]
) -> npt.NDArray[np.bool_]:
    return (left == "") | (right == "")


def similarity(
    values: Sequence[str] | npt.NDArray[Any],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    scorer: Scorer,
) -> FloatArray:
    """Score each pair's values with a rapidfuzz scorer normalised to ``[0, 1]``.

    Args:
        values: One standardised string per record.
        left: Record positions of the pairs' left sides.
        right: Record positions of the pairs' right sides.
        scorer: A rapidfuzz scorer returning 0..100 (``fuzz.ratio``, ...).

    Returns:
        One similarity per pair, ``NaN`` where either value is empty.
    """
    column = _as_array(values)
    a, b = column[left], column[right]
    if len(a) == 0:
        return np.empty(0, dtype=np.float64)
    scores = process.cpdist(a, b, scorer=scorer, workers=-1, dtype=np.float64) / 100.0
    scores[_missing(a, b)] = np.nan
    return np.asarray(scores, dtype=np.float64)


def ratio(
    values: Sequence[str] | npt.NDArray[Any],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
) -> FloatArray:
    """Normalised Indel similarity of whole strings (character edits, order matters).

    Args:
        values: One standardised string per record.
        left: Left record positions.
        right: Right record positions.

    Returns:
        One similarity in ``[0, 1]`` per pair, ``NaN`` where missing.
    """
    return similarity(values, left, right, fuzz.ratio)


def token_sort(
    values: Sequence[str] | npt.NDArray[Any],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
) -> FloatArray:
    """Indel similarity after sorting tokens, so word order does not matter.

    Args:
        values: One standardised string per record.
        left: Left record positions.
        right: Right record positions.

    Returns:
        One similarity in ``[0, 1]`` per pair, ``NaN`` where missing.
    """
    return similarity(values, left, right, fuzz.token_sort_ratio)


def jaro_winkler(
    values: Sequence[str] | npt.NDArray[Any],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
) -> FloatArray:
    """Jaro-Winkler similarity, forgiving of typos late in short strings.

    Args:
        values: One standardised string per record.
        left: Left record positions.
        right: Right record positions.

    Returns:
        One similarity in ``[0, 1]`` per pair, ``NaN`` where missing.
    """
    column = _as_array(values)
    a, b = column[left], column[right]
    if len(a) == 0:
        return np.empty(0, dtype=np.float64)
    scores = process.cpdist(
        a, b, scorer=JaroWinkler.normalized_similarity, workers=-1, dtype=np.float64
    )
    scores[_missing(a, b)] = np.nan
    return np.asarray(scores, dtype=np.float64)


def exact(
    values: Sequence[str] | npt.NDArray[Any],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
) -> FloatArray:
    """Exact equality of standardised values.

    Args:
        values: One standardised string per record.
        left: Left record positions.
        right: Right record positions.

    Returns:
        ``1.0`` equal, ``0.0`` different, ``NaN`` where either value is empty.
    """
    column = _as_array(values)
    a, b = column[left], column[right]
    scores = (a == b).astype(np.float64)
    scores[_missing(a, b)] = np.nan
    return scores
