"""Stage 5, survive: compute each golden record's values from its members, with lineage.

Only ``ok`` members count. Each field follows its configured survivorship rule (source
priority, most recent or most complete; :mod:`dedupe.survive`); a steward override
beats them all. The lineage of every value names the member (or steward) and the rule
that chose it. A golden record's ``confirmed_at`` is its newest member's own change
time: customer data decays, and the audit report lists records no source has confirmed
for a long time.

Hierarchies live in the golden master too: the parent of a branch (a source id in the
member's own system) is resolved through the cross-references to the parent's golden
id (``parent_golden_id``), and a contact's customer to ``customer_golden_id``. Golden
records whose values did not change are left untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dedupe.survive import FieldRule, Member, Override, apply_overrides, survive
from store.golden import GoldenRecord, load_xrefs, members_by_golden, save_golden
from store.overrides import GoldenOverride, load_overrides
from store.records import OK, SourceRecordState, records_with_status
from sync.config import SurvivorshipRule
from sync.context import SyncContext

log = logging.getLogger(__name__)

# Source-id references resolved to golden ids: field → (resolved field, referenced entity).
REFERENCES = {
    "parent_source_id": ("parent_golden_id", None),
    "customer_source_id": ("customer_golden_id", "customer"),
}


def content_hash(data: dict[str, Any]) -> str:
    """Return the SHA-256 of golden values in canonical JSON form."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def field_rules(config: Mapping[str, list[str] | SurvivorshipRule]) -> dict[str, FieldRule]:
    """Turn the entity's ``survivorship`` settings into survivorship rules."""
    rules: dict[str, FieldRule] = {}
    for name, setting in config.items():
        if isinstance(setting, SurvivorshipRule):
            rules[name] = FieldRule(setting.rule, tuple(setting.sources))
        else:
            rules[name] = FieldRule("source_priority", tuple(setting))
    return rules


def _member(entity: str, state: SourceRecordState) -> Member:
    values = dict(state.canonical or {})
    for name in state.ignored_fields or ():
        values.pop(name, None)
    return Member(f"{state.system}/{entity}/{state.source_id}", state.system, values)


def _confirmed(members: list[Member]) -> datetime | None:
    """Return the newest change any member's source made: when the record was confirmed."""
    times = [m.values.get("updated_at") for m in members]
    stamps = [datetime.fromisoformat(t) for t in times if isinstance(t, str) and t]
    return max(stamps) if stamps else None


def _resolve_reference(
    values: dict[str, Any],
    lineage: dict[str, dict[str, str]],
    members: Sequence[Member],
    source_field: str,
    links: Mapping[tuple[str, str], str],
) -> None:
    """Replace a source-id reference by the golden id it points to, in place.

    The survivor's reference is used when it resolves; otherwise the first member (in
    key order) whose reference resolves: a parent known in one system is enough.
    """
    golden_field = REFERENCES[source_field][0]
    values.pop(source_field, None)
    origin = lineage.pop(source_field, None)
    ordered = sorted(members, key=lambda m: (origin is None or m.key != origin["record"], m.key))
    for member in ordered:
        reference = member.values.get(source_field)
        golden_id = links.get((member.system, reference)) if reference else None
        if golden_id:
            values[golden_field] = golden_id
            chosen = origin is not None and member.key == origin["record"]
            rule = origin["rule"] if chosen and origin else "first resolvable reference"
            lineage[golden_field] = {"record": member.key, "rule": rule}
            return
    values[golden_field] = None


def _overrides(items: Sequence[GoldenOverride]) -> list[Override]:
    return [Override(o.field, o.value, o.set_by, o.set_at.isoformat()) for o in items]


def survive_entity(ctx: SyncContext, run_id: str, entity: str) -> dict[str, int]:
    """Build and save the golden records of ``entity``.

    Returns:
        Counts ``created``, ``updated`` and ``unchanged`` of golden records.
    """
    rules = field_rules(ctx.settings.entity(entity).survivorship)
    with ctx.engine.connect() as connection:
        good = {(s.system, s.source_id): s for s in records_with_status(connection, entity, OK)}
        groups = members_by_golden(connection, entity)
        links = {entity: load_xrefs(connection, entity)}
        for _field, (_golden_field, other) in REFERENCES.items():
            if other and other != entity:
                links[other] = load_xrefs(connection, other)
        overrides = load_overrides(connection, entity)
    records: list[GoldenRecord] = []
    for golden_id, keys in groups.items():
        members = [
            _member(entity, good[(system, source_id)])
            for system, source_id in keys
            if (system, source_id) in good
        ]
        if not members:
            continue
        values, lineage = survive(members, rules)
        for source_field, (_golden_field, other) in REFERENCES.items():
            if source_field in values:
                target = links[other or entity]
                _resolve_reference(values, lineage, members, source_field, target)
        apply_overrides(values, lineage, _overrides(overrides.get(golden_id, ())))
        records.append(
            GoldenRecord(golden_id, values, lineage, content_hash(values), _confirmed(members))
        )
    with ctx.engine.begin() as connection:
        counts = save_golden(connection, run_id, entity, records)
    log.info("survive %s: golden records %s", entity, counts)
    return counts
