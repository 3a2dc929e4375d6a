"""Clustering: strongest edges first, and no chaining across a clear non-match."""

from __future__ import annotations

import numpy as np

from dedupe.engine.clustering import cluster, connected_components


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


def _components_by_search(size: int, left: list[int], right: list[int]) -> list[int]:
    """Each node's smallest reachable node, by breadth-first search (the reference)."""
    neighbours: dict[int, list[int]] = {}
    for a, b in zip(left, right, strict=True):
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    smallest = list(range(size))
    seen: set[int] = set()
    for start in range(size):
        if start in seen:
            continue
        found, frontier = {start}, [start]
        while frontier:
            frontier = [n for node in frontier for n in neighbours.get(node, []) if n not in found]
            found.update(frontier)
        seen |= found
        for node in found:
            smallest[node] = start
    return smallest


def _components(size: int, left: list[int], right: list[int]) -> tuple[int, list[int]]:
    count, component = connected_components(
        size, np.array(left, dtype=np.int64), np.array(right, dtype=np.int64)
    )
    return count, component.tolist()


def test_connected_components_equal_a_search_on_random_graphs() -> None:
    rng = np.random.default_rng(3)
    for size, edges in ((1, 0), (50, 10), (200, 150), (1000, 990), (500, 2000)):
        left = rng.integers(0, size, edges).tolist()
        right = rng.integers(0, size, edges).tolist()
        count, component = _components(size, left, right)
        smallest = _components_by_search(size, left, right)
        firsts = sorted(set(smallest))
        assert count == len(firsts)
        # Numbered in order of each component's first node.
        assert component == [firsts.index(node) for node in smallest]


def test_connected_components_of_a_long_chain_given_backwards() -> None:
    size = 10_000
    left = list(range(size - 1, 0, -1))
    count, component = _components(size, left, [node - 1 for node in left])
    assert (count, set(component)) == (1, {0})


def test_connected_components_without_edges_are_the_nodes() -> None:
    assert _components(3, [], []) == (3, [0, 1, 2])
