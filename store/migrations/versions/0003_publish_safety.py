"""Publish safety: dead letters, approvals of mass changes, target conflict tracking.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_hash", sa.String(length=64), nullable=True))

    op.create_table(
        "dead_letters",
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_run", sa.String(length=64), nullable=False),
        sa.Column("last_run", sa.String(length=64), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_run", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("target", "entity", "target_id", name=op.f("pk_dead_letters")),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dead_letters_last_run"), ["last_run"], unique=False)

    op.create_table(
        "publish_conflicts",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("expected_updated_at", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_run", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint(
            "run_id", "target", "entity", "target_id", name=op.f("pk_publish_conflicts")
        ),
    )
    with op.batch_alter_table("publish_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publish_conflicts_target_entity_target_id"),
            ["target", "entity", "target_id"],
            unique=False,
        )

    op.create_table(
        "publish_approvals",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("target_records", sa.Integer(), nullable=False),
        sa.Column("max_changes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("used_run", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "entity", "target", name=op.f("pk_publish_approvals")),
    )
    with op.batch_alter_table("publish_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publish_approvals_entity_target_status"),
            ["entity", "target", "status"],
            unique=False,
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("publish_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publish_approvals_entity_target_status"))
    op.drop_table("publish_approvals")
    with op.batch_alter_table("publish_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publish_conflicts_target_entity_target_id"))
    op.drop_table("publish_conflicts")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letters_last_run"))
    op.drop_table("dead_letters")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("payload_hash")
