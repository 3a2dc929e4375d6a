"""Reduced FEBRL configs: the full configs cut down to the columns a user might have.

A config set (``bench/dedupe/febrl_config_sets.yaml``) names configs, each a list of
the FEBRL columns it keeps (or ``all``); the column types come from the full configs
(``febrl_config.yaml`` for dedup, ``febrl4_config.yaml`` for linkage), so a reduced
config is exactly what a user with fewer columns would write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bench.dedupe.febrl import CONFIGS

__all__ = ["CONFIG_SETS", "config_set", "reduced_config", "write_config_set"]

CONFIG_SETS = Path(__file__).with_name("febrl_config_sets.yaml")


def config_set(name: str, path: Path = CONFIG_SETS) -> dict[str, list[str] | str]:
    """The configs of one set: config name → columns kept (or ``"all"``).

    Args:
        name: The set's name in the file.
        path: The file of config sets.

    Returns:
        Config name → columns.

    Raises:
        KeyError: When the set is not in the file.
    """
    sets = yaml.safe_load(path.read_text(encoding="utf-8"))
    if name not in sets:
        raise KeyError(f"no config set {name!r} in {path} (has: {', '.join(sets)})")
    return dict(sets[name])


def reduced_config(columns: list[str] | str, *, link: bool) -> dict[str, Any]:
    """The full FEBRL config (dedup or linkage) keeping only ``columns``.

    Args:
        columns: Columns to keep, or ``"all"``.
        link: The linkage config (FEBRL 4) rather than the dedup one.

    Returns:
        The config as a mapping.

    Raises:
        ValueError: When a column is not in the full config.
    """
    full = yaml.safe_load(CONFIGS["link" if link else "dedupe"].read_text(encoding="utf-8"))
    if columns == "all":
        return dict(full)
    unknown = [name for name in columns if name not in full["columns"]]
    if unknown:
        raise ValueError(f"columns not in the FEBRL config: {unknown}")
    return {**full, "columns": {name: full["columns"][name] for name in columns}}


def write_config_set(name: str, folder: Path, *, link: bool) -> dict[str, Path]:
    """Write each config of a set as YAML into ``folder``.

    Args:
        name: The config set.
        folder: Where to write ``<config>-<dedupe|link>.yaml``.
        link: Linkage configs rather than dedup ones.

    Returns:
        Config name → file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for config, columns in config_set(name).items():
        path = folder / f"{config}-{'link' if link else 'dedupe'}.yaml"
        path.write_text(yaml.safe_dump(reduced_config(columns, link=link)), encoding="utf-8")
        out[config] = path
    return out
