"""The team's tables: organisations, users, memberships, sessions, tokens, the audit log, the
cases' organisation and assignee, and remembered roster mappings. Each public method is one
transaction. Secrets are never stored as given: passwords as argon2id hashes (made by the
caller), cookie values and links as keyed digests, TOTP secrets encrypted."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from cocflow.proof.chain import GENESIS, canonical
from cocflow.store.crypto import Keys, decrypt, encrypt
from cocflow.store.models import (
    AuditRow,
    CaseRow,
    MappingRow,
    MemberRow,
    OrgRow,
    SessionRow,
    TokenRow,
    UploadRow,
    UserRow,
)
from cocflow.store.repo import now
from cocflow.store.sealed import open_ring, seal

__all__ = ["AuditEntry", "Member", "TeamCase", "TeamStore", "Token", "User", "holds_orgs"]

# Every process that appends to the audit log takes this lock (PostgreSQL), so the chain has
# one order; SQLite's BEGIN IMMEDIATE serialises writers already.
_AUDIT_LOCK = 0x636F63617564  # "cocaud"
UPLOAD_LIFE = timedelta(days=1)  # a roster file between the import's steps


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    name: str
    password_hash: str | None
    has_totp: bool
    totp_step: int | None
    failures: int
    locked_until: str | None


@dataclass(frozen=True, slots=True)
class Member:
    org_id: str
    user: User
    role: str
    all_cases: bool
    case_id: str | None


@dataclass(frozen=True, slots=True)
class Token:
    digest: str
    kind: str
    org_id: str
    user_id: str | None
    case_id: str | None
    role: str | None
    label: str
    created_by: str | None
    created_at: str
    expires_at: str | None
    used_at: str | None
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class TeamCase:
    """A case as the board lists it (no personal data but the client's name)."""

    id: str
    org_id: str | None
    assignee_id: str | None
    client_ref: str | None
    client_name: str | None
    title: str
    outcome: str
    updated_at: str
    decision: dict[str, Any]
    head_hash: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    org_id: str | None
    at: str
    actor: str | None
    action: str
    target: str | None
    outcome: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def audit_hash(prev: str, entry: Sequence[Any]) -> str:
    """The chain's link: SHA-256 of the previous hash and the entry's fields, canonically."""
    return hashlib.sha256(canonical([prev, *entry]).encode()).hexdigest()


def _user(row: UserRow) -> User:
    return User(
        row.id,
        row.email,
        row.name,
        row.password_hash,
        row.totp_secret is not None,
        row.totp_step,
        row.failures,
        row.locked_until,
    )


def _token(row: TokenRow) -> Token:
    return Token(
        row.digest,
        row.kind,
        row.org_id,
        row.user_id,
        row.case_id,
        row.role,
        row.label,
        row.created_by,
        row.created_at,
        row.expires_at,
        row.used_at,
        row.revoked_at,
    )


def _team_case(row: CaseRow) -> TeamCase:
    return TeamCase(
        row.id,
        row.org_id,
        row.assignee_id,
        row.client_ref,
        row.client_name,
        row.title,
        row.outcome,
        row.updated_at,
        json.loads(row.decision),
        row.head_hash,
    )


class TeamStore:
    """The team's tables in the case store's database."""

    def __init__(self, engine: Engine, keys: Keys) -> None:
        self.engine = engine
        self.reader = engine.execution_options(cocflow_read=True)
        self.keys = keys

    # --- organisations and users ---------------------------------------------------------

    def create_org(self, name: str) -> str:
        org_id = secrets.token_hex(8)
        with Session(self.engine) as session, session.begin():
            session.add(OrgRow(id=org_id, name=name[:200], created_at=now()))
        return org_id

    def org_name(self, org_id: str) -> str | None:
        with Session(self.reader) as session:
            row = session.get(OrgRow, org_id)
            return row.name if row else None

    def orgs(self) -> list[tuple[str, str]]:
        with Session(self.reader) as session:
            return [(r.id, r.name) for r in session.scalars(select(OrgRow).order_by(OrgRow.name))]

    def has_orgs(self) -> bool:
        """Whether the store is a team's (it holds an organisation): one row read at most."""
        return holds_orgs(self.reader)

    def create_user(self, email: str, name: str, password_hash: str | None) -> str:
        user_id = secrets.token_hex(8)
        with Session(self.engine) as session, session.begin():
            session.add(
                UserRow(
                    id=user_id,
                    email=email,
                    name=name[:200],
                    password_hash=password_hash,
                    failures=0,
                    created_at=now(),
                )
            )
        return user_id

    def user(self, user_id: str) -> User | None:
        with Session(self.reader) as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row else None

    def user_by_email(self, email: str) -> User | None:
        with Session(self.reader) as session:
            row = session.scalars(select(UserRow).where(UserRow.email == email)).first()
            return _user(row) if row else None

    def set_password(self, user_id: str, password_hash: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(password_hash=password_hash, failures=0, locked_until=None)
            )

    def set_name(self, user_id: str, name: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(update(UserRow).where(UserRow.id == user_id).values(name=name[:200]))

    def sign_in_result(self, user_id: str, *, failures: int, locked_until: str | None) -> None:
        """Record a sign-in attempt's effect on the account's failure count and lock."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(failures=failures, locked_until=locked_until)
            )

    def set_totp(self, user_id: str, secret: str | None) -> None:
        blob = (
            encrypt(self.keys, secret, table="users", column="totp_secret", row_id=user_id)
            if secret
            else None
        )
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(totp_secret=blob, totp_step=None)
            )

    def rewrap(self) -> tuple[int, int]:
        """Encrypt every sign-in code secret again with the current key and end every
        session (after a key rotation), in one transaction: (secrets, sessions ended)."""
        with Session(self.engine) as session, session.begin():
            users = list(session.scalars(select(UserRow).where(UserRow.totp_secret.is_not(None))))
            for user in users:
                assert user.totp_secret is not None
                text = decrypt(
                    self.keys, user.totp_secret, table="users", column="totp_secret", row_id=user.id
                )
                user.totp_secret = encrypt(
                    self.keys, text, table="users", column="totp_secret", row_id=user.id
                )
            ended = session.query(SessionRow).delete()
            session.execute(delete(UploadRow))  # each belonged to a session just ended
        return len(users), int(ended)

    def totp_secret(self, user_id: str) -> str | None:
        with Session(self.reader) as session:
            row = session.get(UserRow, user_id)
            if row is None or row.totp_secret is None:
                return None
            return decrypt(
                self.keys, row.totp_secret, table="users", column="totp_secret", row_id=user_id
            )

    def use_totp_step(self, user_id: str, step: int) -> bool:
        """Record the code's time step as used; False when it (or a later one) was already
        used, so a code cannot be replayed, even by two requests at once."""
        with Session(self.engine) as session, session.begin():
            done = session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .where((UserRow.totp_step.is_(None)) | (UserRow.totp_step < step))
                .values(totp_step=step)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    # --- memberships ---------------------------------------------------------------------

    def add_member(
        self,
        org_id: str,
        user_id: str,
        role: str,
        *,
        all_cases: bool = False,
        case_id: str | None = None,
    ) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(MemberRow, (org_id, user_id)) or MemberRow(
                org_id=org_id, user_id=user_id, created_at=now()
            )
            row.role, row.all_cases, row.case_id = role, all_cases, case_id
            session.add(row)

    def remove_member(self, org_id: str, user_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(MemberRow, (org_id, user_id))
            if row is not None:
                session.delete(row)
            session.query(SessionRow).filter(
                SessionRow.user_id == user_id, SessionRow.org_id == org_id
            ).delete()

    def member(self, org_id: str, user_id: str) -> Member | None:
        with Session(self.reader) as session:
            row = session.get(MemberRow, (org_id, user_id))
            user = session.get(UserRow, user_id)
            if row is None or user is None:
                return None
            return Member(org_id, _user(user), row.role, row.all_cases, row.case_id)

    def members(self, org_id: str) -> list[Member]:
        with Session(self.reader) as session:
            rows = session.execute(
                select(MemberRow, UserRow)
                .join(UserRow, UserRow.id == MemberRow.user_id)
                .where(MemberRow.org_id == org_id)
                .order_by(UserRow.name, UserRow.email)
            ).all()
            return [Member(org_id, _user(u), m.role, m.all_cases, m.case_id) for m, u in rows]

    def orgs_of(self, user_id: str) -> list[str]:
        with Session(self.reader) as session:
            return list(
                session.scalars(select(MemberRow.org_id).where(MemberRow.user_id == user_id))
            )

    # --- sessions ------------------------------------------------------------------------

    def open_session(
        self,
        digest: str,
        user_id: str,
        org_id: str,
        csrf: str,
        *,
        second_factor: bool,
        at: str | None = None,
    ) -> None:
        stamp = at or now()
        with Session(self.engine) as session, session.begin():
            session.add(
                SessionRow(
                    digest=digest,
                    user_id=user_id,
                    org_id=org_id,
                    csrf=csrf,
                    second_factor=second_factor,
                    started_at=stamp,
                    seen_at=stamp,
                )
            )

    def session(self, digest: str) -> SessionRow | None:
        with Session(self.reader) as session:
            row = session.get(SessionRow, digest)
            if row is not None:
                session.expunge(row)
            return row

    def touch_session(
        self, digest: str, *, second_factor: bool | None = None, at: str | None = None
    ) -> None:
        values: dict[str, Any] = {"seen_at": at or now()}
        if second_factor is not None:
            values["second_factor"] = second_factor
        with Session(self.engine) as session, session.begin():
            session.execute(update(SessionRow).where(SessionRow.digest == digest).values(values))

    def close_session(self, digest: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.query(SessionRow).filter(SessionRow.digest == digest).delete()

    def close_sessions_of(self, user_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.query(SessionRow).filter(SessionRow.user_id == user_id).delete()

    # --- tokens --------------------------------------------------------------------------

    def add_token(
        self,
        digest: str,
        kind: str,
        org_id: str,
        *,
        user_id: str | None = None,
        case_id: str | None = None,
        role: str | None = None,
        label: str = "",
        created_by: str | None = None,
        expires_at: str | None = None,
    ) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(
                TokenRow(
                    digest=digest,
                    kind=kind,
                    org_id=org_id,
                    user_id=user_id,
                    case_id=case_id,
                    role=role,
                    label=label[:200],
                    created_by=created_by,
                    created_at=now(),
                    expires_at=expires_at,
                )
            )

    def token(self, digest: str) -> Token | None:
        with Session(self.reader) as session:
            row = session.get(TokenRow, digest)
            return _token(row) if row else None

    def use_token(self, digest: str) -> bool:
        """Mark a single-use token used; False when it was used (or withdrawn) already, so
        two requests at once cannot both use it."""
        with Session(self.engine) as session, session.begin():
            done = session.execute(
                update(TokenRow)
                .where(TokenRow.digest == digest)
                .where(TokenRow.used_at.is_(None), TokenRow.revoked_at.is_(None))
                .values(used_at=now())
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def revoke_token(self, digest: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(TokenRow)
                .where(TokenRow.digest == digest, TokenRow.revoked_at.is_(None))
                .values(revoked_at=now())
            )

    def tokens(
        self, org_id: str, *, kind: str | None = None, user_id: str | None = None
    ) -> list[Token]:
        query = select(TokenRow).where(TokenRow.org_id == org_id)
        if kind is not None:
            query = query.where(TokenRow.kind == kind)
        if user_id is not None:
            query = query.where(TokenRow.user_id == user_id)
        with Session(self.reader) as session:
            return [_token(r) for r in session.scalars(query.order_by(TokenRow.created_at))]

    # --- cases of an organisation --------------------------------------------------------

    def case_place(self, case_id: str) -> tuple[str | None, str | None] | None:
        """The case's organisation and assignee; None when there is no such case."""
        with Session(self.reader) as session:
            row = session.execute(
                select(CaseRow.org_id, CaseRow.assignee_id).where(CaseRow.id == case_id)
            ).first()
            return (row[0], row[1]) if row else None

    def assign(self, case_id: str, assignee_id: str | None) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(CaseRow).where(CaseRow.id == case_id).values(assignee_id=assignee_id)
            )

    def set_client(
        self, case_id: str, client_name: str | None, notes: dict[str, str] | None = None
    ) -> None:
        """The client's name and the roster's other columns, kept as notes on the case."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(CaseRow)
                .where(CaseRow.id == case_id)
                .values(
                    client_name=client_name and client_name[:200],
                    client_notes=canonical(notes) if notes else None,
                )
            )

    def client_notes(self, case_id: str) -> dict[str, str]:
        with Session(self.reader) as session:
            text = session.scalar(select(CaseRow.client_notes).where(CaseRow.id == case_id))
            return dict(json.loads(text)) if text else {}

    def team_case(self, case_id: str) -> TeamCase | None:
        with Session(self.reader) as session:
            row = session.get(CaseRow, case_id)
            return _team_case(row) if row else None

    def case_by_ref(self, org_id: str, client_ref: str) -> str | None:
        with Session(self.reader) as session:
            return session.scalar(
                select(CaseRow.id).where(CaseRow.org_id == org_id, CaseRow.client_ref == client_ref)
            )

    def cases_by_ref(self, org_id: str) -> dict[str, str]:
        """Every case of the organisation that has a client reference, by that reference."""
        with Session(self.reader) as session:
            rows = session.execute(
                select(CaseRow.client_ref, CaseRow.id).where(
                    CaseRow.org_id == org_id, CaseRow.client_ref.is_not(None)
                )
            ).all()
            return {str(ref): str(case_id) for ref, case_id in rows}

    def org_cases(self, org_id: str, *, assignee_id: str | None = None) -> list[TeamCase]:
        query = select(CaseRow).where(CaseRow.org_id == org_id)
        if assignee_id is not None:
            query = query.where(CaseRow.assignee_id == assignee_id)
        with Session(self.reader) as session:
            return [_team_case(r) for r in session.scalars(query.order_by(CaseRow.created_at))]

    # --- remembered roster mappings ------------------------------------------------------

    def save_mapping(
        self, org_id: str, key: str, mapping: dict[str, str | None], date_order: str | None
    ) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(MappingRow, (org_id, key)) or MappingRow(org_id=org_id, key=key)
            row.mapping, row.date_order, row.updated_at = canonical(mapping), date_order, now()
            session.add(row)

    def mapping(self, org_id: str, key: str) -> tuple[dict[str, str | None], str | None] | None:
        with Session(self.reader) as session:
            row = session.get(MappingRow, (org_id, key))
            return (json.loads(row.mapping), row.date_order) if row else None

    # --- roster files between the import's steps ----------------------------------------

    def keep_upload(self, session_digest: str, org_id: str, filename: str, data: bytes) -> None:
        """Keep a session's roster file (replacing the one it sent before); files a day old
        are removed meanwhile."""
        sealed = seal(self.keys.data_key, data)
        day_ago = (datetime.now(UTC) - UPLOAD_LIFE).isoformat()
        with Session(self.engine) as session, session.begin():
            session.execute(delete(UploadRow).where(UploadRow.created_at < day_ago))
            session.execute(delete(UploadRow).where(UploadRow.session_digest == session_digest))
            session.add(
                UploadRow(
                    session_digest=session_digest,
                    org_id=org_id,
                    filename=filename[:200],
                    data=sealed,
                    created_at=now(),
                )
            )

    def upload(self, session_digest: str) -> tuple[str, bytes] | None:
        """The session's roster file (its name and bytes), if it sent one in the last day."""
        day_ago = (datetime.now(UTC) - UPLOAD_LIFE).isoformat()
        with Session(self.reader) as session:
            row = session.get(UploadRow, session_digest)
            if row is None or row.created_at < day_ago:
                return None
            keys = [k.data_key for k in self.keys.ring]
            return row.filename, b"".join(open_ring(keys, io.BytesIO(row.data)))

    def drop_upload(self, session_digest: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(UploadRow).where(UploadRow.session_digest == session_digest))

    # --- the audit log -------------------------------------------------------------------

    def audit(
        self,
        *,
        org_id: str | None,
        actor: str | None,
        action: str,
        target: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry to the audit log (never the data itself: ids and field names)."""
        self.audit_many([(org_id, actor, action, target, outcome, detail)])

    def audit_many(
        self,
        entries: Sequence[
            tuple[str | None, str | None, str, str | None, str, dict[str, Any] | None]
        ],
    ) -> None:
        """Append entries (organisation, actor, action, target, outcome, detail), in order,
        in one transaction."""
        with Session(self.engine) as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(select(_advisory_lock()))
            last = session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
            prev = last or GENESIS
            stamp = now()
            for org_id, actor, action, target, outcome, detail in entries:
                text = canonical(detail or {})
                fields = [org_id, stamp, actor, action, target, outcome, text]
                digest = audit_hash(prev, fields)
                session.add(
                    AuditRow(
                        org_id=org_id,
                        at=stamp,
                        actor=actor,
                        action=action,
                        target=target,
                        outcome=outcome,
                        detail=text,
                        prev_hash=prev,
                        hash=digest,
                    )
                )
                prev = digest  # rows of one table are inserted in the order they were added

    def audit_entries(
        self, org_id: str | None = None, *, limit: int | None = None
    ) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.id.desc())
        if org_id is not None:
            query = query.where(AuditRow.org_id == org_id)
        if limit is not None:
            query = query.limit(limit)
        with Session(self.reader) as session:
            return [
                AuditEntry(
                    r.id,
                    r.org_id,
                    r.at,
                    r.actor,
                    r.action,
                    r.target,
                    r.outcome,
                    json.loads(r.detail),
                    r.prev_hash,
                    r.hash,
                )
                for r in session.scalars(query)
            ]

    def audit_break(self) -> int | None:
        """The id of the first audit entry whose link does not hold (edited, deleted, or
        reordered), else None."""
        prev = GENESIS
        with Session(self.reader) as session:
            for row in session.scalars(select(AuditRow).order_by(AuditRow.id)):
                fields = [
                    row.org_id,
                    row.at,
                    row.actor,
                    row.action,
                    row.target,
                    row.outcome,
                    row.detail,
                ]
                if row.prev_hash != prev or row.hash != audit_hash(prev, fields):
                    return row.id
                prev = row.hash
        return None


def holds_orgs(engine: Engine) -> bool:
    """Whether the database behind ``engine`` holds an organisation (no key needed)."""
    with Session(engine) as session:
        return session.scalar(select(OrgRow.id).limit(1)) is not None


def _advisory_lock() -> Any:
    from sqlalchemy import func

    return func.pg_advisory_xact_lock(_AUDIT_LOCK)
