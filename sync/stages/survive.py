"""Stage 5, survive: compute each golden record's values from its members, with lineage.

Only ``ok`` members count. A golden record's ``confirmed_at`` is its newest member's own
change time: customer data decays, and the audit report lists records no source has
confirmed for a long time. The parent of a branch (a source id in the member's own
system) is resolved to the parent's golden id, so the hierarchy lives in the golden
master too. Golden records whose values did not change are left untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from dedupe.survive import Member, survive
from store.golden import GoldenRecord, load_xrefs, members_by_golden, save_golden
from store.records import OK, SourceRecordState, records_with_status
from sync.context import SyncContext

log = logging.getLogger(__name__)


def content_hash(data: dict[str, Any]) -> str:
    """Return the SHA-256 of golden values in canonical JSON form."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def survive_entity(ctx: SyncContext, run_id: str, entity: str) -> dict[str, int]:
    """Build and save the golden records of ``entity``.

    Returns:
        Counts ``created``, ``updated`` and ``unchanged`` of golden records.
    """
    priority = ctx.settings.entity(entity).survivorship
    with ctx.engine.connect() as connection:
        good = {(s.system, s.source_id): s for s in records_with_status(connection, entity, OK)}
        groups = members_by_golden(connection, entity)
        golden_of = load_xrefs(connection, entity)
    records: list[GoldenRecord] = []
    for golden_id, keys in groups.items():
        members = [
            _member(entity, good[(system, source_id)])
            for system, source_id in keys
            if (system, source_id) in good
        ]
        if not members:
            continue
        values, lineage = survive(members, priority)
        if "parent_source_id" in values:
            parent = values.pop("parent_source_id")
            origin = lineage.pop("parent_source_id", {})
            parent_system = origin.get("record", "").split("/", 1)[0]
            values["parent_golden_id"] = golden_of.get((parent_system, parent)) if parent else None
            if origin:
                lineage["parent_golden_id"] = origin
        records.append(
            GoldenRecord(golden_id, values, lineage, content_hash(values), _confirmed(members))
        )
    with ctx.engine.begin() as connection:
        counts = save_golden(connection, run_id, entity, records)
    log.info("survive %s: golden records %s", entity, counts)
    return counts
