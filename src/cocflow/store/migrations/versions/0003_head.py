"""The proof log's head (last entry number and hash) on each case, to detect truncation."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("head_seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("head_hash", sa.String(64), nullable=True))
    op.execute(
        "UPDATE cases SET head_seq = (SELECT MAX(seq) FROM events WHERE events.case_id = cases.id)"
    )
    op.execute(
        "UPDATE cases SET head_hash = (SELECT hash FROM events WHERE events.case_id = "
        "cases.id AND events.seq = cases.head_seq)"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("head_hash")
        batch.drop_column("head_seq")
