"""The screening engine: (case, rules, as-of date) -> decision, with no I/O.

One segment per engagement. Each foreign segment is judged under the arrangements for its
country (a national agreement and, where one exists, a regional understanding), with the rule
in force on the segment's first day for this kind of worker
(:mod:`cocflow.screening.coverage`). The case outcome follows from the segments; see
``docs/screening.md``. Next actions and ``go_if`` are
added by :func:`cocflow.screening.screen.screen`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from cocflow.case import Case, Engagement
from cocflow.countries import country_name
from cocflow.rules.loader import RuleBook
from cocflow.rules.model import DECIDING_CONFIDENCE, Agreement, RepeatedPosting, RuleEntry
from cocflow.screening.coverage import Finding, Stay, apply_rule, residence_during
from cocflow.screening.decision import Coverage, Decision, Outcome, Reason, Segment
from cocflow.screening.postings import Posting, postings

__all__ = ["STALE_AFTER", "GoCheck", "decide", "decide_with_gaps", "would_go"]

STALE_AFTER = timedelta(days=365)


class _Index:
    """What the engine looks up for every segment, computed once per rule book (the book never
    changes): the arrangements for a work country and region, and each agreement's meaning of
    "the United States"."""

    __slots__ = ("_arrangements", "_left_out", "_us_codes", "rules")

    def __init__(self, rules: RuleBook) -> None:
        self.rules = rules
        self._arrangements: dict[tuple[str, str | None], tuple[tuple[Agreement, ...], bool, str]]
        self._arrangements = {}
        self._us_codes: dict[str, frozenset[str]] = {}
        self._left_out: dict[str, frozenset[str]] = {}

    def arrangements(
        self, country: str, region: str | None
    ) -> tuple[tuple[Agreement, ...], bool, str]:
        """The arrangements for work in ``country`` (``region``: only those for it), whether
        one is in force, and their ids joined by ``+``."""
        key = (country, region)
        found = self._arrangements.get(key)
        if found is None:
            chosen = self.rules.for_country(country)
            if region is not None:
                chosen = tuple(a for a in chosen if a.subdivision in (None, region))
            found = (
                chosen,
                any(a.status == "in_force" for a in chosen),
                "+".join(a.id for a in chosen),
            )
            self._arrangements[key] = found
        return found

    def us_codes(self, agreement: Agreement) -> frozenset[str]:
        """The codes that are the United States under ``agreement``."""
        codes = self._us_codes.get(agreement.id)
        if codes is None:
            territory = agreement.us_territory
            codes = frozenset(territory.value) if territory else self.rules.network.us_codes
            self._us_codes[agreement.id] = codes
        return codes

    def left_out(self, agreement: Agreement) -> frozenset[str]:
        """The U.S. territories ``agreement`` leaves out of the United States (with a
        ``us_territory`` of its own)."""
        codes = self._left_out.get(agreement.id)
        if codes is None:
            territory = agreement.us_territory
            codes = frozenset(
                self.rules.network.us_codes - set(territory.value) if territory else ()
            )
            self._left_out[agreement.id] = codes
        return codes


def _index(rules: RuleBook) -> _Index:
    index = rules.memo.get("screening.engine")
    if not isinstance(index, _Index) or index.rules is not rules:
        index = rules.memo["screening.engine"] = _Index(rules)
    return index


@dataclass
class _Context:
    case: Case
    rules: RuleBook
    as_of: date
    _postings: dict[tuple[str, RepeatedPosting | None], dict[int, Posting]] = field(
        default_factory=dict
    )
    index: _Index = field(init=False)

    def __post_init__(self) -> None:
        self.index = _index(self.rules)

    def posting(self, index: int, rule: RepeatedPosting | None) -> Posting:
        engagements = self.case.engagements
        if len(engagements) == 1:  # the common case: nothing to join
            only = engagements[0]
            return Posting(only.start, only.end, 1)
        country = engagements[index].country
        key = (country, rule)
        if key not in self._postings:
            self._postings[key] = postings(self.case.engagements, country, rule)
        return self._postings[key][index]

    def is_us(self, code: str | None) -> bool:
        return code in self.rules.network.us_codes


def _apply_entry(stay: Stay, entry: RuleEntry, as_of: date) -> Finding:
    src = entry.urls
    if entry.confidence in ("low", "unverified"):
        return Finding(
            "undetermined",
            "undetermined",
            [
                Reason(
                    "RULE_UNVERIFIED",
                    f"The rule for this work in {stay.where} is not confirmed by the "
                    f"sources ({entry.confidence} confidence).",
                    src,
                )
            ],
        )
    if entry.confidence == "conflicting":
        found = [apply_rule(stay, r, r.urls) for r in entry.readings]
        answers = {(f.coverage, f.certificate, f.document) for f in found}
        if len(answers) == 1 and found[0].coverage != "undetermined":
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
            missing = list(dict.fromkeys(m for f in found for m in f.missing))
            result = Finding(
                "undetermined",
                "undetermined",
                [
                    Reason(
                        "RULE_CONFLICTING",
                        f"The sources disagree on the rule for {stay.where}, and "
                        f"their readings give different answers for this case.",
                        src,
                    )
                ],
                missing,
            )
    else:
        result = apply_rule(stay, entry, src)
    result.limit_last_day, result.limit_from = stay.limit_last_day, stay.limit_from
    if result.coverage == "undetermined":
        return result
    if entry.confidence == "medium":
        result.reasons.append(
            Reason(
                "RULE_MEDIUM_CONFIDENCE",
                f"This rule for {stay.where} rests on an older or "
                f"secondary source: verify it for your case.",
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


def _later_agreements(
    agreement: Agreement, finding: Finding, e: Engagement, since: date, as_of: date
) -> Finding:
    """A replacement agreement signed but not in force: a warning; a pause where a recorded
    entry into force falls on or before the end of the stay (its rules are not encoded yet).
    One in force is already encoded in the dated rule entries."""
    for later in agreement.later_agreements:
        if later.status != "signed_not_in_force":
            continue
        eif = later.entry_into_force
        if eif is not None and (e.end is None or eif <= e.end):
            when = "during" if eif > e.start else "before"
            return Finding(
                "undetermined",
                "undetermined",
                [
                    *finding.reasons,
                    Reason(
                        "LATER_AGREEMENT_TAKES_EFFECT",
                        f"A new agreement with {agreement.name}, signed on {later.signed}, "
                        f"takes effect on {eif}, {when} this stay; its rules are not in "
                        f"cocflow's data yet, so the answer above may not hold.",
                        later.urls,
                    ),
                ],
                finding.missing,
                finding.limit_last_day,
                finding.limit_from,
            )
        recheck = ""
        if later.recheck is not None:
            recheck = (
                f" Its status was due to be checked again on {later.recheck}: check it before "
                f"relying on this answer."
                if as_of > later.recheck
                else f" Check its status again by {later.recheck}."
            )
        effect = f"takes effect on {eif}, after this stay" if eif else "is not known to be in force"
        finding.reasons.append(
            Reason(
                "LATER_AGREEMENT_SIGNED",
                f"A new agreement with {agreement.name} was signed on {later.signed} and "
                f"{effect}; this answer follows the agreement in force since {since}, and the "
                f"rules may change when the new one takes effect.{recheck}",
                later.urls,
                "warning",
            )
        )
    return finding


def _judge(index: int, ctx: _Context, agreement: Agreement) -> tuple[Finding, bool]:
    """The finding under one arrangement, and whether it was in force at the start."""
    case, e, name = ctx.case, ctx.case.engagements[index], agreement.name
    if agreement.status != "in_force" or agreement.entry_into_force is None:
        src = agreement.signed.urls if agreement.signed else ctx.rules.network.urls
        return Finding(
            "dual_risk",
            "none",
            [
                Reason(
                    "AGREEMENT_SIGNED_NOT_IN_FORCE",
                    f"An agreement with {name} was signed but is not in "
                    f"force: it gives no coverage, and both countries may tax the same earnings.",
                    src,
                )
            ],
        ), False
    eif = agreement.entry_into_force
    if eif.confidence not in DECIDING_CONFIDENCE:
        return Finding(
            "undetermined",
            "undetermined",
            [
                Reason(
                    "RULE_UNVERIFIED",
                    f"The date the agreement with {name} took effect is not confirmed.",
                    eif.urls,
                )
            ],
        ), False
    replaced = agreement.replaced_agreement
    if e.start < eif.value and replaced is not None and e.start >= replaced.value:
        return Finding(
            "undetermined",
            "undetermined",
            [
                Reason(
                    "EARLIER_AGREEMENT_NOT_ENCODED",
                    f"The work starts under the earlier agreement with {name} (in force from "
                    f"{replaced.value}), which the present one replaced on {eif.value}; its "
                    f"rules are not in cocflow's data.",
                    replaced.urls,
                )
            ],
        ), True
    if e.start < eif.value and e.end is not None and e.end < eif.value:
        return Finding(
            "dual_risk",
            "none",
            [
                Reason(
                    "AGREEMENT_NOT_IN_FORCE_AT_START",
                    f"The work ends before the agreement with {name} took effect on {eif.value}.",
                    eif.urls,
                )
            ],
        ), False
    # Work that began before the agreement took effect is judged from that day (the limits
    # count from the later of the two: RS 02002.165, RS 02002.615); the months before it were
    # covered by both countries.
    judged_from = max(e.start, eif.value)
    entry = agreement.rule_on(case.kind, judged_from)
    if entry is None:
        return Finding(
            "undetermined",
            "undetermined",
            [
                Reason(
                    "RULE_NOT_KNOWN_FOR_DATE",
                    f"No rule of the agreement with {name} is recorded for "
                    f"work starting on {e.start}; earlier rules are not screened.",
                    eif.urls,
                )
            ],
        ), True
    outside = _outside_territory(ctx, agreement, e)
    if outside is not None:
        return outside, True
    us_codes = ctx.index.us_codes(agreement)
    posting = ctx.posting(index, entry.repeated_posting)
    stay = Stay(index, e, case, agreement, posting, us_codes)
    finding = _apply_entry(stay, entry, ctx.as_of)
    finding.reasons.extend(_posting_notes(stay, entry))
    if e.start < eif.value:
        finding.reasons.append(
            Reason(
                "AGREEMENT_NOT_IN_FORCE_AT_START",
                f"The work began on {e.start}, before the agreement with {name} took effect on "
                f"{eif.value}: the answer applies from {eif.value}; the months before were "
                f"covered by both countries.",
                eif.urls,
                "warning",
            )
        )
    scope = agreement.certificate_scope
    if scope is not None and finding.certificate in ("us", "foreign"):
        finding.reasons.append(Reason("CERTIFICATE_SCOPE", scope.value, scope.urls, "info"))
    return _later_agreements(agreement, finding, e, eif.value, ctx.as_of), True


def _outside_territory(ctx: _Context, agreement: Agreement, e: Engagement) -> Finding | None:
    """A residence, employer or business in a U.S. territory this agreement leaves out."""
    territory = agreement.us_territory
    left_out = ctx.index.left_out(agreement)
    if territory is None or not left_out:
        return None
    case = ctx.case
    during, _ = residence_during(case, e.start, e.end)
    places: list[tuple[str, str | None]] = [("The person lives in", c) for c in sorted(during)]
    before = [r for r in case.worker.residence if r.start < e.start]
    if before:
        places.append(
            ("Before the stay the person lived in", max(before, key=lambda r: r.start).country)
        )
    places.append(("The employer is in", case.employer_country))
    places.append(("The business is in", case.business_address_country))
    for what, code in places:
        if code in left_out:
            return Finding(
                "undetermined",
                "undetermined",
                [
                    Reason(
                        "US_TERRITORY_NOT_IN_AGREEMENT",
                        f"{what} {country_name(code)}, which the agreement with "
                        f"{agreement.name} leaves out of its definition of the United States: "
                        f"there it may not count as the United States, so the rule cannot be "
                        f"applied as written. Ask SSA how it treats this case.",
                        territory.urls,
                    )
                ],
            )
    return None


def _posting_notes(stay: Stay, entry: RuleEntry) -> list[Reason]:
    """Say which stays were counted together and which earlier posting a stay was measured from."""
    posting, notes = stay.posting, []
    if posting.members > 1:
        notes.append(
            Reason(
                "REPEATED_POSTING_COMBINED",
                f"Stays in {stay.where} from {posting.start} to "
                f"{posting.end or 'open-ended'} follow each other without a break and count "
                f"as one posting.",
                entry.urls,
                "info",
            )
        )
    rule = entry.repeated_posting
    if rule is None or posting.previous_end is None:
        return notes
    if posting.after_gap:
        text = (
            f"This posting to {stay.where} starts on {posting.start}, at least "
            f"{rule.min_gap_months} months after the previous one ended on "
            f"{posting.previous_end}: it counts on its own, judged on its own expected length."
        )
    else:
        text = (
            f"This is a later posting to {stay.where}, starting less than "
            f"{rule.min_gap_months} months after the previous one ended on "
            f"{posting.previous_end}: it was measured from the first posting, which started on "
            f"{posting.first_start}."
        )
    notes.append(Reason("REPEATED_POSTING_MEASURED", text, entry.urls, "info"))
    return notes


def _combine(index: int, e: Engagement, results: list[tuple[Agreement, Finding, bool]]) -> Finding:
    if len(results) == 1:
        return results[0][1]
    findings = [f for _, f, _ in results]
    reasons = [
        Reason(r.code, f"{a.name}: {r.text}", r.sources, r.severity)
        for a, f, _ in results
        for r in f.reasons
    ]
    missing = list(dict.fromkeys(m for f in findings for m in f.missing))
    limits = [(f.limit_last_day, f.limit_from) for f in findings if f.limit_last_day]
    last, first = min(limits) if limits else (None, None)
    answers = {(f.coverage, f.certificate, f.document) for f in findings}
    if len(answers) == 1:
        one = findings[0]
        return Finding(one.coverage, one.certificate, reasons, missing, last, first, one.document)
    if all(f.coverage != "undetermined" for f in findings):
        names = " and ".join(a.name for a, _, _ in results)
        src = tuple(dict.fromkeys(u for f in findings for r in f.reasons for u in r.sources))
        if e.region is None:
            missing.append(f"engagements[{index}].region")
        reasons.append(
            Reason(
                "SUBDIVISION_DIFFERS",
                f"The arrangements for {names} give different answers for this work.",
                src,
            )
        )
    return Finding("undetermined", "undetermined", reasons, missing, last, first)


def _client_note(e: Engagement, sources: tuple[str, ...]) -> list[Reason]:
    client_country = e.client.country if e.client else None
    if client_country and client_country != e.country:
        return [
            Reason(
                "CLIENT_COUNTRY_IGNORED",
                f"The client is in {country_name(client_country)}; only "
                f"the place where the work is physically performed ({country_name(e.country)}) "
                f"counts.",
                sources,
                "info",
            )
        ]
    return []


def _segment(index: int, ctx: _Context) -> tuple[Segment, list[str]]:
    # GoCheck reuses segments for cases that leave whole countries out: a segment may read
    # its own engagement, the engagements in its country, the worker, employer and business,
    # but its index only to name missing facts (tests/test_fast_path.py holds it to that).
    e = ctx.case.engagements[index]
    network_src = ctx.rules.network.urls
    note = _client_note(e, network_src)
    if ctx.is_us(e.country):
        reason = Reason(
            "WORK_IN_US",
            "Work performed in the United States (its territories "
            "included) is covered by U.S. Social Security; no certificate is needed "
            "for it.",
            ctx.rules.network.united_states_sources_urls,
        )
        return Segment(e.country, e.start, e.end, False, False, "us", "none", (reason, *note)), []
    arrangements, in_force, ids = ctx.index.arrangements(e.country, e.region)
    if not arrangements:
        reason = Reason(
            "NO_AGREEMENT",
            f"The United States has no social security agreement "
            f"with {country_name(e.country)}: both countries may tax the same "
            f"earnings, and no certificate of coverage exists.",
            network_src,
        )
        return Segment(
            e.country, e.start, e.end, False, False, "dual_risk", "none", (reason, *note)
        ), []
    results = [(a, *_judge(index, ctx, a)) for a in arrangements]
    finding = _combine(index, e, results)
    return Segment(
        e.country,
        e.start,
        e.end,
        agreement_country=in_force,
        agreement_in_force=all(ok for _, _, ok in results),
        coverage=finding.coverage,
        certificate=finding.certificate,
        reasons=(*finding.reasons, *note),
        agreement=ids,
        limit_last_day=finding.limit_last_day,
        limit_from=finding.limit_from,
        document=finding.document,
    ), finding.missing


def _not_yet_in_force(foreign: list[Segment], rules: RuleBook, as_of: date) -> Reason | None:
    for s in foreign:
        for agreement in rules.for_country(s.country):
            eif = agreement.entry_into_force
            if eif is not None and as_of < eif.value:
                return Reason(
                    "AGREEMENT_NOT_YET_IN_FORCE",
                    f"The agreement with "
                    f"{agreement.name} takes effect on {eif.value}: no certificate "
                    f"can be requested before then.",
                    eif.urls,
                )
    return None


def _outcome(
    foreign: list[Segment], missing: list[str], rules: RuleBook, as_of: date
) -> tuple[Outcome, list[Reason]]:
    """The case's outcome from its foreign segments and missing facts, with the reasons that
    belong to the case as a whole (see ``docs/screening.md``)."""
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
                rules.network.united_states_sources_urls,
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
                rules.network.urls,
            )
        )
    elif "undetermined" in coverages or missing:
        outcome = "pause"
    elif coverages == {"us"} and all(s.certificate == "none" for s in foreign):
        outcome = "not_needed"
        reasons.append(
            Reason(
                "NO_CERTIFICATE_NEEDED",
                "The agreement keeps all this work in U.S. coverage and no certificate is "
                "issued or needed for it: there is nothing to request.",
                tuple(dict.fromkeys(u for s in foreign for r in s.reasons for u in r.sources)),
            )
        )
    else:
        outcome = "go" if coverages == {"us"} else "no_go"
        early = None if "dual_risk" in coverages else _not_yet_in_force(foreign, rules, as_of)
        if early is not None:
            outcome = "pause"
            reasons.append(early)
    return outcome, reasons


def decide(case: Case, rules: RuleBook, as_of: date) -> Decision:
    """Screen ``case`` under ``rules`` as on ``as_of`` (see ``docs/screening.md``)."""
    return decide_with_gaps(case, rules, as_of)[0]


def decide_with_gaps(
    case: Case, rules: RuleBook, as_of: date
) -> tuple[Decision, tuple[tuple[str, ...], ...]]:
    """:func:`decide`'s decision, and the facts each of its segments found missing."""
    ctx = _Context(case, rules, as_of)
    segments: list[Segment] = []
    missing: list[str] = []
    per_segment: list[tuple[str, ...]] = []
    for index in range(len(case.engagements)):
        segment, gaps = _segment(index, ctx)
        segments.append(segment)
        missing.extend(gaps)
        per_segment.append(tuple(gaps))
    foreign = [s for s in segments if not ctx.is_us(s.country)]
    coverages = {s.coverage for s in foreign}
    outcome, reasons = _outcome(foreign, missing, rules, as_of)
    if rules.custom_dir is not None:
        reasons.append(
            Reason(
                "RULES_NOT_SHIPPED",
                f"This answer uses rules data from {rules.custom_dir} (COCFLOW_RULES_DIR), "
                f"not the data shipped with cocflow: use it to review edits, not to file.",
                (rules.custom_dir.as_uri(),),
                "warning",
            )
        )
    decision = Decision(
        as_of=as_of,
        outcome=outcome,
        country_covered=_country_covered(foreign),
        us_coverage_assigned=_us_assigned(coverages) if foreign else None,
        segments=tuple(segments),
        reasons=tuple(reasons),
        next_actions=(),
        missing_facts=tuple(dict.fromkeys(missing)),
        rules_version=rules.version,
    )
    return decision, tuple(per_segment)


def would_go(case: Case, rules: RuleBook, as_of: date) -> bool:
    """Whether ``decide(case, rules, as_of).outcome`` is ``go``, judging no more than that
    needs: a go has exactly one foreign country, and every foreign segment covered by the
    United States with no fact missing, so the first segment that is not stops the search
    (work in the United States is always U.S.-covered, with nothing missing)."""
    us = rules.network.us_codes
    if len({e.country for e in case.engagements if e.country not in us}) != 1:
        return False  # no work abroad (not_needed) or several countries (pause)
    ctx = _Context(case, rules, as_of)
    foreign: list[Segment] = []
    for index, e in enumerate(case.engagements):
        if e.country in us:
            continue
        segment, gaps = _segment(index, ctx)
        if gaps or segment.coverage != "us":
            return False
        foreign.append(segment)
    return _outcome(foreign, [], rules, as_of)[0] == "go"


_OTHER_FACTS = tuple(f.name for f in fields(Case) if f.name != "engagements")


class GoCheck:
    """:func:`would_go` for the cases ``go_if`` derives from one case already decided.

    A segment's judgment depends on its engagement, the other engagements in the same country
    (they may make one posting), the worker, employer and business, the rules and the date;
    its index in the case appears only in the paths of missing facts. So a changed case that
    keeps, of the decided case's engagements, all those of some countries (the same objects,
    in the same order) and changes nothing else is answered from the segments already judged.
    Any other change is decided by :func:`would_go`.
    """

    def __init__(
        self,
        case: Case,
        segments: tuple[Segment, ...],
        gaps: tuple[tuple[str, ...], ...],
        rules: RuleBook,
        as_of: date,
    ) -> None:
        self.case, self.segments, self.gaps = case, segments, gaps
        self.rules, self.as_of = rules, as_of
        self._per_country: dict[str, int] = {}
        for e in case.engagements:
            self._per_country[e.country] = self._per_country.get(e.country, 0) + 1

    def __call__(self, changed: Case, rules: RuleBook, as_of: date) -> bool:
        kept = self._kept(changed) if rules is self.rules and as_of == self.as_of else None
        if kept is None:
            return would_go(changed, rules, as_of)
        us = rules.network.us_codes
        if len({self.segments[i].country for i in kept} - us) != 1:
            return False
        foreign: list[Segment] = []
        for i in kept:
            segment = self.segments[i]
            if segment.country in us:
                continue
            if self.gaps[i] or segment.coverage != "us":
                return False
            foreign.append(segment)
        return _outcome(foreign, [], rules, as_of)[0] == "go"

    def _kept(self, changed: Case) -> list[int] | None:
        """The indexes of the decided case's engagements that ``changed`` keeps, when it keeps
        every engagement of each country it keeps and changes nothing else; else None."""
        case = self.case
        if any(getattr(changed, name) is not getattr(case, name) for name in _OTHER_FACTS):
            return None
        original = case.engagements
        kept: list[int] = []
        counts: dict[str, int] = {}
        at = 0
        for e in changed.engagements:
            while at < len(original) and original[at] is not e:
                at += 1
            if at == len(original):
                return None
            kept.append(at)
            counts[e.country] = counts.get(e.country, 0) + 1
            at += 1
        if any(self._per_country[c] != n for c, n in counts.items()):
            return None
        return kept


def _country_covered(foreign: list[Segment]) -> bool | None:
    if not foreign:
        return None
    if any(s.coverage == "dual_risk" for s in foreign):
        return False
    if all(s.agreement_country and s.agreement_in_force for s in foreign):
        return True
    return None


def _us_assigned(coverages: set[Coverage]) -> bool | None:
    if coverages == {"us"}:
        return True
    if coverages & {"foreign", "dual_risk"}:
        return False
    return None
