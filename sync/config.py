"""crmsync settings: one YAML file (``crmsync.yaml``) loaded into pydantic models.

Values may reference environment variables as ``${NAME}`` (how secrets get in); relative
SQLite paths and folders are resolved against the config file's folder. Every problem in
the file is reported at once, each with its key path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ENV_CONFIG = "CRMSYNC_CONFIG"
DEFAULT_CONFIG_NAME = "crmsync.yaml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem with file and key."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Settings):
    """Where crmsync keeps its own state."""

    url: str = Field(
        "sqlite:///.state/crmsync.db",
        description="SQLAlchemy URL of the store (SQLite file or PostgreSQL). "
        "`CRMSYNC_STORE_URL` overrides it.",
    )


class SandboxSettings(_Settings):
    """The generated sandbox CRM and ERP used by the demo and the tests."""

    directory: Path = Field(Path(".state/sandbox"), description="Folder of crm.db and erp.db.")
    seed: int = Field(7, description="Seed of the deterministic generator.")
    companies: int = Field(1200, gt=0, description="Number of real companies to generate.")


class SystemSettings(_Settings):
    """One connected CRM or ERP system."""

    model_config = ConfigDict(extra="allow")

    connector: str = Field(description="Connector kind, e.g. `sql`.")
    owns: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Canonical fields this system owns, per entity (e.g. `customer: "
        "[credit_limit, payment_terms]`): read from it, never sent to it.",
    )

    def connector_settings(self) -> dict[str, Any]:
        """Return the connector-specific settings (every key but `connector` and `owns`)."""
        return dict(self.model_extra or {})


class GateSettings(_Settings):
    """Limits of the batch gate of an entity."""

    max_failure_ratio: float = Field(
        0.2, ge=0, le=1, description="Stop the run when more than this share of records fails."
    )
    max_count_drop: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Stop the run when a source holds this share fewer records than at the "
        "last good run (a truncated extract).",
    )
    max_source_age_hours: float | None = Field(
        None, gt=0, description="Stop the run when a source's newest change is older (hours)."
    )


class MatchSettings(_Settings):
    """How records of an entity are matched."""

    enabled: bool = Field(True, description="Match and merge records (false: one golden each).")
    method: Literal["combined", "engine", "rules"] = Field(
        "combined",
        description="`combined`: a pair matches when the Fellegi-Sunter engine's probability "
        "reaches `upper_threshold` or the entity's rule set accepts it, always within the hard "
        "constraints; `engine` or `rules` alone.",
    )
    upper_threshold: float = Field(
        0.9, gt=0, lt=1, description="Engine probability at or above which a pair is merged."
    )
    lower_threshold: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="Engine probability at or above which (and below `upper_threshold`) a pair "
        "goes to the review queue.",
    )
    steward_labels: bool = Field(
        True, description="Feed steward decisions to the engine as labelled pairs."
    )
    detect_deletes: bool = Field(
        False,
        description="Ask each source for all its keys at the match stage and retire the source "
        "records it no longer holds from their golden records.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> MatchSettings:
        if self.lower_threshold > self.upper_threshold:
            raise ValueError("lower_threshold must not exceed upper_threshold")
        return self


class SurvivorshipRule(_Settings):
    """How one canonical field of the golden record is chosen from its members."""

    rule: Literal["source_priority", "most_recent", "most_complete"] = Field(
        "source_priority",
        description="`source_priority`: the most trusted system's value; `most_recent`: the "
        "value its source changed last; `most_complete`: the value with most known parts, "
        "then the longest.",
    )
    sources: list[str] = Field(
        default_factory=list,
        description="Systems in order of trust (the tie-breaker of the other rules); empty: "
        "those of `default`.",
    )


class PublishSettings(_Settings):
    """Safety limits of pushing golden records of an entity back to its targets."""

    max_change_ratio: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Stop before writing when a run would create or update more than this "
        "share of a target's records; `crmsync approve RUN_ID` lets it through.",
    )
    min_changes: int = Field(
        20,
        ge=0,
        description="Changes always allowed whatever the share (small systems are not blocked).",
    )
    guard_initial_load: bool = Field(
        False,
        description="Also guard the very first publish to a target (by default the initial "
        "load, when crmsync never wrote to the target, is not limited).",
    )
    batch_size: int = Field(500, gt=0, description="Records sent to a target per call.")


class EntitySettings(_Settings):
    """The sync of one canonical entity."""

    sources: list[str] = Field(description="Systems records are pulled from.")
    targets: list[str] = Field(
        default_factory=list, description="Systems golden records are pushed to."
    )
    survivorship: dict[str, list[str] | SurvivorshipRule] = Field(
        default_factory=dict,
        description="Per canonical field (key `default` for all others): the systems in order "
        "of trust, or a rule `{rule: most_recent | most_complete | source_priority, sources: "
        "[...]}`. Systems not listed come last.",
    )
    gate: GateSettings = Field(default_factory=GateSettings)
    match: MatchSettings = Field(default_factory=MatchSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    full_refresh_every: int | None = Field(
        None,
        gt=0,
        description="Every this many pulls of a source, read every record regardless of the "
        "cursor (fields that change without touching it, e.g. formula fields) and retire "
        "the records the source no longer holds; 1: every run. `crmsync run --full-refresh` "
        "and the DAG param `full_refresh` ask for one once.",
    )


class ReportSettings(_Settings):
    """The audit report written for every run."""

    directory: Path = Field(Path(".state/reports"), description="Folder of the run reports.")
    data_docs_dir: Path = Field(
        Path(".state/gx"), description="Folder of the GX project whose Data Docs the report links."
    )
    stale_after_days: int = Field(
        180, gt=0, description="Golden records no source confirmed for this long are listed."
    )
    unmasked: bool = Field(
        False, description="Show personal values (e-mail, phone, street, names) unmasked."
    )


class Settings(_Settings):
    """The whole crmsync configuration."""

    store: StoreSettings = Field(default_factory=StoreSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    mapping_dirs: list[Path] = Field(
        default_factory=list,
        description="Folders searched for `<system>_<entity>.yaml` before the packaged ones.",
    )
    systems: dict[str, SystemSettings] = Field(description="Connected systems by name.")
    entities: dict[str, EntitySettings] = Field(description="Synced entities by name.")
    base_dir: Path = Field(Path("."), description="Folder of the config file (set on load).")

    @model_validator(mode="after")
    def _systems_exist(self) -> Settings:
        problems = []
        for entity, settings in self.entities.items():
            for role in ("sources", "targets"):
                for system in getattr(settings, role):
                    if system not in self.systems:
                        problems.append(f"entities.{entity}.{role}: unknown system {system!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def entity(self, name: str) -> EntitySettings:
        """Return the settings of entity ``name``.

        Raises:
            ConfigError: When the entity is not configured.
        """
        if name not in self.entities:
            known = ", ".join(sorted(self.entities))
            raise ConfigError(f"entity {name!r} is not configured (configured: {known})")
        return self.entities[name]

    def store_url(self) -> str:
        """Return the store URL, `CRMSYNC_STORE_URL` first."""
        return os.environ.get("CRMSYNC_STORE_URL") or self.store.url


def _expand_env(value: Any, problems: list[str], path: str) -> Any:
    if isinstance(value, dict):
        return {
            k: _expand_env(v, problems, f"{path}.{k}" if path else str(k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_expand_env(v, problems, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                problems.append(f"{path}: environment variable {name} is not set")
                return ""
            return os.environ[name]

        return _ENV_REF.sub(replace, value)
    return value


def _absolute_sqlite(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url


def resolve_paths(settings: Settings) -> Settings:
    """Return settings whose relative paths and SQLite URLs are anchored at ``base_dir``."""
    base = settings.base_dir
    settings.store.url = _absolute_sqlite(settings.store.url, base)
    settings.sandbox.directory = (base / settings.sandbox.directory).resolve()
    settings.report.directory = (base / settings.report.directory).resolve()
    settings.report.data_docs_dir = (base / settings.report.data_docs_dir).resolve()
    settings.mapping_dirs = [(base / d).resolve() for d in settings.mapping_dirs]
    for system in settings.systems.values():
        url = getattr(system, "url", None)
        if isinstance(url, str):
            setattr(system, "url", _absolute_sqlite(url, base))  # noqa: B010
    return settings


def config_path(explicit: str | Path | None = None) -> Path:
    """Return the config file to use: explicit, `CRMSYNC_CONFIG`, or ./crmsync.yaml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    return Path.cwd() / DEFAULT_CONFIG_NAME


def load_settings(path: str | Path | None = None) -> Settings:
    """Load, validate and resolve the configuration.

    Raises:
        ConfigError: Listing every problem, each as ``file: key: message``.
    """
    file = config_path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{file}: config file not found (set {ENV_CONFIG} or pass --config)"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of keys")
    problems: list[str] = []
    expanded = _expand_env(raw, problems, "")
    expanded["base_dir"] = file.resolve().parent
    try:
        settings = Settings.model_validate(expanded)
    except ValidationError as exc:
        problems.extend(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        settings = None
    if problems or settings is None:
        raise ConfigError("\n".join(f"{file}: {p}" for p in problems))
    return resolve_paths(settings)
