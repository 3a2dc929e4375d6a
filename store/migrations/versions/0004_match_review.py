"""Matching: the review queue of uncertain pairs and steward decisions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "match_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("left_key", sa.String(length=353), nullable=False),
        sa.Column("right_key", sa.String(length=353), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("left_golden_id", sa.String(length=40), nullable=True),
        sa.Column("right_golden_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("created_run", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_run", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_review")),
        sa.UniqueConstraint(
            "entity",
            "left_key",
            "right_key",
            name=op.f("uq_match_review_entity_left_key_right_key"),
        ),
    )
    with op.batch_alter_table("match_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_review_entity_status"), ["entity", "status"], unique=False
        )
    op.create_table(
        "golden_overrides",
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=128), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("set_by", sa.String(length=128), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("golden_id", "field", name=op.f("pk_golden_overrides")),
    )


def downgrade() -> None:
    """Revert this revision."""

    op.drop_table("golden_overrides")
    with op.batch_alter_table("match_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_review_entity_status"))

    op.drop_table("match_review")
