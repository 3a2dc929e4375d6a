"""Tests of dedupe.evaluate."""

from __future__ import annotations

import pytest

from dedupe.evaluate import pairwise_scores


def test_perfect_clustering() -> None:
    truth = {"a": "1", "b": "1", "c": "2"}
    scores = pairwise_scores([["a", "b"], ["c"]], truth)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    assert scores.true_pairs == 1


def test_counts_and_ratios() -> None:
    truth = {"a": "1", "b": "1", "c": "1", "d": "2"}
    scores = pairwise_scores([["a", "b", "d"], ["c"]], truth)
    assert scores.predicted_pairs == 3
    assert scores.true_positives == 1
    assert scores.true_pairs == 3
    assert scores.precision == pytest.approx(1 / 3)
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(1 / 3)


def test_keys_outside_truth_are_ignored() -> None:
    scores = pairwise_scores([["a", "x", "y"]], {"a": "1"})
    assert scores.predicted_pairs == 0
    assert (scores.precision, scores.recall) == (1.0, 1.0)
