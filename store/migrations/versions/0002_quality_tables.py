"""Quality tables: rule results per run and the pull log (truncation and staleness gates).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:24:05.750528
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "pull_log",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("pulled", sa.Integer(), nullable=False),
        sa.Column("source_total", sa.Integer(), nullable=True),
        sa.Column("newest_source_change", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "system", "entity", name=op.f("pk_pull_log")),
    )
    op.create_table(
        "rule_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("column", sa.String(length=128), nullable=True),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_results")),
    )
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_results_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_results_run_id"))

    op.drop_table("rule_results")
    op.drop_table("pull_log")
