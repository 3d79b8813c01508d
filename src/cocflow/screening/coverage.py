"""Applying one rule reading to one stay: which country's system covers the work.

Each rule function returns a :class:`Finding`. A decisive answer for the other country
(``foreign``) is returned at once; facts that are missing or unclear are gathered, so that a
pause lists every missing fact at once rather than one per run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cocflow.case import Case, Engagement
from cocflow.countries import country_name
from cocflow.dates import Fit, add_months, fit_within, limit_window, next_day
from cocflow.rules.model import Agreement, Document, RuleSpec
from cocflow.screening.decision import Certificate, Coverage, Reason
from cocflow.screening.postings import Posting

__all__ = ["Finding", "Stay", "apply_rule", "residence_during"]


@dataclass(slots=True)
class Finding:
    coverage: Coverage
    certificate: Certificate
    reasons: list[Reason] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    limit_last_day: date | None = None
    limit_from: date | None = None
    document: Document | None = None  # what proves the coverage when no certificate is issued


@dataclass(slots=True)
class Stay:
    """What a rule needs to know about one engagement."""

    index: int
    engagement: Engagement
    case: Case
    agreement: Agreement
    posting: Posting
    us_codes: frozenset[str]
    limit_last_day: date | None = None  # set by _limit: the last day the posting may end
    limit_from: date | None = None  # ... counted from this day

    @property
    def where(self) -> str:
        return country_name(self.engagement.country)

    def is_us(self, code: str | None) -> bool:
        return code in self.us_codes


class _Gaps:
    """Unclear or missing facts found so far for one stay."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        self.missing: list[str] = []

    def add(self, found: Finding | None) -> Finding | None:
        """Keep an undetermined finding; hand back a decisive one."""
        if found is None or found.coverage != "undetermined":
            return found
        self.reasons += found.reasons
        self.missing += found.missing
        return None

    def result(self, otherwise: Finding) -> Finding:
        if self.reasons:
            return Finding("undetermined", "undetermined", self.reasons, self.missing)
        return otherwise


def _unclear(code: str, text: str, src: tuple[str, ...], *missing: str) -> Finding:
    return Finding("undetermined", "undetermined", [Reason(code, text, src)], list(missing))


def _foreign(code: str, text: str, src: tuple[str, ...], cert: Certificate = "foreign") -> Finding:
    return Finding("foreign", cert, [Reason(code, text, src)])


def _us(code: str, text: str, src: tuple[str, ...]) -> Finding:
    return Finding("us", "us", [Reason(code, text, src)])


def residence_during(case: Case, start: date, end: date | None) -> tuple[set[str], bool]:
    """The countries of residence over ``[start, end]`` and whether every day is covered."""
    countries: set[str] = set()
    cursor: date | None = start  # first day not yet known
    for row in sorted(case.worker.residence, key=lambda r: r.start):
        if row.end is not None and row.end < start:
            continue
        if end is not None and row.start > end:
            break
        countries.add(row.country)
        if cursor is not None and row.start <= cursor:
            cursor = None if row.end is None else max(cursor, next_day(row.end))
            if cursor == date.max and row.end == date.max:
                cursor = None
    complete = cursor is None or (end is not None and cursor > end)
    return countries, complete


def _moved_from_us(
    stay: Stay, src: tuple[str, ...], what: str, began: date | None
) -> Finding | None:
    """A posting or transfer moves work from the U.S.: where did the person live before?

    The last residence before the stay outside the work country decides; a move into the
    work country shortly before the work starts is normal. An employee may be sent through a
    third country, by the employer they already worked for in the United States (the detached-
    worker sections: "directly, or after working in a third country"). Living in the work
    country since before the job began means nothing was moved from the United States (pause);
    since before the business began, the business was never carried on in the United States,
    so the transfer exception cannot apply and the place of work covers it.
    """
    country = stay.engagement.country
    earlier = sorted(
        (r for r in stay.case.worker.residence if r.start < stay.posting.start),
        key=lambda r: r.start,
        reverse=True,
    )
    for row in earlier:
        if row.country == country:
            if began is not None and row.start <= began and what == "business":
                return _foreign(
                    "SE_NOT_TRANSFERRED",
                    f"The person has lived in {stay.where} since {row.start}, before the "
                    f"business began on {began}: it was not moved from the United States, so "
                    f"the transfer exception does not apply and {stay.where} covers "
                    f"self-employment performed there.",
                    src,
                )
            if began is not None and row.start <= began:
                return _unclear(
                    "NOT_MOVING_FROM_US",
                    f"The person has lived in {stay.where} "
                    f"since {row.start}, before the {what} began on {began}: the "
                    f"rule is for work moved from the United States, so it may not "
                    f"apply.",
                    src,
                )
            continue
        if stay.is_us(row.country):
            return None
        if what == "job" and _lived_in_us_in_the_job(stay, began):
            continue  # sent on by the same employer through a third country
        return _unclear(
            "NOT_MOVING_FROM_US",
            f"The person lived in {country_name(row.country)} "
            f"before the stay in {stay.where}: the rule is for work moved from the "
            f"United States, so it may not apply.",
            src,
        )
    return None


def _lived_in_us_in_the_job(stay: Stay, hired: date | None) -> bool:
    """Whether the person lived in the United States while already in this job."""
    if hired is None:
        return False
    return any(
        stay.is_us(r.country) and (r.end is None or r.end >= hired) and r.start < stay.posting.start
        for r in stay.case.worker.residence
    )


def _limit(
    stay: Stay, spec: RuleSpec, src: tuple[str, ...], over: str, open_ended: str
) -> Finding | None:
    """Judge the posting's expected length against the limit; ``None`` when within it."""
    months = spec.limit_months
    assert months is not None
    posting = stay.posting
    eif = stay.agreement.entry_into_force
    first_day = max(posting.start, eif.value) if eif else posting.start
    counted = f"counted from {first_day}"
    if posting.members > 1:
        counted += ", with the stays in the same country that count as one posting"
    _note_limit(stay, posting.earlier_start or first_day, months)
    series = _series_window(stay, spec)
    if posting.end is None:
        return _unclear(
            open_ended,
            f"The stay in {stay.where} has no planned end, so it cannot be shown to stay within "
            f"the {months}-month limit.",
            src,
            f"engagements[{stay.index}].end",
        )
    fit = fit_within(first_day, posting.end, months)
    if fit is Fit.AMBIGUOUS:
        return _unclear(
            "LIMIT_BOUNDARY_AMBIGUOUS",
            f"The end date {posting.end} falls on a day the month arithmetic leaves open for a "
            f"{months}-month limit {counted}.",
            src,
        )
    if fit is Fit.OVER:
        return _foreign(
            over,
            f"The stay in {stay.where} is expected to last past the {months}-month limit "
            f"({counted} to {posting.end}); {stay.where} covers all of it.",
            src,
        )
    if series is not None:
        return _repeated(stay, spec, src, series)
    if posting.earlier_start and fit_within(posting.earlier_start, posting.end, months) is not (
        Fit.WITHIN
    ):
        return _unclear(
            "REPEATED_POSTING_UNCLEAR",
            f"Together with the earlier stay in {stay.where} from {posting.earlier_start}, the "
            f"work exceeds the {months}-month limit, and the sources do not say whether the "
            f"stays count separately.",
            src,
        )
    return None


def _note_limit(stay: Stay, since: date, months: int) -> None:
    """Keep the earliest last day the limits allow (for ``go_if``), and where it is counted from."""
    last_day = limit_window(since, months)[0]
    if stay.limit_last_day is None or last_day < stay.limit_last_day:
        stay.limit_last_day, stay.limit_from = last_day, since


def _series_window(stay: Stay, spec: RuleSpec) -> date | None:
    """A later posting under a repeated-posting rule: the day its window is counted from."""
    rule, posting = spec.repeated_posting, stay.posting
    if rule is None or posting.first_start is None:
        return None
    eif = stay.agreement.entry_into_force
    since = max(posting.first_start, eif.value) if eif else posting.first_start
    _note_limit(stay, since, rule.within_months_of_first_start)
    return since


def _repeated(stay: Stay, spec: RuleSpec, src: tuple[str, ...], since: date) -> Finding | None:
    """A later posting, less than the gap after the previous one: it must end in the window."""
    rule, posting = spec.repeated_posting, stay.posting
    assert rule is not None and posting.end is not None and posting.previous_end is not None
    months = rule.within_months_of_first_start
    fit = fit_within(since, posting.end, months)
    earlier = (
        f"it starts on {posting.start}, less than {rule.min_gap_months} months after the "
        f"previous posting ended on {posting.previous_end}"
    )
    if fit is Fit.AMBIGUOUS:
        return _unclear(
            "LIMIT_BOUNDARY_AMBIGUOUS",
            f"The end date {posting.end} falls on a day the month arithmetic leaves open for "
            f"the {months} months counted from the first posting's start on {since}.",
            src,
        )
    if fit is Fit.OVER:
        return _foreign(
            "REPEATED_POSTING_OVER",
            f"This is a later posting to {stay.where} ({earlier}): it keeps U.S. coverage only "
            f"if it ends within {months} months of the first posting's start on {since}, and "
            f"it ends on {posting.end}. {stay.where} covers this posting.",
            src,
        )
    origin = posting.origin_start
    if origin is not None and fit_within(origin, posting.end, months) is not Fit.WITHIN:
        return _unclear(
            "REPEATED_POSTING_UNCLEAR",
            f"This later posting to {stay.where} ends within {months} months of the start of "
            f"its own series of postings ({since}) but not of the very first posting "
            f"({origin}); the sources do not say which one a later posting is measured from.",
            src,
        )
    return None


def _conditions(stay: Stay, spec: RuleSpec, src: tuple[str, ...], gaps: _Gaps) -> Finding | None:
    citizenship = stay.case.worker.citizenship or ()
    for cond in spec.conditions:
        if cond.only_if_national_of_neither and any(
            stay.is_us(c) or c == stay.engagement.country for c in citizenship
        ):
            continue
        answer = stay.case.worker.statements.get(cond.id)
        if answer is None:
            gaps.add(
                _unclear(
                    "CONDITION_UNANSWERED",
                    f"U.S. coverage also needs this: {cond.text}",
                    src,
                    f"worker.statements.{cond.id}",
                )
            )
        elif not answer:
            return _foreign(
                "CONDITION_NOT_MET",
                f"U.S. coverage needs this, and the case says it does not hold: {cond.text}",
                src,
            )
    return None


def _employer(stay: Stay, src: tuple[str, ...]) -> Finding | None:
    country = stay.case.employer_country
    if country == stay.engagement.country:
        return _foreign(
            "EMP_LOCAL_HIRE",
            f"The employer is in {stay.where}: a worker hired there is covered by {stay.where}.",
            src,
            cert="none",
        )
    if not stay.is_us(country):
        return _unclear(
            "EMP_EMPLOYER_THIRD_COUNTRY",
            f"The employer is in "
            f"{country_name(country or '')}, neither the United States nor "
            f"{stay.where}; U.S. coverage abroad needs a U.S. employer (or a covered "
            f"foreign affiliate).",
            src,
        )
    return None


def _detachment(stay: Stay, spec: RuleSpec, src: tuple[str, ...]) -> Finding:
    case, gaps = stay.case, _Gaps()
    if spec.not_for_crews and case.worker.ship_or_aircraft_crew:
        return _unclear(
            "CREW_OUTSIDE_DETACHMENT",
            f"The detached-worker rule of the agreement with {stay.where} does not apply to "
            f"officers or crew members of a ship or aircraft, and the agreement's rule for "
            f"crews is not in cocflow's data: ask SSA which country covers this work.",
            src,
        )
    decisive = gaps.add(_employer(stay, src))
    if decisive:
        return decisive
    if case.employer_hired is None:
        gaps.add(
            _unclear(
                "EMP_HIRE_DATE_UNKNOWN",
                "A posting keeps U.S. coverage only for a "
                "job that existed before the transfer; the hire date is missing.",
                src,
                "employer.hired",
            )
        )
    elif case.employer_hired >= stay.posting.start:
        return _foreign(
            "EMP_HIRED_AFTER_START",
            f"The job began on {case.employer_hired}, not "
            f"before the work in {stay.where} started on {stay.posting.start}: this "
            f"is not a posting, and {stay.where} covers the work.",
            src,
        )
    gaps.add(_moved_from_us(stay, src, "job", case.employer_hired))
    decisive = gaps.add(_limit(stay, spec, src, "EMP_DETACHED_OVER_LIMIT", "EMP_OPEN_ENDED"))
    decisive = decisive or _conditions(stay, spec, src, gaps)
    return decisive or gaps.result(
        _us(
            "EMP_DETACHED_WITHIN_LIMIT",
            f"A U.S. employer sends the worker to {stay.where} for an "
            f"expected {spec.limit_months} months or less: U.S. coverage continues.",
            src,
        )
    )


def _transfer(stay: Stay, spec: RuleSpec, src: tuple[str, ...]) -> Finding:
    case, gaps = stay.case, _Gaps()
    since = case.business_operating_since
    if since is None:
        gaps.add(
            _unclear(
                "SE_BUSINESS_START_UNKNOWN",
                "Self-employment keeps U.S. coverage "
                "here only for a U.S. business that operated before the move; the "
                "date it began is missing.",
                src,
                "business.operating_since",
            )
        )
    elif since >= stay.posting.start:
        return _foreign(
            "SE_NO_PRIOR_BUSINESS",
            f"The business began on {since}, not before the "
            f"work in {stay.where} started: {stay.where} covers self-employment "
            f"performed there.",
            src,
        )
    where = case.business_address_country
    if where is not None and not stay.is_us(where):
        gaps.add(
            _unclear(
                "SE_BUSINESS_NOT_IN_US",
                f"The business's address is in "
                f"{country_name(where)}: the transfer rule keeps U.S. coverage only "
                f"for a business normally carried on in the United States.",
                src,
            )
        )
    decisive = gaps.add(_moved_from_us(stay, src, "business", since))
    if decisive:
        return decisive
    decisive = gaps.add(_limit(stay, spec, src, "SE_TRANSFER_OVER_LIMIT", "SE_TRANSFER_OPEN_ENDED"))
    decisive = decisive or _conditions(stay, spec, src, gaps)
    result = decisive or gaps.result(
        _us(
            "SE_TRANSFER_WITHIN_LIMIT",
            f"A U.S. business operating since {since} moves to "
            f"{stay.where} for an expected {spec.limit_months} months or less: U.S. coverage "
            f"continues.",
            src,
        )
    )
    if result.coverage == "us" and since is not None and add_months(since, 12) > stay.posting.start:
        result.reasons.append(
            Reason(
                "SE_BUSINESS_RECENT",
                f"The business began on {since}, less than a year before the work in "
                f"{stay.where} started: the exception is for self-employment normally carried "
                f"on in the United States before the move, which a new business may not show. "
                f"Check with SSA before relying on it.",
                src,
                "warning",
            )
        )
    return result


def _residence(stay: Stay, spec: RuleSpec, src: tuple[str, ...]) -> Finding:
    e, gaps = stay.engagement, _Gaps()
    countries, complete = residence_during(stay.case, e.start, e.end)
    end = e.end.isoformat() if e.end else "open-ended"
    if not complete:
        return _unclear(
            "SE_RESIDENCE_UNKNOWN",
            f"Under this agreement residence decides, and "
            f"the case does not say where the person lives for all of {e.start} to "
            f"{end}.",
            src,
            "worker.residence",
        )
    homes = {"US" if stay.is_us(c) else c for c in countries}
    if len(homes) > 1:
        names = ", ".join(sorted(country_name(c) for c in homes))
        return _unclear(
            "SE_RESIDENCE_CHANGES",
            f"Residence decides here, and it changes during the stay ({names}).",
            src,
        )
    (home,) = homes
    if home == e.country:
        return _foreign(
            "SE_RESIDENCE_FOREIGN",
            f"A self-employed person who lives in {stay.where} is covered by {stay.where} only.",
            src,
        )
    if home != "US":
        return _unclear(
            "SE_RESIDENCE_NEITHER",
            f"The person lives in {country_name(home)}, in "
            f"neither country: the agreement's residence rule does not apply (only a "
            f"special exception agreed by both countries could).",
            src,
        )
    decisive = _conditions(stay, spec, src, gaps)
    return decisive or gaps.result(
        _us(
            "SE_RESIDENCE_US",
            f"A self-employed person who lives in the United States stays covered "
            f"by the United States only, however long the work in {stay.where} lasts.",
            src,
        )
    )


def _nationality(stay: Stay, spec: RuleSpec, src: tuple[str, ...]) -> Finding:
    case, country, gaps = stay.case, stay.engagement.country, _Gaps()
    if case.kind == "employee":
        decisive = gaps.add(_employer(stay, src))
        if decisive:
            return decisive
    if not case.worker.citizenship:
        gaps.add(
            _unclear(
                "NATIONALITY_UNKNOWN",
                "Under this agreement nationality decides, and "
                "the case does not give the worker's citizenship.",
                src,
                "worker.citizenship",
            )
        )
        return Finding("undetermined", "undetermined", gaps.reasons, gaps.missing)
    us = any(stay.is_us(c) for c in case.worker.citizenship)
    local = country in case.worker.citizenship
    window = (
        f" within {spec.election_months} months after the month work begins"
        if spec.election_months
        else ""
    )
    if us and local:
        gaps.add(
            _unclear(
                "NATIONALITY_DUAL_ELECTION",
                f"A national of both countries chooses "
                f"the system{window}; requesting a certificate from one country is "
                f"the choice.",
                src,
            )
        )
    elif local and spec.election_months:
        gaps.add(
            _unclear(
                "NATIONALITY_ELECTION",
                f"A national of {stay.where} whose work both "
                f"systems would cover chooses the system{window}.",
                src,
            )
        )
    elif local:
        return _foreign(
            "NATIONALITY_FOREIGN",
            f"A national of {stay.where} (not of the United States) is covered by {stay.where}.",
            src,
        )
    elif not us:
        return _foreign(
            "NATIONALITY_THIRD",
            f"A national of neither country is covered where the work is done, in {stay.where}.",
            src,
        )
    decisive = _conditions(stay, spec, src, gaps)
    return decisive or gaps.result(
        _us(
            "NATIONALITY_US",
            f"A U.S. national working in {stay.where} stays covered by the United "
            f"States, with no time limit.",
            src,
        )
    )


def _residence_with_transfer(stay: Stay, spec: RuleSpec, src: tuple[str, ...]) -> Finding:
    """Residence decides, except a U.S. business moved abroad within the limit stays U.S."""
    found = _residence(stay, spec, src)
    if found.coverage == "us":
        return found  # a U.S. resident is U.S.-covered whether or not a business was moved
    moved = _transfer(stay, spec, src)
    if moved.coverage == "us":
        return moved
    if found.coverage == "foreign" and moved.coverage == "foreign":
        return found
    # One of the two is undetermined: say everything that keeps it open at once.
    open_ = [f for f in (found, moved) if f.coverage == "undetermined"]
    missing = list(dict.fromkeys(m for f in open_ for m in f.missing))
    return Finding("undetermined", "undetermined", [r for f in open_ for r in f.reasons], missing)


_RULES = {
    "detachment": _detachment,
    "territorial_with_transfer": _transfer,
    "residence": _residence,
    "residence_with_transfer": _residence_with_transfer,
    "nationality": _nationality,
}


def apply_rule(stay: Stay, spec: RuleSpec, src: tuple[str, ...]) -> Finding:
    """The finding of one rule reading for one stay, with the certificate that documents it."""
    if spec.rule == "unknown":
        return _unclear(
            "RULE_UNVERIFIED",
            f"The sources do not establish the rule for this work in {stay.where}.",
            src,
        )
    if spec.rule == "detachment" and stay.case.kind != "employee":
        return _unclear("RULE_UNVERIFIED", "The recorded rule is for employees.", src)
    found = _RULES[spec.rule](stay, spec, src)
    if found.coverage == "us" and spec.us_certificate == "unverified":
        return _unclear(
            "US_CERTIFICATE_UNVERIFIED",
            "The agreement keeps this work in U.S. coverage, but whether SSA issues a "
            "certificate for it is not confirmed: ask SSA what it issues before relying on "
            "the exemption.",
            src,
        )
    if found.coverage == "us" and spec.us_certificate == "not_issued":
        _no_certificate(found, spec.us_document, "SSA", src)
    if found.coverage == "foreign" and found.certificate == "foreign":
        if spec.foreign_certificate == "not_issued":
            _no_certificate(found, spec.foreign_document, stay.where, src)
        elif spec.foreign_certificate == "unverified":
            found.certificate = "undetermined"
    return found


def _no_certificate(
    found: Finding, document: Document | None, issuer: str, src: tuple[str, ...]
) -> None:
    """No certificate is issued for this coverage: name the document that proves it instead."""
    found.certificate = "none"
    if document is not None:
        found.document = document
        yearly = f" {document.yearly_step}" if document.yearly_step else ""
        found.reasons.append(
            Reason(
                "CERTIFICATE_NOT_ISSUED_DOCUMENT",
                f"{issuer} issues no certificate of coverage for this work; {document.name} "
                f"proves it instead, and {document.requested_by} asks for it.{yearly}",
                document.urls,
            )
        )
    elif found.coverage == "us":
        found.reasons.append(
            Reason(
                "US_CERTIFICATE_NOT_NEEDED",
                "U.S. coverage simply continues: SSA issues no certificate for this work and "
                "none is needed.",
                src,
            )
        )
    else:
        found.reasons.append(
            Reason(
                "FOREIGN_CERTIFICATE_NOT_ISSUED",
                f"{issuer} is not known to issue a certificate for this work.",
                src,
                "info",
            )
        )
