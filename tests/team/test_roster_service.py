"""A roster into stored cases: every problem at once, the clients without one stored, the
mapping remembered, and a second import updating the same cases rather than duplicating them."""

from __future__ import annotations

from datetime import date

import pytest

from cocflow.services import roster
from cocflow.services.access import Denied
from cocflow.services.team import Desk
from tests.team.support import Team

TODAY = date(2026, 11, 25)
ROSTER = """Client ID;Name;Worker type;Host country;Start date;End date;Lives in;Partner
C-1;Ana Lima;Self-employed;UK;02/18/2027;06/30/2027;US;JB
C-2;Tom de Vries;self employed;Holland;03/01/2027;12/31/2027;US;JB
C-3;Kim Min;Self-employed;Atlantis;13/45/2027;;US;MK
C-4;Lee Joon;Freelancer;Korea;04/01/2027;09/30/2027;;MK
"""


def _preview(desk: Desk, team: Team, text: str = ROSTER) -> roster.ImportPlan:
    return roster.preview(desk, team.preparer, text.encode(), "clients.csv", date_order="MDY")


def test_every_problem_at_once_and_the_rest_stored(desk: Desk, team: Team) -> None:
    plan = _preview(desk, team)
    assert plan.table.delimiter == ";"
    bad = {(p.row, p.column) for p in plan.result.problems}
    assert bad == {(4, "Host country"), (4, "Start date")}  # both problems of row 4
    assert plan.new == ("C-1", "C-2", "C-4")
    done = roster.apply(desk, team.preparer, plan, TODAY)
    assert len(done.created) == 3 and done.skipped == ("C-3",)
    places = {c.client_ref: c for c in desk.cases(team.preparer)}
    assert set(places) == {"C-1", "C-2", "C-4"}  # a preparer's imports are assigned to them
    uk = desk.work.working_copy(places["C-1"].id)
    assert uk.engagements[0].country == "GB"
    assert uk.engagements[0].start == date(2027, 2, 18)
    assert desk.work.working_copy(places["C-2"].id).engagements[0].country == "NL"
    assert desk.work.working_copy(places["C-4"].id).engagements[0].country == "KR"
    assert places["C-1"].client_name == "Ana Lima"
    assert desk.team.client_notes(places["C-1"].id) == {"Partner": "JB"}


def test_importing_again_updates_the_same_cases(desk: Desk, team: Team) -> None:
    roster.apply(desk, team.preparer, _preview(desk, team), TODAY)
    before = {c.client_ref: c.id for c in desk.cases(team.owner)}
    again = _preview(desk, team)
    assert again.new == () and again.changed == () and set(again.same) == {"C-1", "C-2", "C-4"}
    moved = ROSTER.replace("03/01/2027;12/31/2027", "03/01/2027;11/30/2027")
    plan = _preview(desk, team, moved)
    assert plan.changed == ("C-2",)
    done = roster.apply(desk, team.preparer, plan, TODAY)
    assert done.updated == (before["C-2"],) and not done.created
    assert {c.client_ref: c.id for c in desk.cases(team.owner)} == before
    kinds = [e.kind for e in desk.work.entries(before["C-2"])]
    assert kinds == ["screened", "facts_changed", "screened"]
    assert desk.work.entries(before["C-4"]) == []  # where the client lives is still asked


def test_the_mapping_and_date_order_are_remembered_for_the_same_headings(
    desk: Desk, team: Team
) -> None:
    plan = _preview(desk, team)
    mapping = dict(plan.mapping)
    mapping["Partner"] = None
    roster.apply(desk, team.preparer, plan, TODAY)
    second = roster.preview(desk, team.colleague, ROSTER.encode(), "clients.csv")
    assert second.remembered and second.date_order == "MDY"
    assert second.mapping == plan.mapping


def test_a_fix_typed_on_the_page_replaces_the_cell(desk: Desk, team: Team) -> None:
    plan = roster.preview(
        desk,
        team.preparer,
        ROSTER.encode(),
        "clients.csv",
        date_order="MDY",
        fixes={(4, "Host country"): "Spain", (4, "Start date"): "05/01/2027"},
    )
    assert plan.result.ok and "C-3" in plan.new


def test_an_auditor_cannot_import(desk: Desk, team: Team) -> None:
    with pytest.raises(Denied):
        roster.preview(desk, team.auditor, ROSTER.encode(), "clients.csv")
