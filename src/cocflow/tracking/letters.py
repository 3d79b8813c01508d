"""The follow-up letters to SSA, in the person's own voice: an extension or a correction.

An extension asks for the days after the certificates on file end, up to the stay's new end; a
correction says what is no longer true and asks for the certificate to match. Each letter
carries the sender's full postal address, the earlier request's control number and the periods,
so SSA can find the first request. Pure: the case and the certificates in, the letter out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from cocflow.case import Address, Case
from cocflow.countries import country_name
from cocflow.documents.pdf import ChangeLetter, long_date
from cocflow.filing.build import postal_address
from cocflow.filing.packet import Item
from cocflow.tracking.certificates import Certificate

__all__ = ["FollowUp", "follow_up_letter", "postal_lines"]

LetterKind = Literal["extension", "correction"]


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The letter, and the period it asks SSA to certify (recorded as a request)."""

    letter: ChangeLetter
    kind: LetterKind
    country: str | None
    period_start: date | None
    period_end: date | None


def postal_lines(address: Address | None) -> tuple[str, ...]:
    """An address as printed lines, the country written out."""
    printed = postal_address(address)
    return printed.lines() if printed else ()


def _d(day: date | None, empty: str) -> str:
    return long_date(day) if day else empty


def _sender(case: Case) -> tuple[str, ...]:
    if case.business is not None and case.business.address is not None:
        return postal_lines(case.business.address)
    addresses = [r.address for r in case.records if r.address is not None]
    return postal_lines(addresses[0]) if addresses else ()


def follow_up_letter(
    case: Case,
    certificates: Sequence[Certificate],
    kind: LetterKind,
    *,
    ssn: str | None,
    ssa_address: tuple[str, ...],
    us_codes: frozenset[str],
    today: date,
    residence_moved: bool = False,
) -> FollowUp:
    """The extension or correction letter for ``case``, given the certificates on file."""
    person = case.person
    name = person.full_legal_name if person and person.full_legal_name else "(name)"
    latest = certificates[-1] if certificates else None
    country = latest.country if latest else None
    where = country_name(country) if country else "the other country"
    mine = [c for c in certificates if c.country == country and c.start]
    first = min((c.start for c in mine if c.start), default=None)
    ends = [c.end for c in mine]
    last = None if not ends or None in ends else max(e for e in ends if e)
    stays = [e for e in case.engagements if e.country == country] or [
        e for e in case.engagements if e.country not in us_codes
    ]
    work_start = min((e.start for e in stays), default=None)
    open_ended = any(e.end is None for e in stays)
    work_end = None if open_ended else max((e.end for e in stays if e.end), default=None)
    control = latest.control_number if latest and latest.control_number else None
    earlier = f" (control number {control})" if control else ""
    held = f"from {_d(first, '')} to {_d(last, 'no end date')}" if first else "for a period"
    opening = (
        f"You issued a certificate of U.S. coverage for my work in {where}, {held}, in answer "
        f"to my earlier request{earlier}."
    )
    items = [Item("Full legal name", name), Item("U.S. Social Security number", ssn or "")]
    items.append(Item("Earlier request (control number)", control or "not recorded"))
    items.append(Item("Country of work", where))
    items.append(
        Item("Certificate period on file", f"{_d(first, '?')} to {_d(last, 'no end date')}")
    )
    if kind == "extension":
        start = last + timedelta(days=1) if last else work_start
        asked = f"{_d(start, '?')} to {_d(work_end, 'no end date yet')}"
        items.append(Item("Period to cover", asked))
        subject = f"Request to extend my certificate of U.S. coverage for work in {where}"
        paragraphs = (
            opening,
            f"My work in {where} now continues "
            + (f"until {_d(work_end, '')}." if work_end else "with no end date fixed yet.")
            + f" I ask you to extend the certificate to cover {_d(start, '?')} to "
            f"{_d(work_end, 'the end of the work')}, or, if the agreement's limit does not "
            "allow that, to tell me how to ask for an exception agreed by both countries.",
            "My details are below. Please send the extended certificate to the address above.",
        )
        period = (start, work_end)
    else:
        changes = _changes(
            case,
            mine,
            work_start=work_start,
            work_end=work_end,
            where=where,
            residence_moved=residence_moved,
        )
        items.append(
            Item("Work period now", f"{_d(work_start, '?')} to {_d(work_end, 'no end date yet')}")
        )
        subject = f"Correction of my certificate of U.S. coverage for work in {where}"
        paragraphs = (
            opening,
            "Since then, " + " ".join(changes),
            "I ask you to correct the certificate so that it matches the details below, and "
            "to send the corrected certificate to the address above.",
        )
        period = (work_start, work_end)
    letter = ChangeLetter(
        prepared_on=today,
        full_legal_name=name,
        sender_address=_sender(case),
        ssa_address=ssa_address,
        subject=subject,
        paragraphs=paragraphs,
        items=tuple(items),
    )
    return FollowUp(letter, kind, country, period[0], period[1])


def _changes(
    case: Case,
    certificates: Sequence[Certificate],
    *,
    work_start: date | None,
    work_end: date | None,
    where: str,
    residence_moved: bool,
) -> list[str]:
    """What is no longer as certified, in the first person."""
    said: list[str] = []
    first = min((c.start for c in certificates if c.start), default=None)
    ends = [c.end for c in certificates]
    last = None if not ends or None in ends else max(e for e in ends if e)
    if work_start and first and work_start < first:
        said.append(f"my work in {where} began on {_d(work_start, '')}, before {_d(first, '')}.")
    if work_end and last and work_end < last:
        said.append(f"my work in {where} ends on {_d(work_end, '')}, earlier than {_d(last, '')}.")
    latest_home = case.worker.residence[-1] if case.worker.residence else None
    if residence_moved and latest_home is not None:
        said.append(f"I live in {country_name(latest_home.country)} (since {latest_home.start}).")
    return said or ["the facts of my request changed as set out below."]
