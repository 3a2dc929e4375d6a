"""Stable golden ids: clusters of this run inherit the ids their members had before.

Records *anchored* to a golden record (linked before and not changed by their source
since) keep their golden id whatever the matcher says this time; new and changed records
of a cluster join the anchored golden record most of the cluster's anchors belong to.

Clusters without anchors inherit by vote: a cluster takes the golden id most of its
members carried (ties: the smallest id). An id goes to one cluster only — the biggest
claim wins; other clusters holding members of that id are *splits* and get new ids. A
cluster whose members carried several ids is a *merge*: it keeps one, the others are
retired. Ids no cluster keeps are retired. Brand-new clusters get new ids. Records that
leave a golden record which lives on, for another one that lives on too, are a *move*
(a record changed at its source and now matches elsewhere), so every change of a
record's golden id is an event.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IdentityEvent:
    """A change of identity: ``create``, ``merge``, ``split``, ``move`` or ``retire``.

    For ``move``, ``golden_id`` is the record's new golden id, ``other_golden_ids`` the
    ones it left and ``members`` the records that moved.
    """

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


def _anchor_groups(
    cluster: Sequence[str], previous: Mapping[str, str], anchors: Collection[str]
) -> list[tuple[list[str], str | None]]:
    """Split a cluster by the golden ids of its anchors; free members join the majority."""
    by_id: dict[str, list[str]] = {}
    free: list[str] = []
    for key in cluster:
        if key in anchors:
            by_id.setdefault(previous[key], []).append(key)
        else:
            free.append(key)
    if not by_id:
        return [(list(cluster), None)]
    majority = min(by_id, key=lambda g: (-len(by_id[g]), g))
    by_id[majority].extend(free)
    return [(members, golden_id) for golden_id, members in by_id.items()]


def assign_golden_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    active: set[str],
    prefix: str,
    make_id: Callable[[str], str] = new_golden_id,
    anchored: Collection[str] = (),
) -> GoldenIdAssignment:
    """Assign a golden id to every cluster, keeping earlier ids wherever possible.

    Args:
        clusters: Record keys grouped into real-world entities by the matcher.
        previous: Record key → golden id from the last run (the cross-references).
        active: Golden ids active before this run.
        prefix: Prefix of new ids (``GC`` customers, ``GP`` products).
        make_id: Factory of new ids (injectable for tests).
        anchored: Keys whose link must hold (linked, unchanged by their source since).

    Returns:
        The assignment with its create/merge/split/retire events.
    """
    anchors = {k for k in anchored if previous.get(k) in active}
    groups: list[tuple[list[str], str | None]] = []
    for cluster in clusters:
        groups.extend(_anchor_groups(cluster, previous, anchors))
    # One real entity may keep one id across several groups when the matcher split its
    # anchored records apart: anchors outrank the matcher.
    id_of_group = {i: g for i, (_m, g) in enumerate(groups) if g is not None}
    owner_of_id: dict[str, int] = {g: i for i, g in id_of_group.items()}
    claims: list[tuple[int, str, int]] = []  # (-votes, golden_id, group index)
    votes_of: list[Counter[str]] = []
    for index, (members, _fixed) in enumerate(groups):
        votes = Counter(previous[k] for k in members if previous.get(k) in active)
        votes_of.append(votes)
        claims.extend((-count, golden_id, index) for golden_id, count in votes.items())
    for _neg_votes, golden_id, index in sorted(claims):
        if golden_id in owner_of_id or index in id_of_group:
            continue
        owner_of_id[golden_id] = index
        id_of_group[index] = golden_id
    result = GoldenIdAssignment()
    for index, (members, _fixed) in enumerate(groups):
        ordered = tuple(sorted(members))
        votes = votes_of[index]
        kept_id = id_of_group.get(index)
        if kept_id is None:
            golden_id = make_id(prefix)
            kind = "split" if votes else "create"
            result.events.append(IdentityEvent(kind, golden_id, tuple(sorted(votes)), ordered))
        else:
            golden_id = kept_id
            others = tuple(sorted(g for g in votes if g != golden_id and g not in owner_of_id))
            if others:
                result.events.append(IdentityEvent("merge", golden_id, others, ordered))
            moved = tuple(
                k for k in ordered if previous.get(k) in owner_of_id and previous[k] != golden_id
            )
            if moved:
                left = tuple(sorted({previous[k] for k in moved}))
                result.events.append(IdentityEvent("move", golden_id, left, moved))
        for key in members:
            result.golden_of[key] = golden_id
    result.retired = {g for g in active if g not in owner_of_id}
    result.events.extend(IdentityEvent("retire", g) for g in sorted(result.retired))
    return result
