"""A client roster (CSV or XLSX) into a team's stored cases.

Two steps, as a person takes them: :func:`preview` reads the file, applies the column mapping
(the one given, else the one remembered for this layout of headings, else one suggested from
the headings), and reports every problem of every row and what an import would do, writing
nothing; :func:`apply` stores the clients without a problem. A client is found again by its
reference in the organisation, so importing the same roster again updates the same cases (and
records what changed in their proof files) instead of duplicating them. The mapping and date
order used are remembered for the next file with the same headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from cocflow.errors import InputError
from cocflow.interview.roster import (
    DateOrder,
    RosterImport,
    check_mapping,
    import_rows,
    mapping_key,
    suggest_mapping,
)
from cocflow.io.rosterfile import Table, read_table
from cocflow.services.access import Action, Actor, require
from cocflow.services.team import Desk, NewClient

__all__ = ["CHUNK", "ImportPlan", "ImportResult", "apply", "preview"]

CHUNK = 500  # new clients stored per transaction


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import of the file would do: the table read, the mapping used (and whether it was
    remembered), the date order, every problem, and the clients new, changed or the same."""

    table: Table
    mapping: dict[str, str | None]
    remembered: bool
    date_order: DateOrder | None
    result: RosterImport
    new: tuple[str, ...]
    changed: tuple[str, ...]
    same: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: tuple[str, ...]  # case ids
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...]  # client references with a problem


def preview(
    desk: Desk,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    mapping: Mapping[str, str | None] | None = None,
    date_order: DateOrder | None = None,
    fixes: Mapping[tuple[int, str], str] | None = None,
) -> ImportPlan:
    """Read and check the roster; nothing is written. ``fixes`` replaces cells, by (row
    number, heading), as typed on the page that lists the problems."""
    require(actor, Action.ROSTER_IMPORT)
    assert actor.org_id is not None
    table = read_table(data, filename)
    remembered = desk.team.mapping(actor.org_id, mapping_key(table.headers))
    used = dict(mapping) if mapping is not None else None
    if used is None and remembered is not None:
        used = remembered[0]
        date_order = date_order or _order(remembered[1])
    was_remembered = mapping is None and remembered is not None
    used = used if used is not None else suggest_mapping(table.headers)
    problems = check_mapping(table.headers, used)
    if problems:
        raise InputError(problems, source=filename)
    rows = _with_fixes(table, fixes or {})
    result = import_rows(table.headers, rows, used, date_order=date_order)
    known = desk.team.cases_by_ref(actor.org_id)
    given = {
        known[c.reference]: c.case
        for c in result.clients
        if c.case is not None and c.reference in known
    }
    kept = desk.work.unchanged(given)
    new, changed, same = [], [], []
    for client in result.clients:
        if client.case is None:
            continue
        case_id = known.get(client.reference)
        if case_id is None:
            new.append(client.reference)
        elif case_id not in kept:
            changed.append(client.reference)
        else:
            same.append(client.reference)
    return ImportPlan(
        table, used, was_remembered, date_order, result, tuple(new), tuple(changed), tuple(same)
    )


def apply(desk: Desk, actor: Actor, plan: ImportPlan, today: date) -> ImportResult:
    """Store every client of ``plan`` that has no problem; remember the mapping."""
    require(actor, Action.ROSTER_IMPORT)
    assert actor.org_id is not None
    known = desk.team.cases_by_ref(actor.org_id)
    created: list[str] = []
    updated, unchanged, skipped = [], [], []
    fresh = []
    for client in plan.result.clients:
        if client.case is None:
            skipped.append(client.reference)
            continue
        case_id = known.get(client.reference)
        if case_id is None:
            fresh.append(NewClient(client.case, client.reference, client.name, client.notes))
            continue
        if client.reference in plan.changed:
            desk.update(actor, case_id, client.case, today)
            updated.append(case_id)
        else:
            unchanged.append(case_id)
        desk.team.set_client(case_id, client.name, dict(client.notes))
    for start in range(0, len(fresh), CHUNK):
        made, refused = _store(desk, actor, fresh[start : start + CHUNK], today)
        created += made
        skipped += refused
    desk.team.save_mapping(
        actor.org_id, mapping_key(plan.table.headers), plan.mapping, plan.date_order
    )
    desk.team.audit(
        org_id=actor.org_id,
        actor=actor.user_id,
        action="roster.import",
        detail={
            "created": len(created),
            "updated": len(updated),
            "unchanged": len(unchanged),
            "skipped": len(skipped),
        },
    )
    return ImportResult(tuple(created), tuple(updated), tuple(unchanged), tuple(skipped))


def _store(
    desk: Desk, actor: Actor, clients: list[NewClient], today: date
) -> tuple[list[str], list[str]]:
    """Store ``clients`` in one transaction: the case ids made, and the references refused.
    Should one be refused (another import took its reference meanwhile), each is stored on its
    own."""
    try:
        return [case_id for case_id, _ in desk.new_cases(actor, clients, today)], []
    except InputError as problem:
        if any(p.code != "DUPLICATE_REFERENCE" for p in problem.problems):
            raise
        if len(clients) == 1:
            return [], [clients[0].reference or ""]
    made, refused = [], []
    for client in clients:
        one, out = _store(desk, actor, [client], today)
        made += one
        refused += out
    return made, refused


def _order(text: str | None) -> DateOrder | None:
    if text == "DMY":
        return "DMY"
    if text == "MDY":
        return "MDY"
    if text == "YMD":
        return "YMD"
    return None


def _with_fixes(table: Table, fixes: Mapping[tuple[int, str], str]) -> list[tuple[int, list[str]]]:
    if not fixes:
        return [(n, list(cells)) for n, cells in table.numbered_rows()]
    column = {h: i for i, h in enumerate(table.headers)}
    out = []
    for number, given in table.numbered_rows():
        cells = list(given) + [""] * (len(table.headers) - len(given))
        for (row, heading), value in fixes.items():
            if row == number and heading in column:
                cells[column[heading]] = value
        out.append((number, cells))
    return out
