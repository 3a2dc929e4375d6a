"""Matching: standardise, block, compare, decide and cluster duplicate records.

The entry points are :func:`dedupe.matcher.match_customers`,
:func:`dedupe.matcher.match_products` and :func:`dedupe.matcher.match_contacts` (rules,
hard constraints and the Fellegi–Sunter engine of :mod:`dedupe.engine` together);
:func:`dedupe.evaluate.pairwise_scores` measures a clustering against known truth.

The names below are imported on first use (PEP 562), so ``crmsync dedupe`` and other
users of :mod:`dedupe.engine` or :mod:`dedupe.standardize` do not pay for loading the
pipeline matcher at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dedupe.evaluate import PairwiseScores, pairwise_scores
    from dedupe.matcher import (
        MatchedPair,
        MatchOptions,
        MatchResult,
        ReviewCandidate,
        match_contacts,
        match_customers,
        match_products,
    )

# Public name → the submodule that defines it.
_LAZY = {
    "MatchOptions": "dedupe.matcher",
    "MatchResult": "dedupe.matcher",
    "MatchedPair": "dedupe.matcher",
    "ReviewCandidate": "dedupe.matcher",
    "match_contacts": "dedupe.matcher",
    "match_customers": "dedupe.matcher",
    "match_products": "dedupe.matcher",
    "PairwiseScores": "dedupe.evaluate",
    "pairwise_scores": "dedupe.evaluate",
}

__all__ = [
    "MatchOptions",
    "MatchResult",
    "MatchedPair",
    "PairwiseScores",
    "ReviewCandidate",
    "match_contacts",
    "match_customers",
    "match_products",
    "pairwise_scores",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, including those not imported yet."""
    return sorted(set(globals()) | set(__all__))
