"""Engine configuration: what each column is, plus optional overrides.

A user only names the id column, optionally a source column, and the type of each
column; blocking, comparisons and weights follow from the types. Errors are collected
and reported together, each with its key path (``columns.phone: ...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "COLUMN_TYPES",
    "ColumnType",
    "ConfigError",
    "EngineConfig",
    "Thresholds",
    "load_config",
    "parse_config",
]

ColumnType = Literal[
    "company_name",
    "person_name",
    "first_name",
    "last_name",
    "full_address",
    "street",
    "house_number",
    "city",
    "postcode",
    "region",
    "country",
    "phone",
    "email",
    "tax_id",
    "date_of_birth",
    "website",
    "product_code",
    "product_name",
    "text",
    "exact",
    "ignore",
]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)


class ConfigError(ValueError):
    """A configuration that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid dedupe config:\n  " + "\n  ".join(errors))
        self.errors = errors


class Thresholds(BaseModel):
    """Match-probability thresholds.

    Attributes:
        match: Pairs at or above are merged automatically.
        review: Pairs at or above (and below ``match``) go to the review queue.
        cannot_link: Pairs below keep their two records' clusters apart (chaining guard).
    """

    model_config = ConfigDict(extra="forbid")

    match: float = Field(0.9, gt=0, lt=1)
    review: float = Field(0.5, gt=0, lt=1)
    cannot_link: float = Field(0.001, ge=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.cannot_link <= self.review <= self.match:
            raise ValueError("need cannot_link <= review <= match")
        return self


class EngineConfig(BaseModel):
    """The configuration of one deduplication / linkage run.

    Attributes:
        id_column: Column holding the record id (unique).
        source_column: Column naming each record's source; when set, records are linked
            across sources.
        dedupe_within_sources: With a source column, also pair records of one source
            (off by default: linkage assumes each source is deduplicated already).
        columns: Column name → type from :data:`COLUMN_TYPES`.
        thresholds: Decision thresholds on the match probability.
        blocking: Override: blocking keys as lists of column names (each list one key on
            the standardised values of those columns).
        max_block_size: Blocks larger than this are skipped (their pairs are too
            uninformative and too many).
        pair_budget: A blocking key may make at most this many times the pairs per
            record of the median key; a looser key (a common street in a big city)
            keeps its smallest blocks only.
        u_sample_pairs: Random pairs drawn to estimate u-probabilities.
        em_iterations: Maximum EM iterations.
        seed: Seed for the random pairs.
        parallel: Standardise large columns on two processes (fork; Unix only).
        simplify_chinese: Write traditional Chinese characters as simplified ones before
            comparing names, addresses and text ("華為" and "华为" agree).
        labels: Optional CSV of labelled pairs (``left_id``, ``right_id``, ``is_match``
            1/0), relative to the config file; they refine the estimates and decide
            their own pairs (see :mod:`dedupe.engine.labels`).
    """

    model_config = ConfigDict(extra="forbid")

    id_column: str = Field(min_length=1)
    source_column: str | None = None
    dedupe_within_sources: bool = False
    columns: dict[str, ColumnType] = Field(min_length=1)
    thresholds: Thresholds = Thresholds()
    blocking: list[list[str]] | None = None
    max_block_size: int = Field(200, ge=2)
    pair_budget: float = Field(2.0, gt=0)
    u_sample_pairs: int = Field(1_000_000, ge=1_000)
    em_iterations: int = Field(50, ge=1)
    seed: int = 1
    parallel: bool = True
    simplify_chinese: bool = True
    labels: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EngineConfig:
        problems: list[str] = []
        if self.id_column in self.columns:
            problems.append(f"columns.{self.id_column}: the id column cannot be compared")
        for index, key in enumerate(self.blocking or []):
            if not key:
                problems.append(f"blocking.{index}: empty key")
            problems.extend(
                f"blocking.{index}: {name!r} is not in columns (or is ignored)"
                for name in key
                if self.columns.get(name, "ignore") == "ignore"
            )
        if all(kind == "ignore" for kind in self.columns.values()):
            problems.append("columns: every column is ignored, nothing to compare")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def compared(self) -> dict[str, str]:
        """Columns that take part in matching, with their types."""
        return {name: kind for name, kind in self.columns.items() if kind != "ignore"}

    def check_columns(self, available: list[str]) -> None:
        """Fail with every configured column missing from the data.

        Args:
            available: The input's column names.

        Raises:
            ConfigError: Naming each missing column's key.
        """
        wanted = {"id_column": self.id_column}
        if self.source_column:
            wanted["source_column"] = self.source_column
        wanted.update({f"columns.{name}": name for name in self.compared})
        missing = [
            f"{key}: column {name!r} is not in the input (has: {', '.join(available)})"
            for key, name in wanted.items()
            if name not in available
        ]
        if missing:
            raise ConfigError(missing)


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_config(data: Any) -> EngineConfig:
    """Validate a configuration mapping.

    Args:
        data: The parsed YAML / JSON.

    Returns:
        The configuration.

    Raises:
        ConfigError: With every problem and its key path.
    """
    if not isinstance(data, dict):
        raise ConfigError(["(top level): expected a mapping with id_column and columns"])
    try:
        return EngineConfig.model_validate(data)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            message = item["msg"]
            if item["type"] == "literal_error":
                message = f"unknown type {item.get('input')!r}; expected one of {COLUMN_TYPES}"
            elif item["type"] == "extra_forbidden":
                message = "unknown key"
            lines.append(f"{_location(item['loc'])}: {message}")
        raise ConfigError(lines) from None


def load_config(path: str | Path) -> EngineConfig:
    """Read and validate a YAML configuration file.

    Args:
        path: The file.

    Returns:
        The configuration.

    Raises:
        ConfigError: When the file is missing, not YAML, or invalid (with key paths).
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError([f"(file): cannot read {path}: {error.strerror}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"(file): {path} is not valid YAML: {error}"]) from None
    return parse_config(data)
