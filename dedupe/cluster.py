"""Clustering: union-find over accepted pairs, with a guard against chaining.

Transitive closure alone lets one weak edge chain two different entities together
(A~B, B~C although A and C conflict). Edges are therefore applied strongest first, and
an edge is refused when the two components it would join conflict:

* an *exclusive* attribute (tax id, product code) would get two different non-empty
  values inside one cluster, or
* one component holds a record the other component forbids (a branch forbids its head
  office, so a branch and its HQ are never merged, not even through a third record).

*Forced* edges (a steward's merge decision) are applied first and are never refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["ClusterGuard", "Clustering", "cluster"]


@dataclass(frozen=True)
class ClusterGuard:
    """Per-record facts the clustering must not violate.

    Attributes:
        exclusive: Attribute name → one value per record (``""`` = unknown); a cluster
            may hold at most one distinct non-empty value of each.
        identity: Per record, the tokens that name it (e.g. ``"crm:ACC-1"``).
        forbidden: Per record, identity tokens of records it must never share a cluster
            with (e.g. its parent's).
    """

    exclusive: dict[str, Sequence[str]] = field(default_factory=dict)
    identity: Sequence[frozenset[str]] = ()
    forbidden: Sequence[frozenset[str]] = ()


@dataclass(frozen=True)
class Clustering:
    """The result of clustering.

    Attributes:
        labels: Per record, the smallest record position in its cluster.
        kept: Per input edge, whether the guard let it through.
    """

    labels: npt.NDArray[np.int64]
    kept: npt.NDArray[np.bool_]

    def groups(self) -> list[list[int]]:
        """Return the clusters as sorted lists of record positions, sorted by first member."""
        groups: dict[int, list[int]] = {}
        for position, label in enumerate(self.labels.tolist()):
            groups.setdefault(label, []).append(position)
        return [groups[label] for label in sorted(groups)]


class _Component:
    __slots__ = ("exclusive", "forbidden", "identity")

    def __init__(self, exclusive: dict[str, str], identity: set[str], forbidden: set[str]):
        self.exclusive = exclusive
        self.identity = identity
        self.forbidden = forbidden

    def conflicts(self, other: _Component) -> bool:
        for name, value in self.exclusive.items():
            theirs = other.exclusive.get(name)
            if theirs is not None and theirs != value:
                return True
        return bool(self.identity & other.forbidden or other.identity & self.forbidden)

    def absorb(self, other: _Component) -> None:
        for name, value in other.exclusive.items():
            self.exclusive.setdefault(name, value)
        self.identity |= other.identity
        self.forbidden |= other.forbidden


def cluster(
    n_records: int,
    pairs: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float64],
    guard: ClusterGuard | None = None,
    forced: npt.NDArray[np.bool_] | None = None,
) -> Clustering:
    """Cluster records by applying accepted pairs strongest first, refusing conflicts.

    Args:
        n_records: Number of records; positions are ``0 .. n_records - 1``.
        pairs: Accepted ``(left, right)`` record positions, shape ``(m, 2)``.
        scores: One score per pair; higher scores are applied first (ties by position).
        guard: Conflicts to refuse; no guard means plain transitive closure.
        forced: Per pair, True when the guard must let it through (applied first).

    Returns:
        Cluster labels per record and which edges were kept.
    """
    guard = guard or ClusterGuard()
    parent = list(range(n_records))
    components = {
        position: _Component(
            {name: vals[position] for name, vals in guard.exclusive.items() if vals[position]},
            set(guard.identity[position]) if guard.identity else set(),
            set(guard.forbidden[position]) if guard.forbidden else set(),
        )
        for position in range(n_records)
    }

    def find(position: int) -> int:
        root = position
        while parent[root] != root:
            root = parent[root]
        while parent[position] != root:
            parent[position], position = root, parent[position]
        return root

    kept = np.zeros(len(pairs), dtype=np.bool_)
    force = np.zeros(len(pairs), dtype=np.bool_) if forced is None else forced
    for index in np.lexsort((pairs[:, 1], pairs[:, 0], -scores, ~force)).tolist():
        root_a, root_b = find(int(pairs[index, 0])), find(int(pairs[index, 1]))
        if root_a == root_b:
            kept[index] = True
            continue
        if not force[index] and components[root_a].conflicts(components[root_b]):
            continue
        keep, drop = min(root_a, root_b), max(root_a, root_b)
        parent[drop] = keep
        components[keep].absorb(components.pop(drop))
        kept[index] = True
    labels = np.fromiter(
        (find(position) for position in range(n_records)), dtype=np.int64, count=n_records
    )
    return Clustering(labels=labels, kept=kept)
