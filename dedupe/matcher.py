"""The matcher: rules and the Fellegi–Sunter engine together, for customers, products
and contacts.

For one entity's records: the entity's rule set (:mod:`dedupe.customer_rules`,
:mod:`dedupe.product_rules`, :mod:`dedupe.contact_rules`) proposes candidate pairs and
states its hard constraints; the engine (:mod:`dedupe.scoring`) scores pairs with
weights estimated from the data itself (steward decisions as labelled pairs); every
pair is decided (:mod:`dedupe.decide`): match, review or nothing; matches are clustered
strongest first with a guard against chaining (:mod:`dedupe.cluster`); steward
rejections become cannot-links no chain may cross. Review pairs come back with their
explanation, for the review queue.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from dedupe.blocking import PairArray
from dedupe.cluster import ClusterGuard, cluster
from dedupe.contact_rules import ContactRules
from dedupe.customer_rules import CustomerRules
from dedupe.decide import Evidence, decide
from dedupe.product_rules import ProductRules
from dedupe.rules import EntityRules
from dedupe.scoring import ENGINE_MIN_RECORDS, EngineScores, FieldEvidence, score_pairs
from mappings.models import Contact, Customer, Product, Record

__all__ = [
    "MatchOptions",
    "MatchResult",
    "MatchedPair",
    "ReviewCandidate",
    "match_contacts",
    "match_customers",
    "match_products",
    "match_records",
]

KeyPair = tuple[str, str]


@dataclass(frozen=True)
class MatchOptions:
    """How to decide pairs.

    Attributes:
        method: ``combined``, ``engine`` or ``rules`` (see :mod:`dedupe.decide`).
        upper: Engine probability at or above which a pair matches.
        lower: Engine probability at or above which an unmatched pair goes to review.
        must_link: Record-key pairs a steward merged.
        cannot_link: Record-key pairs a steward rejected.
        labels: Pass steward decisions to the engine as labelled pairs.
    """

    method: str = "combined"
    upper: float = 0.9
    lower: float = 0.5
    must_link: Collection[KeyPair] = ()
    cannot_link: Collection[KeyPair] = ()
    labels: bool = True


@dataclass(frozen=True)
class MatchedPair:
    """Two records judged to be the same entity.

    Attributes:
        left: Record key (``SourceRef.key()``) of one record, the smaller one.
        right: Record key of the other record.
        score: Confidence in ``[0, 1]`` (the larger of rule score and probability).
        reason: Short explanation, e.g. ``"tax_id equal"`` or ``"engine probability 0.97"``.
        probability: The engine's probability, when it scored the pair.
    """

    left: str
    right: str
    score: float
    reason: str
    probability: float | None = None


@dataclass(frozen=True)
class ReviewCandidate:
    """An uncertain pair for a steward, with the engine's explanation.

    Attributes:
        left: Record key of one record, the smaller one.
        right: Record key of the other.
        probability: The engine's match probability.
        match_weight: The engine's match weight (log2 odds).
        explanation: Per field: level, agreement and weight contribution.
    """

    left: str
    right: str
    probability: float
    match_weight: float
    explanation: tuple[FieldEvidence, ...]


@dataclass(frozen=True)
class MatchResult:
    """The outcome of matching one entity's records.

    Attributes:
        clusters: Every input key in exactly one cluster (singletons included); each
            cluster sorted, clusters sorted by their first key.
        pairs: The accepted pairs, i.e. the edges used for clustering.
        candidate_pairs: Number of pairs decided (blocking, engine and steward pairs).
        review: Uncertain pairs whose records did not end up in one cluster.
        stats: Counts of the decision (pairs by origin, engine statistics).
    """

    clusters: list[list[str]]
    pairs: list[MatchedPair]
    candidate_pairs: int
    review: list[ReviewCandidate] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def _positions(pairs: Collection[KeyPair], position: Mapping[str, int]) -> npt.NDArray[np.int64]:
    known = [
        sorted((position[a], position[b]))
        for a, b in pairs
        if a in position and b in position and a != b
    ]
    return np.asarray(known, dtype=np.int64).reshape(-1, 2)


def _codes(pairs: PairArray, n_records: int) -> npt.NDArray[np.int64]:
    return pairs[:, 0].astype(np.int64) * np.int64(max(n_records, 1)) + pairs[:, 1]


def _union(n_records: int, *parts: PairArray) -> PairArray:
    stacked = np.concatenate([p.reshape(-1, 2) for p in parts]).astype(np.int64)
    if len(stacked) == 0:
        return stacked.reshape(0, 2)
    codes = np.unique(_codes(stacked, n_records))
    size = np.int64(max(n_records, 1))
    return np.column_stack((codes // size, codes % size)).astype(np.int64)


def _member_of(pairs: PairArray, subset: PairArray, n_records: int) -> npt.NDArray[np.bool_]:
    if len(subset) == 0:
        return np.zeros(len(pairs), dtype=np.bool_)
    return np.isin(_codes(pairs, n_records), _codes(subset, n_records))


def _with_cannot_links(guard: ClusterGuard, n_records: int, cannot: PairArray) -> ClusterGuard:
    if len(cannot) == 0:
        return guard
    identity = [set(guard.identity[i]) if guard.identity else set() for i in range(n_records)]
    forbidden = [set(guard.forbidden[i]) if guard.forbidden else set() for i in range(n_records)]
    for left, right in cannot.tolist():
        identity[left].add(f"#record:{left}")
        identity[right].add(f"#record:{right}")
        forbidden[left].add(f"#record:{right}")
        forbidden[right].add(f"#record:{left}")
    return replace(
        guard,
        identity=[frozenset(tokens) for tokens in identity],
        forbidden=[frozenset(tokens) for tokens in forbidden],
    )


def _labels(options: MatchOptions) -> list[tuple[str, str, bool]]:
    if not options.labels:
        return []
    return [(a, b, True) for a, b in options.must_link] + [
        (a, b, False) for a, b in options.cannot_link
    ]


def _engine(rules: EntityRules, records: Sequence[Record], options: MatchOptions) -> EngineScores:
    if options.method == "rules":
        return EngineScores.empty()
    return score_pairs(
        rules.entity, records, upper=options.upper, lower=options.lower, labels=_labels(options)
    )


def match_records(
    rules: EntityRules, records: Sequence[Record], options: MatchOptions | None = None
) -> MatchResult:
    """Match one entity's records with its rule set and the engine.

    Args:
        rules: The entity's rule set.
        records: Canonical records (quarantined ones already removed); record keys
            must be unique.
        options: Method, thresholds and steward decisions.

    Returns:
        Clusters, accepted pairs and the pairs to review.
    """
    options = options or MatchOptions()
    if len(records) < ENGINE_MIN_RECORDS:
        # Too few records to estimate the engine's weights: the rules decide.
        options = replace(options, method="rules")
    cols = rules.columns(records)
    keys = rules.keys(cols)
    n_records = len(keys)
    position = {key: index for index, key in enumerate(keys)}
    engine = _engine(rules, records, options)
    must = _positions(options.must_link, position)
    cannot = _positions(options.cannot_link, position)
    blocked = rules.candidates(cols)
    pairs = _union(n_records, blocked, engine.pairs, must)
    row = engine.index_of(pairs, n_records)
    probability = np.full(len(pairs), np.nan)
    probability[row >= 0] = engine.probability[row[row >= 0]]
    rule = rules.accept(cols, pairs)
    evidence = Evidence(
        allowed=rules.allowed(cols, pairs),
        rule_accept=rule.accept,
        rule_score=rule.score,
        rule_reason=rule.reason,
        plausible=rules.plausible(cols, pairs),
        probability=probability,
        must_link=_member_of(pairs, must, n_records),
        cannot_link=_member_of(pairs, cannot, n_records),
    )
    decisions = decide(evidence, method=options.method, upper=options.upper, lower=options.lower)
    accepted = np.flatnonzero(decisions.match)
    clustering = cluster(
        n_records,
        pairs[accepted],
        decisions.priority[accepted],
        _with_cannot_links(rules.guard(cols), n_records, cannot),
        forced=evidence.must_link[accepted],
    )
    clusters = sorted(sorted(keys[p] for p in group) for group in clustering.groups())
    matched = []
    for index in accepted[clustering.kept]:
        left, right = keys[pairs[index, 0]], keys[pairs[index, 1]]
        p = probability[index]
        matched.append(
            MatchedPair(
                left,
                right,
                round(float(decisions.score[index]), 4),
                str(decisions.reason[index]),
                None if np.isnan(p) else round(float(p), 4),
            )
        )
    matched.sort(key=lambda pair: (-pair.score, pair.left, pair.right))
    review = []
    for index in np.flatnonzero(decisions.review):
        left_pos, right_pos = int(pairs[index, 0]), int(pairs[index, 1])
        if clustering.labels[left_pos] == clustering.labels[right_pos]:
            continue  # joined through other, surer pairs: nothing left to decide
        engine_row = int(row[index])
        review.append(
            ReviewCandidate(
                keys[left_pos],
                keys[right_pos],
                round(float(engine.probability[engine_row]), 4),
                float(engine.match_weight[engine_row]),
                engine.explain(engine_row),
            )
        )
    review.sort(key=lambda pair: (-pair.probability, pair.left, pair.right))
    stats = {
        "blocking_pairs": len(blocked),
        "engine_pairs": len(engine.pairs),
        "steward_pairs": len(must) + len(cannot),
        "allowed": int(evidence.allowed.sum()),
        "rule_matches": int((evidence.allowed & rule.accept).sum()),
        "engine_matches": int(
            (evidence.allowed & (np.nan_to_num(probability) >= options.upper)).sum()
        ),
        "refused_by_constraints": int(
            (~evidence.allowed & (np.nan_to_num(probability) >= options.upper)).sum()
        ),
        "refused_by_guard": int((~clustering.kept).sum()),
    }
    return MatchResult(
        clusters=clusters,
        pairs=matched,
        candidate_pairs=len(pairs),
        review=review,
        stats=stats,
    )


def match_customers(
    records: Sequence[Customer], options: MatchOptions | None = None
) -> MatchResult:
    """Find duplicate customers within and across systems and cluster them."""
    return match_records(CustomerRules(), records, options)


def match_products(records: Sequence[Product], options: MatchOptions | None = None) -> MatchResult:
    """Find duplicate products on code, name and specification and cluster them."""
    return match_records(ProductRules(), records, options)


def match_contacts(
    records: Sequence[Contact],
    customer_of: Mapping[str, str],
    options: MatchOptions | None = None,
) -> MatchResult:
    """Find the same contact person within each golden customer.

    Args:
        records: Canonical contacts.
        customer_of: Record key of a contact → golden id of its customer; contacts
            without one are never matched.
        options: Method, thresholds and steward decisions.
    """
    return match_records(ContactRules(customer_of), records, options)
