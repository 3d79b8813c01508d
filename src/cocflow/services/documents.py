"""The request's documents of a stored case, and its proof file as a page and as a bundle.

- :func:`documents` says where the request stands: the pre-submit check, what preparing it now
  would give (the channel advice, the file-by date), and the request already recorded.
- :func:`prepare_and_record` prepares the request of the stored case and records it in the
  proof file (the letter is kept there).
- :func:`recorded_request` reads the recorded request back: the kept letter, and the other
  documents rebuilt from the case as it was prepared, accepted only when they are byte for byte
  the ones recorded (the letter, and ``request.json`` under its keyed digest). When the case or
  the rules changed since, only the kept letter is given back, and the request must be prepared
  again.
- :func:`record_proof` adds a record and its file to the proof file of a confirmed case;
  :func:`proof_overview`, :func:`timeline_file` and :func:`export_bundle` show the proof file.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cocflow.documents import html as views
from cocflow.documents.pdf import page_count
from cocflow.documents.timeline import render_timeline
from cocflow.errors import CocflowError
from cocflow.filing.checks import CheckReport
from cocflow.filing.packet import Channel
from cocflow.proof.chain import ChainEntry
from cocflow.proof.sentences import entry_sentence
from cocflow.services.cases import INCOMPLETE, CaseStatus, Casework
from cocflow.services.filing import NotReady, RequestResult, prepare_request
from cocflow.store.crypto import digest_matches

__all__ = [
    "DOCUMENTS",
    "CaseNotConfirmed",
    "Documents",
    "ProofOverview",
    "ProofRecord",
    "Recorded",
    "document_view",
    "documents",
    "export_bundle",
    "prepare_and_record",
    "proof_overview",
    "record_proof",
    "recorded_request",
    "timeline_file",
]

# The documents a person downloads, and their media types. The names carry no personal data.
DOCUMENTS = {
    "request-letter.pdf": "application/pdf",
    "fax-cover.pdf": "application/pdf",
    "online-worksheet.txt": "text/plain; charset=utf-8",
    "request.json": "application/json",
}


class CaseNotConfirmed(CocflowError):
    """The case's answers were never confirmed: it has no screening, nothing to file yet."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(
            f"case {case_id} has no confirmed answers yet: answer its questions first."
        )


@dataclass(frozen=True)
class Recorded:
    """The request recorded in the proof file (its last ``request_prepared`` entry)."""

    entry: ChainEntry
    letter: bytes  # the letter kept in the proof file, exactly as prepared
    result: RequestResult | None  # every document, rebuilt identical; None: prepare it again

    @property
    def current(self) -> bool:
        return self.result is not None

    def data(self, name: str) -> bytes | None:
        """A document's bytes; ``None`` when it cannot be given back exactly."""
        if name == "request-letter.pdf":
            return self.letter
        if self.result is None or name not in DOCUMENTS:
            return None
        return self.result.data[name]


@dataclass(frozen=True)
class Documents:
    case_id: str
    title: str
    report: CheckReport  # the pre-submit check of the case as it stands
    preview: RequestResult | None  # what preparing now gives (the check is clean)
    recorded: Recorded | None  # the request recorded in the proof file

    @property
    def ready(self) -> bool:
        return self.report.ready

    @property
    def advice(self) -> RequestResult | None:
        """The request whose channel advice and file-by date to show."""
        if self.recorded is not None and self.recorded.result is not None:
            return self.recorded.result
        return self.preview


def _confirmed(work: Casework, case_id: str) -> str:
    """The case's title; refuses an unknown case (InputError) or one never confirmed."""
    summary = work.store.get_case(case_id)
    if summary.outcome == INCOMPLETE:
        raise CaseNotConfirmed(case_id)
    return summary.title


def documents(
    work: Casework, case_id: str, today: date, *, processing_days: int | None = None
) -> Documents:
    """Where the request of case ``case_id`` stands on ``today``."""
    title = _confirmed(work, case_id)
    recorded = recorded_request(work, case_id, processing_days=processing_days)
    if recorded is not None and recorded.result is not None:
        return Documents(case_id, title, recorded.result.report, None, recorded)
    try:
        preview = prepare_request(
            work.case(case_id), today, work.rules, processing_days=processing_days
        )
    except NotReady as not_ready:
        return Documents(case_id, title, not_ready.report, None, recorded)
    return Documents(case_id, title, preview.report, preview, recorded)


def prepare_and_record(
    work: Casework,
    case_id: str,
    today: date,
    *,
    channel: Channel | None = None,
    processing_days: int | None = None,
) -> tuple[RequestResult, ChainEntry]:
    """Prepare the request of the stored case and record it in its proof file (the letter is
    kept there). Raises :class:`NotReady` (nothing recorded) while the check finds an error."""
    _confirmed(work, case_id)
    result = prepare_request(
        work.case(case_id), today, work.rules, channel=channel, processing_days=processing_days
    )
    return result, work.record_request(case_id, result)


def _is_request(entry: ChainEntry) -> bool:
    """A prepared request (not an extension or correction letter drafted by the watcher)."""
    if entry.kind != "request_prepared":
        return False
    payload = json.loads(entry.payload)
    return "purpose" not in payload and bool(payload.get("letter_file"))


def _letter_day(letter: bytes) -> date | None:
    """The day a letter was prepared: the PDF's creation date is its ``prepared_on``."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        metadata = PdfReader(io.BytesIO(letter)).metadata
    except (PyPdfError, ValueError):
        return None
    created = metadata.get("/CreationDate") if metadata is not None else None
    text = str(created or "").removeprefix("D:")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _candidate_days(payload: dict[str, Any], letter: bytes, entry: ChainEntry) -> Iterator[date]:
    seen: set[date] = set()
    for day in (
        payload.get("prepared_on"),
        _letter_day(letter),
        entry.at[:10],
    ):
        try:
            value = day if isinstance(day, date) else date.fromisoformat(str(day))
        except ValueError:
            continue
        if value not in seen:
            seen.add(value)
            yield value


def recorded_request(
    work: Casework, case_id: str, *, processing_days: int | None = None
) -> Recorded | None:
    """The request last recorded for case ``case_id``, or ``None`` when there is none."""
    entry = next((e for e in reversed(work.entries(case_id)) if _is_request(e)), None)
    if entry is None:
        return None
    payload = json.loads(entry.payload)
    letter = work.vault.read(payload["letter_file"]["mac"])
    case = work.case(case_id)
    channel = payload.get("channel")
    for day in _candidate_days(payload, letter, entry):
        try:
            result = prepare_request(
                case,
                day,
                work.rules,
                channel=channel if channel in ("online", "mail", "fax") else None,
                processing_days=processing_days,
            )
        except NotReady:
            continue
        same_json = digest_matches(
            work.store.keys,
            "request-file",
            result.data["request.json"],
            str(payload.get("request_json_mac")),
        )
        if same_json and result.data["request-letter.pdf"] == letter:
            return Recorded(entry, letter, result)
    return Recorded(entry, letter, None)


def document_view(result: RequestResult, name: str) -> str:
    """Document ``name`` as an HTML fragment (headings from ``h2``), its SSN masked."""
    packet = result.packet
    if name == "request-letter.pdf":
        return views.letter_html(packet)
    if name == "fax-cover.pdf":
        return views.fax_cover_html(packet, page_count(result.data["request-letter.pdf"]) + 1)
    if name == "online-worksheet.txt":
        return views.worksheet_html(packet)
    if name == "request.json":
        return views.request_data_html(json.loads(result.data["request.json"]), packet.ssn)
    raise KeyError(name)


# --- the proof file ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProofRecord:
    """One entry of the proof file, in words."""

    seq: int
    day: str  # YYYY-MM-DD (UTC)
    time: str  # HH:MM:SS (UTC)
    sentence: str
    hash: str


@dataclass(frozen=True)
class ProofOverview:
    case_id: str
    title: str
    outcome: str
    status: CaseStatus
    records: tuple[ProofRecord, ...]

    @property
    def head(self) -> str | None:
        return self.records[-1].hash if self.records else None


def proof_overview(work: Casework, case_id: str, today: date) -> ProofOverview:
    """The four checkpoints, whether to rely on the exemption, and every record in words."""
    title = _confirmed(work, case_id)
    summary = work.store.get_case(case_id)
    records = tuple(
        ProofRecord(
            e.seq, e.at[:10], e.at[11:19], entry_sentence(e.kind, json.loads(e.payload)), e.hash
        )
        for e in work.entries(case_id)
    )
    return ProofOverview(case_id, title, summary.outcome, work.status(case_id, today), records)


def record_proof(
    work: Casework,
    case_id: str,
    kind: str,
    file: Path | None,
    details: dict[str, Any],
    *,
    original_name: str | None = None,
) -> ChainEntry:
    """Add a record (submission, approval, certificate, delivery...) and its file to the proof
    file of a confirmed case; the problems of the details or the file raise InputError."""
    _confirmed(work, case_id)
    return work.add(case_id, kind, file, details, original_name)


def timeline_file(work: Casework, case_id: str, today: date) -> bytes:
    """The proof file as one self-contained page to hand over (``timeline.html``)."""
    overview = proof_overview(work, case_id, today)
    return render_timeline(
        case_id,
        overview.title,
        overview.outcome,
        work.entries(case_id),
        overview.status.checkpoints,
    )


def export_bundle(work: Casework, case_id: str) -> bytes:
    """The proof bundle (zip) of case ``case_id``; refused while the proof file does not
    verify. Written to a private temporary folder, read back, and removed."""
    _confirmed(work, case_id)
    with tempfile.TemporaryDirectory(prefix="cocflow-export-") as folder:
        out = work.export(case_id, Path(folder) / "proof.zip")
        return out.read_bytes()
