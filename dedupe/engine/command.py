"""``crmsync dedupe INPUT --config CONFIG.yaml --out OUT.csv`` (``--pairs``, ``--labels``)."""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from dedupe.engine.config import ConfigError, EngineConfig, load_config
from dedupe.engine.csv_columns import CsvColumns, read_csv_columns
from dedupe.engine.labels import read_labels
from dedupe.engine.run import deduplicate

__all__ = ["read_records", "run_dedupe_command"]

_PARQUET = (".parquet", ".pq")


def _need_pyarrow(path: Path) -> None:
    if path.suffix.lower() in _PARQUET and importlib.util.find_spec("pyarrow") is None:
        raise ValueError(
            f"{path}: Parquet needs pyarrow, which is not installed "
            "(pip install pyarrow, or use CSV)"
        )


def read_records(path: Path, columns: Collection[str] | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file with every column as text (missing = ``""``).

    Args:
        path: The file; ``.parquet`` / ``.pq`` is read as Parquet, anything else as CSV.
        columns: Only these columns (those present), or all when ``None``.

    Returns:
        The records.

    Raises:
        ValueError: For Parquet without pyarrow installed.
    """
    _need_pyarrow(path)
    if path.suffix.lower() in _PARQUET:
        frame = pd.read_parquet(path)
        if columns is not None:
            frame = frame[[name for name in frame.columns if name in columns]]
        return frame.astype(str).where(frame.notna(), "")
    return read_csv_columns(path, columns)


def _used_columns(config: EngineConfig) -> set[str]:
    """The columns the engine reads: id, source and compared columns."""
    used = {config.id_column, *config.compared}
    if config.source_column:
        used.add(config.source_column)
    return used


def _records(path: Path, config: EngineConfig) -> pd.DataFrame | CsvColumns:
    """Parquet read whole (only the used columns); CSV left for the engine to read."""
    if path.suffix.lower() in _PARQUET:
        return read_records(path, _used_columns(config))
    return CsvColumns.open(path)


def _write(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix.lower() in _PARQUET:
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


# A value holding one of these is quoted in CSV.
_CSV_SPECIAL = re.compile('[,"\r]')


def _write_clusters(clusters: pd.Series, path: Path) -> None:
    """``record_id,cluster_id`` per record, as :func:`_write` writes it.

    Cluster ids are record ids, so when no record id needs quoting the CSV file is
    written as one string, without pandas' per-row writer (~4x faster).
    """
    header = [str(clusters.index.name), str(clusters.name)]
    ids = clusters.index.astype(str).tolist()
    joined = "\n".join([*header, *ids])
    if (
        path.suffix.lower() in _PARQUET
        or joined.count("\n") != len(ids) + 1
        or _CSV_SPECIAL.search(joined)
    ):
        _write(clusters.reset_index(), path)
        return
    rows = map(",".join, zip(ids, clusters.astype(str).tolist(), strict=True))
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        out.write("".join(row + "\n" for row in rows))


def run_dedupe_command(
    input_path: str | Path,
    config_path: str | Path,
    out_path: str | Path,
    *,
    scored_pairs_path: str | Path | None = None,
    labels_path: str | Path | None = None,
    progress: bool = True,
) -> int:
    """Run the engine on a file and write ``record_id,cluster_id``.

    Args:
        input_path: CSV or Parquet records.
        config_path: YAML configuration.
        out_path: Where to write one row per record: ``record_id,cluster_id``.
        scored_pairs_path: Optionally, where to write the scored pairs at or above the
            review threshold with each field's level and weight.
        labels_path: Labelled pairs CSV; overrides the config's ``labels`` (which is
            relative to the config file).
        progress: Print a line per phase to stderr.

    Returns:
        The exit code: 0 on success, 2 for a bad config or input.
    """
    started = time.perf_counter()

    def say(line: str) -> None:
        if progress:
            print(f"[{time.perf_counter() - started:7.1f} s] {line}", file=sys.stderr, flush=True)

    try:
        config = load_config(config_path)
        for path in (out_path, scored_pairs_path):
            if path is not None:
                _need_pyarrow(Path(path))
        if labels_path is None and config.labels:
            labels_path = Path(config_path).parent / config.labels
        labels = None if labels_path is None else read_labels(labels_path)
        if labels is not None:
            say(f"{len(labels):,} labelled pairs from {labels_path}")
        say(f"reading {input_path}")
        # No local reference to the frame: the engine frees it once standardised.
        result = deduplicate(
            _records(Path(input_path), config), config, labels=labels, progress=say
        )
    except ConfigError as error:
        print(f"error: {config_path}: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _write_clusters(result.clusters, Path(out_path))
    if scored_pairs_path is not None:
        _write(result.pairs, Path(scored_pairs_path))
    say(
        f"wrote {len(result.clusters):,} records in "
        f"{result.stats['clustering']['clusters']:,} clusters to {out_path}"
    )
    return 0
