"""Orders: won CRM deals linked to the ERP orders made from them, with their ERP status.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "order_links",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("deal_id", sa.String(length=255), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("target_state", sa.String(length=64), nullable=True),
        sa.Column("created_run", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_run", sa.String(length=64), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", "deal_id", "target", name=op.f("pk_order_links")),
    )
    with op.batch_alter_table("order_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_links_target_order_id"), ["target", "order_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("order_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_links_target_order_id"))
    op.drop_table("order_links")
