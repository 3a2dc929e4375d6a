"""``crmsync connectors``: list the installed connector kinds and their settings keys.

The keys come from each kind's pydantic settings model, so the listing is always what the
installed code accepts; secrets are marked, defaults shown (never a secret's value).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from connectors.errors import FatalError
from connectors.registry import connector_kinds
from connectors.secrets import AIRFLOW_CONN_KEY


@dataclass(frozen=True)
class SettingKey:
    """One settings key of a connector kind."""

    name: str
    type: str
    required: bool
    secret: bool
    default: Any
    description: str


@dataclass(frozen=True)
class KindDescription:
    """A connector kind as listed: where it comes from and the keys its settings take."""

    kind: str
    target: str
    origin: str
    keys: list[SettingKey] = field(default_factory=list)
    problem: str | None = None


def _type_name(info: FieldInfo) -> str:
    annotation = info.annotation
    if isinstance(annotation, type):
        return annotation.__name__
    # "pydantic.types.SecretStr | None" -> "SecretStr | None"
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", str(annotation))


def _shown_default(value: Any) -> Any:
    """A default as the listing shows it: scalars and small collections as they are,
    anything else by its type (``RetryPolicy()``)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | dict) and len(json.dumps(value, default=str)) <= 60:
        return json.loads(json.dumps(value, default=str))
    return f"{type(value).__name__}()"


def _is_secret(info: FieldInfo) -> bool:
    return "SecretStr" in str(info.annotation) or info.annotation is SecretStr


def _keys(model: type[BaseModel]) -> list[SettingKey]:
    keys = []
    for name, info in model.model_fields.items():
        secret = _is_secret(info)
        required = info.is_required()
        default = (
            None
            if required or secret
            else _shown_default(info.get_default(call_default_factory=True))
        )
        keys.append(
            SettingKey(
                name=info.alias or name,
                type=_type_name(info),
                required=required,
                secret=secret,
                default=default,
                description=info.description or "",
            )
        )
    return keys


def describe_kinds() -> list[KindDescription]:
    """Describe every installed connector kind; a kind that cannot load says why."""
    described = []
    for kind in connector_kinds().values():
        try:
            model = kind.config_model()
        except FatalError as exc:
            described.append(KindDescription(kind.name, kind.target, kind.origin, [], str(exc)))
            continue
        keys = _keys(model) if model is not None else []
        problem = None if model is not None else "no settings model found"
        described.append(KindDescription(kind.name, kind.target, kind.origin, keys, problem))
    return described


def render(kinds: list[KindDescription]) -> str:
    """Render the kinds as text for a terminal."""
    lines = []
    for kind in kinds:
        lines.append(f"{kind.kind}  ({kind.target}, from {kind.origin})")
        if kind.problem:
            lines.append(f"    ! {kind.problem}")
        for key in kind.keys:
            flags = "required" if key.required else f"default {key.default!r}"
            if key.secret:
                flags += ", secret"
            lines.append(f"    {key.name:<24} {key.type:<22} {flags}")
            if key.description:
                lines.append(f"        {key.description}")
        lines.append(
            f"    {AIRFLOW_CONN_KEY:<24} {'str':<22} optional: fill url/login/password/token "
            "from this Airflow Connection"
        )
        lines.append("")
    return "\n".join(lines)


def add_parser(commands: Any) -> None:
    """Register the ``connectors`` sub-command on the CLI's sub-parsers."""
    parser = commands.add_parser(
        "connectors", help="list the installed connector kinds and the settings each takes"
    )
    parser.add_argument("--json", action="store_true", help="print the listing as JSON")


def run(args: argparse.Namespace) -> int:
    """Print the installed connector kinds; exit 0."""
    kinds = describe_kinds()
    if args.json:
        print(json.dumps([asdict(kind) for kind in kinds], indent=2, default=str))
    else:
        print(render(kinds), end="")
    return 0
