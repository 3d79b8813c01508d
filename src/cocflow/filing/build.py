"""Preparing a request: the packet that is filed, and the pre-submit checklist.

Pure functions of a checked :class:`~cocflow.filing.checks.Filing`;
:mod:`cocflow.services.filing` writes the documents.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from cocflow.case import Address
from cocflow.countries import country_name
from cocflow.filing.checks import CheckReport, Filing, agreement_extras, online_fields
from cocflow.filing.packet import Channel, FilingPacket, Item, PostalAddress
from cocflow.filing.ssn import normalize
from cocflow.filing.timing import file_by
from cocflow.screening.coverage import residence_during

__all__ = ["build_packet", "checklist_markdown", "packet_json"]


def _plain(code: str) -> str:
    """The country name as printed in an address or a list ("United States")."""
    return country_name(code).removeprefix("the ")


def postal_address(a: Address | None) -> PostalAddress | None:
    """An address as printed: the country written out ("United States")."""
    if a is None:
        return None
    return PostalAddress(a.line1, a.city, _plain(a.country), a.line2, a.region, a.postal_code)


def _lines(a: Address | None) -> str:
    printed = postal_address(a)
    return ", ".join(printed.lines()) if printed else ""


def _answer(value: str | bool) -> str:
    if value is True:
        return "Yes, confirmed."
    if value is False:
        return "No."
    return value


def _period(f: Filing) -> tuple[date, date | None]:
    work = [e for _, e in f.work()]
    start = min(e.start for e in work)
    ends = [e.end for e in work]
    return start, None if any(e is None for e in ends) else max(e for e in ends if e)


def build_packet(f: Filing, channel: Channel, processing_days: int | None = None) -> FilingPacket:
    """The request as it will be filed (call only when the check report is ready)."""
    c = f.case
    person, business, employer = c.person, c.business, c.employer
    assert person is not None and person.full_legal_name and person.ssn
    start, end = _period(f)
    first = f.work()[0][1]
    work_name = _plain(first.country)
    homes, _ = residence_during(c, start, start)
    citizenship = ", ".join(_plain(x) for x in c.worker.citizenship or ())
    items = [
        Item("Full legal name", person.full_legal_name),
        Item("U.S. Social Security number", normalize(person.ssn)),
        Item("Citizenship", citizenship),
        Item("Date of birth", person.date_of_birth.isoformat() if person.date_of_birth else ""),
        Item("Place of birth", person.place_of_birth or ""),
        Item("Country of permanent residence", ", ".join(sorted(_plain(h) for h in homes))),
    ]
    if f.kind == "self_employed" and business is not None:
        items += [
            Item("Business (self-employment) name", business.legal_name or ""),
            Item("Business address in the United States", _lines(business.address)),
            Item("Nature of the self-employment", business.nature_of_activity or ""),
        ]
    elif employer is not None:
        items += [
            Item("Employer in the United States", f"{employer.name}, {_lines(employer.address)}"),
            Item(f"Employer's address in {work_name}", _lines(employer.host_address)),
            Item("Date of hire", employer.hired.isoformat() if employer.hired else ""),
            Item("Place of hire", employer.place_of_hire or ""),
        ]
    items += [
        Item("Country where the work is performed", work_name),
        Item("Beginning date of the work there", start.isoformat()),
        Item("Ending date of the work there", end.isoformat() if end else "not yet known"),
    ]
    extras = tuple(
        Item(x.text, _answer(c.extras[x.id])) for x in agreement_extras(f) if x.id in c.extras
    )
    process = f.rules.process
    timing = file_by(
        start, f.today, processing_days or process.processing_days.value, process.buffer_days
    )
    agreement = f.agreements()[0]
    sender = postal_address(business.address if business else None)
    return FilingPacket(
        prepared_on=f.today,
        channel=channel,
        worker_kind=f.case.kind,
        agreement_name=agreement.name,
        work_country_name=work_name,
        full_legal_name=person.full_legal_name,
        ssn=normalize(person.ssn),
        period_start=start,
        period_end=end,
        coverage_from=start,
        items=tuple(items),
        extras=extras,
        ssa_address=process.mail.value,
        ssa_fax=process.fax.value,
        online_url=process.online.value,
        sender_address=sender.lines() if sender else (),
        email=person.email,
        phone=person.phone,
        ask_email_confirmation=person.email is not None,
        file_by=timing.file_by,
        timing_note=timing.note,
        online_fields=online_fields(f),
    )


def packet_json(packet: FilingPacket, rules_version: str) -> dict[str, Any]:
    """``request.json``: exactly the data filed, for the proof file."""
    data = asdict(packet)
    for key in ("prepared_on", "period_start", "period_end", "coverage_from", "file_by"):
        value = data[key]
        data[key] = value.isoformat() if value else None
    return {"cocflow_request": 1, "rules_version": rules_version, **data}


# The seed's pre-submit review, each line marked from the findings that concern it.
CHECKLIST: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Screening says go: one work country, U.S. coverage assigned",
        ("SCREENING_NOT_GO", "WORK_COUNTRIES_SEVERAL"),
    ),
    (
        "Every required item is filled in, with the agreement's own extras",
        ("REQUIRED_FOR_FILING", "AGREEMENT_ITEM_MISSING"),
    ),
    (
        "The SSN is valid and matches the Social Security card",
        (
            "SSN_FORMAT",
            "SSN_INVALID_AREA",
            "SSN_INVALID_GROUP",
            "SSN_INVALID_SERIAL",
            "SSN_KNOWN_SAMPLE",
            "SSN_IS_ITIN",
            "SSN_IS_EIN",
            "SSN_DIFFERS_FROM_RECORD",
        ),
    ),
    (
        "Dates are real and agree everywhere (request, contract, passport)",
        ("DATE_DIFFERS", "DOB_IN_FUTURE", "DOB_IMPLAUSIBLE"),
    ),
    ("The business fields give your own U.S. business, not the client", ("BUSINESS_IS_CLIENT",)),
    (
        "The activity is described specifically, the same way everywhere",
        ("ACTIVITY_VAGUE", "ACTIVITY_DIFFERS"),
    ),
    ("The work country is where the work is physically performed", ("WORK_COUNTRY_DIFFERS",)),
    (
        "Names and addresses match the records, with no hidden characters",
        ("NAME_DIFFERS", "ADDRESS_DIFFERS", "TEXT_INVISIBLE_CHAR", "TEXT_MIXED_SCRIPT"),
    ),
    (
        "Nothing will be cut by the online form's field lengths",
        ("FIELD_TOO_LONG", "FIELD_CUT_LOSES_NAME"),
    ),
)


def checklist_markdown(report: CheckReport, packet: FilingPacket) -> str:
    lines = [
        f"# Filing checklist: {packet.subject}",
        "",
        f"Prepared on {packet.prepared_on}; channel: {packet.channel}.",
        "",
    ]
    for label, codes in CHECKLIST:
        hits = [f for f in report.findings if f.code in codes]
        errors = [f for f in hits if f.severity == "error"]
        mark = "x" if not hits else " "
        status = "" if not hits else (" (ERROR)" if errors else " (warning)")
        lines.append(f"- [{mark}] {label}{status}")
        lines += [f"  - {f.path}: {f.message} Fix: {f.fix}" for f in hits]
    lines += [
        "",
        "## Timing",
        "",
        packet.timing_note or "",
        "",
        "## Before you rely on the exemption",
        "",
        "- [ ] Keep the request, the confirmation or approval, and the certificate together.",
        "- [ ] Deliver the certificate to whoever asks for it, and keep proof of receipt.",
        "",
    ]
    return "\n".join(lines)
