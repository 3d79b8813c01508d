"""The case store's operations. Each public method is one transaction."""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocflow.errors import InputError, Problem
from cocflow.filing.ssn import normalize
from cocflow.proof.chain import GENESIS, ChainEntry, canonical, entry_hash
from cocflow.store.crypto import (
    DecryptError,
    KeyProblem,
    Keys,
    blind_index,
    decrypt,
    digest_matches,
    encrypt,
    keyed_digest,
)
from cocflow.store.models import CaseRow, DraftRow, EventRow, FileRow, SecretRow, TripRow

__all__ = [
    "CaseSummary",
    "Created",
    "NewCase",
    "Store",
    "TripRecord",
    "acting",
    "now",
    "summary_of",
]

# Who is acting (team mode): every proof entry written meanwhile records it as "by".
_ACTING: ContextVar[dict[str, str] | None] = ContextVar("cocflow_acting", default=None)


@contextmanager
def acting(by: dict[str, str] | None) -> Iterator[None]:
    """Record ``by`` (a member's id and name) in every proof entry written inside."""
    token = _ACTING.set(by)
    try:
        yield
    finally:
        _ACTING.reset(token)


@dataclass(frozen=True, slots=True)
class TripRecord:
    id: int
    country: str
    start: str
    end: str
    purpose: str
    note: str | None
    origin: str


# Built once: the stamp is read on every view of a case.
_STAMP = (
    select(CaseRow.updated_at, CaseRow.head_seq, CaseRow.head_hash, DraftRow.updated_at)
    .outerjoin(DraftRow, DraftRow.case_id == CaseRow.id)
    .where(CaseRow.id == bindparam("case_id"))
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case to store (:meth:`Store.create_cases`)."""

    kind: str
    title: str
    facts: dict[str, Any]
    secret: dict[str, Any]
    decision: dict[str, Any]
    outcome: str
    rules_version: str
    event_payload: dict[str, Any] | None  # its screening: the first proof entry
    place: dict[str, str | None] | None = None  # a team's columns
    draft: dict[str, Any] | None = None  # the working copy of a case still being answered


@dataclass(frozen=True, slots=True)
class Created:
    case_id: str
    at: str  # its created_at and updated_at
    entry: ChainEntry | None  # its first proof entry


@dataclass(frozen=True, slots=True)
class CaseSummary:
    id: str
    created_at: str
    updated_at: str
    kind: str
    title: str
    outcome: str
    facts: dict[str, Any]
    decision: dict[str, Any]
    rules_version: str


def summary_of(row: CaseRow) -> CaseSummary:
    """A case row as its summary."""
    return _summary(row)


def _summary(row: CaseRow) -> CaseSummary:
    return CaseSummary(
        row.id,
        row.created_at,
        row.updated_at,
        row.kind,
        row.title,
        row.outcome,
        json.loads(row.facts),
        json.loads(row.decision),
        row.rules_version,
    )


def lookup_form(ssn: str) -> str:
    """The form an SSN is indexed under: 123-45-6789 whatever the spacing typed."""
    digits = re.sub(r"\D", "", ssn)
    return normalize(ssn) if len(digits) == 9 else ssn.strip()


def unknown_case(case_id: str) -> InputError:
    return InputError(
        [
            Problem(
                "CASE_ID",
                "UNKNOWN_CASE",
                f"there is no case '{case_id}'.",
                "run 'cocflow case list' to see the case ids.",
            )
        ]
    )


class Store:
    """Cases, their encrypted personal data and their proof logs."""

    def __init__(self, engine: Engine, keys: Keys) -> None:
        self.engine = engine
        # Reads take no write lock (SQLite: a plain BEGIN), so a read-only store still opens.
        self.reader = engine.execution_options(cocflow_read=True)
        self.keys = keys
        self._watch: Any = None  # SQLite: a connection kept to ask whether anything changed
        self._watch_lock = threading.Lock()

    def close(self) -> None:
        """Release the database connections (the one kept for data_version too)."""
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        self.engine.dispose()

    def data_version(self) -> int | None:
        """A number that changes whenever anyone (this process or another) commits a change
        to the database; ``None`` where the database cannot tell (PostgreSQL). Costs no query
        of the tables: SQLite's ``PRAGMA data_version`` on a connection kept for it."""
        if self.engine.dialect.name != "sqlite":
            return None
        with self._watch_lock:
            if self._watch is None:
                self._watch = self.engine.raw_connection()
            value = self._watch.cursor().execute("PRAGMA data_version").fetchone()[0]
        return int(value)

    # --- cases -------------------------------------------------------------------------

    def _seal(
        self, session: Session, case_id: str, secret: dict[str, Any], *, new: bool = False
    ) -> None:
        """Encrypt the case's personal data into its row (``new``: a case being created)."""
        row = (None if new else session.get(SecretRow, case_id)) or SecretRow(case_id=case_id)

        def seal(column: str, value: str | None) -> bytes | None:
            if value is None:
                return None
            return encrypt(self.keys, value, table="case_secrets", column=column, row_id=case_id)

        row.ssn = seal("ssn", secret.get("ssn"))
        row.date_of_birth = seal("date_of_birth", secret.get("date_of_birth"))
        records = secret.get("records") or {}
        row.records = seal("records", canonical(records)) if records else None
        ssn = secret.get("ssn")
        row.ssn_index = blind_index(self.keys, lookup_form(ssn)) if ssn else None
        session.add(row)

    def secrets(self, case_id: str) -> dict[str, Any]:
        """The decrypted personal data of a case (for documents, never for display)."""
        with Session(self.reader) as session:
            row = session.get(SecretRow, case_id)
            return self._opened(row) if row is not None else {}

    def opened(self, row: SecretRow) -> dict[str, Any]:
        """A row of personal data, decrypted."""
        return self._opened(row)

    def _opened(self, row: SecretRow) -> dict[str, Any]:
        def open_(column: str, blob: bytes | None) -> str | None:
            if blob is None:
                return None
            return decrypt(self.keys, blob, table="case_secrets", column=column, row_id=row.case_id)

        records = open_("records", row.records)
        return {
            "ssn": open_("ssn", row.ssn),
            "date_of_birth": open_("date_of_birth", row.date_of_birth),
            "records": json.loads(records) if records else {},
        }

    def rewrap(self) -> tuple[int, int]:
        """Encrypt every personal value and working copy again with the current key (after a
        rotation; each is opened with whichever key of the ring sealed it), in one
        transaction: (cases, working copies)."""
        with Session(self.engine) as session, session.begin():
            rows = list(session.scalars(select(SecretRow)))
            for row in rows:
                self._seal(session, row.case_id, self._opened(row))
            drafts = list(session.scalars(select(DraftRow)))
            for draft in drafts:
                text = decrypt(
                    self.keys, draft.data, table="case_drafts", column="data", row_id=draft.case_id
                )
                draft.data = encrypt(
                    self.keys, text, table="case_drafts", column="data", row_id=draft.case_id
                )
        return len(rows), len(drafts)

    def sign_head(self, case_id: str) -> bool:
        """Sign the case's proof log head with the current key (after a rotation, once the log
        verified); False when the case has no log yet."""
        with Session(self.engine) as session, session.begin():
            row = session.get(CaseRow, case_id, with_for_update=True)
            if row is None or row.head_seq is None or row.head_hash is None:
                return False
            row.head_mac = self.head_mac(case_id, row.head_seq, row.head_hash)
            return True

    def stored_many(
        self, case_ids: Sequence[str]
    ) -> dict[str, tuple[str, dict[str, Any], dict[str, Any], bool]]:
        """Of each case: its outcome, facts, decrypted personal data and whether it has a
        working copy, read in one query per 500 cases."""
        found = {}
        with Session(self.reader) as session:
            for start in range(0, len(case_ids), 500):
                chunk = list(case_ids[start : start + 500])
                rows = session.execute(
                    select(CaseRow.id, CaseRow.outcome, CaseRow.facts, DraftRow.case_id, SecretRow)
                    .outerjoin(DraftRow, DraftRow.case_id == CaseRow.id)
                    .outerjoin(SecretRow, SecretRow.case_id == CaseRow.id)
                    .where(CaseRow.id.in_(chunk))
                )
                for case_id, outcome, facts, draft, secret in rows:
                    found[case_id] = (
                        outcome,
                        json.loads(facts),
                        self._opened(secret) if secret is not None else {},
                        draft is not None,
                    )
        return found

    def check_key(self) -> None:
        """Refuse a key that cannot read the data already stored (before anything is written)."""
        with Session(self.reader) as session:
            row = session.scalars(
                select(SecretRow)
                .where(
                    (SecretRow.ssn.is_not(None))
                    | (SecretRow.date_of_birth.is_not(None))
                    | (SecretRow.records.is_not(None))
                )
                .limit(1)
            ).first()
        if row is None:
            return
        column, blob = next(
            (c, b)
            for c, b in (
                ("ssn", row.ssn),
                ("date_of_birth", row.date_of_birth),
                ("records", row.records),
            )
            if b is not None
        )
        try:
            decrypt(self.keys, blob, table="case_secrets", column=column, row_id=row.case_id)
        except DecryptError:
            raise KeyProblem(
                "This key cannot read the personal data already stored.",
                "use the key the data was stored with (COCFLOW_KEY or the key "
                "file); nothing was written.",
            ) from None

    def create_case(
        self,
        *,
        kind: str,
        title: str,
        facts: dict[str, Any],
        secret: dict[str, Any],
        decision: dict[str, Any],
        outcome: str,
        rules_version: str,
        event_payload: dict[str, Any] | None,
        place: dict[str, str | None] | None = None,
    ) -> str:
        """A new case; ``event_payload`` (its screening) begins the proof log, or ``None`` for a
        case still being answered (no entry until it is screened). ``place``: the team columns
        (org_id, assignee_id, client_ref, client_name, client_notes), set in the same
        transaction; a client reference the organisation already uses is refused and nothing
        is stored."""
        new = NewCase(
            kind, title, facts, secret, decision, outcome, rules_version, event_payload, place
        )
        return self.create_cases([new])[0].case_id

    def create_cases(self, cases: Sequence[NewCase]) -> list[Created]:
        """Store ``cases`` in one transaction (all of them or, on any refusal, none): each case
        row, its sealed personal data, its first proof entry and its working copy."""
        stamp = now()
        made = []
        try:
            with Session(self.engine) as session, session.begin():
                for new in cases:
                    case_id = secrets.token_hex(8)
                    row = CaseRow(
                        id=case_id,
                        created_at=stamp,
                        updated_at=stamp,
                        kind=new.kind,
                        title=new.title[:200],
                        facts=canonical(new.facts),
                        decision=canonical(new.decision),
                        outcome=new.outcome,
                        rules_version=new.rules_version,
                        **(new.place or {}),
                    )
                    session.add(row)
                    self._seal(session, case_id, new.secret, new=True)
                    entry = None
                    if new.event_payload is not None:
                        entry = self._append(
                            session, case_id, "screened", new.event_payload, stamp, first=row
                        )
                    if new.draft is not None:
                        blob = self._draft(case_id, new.draft)
                        session.add(DraftRow(case_id=case_id, data=blob, updated_at=stamp))
                    made.append(Created(case_id, stamp, entry))
        except IntegrityError:
            refs = [n.place.get("client_ref") for n in cases if n.place]
            if not any(refs):
                raise
            named = f"'{refs[0]}'" if len(cases) == 1 else "of one of these clients"
            raise InputError(
                [
                    Problem(
                        "client_ref",
                        "DUPLICATE_REFERENCE",
                        f"the reference {named} is already another client's.",
                        "give this client its own reference, or update the existing case.",
                    )
                ]
            ) from None
        return made

    def _draft(self, case_id: str, data: dict[str, Any]) -> bytes:
        return encrypt(
            self.keys, canonical(data), table="case_drafts", column="data", row_id=case_id
        )

    # --- answers not confirmed yet --------------------------------------------------------

    def save_draft(self, case_id: str, data: dict[str, Any]) -> None:
        """Keep ``data`` (the case file as data) as the case's working copy, encrypted."""
        blob = self._draft(case_id, data)
        with Session(self.engine) as session, session.begin():
            if session.get(CaseRow, case_id) is None:
                raise unknown_case(case_id)
            row = session.get(DraftRow, case_id) or DraftRow(case_id=case_id)
            row.data, row.updated_at = blob, now()
            session.add(row)

    def draft(self, case_id: str) -> dict[str, Any] | None:
        with Session(self.reader) as session:
            row = session.get(DraftRow, case_id)
            if row is None:
                return None
            text = decrypt(self.keys, row.data, table="case_drafts", column="data", row_id=case_id)
            data: dict[str, Any] = json.loads(text)
            return data

    def drop_draft(self, case_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(DraftRow, case_id)
            if row is not None:
                session.delete(row)

    def update_case(
        self,
        case_id: str,
        *,
        title: str,
        facts: dict[str, Any],
        secret: dict[str, Any],
        decision: dict[str, Any],
        outcome: str,
        rules_version: str,
        events: Sequence[tuple[str, dict[str, Any]]],
        kind: str | None = None,
    ) -> None:
        stamp = now()
        with Session(self.engine) as session, session.begin():
            row = session.get(CaseRow, case_id, with_for_update=True)
            if row is None:
                raise unknown_case(case_id)
            row.updated_at, row.title = stamp, title[:200]
            row.facts, row.decision = canonical(facts), canonical(decision)
            row.outcome, row.rules_version = outcome, rules_version
            row.kind = kind or row.kind
            self._seal(session, case_id, secret)
            for event, payload in events:
                self._append(session, case_id, event, payload, stamp)

    def get_case(self, case_id: str) -> CaseSummary:
        with Session(self.reader) as session:
            row = session.get(CaseRow, case_id)
            if row is None:
                raise unknown_case(case_id)
            return _summary(row)

    def list_cases(self) -> list[CaseSummary]:
        with Session(self.reader) as session:
            rows = session.scalars(select(CaseRow).order_by(CaseRow.created_at))
            return [_summary(r) for r in rows]

    def find_by_ssn(self, ssn: str) -> list[str]:
        found = [blind_index(key, lookup_form(ssn)) for key in self.keys.ring]
        with Session(self.reader) as session:
            return list(
                session.scalars(select(SecretRow.case_id).where(SecretRow.ssn_index.in_(found)))
            )

    # --- the proof log -----------------------------------------------------------------

    def _append(
        self,
        session: Session,
        case_id: str,
        kind: str,
        payload: dict[str, Any],
        stamp: str,
        *,
        first: CaseRow | None = None,
        after: CaseRow | None = None,
    ) -> ChainEntry:
        """Add an entry after the case's last (``first``: the row of a case being created, whose
        log this entry begins; ``after``: the case's row, locked, whose head is the last
        entry)."""
        if after is not None and after.head_seq is not None and after.head_hash is not None:
            seq, prev = after.head_seq + 1, after.head_hash
        else:
            last = None
            if first is None:
                last = session.scalars(
                    select(EventRow)
                    .where(EventRow.case_id == case_id)
                    .order_by(EventRow.seq.desc())
                    .limit(1)
                ).first()
            seq = (last.seq + 1) if last else 1
            prev = last.hash if last else GENESIS
        by = _ACTING.get()
        text = canonical({**payload, "by": by} if by else payload)
        digest = entry_hash(seq, case_id, kind, stamp, text, prev)
        case_row = first or after or session.get(CaseRow, case_id)
        assert case_row is not None
        case_row.head_seq, case_row.head_hash = seq, digest
        case_row.head_mac = self.head_mac(case_id, seq, digest)
        session.add(
            EventRow(
                case_id=case_id,
                seq=seq,
                kind=kind,
                at=stamp,
                payload=text,
                prev_hash=prev,
                hash=digest,
            )
        )
        return ChainEntry(seq, case_id, kind, stamp, text, prev, digest)

    def append_in(
        self, session: Session, case_id: str, kind: str, payload: dict[str, Any], stamp: str
    ) -> ChainEntry:
        """Add an entry inside the caller's transaction (the case row locked and loaded by the
        caller: its head says where the log ends)."""
        row = session.get(CaseRow, case_id)
        assert row is not None
        return self._append(session, case_id, kind, payload, stamp, after=row)

    def append(
        self,
        case_id: str,
        kind: str,
        payload: dict[str, Any],
        file: tuple[str, int, str] | None = None,
    ) -> ChainEntry:
        """Add one entry (and the stored file it names) in one transaction."""
        with Session(self.engine) as session, session.begin():
            row = session.get(CaseRow, case_id, with_for_update=True)
            if row is None:
                raise unknown_case(case_id)
            if file is not None and session.get(FileRow, file[0]) is None:
                session.add(
                    FileRow(sha256=file[0], size=file[1], media_type=file[2], created_at=now())
                )
            return self._append(session, case_id, kind, payload, now())

    def events(self, case_id: str) -> list[ChainEntry]:
        with Session(self.reader) as session:
            if session.get(CaseRow, case_id) is None:
                raise unknown_case(case_id)
            rows = session.scalars(
                select(EventRow).where(EventRow.case_id == case_id).order_by(EventRow.id)
            )
            return [
                ChainEntry(r.seq, r.case_id, r.kind, r.at, r.payload, r.prev_hash, r.hash)
                for r in rows
            ]

    def head_signed(self, case_id: str, seq: int, digest: str, mac: str | None) -> bool:
        """Whether ``mac`` signs the head with this store's key (or one it replaced, for a log
        not signed again since a rotation)."""
        text = canonical([case_id, seq, digest]).encode()
        return mac is not None and digest_matches(self.keys, "proof-log-head", text, mac)

    def head_mac(self, case_id: str, seq: int, digest: str) -> str:
        """The head's signature: only the holder of the key can make it."""
        return keyed_digest(self.keys, "proof-log-head", canonical([case_id, seq, digest]).encode())

    def stamp(self, case_id: str) -> tuple[object, ...]:
        """What changes whenever anything stored about the case changes (its facts, its proof
        log, its working copy): one query, for caching what is derived from them."""
        with self.reader.connect() as connection:
            row = connection.execute(_STAMP, {"case_id": case_id}).first()
        if row is None:
            raise unknown_case(case_id)
        return tuple(row)

    def head(self, case_id: str) -> tuple[int | None, str | None, str | None]:
        """The last entry number, hash and signature recorded on the case."""
        with Session(self.reader) as session:
            row = session.get(CaseRow, case_id)
            if row is None:
                raise unknown_case(case_id)
            return row.head_seq, row.head_hash, row.head_mac

    def case_record(self, case_id: str) -> tuple[str, str]:
        """The stored facts and decision as written (canonical JSON), to check against the log."""
        with Session(self.reader) as session:
            row = session.get(CaseRow, case_id)
            if row is None:
                raise unknown_case(case_id)
            return row.facts, row.decision

    def file_info(self, sha256: str) -> tuple[int, str] | None:
        with Session(self.reader) as session:
            row = session.get(FileRow, sha256)
            return (row.size, row.media_type) if row else None

    # --- the travel and work log -------------------------------------------------------

    def add_trips(self, case_id: str, trips: Sequence[dict[str, Any]]) -> list[int]:
        """Add every trip or none (one transaction)."""
        stamp = now()
        with Session(self.engine) as session, session.begin():
            if session.get(CaseRow, case_id) is None:
                raise unknown_case(case_id)
            rows = [TripRow(case_id=case_id, created_at=stamp, **t) for t in trips]
            session.add_all(rows)
            session.flush()
            return [r.id for r in rows]

    def trips(self, case_id: str) -> list[TripRecord]:
        with Session(self.reader) as session:
            if session.get(CaseRow, case_id) is None:
                raise unknown_case(case_id)
            rows = session.scalars(
                select(TripRow)
                .where(TripRow.case_id == case_id)
                .order_by(TripRow.start, TripRow.id)
            )
            return [
                TripRecord(r.id, r.country, r.start, r.end, r.purpose, r.note, r.origin)
                for r in rows
            ]

    def remove_trip(self, case_id: str, trip_id: int) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(TripRow, trip_id)
            if row is None or row.case_id != case_id:
                raise InputError(
                    [
                        Problem(
                            "TRIP_ID",
                            "UNKNOWN_TRIP",
                            f"case {case_id} has no trip {trip_id}.",
                            "run 'cocflow trips list' to see the trip ids.",
                        )
                    ]
                )
            session.delete(row)
