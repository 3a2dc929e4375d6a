"""Entity rule sets: what every entity's deterministic matching rules provide.

A rule set turns canonical records into standardised columns, proposes candidate pairs
(blocking), states the *hard constraints* no match may break (a branch is never its
head office; two model numbers are two products), accepts the pairs its rules are sure
of, and names the per-record facts clustering must respect. The matcher
(:mod:`dedupe.matcher`) combines a rule set with the engine's probabilities.

This module holds the protocol and the small array helpers the rule sets share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from dedupe import compare
from dedupe.blocking import PairArray
from dedupe.cluster import ClusterGuard
from mappings.models import Record

__all__ = [
    "BoolArray",
    "Column",
    "EntityRules",
    "RuleDecision",
    "as_column",
    "combined_key",
    "differs",
    "first_token_key",
    "is_equal",
    "name_similarity",
    "prefix_key",
    "sorted_tokens_key",
]

Column = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RuleDecision:
    """Per candidate pair: accepted by a rule or not, a score and the rule's reason."""

    accept: BoolArray
    score: FloatArray
    reason: npt.NDArray[np.object_]


class EntityRules(Protocol):
    """The deterministic side of matching one entity."""

    entity: str

    def columns(self, records: Sequence[Record]) -> Any:
        """Standardise the records into columns (one value per record)."""
        ...

    def keys(self, cols: Any) -> list[str]:
        """Return the record keys, in record order."""
        ...

    def candidates(self, cols: Any) -> PairArray:
        """Return the candidate pairs worth comparing (``left < right``)."""
        ...

    def allowed(self, cols: Any, pairs: PairArray) -> BoolArray:
        """Return, per pair, whether the hard constraints allow a match at all."""
        ...

    def accept(self, cols: Any, pairs: PairArray) -> RuleDecision:
        """Return the rules' decision per pair (only meaningful where allowed)."""
        ...

    def plausible(self, cols: Any, pairs: PairArray) -> BoolArray:
        """Return, per pair, whether it has the corroboration an engine-only match needs.

        The engine sums evidence that is not independent (street, postcode and city of one
        building); two companies sharing an address would match on that alone. A pair the
        rules do not accept needs this too before the engine's probability can merge it.
        """
        ...

    def guard(self, cols: Any) -> ClusterGuard:
        """Return the per-record facts clustering must not violate."""
        ...


def as_column(values: Sequence[str]) -> Column:
    """Return an object array of strings (the column type of the rule sets)."""
    return np.asarray(values, dtype=object)


def is_equal(values: FloatArray) -> BoolArray:
    """Compared and equal/similar enough; ``NaN`` (missing) counts as not."""
    return np.nan_to_num(values, nan=0.0) >= 1.0


def differs(values: FloatArray) -> BoolArray:
    """Compared and different; missing counts as not different."""
    return np.nan_to_num(values, nan=1.0) < 1.0


def name_similarity(
    values: Column, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> FloatArray:
    """Best of whole-string and token-sorted similarity; ``0`` where a name is missing.

    Token sorting forgives word order ("Industries Thompson"), the whole string forgives
    split or joined words ("Masch.-Bau" vs "Maschinenbau").
    """
    best = np.fmax(compare.ratio(values, left, right), compare.token_sort(values, left, right))
    return np.nan_to_num(best, nan=0.0)


def prefix_key(kind: Column, name: Column, length: int) -> list[str]:
    """Blocking key: the kind and the first ``length`` characters of the name."""
    return [
        f"{k}:{n.replace(' ', '')[:length]}" if len(n.replace(" ", "")) >= 2 else ""
        for k, n in zip(kind, name, strict=True)
    ]


def first_token_key(kind: Column, name: Column) -> list[str]:
    """Blocking key: the kind and the name's first word."""
    return [
        f"{k}:{n.split()[0]}" if n and len(n.split()[0]) >= 2 else ""
        for k, n in zip(kind, name, strict=True)
    ]


def sorted_tokens_key(kind: Column, name: Column, length: int) -> list[str]:
    """Blocking key: the kind and the start of the name's words in sorted order."""
    return [
        f"{k}:{''.join(sorted(n.split()))[:length]}" if n else ""
        for k, n in zip(kind, name, strict=True)
    ]


def combined_key(*parts: Column | list[str]) -> list[str]:
    """Blocking key of several parts; empty when any part is."""
    return ["|".join(values) if all(values) else "" for values in zip(*parts, strict=True)]
