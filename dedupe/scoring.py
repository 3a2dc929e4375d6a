"""Engine scores of a sync batch: match probabilities and explanations per record pair.

An adapter between the sync's canonical records and :func:`dedupe.engine.deduplicate`:
it renders the records as an engine frame, passes steward decisions as labelled pairs,
and turns the engine's scored pairs (those at or above the lower threshold) into arrays
over record positions, each with its explanation: per field, the agreement level and
its contribution to the match weight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe.engine import deduplicate
from dedupe.frames import engine_config, engine_frame
from mappings.models import Record

__all__ = ["ENGINE_MIN_RECORDS", "EngineScores", "FieldEvidence", "score_pairs"]

PairArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

ENGINE_MIN_RECORDS = 50
"""Below this many records the engine cannot estimate its weights; rules decide alone."""

_NEUTRAL = frozenset({"missing"})


@dataclass(frozen=True)
class FieldEvidence:
    """One field's part in a pair's score.

    Attributes:
        field: The comparison (a column, or ``name:site`` for a site guard).
        level: The agreement level, e.g. ``exact``, ``jw>=0.88``, ``different``, ``missing``.
        agrees: True when the level is an agreement, False when ``different``, None when
            a value is missing (no evidence).
        weight: Contribution to the match weight (log2 Bayes factor).
    """

    field: str
    level: str
    agrees: bool | None
    weight: float

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form stored with a review pair."""
        return {
            "field": self.field,
            "level": self.level,
            "agrees": self.agrees,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class EngineScores:
    """The pairs the engine scored at or above the lower threshold.

    Attributes:
        pairs: ``(n, 2)`` record positions, ``left < right``.
        probability: Match probability per pair.
        match_weight: Match weight per pair (log2 odds).
        explain: Row → the pair's evidence per field, strongest first (built on demand:
            only review pairs need it).
        stats: The engine's statistics (blocking, estimates, timings).
    """

    pairs: PairArray
    probability: FloatArray
    match_weight: FloatArray
    explain: Callable[[int], tuple[FieldEvidence, ...]]
    stats: dict[str, object] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> EngineScores:
        """No engine scores (too few records, or the engine is off)."""
        return cls(np.empty((0, 2), dtype=np.int64), np.empty(0), np.empty(0), lambda _row: ())

    def index_of(self, pairs: PairArray, n_records: int) -> npt.NDArray[np.int64]:
        """Return, per pair in ``pairs`` (``left < right``), its row here or ``-1``."""
        if len(self.pairs) == 0 or len(pairs) == 0:
            return np.full(len(pairs), -1, dtype=np.int64)
        mine = self.pairs[:, 0] * np.int64(n_records) + self.pairs[:, 1]
        order = np.argsort(mine)
        theirs = pairs[:, 0] * np.int64(n_records) + pairs[:, 1]
        slot = np.searchsorted(mine[order], theirs)
        slot = np.minimum(slot, len(mine) - 1)
        found = mine[order][slot] == theirs
        return np.where(found, order[slot], -1).astype(np.int64)


def _evidence(
    names: Sequence[str], levels: dict[str, npt.NDArray[np.object_]], weights: dict[str, FloatArray]
) -> Callable[[int], tuple[FieldEvidence, ...]]:
    def explain(row: int) -> tuple[FieldEvidence, ...]:
        items = []
        for name in names:
            level = str(levels[name][row])
            agrees = None if level in _NEUTRAL else level != "different"
            items.append(FieldEvidence(name, level, agrees, round(float(weights[name][row]), 3)))
        items.sort(key=lambda item: -abs(item.weight))
        return tuple(items)

    return explain


def score_pairs(
    entity: str,
    records: Sequence[Record],
    *,
    upper: float,
    lower: float,
    labels: Sequence[tuple[str, str, bool]] = (),
) -> EngineScores:
    """Run the engine on ``records`` and return its scored pairs by record position.

    Args:
        entity: ``customer``, ``product`` or ``contact``.
        records: The batch; record keys must be unique.
        upper: Auto-merge threshold (the engine's own clustering is not used).
        lower: Pairs below this probability are not returned.
        labels: Steward decisions ``(left key, right key, is_match)``; they refine the
            engine's estimates.

    Returns:
        The scored pairs, or none when there are fewer than :data:`ENGINE_MIN_RECORDS`.
    """
    if len(records) < ENGINE_MIN_RECORDS:
        return EngineScores.empty()
    frame = engine_frame(entity, records)
    position = {key: index for index, key in enumerate(frame.iloc[:, 0])}
    label_frame = None
    if labels:
        label_frame = pd.DataFrame(labels, columns=["left_id", "right_id", "is_match"])
    result = deduplicate(frame, engine_config(entity, upper=upper, lower=lower), labels=label_frame)
    scored = result.pairs
    left = scored["left_id"].map(position).to_numpy(dtype=np.int64)
    right = scored["right_id"].map(position).to_numpy(dtype=np.int64)
    pairs = np.sort(np.column_stack((left, right)), axis=1) if len(scored) else np.empty((0, 2))
    names = [comparison.name for comparison in result.comparisons]
    levels = {name: scored[f"{name}_level"].to_numpy() for name in names}
    weights = {name: scored[f"{name}_weight"].to_numpy(dtype=float) for name in names}
    return EngineScores(
        pairs=pairs.astype(np.int64),
        probability=scored["probability"].to_numpy(dtype=float),
        match_weight=scored["match_weight"].to_numpy(dtype=float),
        explain=_evidence(names, levels, weights),
        stats={"blocking": result.stats.get("blocking"), "prior": result.stats.get("prior")},
    )
