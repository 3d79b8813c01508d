"""Where each case stands on the team's board (its file-by date, next step, whether the request
went out, its sign-off), kept with the proof log's head it was worked out from, so the board is
one query however many clients a team has."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "case_progress",
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("head_hash", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("file_by", sa.String(10), nullable=True),
        sa.Column("next_step", sa.String(200), nullable=False),
        sa.Column("sent", sa.Boolean, nullable=False),
        sa.Column("sign_off", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.String(10), nullable=True),
        sa.Column("recheck_on", sa.String(10), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("case_progress")
