"""Matching quality on the seeded sandbox: pairwise precision must stay >= 0.95, and the
engine combined with the rules must find at least what the rules alone find."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedupe.evaluate import PairwiseScores, pairwise_scores
from dedupe.matcher import MatchOptions, MatchResult, match_customers, match_products
from tests.dedupe.sandbox_data import SandboxData, load_sandbox

MIN_PRECISION = 0.95


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> SandboxData:
    """The default-size sandbox seeded with seed 7, loaded as canonical records."""
    from sync.sandbox.generator import seed_sandboxes

    directory = tmp_path_factory.mktemp("sandbox")
    seed_sandboxes(directory, seed=7)
    return load_sandbox(Path(directory))


def _scores(result: MatchResult, truth: dict[str, str]) -> PairwiseScores:
    keys = {key for cluster in result.clusters for key in cluster}
    return pairwise_scores(result.clusters, {k: v for k, v in truth.items() if k in keys})


def _check(result: MatchResult, n_records: int, truth: dict[str, str]) -> PairwiseScores:
    assert sorted(key for cluster in result.clusters for key in cluster) == sorted(
        {key for cluster in result.clusters for key in cluster}
    )
    assert sum(len(cluster) for cluster in result.clusters) == n_records
    scores = _scores(result, truth)
    assert scores.true_pairs > 0
    assert scores.precision >= MIN_PRECISION, scores
    return scores


def test_customer_precision(sandbox: SandboxData) -> None:
    combined = _check(match_customers(sandbox.customers), len(sandbox.customers), sandbox.truth)
    rules = _check(
        match_customers(sandbox.customers, MatchOptions(method="rules")),
        len(sandbox.customers),
        sandbox.truth,
    )
    assert combined.recall >= rules.recall
    assert combined.precision >= rules.precision - 0.005


def test_product_precision(sandbox: SandboxData) -> None:
    combined = _check(match_products(sandbox.products), len(sandbox.products), sandbox.truth)
    rules = _check(
        match_products(sandbox.products, MatchOptions(method="rules")),
        len(sandbox.products),
        sandbox.truth,
    )
    assert combined.recall >= rules.recall
    assert combined.precision >= rules.precision - 0.005


def test_engine_pairs_are_explained(sandbox: SandboxData) -> None:
    result = match_products(sandbox.products)
    assert result.stats["engine_pairs"] > 0
    assert any(pair.probability is not None for pair in result.pairs)
    for pair in result.review:
        assert 0.5 <= pair.probability < 0.9
        assert {item.field for item in pair.explanation} >= {"code", "name", "spec"}


def test_steward_decisions_are_applied_and_fed_to_the_engine(sandbox: SandboxData) -> None:
    plain = match_products(sandbox.products)
    together = next(pair for pair in plain.pairs if pair.probability is not None)
    apart = next((c[0], c[1]) for c in plain.clusters if len(c) == 2 and together.left not in c)
    first, second = [c[0] for c in plain.clusters if len(c) == 1][:2]
    options = MatchOptions(
        must_link=[(first, second)], cannot_link=[apart, (together.left, together.right)]
    )
    result = match_products(sandbox.products, options)
    assert result.stats["steward_pairs"] == 3

    def cluster_of(key: str) -> list[str]:
        return next(c for c in result.clusters if key in c)

    assert second in cluster_of(first)
    assert apart[1] not in cluster_of(apart[0])
    assert together.right not in cluster_of(together.left)
