"""Comparison levels per column type, computed over whole arrays of pairs.

A comparison maps each candidate pair to a level: ``0`` missing (either side empty;
neutral in the model), ``1`` different, then ascending agreement up to exact. Fuzzy
scores come from rapidfuzz ``cpdist`` (multi-threaded) over the *distinct* value pairs
only, so a frequent pair such as two spellings of one city is scored once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from dedupe.engine.prepare import Feature, Prepared

__all__ = ["Comparison", "Level", "auto_comparisons", "compare", "level_matrix"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_CHUNK = 250_000
# Jaro-Winkler both crossed names must reach for a "swapped" level: a typo still counts.
_CROSSED = 0.88


@dataclass(frozen=True)
class Level:
    """One agreement level: a test that must hold.

    Attributes:
        label: Shown in explanations.
        test: ``exact`` (equal values), ``same`` (equal, both-missing counts as equal),
            ``jw`` (Jaro-Winkler ≥ threshold on any of the features), ``lev``
            (Levenshtein distance ≤ threshold), ``swap`` (day and month swapped in an
            ISO date), ``initial`` (one side is the other's initial) or ``crossed``
            (the two features swapped: each side's first feature is Jaro-Winkler ≥
            threshold to the other side's second, a first and last name written the
            other way round).
        features: Features the test reads (``crossed``: exactly two).
        threshold: For ``jw``, ``lev`` and ``crossed``.
    """

    label: str
    test: str
    features: tuple[str, ...]
    threshold: float = 0.0


@dataclass(frozen=True)
class Comparison:
    """A field comparison: levels from weakest to strongest agreement.

    Attributes:
        name: Shown in explanations and stats.
        presence: Feature whose absence on either side makes the level "missing".
        levels: Agreement levels above "different", weakest first.
        term_frequency: Feature whose value frequency adjusts the top (exact) level.
        any_of: Feature at least one side must have, else the level is "missing" (a
            branch site: two plain company names say nothing about sites).
        redundant_with: Features that, present on both sides, make this comparison
            "missing": a whole-name column next to first/last-name columns would count
            the same evidence twice.
        guard: A hard rule rather than evidence: disagreement rules the pair out,
            agreement adds nothing (two sites of one company are distinct records).
        counted_elsewhere: A level whose pairs are "missing" here because another
            comparison weighs them (first and last name swapped: the last-name
            comparison's "swapped" level holds both names' evidence once).
    """

    name: str
    presence: str
    levels: tuple[Level, ...]
    term_frequency: str | None = None
    any_of: str | None = None
    redundant_with: tuple[str, ...] = ()
    guard: bool = False
    counted_elsewhere: Level | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Level labels by level number."""
        return ("missing", "different", *(level.label for level in self.levels))


def _fuzzy_levels(column: str, variants: tuple[str, ...], bands: tuple[float, ...]) -> list[Level]:
    features = (column, *variants)
    return [Level(f"jw>={band:.2f}", "jw", features, band) for band in bands]


def _for_column(
    column: str,
    kind: str,
    available: set[str],
    name_parts: tuple[str, ...],
    partner: str | None = None,
) -> list[Comparison]:
    sorted_variant = f"{column}:sorted"
    variants = (sorted_variant,) if sorted_variant in available else ()
    exact = Level("exact", "exact", (column,))
    words = [Level("same words", "exact", variants)] if variants else []
    if kind in ("company_name", "person_name"):
        # Jaro-Winkler on the written order only: on sorted words a shared first word
        # ("bristol depot ...") earns the prefix bonus.
        levels = [*_fuzzy_levels(column, (), (0.80, 0.88, 0.95)), *words, exact]
        out = [
            Comparison(
                column, column, tuple(levels), term_frequency=column, redundant_with=name_parts
            )
        ]
        if f"{column}:site" in available:
            site_feature = f"{column}:site"
            site = Level("same site", "same", (site_feature,))
            out.append(Comparison(site_feature, column, (site,), any_of=site_feature, guard=True))
        return out
    if kind in ("full_address", "text", "product_name"):
        levels = [*_fuzzy_levels(column, variants, (0.80, 0.90)), *words, exact]
        return [Comparison(column, column, tuple(levels))]
    if kind in ("first_name", "last_name"):
        # First and last name swapped on one side: one level of the last-name
        # comparison, and no evidence in the first-name one; weighed in both, the two
        # rare "swapped" levels would outweigh two exact, common names.
        swapped = Level("swapped", "crossed", (partner or column, column), _CROSSED)
        fuzzy = _fuzzy_levels(column, (), (0.80, 0.92))
        if kind == "last_name":
            name_levels = (swapped, *fuzzy, exact) if partner else (*fuzzy, exact)
            return [Comparison(column, column, name_levels, term_frequency=column)]
        initial = Level("initial", "initial", (column,))
        return [
            Comparison(
                column,
                column,
                (initial, *fuzzy, exact),
                term_frequency=column,
                counted_elsewhere=swapped if partner else None,
            )
        ]
    if kind == "street":
        return [Comparison(column, column, (*_fuzzy_levels(column, (), (0.80, 0.92)), exact))]
    if kind == "city":
        fuzzy = _fuzzy_levels(column, (), (0.90,))
        return [Comparison(column, column, (*fuzzy, exact), term_frequency=column)]
    if kind == "phone" and f"{column}:digits" in available:
        digits = f"{column}:digits"
        number = (Level("1 edit", "lev", (digits,), 1), Level("same number", "exact", (digits,)))
        return [Comparison(column, column, number)]
    if kind in ("postcode", "phone", "tax_id", "product_code"):
        return [Comparison(column, column, (Level("1 edit", "lev", (column,), 1), exact))]
    if kind == "email":
        local = f"{column}:local"
        mail = (
            Level("local part 1 edit", "lev", (local,), 1),
            Level("same local part", "exact", (local,)),
            exact,
        )
        return [Comparison(column, column, mail)]
    if kind == "date_of_birth":
        close = (Level("1 edit", "lev", (column,), 1), Level("day/month swap", "swap", (column,)))
        return [Comparison(column, column, (*close, exact))]
    return [Comparison(column, column, (exact,))]


def auto_comparisons(prepared: Prepared) -> list[Comparison]:
    """Choose comparisons from the column types.

    Args:
        prepared: The standardised features.

    Returns:
        One or more comparisons per compared column.
    """
    available = set(prepared.features)
    name_parts = tuple(
        column for column, kind in prepared.kinds.items() if kind in ("first_name", "last_name")
    )
    first = {kind: column for column, kind in reversed(prepared.kinds.items())}
    # The first first-name column and the first last-name column may be swapped.
    partners = {
        first.get("first_name"): first.get("last_name"),
        first.get("last_name"): first.get("first_name"),
    }
    out: list[Comparison] = []
    for column, kind in prepared.kinds.items():
        out.extend(_for_column(column, kind, available, name_parts, partners.get(column)))
    return out


def _pair_scores(
    prepared: Prepared,
    feature_name: str,
    left: IntArray,
    right: IntArray,
    test: str,
    cutoff: float = 0.0,
) -> FloatArray:
    """Score of one test on each pair, computed once per distinct value pair.

    ``cutoff`` is the loosest threshold any level applies to these scores: rapidfuzz
    stops early on pairs that cannot reach it (most pairs), which only changes scores
    no level looks at.
    """
    feature = prepared.features[feature_name]
    first, second = feature.codes[left], feature.codes[right]
    if test == "same":
        return (first == second).astype(np.float64)
    both = (first >= 0) & (second >= 0)
    if test == "exact":
        return (both & (first == second)).astype(np.float64)
    if test == "initial":
        return (both & _initial_of(feature, first, second)).astype(np.float64)
    if test == "swap":
        # Per distinct date rather than per pair: few dates, many pairs.
        swapped = _day_month_swapped(prepared, feature_name).codes[left]
        return (both & (swapped == second)).astype(np.float64)
    scores = np.full(len(left), -np.inf if test == "lev" else 0.0)
    width = len(feature.values) + 1
    # Hash-based (pandas) rather than sort-based (np.unique): several times faster.
    inverse, distinct = pd.factorize(first[both] * width + second[both])
    values_a = feature.values[distinct // width]
    values_b = feature.values[distinct % width]
    if test == "jw":
        result = cpdist(
            values_a.tolist(),
            values_b.tolist(),
            scorer=JaroWinkler.normalized_similarity,
            score_cutoff=cutoff,
            workers=-1,
        ).astype(np.float64)
    elif test == "lev":
        result = -cpdist(
            values_a.tolist(),
            values_b.tolist(),
            scorer=Levenshtein.distance,
            score_cutoff=int(cutoff),
            workers=-1,
        ).astype(np.float64)
    else:
        raise ValueError(f"unknown test {test!r}")
    scores[both] = result[inverse]
    return scores


def _initial_of(feature: Feature, first: IntArray, second: IntArray) -> npt.NDArray[np.bool_]:
    """Per pair of value codes, whether one value is a single letter the other starts with.

    Read from each distinct value's length and first letter, never per pair of strings.
    """
    values = pd.Series(feature.values, dtype=object)
    single = (values.str.len() == 1).to_numpy(dtype=bool)
    initial = pd.factorize(values.str[:1])[0].astype(np.int64)
    one, other = np.maximum(first, 0), np.maximum(second, 0)
    same = initial[one] == initial[other]
    return same & (single[one] | single[other])


def _day_month_swapped(prepared: Prepared, name: str) -> Feature:
    """Per record, the date of ``name`` with day and month swapped, coded as ``name``'s values.

    ``-1`` where that date is no value of ``name`` (no record could agree with it); a
    value that is not an ISO date stays itself. Worked out once per distinct date and
    kept in ``prepared.features`` (as ``name:day_month_swapped``) for later pairs.
    """
    key = f"{name}:day_month_swapped"
    if key not in prepared.features:
        feature = prepared.features[name]
        dates = pd.Series(feature.values, dtype=object)
        iso = dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).to_numpy(dtype=bool)
        swapped = dates.where(~iso, dates.str[:5] + dates.str[8:10] + dates.str[4:7])
        per_value = pd.Index(feature.values).get_indexer(swapped).astype(np.int64)
        codes = np.where(feature.codes >= 0, per_value[np.maximum(feature.codes, 0)], -1)
        prepared.features[key] = Feature(codes, feature.values)
    return prepared.features[key]


def _jw_across(
    prepared: Prepared, first: str, second: str, left: IntArray, right: IntArray, cutoff: float
) -> FloatArray:
    """Jaro-Winkler of ``first`` on the left against ``second`` on the right, per pair.

    Computed once per distinct value pair; ``0`` where either side is missing.
    """
    one, other = prepared.features[first], prepared.features[second]
    codes_a, codes_b = one.codes[left], other.codes[right]
    both = (codes_a >= 0) & (codes_b >= 0)
    scores = np.zeros(len(left))
    width = len(other.values) + 1
    inverse, distinct = pd.factorize(codes_a[both] * width + codes_b[both])
    result = cpdist(
        one.values[distinct // width].tolist(),
        other.values[distinct % width].tolist(),
        scorer=JaroWinkler.normalized_similarity,
        score_cutoff=cutoff,
        workers=-1,
    ).astype(np.float64)
    scores[both] = result[inverse]
    return scores


def _crossed(
    prepared: Prepared, level: Level, left: IntArray, right: IntArray
) -> npt.NDArray[np.bool_]:
    """Pairs whose two features agree when one side's are swapped (first ↔ last name).

    Where both features have initials, only pairs whose initials cross are scored: most
    pairs (all random ones) fail there, and Jaro-Winkler over the rest is cheap.
    """
    first, second = level.features
    held = np.ones(len(left), dtype=bool)
    if f"{first}:initial" in prepared.features and f"{second}:initial" in prepared.features:
        a_left, b_left, a_right, b_right = _shared_codes(
            prepared.features[f"{first}:initial"],
            prepared.features[f"{second}:initial"],
            left,
            right,
        )
        held = (a_left == b_right) & (b_left == a_right) & (a_left >= 0) & (b_left >= 0)
    for one, other in ((first, second), (second, first)):
        rows = np.flatnonzero(held)
        scores = _jw_across(prepared, one, other, left[rows], right[rows], level.threshold)
        held[rows] = scores >= level.threshold
    return held


def _shared_codes(
    one: Feature, other: Feature, left: IntArray, right: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Both features' values as positions in their joint sorted values (-1: missing).

    Returns:
        ``one`` and ``other`` on the left records, then both on the right records.
    """
    vocabulary = np.unique(np.concatenate([one.values, other.values]))
    out = []
    for records in (left, right):
        for feature in (one, other):
            positions = np.searchsorted(vocabulary, feature.values).astype(np.int64)
            codes = feature.codes[records]
            out.append(np.where(codes >= 0, positions[np.maximum(codes, 0)], -1))
    return out[0], out[1], out[2], out[3]


_Cache = dict[tuple[str, str], FloatArray]


def _cutoffs(comparison: Comparison) -> dict[tuple[str, str], float]:
    """Per (feature, test), the loosest threshold of the comparison's levels."""
    out: dict[tuple[str, str], float] = {}
    for level in comparison.levels:
        for name in level.features:
            if level.test == "jw":
                out[name, "jw"] = min(out.get((name, "jw"), 1.0), level.threshold)
            elif level.test == "lev":
                out[name, "lev"] = max(out.get((name, "lev"), 0.0), level.threshold)
    return out


def _holds(
    prepared: Prepared,
    level: Level,
    left: IntArray,
    right: IntArray,
    cache: _Cache,
    cutoffs: dict[tuple[str, str], float],
) -> npt.NDArray[np.bool_]:
    if level.test == "crossed":
        return _crossed(prepared, level, left, right)
    held = np.zeros(len(left), dtype=bool)
    for name in level.features:
        if (name, level.test) not in cache:
            cache[name, level.test] = _pair_scores(
                prepared, name, left, right, level.test, cutoffs.get((name, level.test), 0.0)
            )
        scores = cache[name, level.test]
        if level.test == "jw":
            held |= scores >= level.threshold
        elif level.test == "lev":
            held |= scores >= -level.threshold
        else:
            held |= scores > 0
    return held


def compare(
    prepared: Prepared, comparison: Comparison, left: IntArray, right: IntArray
) -> npt.NDArray[np.int8]:
    """Level of one comparison for every pair.

    Args:
        prepared: The standardised features.
        comparison: The comparison.
        left: Left record index per pair.
        right: Right record index per pair.

    Returns:
        Level per pair (``0`` missing, ``1`` different, higher = closer).
    """
    presence = prepared.features[comparison.presence]
    # Presence looked up per pair (codes of the pairs' records), not per record.
    present = (presence.codes[left] >= 0) & (presence.codes[right] >= 0)
    if comparison.any_of is not None:
        either = prepared.features[comparison.any_of].codes
        present &= (either[left] >= 0) | (either[right] >= 0)
    for name in comparison.redundant_with:
        part = prepared.features[name].codes
        present &= ~((part[left] >= 0) & (part[right] >= 0))
    if comparison.counted_elsewhere is not None:
        rows = np.flatnonzero(present)
        present[rows] = ~_crossed(prepared, comparison.counted_elsewhere, left[rows], right[rows])
    levels = np.where(present, 1, 0).astype(np.int8)
    todo = np.flatnonzero(present)
    # Strongest level first: a pair that reached a level is not tested against weaker
    # ones. Scores are cached per (feature, test) over the pairs still open, so fuzzy
    # bands of one comparison share a single cpdist call.
    cache: _Cache = {}
    cutoffs = _cutoffs(comparison)
    for number in range(len(comparison.levels) + 1, 1, -1):
        if not len(todo):
            break
        level = comparison.levels[number - 2]
        held = _holds(prepared, level, left[todo], right[todo], cache, cutoffs)
        levels[todo[held]] = number
        cache = {key: scores[~held] for key, scores in cache.items()}
        todo = todo[~held]
    return levels


def level_matrix(
    prepared: Prepared, comparisons: list[Comparison], left: IntArray, right: IntArray
) -> npt.NDArray[np.int8]:
    """Levels of every comparison, one column per comparison.

    Args:
        prepared: The standardised features.
        comparisons: The comparisons.
        left: Left record index per pair.
        right: Right record index per pair.

    Returns:
        ``(pairs, comparisons)`` int8 matrix.
    """
    out = np.empty((len(left), len(comparisons)), dtype=np.int8)
    # Chunks bound the temporary arrays (codes, scores, distinct value pairs) per call.
    for begin in range(0, len(left), _CHUNK):
        part = slice(begin, begin + _CHUNK)
        for index, comparison in enumerate(comparisons):
            out[part, index] = compare(prepared, comparison, left[part], right[part])
    return out
