"""The screening engine: (case, rules, as-of date) -> decision, with no I/O.

One segment per engagement. Each foreign segment is judged under the arrangements for its
country (a national agreement and, where one exists, a regional understanding), with the rule
in force on the segment's first day for this kind of worker. The case outcome follows from the
segments; see ``docs/screening.md``. Next actions and ``go_if`` are added by
:func:`cocflow.screening.screen`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from cocflow.case import Case, Engagement
from cocflow.countries import UNITED_STATES, country_name
from cocflow.dates import ONE_DAY, Fit, add_months, fit_within, limit_window
from cocflow.decision import Certificate, Coverage, Decision, Outcome, Reason, Segment
from cocflow.rules.loader import RuleBook
from cocflow.rules.model import DECIDING_CONFIDENCE, Agreement, RuleEntry, RuleSpec

__all__ = ["STALE_AFTER", "decide"]

STALE_AFTER = timedelta(days=365)


@dataclass(slots=True)
class _Finding:
    coverage: Coverage
    certificate: Certificate
    reasons: list[Reason] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    limit_last_day: date | None = None


def _d(day: date | None) -> str:
    return day.isoformat() if day else "open-ended"


def _undetermined(code: str, text: str, sources: tuple[str, ...], *missing: str) -> _Finding:
    return _Finding("undetermined", "undetermined", [Reason(code, text, sources)], list(missing))


def _foreign(
    code: str, text: str, sources: tuple[str, ...], certificate: Certificate = "foreign"
) -> _Finding:
    return _Finding("foreign", certificate, [Reason(code, text, sources)])


def _us(code: str, text: str, sources: tuple[str, ...]) -> _Finding:
    return _Finding("us", "us", [Reason(code, text, sources)])


@dataclass(slots=True)
class _Stay:
    """What a rule needs to know about one engagement."""

    index: int
    engagement: Engagement
    case: Case
    agreement: Agreement
    posting_start: date  # first day of the posting this stay belongs to
    combined: bool  # earlier stays in the same country count with this one
    unclear_with: date | None  # start of earlier stays that may add up (no rule says)
    limit_last_day: date | None = None  # set by _limit: the last day a stay may end within it

    @property
    def where(self) -> str:
        return country_name(self.engagement.country)


# --- applying one rule reading -----------------------------------------------------------


def _limit(
    stay: _Stay, spec: RuleSpec, src: tuple[str, ...], over: str, open_ended: str
) -> _Finding | None:
    """Judge the expected length against the limit; ``None`` when within it."""
    e = stay.engagement
    months = spec.limit_months
    assert months is not None
    eif = stay.agreement.entry_into_force
    first_day = max(stay.posting_start, eif.value) if eif else stay.posting_start
    last_day = limit_window(stay.unclear_with or first_day, months)[0]
    if stay.limit_last_day is None or last_day < stay.limit_last_day:
        stay.limit_last_day = last_day
    if e.end is None:
        return _undetermined(
            open_ended,
            f"The stay in {stay.where} has no planned end, so it cannot be shown to stay within "
            f"the {months}-month limit.",
            src,
            f"engagements[{stay.index}].end",
        )
    fit = fit_within(first_day, e.end, months)
    counted = f"counted from {first_day}"
    if stay.combined:
        counted += " (earlier stays in the same country count with this one)"
    if fit is Fit.AMBIGUOUS:
        return _undetermined(
            "LIMIT_BOUNDARY_AMBIGUOUS",
            f"The end date {e.end} falls on a day the month arithmetic leaves open for a "
            f"{months}-month limit {counted}.",
            src,
        )
    if fit is Fit.OVER:
        return _foreign(
            over,
            f"The stay in {stay.where} is expected to last past the {months}-month limit "
            f"({counted} to {e.end}); {stay.where} covers all of it.",
            src,
        )
    if (
        stay.unclear_with is not None
        and fit_within(stay.unclear_with, e.end, months) is not Fit.WITHIN
    ):
        return _undetermined(
            "REPEATED_POSTING_UNCLEAR",
            f"Together with the earlier stay in {stay.where} from {stay.unclear_with}, the work "
            f"exceeds the {months}-month limit, and the sources do not say whether the stays "
            f"count separately.",
            src,
        )
    return None


def _conditions(stay: _Stay, spec: RuleSpec, src: tuple[str, ...]) -> _Finding | None:
    for cond in spec.conditions:
        answer = stay.case.statements.get(cond.id)
        if answer is None:
            return _undetermined(
                "CONDITION_UNANSWERED",
                f"U.S. coverage also needs this: {cond.text}",
                src,
                f"worker.statements.{cond.id}",
            )
        if not answer:
            return _foreign(
                "CONDITION_NOT_MET",
                f"U.S. coverage needs this, and the case says it does not hold: {cond.text}",
                src,
            )
    return None


def _employer(stay: _Stay, src: tuple[str, ...]) -> _Finding | None:
    case, country = stay.case, stay.engagement.country
    if case.employer_country == country:
        return _foreign(
            "EMP_LOCAL_HIRE",
            f"The employer is in {stay.where}: a worker hired there is covered by {stay.where}.",
            src,
            certificate="none",
        )
    if case.employer_country != UNITED_STATES:
        name = country_name(case.employer_country or "")
        return _undetermined(
            "EMP_EMPLOYER_THIRD_COUNTRY",
            f"The employer is in {name}, neither "
            f"the United States nor {stay.where}; U.S. coverage abroad needs a "
            f"U.S. employer (or a covered foreign affiliate).",
            src,
        )
    return None


def _detachment(stay: _Stay, spec: RuleSpec, src: tuple[str, ...]) -> _Finding:
    e, case = stay.engagement, stay.case
    found = _employer(stay, src)
    if found:
        return found
    if case.employer_hired is None:
        return _undetermined(
            "EMP_HIRE_DATE_UNKNOWN",
            "A posting keeps U.S. coverage only for a "
            "job that existed before the transfer; the hire date is missing.",
            src,
            "employer.hired",
        )
    if case.employer_hired >= e.start:
        return _foreign(
            "EMP_HIRED_AFTER_START",
            f"The job began on {case.employer_hired}, not "
            f"before the work in {stay.where} started on {e.start}: this is not a "
            f"posting, and {stay.where} covers the work.",
            src,
        )
    return (
        _limit(stay, spec, src, "EMP_DETACHED_OVER_LIMIT", "EMP_OPEN_ENDED")
        or _conditions(stay, spec, src)
        or _us(
            "EMP_DETACHED_WITHIN_LIMIT",
            f"A U.S. employer sends the worker to "
            f"{stay.where} for an expected {spec.limit_months} months or less: U.S. "
            f"coverage continues.",
            src,
        )
    )


def _transfer(stay: _Stay, spec: RuleSpec, src: tuple[str, ...]) -> _Finding:
    e, since = stay.engagement, stay.case.business_operating_since
    if since is None:
        return _undetermined(
            "SE_BUSINESS_START_UNKNOWN",
            "Self-employment keeps U.S. coverage "
            "here only for a U.S. business that operated before the move; the "
            "date it began is missing.",
            src,
            "business.operating_since",
        )
    if since >= e.start:
        return _foreign(
            "SE_NO_PRIOR_BUSINESS",
            f"The business began on {since}, not before the "
            f"work in {stay.where} started: {stay.where} covers self-employment "
            f"performed there.",
            src,
        )
    return (
        _limit(stay, spec, src, "SE_TRANSFER_OVER_LIMIT", "SE_TRANSFER_OPEN_ENDED")
        or _conditions(stay, spec, src)
        or _us(
            "SE_TRANSFER_WITHIN_LIMIT",
            f"A U.S. business operating since {since} moves "
            f"to {stay.where} for an expected {spec.limit_months} months or less: U.S. "
            f"coverage continues.",
            src,
        )
    )


def residence_during(case: Case, start: date, end: date | None) -> tuple[set[str], bool]:
    """The countries of residence over ``[start, end]`` and whether every day is covered."""
    rows = sorted(case.residence, key=lambda r: r.start)
    countries: set[str] = set()
    cursor: date | None = start  # first day not yet known
    for row in rows:
        if row.end is not None and row.end < start:
            continue
        if end is not None and row.start > end:
            break
        countries.add(row.country)
        if cursor is not None and row.start <= cursor:
            cursor = None if row.end is None else max(cursor, row.end + ONE_DAY)
    complete = cursor is None or (end is not None and cursor > end)
    return countries, complete


def _residence(stay: _Stay, spec: RuleSpec, src: tuple[str, ...]) -> _Finding:
    e = stay.engagement
    countries, complete = residence_during(stay.case, e.start, e.end)
    if not complete:
        return _undetermined(
            "SE_RESIDENCE_UNKNOWN",
            f"Under this agreement residence decides, "
            f"and the case does not say where the person lives for all of "
            f"{e.start} to {_d(e.end)}.",
            src,
            "worker.residence",
        )
    if len(countries) > 1:
        names = ", ".join(sorted(country_name(c) for c in countries))
        return _undetermined(
            "SE_RESIDENCE_CHANGES",
            f"Residence decides here, and it changes during the stay ({names}).",
            src,
        )
    (home,) = countries
    if home == UNITED_STATES:
        return _conditions(stay, spec, src) or _us(
            "SE_RESIDENCE_US",
            f"A self-employed person who lives in the United States stays "
            f"covered by the United States only, however long the work in {stay.where} lasts.",
            src,
        )
    if home == e.country:
        return _foreign(
            "SE_RESIDENCE_FOREIGN",
            f"A self-employed person who lives in {stay.where} is covered by {stay.where} only.",
            src,
        )
    return _undetermined(
        "SE_RESIDENCE_NEITHER",
        f"The person lives in {country_name(home)}, "
        f"in neither country: the agreement's residence rule does not apply "
        f"(only a special exception agreed by both countries could).",
        src,
    )


def _nationality(stay: _Stay, spec: RuleSpec, src: tuple[str, ...]) -> _Finding:
    case, country = stay.case, stay.engagement.country
    if not case.citizenship:
        return _undetermined(
            "NATIONALITY_UNKNOWN",
            "Under this agreement nationality decides, "
            "and the case does not give the worker's citizenship.",
            src,
            "worker.citizenship",
        )
    us, local = UNITED_STATES in case.citizenship, country in case.citizenship
    if us and local:
        window = (
            f" within {spec.election_months} months after the month work begins"
            if spec.election_months
            else ""
        )
        return _undetermined(
            "NATIONALITY_DUAL_ELECTION",
            f"A national of both countries "
            f"chooses the system{window}; requesting a certificate from one "
            f"country is the choice.",
            src,
        )
    if local and spec.election_months:
        return _undetermined(
            "NATIONALITY_ELECTION",
            f"A national of {stay.where} whose work "
            f"both systems would cover chooses the system within "
            f"{spec.election_months} months after the month work begins.",
            src,
        )
    if local:
        return _foreign(
            "NATIONALITY_FOREIGN",
            f"A national of {stay.where} (not of the United States) is covered by {stay.where}.",
            src,
        )
    if not us:
        return _foreign(
            "NATIONALITY_THIRD",
            f"A national of neither country is covered where the work is done, in {stay.where}.",
            src,
        )
    if case.kind == "employee":
        found = _employer(stay, src)
        if found:
            return found
    return _conditions(stay, spec, src) or _us(
        "NATIONALITY_US",
        f"A U.S. national working in {stay.where} stays covered by the United "
        f"States, with no time limit.",
        src,
    )


_APPLY = {
    "detachment": _detachment,
    "territorial_with_transfer": _transfer,
    "residence": _residence,
    "nationality": _nationality,
}


def _apply(stay: _Stay, spec: RuleSpec, src: tuple[str, ...]) -> _Finding:
    if spec.rule == "unknown":
        return _undetermined(
            "RULE_UNVERIFIED",
            f"The sources do not establish the rule for this work in {stay.where}.",
            src,
        )
    if spec.rule == "detachment" and stay.case.kind != "employee":
        return _undetermined("RULE_UNVERIFIED", "The recorded rule is for employees.", src)
    return _APPLY[spec.rule](stay, spec, src)


def _apply_entry(stay: _Stay, entry: RuleEntry, as_of: date) -> _Finding:
    src = entry.urls
    if entry.confidence in ("low", "unverified"):
        return _undetermined(
            "RULE_UNVERIFIED",
            f"The rule for this work in {stay.where} is "
            f"not confirmed by the sources ({entry.confidence} confidence).",
            src,
        )
    if entry.confidence == "conflicting":
        found = [_apply(stay, r, r.urls) for r in entry.readings]
        outcomes = {(f.coverage, f.certificate) for f in found}
        if len(outcomes) == 1 and found[0].coverage != "undetermined":
            result = found[0]
            result.reasons.append(
                Reason(
                    "RULE_CONFLICT_NOT_DECIDING",
                    f"The sources disagree on the rule for "
                    f"{stay.where}, but every reading gives the same answer here.",
                    src,
                    "warning",
                )
            )
        else:
            missing = [m for f in found for m in f.missing]
            result = _undetermined(
                "RULE_CONFLICTING",
                f"The sources disagree on the rule for "
                f"{stay.where}, and their readings give different answers "
                f"for this case.",
                src,
                *missing,
            )
    else:
        result = _apply(stay, entry, src)
    if result.coverage == "undetermined":
        return result
    if entry.confidence == "medium":
        result.reasons.append(
            Reason(
                "RULE_MEDIUM_CONFIDENCE",
                f"This rule for {stay.where} "
                f"rests on an older or secondary source: verify it for "
                f"your case.",
                src,
                "warning",
            )
        )
    if entry.last_verified < as_of - STALE_AFTER:
        result.reasons.append(
            Reason(
                "RULE_STALE",
                f"This rule was last verified on {entry.last_verified}, more than a year ago.",
                src,
                "warning",
            )
        )
    return result


def _entry_on(timeline: tuple[RuleEntry, ...], day: date) -> RuleEntry | None:
    chosen = None
    for entry in timeline:
        if entry.start <= day and (entry.end is None or day <= entry.end):
            chosen = entry
    return chosen


# --- one arrangement, one segment --------------------------------------------------------


def _posting(
    index: int, case: Case, agreement: Agreement, day: date
) -> tuple[date, bool, date | None]:
    """The posting start for limit rules, whether earlier stays combine, and unclear ones."""
    e = case.engagements[index]
    earlier = sorted(
        (
            x
            for i, x in enumerate(case.engagements)
            if i != index and x.country == e.country and x.start < e.start
        ),
        key=lambda x: x.start,
    )
    if not earlier:
        return e.start, False, None
    timeline = agreement.employee if case.kind == "employee" else agreement.self_employed
    entry = _entry_on(timeline, day)
    repeated = entry.repeated_posting if entry else None
    start = e.start
    unclear: date | None = None
    for prev in reversed(earlier):
        if prev.end is None or prev.end + ONE_DAY >= start:  # one continuous stay
            start = prev.start
            continue
        if repeated is not None:
            if start < add_months(prev.end, repeated.min_gap_months):
                start = prev.start
                continue
            break
        unclear = prev.start
    return start, start != e.start, unclear


def _judge(index: int, case: Case, agreement: Agreement, as_of: date) -> tuple[_Finding, bool]:
    """The finding under one arrangement, and whether it was in force at the start."""
    e = case.engagements[index]
    name = agreement.name
    if agreement.status != "in_force" or agreement.entry_into_force is None:
        return _Finding(
            "dual_risk",
            "none",
            [
                Reason(
                    "AGREEMENT_SIGNED_NOT_IN_FORCE",
                    f"An agreement with {name} was signed but is not in "
                    f"force: it gives no coverage, and both countries may tax the same earnings.",
                    agreement.signed.urls if agreement.signed else (),
                )
            ],
        ), False
    eif = agreement.entry_into_force
    if eif.confidence not in DECIDING_CONFIDENCE:
        return _undetermined(
            "RULE_UNVERIFIED",
            f"The date the agreement with {name} took effect is not confirmed.",
            eif.urls,
        ), False
    if e.start < eif.value:
        if e.end is not None and e.end < eif.value:
            return _Finding(
                "dual_risk",
                "none",
                [
                    Reason(
                        "AGREEMENT_NOT_IN_FORCE_AT_START",
                        f"The work ends before the agreement with "
                        f"{name} took effect on {eif.value}.",
                        eif.urls,
                    )
                ],
            ), False
        return _undetermined(
            "AGREEMENT_NOT_IN_FORCE_AT_START",
            f"The work starts before the agreement with {name} takes effect on {eif.value}.",
            eif.urls,
        ), False
    timeline = agreement.employee if case.kind == "employee" else agreement.self_employed
    entry = _entry_on(timeline, e.start)
    if entry is None:
        return _undetermined(
            "RULE_NOT_KNOWN_FOR_DATE",
            f"No rule of the agreement with {name} is recorded for {e.start}.",
            eif.urls,
        ), True
    posting_start, combined, unclear = _posting(index, case, agreement, e.start)
    stay = _Stay(index, e, case, agreement, posting_start, combined, unclear)
    finding = _apply_entry(stay, entry, as_of)
    finding.limit_last_day = stay.limit_last_day
    if combined:
        finding.reasons.append(
            Reason(
                "REPEATED_POSTING_COMBINED",
                f"Earlier stays in {stay.where} count with this one: "
                f"the posting is counted from {posting_start}.",
                entry.urls,
                "info",
            )
        )
    for later in agreement.later_agreements:
        if later.status == "signed_not_in_force":
            finding.reasons.append(
                Reason(
                    "LATER_AGREEMENT_SIGNED",
                    f"A new agreement with {name} was signed on "
                    f"{later.signed} and is not yet in force; the rules may change when it is.",
                    later.urls,
                    "warning",
                )
            )
    return finding, True


def _combine(
    index: int, e: Engagement, results: list[tuple[Agreement, _Finding, bool]]
) -> _Finding:
    findings = [f for _, f, _ in results]
    if len(findings) == 1:
        return findings[0]
    reasons = [r for f in findings for r in f.reasons]
    missing = [m for f in findings for m in f.missing]
    kinds = {(f.coverage, f.certificate) for f in findings}
    limits = [f.limit_last_day for f in findings if f.limit_last_day is not None]
    last_day = min(limits) if limits else None
    if len(kinds) == 1:
        return _Finding(findings[0].coverage, findings[0].certificate, reasons, missing, last_day)
    if any(f.coverage == "undetermined" for f in findings):
        return _Finding("undetermined", "undetermined", reasons, missing)
    names = " and ".join(a.name for a, _, _ in results)
    src = tuple(u for f in findings for r in f.reasons for u in r.sources)
    if e.region is None:
        missing.append(f"engagements[{index}].region")
    reasons.append(
        Reason(
            "SUBDIVISION_DIFFERS",
            f"The arrangements for {names} give different answers for this work.",
            tuple(dict.fromkeys(src)),
        )
    )
    return _Finding("undetermined", "undetermined", reasons, missing)


def _client_note(e: Engagement, sources: tuple[str, ...]) -> Reason | None:
    if e.client_country and e.client_country != e.country:
        return Reason(
            "CLIENT_COUNTRY_IGNORED",
            f"The client is in "
            f"{country_name(e.client_country)}; only the place where the work is "
            f"physically performed ({country_name(e.country)}) counts.",
            sources,
            "info",
        )
    return None


def _segment(index: int, case: Case, rules: RuleBook, as_of: date) -> tuple[Segment, list[str]]:
    e = case.engagements[index]
    network_src = rules.network.urls
    extra = _client_note(e, network_src)
    if e.country == UNITED_STATES:
        reasons = [
            Reason(
                "WORK_IN_US",
                "Work performed in the United States is covered by "
                "U.S. Social Security; no certificate is needed for it.",
                network_src,
            )
        ]
        return Segment(
            e.country,
            e.start,
            e.end,
            False,
            False,
            "us",
            "none",
            tuple(reasons + ([extra] if extra else [])),
        ), []
    arrangements = rules.for_country(e.country)
    if e.region is not None:
        arrangements = tuple(a for a in arrangements if a.subdivision in (None, e.region))
    if not arrangements:
        reasons = [
            Reason(
                "NO_AGREEMENT",
                f"The United States has no social security agreement "
                f"with {country_name(e.country)}: both countries may tax the same "
                f"earnings, and no certificate of coverage exists.",
                network_src,
            )
        ]
        return Segment(
            e.country,
            e.start,
            e.end,
            False,
            False,
            "dual_risk",
            "none",
            tuple(reasons + ([extra] if extra else [])),
        ), []
    results = [(a, *_judge(index, case, a, as_of)) for a in arrangements]
    finding = _combine(index, e, results)
    in_force = all(ok for _, _, ok in results)
    is_agreement = any(a.status == "in_force" for a in arrangements)
    if extra:
        finding.reasons.append(extra)
    ids = "+".join(a.id for a in arrangements)
    return Segment(
        e.country,
        e.start,
        e.end,
        is_agreement,
        in_force,
        finding.coverage,
        finding.certificate,
        tuple(finding.reasons),
        ids,
        finding.limit_last_day,
    ), finding.missing


# --- the case ----------------------------------------------------------------------------


def decide(case: Case, rules: RuleBook, as_of: date) -> Decision:
    """Screen ``case`` under ``rules`` as on ``as_of`` (see ``docs/screening.md``)."""
    segments: list[Segment] = []
    missing: list[str] = []
    for index in range(len(case.engagements)):
        segment, gaps = _segment(index, case, rules, as_of)
        segments.append(segment)
        missing.extend(gaps)
    foreign = [s for s in segments if s.country != UNITED_STATES]
    network_src = rules.network.urls
    reasons: list[Reason] = []
    outcome: Outcome
    countries = sorted({s.country for s in foreign})
    coverages = {s.coverage for s in foreign}
    if not foreign:
        outcome = "not_needed"
        reasons.append(
            Reason(
                "ALL_WORK_IN_US",
                "All the work is performed in the United States: "
                "no certificate of coverage is needed.",
                network_src,
            )
        )
    elif len(countries) > 1:
        outcome = "pause"
        names = ", ".join(country_name(c) for c in countries)
        reasons.append(
            Reason(
                "MULTIPLE_WORK_COUNTRIES",
                f"The work is performed in more than "
                f"one foreign country ({names}): each needs its own answer, and "
                f"together they need a professional's review before filing.",
                network_src,
            )
        )
    elif "undetermined" in coverages or missing:
        outcome = "pause"
    else:
        outcome = "no_go" if coverages != {"us"} else "go"
        if outcome == "go":
            outcome = _not_yet_in_force(foreign, rules, as_of, reasons) or outcome
    country_covered: bool | None = None
    us_assigned: bool | None = None
    if foreign:
        if any(s.coverage == "dual_risk" for s in foreign):
            country_covered = False
        elif all(s.agreement_country and s.agreement_in_force for s in foreign):
            country_covered = True
        if coverages == {"us"}:
            us_assigned = True
        elif coverages & {"foreign", "dual_risk"}:
            us_assigned = False
    return Decision(
        as_of=as_of,
        outcome=outcome,
        country_covered=country_covered,
        us_coverage_assigned=us_assigned,
        segments=tuple(segments),
        reasons=tuple(reasons),
        next_actions=(),
        missing_facts=tuple(dict.fromkeys(missing)),
        rules_version=rules.version,
    )


def _not_yet_in_force(
    foreign: list[Segment], rules: RuleBook, as_of: date, reasons: list[Reason]
) -> Outcome | None:
    for s in foreign:
        for agreement in rules.for_country(s.country):
            eif = agreement.entry_into_force
            if eif is not None and as_of < eif.value:
                reasons.append(
                    Reason(
                        "AGREEMENT_NOT_YET_IN_FORCE",
                        f"The agreement with "
                        f"{agreement.name} takes effect on {eif.value}: no "
                        f"certificate can be requested before then.",
                        eif.urls,
                    )
                )
                return "pause"
    return None
