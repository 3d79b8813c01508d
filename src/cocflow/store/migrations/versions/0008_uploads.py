"""Roster files between the import's steps, kept in the database (sealed with the data key) so
every server process reaches them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "roster_uploads",
        sa.Column("session_digest", sa.String(64), primary_key=True),
        sa.Column("org_id", sa.String(32), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_roster_uploads_created_at", "roster_uploads", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_roster_uploads_created_at", "roster_uploads")
    op.drop_table("roster_uploads")
