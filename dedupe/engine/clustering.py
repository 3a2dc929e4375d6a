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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["ClusterStats", "cluster"]

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
    graph = coo_matrix(
        (np.ones(len(strong), dtype=np.int8), (left[strong], right[strong])), shape=(size, size)
    )
    count, component = connected_components(graph, directed=False)
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
