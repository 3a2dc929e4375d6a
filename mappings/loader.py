"""Finding and loading mapping files, with every error reported together."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from mappings.spec import MappingSpec

PACKAGED_MAPPINGS = Path(__file__).parent


class MappingConfigError(ValueError):
    """One or more mapping files are invalid; the message lists file, key and problem."""


def load_mapping(path: Path) -> MappingSpec:
    """Load and validate one mapping file.

    Raises:
        MappingConfigError: Listing every problem with its key path.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        return MappingSpec.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{path}: {'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise MappingConfigError("\n".join(problems)) from exc


def find_mapping(directories: list[Path], system: str, entity: str) -> MappingSpec:
    """Load ``<system>_<entity>.yaml`` from the first directory that has it.

    Raises:
        MappingConfigError: When no directory has the file, or it is invalid.
    """
    name = f"{system}_{entity}.yaml"
    for directory in directories:
        candidate = directory / name
        if candidate.is_file():
            spec = load_mapping(candidate)
            if (spec.system, spec.entity) != (system, entity):
                raise MappingConfigError(
                    f"{candidate}: declares {spec.system}/{spec.entity}, expected {system}/{entity}"
                )
            return spec
    searched = ", ".join(str(d) for d in directories)
    raise MappingConfigError(f"no mapping {name} in {searched}")
