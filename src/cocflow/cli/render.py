"""Text for people: decisions and agreements, outcome first. Colour only on a terminal."""

from __future__ import annotations

import textwrap
from typing import Any

from cocflow.countries import country_name
from cocflow.rules.loader import RuleBook
from cocflow.rules.model import Agreement, RuleEntry
from cocflow.screening.advice import headline
from cocflow.screening.decision import Decision, Reason

__all__ = [
    "agreement_dict",
    "agreement_text",
    "agreements_text",
    "decision_text",
]

HEADLINES = {
    "go": ("GO", "green"),
    "no_go": ("NO GO", "red"),
    "pause": ("PAUSE", "yellow"),
    "not_needed": ("NOT NEEDED", "cyan"),
}
MARK = {"decisive": "-", "warning": "! warning:", "info": "i"}


def _reason(r: Reason, indent: str) -> list[str]:
    lines = [f"{indent}{MARK[r.severity]} {r.text} [{r.code}]"]
    lines += [f"{indent}    source: {url}" for url in r.sources]
    return lines


def _wrap(lines: list[str], width: int | None) -> list[str]:
    """Wrap long lines to ``width``, continuing under the text after the line's marker."""
    if not width:
        return lines
    out: list[str] = []
    for line in lines:
        if len(line) <= width or line.lstrip().startswith("source:"):
            out.append(line)  # a URL is kept whole, so it can be copied
            continue
        body = line.lstrip(" ")
        marker = body.split(" ", 1)[0] if body[:1] in "-!i0123456789" else ""
        if marker == "!":
            marker = "! warning:"
        hang = " " * (len(line) - len(body) + (len(marker) + 1 if marker else 2))
        out += textwrap.wrap(
            line, width, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False
        )
    return out


def decision_text(d: Decision, markup: bool, width: int | None = None) -> str:
    """The decision as lines of text (Rich markup when ``markup``), wrapped to ``width``."""
    label, colour = HEADLINES[d.outcome]
    gist = headline(d)
    head = f"[bold {colour}]{label}[/]" if markup else label
    lines = [f"{head}: {gist}", f"As of {d.as_of}; rules {d.rules_version}.", "", "Why:"]
    for r in d.reasons:
        lines += _reason(r, "  ")
    for s in d.segments:
        end = s.end.isoformat() if s.end else "open-ended"
        lines.append(
            f"  {country_name(s.country)} ({s.country}), {s.start} to {end}: "
            f"coverage {s.coverage}, certificate {s.certificate}"
        )
        for r in s.reasons:
            lines += _reason(r, "    ")
    if d.missing_facts:
        lines += ["", "Missing facts (add them to the case file):"]
        lines += [f"  - {m}" for m in d.missing_facts]
    if d.go_if:
        lines += ["", "It would be a GO:"] + [f"  - {g}" for g in d.go_if]
    lines += ["", "What to do:"] + [f"  {i}. {a}" for i, a in enumerate(d.next_actions, 1)]
    return "\n".join(_wrap(lines, width))


def _entry_dict(e: RuleEntry) -> dict[str, Any]:
    data: dict[str, Any] = e.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.setdefault("to", None)
    return data


def agreement_dict(a: Agreement) -> dict[str, Any]:
    data: dict[str, Any] = a.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["employee"] = [_entry_dict(e) for e in a.employee]
    data["self_employed"] = [_entry_dict(e) for e in a.self_employed]
    return data


def _rule_line(e: RuleEntry) -> str:
    if e.confidence == "conflicting":
        return "sources conflict: " + " / ".join(_spec(r) for r in e.readings)
    return _spec(e)


def _spec(e: Any) -> str:
    rule: str = e.rule
    if rule == "detachment":
        back = f" ({e.limit_months_to_us} months to the U.S.)" if e.limit_months_to_us else ""
        return f"posting up to {e.limit_months} months{back}"
    if rule == "territorial_with_transfer":
        return f"place of work; a U.S. business moved for up to {e.limit_months} months keeps U.S."
    if rule == "residence":
        return "country of residence, no time limit"
    if rule == "residence_with_transfer":
        return f"residence; a U.S. business moved for up to {e.limit_months} months keeps U.S."
    if rule == "nationality":
        return "nationality"
    return "not established"


def agreements_text(rules: RuleBook) -> str:
    rows = [f"{'ID':<6} {'Agreement':<18} {'In force':<11} {'Employees':<34} Self-employed"]
    for a in sorted(rules.agreements.values(), key=lambda x: x.id):
        eif = a.entry_into_force.value.isoformat() if a.entry_into_force else "not in force"
        emp = _rule_line(a.employee[-1]) if a.employee else "-"
        se = _rule_line(a.self_employed[-1]) if a.self_employed else "-"
        rows.append(f"{a.id:<6} {a.name[:18]:<18} {eif:<11} {emp[:34]:<34} {se}")
    rows.append(
        f"\nRules version {rules.version}. 'cocflow agreements ID' shows every value "
        f"with its sources."
    )
    return "\n".join(rows)


def _sources(indent: str, sources: Any) -> list[str]:
    out = []
    for s in sources:
        section = f", {s.section}" if s.section else ""
        out.append(f"{indent}source: {s.url} ({s.title}{section}; verified {s.verified})")
    return out


def agreement_text(a: Agreement) -> str:
    lines = [f"{a.name} ({a.id}): {a.kind}, {a.status.replace('_', ' ')}"]
    for label, day in (("Signed", a.signed), ("In force from", a.entry_into_force)):
        if day is not None:
            lines.append(f"{label}: {day.value} [{day.confidence}]")
            lines += _sources("  ", day.sources)
    for later in a.later_agreements:
        recheck = f"; recheck by {later.recheck}" if later.recheck else ""
        lines.append(
            f"Later agreement signed {later.signed}: {later.status.replace('_', ' ')}"
            f"{recheck} [{later.confidence}]" + (f". {later.note}" if later.note else "")
        )
        lines += _sources("  ", later.sources)
    if a.us_territory is not None:
        names = ", ".join(a.us_territory.value)
        lines.append(f"The United States in this agreement: {names} [{a.us_territory.confidence}]")
        if a.us_territory.note:
            lines.append(f"  {a.us_territory.note}")
        lines += _sources("  ", a.us_territory.sources)
    for label, timeline in (("Employees", a.employee), ("Self-employed", a.self_employed)):
        for e in timeline:
            until = f" to {e.end}" if e.end else ""
            lines.append(f"{label}, from {e.start}{until}: {_rule_line(e)} [{e.confidence}]")
            if e.repeated_posting:
                rp = e.repeated_posting
                lines.append(
                    f"  repeated postings: must end within "
                    f"{rp.within_months_of_first_start} months of the first start, or "
                    f"start {rp.min_gap_months} months after the last one ended"
                )
            lines += [f"  condition: {c.text} (worker.statements.{c.id})" for c in e.conditions]
            if e.note:
                lines.append(f"  {e.note}")
            lines += _sources("  ", e.sources)
    for x in a.request_extras:
        lines.append(f"Request extra ({', '.join(x.applies_to)}): {x.text} [{x.confidence}]")
        lines += _sources("  ", x.sources)
    for label, fact in (
        ("Foreign certificate issuer", a.foreign_certificate_issuer),
        ("Who uses a U.S. certificate", a.us_certificate_use),
        ("What a certificate covers", a.certificate_scope),
    ):
        if fact is not None:
            lines.append(f"{label}: {fact.value} [{fact.confidence}]")
            lines += _sources("  ", fact.sources)
    return "\n".join(lines)
