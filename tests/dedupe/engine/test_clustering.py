"""Clustering: strongest edges first, and no chaining across a clear non-match."""

from __future__ import annotations

import numpy as np

from dedupe.engine.clustering import cluster


def _run(pairs: list[tuple[int, int, float]], size: int) -> list[int]:
    left = np.array([a for a, _, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b, _ in pairs], dtype=np.int64)
    probability = np.array([p for _, _, p in pairs])
    labels, _ = cluster(size, left, right, probability, match=0.9, cannot_link=0.01)
    return labels.tolist()


def test_components_above_threshold() -> None:
    assert _run([(0, 1, 0.95), (1, 2, 0.99), (3, 4, 0.5)], 5) == [0, 0, 0, 3, 4]


def test_chaining_guard_keeps_clearly_different_records_apart() -> None:
    # A~B and B~C are strong, but A and C were compared and clearly differ.
    labels = _run([(0, 1, 0.99), (1, 2, 0.95), (0, 2, 0.0001)], 3)
    assert labels[0] == labels[1]
    assert labels[2] != labels[0]


def test_guard_checks_every_member_of_both_clusters() -> None:
    pairs = [(0, 1, 0.999), (2, 3, 0.998), (1, 2, 0.97), (0, 3, 0.001)]
    labels, stats = cluster(
        4,
        np.array([a for a, _, _ in pairs]),
        np.array([b for _, b, _ in pairs]),
        np.array([p for _, _, p in pairs]),
        match=0.9,
        cannot_link=0.01,
    )
    assert labels.tolist() == [0, 0, 2, 2]
    assert stats.blocked == 1
    assert stats.clusters == 2


def test_guarded_and_unguarded_components_together() -> None:
    pairs = [(0, 1, 0.99), (1, 2, 0.95), (0, 2, 0.0001), (3, 4, 0.95), (4, 5, 0.93), (6, 7, 0.2)]
    labels, stats = cluster(
        8,
        np.array([a for a, _, _ in pairs]),
        np.array([b for _, b, _ in pairs]),
        np.array([p for _, _, p in pairs]),
        match=0.9,
        cannot_link=0.01,
    )
    assert labels.tolist() == [0, 0, 2, 3, 3, 3, 6, 7]
    assert (stats.edges, stats.joined, stats.blocked, stats.clusters) == (4, 3, 1, 5)
