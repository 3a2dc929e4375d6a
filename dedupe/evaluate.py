"""Evaluation: pairwise precision, recall and F1 of a clustering against known truth.

A clustering implies the set of record pairs that share a cluster; the truth implies
the pairs that share a true entity id. Precision is the share of predicted pairs that
are true, recall the share of true pairs that are predicted. Only records present in
the truth count, so quarantined or unlabelled records neither help nor hurt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["PairwiseScores", "pairwise_scores"]


@dataclass(frozen=True)
class PairwiseScores:
    """Pairwise quality of a clustering.

    Attributes:
        precision: True predicted pairs / predicted pairs (1.0 when nothing is predicted).
        recall: True predicted pairs / true pairs (1.0 when there are no true pairs).
        f1: Harmonic mean of precision and recall.
        true_positives: Predicted pairs that are true.
        predicted_pairs: Pairs implied by the clustering.
        true_pairs: Pairs implied by the truth.
    """

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted_pairs: int
    true_pairs: int


def _pairs(count: int) -> int:
    return count * (count - 1) // 2


def pairwise_scores(clusters: Iterable[Iterable[str]], truth: Mapping[str, str]) -> PairwiseScores:
    """Score clusters of record keys against true entity ids.

    Args:
        clusters: Groups of record keys; a key should appear in at most one group.
        truth: Record key → true entity id. Keys missing here are ignored.

    Returns:
        Pairwise precision, recall, F1 and the underlying counts.
    """
    predicted = 0
    true_positives = 0
    for members in clusters:
        entities = Counter(truth[key] for key in members if key in truth)
        predicted += _pairs(sum(entities.values()))
        true_positives += sum(_pairs(count) for count in entities.values())
    true_pairs = sum(_pairs(count) for count in Counter(truth.values()).values())
    precision = true_positives / predicted if predicted else 1.0
    recall = true_positives / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(
        precision=precision,
        recall=recall,
        f1=f1,
        true_positives=true_positives,
        predicted_pairs=predicted,
        true_pairs=true_pairs,
    )


def golden_clusters(links: Mapping[tuple[str, str], str], entity: str) -> dict[str, list[str]]:
    """Group cross-references ``(system, source_id) -> golden id`` into clusters of keys.

    Keys are ``system/entity/source_id``, as :func:`pairwise_scores` expects them.
    """
    clusters: dict[str, list[str]] = {}
    for (system, source_id), golden_id in sorted(links.items()):
        clusters.setdefault(golden_id, []).append(f"{system}/{entity}/{source_id}")
    return clusters
