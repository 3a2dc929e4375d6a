"""Fellegi–Sunter scoring: m/u probabilities estimated from the data, match weights.

* u (how often a level occurs between two *random* records) comes from random pairs,
  almost all non-matches (:func:`frequencies`).
* m (how often a level occurs between two records of one entity) comes from EM with u
  fixed, run once per blocking key with the key's own fields left out, then the median
  over keys (:func:`estimate_by_key`): a key's pairs agree on its fields whether they
  match or not, and a loose key can settle on a degenerate split that the median
  ignores.
* The prior (probability that two random records match) is the fixed point of the
  expected number of matching candidate pairs (:func:`estimate_prior`); a few EM steps
  over all candidates with every field then sharpen m (:func:`refine`).

EM runs on the distinct level patterns with their counts, so its cost does not grow
with the number of pairs. Missing levels are neutral: left out of both likelihoods.
Labelled pairs, when given, enter EM with their known class, and the labelled matches
then update m directly (:func:`with_labels`): EM's m is the prior, each labelled match
one observation. Where similar non-matches (members of one household) fool EM into
calling them matches, a few labelled matches show what matches really look like.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "Model",
    "encode_patterns",
    "estimate",
    "estimate_by_key",
    "estimate_prior",
    "frequencies",
    "refine",
    "with_labels",
]

FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]
_SMOOTHING = 1.0
_MIN_PROBABILITY = 1e-6
_MIN_KEY_PAIRS = 50
_IMPLIED_SHARE = 0.95
_TOP_LEVEL_M = 0.9


@dataclass
class Model:
    """Estimated parameters.

    Attributes:
        m: Per comparison, P(level | match) by level (index 0, missing, unused).
        u: Per comparison, P(level | non-match) among candidate pairs.
        u_random: Per comparison, P(level | random pair), for term-frequency adjustments.
        prior: Share of matches among candidate pairs.
        iterations: EM iterations run.
        overrides: Comparison index → fixed weights by level (hard rules).
    """

    m: list[FloatArray]
    u: list[FloatArray]
    u_random: list[FloatArray]
    prior: float
    iterations: int = 0
    overrides: dict[int, FloatArray] = field(default_factory=dict)

    def weights(self) -> list[FloatArray]:
        """Per comparison, the match weight log2(m/u) by level (0 for missing)."""
        out = []
        for index, (m, u) in enumerate(zip(self.m, self.u, strict=True)):
            weight = np.log2(np.maximum(m, _MIN_PROBABILITY) / np.maximum(u, _MIN_PROBABILITY))
            weight[0] = 0.0
            out.append(self.overrides.get(index, weight))
        return out

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds of a match among candidate pairs."""
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def match_weight(self, levels: LevelMatrix) -> FloatArray:
        """Total match weight (prior included) of each pair.

        Args:
            levels: ``(pairs, comparisons)`` levels.

        Returns:
            log2 odds of a match per pair.
        """
        total = np.full(len(levels), self.prior_weight)
        for index, weight in enumerate(self.weights()):
            total += weight[levels[:, index]]
        return total


def frequencies(levels: LevelMatrix, sizes: list[int]) -> list[FloatArray]:
    """Smoothed share of each non-missing level per comparison.

    Args:
        levels: ``(pairs, comparisons)`` levels.
        sizes: Number of levels per comparison (missing included).

    Returns:
        Per comparison, probabilities by level (index 0 is 1, unused).
    """
    out = []
    for index, size in enumerate(sizes):
        counts = np.bincount(levels[:, index], minlength=size)[:size].astype(np.float64)
        counts[1:] += _SMOOTHING
        probabilities = counts / counts[1:].sum()
        probabilities[0] = 1.0
        out.append(probabilities)
    return out


def encode_patterns(
    levels: LevelMatrix, sizes: list[int]
) -> tuple[npt.NDArray[np.int8], FloatArray, npt.NDArray[np.int64]]:
    """Distinct level patterns with their counts.

    Args:
        levels: ``(pairs, comparisons)`` levels.
        sizes: Number of levels per comparison.

    Returns:
        Patterns ``(distinct, comparisons)``, their counts, and each pair's pattern index.
    """
    code = np.zeros(len(levels), dtype=np.int64)
    for index, size in enumerate(sizes):
        code = code * size + levels[:, index]
    # What np.unique gives (patterns in code order), by hashing instead of sorting all
    # pairs: only the few distinct codes are sorted.
    seen, distinct = pd.factorize(code)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    inverse = rank[seen]
    # Factorised codes number the patterns in order of first appearance.
    latest = np.maximum.accumulate(seen)
    first = np.flatnonzero(np.r_[len(seen) > 0, latest[1:] > latest[:-1]])[order]
    counts = np.bincount(inverse, minlength=len(order)).astype(np.float64)
    return levels[first], counts, inverse


def _log_likelihood(patterns: npt.NDArray[np.int8], probabilities: list[FloatArray]) -> FloatArray:
    total = np.zeros(len(patterns))
    for index, values in enumerate(probabilities):
        total += np.log(np.maximum(values, _MIN_PROBABILITY))[patterns[:, index]]
    return total


def _initial_m(sizes: list[int]) -> list[FloatArray]:
    # Matches mostly agree exactly; the rest falls geometrically towards "different".
    # Also the fallback for a comparison no key could estimate (too little data).
    out = []
    for size in sizes:
        mass = 2.0 ** np.arange(size, dtype=np.float64)
        mass[0] = 0.0
        mass[-1] = 0.0
        probabilities = _TOP_LEVEL_M * np.eye(1, size, size - 1)[0]
        if mass.sum():
            probabilities += (1 - _TOP_LEVEL_M) * mass / mass.sum()
        else:
            probabilities[-1] = 1.0
        probabilities[0] = 1.0
        out.append(probabilities)
    return out


def _m_step(
    patterns: npt.NDArray[np.int8], weights: FloatArray, sizes: list[int]
) -> list[FloatArray]:
    out = []
    for index, size in enumerate(sizes):
        counts = np.bincount(patterns[:, index], weights=weights, minlength=size)[:size]
        counts = counts.astype(np.float64)
        # A thousandth of the mean pattern weight keeps unseen levels possible without
        # moving the estimates of seen ones.
        counts[1:] += _SMOOTHING * max(weights.sum(), 1.0) / max(len(weights), 1) * 1e-3
        probabilities = counts / max(counts[1:].sum(), _MIN_PROBABILITY)
        probabilities[0] = 1.0
        out.append(probabilities)
    return out


def estimate(
    patterns: npt.NDArray[np.int8],
    counts: FloatArray,
    sizes: list[int],
    u_random: list[FloatArray],
    *,
    labelled: tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]] | None = None,
    iterations: int = 50,
    tolerance: float = 1e-5,
    fix_u: bool = True,
) -> Model:
    """Estimate m, u and the prior with EM over candidate-pair patterns.

    Args:
        patterns: Distinct level patterns of the candidate pairs.
        counts: How many candidate pairs have each pattern.
        sizes: Number of levels per comparison.
        u_random: u-probabilities from random pairs (the starting u).
        labelled: Level patterns of labelled pairs and whether each is a match.
        iterations: Maximum iterations.
        tolerance: Stop when no m or u value moves more than this.
        fix_u: Keep the random-pair u (else u is re-estimated among candidate pairs).

    Returns:
        The model.
    """
    m, u = _initial_m(sizes), [values.copy() for values in u_random]
    prior = 0.1
    if labelled is not None and len(labelled[0]):
        patterns = np.concatenate([patterns, labelled[0]])
        fixed = labelled[1].astype(np.float64)
        counts = np.concatenate([counts, np.ones(len(fixed))])
    else:
        fixed = np.empty(0)
    free = len(patterns) - len(fixed)
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007
        log_odds = np.log(prior / (1 - prior)) + (
            _log_likelihood(patterns, m) - _log_likelihood(patterns, u)
        )
        responsibility = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -500, 500)))
        responsibility[free:] = fixed
        matched = counts * responsibility
        new_m = _m_step(patterns, matched, sizes)
        new_u = u if fix_u else _m_step(patterns, counts - matched, sizes)
        prior = float(np.clip(matched[:free].sum() / counts[:free].sum(), 1e-6, 1 - 1e-6))
        shift = max(float(np.max(np.abs(a - b))) for a, b in zip(new_m + new_u, m + u, strict=True))
        m, u = new_m, new_u
        if shift < tolerance:
            break
    return Model(m=m, u=u, u_random=u_random, prior=prior, iterations=done)


def _implied(levels: LevelMatrix) -> set[int]:
    """Comparisons that (almost) always agree within a key's pairs.

    Records sharing a key value share what that value implies (a city implies the
    country), matches or not; such a comparison cannot separate the two classes there
    and would pull EM towards calling every pair a match.
    """
    present = (levels > 0).sum(axis=0)
    agreeing = (levels > 1).sum(axis=0)
    share = agreeing / np.maximum(present, 1)
    return {int(index) for index in np.flatnonzero((share >= _IMPLIED_SHARE) & (present > 0))}


def estimate_by_key(
    levels: LevelMatrix,
    masks: npt.NDArray[np.int64],
    excluded: list[set[int]],
    sizes: list[int],
    u_random: list[FloatArray],
    *,
    labelled: tuple[LevelMatrix, npt.NDArray[np.bool_]] | None = None,
    iterations: int = 50,
    max_pairs: int = 2_000_000,
    seed: int = 1,
) -> Model:
    """Estimate m with EM once per blocking key, then average.

    The pairs of one key agree on that key's fields by construction, so those
    comparisons say nothing there and are left out (made "missing") in that key's EM;
    every comparison is estimated from the keys that do not block on it. u stays the
    random-pair u, so the weights apply to any pair.

    Args:
        levels: ``(pairs, comparisons)`` levels of the candidate pairs.
        masks: Per pair, bit ``k`` set when key ``k`` produced it.
        excluded: Per key, the comparisons it blocks on.
        sizes: Number of levels per comparison.
        u_random: u-probabilities from random pairs.
        labelled: Level patterns of labelled pairs and whether each is a match.
        iterations: Maximum EM iterations per key.
        max_pairs: Pairs per key beyond this are sampled.
        seed: Seed of that sample.

    Returns:
        The model; its prior is the share of matches among candidate pairs of the
        keys (replace it with :func:`estimate_prior`).
    """
    rng = np.random.default_rng(seed)
    estimates: list[list[FloatArray]] = [[] for _ in sizes]
    done = 0
    for key, skip in enumerate(excluded):
        rows = np.flatnonzero(masks & (1 << key))
        if len(rows) < _MIN_KEY_PAIRS or len(skip) == len(sizes):
            continue
        if len(rows) > max_pairs:
            rows = rng.choice(rows, max_pairs, replace=False)
        subset = levels[rows]
        skip = skip | _implied(subset)
        if len(skip) == len(sizes):
            continue
        subset[:, sorted(skip)] = 0
        patterns, counts, _ = encode_patterns(subset, sizes)
        key_labelled = None
        if labelled is not None:
            known = labelled[0].copy()
            known[:, sorted(skip)] = 0
            key_labelled = (known, labelled[1])
        model = estimate(
            patterns, counts, sizes, u_random, labelled=key_labelled, iterations=iterations
        )
        log_odds = (
            np.log(model.prior / (1 - model.prior))
            + _log_likelihood(patterns, model.m)
            - _log_likelihood(patterns, model.u)
        )
        matched = counts / (1.0 + np.exp(-np.clip(log_odds, -500, 500)))
        # A comparison's evidence in this key: expected matches where it is not missing.
        matches = (matched[:, None] * (patterns > 0)).sum(axis=0)
        done = max(done, model.iterations)
        for index in range(len(sizes)):
            if index not in skip and matches[index] >= _MIN_KEY_PAIRS:
                estimates[index].append(model.m[index])
    m = []
    for index, size in enumerate(sizes):
        if estimates[index]:
            # Median over keys: a key whose non-matches share more than chance (a loose
            # key such as a common mailbox name) can settle on a degenerate split.
            values = np.median(np.stack(estimates[index]), axis=0)
            values[0] = 0.0
            values = values / max(values.sum(), _MIN_PROBABILITY)
            values[0] = 1.0
            m.append(values)
        else:
            m.append(_initial_m([size])[0])
    return Model(m=m, u=u_random, u_random=u_random, prior=0.5, iterations=done)


def estimate_prior(
    patterns: npt.NDArray[np.int8],
    counts: FloatArray,
    model: Model,
    possible_pairs: int,
    *,
    iterations: int = 30,
) -> float:
    """Probability that two random records match, with m and u fixed.

    Pairs outside the candidates count as non-matches; the expected number of matching
    candidate pairs and the prior are iterated to a fixed point.

    Args:
        patterns: Distinct level patterns of the candidate pairs.
        counts: Their counts.
        model: m and u.
        possible_pairs: All record pairs.
        iterations: Fixed-point iterations.

    Returns:
        The prior.
    """
    evidence = np.zeros(len(patterns))
    for index, weight in enumerate(model.weights()):
        evidence += weight[patterns[:, index]]
    prior = 1.0 / max(possible_pairs, 2)
    for _ in range(iterations):
        log_odds = np.log2(prior / (1 - prior)) + evidence
        expected = float((counts / (1.0 + np.exp2(-np.clip(log_odds, -60, 60)))).sum())
        prior = min(max(expected / max(possible_pairs, 1), 1e-12), 0.5)
    return prior


def refine(
    patterns: npt.NDArray[np.int8],
    counts: FloatArray,
    model: Model,
    possible_pairs: int,
    *,
    iterations: int = 3,
) -> Model:
    """Re-estimate m from all candidate pairs, weighted by their match posteriors.

    The per-key estimates leave each key's own fields out; once every field has an m,
    the posteriors over all candidates (all fields, random-pair prior) are sharp, and a
    few EM steps from there use every pair's full evidence. Few steps, because the
    candidate set is not a random sample and a long run would drift.

    Args:
        patterns: Distinct level patterns of the candidate pairs.
        counts: Their counts.
        model: The starting model (its prior from :func:`estimate_prior`).
        possible_pairs: All record pairs.
        iterations: EM steps.

    Returns:
        The refined model (prior re-estimated).
    """
    sizes = [len(values) for values in model.m]
    for _ in range(iterations):
        evidence = np.full(len(patterns), model.prior_weight)
        for index, weight in enumerate(model.weights()):
            evidence += weight[patterns[:, index]]
        matched = counts / (1.0 + np.exp2(-np.clip(evidence, -60, 60)))
        model = Model(
            m=_m_step(patterns, matched, sizes),
            u=model.u,
            u_random=model.u_random,
            prior=model.prior,
            iterations=model.iterations,
            overrides=model.overrides,
        )
        model.prior = estimate_prior(patterns, counts, model, possible_pairs)
    return model


LABEL_PRIOR_PAIRS = 20.0
"""How many labelled matches EM's own m counts as when the two are combined."""


def with_labels(
    model: Model,
    levels: LevelMatrix,
    is_match: npt.NDArray[np.bool_],
    *,
    prior_pairs: float = LABEL_PRIOR_PAIRS,
) -> Model:
    """Update m with labelled matches: EM's m as a Dirichlet prior, labels as counts.

    Per comparison, ``m = (labelled matches per level + prior_pairs * m_EM) /
    (labelled matches with the field present + prior_pairs)``; missing levels count for
    neither. u stays the random-pair u: labelled non-matches are chosen (hard cases
    from a review queue), not random, and would bias it.

    Args:
        model: The model estimated without labels.
        levels: ``(labelled pairs, comparisons)`` levels.
        is_match: Whether each labelled pair is a match.
        prior_pairs: Weight of EM's m, in labelled pairs.

    Returns:
        A model with the updated m (prior unchanged: re-estimate it).
    """
    matches = levels[is_match]
    m = []
    for index, values in enumerate(model.m):
        size = len(values)
        counts = np.bincount(matches[:, index], minlength=size)[:size].astype(np.float64)
        counts[0] = 0.0
        prior = values.copy()
        prior[0] = 0.0
        posterior = counts + prior_pairs * prior / max(prior.sum(), _MIN_PROBABILITY)
        posterior /= max(posterior.sum(), _MIN_PROBABILITY)
        posterior[0] = 1.0
        m.append(posterior)
    return Model(
        m=m,
        u=model.u,
        u_random=model.u_random,
        prior=model.prior,
        iterations=model.iterations,
        overrides=model.overrides,
    )
