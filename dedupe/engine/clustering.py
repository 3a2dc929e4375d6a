"""Clustering: connected components above the match threshold, guarded against chaining.

Edges are joined strongest first (Kruskal order) with a union-find. Two clusters are not
joined when any candidate pair between them scored below the cannot-link threshold: the
pair was compared and is clearly not a match, so A~B and B~C must not glue A to C.
The loop runs only over edges above the threshold inside connected components that hold
a cannot-link pair (a small share of the pairs); the cannot-link check walks the smaller
side's constraints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ClusterStats", "cluster", "connected_components"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class ClusterStats:
    """What clustering did.

    Attributes:
        edges: Pairs at or above the match threshold.
        joined: Edges that joined two clusters.
        blocked: Edges refused by the chaining guard.
        clusters: Number of clusters (singletons included).
    """

    edges: int = 0
    joined: int = 0
    blocked: int = 0
    clusters: int = 0


def connected_components(size: int, left: IntArray, right: IntArray) -> tuple[int, IntArray]:
    """Connected components of an undirected graph, numbered in order of their first node.

    Every node starts as its own root; each round hooks the larger root of an edge's
    ends onto the smaller one, then halves paths until every node points at its root.
    Components end up rooted at their smallest node. The rounds needed grow with the
    length of the longest chain, which is short in record-linkage graphs.

    Args:
        size: Number of nodes.
        left: One end per edge.
        right: The other end per edge.

    Returns:
        The number of components and each node's component.
    """
    root = np.arange(size, dtype=np.int64)
    left, right = left.astype(np.int64), right.astype(np.int64)
    while len(left):
        low = np.minimum(root[left], root[right])
        high = np.maximum(root[left], root[right])
        apart = low != high
        if not apart.any():
            break
        np.minimum.at(root, high[apart], low[apart])
        while True:
            jumped = root[root]
            if np.array_equal(jumped, root):
                break
            root = jumped
        # Edges inside one component are settled for good.
        left, right = left[apart], right[apart]
    # Roots are the smallest node of each component, so numbering them in order of
    # appearance numbers the components in order of their first node.
    is_root = root == np.arange(size)
    number = np.cumsum(is_root) - 1
    return int(is_root.sum()), number[root]


def _find(parent: list[int], node: int) -> int:
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:
        parent[node], node = root, parent[node]
    return root


def cluster(
    size: int,
    left: IntArray,
    right: IntArray,
    probability: FloatArray,
    *,
    match: float,
    cannot_link: float,
) -> tuple[IntArray, ClusterStats]:
    """Assign a cluster label to every record.

    Args:
        size: Number of records.
        left: Left record per scored pair.
        right: Right record per scored pair.
        probability: Match probability per pair.
        match: Edges at or above join clusters.
        cannot_link: Pairs below keep their clusters apart.

    Returns:
        Per record, the smallest record index of its cluster; and statistics.
    """
    stats = ClusterStats()
    strong = np.flatnonzero(probability >= match)
    stats.edges = len(strong)
    count, component = connected_components(size, left[strong], right[strong])
    # Only a weak pair inside one connected component of the strong edges can ever
    # block a join. Components without one are clusters as they are; the union-find
    # loop below runs only over the edges of the others (a small share).
    weak = (probability < cannot_link) & (component[left] == component[right])
    conflicted = np.zeros(count, dtype=bool)
    conflicted[component[left[weak]]] = True
    labels = np.full(count, size, dtype=np.int64)
    np.minimum.at(labels, component, np.arange(size, dtype=np.int64))
    labels = labels[component]
    sizes = np.bincount(component, minlength=count)
    stats.joined = int((sizes[~conflicted] - 1).sum())
    strong = strong[conflicted[component[left[strong]]]]
    strong = strong[np.argsort(-probability[strong], kind="stable")]
    forbidden: dict[int, set[int]] = {}
    for a, b in zip(left[weak].tolist(), right[weak].tolist(), strict=True):
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)
    parent = list(range(size))
    members: dict[int, list[int]] = {}
    for a, b in zip(left[strong].tolist(), right[strong].tolist(), strict=True):
        root_a, root_b = _find(parent, a), _find(parent, b)
        if root_a == root_b:
            continue
        group_a = members.get(root_a, [root_a])
        group_b = members.get(root_b, [root_b])
        if len(group_a) > len(group_b):
            root_a, root_b, group_a, group_b = root_b, root_a, group_b, group_a
        if any(
            _find(parent, other) == root_b for node in group_a for other in forbidden.get(node, ())
        ):
            stats.blocked += 1
            continue
        parent[root_a] = root_b
        members[root_b] = group_b + group_a
        members.pop(root_a, None)
        stats.joined += 1
    in_conflict = np.flatnonzero(conflicted[component])
    labels[in_conflict] = in_conflict
    for group in members.values():
        labels[group] = min(group)
    stats.clusters = int(len(np.unique(labels)))
    return labels, stats
