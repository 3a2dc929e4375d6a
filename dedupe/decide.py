"""Pair decisions: hard constraints, rules, engine probability and steward decisions.

Per candidate pair the evidence is: whether the entity's hard constraints allow a match
at all, whether its rules accept the pair, the engine's match probability (when it
scored the pair at or above the lower threshold), and a steward's decision if any.

* A steward's *merge* makes the pair a match; a *reject* rules it out. Both beat
  everything else.
* Otherwise a pair that breaks a hard constraint is no match, whatever its probability.
* ``combined`` (default): a match when the rules accept it or the probability reaches
  the upper threshold; ``engine``: the probability alone; ``rules``: the rules alone. A
  match on probability also needs the entity's minimum corroboration (a plausible name),
  else it goes to review.
* A pair that is no match but whose probability reaches the lower threshold goes to the
  review queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["METHODS", "Decisions", "Evidence", "decide"]

METHODS = ("combined", "engine", "rules")

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Evidence:
    """What is known about each candidate pair (arrays of one length).

    Attributes:
        allowed: The hard constraints allow a match.
        rule_accept: The entity's rules accept the pair.
        rule_score: The rules' confidence in ``[0, 1]``.
        rule_reason: The accepting rule, ``""`` when none.
        plausible: The pair has the corroboration an engine-only match needs.
        probability: The engine's match probability; ``NaN`` when not scored (below the
            lower threshold, or no engine).
        must_link: A steward merged the pair.
        cannot_link: A steward rejected the pair.
    """

    allowed: BoolArray
    rule_accept: BoolArray
    rule_score: FloatArray
    rule_reason: npt.NDArray[np.object_]
    plausible: BoolArray
    probability: FloatArray
    must_link: BoolArray
    cannot_link: BoolArray


@dataclass(frozen=True)
class Decisions:
    """Per pair: a match, a pair to review, or neither; with score and reason.

    Attributes:
        match: Merge the pair.
        review: Ask a steward.
        score: Confidence in ``[0, 1]``: the larger of rule score and probability.
        priority: Clustering order, highest first: steward merges, then pairs the rules
            accept (by rule score), then pairs only the engine matched (by probability),
            so the engine adds matches without reordering the rules' own.
        reason: Why the pair matched.
    """

    match: BoolArray
    review: BoolArray
    score: FloatArray
    priority: FloatArray
    reason: npt.NDArray[np.object_]


def decide(evidence: Evidence, *, method: str, upper: float, lower: float) -> Decisions:
    """Decide every candidate pair.

    Args:
        evidence: The pairs' evidence.
        method: One of :data:`METHODS`.
        upper: Probability at or above which a pair matches.
        lower: Probability at or above which an unmatched pair goes to review.

    Returns:
        The decisions.

    Raises:
        ValueError: For an unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"unknown match method {method!r}; expected one of {METHODS}")
    probability = np.nan_to_num(evidence.probability, nan=0.0)
    base = evidence.allowed & ~evidence.cannot_link
    by_engine = (probability >= upper) & evidence.plausible
    if method == "rules":
        automatic = evidence.rule_accept
    elif method == "engine":
        automatic = by_engine
    else:
        automatic = evidence.rule_accept | by_engine
    match = (base & automatic) | evidence.must_link
    review = base & ~match & (probability >= lower)
    by_rules = evidence.rule_accept if method != "engine" else np.zeros(len(match), dtype=bool)
    rule_score = np.where(by_rules, evidence.rule_score, 0.0)
    score = np.where(evidence.must_link, 1.0, np.fmax(rule_score, probability))
    priority = np.where(evidence.must_link, 3.0, np.where(by_rules, 1.0 + rule_score, probability))
    reason = np.full(len(match), "", dtype=object)
    for index in np.flatnonzero(match):
        if evidence.must_link[index]:
            reason[index] = "steward merge"
        elif by_rules[index]:
            reason[index] = str(evidence.rule_reason[index])
        else:
            reason[index] = f"engine probability {probability[index]:.3f}"
    return Decisions(
        match=np.asarray(match, dtype=np.bool_),
        review=np.asarray(review, dtype=np.bool_),
        score=score.astype(np.float64),
        priority=priority.astype(np.float64),
        reason=reason,
    )
