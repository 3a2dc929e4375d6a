"""Resumable pulls: the checkpoint of each (system, entity) pull under way or interrupted.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "pull_checkpoints",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("window_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("records_landed", sa.Integer(), nullable=False),
        sa.Column("newest_value", sa.String(length=255), nullable=True),
        sa.Column("newest_key", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "entity", name=op.f("pk_pull_checkpoints")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("pull_checkpoints")
