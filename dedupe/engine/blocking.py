"""Blocking: candidate pairs from several keys, generated without a per-block loop.

Records are sorted by key; blocks of equal size are expanded together with one
``triu_indices`` per distinct size, so the Python loop runs over block *sizes* (at most
``max_block_size``), never over blocks. Blocks above the bound are skipped and counted:
a key value shared by thousands of records says little and would dominate the pairs.
Each key's bound also shrinks until its pairs per record fit a budget, a multiple of the
median key's (:func:`block_limit`), so a loose key keeps its small, telling blocks only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe.engine.block_features import blocking_feature, has_feature
from dedupe.engine.prepare import Prepared

__all__ = [
    "BlockingStats",
    "auto_keys",
    "block_limit",
    "candidate_pairs",
    "key_codes",
    "pair_rate",
]

IntArray = npt.NDArray[np.int64]
_CHUNK = 4_000_000
# Key codes stay below this; the pair codes' six low bits name the key.
_CODE_LIMIT = 1 << 62
_KEY_BITS = 6
_KEY_MASK = (1 << _KEY_BITS) - 1

# Single features that identify a record on their own when equal.
_SINGLE = (
    "tax_id",
    "email",
    "phone:digits",
    "website",
    "product_code",
    "company_name:sorted",
    "person_name:sorted",
    "product_name:sorted",
    "full_address:sorted",
    "email:local",
)
# Type combinations: each part is "type" or "type:variant"; the first column of a type.
# Person keys survive typos and swapped names (phonetic codes, first and last name
# unordered; see dedupe.engine.block_features); with the date of birth whole or its year
# only (a wrong or swapped day or month, and a typo in one name).
# Exact names with the date of birth stay: a typo can change which code is the smaller.
# A key on one of the unordered name codes tags the other name column: it reads both.
# (Exact first + last name and names + month and day were dropped: on FEBRL 1-4 and the
# generated customers they found no true pair the other keys missed.)
_NAMES = ("first_name:name_low", "last_name:name_high")
_COMBINED = (
    ("company_name:first", "postcode"),
    ("person_name:sorted", "city"),
    ("person_name:phonetic", "city"),
    ("person_name:phonetic", "postcode"),
    ("person_name:phonetic", "date_of_birth"),
    _NAMES,
    ("first_name:name_low", "last_name:tag", "date_of_birth:year"),
    ("last_name:name_high", "first_name:tag", "date_of_birth:year"),
    ("last_name", "date_of_birth"),
    ("first_name", "date_of_birth"),
    ("first_name:name_low", "last_name:tag", "date_of_birth"),
    ("last_name:name_high", "first_name:tag", "date_of_birth"),
    ("date_of_birth", "first_name:initial_low", "last_name:initial_high"),
    ("first_name:initial", "last_name:phonetic"),
    ("last_name", "postcode"),
    ("first_name:name_low", "last_name:tag", "postcode"),
    ("last_name:name_high", "first_name:tag", "postcode"),
    ("first_name:name_low", "last_name:tag", "city"),
    ("last_name:name_high", "first_name:tag", "city"),
    ("date_of_birth", "postcode"),
    ("street", "house_number", "postcode"),
    ("street", "city"),
    ("street", "postcode"),
)


@dataclass
class BlockingStats:
    """What blocking produced.

    Attributes:
        keys: Key name → pairs it generated (before the union).
        skipped_blocks: Key name → blocks skipped for exceeding the bound.
        block_limits: Key name → the block size bound it got (:func:`block_limit`).
        pairs_per_record_budget: Each key's budget of pairs per record holding it.
        key_names: Key names in bit order of the pairs' key masks.
        candidate_pairs: Distinct candidate pairs after the union.
        possible_pairs: Pairs a full comparison would score.
        reduction_ratio: ``1 - candidate_pairs / possible_pairs``.
    """

    keys: dict[str, int] = field(default_factory=dict)
    key_names: list[str] = field(default_factory=list)
    skipped_blocks: dict[str, int] = field(default_factory=dict)
    block_limits: dict[str, int] = field(default_factory=dict)
    pairs_per_record_budget: float = 0.0
    candidate_pairs: int = 0
    possible_pairs: int = 0
    reduction_ratio: float = 0.0


def _feature_for(prepared: Prepared, part: str) -> str | None:
    kind, _, variant = part.partition(":")
    for column, column_kind in prepared.kinds.items():
        if column_kind == kind:
            name = f"{column}:{variant}" if variant else column
            return name if has_feature(prepared, name) else None
    return None


def auto_keys(prepared: Prepared) -> list[list[str]]:
    """Choose blocking keys from the column types present.

    Args:
        prepared: The standardised features.

    Returns:
        Keys, each a list of feature names (blocking-only variants among them are
        derived by :func:`key_codes` on first use).
    """
    keys: list[list[str]] = []
    for part in _SINGLE:
        kind, _, variant = part.partition(":")
        for column, column_kind in prepared.kinds.items():
            name = f"{column}:{variant}" if variant else column
            if column_kind == kind and name in prepared.features:
                keys.append([name])
    for parts in _COMBINED:
        names = [_feature_for(prepared, part) for part in parts]
        if all(names):
            keys.append([name for name in names if name])
    return keys


def key_codes(prepared: Prepared, key: list[str]) -> IntArray:
    """Combine features into one integer code per record, ``-1`` if any part is missing.

    Records share a code exactly when they share every part. Codes are non-negative but
    not dense: combinations are renumbered only when the next part could overflow.

    Args:
        prepared: The standardised features.
        key: Feature names.

    Returns:
        Codes.
    """
    first = blocking_feature(prepared, key[0])
    codes, bound = first.codes.copy(), max(len(first.values), 1)
    for name in key[1:]:
        feature = blocking_feature(prepared, name)
        width = len(feature.values)
        if width == 1 and bool(feature.present.all()):
            continue  # one value everywhere (a ``:tag``): the blocks stay as they are
        if bound * width >= _CODE_LIMIT:
            codes, bound = _renumbered(codes)
        codes = np.where((codes >= 0) & feature.present, codes * width + feature.codes, -1)
        bound *= width
    return codes


def _renumbered(codes: IntArray) -> tuple[IntArray, int]:
    """The same grouping of the records, numbered densely from 0."""
    holding = codes >= 0
    dense, distinct = pd.factorize(codes[holding])
    out = np.full(len(codes), -1, dtype=np.int64)
    out[holding] = dense
    return out, max(len(distinct), 1)


def block_limit(sizes: IntArray, max_block: int, max_pairs_per_record: float) -> int:
    """The largest block size whose pairs fit a key's budget.

    A key that identifies entities makes blocks of about one entity's records; one
    whose blocks grow large (a common street in a big city) makes mostly non-matching
    pairs. Blocks are kept smallest first while the key's pairs stay within
    ``max_pairs_per_record`` times the records that have the key.

    Args:
        sizes: Size of each block (records sharing one key value).
        max_block: The absolute bound.
        max_pairs_per_record: The key's pair budget per record holding it.

    Returns:
        The block size limit (at least 2, so pairs of two always count).
    """
    records = max(int(sizes.sum()), 1)
    return _limit(
        sizes[(sizes >= 2) & (sizes <= max_block)], records, max_block, max_pairs_per_record
    )


def _limit(kept: IntArray, records: int, max_block: int, max_pairs_per_record: float) -> int:
    """:func:`block_limit` of the blocks within the bound, given the records holding the key."""
    distinct, counts = np.unique(kept, return_counts=True)
    pairs = np.cumsum(counts * distinct * (distinct - 1) // 2)
    fitting = distinct[pairs <= max_pairs_per_record * max(records, 1)]
    if len(fitting) == len(distinct):
        return max_block
    return max(int(fitting[-1]), 2) if len(fitting) else 2


def pair_rate(sizes: IntArray, max_block: int) -> float:
    """Pairs per record holding the key, over blocks within the bound.

    Args:
        sizes: Size of each block.
        max_block: The absolute bound.

    Returns:
        ``sum C(s, 2) / sum s``.
    """
    kept = sizes[(sizes >= 2) & (sizes <= max_block)]
    return float((kept * (kept - 1) // 2).sum()) / max(int(sizes.sum()), 1)


@dataclass(frozen=True)
class _Blocks:
    """One key's records grouped by code; only blocks within the bound keep members.

    Attributes:
        bound: The absolute block size bound.
        records: Records holding the key.
        oversized: Blocks above the absolute bound.
        sizes: Sizes of the blocks of 2 up to the absolute bound.
        members: Record indices of those blocks, one block after the other.
    """

    bound: int
    records: int
    oversized: int
    sizes: IntArray
    members: IntArray

    @classmethod
    def of(cls, codes: IntArray, max_block: int) -> _Blocks:
        """Group records by code (``-1``: in no block)."""
        holding = np.flatnonzero(codes >= 0)
        if not len(holding):
            empty = np.empty(0, dtype=np.int64)
            return cls(max_block, 0, 0, empty, empty)
        # Order within a block does not matter (the union sorts the pairs): no stable sort.
        order = holding[np.argsort(codes[holding])]
        sorted_codes = codes[order]
        bounds = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1], True])
        sizes = np.diff(bounds)
        kept = (sizes >= 2) & (sizes <= max_block)
        in_kept = np.repeat(kept, sizes)
        return cls(
            bound=max_block,
            records=len(holding),
            oversized=int(np.count_nonzero(sizes > max_block)),
            sizes=sizes[kept].astype(np.int64),
            members=order[in_kept],
        )

    @property
    def pair_rate(self) -> float:
        """Pairs per record holding the key (:func:`pair_rate`)."""
        return float((self.sizes * (self.sizes - 1) // 2).sum()) / max(self.records, 1)

    def pairs(self, max_pairs_per_record: float) -> tuple[IntArray, IntArray, int, int]:
        """All pairs within blocks that fit the budget: (left, right, skipped, block limit).

        Blocks of equal size are expanded together with one ``triu_indices`` per size.
        """
        limit = _limit(self.sizes, self.records, self.bound, max_pairs_per_record)
        starts = np.cumsum(self.sizes) - self.sizes
        lefts: list[IntArray] = []
        rights: list[IntArray] = []
        for size in np.unique(self.sizes[self.sizes <= limit]):
            first, second = np.triu_indices(int(size), 1)
            block_starts = starts[self.sizes == size]
            step = max(1, _CHUNK // len(first))
            for begin in range(0, len(block_starts), step):
                chunk = block_starts[begin : begin + step, None]
                lefts.append(self.members[(chunk + first).ravel()])
                rights.append(self.members[(chunk + second).ravel()])
        skipped = self.oversized + int(np.count_nonzero(self.sizes > limit))
        if not lefts:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, skipped, limit
        return np.concatenate(lefts), np.concatenate(rights), skipped, limit


def candidate_pairs(
    prepared: Prepared,
    keys: list[list[str]],
    *,
    max_block_size: int,
    pair_budget: float = float("inf"),
    sources: IntArray | None = None,
    within_sources: bool = True,
) -> tuple[IntArray, IntArray, IntArray, BlockingStats]:
    """Union of the pairs of every key, each pair once with ``left < right``.

    Args:
        prepared: The standardised features.
        keys: Blocking keys (feature names).
        max_block_size: Larger blocks are skipped.
        pair_budget: A key's pairs per record may be at most this many times the
            median key's (:func:`pair_rate`); a looser key keeps its smallest blocks
            only (:func:`block_limit`). Relative to the median, because how many pairs
            an identifying key makes depends on how duplicated the data are.
        sources: Source code per record, for linkage.
        within_sources: With ``sources``, also keep pairs of one source.

    Returns:
        Left and right record indices, a bit mask per pair of the keys (by position in
        ``keys``, at most 62) that produced it, and the statistics.
    """
    size = prepared.size
    stats = BlockingStats()
    keys = keys[:62]
    # Each key's records are grouped once; the budget needs every key's pair rate first.
    blocks = [_Blocks.of(key_codes(prepared, key), max_block_size) for key in keys]
    typical = float(np.median([each.pair_rate for each in blocks if each.pair_rate > 0] or [0.0]))
    stats.pairs_per_record_budget = pair_budget * typical
    encoded: list[IntArray] = []
    for number, (key, key_blocks) in enumerate(zip(keys, blocks, strict=True)):
        left, right, skipped, limit = key_blocks.pairs(stats.pairs_per_record_budget)
        if sources is not None and not within_sources:
            keep = sources[left] != sources[right]
            left, right = left[keep], right[keep]
        name = "+".join(key)
        stats.keys[name] = len(left)
        stats.skipped_blocks[name] = skipped
        stats.block_limits[name] = limit
        stats.key_names.append(name)
        # The key number rides in the low bits: one plain sort of the codes unites them.
        pair_codes = np.minimum(left, right) * size + np.maximum(left, right)
        encoded.append((pair_codes << _KEY_BITS) | number)
    pairs, masks = _union(encoded)
    stats.candidate_pairs = len(pairs)
    stats.possible_pairs = _possible(size, sources, within_sources)
    stats.reduction_ratio = 1.0 - len(pairs) / max(stats.possible_pairs, 1)
    return pairs // size, pairs % size, masks, stats


def _union(encoded: list[IntArray]) -> tuple[IntArray, IntArray]:
    """Distinct pairs and the OR of the key bits of each, from ``pair << 6 | key``."""
    every = np.sort(np.concatenate(encoded)) if encoded else np.empty(0, dtype=np.int64)
    if not len(every):
        return every, every.copy()
    pairs = every >> _KEY_BITS
    starts = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]])
    masks = np.bitwise_or.reduceat(np.left_shift(1, every & _KEY_MASK), starts)
    return pairs[starts], masks


def _possible(size: int, sources: IntArray | None, within_sources: bool) -> int:
    if sources is None or within_sources:
        return size * (size - 1) // 2
    counts = np.bincount(sources).astype(np.float64)
    return int((counts.sum() ** 2 - (counts**2).sum()) // 2)
