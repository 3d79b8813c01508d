"""What to do next: sentences a person can act on, derived from a decision."""

from __future__ import annotations

from cocflow.case import Case
from cocflow.countries import country_name
from cocflow.rules.loader import RuleBook
from cocflow.screening.decision import Decision, Segment

__all__ = ["next_actions"]

PROFESSIONAL = "talk to a cross-border tax professional"


def _when(segments: list[Segment]) -> str:
    start = min(s.start for s in segments)
    ends = [s.end for s in segments]
    end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return f"{start} to {end}" if end else f"from {start}"


def _foreign(decision: Decision, rules: RuleBook) -> list[Segment]:
    return [s for s in decision.segments if s.country not in rules.network.us_codes]


def _go(decision: Decision, case: Case, rules: RuleBook, today_after_start: bool) -> list[str]:
    foreign = _foreign(decision, rules)
    country = foreign[0].country
    start = min(s.start for s in foreign)
    name = country_name(country)
    actions = []
    who = "Ask your employer to request" if case.kind == "employee" else "Request"
    timing = (
        f"now: the work began on {start}, and the request should ask for coverage from that date"
        if today_after_start
        else f"before the work starts on {start}"
    )
    actions.append(
        f"{who} a U.S. certificate of coverage from SSA for the work in {name} "
        f"({_when(foreign)}) {timing}."
    )
    if decision.timing_note:
        actions.append(decision.timing_note)
    if case.kind == "employee":
        actions.append(
            "Employees cannot use SSA's online certificate service themselves: the "
            "employer requests it online, or by mail or fax."
        )
    for agreement in rules.for_country(country):
        for extra in agreement.extras_for(case.kind, case.worker.citizenship):
            actions.append(f"Include in the request: {extra.text}")
        if agreement.certificate_scope is not None:
            actions.append(f"What it covers: {agreement.certificate_scope.value}")
        if agreement.us_certificate_use is not None:
            use = agreement.us_certificate_use
            verify = "" if use.confidence == "high" else " (verify for your case)"
            actions.append(f"When it arrives: {use.value}{verify}")
    if any(r.severity == "warning" for s in foreign for r in s.reasons):
        actions.append(
            "Read the warnings above and verify those points before relying on the exemption."
        )
    actions.append(
        "Do not rely on the exemption until the certificate is issued, kept with the "
        "request, and delivered to whoever asks for it."
    )
    return actions


def _issuer(rules: RuleBook, country: str) -> str:
    issuer = next(
        (
            a.foreign_certificate_issuer
            for a in rules.for_country(country)
            if a.foreign_certificate_issuer is not None
        ),
        None,
    )
    return f" (issued by: {issuer.value.rstrip('.')})" if issuer else ""


def _foreign_path(s: Segment, case: Case, rules: RuleBook) -> list[str]:
    """The plan for work the other country covers: which document, from whom, and the yearly
    Schedule SE step for the self-employed."""
    name = country_name(s.country)
    stop = f"Stop the U.S. certificate path for {name} ({s.start} to {s.end or 'open-ended'})"
    codes = {r.code for r in s.reasons}
    if s.document is not None:
        doc = s.document
        actions = [
            f"{stop}: {name} covers this work but issues no certificate for it. Instead, "
            f"{doc.requested_by} asks for {doc.name}, by mail or fax to SSA."
        ]
        if doc.yearly_step:
            actions.append(doc.yearly_step)
        elif case.kind == "self_employed":
            actions.append(
                "Attach a copy to Schedule SE (Form 1040) each year to show the work is "
                "exempt from U.S. self-employment tax."
            )
        else:
            actions.append("Give a copy to the U.S. payroll so it stops U.S. withholding.")
        return actions
    if "EMP_LOCAL_HIRE" in codes:
        return [
            f"{stop}: a worker hired by an employer in {name} is covered by {name}'s system "
            f"through that employer; there is no U.S. coverage to prove."
        ]
    if s.certificate == "none":
        return [f"{stop}: {name} covers this work and is not known to issue a certificate."]
    source = _issuer(rules, s.country)
    if case.kind == "self_employed":
        return [
            f"{stop}: {name} covers this work. Get {name}'s certificate of coverage{source}, "
            f"and attach a copy to Schedule SE (Form 1040) each year to show the work is "
            f"exempt from U.S. self-employment tax."
        ]
    return [
        f"{stop}: {name} covers this work. The employer should get {name}'s certificate of "
        f"coverage{source} to stop U.S. Social Security withholding."
    ]


def _no_go(decision: Decision, case: Case, rules: RuleBook) -> list[str]:
    actions: list[str] = []
    for s in _foreign(decision, rules):
        name = country_name(s.country)
        if s.coverage == "dual_risk":
            actions.append(
                f"Stop the certificate path for {name}: with no agreement in force, "
                f"both countries may tax the same earnings; {PROFESSIONAL} before the "
                f"work starts on {s.start}."
            )
        elif s.coverage == "foreign":
            actions += _foreign_path(s, case, rules)
        elif s.coverage == "us" and s.certificate == "us":
            who = "ask your employer to request" if case.kind == "employee" else "request"
            actions.append(
                f"The stay in {name} from {s.start} to {s.end or 'open-ended'} keeps U.S. "
                f"coverage: {who} a U.S. certificate of coverage from SSA for that stay only."
            )
    actions.append(
        f"If the facts are not as stated, correct the case and screen again; "
        f"otherwise {PROFESSIONAL}."
    )
    return list(dict.fromkeys(actions))


_RULE_UNSETTLED = frozenset(
    {
        "RULE_UNVERIFIED",
        "RULE_CONFLICTING",
        "RULE_NOT_KNOWN_FOR_DATE",
        "SUBDIVISION_DIFFERS",
        "LATER_AGREEMENT_STATUS_UNKNOWN",
    }
)
_ANSWERED_BY_A_FACT = frozenset(
    {
        "EMP_HIRE_DATE_UNKNOWN",
        "SE_BUSINESS_START_UNKNOWN",
        "NATIONALITY_UNKNOWN",
        "SE_RESIDENCE_UNKNOWN",
        "CONDITION_UNANSWERED",
        "EMP_OPEN_ENDED",
        "SE_TRANSFER_OPEN_ENDED",
        "MULTIPLE_WORK_COUNTRIES",
        "US_CERTIFICATE_UNVERIFIED",
    }
)


def _pause(decision: Decision) -> list[str]:
    actions = [f"Add {path} to the case file and screen again." for path in decision.missing_facts]
    blocking = {r.code for r in decision.reasons if r.severity == "decisive"} | {
        r.code
        for s in decision.segments
        if s.coverage == "undetermined"
        for r in s.reasons
        if r.severity == "decisive"
    }
    if "MULTIPLE_WORK_COUNTRIES" in blocking:
        actions.append(
            f"Work in several foreign countries needs an answer for each: "
            f"{PROFESSIONAL} before requesting any certificate."
        )
    if blocking & _RULE_UNSETTLED:
        actions.append(
            f"The rule that decides this is not settled in the sources: ask SSA's "
            f"Office of International Programs or {PROFESSIONAL}."
        )
    if "US_CERTIFICATE_UNVERIFIED" in blocking:
        actions.append(
            "Ask SSA what it issues for this work (a certificate or a letter) before "
            "relying on the exemption."
        )
    if blocking - _RULE_UNSETTLED - _ANSWERED_BY_A_FACT:
        actions.append(f"Clarify the points above before filing: {PROFESSIONAL}, or ask SSA.")
    actions.append("Do not request a certificate or rely on an exemption until this is resolved.")
    return actions


def next_actions(decision: Decision, case: Case, rules: RuleBook) -> tuple[str, ...]:
    """The steps to take after ``decision``, most urgent first."""
    if decision.outcome == "not_needed" and _foreign(decision, rules):
        return (
            "Nothing to request: the agreement keeps this work in U.S. coverage and no "
            "certificate is issued for it. Keep paying U.S. Social Security as usual (for the "
            "self-employed, self-employment tax with Schedule SE).",
            "Keep a record of where and when the work is performed, and screen again if the "
            "facts change (a move abroad, a longer stay, another country).",
        )
    if decision.outcome == "not_needed":
        return (
            "Nothing to request: keep a record of where the work is performed, and screen "
            "again if you will work abroad.",
        )
    if decision.outcome == "go":
        foreign_start = min(s.start for s in _foreign(decision, rules))
        return tuple(_go(decision, case, rules, decision.as_of >= foreign_start))
    if decision.outcome == "no_go":
        return tuple(_no_go(decision, case, rules))
    return tuple(_pause(decision))


_GISTS = {
    "go": "request a U.S. certificate of coverage now.",
    "no_go": "no U.S. certificate path for this work.",
    "pause": "clarify the facts below before filing anything.",
    "not_needed": "all the work is in the United States.",
}


def headline(d: Decision) -> str:
    """The answer in one sentence, as every face shows it first (without the outcome's name)."""
    gist = _GISTS[d.outcome]
    if d.outcome == "no_go" and any(s.coverage == "us" for s in d.segments if s.agreement):
        gist = "part of this work keeps U.S. coverage, the rest has no U.S. certificate path."
    if d.outcome == "not_needed" and any(s.agreement for s in d.segments):
        gist = "the work keeps U.S. coverage and no certificate is needed for it."
    if d.outcome == "go" and d.file_by is not None:
        passed = d.file_by < d.as_of
        gist = (
            f"request a U.S. certificate of coverage now: the file-by date {d.file_by} has passed."
            if passed
            else f"request a U.S. certificate of coverage now, by {d.file_by}."
        )
    return gist
