"""Initial crmsync store schema: runs, cursors, staging, records, quarantine, golden, outbox.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 12:15:27.559389
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "cursors",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("cursor_value", sa.String(length=255), nullable=True),
        sa.Column("cursor_key", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("system", "entity", name=op.f("pk_cursors")),
    )
    op.create_table(
        "golden_records",
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_run", sa.String(length=64), nullable=False),
        sa.Column("updated_run", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("golden_id", name=op.f("pk_golden_records")),
    )
    with op.batch_alter_table("golden_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_golden_records_entity_status"), ["entity", "status"], unique=False
        )

    op.create_table(
        "match_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("other_golden_ids", sa.JSON(), nullable=True),
        sa.Column("members", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_events")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=True),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_target_entity_status"),
            ["target", "entity", "status"],
            unique=False,
        )

    op.create_table(
        "publish_log",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "target", name=op.f("pk_publish_log")),
    )
    op.create_table(
        "published",
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("target", "entity", "target_id", name=op.f("pk_published")),
    )
    with op.batch_alter_table("published", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_published_golden_id"), ["golden_id"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("column", sa.String(length=128), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_run", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quarantine_system_entity_source_id"),
            ["system", "entity", "source_id"],
            unique=False,
        )

    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    op.create_table(
        "source_records",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("canonical", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("needs_match", sa.Boolean(), nullable=False),
        sa.Column("ignored_fields", sa.JSON(), nullable=True),
        sa.Column("source_updated_at", sa.String(length=64), nullable=True),
        sa.Column("first_seen_run", sa.String(length=64), nullable=False),
        sa.Column("last_changed_run", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "entity", "source_id", name=op.f("pk_source_records")),
    )
    op.create_table(
        "staging",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("source_updated_at", sa.String(length=64), nullable=True),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staging")),
        sa.UniqueConstraint(
            "run_id",
            "system",
            "entity",
            "source_id",
            name=op.f("uq_staging_run_id_system_entity_source_id"),
        ),
    )
    with op.batch_alter_table("staging", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staging_system_entity_run_id"),
            ["system", "entity", "run_id"],
            unique=False,
        )

    op.create_table(
        "xrefs",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("match_score", sa.String(length=16), nullable=True),
        sa.Column("match_reason", sa.Text(), nullable=True),
        sa.Column("linked_run", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("system", "entity", "source_id", name=op.f("pk_xrefs")),
    )
    with op.batch_alter_table("xrefs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xrefs_golden_id"), ["golden_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("xrefs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xrefs_golden_id"))

    op.drop_table("xrefs")
    with op.batch_alter_table("staging", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staging_system_entity_run_id"))

    op.drop_table("staging")
    op.drop_table("source_records")
    op.drop_table("runs")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_system_entity_source_id"))
        batch_op.drop_index(batch_op.f("ix_quarantine_run_id"))

    op.drop_table("quarantine")
    with op.batch_alter_table("published", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_golden_id"))

    op.drop_table("published")
    op.drop_table("publish_log")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_target_entity_status"))

    op.drop_table("outbox")
    op.drop_table("match_events")
    with op.batch_alter_table("golden_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_golden_records_entity_status"))

    op.drop_table("golden_records")
    op.drop_table("cursors")
