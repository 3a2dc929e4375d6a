"""Tests of dedupe.blocking."""

from __future__ import annotations

import numpy as np
import pytest

from dedupe.blocking import candidate_pairs


def test_union_of_keys_unique_and_sorted() -> None:
    keys = {"a": ["x", "x", "", "y", "y"], "b": ["", "k", "k", "", "k"]}
    pairs = candidate_pairs(keys, order_key=["1", "2", "3", "4", "5"])
    assert pairs.tolist() == [[0, 1], [1, 2], [1, 4], [2, 4], [3, 4]]
    assert pairs.dtype == np.int64


def test_empty_key_never_blocks() -> None:
    pairs = candidate_pairs({"a": ["", "", ""]}, order_key=["a", "b", "c"])
    assert pairs.shape == (0, 2)


def test_oversized_block_is_windowed() -> None:
    n = 100
    stats: dict[str, int] = {}
    pairs = candidate_pairs(
        {"a": ["same"] * n},
        order_key=[f"{i:03d}" for i in range(n)],
        max_block_size=10,
        window=3,
        stats=stats,
    )
    # Each record pairs only with its two neighbours on either side.
    assert len(pairs) == (n - 1) + (n - 2)
    assert stats == {"a": len(pairs)}
    assert (pairs[:, 1] - pairs[:, 0]).max() == 2


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="blocking key"):
        candidate_pairs({"a": ["x"]}, order_key=["a", "b"])
