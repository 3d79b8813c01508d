"""Tables. JSON is stored as canonical text so hashes are the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

__all__ = [
    "AuditRow",
    "Base",
    "CaseRow",
    "DraftRow",
    "EventRow",
    "FileRow",
    "MappingRow",
    "MemberRow",
    "ObjectRow",
    "OrgRow",
    "ProgressRow",
    "RescreenRangeRow",
    "RescreenResultRow",
    "RescreenRunRow",
    "SecretRow",
    "SessionRow",
    "TokenRow",
    "TripRow",
    "UploadRow",
    "UserRow",
]


class Base(DeclarativeBase):
    pass


class CaseRow(Base):
    __tablename__ = "cases"
    # Re-importing a roster finds the same case by the client's reference in its organisation.
    __table_args__ = (Index("uq_cases_org_client_ref", "org_id", "client_ref", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text)  # the case file, SSN and dates of birth removed
    outcome: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(Text)
    rules_version: Mapped[str] = mapped_column(String(64))
    head_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    head_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # HMAC of the head with the key kept outside the database: rewriting the chain needs it.
    head_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Team mode: the organisation that holds the case (None on a single person's install),
    # the member it is assigned to, and the client's own reference and name from the roster.
    org_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id"), index=True, nullable=True
    )
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    client_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    client_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_notes: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: heading -> value


class SecretRow(Base):
    """Encrypted personal data of a case (AES-256-GCM bound to table, column and case id)."""

    __tablename__ = "case_secrets"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    ssn: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    date_of_birth: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    records: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    ssn_index: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)


class DraftRow(Base):
    """A case's answers not confirmed yet (the whole case data, encrypted, bound to the case)."""

    __tablename__ = "case_drafts"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[str] = mapped_column(String(32))


class ProgressRow(Base):
    """Where a case stands on the team's board, worked out from its proof log when the log, the
    case or the rules change (``head_hash``, ``updated_at`` and ``rules_version`` say from what);
    ``valid_from`` to ``recheck_on``: the days it holds for (a certificate on file counts
    only until its last day). Derived data: a row deleted is only worked out again."""

    __tablename__ = "case_progress"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    head_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[str] = mapped_column(String(32))
    rules_version: Mapped[str] = mapped_column(String(64))
    file_by: Mapped[str | None] = mapped_column(String(10), nullable=True)
    next_step: Mapped[str] = mapped_column(String(200))
    sent: Mapped[bool] = mapped_column(Boolean)
    sign_off: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[str | None] = mapped_column(String(10), nullable=True)
    recheck_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # The rules changed the case's answer, and nothing was recorded on it since.
    rules_changed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class EventRow(Base):
    """One entry of a case's append-only, hash-chained proof log."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class FileRow(Base):
    """A stored file, by content: the bytes live in the vault under their SHA-256."""

    __tablename__ = "files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))


class TripRow(Base):
    """One stay of the travel and work log."""

    __tablename__ = "trips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    start: Mapped[str] = mapped_column(String(10))
    end: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[str] = mapped_column(String(32))


# --- team mode ---------------------------------------------------------------------------


class OrgRow(Base):
    """An organisation: a firm or a payroll team; nobody outside it sees its cases."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(32))


class UserRow(Base):
    """A person who signs in. ``password_hash`` is argon2id (None until an invitation is
    accepted); the TOTP secret is encrypted like an SSN."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))


class MemberRow(Base):
    """A user's place in an organisation: the role, whether a preparer sees every case (not
    only those assigned), and for a client the one case that is theirs."""

    __tablename__ = "memberships"

    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    all_cases: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))


class SessionRow(Base):
    """A signed-in browser. Only a keyed digest of the cookie's value is stored."""

    __tablename__ = "web_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[str] = mapped_column(String(32))


class TokenRow(Base):
    """A single-use or revocable secret: an invitation, a password reset, a client's
    questionnaire link, a personal access token or a calendar feed. Only a keyed digest of
    the secret is stored; the link or token itself is shown once."""

    __tablename__ = "tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    used_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    revoked_at: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AuditRow(Base):
    """One entry of the append-only, hash-chained audit log: who did what, to which case,
    when (UTC), and whether it was allowed."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(32), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ObjectRow(Base):
    """A stored document's encrypted bytes, where every member of a team reaches them."""

    __tablename__ = "vault_objects"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(32))


class MappingRow(Base):
    """A roster layout's remembered column mapping and date order, per organisation."""

    __tablename__ = "roster_mappings"

    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    mapping: Mapped[str] = mapped_column(Text)
    date_order: Mapped[str | None] = mapped_column(String(8), nullable=True)
    updated_at: Mapped[str] = mapped_column(String(32))


class UploadRow(Base):
    """A roster file between the import's steps, for the signed-in session that sent it
    (its keyed digest): sealed with the data key, removed once imported, when another file
    replaces it, or a day later."""

    __tablename__ = "roster_uploads"

    session_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(32), index=True)


class RescreenRunRow(Base):
    """One screening again of the stored cases under one rules version (of one organisation, or
    of every case when ``org_id`` is None), split into ranges of case ids."""

    __tablename__ = "rescreen_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rules_version: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    started_at: Mapped[str] = mapped_column(String(32))
    cases: Mapped[int] = mapped_column(Integer)


class RescreenRangeRow(Base):
    """A range of case ids of a run (``first_id`` to ``last_id``, both included): done once its
    results are written, in the same transaction."""

    __tablename__ = "rescreen_ranges"

    run_id: Mapped[str] = mapped_column(ForeignKey("rescreen_runs.id"), primary_key=True)
    first_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[str] = mapped_column(String(32))
    cases: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    screened: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class RescreenResultRow(Base):
    """A case screened again under a rules version: one row per (case, rules version), however
    many times a range is retried. ``changes``: what changed (JSON), ``failed``: why it could not
    be screened."""

    __tablename__ = "rescreen_results"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    rules_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("rescreen_runs.id"), index=True)
    outcome_before: Mapped[str] = mapped_column(String(16))
    outcome_after: Mapped[str | None] = mapped_column(String(16), nullable=True)
    changes: Mapped[str] = mapped_column(Text)
    failed: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[str] = mapped_column(String(32))
