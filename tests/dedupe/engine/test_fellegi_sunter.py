"""EM recovers known m/u parameters from synthetic comparison levels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dedupe.engine.fellegi_sunter import encode_patterns, estimate, frequencies

_M = [np.array([1.0, 0.05, 0.15, 0.80]), np.array([1.0, 0.10, 0.90]), np.array([1.0, 0.2, 0.8])]
_U = [np.array([1.0, 0.90, 0.08, 0.02]), np.array([1.0, 0.95, 0.05]), np.array([1.0, 0.7, 0.3])]
_SIZES = [4, 3, 3]


def _draw(
    count: int, prior: float, seed: int
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    rng = np.random.default_rng(seed)
    is_match = rng.random(count) < prior
    levels = np.empty((count, len(_SIZES)), dtype=np.int8)
    for index, size in enumerate(_SIZES):
        for cls, params in ((True, _M[index]), (False, _U[index])):
            rows = np.flatnonzero(is_match == cls)
            levels[rows, index] = rng.choice(np.arange(1, size), len(rows), p=params[1:])
    # A tenth of values missing: neutral, must not bias the estimates.
    levels[rng.random(levels.shape) < 0.1] = 0
    return levels, is_match


def test_em_recovers_m_u_and_prior() -> None:
    levels, _ = _draw(200_000, 0.2, seed=11)
    patterns, counts, inverse = encode_patterns(levels, _SIZES)
    assert np.array_equal(patterns[inverse], levels)
    start_u = [np.array([1.0, *([1.0 / (size - 1)] * (size - 1))]) for size in _SIZES]
    model = estimate(patterns, counts, _SIZES, start_u, fix_u=False, iterations=500)
    assert abs(model.prior - 0.2) < 0.01
    for index in range(len(_SIZES)):
        assert np.allclose(model.m[index][1:], _M[index][1:], atol=0.02)
        assert np.allclose(model.u[index][1:], _U[index][1:], atol=0.02)


def test_em_with_u_from_random_pairs_recovers_m() -> None:
    levels, _ = _draw(100_000, 0.3, seed=12)
    random_levels, is_match = _draw(100_000, 0.0, seed=13)
    assert not is_match.any()
    u_random = frequencies(random_levels, _SIZES)
    for index in range(len(_SIZES)):
        assert np.allclose(u_random[index][1:], _U[index][1:], atol=0.01)
    patterns, counts, _ = encode_patterns(levels, _SIZES)
    model = estimate(patterns, counts, _SIZES, u_random, iterations=500)
    assert abs(model.prior - 0.3) < 0.02
    for index in range(len(_SIZES)):
        assert np.allclose(model.m[index][1:], _M[index][1:], atol=0.03)
    weights = model.weights()
    assert all(np.all(np.diff(weight[1:]) > 0) for weight in weights)


def test_labelled_pairs_enter_with_their_class() -> None:
    levels, is_match = _draw(20_000, 0.2, seed=14)
    patterns, counts, _ = encode_patterns(levels[:10_000], _SIZES)
    u_random = frequencies(levels[10_000:][~is_match[10_000:]], _SIZES)
    labelled = (levels[10_000:], is_match[10_000:])
    model = estimate(patterns, counts, _SIZES, u_random, labelled=labelled, iterations=200)
    assert np.allclose(model.m[0][1:], _M[0][1:], atol=0.03)


def test_patterns_are_the_sorted_distinct_level_rows() -> None:
    levels, _ = _draw(5_000, 0.2, seed=4)
    code = (levels[:, 0].astype(np.int64) * 3 + levels[:, 1]) * 3 + levels[:, 2]
    distinct, first, inverse, counts = np.unique(
        code, return_index=True, return_inverse=True, return_counts=True
    )
    patterns, got_counts, got_inverse = encode_patterns(levels, _SIZES)
    assert len(distinct) > 10
    np.testing.assert_array_equal(patterns, levels[first])
    np.testing.assert_array_equal(got_counts, counts.astype(np.float64))
    np.testing.assert_array_equal(got_inverse, inverse)
    np.testing.assert_array_equal(patterns[got_inverse], levels)
    empty = encode_patterns(levels[:0], _SIZES)
    assert empty[0].shape == (0, 3) and len(empty[1]) == 0 and len(empty[2]) == 0
