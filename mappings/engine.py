"""The mapping engine: applies a mapping spec to turn source records into canonical ones
and golden records into target rows.

Inbound, a record that cannot be mapped raises :class:`MappingError` naming the canonical
field, the source column, the value and why; the pipeline quarantines it and goes on.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from mappings.models import CANONICAL_MODELS, Record
from mappings.spec import InboundRule, MappingSpec, OutboundRule


class MappingError(ValueError):
    """A source record that does not fit the canonical model."""

    def __init__(self, field: str, column: str | None, value: Any, reason: str) -> None:
        self.field = field
        self.column = column
        self.value = value
        self.reason = reason
        super().__init__(f"{field} (from {column or 'n/a'}): {reason}")


def _read(rule: InboundRule, payload: dict[str, Any]) -> Any:
    if rule.const is not None:
        value: Any = rule.const
    elif rule.columns is not None:
        parts = [str(payload[c]).strip() for c in rule.columns if _present(payload.get(c))]
        value = rule.join.join(parts) if parts else None
    else:
        value = payload.get(str(rule.column))
    if not _present(value):
        value = rule.default
    if value is not None and rule.values is not None:
        value = rule.values.get(str(value).strip(), value)
    if value is not None and rule.split is not None:
        value = tuple(p.strip() for p in str(value).split(rule.split) if p.strip())
    return value


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _nested_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """Return the pydantic model class of field ``name`` of ``model`` (unwrapping Optional)."""
    field = model.model_fields.get(name)
    if field is None:
        return None
    annotation = field.annotation
    candidates = (
        typing.get_args(annotation)
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
        else (annotation,)
    )
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _prune(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Drop nested objects whose presence fields are all unknown (e.g. no credit limit)."""
    pruned: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue  # the model's default stands in for a missing value
        nested = _nested_model(model, name)
        if nested is not None and isinstance(value, dict):
            value = _prune(nested, value)
            presence = getattr(nested, "presence_fields", ()) or tuple(value)
            if all(value.get(n) is None for n in presence):
                continue
        pruned[name] = value
    return pruned


def map_inbound(spec: MappingSpec, source_id: str, payload: dict[str, Any]) -> Record:
    """Map one source record to its canonical model.

    Args:
        spec: The system's mapping for the entity.
        source_id: The record's primary key in the source.
        payload: The raw record, column → value.

    Returns:
        The canonical record, carrying ``(system, entity, source_id)``.

    Raises:
        MappingError: When a value does not fit (wrong type, out of range, too long).
    """
    model = CANONICAL_MODELS[spec.entity]
    rules = spec.inbound_rules()
    data: dict[str, Any] = {}
    for path, rule in rules.items():
        target = data
        *parents, leaf = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = _read(rule, payload)
    data = _prune(model, data)
    data["source"] = {"system": spec.system, "entity": spec.entity, "source_id": source_id}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(p) for p in error["loc"])
        rule_for = rules.get(path) or rules.get(path.rsplit(".", 1)[0])
        column = rule_for.column if rule_for else None
        value = payload.get(column) if column else error.get("input")
        raise MappingError(path, column, value, error["msg"]) from exc


def _get(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _write(rule: OutboundRule, golden: dict[str, Any]) -> Any:
    value = rule.const if rule.const is not None else _get(golden, str(rule.field))
    if value is not None and rule.values is not None:
        value = rule.values.get(str(value), value)
    if isinstance(value, list | tuple):
        value = (rule.join or ",").join(str(v) for v in value) if value else None
    if value is not None and rule.slice is not None:
        start, end = rule.slice
        value = str(value)[start:end] or None
    if value is not None and rule.wrap is not None:
        width, line = rule.wrap
        lines = wrap_lines(str(value), width)
        value = lines[line] if line < len(lines) else None
    return value


def wrap_lines(text: str, width: int) -> list[str]:
    """Break ``text`` at single spaces into lines of at most ``width`` characters.

    Joining the lines with one space gives the text back whenever every break fell on a
    space; a word longer than ``width`` is cut hard.
    """
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        if cut <= 0:
            lines.append(rest[:width])
            rest = rest[width:]
        else:
            lines.append(rest[:cut])
            rest = rest[cut + 1 :]
    lines.append(rest)
    return lines


def map_outbound(spec: MappingSpec, golden: dict[str, Any]) -> dict[str, Any]:
    """Map a golden record (canonical JSON form) to the target's columns.

    The golden id column and timestamps are not included: the publisher adds them.
    """
    if spec.outbound is None:
        raise ValueError(f"mapping {spec.system}/{spec.entity} has no outbound section")
    return {column: _write(rule, golden) for column, rule in spec.outbound.rules().items()}


def render_create_values(spec: MappingSpec, golden_id: str) -> tuple[str, dict[str, Any]]:
    """Return the new primary key and extra column values for creating ``golden_id``."""
    if spec.outbound is None or spec.outbound.create is None:
        raise ValueError(f"mapping {spec.system}/{spec.entity} does not create records")
    create = spec.outbound.create
    now = datetime.now(UTC).isoformat(timespec="seconds")
    new_id = create.id_template.format(golden_id=golden_id)
    values = {
        column: value.format(now=now, golden_id=golden_id) if isinstance(value, str) else value
        for column, value in create.values.items()
    }
    return new_id, values


def outbound_projection(spec: MappingSpec, payload: dict[str, Any]) -> dict[str, Any]:
    """Return the columns of a pulled record that crmsync writes (golden id included).

    Hashed and compared with what crmsync last sent the record, it tells a change made by
    our own push (an echo) from a change made in the system.
    """
    if spec.outbound is None:
        return {}
    columns = list(spec.outbound.fields)
    if spec.outbound.golden_id_column:
        columns.append(spec.outbound.golden_id_column)
    return {column: payload.get(column) for column in columns}
