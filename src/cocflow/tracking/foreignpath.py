"""The foreign path: when the agreement gives the work to the other country.

A ``no_go`` whose foreign segments are all covered by the other country has a plan of its own:
get that country's certificate (or, where it issues none, the document that proves the
exemption instead, such as SSA's letter of exemption under the Australian agreement), keep it
with the case, and show it where U.S. contributions would otherwise be charged: the U.S.
payroll for an employee, Schedule SE every year for the self-employed. Pure functions over the
stored decision and the proof log's events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cocflow.countries import country_name

__all__ = ["OUTCOME_WORDS", "Checkpoint", "ForeignPlan", "foreign_plan", "foreign_steps"]

Event = tuple[int, str, dict[str, Any]]  # (seq, kind, payload)


OUTCOME_WORDS = {"go": "go", "no_go": "no go", "pause": "pause", "not_needed": "not needed"}


@dataclass(frozen=True, slots=True)
class ForeignPlan:
    countries: tuple[str, ...]
    document: str  # what to get, in words
    from_whom: str  # who issues it
    yearly_step: str | None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One step towards relying on the exemption: done or not, with its evidence."""

    name: str
    done: bool
    evidence: str


def foreign_plan(
    decision: dict[str, Any], us_codes: frozenset[str], issuer: Callable[[str], str | None]
) -> ForeignPlan | None:
    """The foreign path of a stored decision, or ``None`` when it is not one.

    ``issuer(country)`` gives the rules' text for who issues that country's certificate.
    """
    if decision.get("outcome") != "no_go":
        return None
    foreign = [s for s in decision.get("segments", []) if s["country"] not in us_codes]
    if not foreign or any(s["coverage"] != "foreign" for s in foreign):
        return None
    countries = tuple(sorted({s["country"] for s in foreign}))
    names = " and ".join(country_name(c) for c in countries)
    documents = [s.get("document") for s in foreign if s.get("document")]
    if documents:
        doc = documents[0]
        who = "SSA, by mail or fax" if doc["issuer"] == "us" else issuer(countries[0])
        return ForeignPlan(
            countries, doc["name"], who or f"the authority of {names}", doc.get("yearly_step")
        )
    if any(s["certificate"] != "foreign" for s in foreign):
        return None
    who = issuer(countries[0]) or f"the social security authority of {names}"
    return ForeignPlan(countries, f"{names}'s certificate of coverage", who, None)


def outcome_turned(events: Sequence[Event]) -> int:
    """The entry of the screening at which the case's current outcome began (0: the first
    screening, or none): what was filed before it was filed for another answer."""
    turned, before = 0, None
    for seq, kind, payload in events:
        if kind != "screened":
            continue
        outcome = payload.get("outcome")
        if before is not None and outcome != before:
            turned = seq
        before = outcome
    return turned


def foreign_steps(
    plan: ForeignPlan,
    events: Sequence[Event],
    kind: str,
    covers: Callable[[dict[str, Any]], bool],
) -> list[Checkpoint]:
    """The four checkpoints of the foreign path, each needing the one before. A request made
    before the facts changed, or before the screening turned to this outcome (new rules), was
    not a request for this path: only later ones count."""
    changed = max(
        max((seq for seq, k, _ in events if k == "facts_changed"), default=0),
        outcome_turned(events),
    )
    screened = [(seq, p) for seq, k, p in events if k == "screened"]
    last = screened[-1] if screened else None
    names = " and ".join(country_name(c) for c in plan.countries)
    one = Checkpoint(
        "Foreign coverage confirmed",
        bool(last and last[1].get("outcome") == "no_go"),
        f"entry {last[0]}: screening says "
        f"{OUTCOME_WORDS.get(last[1].get('outcome', ''), '?')}: {names} covers the work"
        if last
        else "no screening recorded",
    )
    asked = [seq for seq, k, _ in events if k == "submitted" and seq > changed]
    two = Checkpoint(
        f"Request for {plan.document} filed",
        one.done and bool(asked),
        f"entry {asked[-1]}: request recorded"
        if asked
        else f"ask {plan.from_whom.rstrip('.')}, then record the request in the case",
    )
    after = asked[-1] if asked else None
    received = [
        (seq, p)
        for seq, k, p in events
        if k == "certificate_received" and after is not None and seq > after
    ]
    good = [seq for seq, p in received if covers(p)]
    three = Checkpoint(
        "Records stored together",
        two.done and bool(good),
        f"entry {good[-1]}: {plan.document} on file"
        if good
        else "record the document, with its country and the period it covers, once it arrives",
    )
    where = (
        "attached to Schedule SE (Form 1040) with the tax return, every year"
        if kind == "self_employed"
        else "given to the U.S. payroll so it stops withholding U.S. Social Security"
    )
    shown = [
        seq
        for seq, k, p in events
        if k == "delivered" and p.get("file") and good and seq > good[-1]
    ]
    four = Checkpoint(
        "Exemption shown where U.S. contributions are due",
        three.done and bool(shown),
        f"entry {shown[-1]}: {where}, with proof"
        if shown
        else f"a copy {where}, recorded in the case as the delivery",
    )
    return [one, two, three, four]
