"""Tests of dedupe.cluster."""

from __future__ import annotations

import numpy as np

from dedupe.cluster import ClusterGuard, cluster


def _pairs(*edges: tuple[int, int]) -> np.ndarray:
    return np.array(edges, dtype=np.int64).reshape(-1, 2)


def test_transitive_closure_without_guard() -> None:
    result = cluster(5, _pairs((0, 1), (1, 2)), np.array([0.9, 0.8]))
    assert result.groups() == [[0, 1, 2], [3], [4]]
    assert result.kept.tolist() == [True, True]
    assert result.labels.tolist() == [0, 0, 0, 3, 4]


def test_exclusive_attribute_blocks_chaining() -> None:
    guard = ClusterGuard(exclusive={"tax": ["A", "", "B"]})
    result = cluster(3, _pairs((0, 1), (1, 2)), np.array([0.9, 0.8]), guard)
    assert result.groups() == [[0, 1], [2]]
    assert result.kept.tolist() == [True, False]


def test_strongest_edge_wins() -> None:
    guard = ClusterGuard(exclusive={"tax": ["A", "", "B"]})
    result = cluster(3, _pairs((0, 1), (1, 2)), np.array([0.8, 0.9]), guard)
    assert result.groups() == [[0], [1, 2]]


def test_branch_never_joins_its_parent_through_a_third_record() -> None:
    # 0 = HQ, 1 = branch of 0, 2 = a record similar to both.
    guard = ClusterGuard(
        identity=[frozenset({"crm:0"}), frozenset({"crm:1"}), frozenset({"erp:9"})],
        forbidden=[frozenset(), frozenset({"crm:0"}), frozenset()],
    )
    result = cluster(3, _pairs((0, 2), (1, 2)), np.array([0.9, 0.8]), guard)
    assert result.groups() == [[0, 2], [1]]


def test_no_pairs() -> None:
    result = cluster(2, _pairs(), np.array([]))
    assert result.groups() == [[0], [1]]
    assert result.kept.shape == (0,)
