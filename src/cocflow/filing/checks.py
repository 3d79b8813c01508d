"""Pre-submit checks of a filing: what would delay or sink the request, before SSA sees it.

Each check takes the :class:`Filing` context and returns findings (``path``, ``code``,
``severity``, ``message``, ``fix``). A filing is ``ready`` when no finding is an error. Messages
never show more than the last four digits of an SSN, nor a date of birth.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Literal

from cocflow.case import Address, Case, Engagement, Record, WorkerKind
from cocflow.countries import country_name
from cocflow.documents.latin1 import unprintable
from cocflow.filing.packet import OnlineField
from cocflow.filing.ssn import check_ssn, mask, normalize
from cocflow.filing.textnorm import (
    SPECIFIC_EXAMPLE,
    is_mixed_script,
    normalize_address,
    normalize_company,
    normalize_name,
    similarity,
    suspicious_characters,
    vague_activity,
)
from cocflow.rules.loader import RuleBook
from cocflow.rules.model import Agreement, RequestExtra
from cocflow.screening.decision import Decision

__all__ = [
    "CHECKS",
    "CheckReport",
    "Filing",
    "Finding",
    "agreement_extras",
    "check_filing",
    "online_fields",
]

Severity = Literal["error", "warning"]
YOUNGEST_WORKING_AGE = 14
ACTIVITY_SIMILARITY = 0.2


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    code: str
    severity: Severity
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class CheckReport:
    findings: tuple[Finding, ...]

    @property
    def ready(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"ready": self.ready, "findings": [f.as_dict() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class Filing:
    """Everything the checks look at: the case as written, its decision, the rules."""

    case: Case
    decision: Decision
    rules: RuleBook
    today: date

    @property
    def kind(self) -> WorkerKind:
        return self.case.kind

    def work(self) -> list[tuple[int, Engagement]]:
        """The engagements the request is about: those outside the United States."""
        us = self.rules.network.us_codes
        return [(i, e) for i, e in enumerate(self.case.engagements) if e.country not in us]

    def agreements(self) -> tuple[Agreement, ...]:
        countries = {e.country for _, e in self.work()}
        return tuple(a for c in sorted(countries) for a in self.rules.for_country(c))

    def records(self, *kinds: str) -> Iterator[tuple[int, Record]]:
        for i, r in enumerate(self.case.records):
            if not kinds or r.kind in kinds:
                yield i, r


def _error(path: str, code: str, message: str, fix: str) -> Finding:
    return Finding(path, code, "error", message, fix)


def _warning(path: str, code: str, message: str, fix: str) -> Finding:
    return Finding(path, code, "warning", message, fix)


# --- the checks ----------------------------------------------------------------------------


def check_screening(f: Filing) -> list[Finding]:
    countries = sorted({e.country for _, e in f.work()})
    if len(countries) > 1:
        return [
            _error(
                "engagements",
                "WORK_COUNTRIES_SEVERAL",
                f"The work is in several countries ({', '.join(countries)}): screening says pause.",
                "file nothing yet: run 'cocflow screen' and resolve the pause.",
            )
        ]
    if f.decision.outcome != "go":
        return [
            _error(
                "engagements",
                "SCREENING_NOT_GO",
                f"Screening says "
                f"{f.decision.outcome}, not go: there is no U.S. certificate to request "
                f"yet.",
                "run 'cocflow screen' and follow what it says first.",
            )
        ]
    return []


def _required_paths(f: Filing) -> list[tuple[str, Any, str]]:
    c = f.case
    person, business, employer = c.person, c.business, c.employer
    items: list[tuple[str, Any, str]] = [
        ("person.full_legal_name", (person.full_legal_name if person else None), "the passport"),
        ("person.ssn", (person.ssn if person else None), "the Social Security card"),
        ("person.date_of_birth", (person.date_of_birth if person else None), "the passport"),
        ("person.place_of_birth", (person.place_of_birth if person else None), "the passport"),
        ("worker.citizenship", c.worker.citizenship, "the passport"),
    ]
    if f.kind == "self_employed":
        items += [
            (
                "business.legal_name",
                (business.legal_name if business else None),
                "the business registration",
            ),
            (
                "business.address",
                (business.address if business else None),
                "the business registration",
            ),
            (
                "business.nature_of_activity",
                (business.nature_of_activity if business else None),
                "the business registration or the contract",
            ),
        ]
    else:
        items += [
            (
                "employer.address",
                (employer.address if employer else None),
                "the employment contract",
            ),
            (
                "employer.host_address",
                (employer.host_address if employer else None),
                "the assignment letter",
            ),
            ("employer.hired", (employer.hired if employer else None), "the employment contract"),
            (
                "employer.place_of_hire",
                (employer.place_of_hire if employer else None),
                "the employment contract",
            ),
        ]
    items += [(f"engagements[{i}].end", e.end, "the signed contract") for i, e in f.work()]
    return items


def agreement_extras(f: Filing) -> list[RequestExtra]:
    """The agreement's own request items for this worker."""
    return [x for a in f.agreements() for x in a.extras_for(f.kind, f.case.worker.citizenship)]


def _rule_conditions(f: Filing) -> set[str]:
    """The conditions of U.S. coverage in the rules that apply to this work (for example
    France's private health insurance, RS 02001.525 and RS 02001.530)."""
    found: set[str] = set()
    for _, e in f.work():
        for agreement in f.rules.for_country(e.country):
            entry = agreement.rule_on(f.kind, e.start)
            if entry is not None:
                found |= {c.id for c in entry.conditions}
                found |= {c.id for r in entry.readings for c in r.conditions}
    return found


def check_required(f: Filing) -> list[Finding]:
    found = [
        _error(
            path,
            "REQUIRED_FOR_FILING",
            "The request needs this item.",
            f"add it, copied from {source}.",
        )
        for path, value, source in _required_paths(f)
        if value in (None, "", ())
    ]
    conditions = _rule_conditions(f)
    for extra in agreement_extras(f):
        if extra.id in f.case.extras:
            continue
        required = extra.confidence == "high" or extra.proves_condition in conditions
        make = _error if required else _warning
        verify = (
            "" if required else f" (the sources for this item are {extra.confidence}: verify it)"
        )
        found.append(
            make(
                f"extras.{extra.id}",
                "AGREEMENT_ITEM_MISSING",
                f"Under this agreement the request needs: {extra.text}{verify}",
                f"add extras.{extra.id} to the case file.",
            )
        )
    return found


def check_ssn_field(f: Filing) -> list[Finding]:
    person = f.case.person
    if person is None or not person.ssn:
        return []
    problem = check_ssn(person.ssn)
    if problem is not None:
        return [_error("person.ssn", problem.code, problem.message, problem.fix)]
    found = []
    for i, record in f.records():
        theirs = re.sub(r"\D", "", record.ssn or "")
        if record.ssn and theirs != re.sub(r"\D", "", person.ssn):
            found.append(
                _error(
                    "person.ssn",
                    "SSN_DIFFERS_FROM_RECORD",
                    f"The SSN ({mask(person.ssn)}) is not the one on the "
                    f"{_record(record.kind)} (records[{i}]: "
                    f"{mask(record.ssn)}).",
                    "copy the number from the card.",
                )
            )
    return found


def _dob_parts(a: date, b: date) -> str:
    parts = [
        name
        for name, x, y in (
            ("year", a.year, b.year),
            ("month", a.month, b.month),
            ("day", a.day, b.day),
        )
        if x != y
    ]
    return " and ".join(parts)


def check_dates(f: Filing) -> list[Finding]:
    found: list[Finding] = []
    person = f.case.person
    dob = person.date_of_birth if person else None
    if dob is not None:
        start = min((e.start for _, e in f.work()), default=f.today)
        if dob > f.today:
            found.append(
                _error(
                    "person.date_of_birth",
                    "DOB_IN_FUTURE",
                    "The date of birth is in the future.",
                    "copy it from the passport.",
                )
            )
        elif (start - dob).days < YOUNGEST_WORKING_AGE * 365:
            found.append(
                _warning(
                    "person.date_of_birth",
                    "DOB_IMPLAUSIBLE",
                    f"The person would be under {YOUNGEST_WORKING_AGE} when the work starts.",
                    "check the date of birth against the passport.",
                )
            )
        for i, record in f.records():
            if record.date_of_birth and record.date_of_birth != dob:
                parts = _dob_parts(dob, record.date_of_birth)
                found.append(
                    _error(
                        "person.date_of_birth",
                        "DATE_DIFFERS",
                        f"The date of "
                        f"birth differs from the {_record(record.kind)} "
                        f"(records[{i}]) in the {parts}.",
                        "use the date exactly as the passport shows it.",
                    )
                )
    for i, record in f.records("contract"):
        match = _engagement_for(f, record)
        if match is None:
            continue
        j, e = match
        for name, ours, theirs in (("start", e.start, record.start), ("end", e.end, record.end)):
            if theirs is not None and ours != theirs:
                found.append(
                    _error(
                        f"engagements[{j}].{name}",
                        "DATE_DIFFERS",
                        f"The request "
                        f"says {ours or 'no end'}; the signed contract "
                        f"(records[{i}]) says {theirs}.",
                        "use the dates of the "
                        "signed contract everywhere, or get the contract amended.",
                    )
                )
    return found


def _engagement_for(f: Filing, record: Record) -> tuple[int, Engagement] | None:
    work = f.work()
    if record.client_name:
        named = [
            (i, e)
            for i, e in work
            if e.client
            and e.client.name
            and normalize_company(e.client.name) == normalize_company(record.client_name)
        ]
        if named:
            return named[0]
    return work[0] if len(work) == 1 else None


def check_business_vs_client(f: Filing) -> list[Finding]:
    business = f.case.business
    if f.kind != "self_employed" or business is None or not business.legal_name:
        return []
    ours = normalize_company(business.legal_name)
    clients = [e.client.name for _, e in f.work() if e.client and e.client.name]
    clients += [r.client_name for _, r in f.records("contract") if r.client_name]
    for client in clients:
        if normalize_company(client) == ours:
            return [
                _error(
                    "business.legal_name",
                    "BUSINESS_IS_CLIENT",
                    f"The business name '{business.legal_name}' is the client's ('{client}').",
                    "give your "
                    "own U.S. business (or your own name as a sole proprietor): the "
                    "request is about your business, not your client's.",
                )
            ]
    return []


def check_business_address(f: Filing) -> list[Finding]:
    """A U.S. certificate for self-employment is about the U.S. business: its address, not the
    client's, goes on the request."""
    business = f.case.business
    if f.kind != "self_employed" or business is None or business.address is None:
        return []
    country = business.address.country
    if country in f.rules.network.us_codes:
        return []
    return [
        _error(
            "business.address",
            "BUSINESS_ADDRESS_NOT_US",
            f"The business address is in {country_name(country)}: the request is about your "
            f"U.S. business, and SSA certifies U.S. coverage of a business carried on in the "
            f"United States.",
            "give the address of your U.S. business (as a sole proprietor, your U.S. address), "
            "not the client's or the one abroad.",
        )
    ]


def check_activity(f: Filing) -> list[Finding]:
    found: list[Finding] = []
    business = f.case.business
    described: list[tuple[str, str]] = []
    if business and business.nature_of_activity:
        described.append(("business.nature_of_activity", business.nature_of_activity))
        reason = vague_activity(business.nature_of_activity)
        if reason:
            found.append(
                _error(
                    "business.nature_of_activity",
                    "ACTIVITY_VAGUE",
                    f"The activity '{business.nature_of_activity}' is too vague: {reason}.",
                    f"say what you do, for whom and with what, e.g. '{SPECIFIC_EXAMPLE}'.",
                )
            )
    described += [
        (f"engagements[{i}].description", e.description) for i, e in f.work() if e.description
    ]
    described += [
        (f"records[{i}].description", r.description)
        for i, r in f.records("contract")
        if r.description
    ]
    for (path_a, a), (path_b, b) in pairwise(described):
        if similarity(a, b) < ACTIVITY_SIMILARITY:
            found.append(
                _warning(
                    path_b,
                    "ACTIVITY_DIFFERS",
                    f"The activity is described differently here ('{b}') and at {path_a} ('{a}').",
                    "describe the same activity in the same words everywhere.",
                )
            )
    return found


def check_work_country(f: Filing) -> list[Finding]:
    found = []
    for i, record in f.records("contract"):
        match = _engagement_for(f, record)
        if record.country and match and record.country != match[1].country:
            j, e = match
            found.append(
                _error(
                    f"engagements[{j}].country",
                    "WORK_COUNTRY_DIFFERS",
                    f"The "
                    f"request names {e.country}; the contract (records[{i}]) says "
                    f"the work is performed in {record.country}.",
                    "name the country where the work is physically performed, as in the contract.",
                )
            )
    return found


def _text_findings(path: str, text: str) -> list[Finding]:
    found = []
    odd = suspicious_characters(text)
    if odd:
        position, char, kind = odd[0]
        found.append(
            _error(
                path,
                "TEXT_INVISIBLE_CHAR",
                f"It contains an {kind} character ({char}) at position {position + 1}.",
                "retype it without copying and pasting.",
            )
        )
    if is_mixed_script(text):
        found.append(
            _error(
                path,
                "TEXT_MIXED_SCRIPT",
                "It mixes letters of different "
                "alphabets (for example a Cyrillic letter that looks Latin).",
                "retype it with one keyboard layout.",
            )
        )
    return found


RECORD_NAMES = {
    "ssn_card": "Social Security card",
    "business_registration": "business registration",
}


def _record(kind: str) -> str:
    return RECORD_NAMES.get(kind, kind.replace("_", " "))


def _visible(text: str) -> str:
    """The text with hidden characters shown as code points, for messages."""
    hidden = {pos for pos, _, _ in suspicious_characters(text)}
    return "".join(f"<U+{ord(c):04X}>" if i in hidden else c for i, c in enumerate(text))


def _compare(
    path: str,
    ours: str,
    record: tuple[int, Record],
    theirs: str,
    *,
    normal: Callable[[str], str],
    severity: Severity,
) -> Finding | None:
    index, record_ = record
    if normal(ours) == normal(theirs):
        return None
    where = f"the {_record(record_.kind)} (records[{index}])"
    return Finding(
        path,
        "NAME_DIFFERS" if "name" in path else "ADDRESS_DIFFERS",
        severity,
        f"'{_visible(ours)}' here, '{_visible(theirs)}' on {where}.",
        f"write it exactly as on {where}.",
    )


def _address_text(a: Address) -> str:
    return " ".join(x for x in (a.line1, a.line2, a.city, a.region, a.postal_code, a.country) if x)


def _initials_of(ours: str, theirs: str) -> bool:
    """Whether ``ours`` is ``theirs`` with some names shortened to their initial ("Jane Q. Doe"
    for "Jane Quinn Doe"): the same person, written the way many forms ask."""
    a, b = normalize_name(ours).split(), normalize_name(theirs).split()
    return len(a) == len(b) and all(
        x == y or (len(x) == 1 and y.startswith(x)) for x, y in zip(a, b, strict=True)
    )


def _name_settled(f: Filing, name: str | None) -> bool:
    """The name is as on the Social Security card, which governs the name SSA matches."""
    return bool(name) and any(
        r.full_legal_name and normalize_name(r.full_legal_name) == normalize_name(name or "")
        for _, r in f.records("ssn_card")
    )


def check_names_and_addresses(f: Filing) -> list[Finding]:
    found: list[Finding] = []
    person, business, employer = f.case.person, f.case.business, f.case.employer
    name = person.full_legal_name if person else None
    settled = _name_settled(f, name)
    for path, value in (
        ("person.full_legal_name", (person.full_legal_name if person else None)),
        ("business.legal_name", (business.legal_name if business else None)),
        ("employer.name", (employer.name if employer else None)),
    ):
        if value:
            found += _text_findings(path, value)
    for i, r in f.records():
        pairs: list[tuple[str, str | None, str | None, Callable[[str], str], Severity]] = [
            (
                "person.full_legal_name",
                (person.full_legal_name if person else None),
                r.full_legal_name,
                normalize_name,
                "error" if r.kind == "ssn_card" else "warning",
            ),
            (
                "person.place_of_birth",
                (person.place_of_birth if person else None),
                r.place_of_birth,
                normalize_address,
                "warning",
            ),
            (
                "business.legal_name",
                (business.legal_name if business else None),
                r.legal_name,
                normalize_company,
                "warning",
            ),
        ]
        if business and business.address and r.address:
            pairs.append(
                (
                    "business.address",
                    _address_text(business.address),
                    _address_text(r.address),
                    normalize_address,
                    "warning",
                )
            )
        for path, ours, theirs, normal, severity in pairs:
            # The card governs the name; another document may spell out what the card shortens.
            spelled_out = ours and theirs and (settled or _initials_of(ours, theirs))
            if path == "person.full_legal_name" and r.kind != "ssn_card" and spelled_out:
                continue
            if ours and theirs:
                finding = _compare(path, ours, (i, r), theirs, normal=normal, severity=severity)
                if finding:
                    found.append(finding)
    return found


def online_fields(f: Filing) -> tuple[OnlineField, ...]:
    """The fields of SSA's online form, with the assumed length limits."""
    limits = f.rules.process.field_limits.fields
    person, business, employer = f.case.person, f.case.business, f.case.employer
    rows: list[tuple[str, str | None, str | None]] = [
        ("Full legal name", (person.full_legal_name if person else None), "full_legal_name"),
        (
            "Social Security number",
            normalize(person.ssn) if person and person.ssn else None,
            None,
        ),
        ("Place of birth", (person.place_of_birth if person else None), "place_of_birth"),
    ]
    if f.kind == "self_employed" and business:
        address = business.address
        rows += [
            ("Business name", business.legal_name, "business_legal_name"),
            ("Business address line 1", (address.line1 if address else None), "address_line"),
            ("Business address line 2", (address.line2 if address else None), "address_line"),
            ("Business city", (address.city if address else None), "city"),
            ("Business postal code", (address.postal_code if address else None), "postal_code"),
            ("Nature of the activity", business.nature_of_activity, "nature_of_activity"),
        ]
    if f.kind == "employee" and employer:
        rows += [("Employer name", employer.name, "employer_name")]
    work = f.work()
    if work:
        starts = [e.start for _, e in work]
        ends = [e.end for _, e in work]
        end = None if None in ends else max(e for e in ends if e)
        rows += [
            (
                "Date of birth",
                person.date_of_birth.isoformat() if person and person.date_of_birth else None,
                None,
            ),
            ("Citizenship", ", ".join(f.case.worker.citizenship or ()), None),
            ("Country of work", work[0][1].country, None),
            ("Beginning date", min(starts).isoformat(), None),
            ("Ending date", end.isoformat() if end else None, None),
        ]
    return tuple(
        OnlineField(label, value, limits.get(key) if key else None)
        for label, value, key in rows
        if value
    )


_FIELD_PATHS = {
    "Full legal name": "person.full_legal_name",
    "Place of birth": "person.place_of_birth",
    "Business name": "business.legal_name",
    "Business address line 1": "business.address.line1",
    "Business address line 2": "business.address.line2",
    "Business city": "business.address.city",
    "Business postal code": "business.address.postal_code",
    "Nature of the activity": "business.nature_of_activity",
    "Employer name": "employer.name",
}


def check_field_lengths(f: Filing) -> list[Finding]:
    found = []
    note = "SSA publishes no limits; this one is cocflow's assumption (a setting)"
    for field in online_fields(f):
        cut = field.cut
        if cut is None:
            continue
        path = _FIELD_PATHS.get(field.label, field.label)
        surname = field.value.split()[-1] if field.value.split() else ""
        if field.label == "Full legal name" and surname not in cut.split():
            found.append(
                _error(
                    path,
                    "FIELD_CUT_LOSES_NAME",
                    f"The online form would keep "
                    f"only '{cut}' ({len(field.value)} characters, limit "
                    f"{field.limit}; {note}): the surname is lost.",
                    "file by mail or fax, or use the name exactly as SSA's records have it.",
                )
            )
        else:
            found.append(
                _warning(
                    path,
                    "FIELD_TOO_LONG",
                    f"The online form may keep only "
                    f"'{cut}' ({len(field.value)} characters, limit "
                    f"{field.limit}; {note}).",
                    "shorten it in a way that still identifies you, or file by mail or fax.",
                )
            )
    return found


def check_printable(f: Filing) -> list[Finding]:
    """Values the letter's font cannot print (it would show "???" in their place)."""
    found = []
    for field in online_fields(f):
        lost = unprintable(field.value)
        if lost:
            path = _FIELD_PATHS.get(field.label, field.label)
            shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in lost[:5])
            found.append(
                _error(
                    path,
                    "NOT_PRINTABLE",
                    f"The request letter cannot print {shown}: it would show '?' instead.",
                    "write the value in Latin letters, as on the passport's machine-readable "
                    "lines (for example Tokyo, Japan).",
                )
            )
    return found


CHECKS: tuple[Callable[[Filing], list[Finding]], ...] = (
    check_screening,
    check_required,
    check_ssn_field,
    check_dates,
    check_business_vs_client,
    check_business_address,
    check_activity,
    check_work_country,
    check_names_and_addresses,
    check_field_lengths,
    check_printable,
)


def check_filing(filing: Filing) -> CheckReport:
    """Run every check; errors first, then warnings, each in the order of the checks."""
    findings = [finding for check in CHECKS for finding in check(filing)]
    findings.sort(key=lambda x: x.severity != "error")
    return CheckReport(tuple(findings))
