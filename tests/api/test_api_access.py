"""The access-control matrix of the API: each member's token (owner; a preparer the case is
assigned to; a preparer it is not assigned to; a preparer granted every case; reviewer; auditor)
x every operation x {a case of the member's organisation, another organisation's case, a
malformed id}. Each expected status is written out here, read from the roles as the product
describes them (docs/api.md), not computed from services/access.py, and every cell is checked.
Another organisation's case is always 404, as is a malformed id; a refusal changes nothing."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from cocflow.io.casefile import read_case
from cocflow.services.access import Actor, Role
from cocflow.services.accounts import Accounts
from cocflow.services.team import Desk
from cocflow.web.api.routes import OPERATIONS
from tests.api.conftest import BASE, COMPLETE, TODAY, token_for
from tests.api.test_api import MINIMAL
from tests.team.support import Team

ROLES = ("owner", "preparer", "unassigned", "colleague", "reviewer", "auditor")
TARGETS = ("own", "foreign", "malformed")
MALFORMED = "not-a-case-id"

# The operation on a case: "own" is case A (assigned to the preparer, its request prepared by
# the colleague), except for preparing a request, which is done on case B (also assigned to the
# preparer), so that no cell depends on another's order.
#
#                                         owner preparer unassigned colleague reviewer auditor
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    ("GET /cases/{id}", "own"):             (200,  200,     404,       200,     200,     200),
    ("GET /cases/{id}", "foreign"):         (404,  404,     404,       404,     404,     404),
    ("GET /cases/{id}", "malformed"):       (404,  404,     404,       404,     404,     404),
    ("GET /cases/{id}/check", "own"):       (200,  200,     404,       200,     200,     200),
    ("GET /cases/{id}/check", "foreign"):   (404,  404,     404,       404,     404,     404),
    ("GET /cases/{id}/check", "malformed"): (404,  404,     404,       404,     404,     404),
    ("POST /cases/{id}/requests", "own"):       (201, 201,  404,       201,     403,     403),
    ("POST /cases/{id}/requests", "foreign"):   (404, 404,  404,       404,     404,     404),
    ("POST /cases/{id}/requests", "malformed"): (404, 404,  404,       404,     404,     404),
    ("GET /cases/{id}/sign-off", "own"):        (200, 200,  404,       200,     200,     200),
    ("GET /cases/{id}/sign-off", "foreign"):    (404, 404,  404,       404,     404,     404),
    ("GET /cases/{id}/sign-off", "malformed"):  (404, 404,  404,       404,     404,     404),
    ("POST /cases/{id}/sign-off", "own"):       (201, 403,  404,       403,     201,     403),
    ("POST /cases/{id}/sign-off", "foreign"):   (404, 404,  404,       404,     404,     404),
    ("POST /cases/{id}/sign-off", "malformed"): (404, 404,  404,       404,     404,     404),
    ("GET /cases/{id}/events", "own"):          (200, 200,  404,       200,     200,     200),
    ("GET /cases/{id}/events", "foreign"):      (404, 404,  404,       404,     404,     404),
    ("GET /cases/{id}/events", "malformed"):    (404, 404,  404,       404,     404,     404),
    ("GET /cases/{id}/verify", "own"):          (200, 200,  404,       200,     200,     200),
    ("GET /cases/{id}/verify", "foreign"):      (404, 404,  404,       404,     404,     404),
    ("GET /cases/{id}/verify", "malformed"):    (404, 404,  404,       404,     404,     404),
}  # fmt: skip

# The operations on no case: the status, and for the board whether case A is listed (the other
# organisation's case never is).
#                                     owner preparer unassigned colleague reviewer auditor
BOARD = (200, 200, 200, 200, 200, 200)
BOARD_LISTS_A = (True, True, False, True, True, True)
CREATE = (201, 201, 201, 201, 403, 403)
DOCUMENT = (200, 200, 200, 200, 200, 200)


def _members(desk: Desk, team: Team) -> dict[str, Actor]:
    store = desk.team
    unassigned = store.create_user("fay@rivera.example", "Fay Lin", None)
    store.add_member(team.org, unassigned, Role.PREPARER.value)
    return {
        "owner": team.owner,
        "preparer": team.preparer,
        "unassigned": Actor(unassigned, team.org, Role.PREPARER, name="Fay Lin"),
        "colleague": team.colleague,
        "reviewer": team.reviewer,
        "auditor": team.auditor,
    }


def test_the_matrix_covers_every_operation() -> None:
    on_a_case = {f"{o.method} {o.path.replace('{case_id}', '{id}')}" for o in OPERATIONS}
    covered = {op for op, _ in MATRIX} | {"GET /cases", "POST /cases", "GET /openapi.json"}
    assert covered == on_a_case
    assert {target for _, target in MATRIX} == set(TARGETS)
    assert len(MATRIX) == len({op for op, _ in MATRIX}) * len(TARGETS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_cells(
    client: TestClient, desk: Desk, team: Team, accounts: Accounts, role: str
) -> None:
    members = _members(desk, team)
    actor = members[role]
    case_a, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY, client_ref="A")
    case_b, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY, client_ref="B")
    for case_id in (case_a, case_b):
        desk.assign(team.owner, case_id, team.preparer.user_id)
    (prepared,) = desk.prepare(team.colleague, [case_a], TODAY)
    assert prepared.ok, prepared.why
    foreign, _ = desk.new_case(team.outsider, read_case(COMPLETE), TODAY, client_ref="A")
    desk.prepare(team.outsider, [foreign], TODAY)
    foreign_entries = len(desk.work.entries(foreign))
    auth = {"Authorization": f"Bearer {token_for(accounts, actor)}"}
    column = ROLES.index(role)
    wrong: list[str] = []
    checked = 0

    def cell(name: str, expected: int, got: int) -> None:
        nonlocal checked
        checked += 1
        if got != expected:
            wrong.append(f"{role} x {name}: expected {expected}, got {got}")

    for (operation, target), statuses in MATRIX.items():
        method, template = operation.split(" ")
        case_id = {"own": case_a, "foreign": foreign, "malformed": MALFORMED}[target]
        if operation == "POST /cases/{id}/requests" and target == "own":
            case_id = case_b
        response = client.request(method, BASE + template.replace("{id}", case_id), headers=auth)
        cell(f"{operation} [{target}]", statuses[column], response.status_code)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"

    board = client.get(f"{BASE}/cases", headers=auth)
    cell("GET /cases", BOARD[column], board.status_code)
    listed = {row["id"] for row in board.json().get("cases", [])}
    cell("GET /cases lists case A", BOARD_LISTS_A[column], case_a in listed)
    cell("GET /cases never lists the other organisation's", False, foreign in listed)
    created = client.post(f"{BASE}/cases", headers=auth, json={"case": MINIMAL})
    cell("POST /cases", CREATE[column], created.status_code)
    cell("GET /openapi.json", DOCUMENT[column], client.get(f"{BASE}/openapi.json").status_code)

    assert not wrong, "\n".join(wrong)
    assert checked == len(MATRIX) + 5
    assert len(desk.work.entries(foreign)) == foreign_entries  # refusals changed nothing
    made = MATRIX[("POST /cases/{id}/requests", "own")][column] == 201
    kinds = [e.kind for e in desk.work.entries(case_b)]
    assert kinds.count("request_prepared") == (1 if made else 0)


@pytest.mark.parametrize("header", [None, "Bearer cfpat_forged", "Basic b3duZXI6b3duZXI="])
def test_without_a_working_token_every_cell_is_401(
    client: TestClient, desk: Desk, team: Team, header: str | None
) -> None:
    case_id, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY)
    auth = {"Authorization": header} if header else {}
    for operation in OPERATIONS:
        for target in (case_id, MALFORMED):
            path = BASE + operation.path.replace("{case_id}", target)
            response = client.request(operation.method, path, headers=auth, json={})
            assert response.status_code == (401 if operation.secured else 200), (
                path,
                response.text,
            )
    assert len(desk.work.entries(case_id)) == 1
