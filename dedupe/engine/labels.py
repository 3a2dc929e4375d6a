"""Labelled pairs: steward decisions (or any known matches and non-matches) put to use.

Labels act three ways, from general to specific:

1. labelled matches update m (:func:`dedupe.engine.fellegi_sunter.with_labels`);
2. each *agreement pattern* that labelled pairs show is recalibrated
   (:func:`pattern_shifts`): Fellegi–Sunter treats fields as independent, so members of
   one household (same surname, street, phone; another first name) add up to a match.
   Labelled pairs of a pattern are evidence about every pair of that pattern: its
   probability becomes ``(labelled matches + s·p) / (labelled pairs + s)``, the model's
   ``p`` counting as ``s`` labels, and the shift in log-odds applies to all its pairs;
3. a labelled pair itself is decided as labelled (:func:`decided`).

A labels file is CSV with ``left_id``, ``right_id`` and ``is_match`` (or ``match``)
holding 1/0, true/false or yes/no.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe.engine.comparisons import Comparison, level_matrix
from dedupe.engine.config import ConfigError
from dedupe.engine.fellegi_sunter import Model
from dedupe.engine.prepare import Prepared

__all__ = [
    "PATTERN_PRIOR_LABELS",
    "Labelled",
    "decided",
    "labelled_levels",
    "pattern_codes",
    "pattern_shifts",
    "read_labels",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]
Labelled = tuple[LevelMatrix, npt.NDArray[np.bool_]]

PATTERN_PRIOR_LABELS = 2.0
"""How many labelled pairs the model's own probability of a pattern counts as."""

_TRUE = {"1", "true", "yes", "y", "t", "match"}
_FALSE = {"0", "false", "no", "n", "f", "non-match", "nonmatch"}


def read_labels(path: str | Path) -> pd.DataFrame:
    """Read a labels CSV.

    Args:
        path: The file.

    Returns:
        ``left_id``, ``right_id`` (strings) and ``is_match`` (bool).

    Raises:
        ConfigError: When the file is missing, lacks a column or holds another value.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ConfigError([f"labels: cannot read {path}: {error}"]) from None
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    flag = "is_match" if "is_match" in frame.columns else "match"
    missing = [name for name in ("left_id", "right_id", flag) if name not in frame.columns]
    if missing:
        raise ConfigError(
            [f"labels: {path} needs columns left_id, right_id, is_match (missing {missing})"]
        )
    values = frame[flag].str.strip().str.lower()
    wrong = ~values.isin(_TRUE | _FALSE)
    if wrong.any():
        rows = (np.flatnonzero(wrong.to_numpy())[:5] + 2).tolist()
        raise ConfigError([f"labels: {path} {flag} must be 1/0 (lines {rows})"])
    return pd.DataFrame(
        {
            "left_id": frame["left_id"].str.strip(),
            "right_id": frame["right_id"].str.strip(),
            "is_match": values.isin(_TRUE).to_numpy(),
        }
    )


def _positions(
    labels: pd.DataFrame, ids: pd.Index
) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
    left = ids.get_indexer(labels["left_id"].astype(str))
    right = ids.get_indexer(labels["right_id"].astype(str))
    known = (left >= 0) & (right >= 0) & (left != right)
    is_match = labels["is_match"].to_numpy(dtype=bool)[known]
    return left[known].astype(np.int64), right[known].astype(np.int64), is_match


def labelled_levels(
    labels: pd.DataFrame, ids: pd.Index, prepared: Prepared, comparisons: list[Comparison]
) -> tuple[Labelled, IntArray, IntArray]:
    """Levels of the labelled pairs whose two ids are both in the data.

    Args:
        labels: ``left_id``, ``right_id``, ``is_match``.
        ids: Record ids in record order.
        prepared: The standardised features.
        comparisons: The comparisons.

    Returns:
        ``(levels, is_match)`` and the pairs' left and right record indices.
    """
    left, right, is_match = _positions(labels, ids)
    return (level_matrix(prepared, comparisons, left, right), is_match), left, right


def pattern_codes(levels: LevelMatrix, sizes: list[int]) -> IntArray:
    """One integer per agreement pattern (a row of levels).

    Args:
        levels: ``(pairs, comparisons)`` levels.
        sizes: Number of levels per comparison.

    Returns:
        The pattern code of each pair.
    """
    code = np.zeros(len(levels), dtype=np.int64)
    for index, size in enumerate(sizes):
        code = code * size + levels[:, index]
    return code


def pattern_shifts(
    codes: IntArray,
    model: Model,
    labelled: Labelled,
    sizes: list[int],
    *,
    prior_labels: float = PATTERN_PRIOR_LABELS,
) -> FloatArray:
    """Log2-odds shift per pair from the labelled pairs of its agreement pattern.

    Args:
        codes: Pattern code per candidate pair (:func:`pattern_codes`).
        model: The model (its weight of a pattern is the model's view).
        labelled: Levels of the labelled pairs and whether each is a match.
        sizes: Number of levels per comparison.
        prior_labels: How many labels the model's probability counts as.

    Returns:
        Per candidate pair, the shift to add to its match weight (0 for patterns no
        labelled pair shows).
    """
    levels, is_match = labelled
    shifts = np.zeros(len(codes))
    if not len(levels):
        return shifts
    label_codes = pattern_codes(levels, sizes)
    distinct, first, inverse = np.unique(label_codes, return_index=True, return_inverse=True)
    labelled_pairs = np.bincount(inverse, minlength=len(distinct)).astype(np.float64)
    matches = np.bincount(inverse, weights=is_match.astype(np.float64), minlength=len(distinct))
    weight = model.match_weight(levels[first])
    probability = 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))
    posterior = (matches + prior_labels * probability) / (labelled_pairs + prior_labels)
    posterior = np.clip(posterior, 1e-12, 1 - 1e-12)
    shift = np.log2(posterior / (1 - posterior)) - np.clip(weight, -60, 60)
    where = np.searchsorted(distinct, codes).clip(0, len(distinct) - 1)
    hit = distinct[where] == codes
    shifts[hit] = shift[where[hit]]
    return shifts


def decided(
    left: IntArray,
    right: IntArray,
    size: int,
    labelled_left: IntArray,
    labelled_right: IntArray,
    is_match: npt.NDArray[np.bool_],
) -> tuple[IntArray, npt.NDArray[np.bool_], IntArray, IntArray]:
    """Where labelled pairs are among the candidates, and the labelled matches that are not.

    Args:
        left: Left record of each candidate pair (pairs sorted by ``left * size + right``,
            ``left < right``, as blocking returns them).
        right: Right record of each candidate pair.
        size: Number of records.
        labelled_left: Left record of each labelled pair.
        labelled_right: Right record of each labelled pair.
        is_match: Whether each labelled pair is a match.

    Returns:
        Indices of labelled candidate pairs, their labels, and the left and right
        records of labelled matches outside the candidates (to be joined all the same).
    """
    low = np.minimum(labelled_left, labelled_right)
    high = np.maximum(labelled_left, labelled_right)
    wanted = low * size + high
    encoded = left * size + right
    where = np.searchsorted(encoded, wanted).clip(0, max(len(encoded) - 1, 0))
    found = (encoded[where] == wanted) if len(encoded) else np.zeros(len(wanted), dtype=bool)
    outside = ~found & is_match
    return where[found], is_match[found], low[outside], high[outside]
