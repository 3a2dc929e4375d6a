"""Matching: standardise, block, compare, decide and cluster duplicate records.

The entry points are :func:`dedupe.matcher.match_customers` and
:func:`dedupe.matcher.match_products`; :func:`dedupe.evaluate.pairwise_scores` measures a
clustering against known truth.
"""

from dedupe.evaluate import PairwiseScores, pairwise_scores
from dedupe.matcher import MatchedPair, MatchResult, match_customers, match_products

__all__ = [
    "MatchResult",
    "MatchedPair",
    "PairwiseScores",
    "match_customers",
    "match_products",
    "pairwise_scores",
]
