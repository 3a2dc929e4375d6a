"""Matching: standardise, block, compare, decide and cluster duplicate records.

The entry points are :func:`dedupe.matcher.match_customers`,
:func:`dedupe.matcher.match_products` and :func:`dedupe.matcher.match_contacts` (rules,
hard constraints and the Fellegi–Sunter engine of :mod:`dedupe.engine` together);
:func:`dedupe.evaluate.pairwise_scores` measures a clustering against known truth.
"""

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
