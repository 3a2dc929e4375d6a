"""Publish safety: dead letters, approvals of mass changes, target conflict tracking.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Revert this revision."""
