"""Field ownership: a system is never sent the canonical fields it owns.

``systems.<name>.owns.<entity>`` lists canonical fields (top-level names such as
``credit_limit``, or dotted parts such as ``bill_to.city``). Every outbound mapping rule
that writes an owned field (or a part of it) is dropped from what is sent to that system;
the owner's own values stay as they are and keep flowing in through the inbound mapping.

A connector may also declare fields its settings keep it from writing
(:class:`connectors.base.DeclaresUnsentFields`, e.g. Tryton's cost price while
``push_cost_price`` is off): those are treated exactly like owned ones.
"""

from __future__ import annotations

from collections.abc import Collection

from connectors.base import DeclaresUnsentFields
from mappings.models import CANONICAL_MODELS
from mappings.spec import MappingSpec
from sync.config import ConfigError, Settings


def owned_fields(settings: Settings, system: str, entity: str) -> tuple[str, ...]:
    """Return the canonical fields ``system`` owns for ``entity``.

    Raises:
        ConfigError: When a listed field is not a field of the entity's canonical model.
    """
    owned = tuple(settings.systems[system].owns.get(entity, ()))
    model = CANONICAL_MODELS.get(entity)
    if model is not None:
        unknown = [f for f in owned if f.split(".", 1)[0] not in model.model_fields]
        if unknown:
            known = ", ".join(sorted(model.model_fields))
            raise ConfigError(
                f"systems.{system}.owns.{entity}: unknown field(s) {', '.join(unknown)} "
                f"(fields of {entity}: {known})"
            )
    return owned


def unsent_fields(connector: object, entity: str) -> tuple[str, ...]:
    """Return the canonical fields ``connector`` declares it never writes for ``entity``."""
    if isinstance(connector, DeclaresUnsentFields):
        return tuple(connector.unsent_fields(entity))
    return ()


def _is_owned(field: str, owned: Collection[str]) -> bool:
    return any(
        field == name or field.startswith(name + ".") or name.startswith(field + ".")
        for name in owned
    )


def owned_columns(mapping: MappingSpec, owned: Collection[str]) -> tuple[str, ...]:
    """Return the target columns of ``mapping`` whose outbound rule writes an owned field."""
    if mapping.outbound is None or not owned:
        return ()
    return tuple(
        column
        for column, rule in mapping.outbound.rules().items()
        if rule.field is not None and _is_owned(rule.field, owned)
    )


def without_owned(mapping: MappingSpec, owned: Collection[str]) -> MappingSpec:
    """Return ``mapping`` with the outbound rules writing owned fields removed."""
    columns = set(owned_columns(mapping, owned))
    if not columns or mapping.outbound is None:
        return mapping
    fields = {c: rule for c, rule in mapping.outbound.fields.items() if c not in columns}
    outbound = mapping.outbound.model_copy(update={"fields": fields})
    return mapping.model_copy(update={"outbound": outbound})
