"""Stable golden ids: clusters of this run inherit the ids their members had before.

Each cluster takes the golden id most of its members already carry (ties: the oldest
id, i.e. the smallest). An id goes to one cluster only — the biggest claim wins; other
clusters holding members of that id are *splits* and get new ids. A cluster whose members
carried several ids is a *merge*: it keeps one, the others are retired. Ids no cluster
keeps are retired. Brand-new clusters get new ids.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IdentityEvent:
    """A change of identity: ``create``, ``merge``, ``split`` or ``retire`` of a golden id."""

    event: str
    golden_id: str
    other_golden_ids: tuple[str, ...] = ()
    members: tuple[str, ...] = ()


@dataclass
class GoldenIdAssignment:
    """The golden id of every record key, and the events that led there."""

    golden_of: dict[str, str] = field(default_factory=dict)
    events: list[IdentityEvent] = field(default_factory=list)
    retired: set[str] = field(default_factory=set)


def new_golden_id(prefix: str) -> str:
    """Return a fresh golden id such as ``GC-1f0c6a2e9b7d4c3a``."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def assign_golden_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    active: set[str],
    prefix: str,
    make_id: Callable[[str], str] = new_golden_id,
) -> GoldenIdAssignment:
    """Assign a golden id to every cluster, keeping earlier ids wherever possible.

    Args:
        clusters: Record keys grouped into real-world entities by the matcher.
        previous: Record key → golden id from the last run (the cross-references).
        active: Golden ids active before this run.
        prefix: Prefix of new ids (``GC`` customers, ``GP`` products).
        make_id: Factory of new ids (injectable for tests).

    Returns:
        The assignment with its create/merge/split/retire events.
    """
    result = GoldenIdAssignment()
    claims: list[tuple[int, str, int]] = []  # (-votes, golden_id, cluster index)
    votes_by_cluster: list[Counter[str]] = []
    for index, cluster in enumerate(clusters):
        votes = Counter(previous[k] for k in cluster if k in previous and previous[k] in active)
        votes_by_cluster.append(votes)
        claims.extend((-count, golden_id, index) for golden_id, count in votes.items())
    owner_of_id: dict[str, int] = {}
    id_of_cluster: dict[int, str] = {}
    for _neg_votes, golden_id, index in sorted(claims):
        if golden_id in owner_of_id or index in id_of_cluster:
            continue
        owner_of_id[golden_id] = index
        id_of_cluster[index] = golden_id
    for index, cluster in enumerate(clusters):
        members = tuple(sorted(cluster))
        votes = votes_by_cluster[index]
        kept_id = id_of_cluster.get(index)
        if kept_id is None:
            golden_id = make_id(prefix)
            kind = "split" if votes else "create"
            result.events.append(IdentityEvent(kind, golden_id, tuple(sorted(votes)), members))
        else:
            golden_id = kept_id
            others = tuple(sorted(g for g in votes if g != golden_id and g not in owner_of_id))
            if others:
                result.events.append(IdentityEvent("merge", golden_id, others, members))
        for key in cluster:
            result.golden_of[key] = golden_id
    kept = set(id_of_cluster.values())
    result.retired = {g for g in active if g not in kept}
    result.events.extend(IdentityEvent("retire", g) for g in sorted(result.retired))
    return result
