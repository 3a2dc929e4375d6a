"""Explanations: for each pair, every field's level and its contribution to the weight."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe.engine.comparisons import Comparison
from dedupe.engine.fellegi_sunter import Model

__all__ = ["explain", "explain_pair"]


def explain(
    comparisons: list[Comparison],
    model: Model,
    levels: npt.NDArray[np.int8],
    adjustments: npt.NDArray[np.float64],
) -> pd.DataFrame:
    """Per pair and comparison, the level label and its weight (log2 Bayes factor).

    Args:
        comparisons: The comparisons, in level-matrix column order.
        model: The estimated model.
        levels: ``(pairs, comparisons)`` levels.
        adjustments: ``(pairs, comparisons)`` term-frequency adjustments (log2).

    Returns:
        Columns ``<name>_level`` and ``<name>_weight`` per comparison.
    """
    columns: dict[str, object] = {}
    for index, (comparison, weight) in enumerate(zip(comparisons, model.weights(), strict=True)):
        labels = np.asarray(comparison.labels, dtype=object)
        columns[f"{comparison.name}_level"] = labels[levels[:, index]]
        columns[f"{comparison.name}_weight"] = np.round(
            weight[levels[:, index]] + adjustments[:, index], 3
        )
    return pd.DataFrame(columns)


def explain_pair(
    comparisons: list[Comparison],
    model: Model,
    levels: npt.NDArray[np.int8],
    adjustments: npt.NDArray[np.float64],
) -> list[tuple[str, str, float]]:
    """One pair's explanation, strongest contributions first.

    Args:
        comparisons: The comparisons.
        model: The estimated model.
        levels: The pair's level per comparison.
        adjustments: The pair's term-frequency adjustment per comparison.

    Returns:
        ``(comparison, level label, weight)`` sorted by absolute weight.
    """
    rows = [
        (comparison.name, comparison.labels[level], float(weight[level] + adjustment))
        for comparison, weight, level, adjustment in zip(
            comparisons, model.weights(), levels.tolist(), adjustments.tolist(), strict=True
        )
    ]
    return sorted(rows, key=lambda row: -abs(row[2]))
