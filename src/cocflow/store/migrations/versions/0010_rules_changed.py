"""A case whose answer the rules changed, with nothing recorded since: kept with its board
progress, so the team's board can mark and filter those cases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.add_column(
        "case_progress",
        sa.Column("rules_changed", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("case_progress", "rules_changed")
