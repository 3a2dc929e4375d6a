"""Tests of dedupe.compare."""

from __future__ import annotations

import numpy as np

from dedupe import compare

VALUES = np.array(["acme", "acme", "acne", "", "zeta"], dtype=object)
LEFT = np.array([0, 0, 0, 0], dtype=np.int64)
RIGHT = np.array([1, 2, 3, 4], dtype=np.int64)


def test_exact_marks_missing_as_nan() -> None:
    result = compare.exact(VALUES, LEFT, RIGHT)
    assert result[0] == 1.0
    assert result[1] == 0.0
    assert np.isnan(result[2])
    assert result[3] == 0.0


def test_ratio_in_unit_interval() -> None:
    result = compare.ratio(VALUES, LEFT, RIGHT)
    assert result[0] == 1.0
    assert 0.5 < result[1] < 1.0
    assert np.isnan(result[2])
    assert result[3] < 0.5


def test_token_sort_ignores_word_order() -> None:
    values = np.array(["acme tools", "tools acme"], dtype=object)
    one = np.array([0], dtype=np.int64)
    assert compare.token_sort(values, one, one + 1)[0] == 1.0
    assert compare.ratio(values, one, one + 1)[0] < 1.0


def test_jaro_winkler_and_empty_pairs() -> None:
    assert compare.jaro_winkler(VALUES, LEFT, RIGHT)[0] == 1.0
    empty = np.empty(0, dtype=np.int64)
    assert compare.token_sort(VALUES, empty, empty).shape == (0,)
    assert compare.exact(VALUES, empty, empty).shape == (0,)
