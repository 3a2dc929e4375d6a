"""Survivorship: build a golden record's values from its members, with lineage.

For each canonical field the value comes from one member, chosen by, in order: the
field's source-system priority, completeness (for addresses and money: how many parts
are known), recency (the member's ``updated_at``), and the record key (so the choice is
deterministic). Nested values (an address, an amount with its currency) come whole from
one member so they stay coherent. The lineage names the member and the rule that decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NOT_SURVIVED = frozenset({"source", "updated_at"})


@dataclass(frozen=True)
class Member:
    """A source record of a cluster: its key, system and canonical values (JSON form)."""

    key: str
    system: str
    values: Mapping[str, Any]


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


def _completeness(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 for v in value.values() if _known(v))
    return 1


def _priority(system: str, order: Sequence[str]) -> int:
    return order.index(system) if system in order else len(order)


def survive(
    members: Sequence[Member], priority: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Return the golden values and their lineage for one cluster.

    Args:
        members: The cluster's source records.
        priority: Canonical field → systems in order of trust; key ``default`` for the rest.

    Returns:
        ``(values, lineage)``; lineage maps each field with a value to
        ``{"record", "rule"}`` (the member's key and the rule that decided).
    """
    fields: list[str] = []
    for member in members:
        fields.extend(f for f in member.values if f not in NOT_SURVIVED and f not in fields)
    default_order = list(priority.get("default", ()))
    values: dict[str, Any] = {}
    lineage: dict[str, dict[str, str]] = {}
    for name in fields:
        order = list(priority.get(name, default_order))
        candidates = [m for m in members if _known(m.values.get(name))]
        if not candidates:
            values[name] = None
            continue
        ranked = sorted(
            candidates,
            key=lambda m: (
                _priority(m.system, order),
                -_completeness(m.values[name]),
                _negated_time(m.values.get("updated_at")),
                m.key,
            ),
        )
        winner = ranked[0]
        values[name] = winner.values[name]
        lineage[name] = {
            "record": winner.key,
            "rule": _deciding_rule(winner, ranked, name, order),
        }
    return values, lineage


def _negated_time(value: Any) -> str:
    # Sort newest first with ascending sort: invert the ISO string's characters.
    if not value:
        return "~"
    return "".join(chr(0x10FFFF - ord(ch)) if ord(ch) < 0x10FFFF else ch for ch in str(value))


def _deciding_rule(
    winner: Member, ranked: Sequence[Member], name: str, order: Sequence[str]
) -> str:
    if len(ranked) == 1:
        return "only source"
    runner_up = ranked[1]
    if _priority(winner.system, order) != _priority(runner_up.system, order):
        return "source priority"
    if _completeness(winner.values[name]) != _completeness(runner_up.values[name]):
        return "most complete"
    if winner.values.get("updated_at") != runner_up.values.get("updated_at"):
        return "most recent"
    return "record key"
