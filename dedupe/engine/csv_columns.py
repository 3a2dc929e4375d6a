"""A CSV file read column group by column group, every column as text.

Reading a million-row file costs mostly the Python strings made for each kept cell,
not the parsing, so two processes that each read only their own columns share the
reading as well as the standardising (:func:`dedupe.engine.prepare.prepare_read`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["CsvColumns", "read_csv_columns"]


def read_csv_columns(path: Path, columns: Collection[str] | None = None) -> pd.DataFrame:
    """Read a CSV file with every column as text (missing = ``""``).

    Args:
        path: The file.
        columns: Only these columns (those present), or all when ``None``.

    Returns:
        The records.
    """
    wanted = None if columns is None else frozenset(columns)
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        usecols=None if wanted is None else wanted.__contains__,
    )


@dataclass(frozen=True)
class CsvColumns:
    """A CSV file whose columns are read when asked for.

    Attributes:
        path: The file.
        header: Its column names.
        size_bytes: Its size, a hint of how many records it holds before reading it.
    """

    path: Path
    header: tuple[str, ...]
    size_bytes: int

    @classmethod
    def open(cls, path: Path) -> CsvColumns:
        """Read the header of ``path`` (nothing else yet)."""
        header = pd.read_csv(path, nrows=0, dtype=str).columns
        return cls(path, tuple(str(name) for name in header), path.stat().st_size)

    def read(self, names: Collection[str]) -> pd.DataFrame:
        """The named columns (those in the header), as text."""
        return read_csv_columns(self.path, names)
