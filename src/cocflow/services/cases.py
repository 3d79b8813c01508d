"""Case and proof-file services: the case store, the proof log, the four checkpoints, export.

The CLI (and any other client) calls these; each writes in one transaction, and files enter
the vault before the log entry that names them, so an entry never points at a missing file.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cocflow.case import Case, missing
from cocflow.documents.timeline import render_timeline
from cocflow.errors import CocflowError, InputError, Problem
from cocflow.filing.ssn import mask
from cocflow.io.atomic import atomic_write
from cocflow.io.casefile import case_data, parse_case, parse_case_draft
from cocflow.io.settings import Settings
from cocflow.proof.bundle import bundle
from cocflow.proof.chain import ChainEntry, canonical, first_break
from cocflow.proof.records import KINDS, certificate_details, normalize_channel, record_details
from cocflow.rules.loader import RuleBook
from cocflow.screening.decision import Decision
from cocflow.services.filing import RequestResult
from cocflow.services.screening import screen_case
from cocflow.store.crypto import Keys, decrypt, digest_matches, encrypt, keyed_digest, load_keys
from cocflow.store.db import database_exists, open_engine, sqlite_url
from cocflow.store.dbvault import DatabaseVault
from cocflow.store.repo import CaseSummary, NewCase, Store, unknown_case
from cocflow.store.vault import StoredFile, Vault
from cocflow.tracking.checkpoints import CHECKPOINT_NAMES, us_checkpoints
from cocflow.tracking.foreignpath import Checkpoint, ForeignPlan, foreign_plan, foreign_steps
from cocflow.tracking.letters import FollowUp

__all__ = [
    "KINDS",
    "CaseStatus",
    "Casework",
    "Checkpoint",
    "normalize_channel",
    "open_casework",
]

SECRET_PATHS = ("ssn", "date_of_birth")
INCOMPLETE = "incomplete"
_SSN_LIKE = re.compile(
    r"(?<!\d)\d{3}[- ]?\d{2}[- ]?\d{4}(?!\d)"
)  # the outcome of a case whose answers were never confirmed


def _pending(case: Case, place: dict[str, str | None] | None, data: dict[str, Any]) -> NewCase:
    """A case still being answered: no facts confirmed, its answers the working copy."""
    title = case.title if case.label else "New case"
    kind = case.worker.kind or ""
    return NewCase(kind, title, {}, {}, {}, INCOMPLETE, "", None, place, draft=data)


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case file without SSNs and dates of birth, and those values apart."""
    facts = json.loads(json.dumps(data))
    secret: dict[str, Any] = {"records": {}}
    person = facts.get("person") or {}
    for key in SECRET_PATHS:
        if person.get(key) is not None:
            secret[key] = str(person.pop(key))  # kept exactly as entered
    for index, record in enumerate(facts.get("records") or []):
        for key in SECRET_PATHS:
            if record.get(key) is not None:
                secret["records"][f"{index}.{key}"] = str(record.pop(key))
    return facts, secret


def _secrets(secret: dict[str, Any]) -> tuple[Any, ...]:
    return (*(secret.get(k) for k in SECRET_PATHS), secret.get("records") or {})


def _join(facts: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(facts))
    person = data.setdefault("person", {}) if any(secret.get(k) for k in SECRET_PATHS) else None
    for key in SECRET_PATHS:
        if secret.get(key) is not None and person is not None:
            person[key] = secret[key]
    for name, value in (secret.get("records") or {}).items():
        index, key = name.split(".")
        data["records"][int(index)][key] = value
    return data


def _screened(
    decision: Decision, keys: Keys, facts: dict[str, Any], secret: dict[str, Any]
) -> dict[str, Any]:
    """The screening entry: the outcome, and digests that tie the log to the stored case (the
    facts with their personal data under a keyed digest, the decision under a plain one)."""
    return {
        "outcome": decision.outcome,
        "as_of": decision.as_of.isoformat(),
        "rules_version": decision.rules_version,
        "reasons": sorted({r.code for r in decision.all_reasons()}),
        "decision_sha256": _sha(canonical(decision.as_dict()).encode()),
        "facts_mac": _facts_mac(keys, facts, secret),
    }


def screening_entry(
    decision: Decision, keys: Keys, facts: dict[str, Any], secret: dict[str, Any]
) -> dict[str, Any]:
    """The proof entry that records ``decision`` for the stored ``facts`` and ``secret``."""
    return _screened(decision, keys, facts, secret)


def stored_case(facts: dict[str, Any], secret: dict[str, Any]) -> Case:
    """The case as stored: its facts with its personal data put back."""
    return parse_case(_join(facts, secret)).to_case()


def _facts_mac(keys: Keys, facts: dict[str, Any], secret: dict[str, Any]) -> str:
    personal = {k: secret.get(k) for k in SECRET_PATHS} | {"records": secret.get("records") or {}}
    return keyed_digest(keys, "case-facts", canonical([facts, personal]).encode())


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _changed(before: Any, after: Any, path: str = "") -> list[str]:
    """The paths whose values differ; a fact left out equals its empty default."""
    if before in (None, False, [], {}) and after in (None, False, [], {}):
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after))
        return [
            p
            for k in keys
            for p in _changed(before.get(k), after.get(k), f"{path}.{k}" if path else k)
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            p
            for i, (a, b) in enumerate(zip(before, after, strict=True))
            for p in _changed(a, b, f"{path}[{i}]")
        ]
    return [] if before == after else [path or "(case)"]


@dataclass(frozen=True)
class CaseStatus:
    case_id: str
    checkpoints: list[Checkpoint]
    rely: bool  # every checkpoint done: the exemption may be relied on
    guidance: list[str]  # who receives the certificate, from the rules
    next_step: str | None  # the first checkpoint not done, with what it needs

    def as_dict(self) -> dict[str, Any]:
        return {
            "checkpoints": [
                {"name": p.name, "done": p.done, "evidence": p.evidence} for p in self.checkpoints
            ],
            "rely": self.rely,
            "guidance": self.guidance,
        }


class Casework:
    def __init__(self, store: Store, vault: Vault, rules: RuleBook) -> None:
        self.store, self.vault, self.rules = store, vault, rules
        self.created_key: Path | None = None  # set when this opening made a new key file
        self.memo: dict[str, Any] = {}  # what services derive, kept while its inputs last
        # Run first by add(case_id, kind): a team's sign-off guard (services/signoff.py).
        self.before_add: Callable[[str, str], None] | None = None

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    # --- cases ---------------------------------------------------------------------------

    def new_case(
        self, case: Case, today: date, *, place: dict[str, str | None] | None = None
    ) -> tuple[str, Decision]:
        """Store ``case`` with its screening as the first entry of its proof file (``place``:
        a team's columns for it, stored in the same transaction)."""
        decision = screen_case(case, today, self.rules)
        facts, secret = _split(case_data(case))
        case_id = self.store.create_case(
            kind=case.kind,
            title=case.title,
            facts=facts,
            secret=secret,
            decision=decision.as_dict(),
            outcome=decision.outcome,
            rules_version=decision.rules_version,
            event_payload=_screened(decision, self.store.keys, facts, secret),
            place=place,
        )
        return case_id, decision

    def new_cases(
        self, cases: Sequence[tuple[Case, dict[str, str | None] | None]], today: date
    ) -> list[tuple[CaseSummary, ChainEntry | None, Decision | None]]:
        """Store many cases in one transaction, each with its place: screened when it holds
        every fact screening needs (its screening the first proof entry), else kept as
        answers to complete. Each comes back as stored, with its first entry and decision."""
        made: list[tuple[Decision | None, NewCase]] = []
        for case, place in cases:
            if missing(case):
                made.append((None, _pending(case, place, case_data(case))))
                continue
            decision = screen_case(case, today, self.rules)
            facts, secret = _split(case_data(case))
            new = NewCase(
                case.kind,
                case.title,
                facts,
                secret,
                decision.as_dict(),
                decision.outcome,
                decision.rules_version,
                _screened(decision, self.store.keys, facts, secret),
                place,
            )
            made.append((decision, new))
        stored = self.store.create_cases([new for _, new in made])
        return [
            (
                CaseSummary(
                    done.case_id,
                    done.at,
                    done.at,
                    new.kind,
                    new.title[:200],
                    new.outcome,
                    new.facts,
                    new.decision,
                    new.rules_version,
                ),
                done.entry,
                decision,
            )
            for (decision, new), done in zip(made, stored, strict=True)
        ]

    # --- a case answered one question at a time (the web interview) ----------------------

    def start_case(
        self, case: Case | None = None, *, place: dict[str, str | None] | None = None
    ) -> str:
        """A new case with nothing confirmed yet: its proof log begins at the first screening
        (:meth:`confirm`); until then its answers are a working copy (:meth:`save_draft`)."""
        case = case or Case()
        return self.store.create_cases([_pending(case, place, case_data(case))])[0].case_id

    def save_draft(self, case_id: str, case: Case) -> None:
        """Keep ``case`` as the working copy: kept on refresh and on Back, not in the proof log
        until it is confirmed."""
        self.store.save_draft(case_id, case_data(case))

    def working_copy(self, case_id: str) -> Case:
        """The answers as they stand: the working copy, else the stored case."""
        data = self.store.draft(case_id)
        if data is not None:
            return parse_case_draft(data)
        if self.store.get_case(case_id).outcome == INCOMPLETE:
            return Case()
        return self.case(case_id)

    def unchanged(self, given: Mapping[str, Case]) -> set[str]:
        """The cases whose answers as they stand (:meth:`working_copy`) are the ones
        ``given`` for them: compared as stored data first, as cases where that differs."""
        same = set()
        for case_id, (outcome, facts, secret, draft) in self.store.stored_many(list(given)).items():
            case = given[case_id]
            if not draft and outcome != INCOMPLETE:
                new_facts, new_secret = _split(case_data(case))
                if new_facts == facts and _secrets(new_secret) == _secrets(secret):
                    same.add(case_id)
                    continue
            if self.working_copy(case_id) == case:
                same.add(case_id)
        return same

    def has_changes(self, case_id: str) -> bool:
        """Whether the working copy differs from the stored case (answers not confirmed)."""
        data = self.store.draft(case_id)
        if data is None:
            return False
        if self.store.get_case(case_id).outcome == INCOMPLETE:
            return True
        return parse_case_draft(data) != self.case(case_id)

    def confirm(self, case_id: str, today: date) -> tuple[list[str], Decision]:
        """Screen the working copy and store it: the first screening begins the proof log, a
        later one records what changed. A case that lacks a needed fact is refused."""
        case = self.working_copy(case_id)
        summary = self.store.get_case(case_id)
        if summary.outcome != INCOMPLETE and not self.has_changes(case_id):
            decision = screen_case(case, today, self.rules)
            if decision.as_dict() == summary.decision:  # nothing new to record
                self.store.drop_draft(case_id)
                return [], decision
        if summary.outcome != INCOMPLETE:
            changed, decision = self.update_case(case_id, case, today)
        else:
            decision = screen_case(case, today, self.rules)
            facts, secret = _split(case_data(case))
            self._store_screened(case_id, case, decision, facts, secret, events=[])
            changed = []
        self.store.drop_draft(case_id)
        return changed, decision

    def resolve(self, given: str) -> str:
        """The full case id for ``given``: the id itself, or a prefix only one case has."""
        ids = [c.id for c in self.store.list_cases()]
        if given in ids:
            return given
        matches = [i for i in ids if given and i.startswith(given.strip().lower())]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise InputError(
                [
                    Problem(
                        "CASE_ID",
                        "AMBIGUOUS_CASE",
                        f"'{given}' starts {len(matches)} case ids ({', '.join(matches[:5])}).",
                        "type more of the id.",
                    )
                ]
            )
        raise unknown_case(given)

    def same_person(self, case_id: str) -> list[str]:
        """Other cases of the person with the same SSN (found by the keyed index)."""
        ssn = self.store.secrets(case_id).get("ssn")
        return [i for i in self.store.find_by_ssn(ssn) if i != case_id] if ssn else []

    def case(self, case_id: str) -> Case:
        """The stored case, its personal data decrypted."""
        summary = self.store.get_case(case_id)
        return parse_case(_join(summary.facts, self.store.secrets(case_id))).to_case()

    def update_case(self, case_id: str, case: Case, today: date) -> tuple[list[str], Decision]:
        """Store changed facts and screen again; the changed paths are recorded."""
        before = self.store.get_case(case_id)
        old_secret = self.store.secrets(case_id)
        decision = screen_case(case, today, self.rules)
        facts, secret = _split(case_data(case))
        changed = (
            _changed(before.facts, facts)
            + [f"person.{k}" for k in SECRET_PATHS if old_secret.get(k) != secret.get(k)]
            + [
                f"records[{name.split('.')[0]}].{name.split('.')[1]}"
                for name in sorted(set(old_secret.get("records") or {}) | set(secret["records"]))
                if (old_secret.get("records") or {}).get(name) != secret["records"].get(name)
            ]
        )
        events = [("facts_changed", {"paths": changed})] if changed else []
        self._store_screened(case_id, case, decision, facts, secret, events=events)
        return changed, decision

    def _store_screened(
        self,
        case_id: str,
        case: Case,
        decision: Decision,
        facts: dict[str, Any],
        secret: dict[str, Any],
        *,
        events: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """Store the facts and their screening, ``events`` then the screening in the log."""
        self.store.update_case(
            case_id,
            title=case.title,
            facts=facts,
            secret=secret,
            decision=decision.as_dict(),
            outcome=decision.outcome,
            rules_version=decision.rules_version,
            events=[*events, ("screened", _screened(decision, self.store.keys, facts, secret))],
            kind=case.kind,
        )

    def show(self, case_id: str) -> dict[str, Any]:
        """The case for display: the SSN masked, the date of birth hidden."""
        summary = self.store.get_case(case_id)
        secret = self.store.secrets(case_id)
        facts = summary.facts
        person = facts.setdefault("person", {})
        if secret.get("ssn"):
            person["ssn"] = mask(secret["ssn"])
        if secret.get("date_of_birth"):
            person["date_of_birth"] = "(on file)"
        return {
            "id": summary.id,
            "created_at": summary.created_at,
            "updated_at": summary.updated_at,
            "outcome": summary.outcome,
            "title": summary.title,
            "facts": facts,
            "decision": summary.decision,
        }

    def cases(self) -> list[CaseSummary]:
        return self.store.list_cases()

    # --- the proof file ------------------------------------------------------------------

    def add(
        self,
        case_id: str,
        kind: str,
        file: Path | None,
        details: dict[str, Any],
        original_name: str | None = None,
    ) -> ChainEntry:
        """Record ``kind`` with ``details`` and its ``file`` (kept under ``original_name`` when
        the file had another name before it reached this computer, as an upload does)."""
        self.store.get_case(case_id)  # unknown case: fail before touching the vault
        if self.before_add is not None:
            self.before_add(case_id, kind)
        if kind not in KINDS:
            raise InputError(
                [
                    Problem(
                        "--kind",
                        "BAD_KIND",
                        f"'{kind}' is not a kind of record.",
                        f"use one of {', '.join(KINDS)}.",
                    )
                ]
            )
        if file is None and kind != "delivery":
            raise InputError(
                [
                    Problem(
                        "FILE",
                        "FILE_REQUIRED",
                        f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} record needs its file.",
                        "give the file (PDF, PNG, JPEG, EML or TXT).",
                    )
                ]
            )
        payload = record_details(details)
        if (
            kind == "submission"
            and payload.get("channel") == "online"
            and not payload.get("control_number")
        ):
            raise InputError(
                [
                    Problem(
                        "--control-number",
                        "CONTROL_NUMBER_REQUIRED",
                        "an online request has a control number, and SSA asks for it.",
                        "copy it from the confirmation page or e-mail.",
                    )
                ]
            )
        if kind == "certificate":
            payload.update(certificate_details(payload))
        stored: StoredFile | None = None
        if file is not None:
            stored = self.vault.ingest(file)
            name = original_name or Path(file).name
            payload["file"] = self._file_entry(case_id, stored, name)
        info = (stored.sha256, stored.size, stored.media_type) if stored else None
        return self.store.append(case_id, KINDS[kind], payload, info)

    def _file_entry(self, case_id: str, stored: StoredFile, name: str) -> dict[str, Any]:
        """A stored file as the log records it. Its original name can carry personal data, so
        it is kept encrypted (for the export), never in plain text."""
        sealed = encrypt(self.store.keys, name, table="events", column="file_name", row_id=case_id)
        return {
            "sha256": stored.sha256,
            "size": stored.size,
            "media_type": stored.media_type,
            "name_sealed": base64.b64encode(sealed).decode("ascii"),
        }

    def _file_name(self, case_id: str, file: dict[str, Any]) -> str | None:
        sealed = file.get("name_sealed")
        if not sealed:
            return None
        name = decrypt(
            self.store.keys,
            base64.b64decode(sealed),
            table="events",
            column="file_name",
            row_id=case_id,
        )
        # A name can carry personal data ("Jane Doe SSN 123-45-6789.pdf"): an SSN-like number
        # is masked before the name is shown or written anywhere.
        name = _SSN_LIKE.sub(lambda m: "XXX-XX-" + m[0][-4:], Path(name).name)
        return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:120]

    def record(self, case_id: str, kind: str, payload: dict[str, Any]) -> ChainEntry:
        return self.store.append(case_id, kind, payload)

    def check_same_case(self, case_id: str, given: Case, name: str = "the case file") -> None:
        """Refuse to record a filing on a case whose stored facts are not those of ``given``
        (another person's file, or a change not stored yet)."""
        if self.case(case_id) == given:
            return
        facts, secret = _split(case_data(given))
        before, old_secret = self.store.get_case(case_id).facts, self.store.secrets(case_id)
        changed = _changed(before, facts) + [
            f"person.{k}" for k in SECRET_PATHS if old_secret.get(k) != secret.get(k)
        ]
        shown = ", ".join(changed[:5]) + (", ..." if len(changed) > 5 else "")
        raise InputError(
            [
                Problem(
                    "--case",
                    "NOT_THIS_CASE",
                    f"{name} is not case {case_id} as stored (it differs in: "
                    f"{shown or 'the records'}); nothing was written.",
                    f"store the change first ('cocflow case update {case_id} {name}'), or name "
                    f"the case this file belongs to.",
                )
            ]
        )

    def record_request(self, case_id: str, result: RequestResult) -> ChainEntry:
        """Record a prepared request. The files hold the SSN, so the log keeps keyed digests of
        them (HMAC with the key kept outside the database), never plain hashes: with the
        database alone, nobody can rebuild a file and test SSNs against it."""
        packet = result.packet
        digest = self.store.keys
        payload = {
            "ready": True,
            "channel": result.channel.channel,
            "request_json_mac": keyed_digest(digest, "request-file", result.data["request.json"]),
            "letter_mac": keyed_digest(digest, "request-file", result.data["request-letter.pdf"]),
            "file_by": packet.file_by.isoformat() if packet.file_by else None,
            "period_start": packet.period_start.isoformat(),
            "period_end": packet.period_end.isoformat() if packet.period_end else None,
            "prepared_on": packet.prepared_on.isoformat(),
            "letter_file": self._keep_letter(result.data["request-letter.pdf"]),
        }
        return self.record(case_id, "request_prepared", payload)

    def _letter_name(self, data: bytes) -> str:
        return keyed_digest(self.store.keys, "request-file", data)

    def _letter_named(self, name: str) -> Callable[[bytes], str]:
        """The name a letter's bytes give under the key that named it (``name`` was made with
        this key or one it replaced)."""

        def named(data: bytes) -> str:
            return name if digest_matches(self.store.keys, "request-file", data, name) else ""

        return named

    def _keep_letter(self, data: bytes) -> dict[str, Any]:
        """Keep a generated letter in the vault under its keyed digest (never a plain hash: it
        holds the SSN and could be rebuilt to test guesses), so the export holds the letter
        that was sent."""
        stored = self.vault.ingest_bytes(data, "application/pdf", name=self._letter_name(data))
        return {"mac": stored.sha256, "size": stored.size, "media_type": stored.media_type}

    def record_follow_up(
        self, case_id: str, follow: FollowUp, letter: bytes, today: date
    ) -> ChainEntry:
        """Record an extension or correction letter as a request: the period it asks SSA to
        certify, checked against the case as it stands (so the checkpoints can count it)."""
        from cocflow.services.filing import check_case

        report = check_case(self.case(case_id), today, self.rules)
        payload = {
            "ready": report.ready,
            "purpose": follow.kind,
            "channel": "mail",
            "country": follow.country,
            "letter_mac": keyed_digest(self.store.keys, "request-file", letter),
            "letter_file": self._keep_letter(letter),
            "period_start": follow.period_start.isoformat() if follow.period_start else None,
            "period_end": follow.period_end.isoformat() if follow.period_end else None,
        }
        return self.record(case_id, "request_prepared", payload)

    def files_signature(
        self, case_id: str, head: tuple[object, ...]
    ) -> tuple[tuple[str, int, int], ...]:
        """Each stored file of the case (its proof log at ``head``) with its size and
        modification time on disk (no file is read): a changed file changes the signature."""
        names = self.memo.setdefault("files", {})
        stamp = head
        cached = names.get(case_id)
        if cached is None or cached[0] != stamp:
            found = []
            for entry in self.store.events(case_id):
                payload = json.loads(entry.payload)
                if payload.get("file"):
                    found.append(payload["file"]["sha256"])
                if payload.get("letter_file"):
                    found.append(payload["letter_file"]["mac"])
            cached = (stamp, tuple(found))
            names[case_id] = cached
        return tuple((name, *self.vault.signature(name)) for name in cached[1])

    def entries(self, case_id: str) -> list[ChainEntry]:
        return self.store.events(case_id)

    def verify(self, case_id: str, *, files: bool = True) -> tuple[int, str] | None:
        """``None`` when the chain and every file check out, else (entry, what is wrong)."""
        entries = self.store.events(case_id)
        broken = first_break(entries)
        if broken:
            return broken
        head_seq, head_hash, head_mac = self.store.head(case_id)
        last = entries[-1] if entries else None
        if head_seq is not None and (
            last is None or last.seq != head_seq or last.hash != head_hash
        ):
            shown = last.seq if last else 0
            return shown + 1, f"the log ends at entry {shown} but entry {head_seq} was recorded"
        if last is not None and not self.store.head_signed(case_id, last.seq, last.hash, head_mac):
            return last.seq, (
                "the log's head is not signed with this store's key: the log was rewritten by "
                "someone without the key (or written with another key)"
            )
        mismatch = self._case_matches_log(case_id, entries)
        if mismatch is not None:
            return mismatch
        if not files:
            return None
        for entry in entries:
            payload = json.loads(entry.payload)
            file = payload.get("file")
            if file and not (
                self.vault.exists(file["sha256"]) and self.vault.verify(file["sha256"])
            ):
                return entry.seq, f"its file {file['sha256'][:12]}... is missing or changed"
            letter = payload.get("letter_file")
            if letter and not self.vault.verify(letter["mac"], self._letter_named(letter["mac"])):
                return entry.seq, "its letter is missing or changed"
        return None

    def _case_matches_log(self, case_id: str, entries: list[ChainEntry]) -> tuple[int, str] | None:
        """The stored facts and decision are the ones the last screening entry recorded."""
        screened = [e for e in entries if e.kind == "screened"]
        if not screened:
            return None
        last = screened[-1]
        payload = json.loads(last.payload)
        facts_text, decision_text = self.store.case_record(case_id)
        if payload.get("decision_sha256") not in (None, _sha(decision_text.encode())):
            return last.seq, "the stored decision is not the one this entry recorded"
        if "facts_mac" in payload:
            facts = json.loads(facts_text)
            secret = self.store.secrets(case_id)
            made = {_facts_mac(key, facts, secret) for key in self.store.keys.ring}
            if payload["facts_mac"] not in made:
                return last.seq, "the stored case facts are not the ones this entry recorded"
        return None

    def foreign_plan_of(self, decision: dict[str, Any]) -> ForeignPlan | None:
        def issuer(country: str) -> str | None:
            for agreement in self.rules.for_country(country):
                if agreement.foreign_certificate_issuer is not None:
                    return agreement.foreign_certificate_issuer.value
            return None

        return foreign_plan(decision, self.rules.network.us_codes, issuer)

    def guidance(self, case_id: str) -> list[str]:
        """Who receives or asks for the certificate, per work country, from the rules."""
        summary = self.store.get_case(case_id)
        plan = self.foreign_plan_of(summary.decision)
        if plan is not None:
            lines = [f"Get {plan.document} from {plan.from_whom.rstrip('.')}."]
            if plan.yearly_step:
                lines.append(plan.yearly_step)
            lines.append("Keep it with the case, and keep written proof of where you showed it.")
            return lines
        facts = summary.facts
        us = self.rules.network.us_codes
        countries = sorted({e["country"] for e in facts["engagements"]} - us)
        lines = []
        for country in countries:
            for agreement in self.rules.for_country(country):
                for fact in (
                    agreement.us_certificate_use,
                    *agreement.delivery_notes,
                    agreement.certificate_scope,
                ):
                    if fact is None:
                        continue
                    verify = "" if fact.confidence == "high" else " (verify for your case)"
                    lines.append(f"{agreement.name}: {fact.value}{verify} [source: {fact.urls[0]}]")
        lines.append(
            "Whoever receives it (foreign authority, payroll or client), keep written "
            "proof of receipt and record it in the case as the delivery."
        )
        return lines

    def status(self, case_id: str, today: date) -> CaseStatus:
        """The four checkpoints, whether the exemption may be relied on, and what comes next."""
        points = self.checkpoints(case_id, today)
        rely = all(p.done for p in points)
        first = next((p for p in points if not p.done), None)
        next_step = f"{first.name[:1].lower()}{first.name[1:]}: {first.evidence}" if first else None
        return CaseStatus(case_id, points, rely, self.guidance(case_id), next_step)

    def checkpoints(self, case_id: str, today: date) -> list[Checkpoint]:
        """The four checkpoints in order; each needs the one before and events in order.

        The request must describe the case's work as it stands (prepared after the last change
        of facts), and the certificate must be for the work country, cover the whole work
        period and still be valid on ``today``.
        """
        return self._checkpoints(case_id, today, self.verify(case_id))

    def _checkpoints(
        self, case_id: str, today: date, broken: tuple[int, str] | None
    ) -> list[Checkpoint]:
        if broken is not None:
            why = f"the proof file does not verify: entry {broken[0]}: {broken[1]}"
            return [Checkpoint(name, False, why) for name in CHECKPOINT_NAMES]
        summary = self.store.get_case(case_id)
        return self.checkpoints_of(summary, self.store.events(case_id), today)

    def checkpoints_of(
        self, summary: CaseSummary, entries: Sequence[ChainEntry], today: date
    ) -> list[Checkpoint]:
        """The four checkpoints of a case from its stored summary and its proof log's
        ``entries`` (already verified by the caller)."""
        us = self.rules.network.us_codes
        foreign = [e for e in summary.facts["engagements"] if e["country"] not in us]
        countries = sorted({e["country"] for e in foreign})
        work_start = min((e["start"] for e in foreign), default=None)
        ends = [e.get("end") for e in foreign]
        work_end = None if not ends or None in ends else max(e for e in ends if e)
        payloads = [(e, json.loads(e.payload)) for e in entries]
        plan = self.foreign_plan_of(summary.decision)
        if plan is not None:
            return foreign_steps(
                plan,
                [(e.seq, e.kind, p) for e, p in payloads],
                summary.kind,
                lambda p: self._covers(p, countries, work_start, work_end, today),
            )
        return us_checkpoints(payloads, countries, work_start, work_end)

    @staticmethod
    def _covers(
        payload: dict[str, Any],
        countries: list[str],
        start: str | None,
        end: str | None,
        today: date,
    ) -> bool:
        first, last = payload.get("period_start"), payload.get("period_end")
        if len(countries) != 1 or payload.get("country") != countries[0] or not first:
            return False
        if start is None or first > start:
            return False
        return last is None or (end is not None and last >= end and last >= today.isoformat())

    def export(self, case_id: str, out: Path) -> Path:
        """A zip of the proof file: SHA256SUMS, manifest.json, chain.json, files, timeline."""
        summary = self.store.get_case(case_id)
        broken = self.verify(case_id)
        if broken is not None:
            raise CocflowError(
                f"the proof file of case {case_id} is broken at entry {broken[0]} "
                f"({broken[1]}): nothing was exported. Run 'cocflow proof verify {case_id}' "
                f"and restore the store from a backup."
            )
        entries = self.store.events(case_id)
        members: dict[str, bytes] = {}
        files = []
        for entry in entries:
            letter = json.loads(entry.payload).get("letter_file")
            if letter:
                purpose = json.loads(entry.payload).get("purpose", "request")
                name = f"files/{entry.seq:03d}-{purpose}-letter.pdf"
                members[name] = self.vault.read(letter["mac"])
                files.append(
                    {
                        "path": name,
                        "entry": entry.seq,
                        "original_name": None,
                        "generated": f"the {purpose} letter cocflow prepared",
                        "size": letter["size"],
                        "media_type": letter["media_type"],
                    }
                )
            file = json.loads(entry.payload).get("file")
            if file:
                ext = {
                    "application/pdf": "pdf",
                    "image/png": "png",
                    "image/jpeg": "jpg",
                    "message/rfc822": "eml",
                    "text/plain": "txt",
                }[file["media_type"]]
                original = self._file_name(case_id, file)
                readable = f"-{original}" if original else f".{ext}"
                name = f"files/{entry.seq:03d}-{file['sha256'][:12]}{readable}"
                members[name] = self.vault.read(file["sha256"])
                files.append(
                    {
                        "path": name,
                        "entry": entry.seq,
                        "original_name": original,
                        **{k: file[k] for k in ("sha256", "size", "media_type")},
                    }
                )
        chain = [e.as_dict() for e in entries]
        members["chain.json"] = (json.dumps(chain, indent=2, ensure_ascii=False) + "\n").encode()
        checkpoints = self._checkpoints(case_id, date.today(), None)  # verified above
        manifest = {
            "cocflow_proof": 1,
            "case": summary.id,
            "title": summary.title,
            "outcome": summary.outcome,
            "entries": len(entries),
            "head_hash": entries[-1].hash if entries else None,
            "chain_intact": True,  # a broken proof file is refused above
            "files": files,
            "checkpoints": [
                {"name": c.name, "done": c.done, "evidence": c.evidence} for c in checkpoints
            ],
        }
        members["manifest.json"] = (
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        ).encode()
        members["timeline.html"] = render_timeline(
            summary.id, summary.title, summary.outcome, entries, checkpoints
        )
        atomic_write(out, bundle(members))
        return out


def _private_home(home: Path, *, sqlite: bool) -> None:
    """The home folder readable by its owner only (0700), and the SQLite file too (0600, which
    SQLite copies to its -wal and -shm files). Wider modes left by older versions are narrowed."""
    try:
        if not home.is_dir():
            home.mkdir(parents=True, exist_ok=True, mode=0o700)
            home.chmod(0o700)  # mkdir's mode is reduced by the umask
        if not sqlite:
            return
        for path in (home / "cocflow.db", home / "cocflow.db-wal", home / "cocflow.db-shm"):
            if path.name == "cocflow.db" and not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            if path.is_file() and path.stat().st_mode & 0o077 and os.access(path, os.W_OK):
                path.chmod(0o600)
    except OSError:
        return  # a read-only or foreign folder: opening the store reports what is wrong


def open_casework(settings: Settings, rules: RuleBook) -> Casework:
    """The store (SQLite in COCFLOW_HOME unless COCFLOW_DATABASE_URL), its key and vault."""
    _private_home(settings.home, sqlite=settings.database_url is None)
    engine = open_engine(settings.database_url or sqlite_url(settings.home))
    created: list[Path] = []
    try:
        keys = load_keys(
            settings.key_path,
            settings.env_key,
            data_exists=database_exists(engine),
            on_create=created.append,
            env_retired=settings.env_retired_keys,
        )
        store = Store(engine, keys)
        store.check_key()
    except BaseException:
        engine.dispose()
        raise
    limit = settings.max_file_mb * 1024 * 1024
    retired = [old.data_key for old in keys.retired]
    if engine.dialect.name == "sqlite":
        vault = Vault(settings.home / "files", limit, keys.data_key, retired)
    else:  # a shared database: the documents go where every member reaches them
        vault = DatabaseVault(engine, settings.home / "files", limit, keys.data_key, retired)
    work = Casework(store, vault, rules)
    from cocflow.services.signoff import guard

    work.before_add = guard(work)
    work.created_key = created[0] if created else None
    return work
