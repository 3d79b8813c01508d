"""Tables. JSON is stored as canonical text so hashes are the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "CaseRow", "DraftRow", "EventRow", "FileRow", "SecretRow", "TripRow"]


class Base(DeclarativeBase):
    pass


class CaseRow(Base):
    __tablename__ = "cases"

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
