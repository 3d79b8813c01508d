"""Preparing a filing: the pre-submit check and the request documents (the edge that writes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cocflow.errors import CocflowError, InputError, Problem
from cocflow.filing.build import build_packet, checklist_markdown, packet_json
from cocflow.filing.channel import ChannelAdvice, choose_channel
from cocflow.filing.checks import CheckReport, Filing, check_filing
from cocflow.filing.packet import Channel, FilingPacket
from cocflow.io.atomic import atomic_write_all
from cocflow.io.casefile import load_case
from cocflow.rules.loader import RuleBook
from cocflow.screening.screen import screen
from cocflow.services.screening import check_statements

__all__ = ["NotReady", "RequestResult", "check_file", "prepare_request"]


def _filing(path: Path, today: date, rules: RuleBook) -> Filing:
    case_file = load_case(path)
    check_statements(case_file.worker.statements, rules, str(path))
    decision = screen(case_file.to_case(), rules, today)
    return Filing(case_file, decision, rules, today)


def check_file(path: Path, today: date, rules: RuleBook) -> CheckReport:
    """The pre-submit review of the filing described by the case file at ``path``."""
    return check_filing(_filing(path, today, rules))


class NotReady(CocflowError):
    """The filing has errors; nothing was written."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        errors = sum(1 for f in report.findings if f.severity == "error")
        super().__init__(f"the filing is not ready: {errors} error(s)")


@dataclass(frozen=True)
class RequestResult:
    files: tuple[Path, ...]
    data: dict[str, bytes]  # file name -> the bytes written
    report: CheckReport
    packet: FilingPacket
    channel: ChannelAdvice


def prepare_request(
    path: Path,
    out: Path,
    today: date,
    rules: RuleBook,
    *,
    channel: Channel | None = None,
    processing_days: int | None = None,
) -> RequestResult:
    """Check the filing; when ready, write the request documents into ``out``."""
    from cocflow.documents import pdf as documents

    filing = _filing(path, today, rules)
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
        written = atomic_write_all(out, outputs)
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
    return RequestResult(tuple(written), outputs, report, packet, advice)
