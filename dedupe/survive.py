"""Survivorship: build a golden record's values from its members, with lineage.

Each canonical field has a :class:`FieldRule`: a *strategy* and a source-system order.

* ``source_priority`` (default): the most trusted system's value; ties by completeness,
  then recency.
* ``most_recent``: the value of the member its source changed last (``updated_at``);
  ties by source priority, then completeness.
* ``most_complete``: the value with the most known parts (an address, an amount with its
  currency), then the longest text; ties by source priority, then recency.

The record key breaks any remaining tie, so the choice is deterministic. A steward
override beats every strategy. Nested values (an address, an amount with its currency)
come whole from one member so they stay coherent. The lineage of each value names the
member (or the steward) and the rule that decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "STRATEGIES",
    "FieldRule",
    "Member",
    "Override",
    "apply_overrides",
    "survive",
]

NOT_SURVIVED = frozenset({"source", "updated_at"})
STRATEGIES = ("source_priority", "most_recent", "most_complete")


@dataclass(frozen=True)
class Member:
    """A source record of a cluster: its key, system and canonical values (JSON form)."""

    key: str
    system: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class FieldRule:
    """How one field's value is chosen.

    Attributes:
        strategy: One of :data:`STRATEGIES`.
        sources: Systems in order of trust (systems not listed come last).
    """

    strategy: str = "source_priority"
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown survivorship strategy {self.strategy!r}")


@dataclass(frozen=True)
class Override:
    """A steward's value for one field of one golden record.

    Attributes:
        field: Canonical field, dotted for a nested part (``bill_to.city``).
        value: The value (JSON form); ``None`` clears the field.
        by: Who set it.
        at: When (ISO 8601).
    """

    field: str
    value: Any
    by: str
    at: str = ""


Rules = Mapping[str, FieldRule | Sequence[str]]


def _known(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, dict):
        return any(_known(v) for v in value.values())
    if isinstance(value, list | tuple):
        return len(value) > 0
    return True


def _parts(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 for v in value.values() if _known(v))
    return 1


def _length(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_length(v) for v in value.values() if _known(v))
    if isinstance(value, list | tuple):
        return len(value)
    return len(str(value).strip())


def _priority(system: str, order: Sequence[str]) -> int:
    return order.index(system) if system in order else len(order)


def _negated_time(value: Any) -> str:
    # Sort newest first with ascending sort: invert the ISO string's characters.
    if not value:
        return "~"
    return "".join(chr(0x10FFFF - ord(ch)) if ord(ch) < 0x10FFFF else ch for ch in str(value))


Criterion = tuple[str, Callable[[Member, str, Sequence[str]], Any]]

_BY_PRIORITY: Criterion = ("source priority", lambda m, _f, order: _priority(m.system, order))
_BY_PARTS: Criterion = ("most complete", lambda m, f, _o: -_parts(m.values[f]))
_BY_COMPLETENESS: Criterion = (
    "most complete",
    lambda m, f, _o: (-_parts(m.values[f]), -_length(m.values[f])),
)
_BY_RECENCY: Criterion = (
    "most recent",
    lambda m, _f, _o: _negated_time(m.values.get("updated_at")),
)

_CRITERIA: dict[str, tuple[Criterion, ...]] = {
    "source_priority": (_BY_PRIORITY, _BY_PARTS, _BY_RECENCY),
    "most_recent": (_BY_RECENCY, _BY_PRIORITY, _BY_PARTS),
    "most_complete": (_BY_COMPLETENESS, _BY_PRIORITY, _BY_RECENCY),
}


def _rule_of(rules: Rules, name: str) -> FieldRule:
    rule = rules.get(name, rules.get("default", FieldRule()))
    if isinstance(rule, FieldRule):
        if not rule.sources and name != "default":
            default = _rule_of(rules, "default") if "default" in rules else FieldRule()
            return FieldRule(rule.strategy, default.sources)
        return rule
    return FieldRule("source_priority", tuple(rule))


def _choose(members: Sequence[Member], name: str, rule: FieldRule) -> tuple[Member, str] | None:
    candidates = [m for m in members if _known(m.values.get(name))]
    if not candidates:
        return None
    criteria = _CRITERIA[rule.strategy]

    def rank(member: Member) -> tuple[Any, ...]:
        return (*(key(member, name, rule.sources) for _label, key in criteria), member.key)

    ranked = sorted(candidates, key=rank)
    winner = ranked[0]
    if len(ranked) == 1:
        return winner, "only source"
    runner_up = ranked[1]
    for label, key in criteria:
        if key(winner, name, rule.sources) != key(runner_up, name, rule.sources):
            return winner, label
    return winner, "record key"


def survive(
    members: Sequence[Member], rules: Rules
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Return the golden values and their lineage for one cluster.

    Args:
        members: The cluster's source records.
        rules: Canonical field → :class:`FieldRule` (or, as shorthand, the systems in
            order of trust); key ``default`` for the other fields.

    Returns:
        ``(values, lineage)``; lineage maps each field with a value to
        ``{"record", "rule"}`` (the member's key and the rule that decided:
        ``only source``, ``source priority``, ``most complete``, ``most recent`` or
        ``record key``).
    """
    fields: list[str] = []
    for member in members:
        fields.extend(f for f in member.values if f not in NOT_SURVIVED and f not in fields)
    values: dict[str, Any] = {}
    lineage: dict[str, dict[str, str]] = {}
    for name in fields:
        chosen = _choose(members, name, _rule_of(rules, name))
        if chosen is None:
            values[name] = None
            continue
        winner, rule = chosen
        values[name] = winner.values[name]
        lineage[name] = {"record": winner.key, "rule": rule}
    return values, lineage


def apply_overrides(
    values: dict[str, Any], lineage: dict[str, dict[str, str]], overrides: Sequence[Override]
) -> None:
    """Put steward overrides into survived values, in place, with their lineage.

    A dotted field (``bill_to.city``) replaces one part of a nested value; the lineage
    is then kept per part under the dotted name.

    Args:
        values: Survived values of one golden record.
        lineage: Their lineage.
        overrides: The record's steward overrides.
    """
    for override in overrides:
        head, _, part = override.field.partition(".")
        if part:
            nested = dict(values.get(head) or {})
            nested[part] = override.value
            values[head] = nested
        else:
            values[head] = override.value
        lineage[override.field] = {
            "record": f"steward:{override.by}",
            "rule": "steward override",
            "at": override.at,
        }
