"""Team mode: organisations, users and their roles, signed-in sessions, single-use tokens, the
append-only audit log, documents stored in the database, remembered roster mappings, and the
case's organisation, assignee, client reference and notes from the roster."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

APPEND_ONLY = "the audit log is append-only"
CASE_COLUMNS = (
    ("org_id", "VARCHAR(32)", "organisations"),
    ("assignee_id", "VARCHAR(32)", "users"),
    ("client_ref", "VARCHAR(100)", None),
    ("client_name", "VARCHAR(200)", None),
    ("client_notes", "TEXT", None),
)


def upgrade() -> None:
    stamp = sa.String(32)
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("totp_secret", sa.LargeBinary, nullable=True),
        sa.Column("totp_step", sa.BigInteger, nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", stamp, nullable=True),
        sa.Column("created_at", stamp, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for name, kind, parent in CASE_COLUMNS:
        reference = f" REFERENCES {parent}(id)" if parent else ""
        op.execute(f"ALTER TABLE cases ADD COLUMN {name} {kind}{reference}")
    op.create_index("ix_cases_org_id", "cases", ["org_id"])
    op.create_index("uq_cases_org_client_ref", "cases", ["org_id", "client_ref"], unique=True)
    op.create_table(
        "memberships",
        sa.Column("org_id", sa.String(32), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("all_cases", sa.Boolean, nullable=False),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("org_id", sa.String(32), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("second_factor", sa.Boolean, nullable=False),
        sa.Column("started_at", stamp, nullable=False),
        sa.Column("seen_at", stamp, nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("org_id", sa.String(32), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("expires_at", stamp, nullable=True),
        sa.Column("used_at", stamp, nullable=True),
        sa.Column("revoked_at", stamp, nullable=True),
    )
    op.create_index("ix_tokens_org_id", "tokens", ["org_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.String(32), nullable=True),
        sa.Column("at", stamp, nullable=False),
        sa.Column("actor", sa.String(32), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_org_id", "audit_log", ["org_id"])
    op.create_table(
        "vault_objects",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", stamp, nullable=False),
    )
    op.create_table(
        "roster_mappings",
        sa.Column("org_id", sa.String(32), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("mapping", sa.Text, nullable=False),
        sa.Column("date_order", sa.String(8), nullable=True),
        sa.Column("updated_at", stamp, nullable=False),
    )
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION cocflow_audit_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION cocflow_audit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS cocflow_audit_append_only()")
    for table in (
        "roster_mappings",
        "vault_objects",
        "audit_log",
        "tokens",
        "web_sessions",
        "memberships",
    ):
        op.drop_table(table)
    op.drop_index("uq_cases_org_client_ref", "cases")
    op.drop_index("ix_cases_org_id", "cases")
    with op.batch_alter_table("cases") as batch:
        for name, _, _ in reversed(CASE_COLUMNS):
            batch.drop_column(name)
    op.drop_table("users")
    op.drop_table("organisations")
