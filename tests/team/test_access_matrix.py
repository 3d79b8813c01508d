"""Every role against every action, on a case of its organisation (assigned to the acting
preparer or not), on a client's own case, and on another organisation's case. The expected
answers are written out here, apart from the table in services/access.py, and every cell is
checked through the services (Desk.access), so a change of either shows up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cocflow.io.casefile import read_case
from cocflow.services.access import PERMISSIONS, Action, Actor, Denied, NotFound, Role, require
from cocflow.services.cases import Casework
from cocflow.services.team import Desk
from cocflow.store.team import TeamStore
from tests.team.support import Team, make_team

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)

A = Action
EXPECTED: dict[Role, set[Action]] = {
    Role.OWNER: set(Action),
    Role.PREPARER: {
        A.BOARD, A.CASE_READ, A.CASE_CREATE, A.CASE_EDIT, A.CASE_ANSWER, A.SSN_REVEAL,
        A.ROSTER_IMPORT, A.REQUEST_PREPARE, A.REQUEST_FILE, A.PROOF_ADD, A.PROOF_VERIFY,
        A.PROOF_EXPORT, A.QUESTIONNAIRE_SEND, A.TOKENS_OWN,
    },
    Role.REVIEWER: {
        A.BOARD, A.CASE_READ, A.REQUEST_APPROVE, A.PROOF_VERIFY, A.PROOF_EXPORT, A.TOKENS_OWN,
    },
    Role.AUDITOR: {
        A.BOARD, A.CASE_READ, A.PROOF_VERIFY, A.PROOF_EXPORT, A.AUDIT_READ, A.TOKENS_OWN,
    },
    Role.CLIENT: {A.CASE_READ, A.CASE_ANSWER},
}  # fmt: skip


def test_the_written_expectation_covers_every_role_and_action() -> None:
    assert set(EXPECTED) == set(Role)
    assert set(PERMISSIONS) == set(Action)


@pytest.fixture
def setup(team_work: Casework) -> tuple[Desk, Team, dict[str, str]]:
    store = TeamStore(team_work.store.engine, team_work.store.keys)
    desk = Desk(team_work, store)
    team = make_team(store)
    case = read_case(ROOT / "examples" / "filing-complete.yaml")
    cases = {
        "assigned": desk.new_case(team.preparer, case, TODAY)[0],
        "unassigned": desk.new_case(team.owner, case, TODAY)[0],
        "foreign": desk.new_case(team.outsider, case, TODAY)[0],
    }
    return desk, team, cases


def _outcome(desk: Desk, actor: Actor, case_id: str, action: Action) -> str:
    try:
        desk.access(actor, case_id, action)
    except NotFound:
        return "404"
    except Denied:
        return "403"
    return "allow"


def _expected(actor: Actor, where: str, action: Action, cases: dict[str, str]) -> str:
    if where == "foreign":
        return "404"
    if actor.role is Role.CLIENT and where != "own":
        return "404"
    if actor.role is Role.PREPARER and not actor.all_cases and where == "unassigned":
        return "404"
    return "allow" if action in EXPECTED[actor.role] else "403"


def test_every_role_every_action_every_case(setup: tuple[Desk, Team, dict[str, str]]) -> None:
    desk, team, cases = setup
    actors = [team.owner, team.preparer, team.colleague, team.reviewer, team.auditor]
    checked = 0
    for action in Action:
        for actor in actors:
            for where in ("assigned", "unassigned", "foreign"):
                got = _outcome(desk, actor, cases[where], action)
                assert got == _expected(actor, where, action, cases), (actor.role, where, action)
                checked += 1
        client = team.client(cases["assigned"])
        for where, case_id in (("own", cases["assigned"]), ("unassigned", cases["unassigned"])):
            assert _outcome(desk, client, case_id, action) == _expected(
                client, where, action, cases
            ), ("client", where, action)
            checked += 1
        outsider = _outcome(desk, team.outsider, cases["assigned"], action)
        assert outsider == "404"
        checked += 1
    assert checked == len(Action) * (5 * 3 + 2 + 1)


def test_actions_about_no_case_follow_the_same_table(
    setup: tuple[Desk, Team, dict[str, str]],
) -> None:
    _, team, _ = setup
    for action in Action:
        for actor in (team.owner, team.preparer, team.reviewer, team.auditor):
            allowed = action in EXPECTED[actor.role]
            if allowed:
                require(actor, action)
            else:
                with pytest.raises(Denied):
                    require(actor, action)


def test_an_unknown_or_malformed_case_id_is_not_found_and_audited(
    setup: tuple[Desk, Team, dict[str, str]],
) -> None:
    desk, team, _ = setup
    for given in ("0" * 16, "../../etc/passwd", "", "x" * 500):
        with pytest.raises(NotFound):
            desk.access(team.owner, given, Action.CASE_READ)
    denied = [e for e in desk.team.audit_entries(team.org) if e.outcome == "denied"]
    assert len(denied) == 4


def test_a_refused_look_at_another_organisation_s_case_is_audited_in_the_actor_s_log(
    setup: tuple[Desk, Team, dict[str, str]],
) -> None:
    desk, team, cases = setup
    with pytest.raises(NotFound):
        desk.case(team.owner, cases["foreign"])
    (entry,) = [e for e in desk.team.audit_entries(team.org) if e.outcome == "denied"]
    assert entry.actor == team.owner.user_id and entry.target == cases["foreign"]
    assert entry.action == "denied:case.read"
    assert not [e for e in desk.team.audit_entries(team.other_org) if e.outcome == "denied"]


def test_the_board_lists_only_what_each_member_sees(
    setup: tuple[Desk, Team, dict[str, str]],
) -> None:
    desk, team, cases = setup
    ids = {a.role.value + str(a.all_cases): {c.id for c in desk.cases(a)} for a in (
        team.owner, team.preparer, team.colleague, team.reviewer, team.auditor)}  # fmt: skip
    mine = {cases["assigned"], cases["unassigned"]}
    assert ids == {
        "ownerTrue": mine,
        "preparerFalse": {cases["assigned"]},
        "preparerTrue": mine,
        "reviewerFalse": mine,
        "auditorFalse": mine,
    }
    assert {c.id for c in desk.cases(team.outsider)} == {cases["foreign"]}
    with pytest.raises(Denied):
        desk.cases(team.client(cases["assigned"]))
