"""Screening the stored cases again under new rules: runs, their ranges of case ids, and one
result per case and rules version."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "rescreen_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("org_id", sa.String(32), sa.ForeignKey("organisations.id"), nullable=True),
        sa.Column("requested_by", sa.String(32), nullable=True),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
    )
    op.create_table(
        "rescreen_ranges",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("rescreen_runs.id"), primary_key=True),
        sa.Column("first_id", sa.String(32), primary_key=True),
        sa.Column("last_id", sa.String(32), nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("done_at", sa.String(32), nullable=True),
        sa.Column("screened", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
    )
    op.create_table(
        "rescreen_results",
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("rules_version", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("rescreen_runs.id"), nullable=False),
        sa.Column("outcome_before", sa.String(16), nullable=False),
        sa.Column("outcome_after", sa.String(16), nullable=True),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("failed", sa.Text, nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_index("ix_rescreen_results_run_id", "rescreen_results", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_rescreen_results_run_id", "rescreen_results")
    op.drop_table("rescreen_results")
    op.drop_table("rescreen_ranges")
    op.drop_table("rescreen_runs")
