"""The crmsync store schema: SQLAlchemy 2 table definitions for every stage of a sync.

One database holds it all (SQLite file by default, PostgreSQL in production):

* ``runs`` — one row per pipeline run, append-only, with its JSON summary.
* ``cursors`` — the incremental position of each (system, entity) pull.
* ``staging`` — raw payloads landed by a pull, per run, with hash and source timestamp.
* ``source_records`` — the latest known version of every source record, mapped.
* ``quarantine`` — records held back, with run, stage, rule, column and (masked) value.
* ``golden_records`` — the golden master, with lineage of every value.
* ``xrefs`` — cross-references golden id ↔ (system, entity, source id).
* ``match_events`` — merges and splits of golden records.
* ``outbox`` — changes to push to targets, keyed by an idempotency key.
* ``published`` — what each target last received per golden record (for diffs).
* ``publish_log`` — per run and target: records created, updated and unchanged.
* ``dead_letters`` — records a target rejected, with its message; retried every run.
* ``publish_conflicts`` — updates deferred because the target changed the record since
  our pull (re-pulled and re-matched next run).
* ``publish_approvals`` — mass changes the circuit breaker stopped, and their approval.
* ``rule_results`` — per run, entity, stage and rule: records checked and failed
  (append-only; the audit report and its trend read it).
* ``pull_log`` — per run and source: records pulled, the source's total and its newest
  change (the truncation and staleness gates compare against earlier runs).
* ``order_links`` — won CRM deal → the ERP order crmsync created from it, with the
  order's status read back from the ERP.
* ``pull_checkpoints`` — where an interrupted pull of a (system, entity) resumes: its
  window, the connector's resume token, the run whose staging holds what it landed.

The Alembic migrations in ``store/migrations`` create exactly this schema.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SYSTEM = 64
ENTITY = 32
SOURCE_ID = 255
HASH = 64
GOLDEN_ID = 40

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("entity", String(ENTITY), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | success | failed | blocked
    Column("cause", Text),
    Column("summary", JSON),
)

cursors = Table(
    "cursors",
    metadata,
    Column("system", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("cursor_value", String(255)),
    Column("cursor_key", String(SOURCE_ID)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("run_id", String(64)),
)

staging = Table(
    "staging",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("system", String(SYSTEM), nullable=False),
    Column("entity", String(ENTITY), nullable=False),
    Column("source_id", String(SOURCE_ID), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("payload_hash", String(HASH), nullable=False),
    Column("source_updated_at", String(64)),
    Column("pulled_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "system", "entity", "source_id"),
    Index(None, "system", "entity", "run_id"),
)

source_records = Table(
    "source_records",
    metadata,
    Column("system", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("source_id", String(SOURCE_ID), primary_key=True),
    Column("payload_hash", String(HASH), nullable=False),
    Column("canonical", JSON),  # None while the record cannot map
    Column("status", String(16), nullable=False),  # pending | ok | quarantined | deleted
    # True when the source itself changed the record since it was last matched; False
    # when the only change is crmsync's own push echoing back (the record keeps its link).
    Column("needs_match", Boolean, nullable=False),
    # Canonical fields that are only crmsync's own writes echoed back (a record crmsync
    # created): not evidence for survivorship.
    Column("ignored_fields", JSON),
    Column("source_updated_at", String(64)),
    Column("first_seen_run", String(64), nullable=False),
    Column("last_changed_run", String(64), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("system", String(SYSTEM), nullable=False),
    Column("entity", String(ENTITY), nullable=False),
    Column("source_id", String(SOURCE_ID), nullable=False),
    Column("stage", String(16), nullable=False),  # map | gate
    Column("rule", String(64), nullable=False),
    Column("column", String(128)),
    Column("value", Text),  # masked where personal
    Column("reason", Text, nullable=False),
    Column("payload_hash", String(HASH), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("released_run", String(64)),
    Index(None, "system", "entity", "source_id"),
    Index(None, "run_id"),
)

golden_records = Table(
    "golden_records",
    metadata,
    Column("golden_id", String(GOLDEN_ID), primary_key=True),
    Column("entity", String(ENTITY), nullable=False),
    Column("data", JSON, nullable=False),
    Column("lineage", JSON, nullable=False),
    Column("content_hash", String(HASH), nullable=False),
    Column("status", String(16), nullable=False),  # active | retired
    Column("created_run", String(64), nullable=False),
    Column("updated_run", String(64), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=False),
    Index(None, "entity", "status"),
)

xrefs = Table(
    "xrefs",
    metadata,
    Column("system", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("source_id", String(SOURCE_ID), primary_key=True),
    Column("golden_id", String(GOLDEN_ID), nullable=False),
    Column("match_score", String(16)),
    Column("match_reason", Text),
    Column("linked_run", String(64), nullable=False),
    Index(None, "golden_id"),
)

match_events = Table(
    "match_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("entity", String(ENTITY), nullable=False),
    Column("event", String(16), nullable=False),  # create | merge | split | retire
    Column("golden_id", String(GOLDEN_ID), nullable=False),
    Column("other_golden_ids", JSON),
    Column("members", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("target", String(SYSTEM), nullable=False),
    Column("entity", String(ENTITY), nullable=False),
    Column("golden_id", String(GOLDEN_ID), nullable=False),
    Column("target_id", String(SOURCE_ID)),
    Column("operation", String(16), nullable=False),  # create | update
    Column("payload", JSON, nullable=False),
    Column("idempotency_key", String(HASH), nullable=False, unique=True),
    # pending | sent | failed | rejected (dead letter) | conflict (deferred) | superseded
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("payload_hash", String(HASH)),  # 0003: what the target holds once it is sent
    Index(None, "target", "entity", "status"),
)

published = Table(
    "published",
    metadata,
    Column("target", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("target_id", String(SOURCE_ID), primary_key=True),
    Column("golden_id", String(GOLDEN_ID), nullable=False),
    Column("payload_hash", String(HASH), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Index(None, "golden_id"),
)

publish_log = Table(
    "publish_log",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("target", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), nullable=False),
    Column("created", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
)

rule_results = Table(
    "rule_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("entity", String(ENTITY), nullable=False),
    Column("stage", String(16), nullable=False),  # map | staged | golden | batch
    Column("rule", String(128), nullable=False),
    Column("column", String(128)),
    Column("checked", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("detail", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "run_id"),
)

pull_log = Table(
    "pull_log",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("system", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("pulled", Integer, nullable=False),
    Column("source_total", Integer),  # all records the source holds (truncation check)
    Column("newest_source_change", String(64)),  # staleness check
    Column("mode", String(16), nullable=False),  # incremental | full
    Column("finished_at", DateTime(timezone=True), nullable=False),
)

# Matching (migration 0004): uncertain pairs for a steward to decide, and steward values.
REVIEW_KEY = SYSTEM + ENTITY + SOURCE_ID + 2  # "system/entity/source_id"

match_review = Table(
    "match_review",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(ENTITY), nullable=False),
    Column("left_key", String(REVIEW_KEY), nullable=False),
    Column("right_key", String(REVIEW_KEY), nullable=False),
    Column("probability", Float, nullable=False),
    Column("match_weight", Float),
    Column("explanation", JSON, nullable=False),  # [{field, level, agrees, weight}, ...]
    Column("left_golden_id", String(GOLDEN_ID)),
    Column("right_golden_id", String(GOLDEN_ID)),
    Column("status", String(16), nullable=False),  # open | merged | rejected | superseded
    Column("run_id", String(64), nullable=False),  # the run that last scored the pair
    Column("created_run", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(128)),
    Column("decided_at", DateTime(timezone=True)),
    Column("applied_run", String(64)),  # the run that first applied the decision
    UniqueConstraint("entity", "left_key", "right_key"),
    Index(None, "entity", "status"),
)

golden_overrides = Table(
    "golden_overrides",
    metadata,
    Column("golden_id", String(GOLDEN_ID), primary_key=True),
    Column("field", String(128), primary_key=True),  # dotted for a nested part: bill_to.city
    Column("entity", String(ENTITY), nullable=False),
    Column("value", JSON),
    Column("set_by", String(128), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# Publish safety (migration 0003): records a target rejected, updates deferred because the
# target changed the record since our pull, and mass changes waiting for approval.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("target", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("target_id", String(SOURCE_ID), primary_key=True),
    Column("golden_id", String(GOLDEN_ID), nullable=False),
    Column("operation", String(16), nullable=False),  # create | update
    Column("error", Text, nullable=False),  # the target's own message
    Column("attempts", Integer, nullable=False),
    Column("first_run", String(64), nullable=False),
    Column("last_run", String(64), nullable=False),
    Column("first_failed_at", DateTime(timezone=True), nullable=False),
    Column("last_failed_at", DateTime(timezone=True), nullable=False),
    Column("resolved_run", String(64)),  # the run whose retry the target accepted
    Index(None, "last_run"),
)

publish_conflicts = Table(
    "publish_conflicts",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("target", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("target_id", String(SOURCE_ID), primary_key=True),
    Column("golden_id", String(GOLDEN_ID), nullable=False),
    Column("expected_updated_at", String(64)),  # the target's change time as we pulled it
    Column("detail", Text, nullable=False),  # what the target holds now
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_run", String(64)),  # the run that wrote the record after re-pulling it
    Index(None, "target", "entity", "target_id"),
)

publish_approvals = Table(
    "publish_approvals",
    metadata,
    Column("run_id", String(64), primary_key=True),  # the run the breaker stopped
    Column("entity", String(ENTITY), primary_key=True),
    Column("target", String(SYSTEM), primary_key=True),
    Column("changes", Integer, nullable=False),
    Column("target_records", Integer, nullable=False),
    Column("max_changes", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | used
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    Column("approved_by", String(128)),
    Column("used_run", String(64)),  # the run the approval let through
    Index(None, "entity", "target", "status"),
)

# Orders (migration 0005): which target sale a won CRM deal became, and its status there.
order_links = Table(
    "order_links",
    metadata,
    Column("source", String(SYSTEM), primary_key=True),  # the CRM the deal is in
    Column("deal_id", String(SOURCE_ID), primary_key=True),
    Column("target", String(SYSTEM), primary_key=True),  # the ERP the order went to
    Column("order_id", String(SOURCE_ID), nullable=False),  # the ERP's id of the order
    Column("status", String(16), nullable=False),  # canonical OrderStatus, from the ERP
    Column("target_state", String(64)),  # the ERP's own state word (Tryton: draft...)
    Column("created_run", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status_run", String(64)),  # the run that last read the status back
    Column("status_at", DateTime(timezone=True)),
    Index(None, "target", "order_id"),
)

# Resumable pulls (migration 0006): one row per (system, entity) pull that is under way or
# was interrupted; the rows it landed so far are in staging under ``run_id``.
pull_checkpoints = Table(
    "pull_checkpoints",
    metadata,
    Column("system", String(SYSTEM), primary_key=True),
    Column("entity", String(ENTITY), primary_key=True),
    Column("run_id", String(64), nullable=False),  # the run whose staging holds the rows
    Column("window_fingerprint", String(HASH), nullable=False),  # window + mapping
    Column("token", Text, nullable=False),  # the connector's opaque resume token
    Column("records_landed", Integer, nullable=False),  # distinct keys staged so far
    Column("newest_value", String(255)),  # the cursor the landed rows reach
    Column("newest_key", String(SOURCE_ID)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
