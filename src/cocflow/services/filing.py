"""Preparing a filing: the pre-submit check, the request documents, and writing them out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cocflow.case import Case
from cocflow.errors import CocflowError, InputError, Problem
from cocflow.filing.build import build_packet, checklist_markdown, packet_json
from cocflow.filing.channel import ChannelAdvice, choose_channel
from cocflow.filing.checks import CheckReport, Filing, agreement_extras, check_filing
from cocflow.filing.packet import Channel, FilingPacket
from cocflow.interview.filing import filing_questions
from cocflow.interview.questions import Question
from cocflow.io.atomic import atomic_write_all
from cocflow.rules.loader import RuleBook
from cocflow.services.screening import screen_case

if TYPE_CHECKING:
    from cocflow.proof.chain import ChainEntry
    from cocflow.services.cases import Casework

__all__ = [
    "Filed",
    "NotReady",
    "RequestResult",
    "check_case",
    "filing_details_needed",
    "prepare_request",
    "request",
    "write_request",
]


def _filing(case: Case, today: date, rules: RuleBook) -> Filing:
    return Filing(case, screen_case(case, today, rules), rules, today)


def check_case(case: Case, today: date, rules: RuleBook) -> CheckReport:
    """The pre-submit review of the filing ``case`` describes."""
    return check_filing(_filing(case, today, rules))


FILLABLE = ("REQUIRED_FOR_FILING", "AGREEMENT_ITEM_MISSING")


def filing_details_needed(case: Case, today: date, rules: RuleBook) -> tuple[Question, ...]:
    """The questions for what the request still lacks (the check's own findings) and the
    records it is checked against; nothing when the answer is not go."""
    filing = _filing(case, today, rules)
    if filing.decision.outcome != "go":
        return ()
    report = check_filing(filing)
    missing = [f.path for f in report.findings if f.code in FILLABLE]
    extras = {x.id: " ".join(x.text.split()) for x in agreement_extras(filing)}
    return filing_questions(case, missing, extras)


class NotReady(CocflowError):
    """The filing has errors; nothing was written."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        errors = sum(1 for f in report.findings if f.severity == "error")
        super().__init__(f"the filing is not ready: {errors} error(s)")


@dataclass(frozen=True)
class RequestResult:
    data: dict[str, bytes]  # file name -> the document's bytes
    report: CheckReport
    packet: FilingPacket
    channel: ChannelAdvice


def prepare_request(
    case: Case,
    today: date,
    rules: RuleBook,
    *,
    channel: Channel | None = None,
    processing_days: int | None = None,
) -> RequestResult:
    """Check the filing; when it is ready, render the request documents (as bytes)."""
    from cocflow.documents import pdf as documents

    filing = _filing(case, today, rules)
    report = check_filing(filing)
    if not report.ready:
        raise NotReady(report)
    advice = choose_channel(filing.kind, filing.agreements(), rules.process, channel)
    packet = build_packet(filing, advice.channel, processing_days)
    letter = documents.render_letter(packet)
    cover = documents.render_fax_cover(packet, documents.page_count(letter) + 1)
    request = packet_json(packet, rules.version)
    request["channel_advice"] = advice.as_dict()
    outputs = {
        "request-letter.pdf": letter,
        "fax-cover.pdf": cover,
        "online-worksheet.txt": documents.render_worksheet(packet).encode(),
        "filing-checklist.md": checklist_markdown(report, packet).encode(),
        "request.json": (json.dumps(request, indent=2, ensure_ascii=False) + "\n").encode(),
    }
    return RequestResult(outputs, report, packet, advice)


def write_request(out: Path, result: RequestResult) -> tuple[Path, ...]:
    """Write the documents into the folder ``out`` (created if missing): all or none."""
    if out.exists() and not out.is_dir():
        raise InputError(
            [
                Problem(
                    "--out",
                    "NOT_A_FOLDER",
                    f"{out} is a file, not a folder.",
                    "give a folder (it is created if missing).",
                )
            ]
        )
    try:
        return tuple(atomic_write_all(out, result.data))
    except OSError as exc:
        raise InputError(
            [
                Problem(
                    "--out",
                    "CANNOT_WRITE",
                    f"the documents cannot be written "
                    f"there ({exc.strerror or exc}); nothing was changed.",
                    "choose a folder you can write to.",
                )
            ]
        ) from None


@dataclass(frozen=True)
class Filed:
    """What ``cocflow request`` did: the files written, and the proof entry when recorded."""

    files: tuple[Path, ...]
    result: RequestResult
    entry: ChainEntry | None
    case_id: str | None  # the stored case's full id, when recorded


def request(
    case: Case,
    out: Path,
    today: date,
    rules: RuleBook,
    *,
    channel: Channel | None = None,
    processing_days: int | None = None,
    casework: Casework | None = None,
    case_id: str | None = None,
    source: str = "the case file",
) -> Filed:
    """Prepare the request, write its documents into ``out`` and, given a stored case, record
    it in that case's proof file. A stored case must hold exactly these facts (checked first,
    so nothing is written for the wrong person)."""
    if casework is not None and case_id is not None:
        case_id = casework.resolve(case_id)
        casework.check_same_case(case_id, case, source)
    result = prepare_request(case, today, rules, channel=channel, processing_days=processing_days)
    files = write_request(out, result)
    entry = None
    if casework is not None and case_id is not None:
        entry = casework.record_request(case_id, result)
    return Filed(files, result, entry, case_id)
