"""The engine end to end: prepare, block, compare, estimate, score, cluster."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedupe.engine.background import Background
from dedupe.engine.blocking import auto_keys, candidate_pairs
from dedupe.engine.clustering import cluster
from dedupe.engine.comparisons import Comparison, auto_comparisons, level_matrix
from dedupe.engine.config import ConfigError, EngineConfig, Thresholds
from dedupe.engine.csv_columns import CsvColumns
from dedupe.engine.explain import explain
from dedupe.engine.fellegi_sunter import (
    Model,
    encode_patterns,
    estimate_by_key,
    estimate_prior,
    frequencies,
    refine,
    with_labels,
)
from dedupe.engine.labels import Labelled, decided, labelled_levels, pattern_codes, pattern_shifts
from dedupe.engine.prepare import Prepared, prepare, prepare_read

__all__ = ["EngineResult", "deduplicate"]

resource: ModuleType | None
try:
    import resource
except ImportError:  # pragma: no cover - Windows has no resource module
    resource = None

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str], None]


@dataclass
class EngineResult:
    """What a run produced.

    Attributes:
        clusters: Record id → cluster id (the id of the cluster's first record).
        pairs: Scored pairs at or above the review threshold: ``left_id``,
            ``right_id``, ``match_weight``, ``probability``, ``decision`` (``match``
            or ``review``), plus each comparison's level and weight.
        stats: Counts, timings and the estimated parameters.
        model: The estimated Fellegi–Sunter model.
        comparisons: The comparisons used, in explanation order.
    """

    clusters: pd.Series
    pairs: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    model: Model | None = None
    comparisons: list[Comparison] = field(default_factory=list)


def _peak_rss_mb() -> int:
    if resource is None:  # pragma: no cover - Windows
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (user + system)."""
    if resource is None:  # pragma: no cover - Windows
        return time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _random_pairs(
    size: int, count: int, seed: int, sources: IntArray | None, within: bool
) -> tuple[IntArray, IntArray]:
    rng = np.random.default_rng(seed)
    left = rng.integers(0, size, count, dtype=np.int64)
    right = rng.integers(0, size, count, dtype=np.int64)
    keep = left != right
    if sources is not None and not within:
        keep &= sources[left] != sources[right]
    return left[keep], right[keep]


def _u_random(
    prepared: Prepared,
    comparisons: list[Comparison],
    config: EngineConfig,
    sources: IntArray | None,
) -> list[FloatArray]:
    """u per comparison and level, from random record pairs (almost all non-matches)."""
    random_left, random_right = _random_pairs(
        prepared.size, config.u_sample_pairs, config.seed, sources, config.dedupe_within_sources
    )
    sizes = [len(comparison.labels) for comparison in comparisons]
    return frequencies(level_matrix(prepared, comparisons, random_left, random_right), sizes)


def _levels(
    prepared: Prepared,
    comparisons: list[Comparison],
    left: IntArray,
    right: IntArray,
    *,
    parallel: bool,
) -> npt.NDArray[np.int8]:
    """:func:`level_matrix` of the candidate pairs, the second half in a forked process.

    Comparing is mostly single-threaded: this keeps both cores busy (shared with the
    process working out u, while that still runs).
    """
    half = len(left) // 2
    second = Background(
        level_matrix,
        prepared,
        comparisons,
        left[half:],
        right[half:],
        enabled=parallel and half >= _BACKGROUND_MIN,
    )
    if not second.forked:
        return level_matrix(prepared, comparisons, left, right)
    first = level_matrix(prepared, comparisons, left[:half], right[:half])
    return np.concatenate([first, second.result()])


def _tf_adjustments(
    prepared: Prepared,
    comparisons: list[Comparison],
    model: Model,
    levels: npt.NDArray[np.int8],
    left: IntArray,
) -> FloatArray:
    """log2(u / tf(value)) on exact agreements: a rare shared value is stronger evidence.

    Returns:
        ``(pairs, comparisons)`` adjustments; call it on the pairs you keep, since the
        full matrix would be eight bytes per pair and comparison.
    """
    out = np.zeros(levels.shape, dtype=np.float64)
    for index, comparison in enumerate(comparisons):
        if comparison.term_frequency is None:
            continue
        feature = prepared.features[comparison.term_frequency]
        top = len(comparison.labels) - 1
        exact = np.flatnonzero(levels[:, index] == top)
        total = max(int(feature.counts.sum()), 1)
        share = np.maximum(feature.counts[feature.codes[left[exact]]] / total, 1.0 / total)
        out[exact, index] = np.log2(model.u_random[index][top] / share)
    return out


def _total_adjustment(
    prepared: Prepared,
    comparisons: list[Comparison],
    model: Model,
    levels: npt.NDArray[np.int8],
    left: IntArray,
) -> FloatArray:
    total = np.zeros(len(levels))
    chunk = 1_000_000
    for begin in range(0, len(levels), chunk):
        part = slice(begin, begin + chunk)
        total[part] = _tf_adjustments(prepared, comparisons, model, levels[part], left[part]).sum(
            axis=1
        )
    return total


_GUARD_WEIGHT = -40.0
# Fewer records than this: forking a second process for u costs more than it saves.
_BACKGROUND_MIN = 50_000
# The same for reading a file (about 50,000 records of a customer file).
_BACKGROUND_MIN_BYTES = 4_000_000


def _guards(comparisons: list[Comparison]) -> dict[int, FloatArray]:
    out = {}
    for index, comparison in enumerate(comparisons):
        if comparison.guard:
            weights = np.zeros(len(comparison.labels))
            weights[1] = _GUARD_WEIGHT
            out[index] = weights
    return out


def _column(feature: str) -> str:
    return feature.split(":", 1)[0]


def _blocked_comparisons(key: list[str], comparisons: list[Comparison]) -> set[int]:
    """Comparisons reading a column the key blocks on."""
    columns = {_column(name) for name in key}
    return {
        index
        for index, comparison in enumerate(comparisons)
        if _column(comparison.presence) in columns
        or any(_column(name) in columns for level in comparison.levels for name in level.features)
    }


def _keys(config: EngineConfig, prepared: Prepared) -> list[list[str]]:
    return config.blocking if config.blocking else auto_keys(prepared)


def _estimate(
    comparisons: list[Comparison],
    levels: npt.NDArray[np.int8],
    masks: IntArray,
    keys: list[list[str]],
    possible_pairs: int,
    *,
    u_random: list[FloatArray],
    config: EngineConfig,
    labelled: Labelled | None,
) -> tuple[Model, int]:
    """m per key (u from random pairs given), prior, refinement; the model and patterns."""
    sizes = [len(comparison.labels) for comparison in comparisons]
    model = estimate_by_key(
        levels,
        masks,
        [_blocked_comparisons(key, comparisons) for key in keys],
        sizes,
        u_random,
        labelled=labelled,
        iterations=config.em_iterations,
        seed=config.seed,
    )
    model.overrides = _guards(comparisons)
    patterns, counts, _ = encode_patterns(levels, sizes)
    model.prior = estimate_prior(patterns, counts, model, possible_pairs)
    model = refine(patterns, counts, model, possible_pairs)
    if labelled is not None and labelled[1].any():
        model = with_labels(model, *labelled)
        model.prior = estimate_prior(patterns, counts, model, possible_pairs)
    return model, len(patterns)


def _scored_pairs(
    prepared: Prepared,
    comparisons: list[Comparison],
    model: Model,
    levels: npt.NDArray[np.int8],
    pair: tuple[IntArray, IntArray],
    weight: FloatArray,
    ids: pd.Index,
    thresholds: Thresholds,
) -> pd.DataFrame:
    """Pairs at or above the review threshold, with decisions and explanations."""
    probability = 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))
    kept = np.flatnonzero(probability >= thresholds.review)
    left, right = pair[0][kept], pair[1][kept]
    adjustments = _tf_adjustments(prepared, comparisons, model, levels[kept], left)
    pairs = pd.DataFrame(
        {
            "left_id": ids.to_numpy()[left],
            "right_id": ids.to_numpy()[right],
            "match_weight": np.round(weight[kept], 3),
            "probability": probability[kept],
            "decision": np.where(probability[kept] >= thresholds.match, "match", "review"),
        }
    )
    return pd.concat([pairs, explain(comparisons, model, levels[kept], adjustments)], axis=1)


def _parameters(comparisons: list[Comparison], model: Model) -> dict[str, Any]:
    return {
        comparison.name: {
            label: {"m": round(float(m), 5), "u": round(float(u), 6)}
            for label, m, u in zip(comparison.labels[1:], mm[1:], uu[1:], strict=True)
        }
        for comparison, mm, uu in zip(comparisons, model.m, model.u, strict=True)
    }


def _read_and_prepare(records: CsvColumns, config: EngineConfig) -> tuple[Prepared, pd.DataFrame]:
    """Features and the id and source columns of a file, each process reading its share."""
    config.check_columns(list(records.header))
    keep = [config.id_column, *([config.source_column] if config.source_column else [])]
    return prepare_read(
        records.read,
        config.compared,
        keep=keep,
        parallel=config.parallel and records.size_bytes >= _BACKGROUND_MIN_BYTES,
        simplify_chinese=config.simplify_chinese,
    )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, then restore its state.

    The engine makes millions of objects (strings in lists, tuples, object arrays) and
    hardly any reference cycles; the collections their allocation triggers cost ~10 %
    of the CPU of a 1M-record run (forked workers included) and free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def deduplicate(
    frame: pd.DataFrame | CsvColumns,
    config: EngineConfig,
    *,
    labels: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> EngineResult:
    """Deduplicate (or link, with a source column) the records of a frame or CSV file.

    Args:
        frame: One row per record; values as strings, ``""`` or NA for missing. A
            :class:`CsvColumns` file is read here, the columns shared out with the
            standardising over two processes; the phase ``prepare`` then includes it.
        config: What each column is, plus overrides.
        labels: Optional labelled pairs (``left_id``, ``right_id``, ``is_match``) that
            refine the estimates.
        progress: Called with a line per finished phase.

    Returns:
        The clusters, the scored pairs with explanations and the statistics.

    Raises:
        ConfigError: When configured columns are missing or record ids repeat.
    """
    with _cyclic_gc_paused():
        say = progress or (lambda _line: None)
        timings: dict[str, float] = {}
        cpu_timings: dict[str, float] = {}
        clock, cpu_clock = time.perf_counter(), _cpu_seconds()

        def phase(name: str, line: str) -> None:
            nonlocal clock, cpu_clock
            now, cpu_now = time.perf_counter(), _cpu_seconds()
            timings[name] = round(now - clock, 3)
            cpu_timings[name] = round(cpu_now - cpu_clock, 3)
            clock, cpu_clock = now, cpu_now
            say(
                f"{name}: {line} ({timings[name]:.1f} s, CPU {cpu_timings[name]:.1f} s, "
                f"peak RSS {_peak_rss_mb():,} MB)"
            )

        prepared: Prepared | None = None
        if isinstance(frame, CsvColumns):
            prepared, frame = _read_and_prepare(frame, config)
        else:
            config.check_columns([str(column) for column in frame.columns])
        ids = pd.Index(frame[config.id_column].astype(str))
        if ids.has_duplicates:
            repeated = ids[ids.duplicated()].unique()[:5].tolist()
            raise ConfigError(
                [f"id_column: {config.id_column!r} has repeated ids, e.g. {repeated}"]
            )
        size = len(frame)
        sources: IntArray | None = None
        if config.source_column:
            sources = pd.factorize(frame[config.source_column].astype(str))[0].astype(np.int64)
        if prepared is None:
            prepared = prepare(
                frame,
                config.compared,
                parallel=config.parallel,
                simplify_chinese=config.simplify_chinese,
            )
        # From here on only the features are needed; when the caller passed the frame
        # without keeping a reference (as the command does), its memory is freed now.
        del frame
        phase("prepare", f"{size:,} records, {len(prepared.features)} features")

        comparisons = auto_comparisons(prepared)
        # u from random pairs needs only the features: a second process works it out
        # while this one blocks and compares the candidate pairs.
        u_random = Background(
            _u_random,
            prepared,
            comparisons,
            config,
            sources,
            enabled=config.parallel and size >= _BACKGROUND_MIN,
        )
        keys = _keys(config, prepared)
        left, right, masks, blocking = candidate_pairs(
            prepared,
            keys,
            max_block_size=config.max_block_size,
            pair_budget=config.pair_budget,
            sources=sources,
            within_sources=config.dedupe_within_sources,
        )
        phase(
            "blocking",
            f"{blocking.candidate_pairs:,} candidate pairs, reduction ratio "
            f"{blocking.reduction_ratio:.6f}",
        )

        levels = _levels(prepared, comparisons, left, right, parallel=config.parallel)
        phase("compare", f"{len(comparisons)} comparisons")

        labelled: Labelled | None = None
        labelled_left = labelled_right = np.empty(0, dtype=np.int64)
        if labels is not None:
            labelled, labelled_left, labelled_right = labelled_levels(
                labels, ids, prepared, comparisons
            )
        model, patterns = _estimate(
            comparisons,
            levels,
            masks,
            keys,
            blocking.possible_pairs,
            u_random=u_random.result(),
            config=config,
            labelled=labelled,
        )
        phase(
            "estimate",
            f"{patterns:,} patterns, {model.iterations} EM iterations (u from random pairs "
            f"{'in a second process' if u_random.forked else 'here'})",
        )

        weight = model.match_weight(levels) + _total_adjustment(
            prepared, comparisons, model, levels, left
        )
        joined: tuple[IntArray, IntArray] = (left, right)
        extra_probability = np.empty(0)
        if labelled is not None and len(labelled[1]):
            sizes = [len(comparison.labels) for comparison in comparisons]
            weight += pattern_shifts(pattern_codes(levels, sizes), model, labelled, sizes)
            where, flags, extra_left, extra_right = decided(
                left, right, size, labelled_left, labelled_right, labelled[1]
            )
            weight[where] = np.where(flags, 60.0, -60.0)
            # Labelled non-matches blocking did not pair still keep their records apart.
            _, _, apart_left, apart_right = decided(
                left, right, size, labelled_left, labelled_right, ~labelled[1]
            )
            joined = (
                np.concatenate([left, extra_left, apart_left]),
                np.concatenate([right, extra_right, apart_right]),
            )
            extra_probability = np.r_[np.ones(len(extra_left)), np.zeros(len(apart_left))]
        probability = 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))
        thresholds = config.thresholds
        record_labels, clustering = cluster(
            size,
            *joined,
            np.concatenate([probability, extra_probability]),
            match=thresholds.match,
            cannot_link=thresholds.cannot_link,
        )
        phase("cluster", f"{clustering.clusters:,} clusters, {clustering.blocked} joins refused")

        pairs = _scored_pairs(
            prepared, comparisons, model, levels, (left, right), weight, ids, config.thresholds
        )
        clusters = pd.Series(ids.to_numpy()[record_labels], index=ids, name="cluster_id")
        clusters.index.name = "record_id"
        stats: dict[str, Any] = {
            "records": size,
            "blocking": vars(blocking),
            "clustering": vars(clustering),
            "prior": model.prior,
            "labels": {
                "pairs": 0 if labelled is None else len(labelled[1]),
                "matches": 0 if labelled is None else int(labelled[1].sum()),
            },
            "parameters": _parameters(comparisons, model),
            "timings": timings,
            "cpu_timings": cpu_timings,
        }
        return EngineResult(clusters, pairs, stats, model, comparisons)
