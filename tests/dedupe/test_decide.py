"""Tests of pair decisions: constraints, rules, probability and steward decisions."""

from __future__ import annotations

import numpy as np
import pytest

from dedupe.decide import Evidence, decide

NAN = float("nan")


def _evidence(**overrides: object) -> Evidence:
    # Pairs: 0 rules only, 1 engine only, 2 uncertain, 3 forbidden by a constraint,
    # 4 implausible for the engine alone, 5 nothing.
    base = {
        "allowed": [True, True, True, False, True, True],
        "rule_accept": [True, False, False, True, False, False],
        "rule_score": [0.8, 0.0, 0.0, 0.9, 0.0, 0.0],
        "rule_reason": ["tax_id equal", "", "", "email equal", "", ""],
        "plausible": [True, True, True, True, False, True],
        "probability": [NAN, 0.97, 0.6, 0.99, 0.95, 0.1],
        "must_link": [False] * 6,
        "cannot_link": [False] * 6,
    }
    base.update(overrides)
    return Evidence(
        allowed=np.array(base["allowed"]),
        rule_accept=np.array(base["rule_accept"]),
        rule_score=np.array(base["rule_score"], dtype=float),
        rule_reason=np.array(base["rule_reason"], dtype=object),
        plausible=np.array(base["plausible"]),
        probability=np.array(base["probability"], dtype=float),
        must_link=np.array(base["must_link"]),
        cannot_link=np.array(base["cannot_link"]),
    )


def test_combined_takes_rules_or_probability_within_constraints():
    result = decide(_evidence(), method="combined", upper=0.9, lower=0.5)
    assert result.match.tolist() == [True, True, False, False, False, False]
    # Uncertain, and implausible-but-probable, go to a steward; a forbidden pair never.
    assert result.review.tolist() == [False, False, True, False, True, False]
    assert result.reason[0] == "tax_id equal"
    assert result.reason[1] == "engine probability 0.970"
    # The rules' own matches cluster before the engine's.
    assert result.priority[0] > result.priority[1]


@pytest.mark.parametrize(
    ("method", "matches"),
    [
        ("rules", [True, False, False, False, False, False]),
        ("engine", [False, True, False, False, False, False]),
    ],
)
def test_single_methods(method, matches):
    assert decide(_evidence(), method=method, upper=0.9, lower=0.5).match.tolist() == matches


def test_steward_decisions_beat_everything():
    evidence = _evidence(
        must_link=[False, False, False, True, False, True],
        cannot_link=[True, True, False, False, False, False],
    )
    result = decide(evidence, method="combined", upper=0.9, lower=0.5)
    assert result.match.tolist() == [False, False, False, True, False, True]
    assert result.reason[3] == result.reason[5] == "steward merge"
    assert result.score[5] == 1.0
    assert not result.review[0] and not result.review[1]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown match method"):
        decide(_evidence(), method="magic", upper=0.9, lower=0.5)
