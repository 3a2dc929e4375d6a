"""Blocking: the candidate pairs worth comparing, from several cheap blocking keys.

Each blocking key maps a record to a string (``""`` = no key). Records sharing a key
value form a block; the candidate pairs are the union over all keys of the pairs inside
each block. A block larger than ``max_block_size`` would make the pair count quadratic,
so it is sub-blocked instead: its records are sorted by a secondary key and only
records within a sliding ``window`` of each other are paired (sorted neighbourhood).

Pairs are returned as an ``(n, 2)`` int64 array of record positions with ``left <
right``, unique and sorted, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["KeyValues", "PairArray", "candidate_pairs"]

PairArray = npt.NDArray[np.int64]
KeyValues = Sequence[str] | npt.NDArray[Any]


def _pairs_in_block(members: npt.NDArray[np.int64]) -> PairArray:
    left, right = np.triu_indices(len(members), k=1)
    return np.column_stack((members[left], members[right]))


def _window_pairs(members: npt.NDArray[np.int64], window: int) -> PairArray:
    """Pairs of records at most ``window - 1`` places apart in the given order."""
    chunks = [
        np.column_stack((members[:-offset], members[offset:]))
        for offset in range(1, min(window, len(members)))
    ]
    return np.concatenate(chunks) if chunks else np.empty((0, 2), dtype=np.int64)


def _key_pairs(
    values: npt.NDArray[np.str_],
    order_key: npt.NDArray[np.str_],
    max_block_size: int,
    window: int,
) -> PairArray:
    present = np.flatnonzero(values != "")
    if len(present) < 2:
        return np.empty((0, 2), dtype=np.int64)
    # Sort by (key, secondary key, position): blocks become contiguous runs and the
    # order inside an oversized block is the sorted-neighbourhood order.
    order = np.lexsort((present, order_key[present], values[present]))
    sorted_members = present[order]
    sorted_values = values[sorted_members]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(sorted_members)]
    chunks: list[PairArray] = []
    for start, end in zip(starts, ends, strict=True):
        if end - start < 2:
            continue
        block = sorted_members[start:end]
        if end - start <= max_block_size:
            chunks.append(_pairs_in_block(block))
        else:
            chunks.append(_window_pairs(block, window))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(chunks)


def candidate_pairs(
    keys: Mapping[str, KeyValues],
    order_key: KeyValues,
    *,
    max_block_size: int = 50,
    window: int = 10,
    stats: dict[str, int] | None = None,
) -> PairArray:
    """Build the union of candidate pairs over several blocking keys.

    Args:
        keys: Blocking key name → one key value per record (``""`` = no key).
        order_key: One value per record that orders the records inside an oversized
            block (e.g. the normalised name), so neighbours are likely matches.
        max_block_size: Largest block paired completely; larger ones are sub-blocked.
        window: Sliding-window width used inside oversized blocks.
        stats: When given, filled with the number of pairs each key produced.

    Returns:
        Unique ``(left, right)`` record positions, ``left < right``, sorted.
    """
    n_records = len(order_key)
    ordering = np.asarray(order_key, dtype=np.str_)
    chunks: list[PairArray] = []
    for name, column in keys.items():
        if len(column) != n_records:
            raise ValueError(
                f"blocking key {name!r} has {len(column)} values for {n_records} records"
            )
        pairs = _key_pairs(np.asarray(column, dtype=np.str_), ordering, max_block_size, window)
        if stats is not None:
            stats[name] = len(pairs)
        chunks.append(pairs)
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks).astype(np.int64)
    if len(pairs) == 0:
        return pairs.reshape(0, 2)
    pairs = np.sort(pairs, axis=1)
    codes = np.unique(pairs[:, 0] * np.int64(n_records) + pairs[:, 1])
    return np.column_stack((codes // n_records, codes % n_records)).astype(np.int64)
