"""The team's JSON API, operation by operation: the happy path and the main refusals, the one
error shape (RFC 9457), the bearer token, and no full SSN in any answer."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx2
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from cocflow.accounts.tokens import TokenKind
from cocflow.io.casefile import case_data, read_case
from cocflow.services.accounts import Accounts
from cocflow.services.signoff import NotApproved
from cocflow.services.team import Desk
from cocflow.web.api import build_api
from cocflow.web.api.openapi import openapi_document
from cocflow.web.api.problems import MEDIA_TYPE, PROBLEM_BASE, LastResort, handle
from cocflow.web.api.routes import OPERATIONS
from tests.api.conftest import BASE, COMPLETE, FULL_SSN, TODAY, Seeded

COMPLETE_JSON = case_data(read_case(COMPLETE))
MINIMAL = {
    "cocflow_case": 1,
    "worker": {"kind": "self_employed", "residence": [{"country": "US", "from": "2015-01-01"}]},
    "engagements": [{"country": "GB", "start": "2027-03-01", "end": "2027-06-30"}],
}


def problem(response: httpx2.Response, status: int, slug: str) -> dict[str, Any]:
    """The answer's problem, checked to be one: media type, the members RFC 9457 names, the
    status repeated, the type one of ours; and never a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


# --- the document ----------------------------------------------------------------------------


def test_the_document_needs_no_token_and_lists_every_operation(client: TestClient) -> None:
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document == json.loads(json.dumps(openapi_document(OPERATIONS, BASE)))
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": BASE}]
    listed = {
        (m.upper(), p) for p, item in document["paths"].items() for m in item if m != "parameters"
    }
    assert listed == {(o.method, o.path) for o in OPERATIONS}
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    case_id = document["paths"]["/cases/{case_id}"]["parameters"][0]
    assert case_id["schema"]["pattern"] == "^[0-9a-f]{16}$"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    media = answer["content"][MEDIA_TYPE]["schema"]
                    assert media == {"$ref": "#/components/schemas/Problem"}, (path, status)
            assert "422" in operation["responses"]  # a query parameter it does not take
            secured = operation["security"] == [{"bearerAuth": []}]
            assert secured == (path != "/openapi.json")
            assert ("401" in operation["responses"]) == secured


# --- the token -------------------------------------------------------------------------------


def test_without_a_token_every_operation_answers_401(client: TestClient, seeded: Seeded) -> None:
    for operation in OPERATIONS:
        if not operation.secured:
            continue
        path = BASE + operation.path.replace("{case_id}", seeded.case_id)
        response = client.request(operation.method, path, json={"case": MINIMAL})
        body = problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == 'Bearer realm="cocflow"'
        assert "token" in body["detail"]


BAD_HEADERS: list[bytes] = [
    b"Bearer cfpat_not-a-token-at-all",
    b"Bearer ",
    b"Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    b"cfpat_without-a-scheme",
    b"Bearer " + b"x" * 5000,
    "Bearer caf\u00e9".encode(),  # not ASCII
]


def test_a_token_that_does_not_work_answers_401(client: TestClient, seeded: Seeded) -> None:
    for header in BAD_HEADERS:
        response = client.get(f"{BASE}/cases", headers={b"Authorization": header})
        problem(response, 401, "unauthorized")
        assert 'error="invalid_token"' in response.headers["www-authenticate"], header


def test_a_withdrawn_token_and_a_former_member_are_refused(
    client: TestClient, seeded: Seeded, desk: Desk
) -> None:
    assert client.get(f"{BASE}/cases", headers=seeded.auth("auditor")).status_code == 200
    assert client.get(f"{BASE}/cases", headers=seeded.auth("reviewer")).status_code == 200
    team = seeded.team
    (token,) = desk.team.tokens(
        team.org, kind=TokenKind.ACCESS_TOKEN.value, user_id=team.auditor.user_id
    )
    desk.team.revoke_token(token.digest)
    desk.team.remove_member(team.org, team.reviewer.user_id or "")
    problem(client.get(f"{BASE}/cases", headers=seeded.auth("auditor")), 401, "unauthorized")
    problem(client.get(f"{BASE}/cases", headers=seeded.auth("reviewer")), 401, "unauthorized")


# --- the board -------------------------------------------------------------------------------


def _ids(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["cases"]]


def test_the_board_lists_the_cases_with_filters_and_sorts(
    client: TestClient, seeded: Seeded
) -> None:
    owner = seeded.auth("owner")
    made = client.post(
        f"{BASE}/cases", headers=owner, json={"case": MINIMAL, "client_ref": "A-1"}
    ).json()["id"]
    draft = client.post(f"{BASE}/cases", headers=owner, json={"case": {}}).json()["id"]
    (row,) = [
        r
        for r in client.get(f"{BASE}/cases", headers=owner).json()["cases"]
        if r["id"] == seeded.case_id
    ]
    assert row == {
        "id": seeded.case_id,
        "reference": "C-7",
        "client": "Jane Doe",
        "label": row["label"],
        "outcome": "go",
        "file_by": "2026-12-17",
        "next_step": row["next_step"],
        "flag": "due_soon",
        "assignee": "Ben Okafor",
        "sign_off": "none",
    }

    def ids(query: str) -> list[str]:
        return _ids(client.get(f"{BASE}/cases?{query}", headers=owner))

    assert ids("") == [seeded.case_id, made, draft]  # the oldest first; never the other org's
    assert ids("outcome=incomplete") == [draft]
    rows = client.get(f"{BASE}/cases", headers=owner).json()["cases"]
    due = [r["id"] for r in rows if r["flag"] == "due_soon"]
    assert seeded.case_id in due and ids("flag=due_soon") == due
    assert ids("flag=overdue") == []
    assert ids("q=jane") == [seeded.case_id] == ids("q=c-7")
    assert ids("sort=reference") == [made, seeded.case_id, draft]  # no reference: last
    assert ids("sort=file_by&outcome=go")[0] == seeded.case_id


BAD_QUERIES = [
    ("outcome=maybe", "NOT_ALLOWED"),
    ("flag=late", "NOT_ALLOWED"),
    ("sort=client", "NOT_ALLOWED"),
    ("q=" + "x" * 201, "TOO_LONG"),
    ("page=2", "UNKNOWN_PARAMETER"),
    ("outcome=go&outcome=pause", "REPEATED_PARAMETER"),
]


def test_a_query_the_board_does_not_take_answers_422(client: TestClient, seeded: Seeded) -> None:
    for query, code in BAD_QUERIES:
        response = client.get(f"{BASE}/cases?{query}", headers=seeded.auth("owner"))
        body = problem(response, 422, "invalid-input")
        assert [e["code"] for e in body["errors"]] == [code], query
        assert set(body["errors"][0]) == {"path", "code", "message", "fix"}


# --- one case --------------------------------------------------------------------------------


def test_a_case_is_shown_with_its_decision_as_stored_and_the_ssn_masked(
    client: TestClient, seeded: Seeded, desk: Desk
) -> None:
    response = client.get(f"{BASE}/cases/{seeded.case_id}", headers=seeded.auth("reviewer"))
    assert response.status_code == 200
    shown = response.json()
    assert shown["id"] == seeded.case_id
    assert (shown["client_ref"], shown["client_name"]) == ("C-7", "Jane Doe")
    assert shown["outcome"] == "go" and shown["title"].startswith("Jane Quinn Doe")
    assert shown["decision"] == desk.work.store.get_case(seeded.case_id).decision
    assert shown["decision"]["cocflow_decision"] == 1
    assert shown["ssn"] == "XXX-XX-6789" == shown["facts"]["person"]["ssn"]
    assert shown["facts"]["person"]["date_of_birth"] == "(on file)"
    assert FULL_SSN not in response.text and "1988-04-12" not in response.text


def test_a_malformed_case_id_is_no_such_case_and_is_not_echoed(
    client: TestClient, seeded: Seeded
) -> None:
    for given in ("7e228a6c3762921", "7E228A6C37629218", "123-45-6789", "x" * 300):
        response = client.get(f"{BASE}/cases/{given}/events", headers=seeded.auth("owner"))
        problem(response, 404, "unknown-case")
        assert given not in response.text


def test_another_organisations_case_does_not_exist(client: TestClient, seeded: Seeded) -> None:
    for suffix in ("", "/check", "/sign-off", "/events", "/verify"):
        response = client.get(
            f"{BASE}/cases/{seeded.foreign_id}{suffix}", headers=seeded.auth("owner")
        )
        problem(response, 404, "unknown-case")
    for suffix in ("/requests", "/sign-off"):
        response = client.post(
            f"{BASE}/cases/{seeded.foreign_id}{suffix}", headers=seeded.auth("owner")
        )
        problem(response, 404, "unknown-case")


# --- a new case ------------------------------------------------------------------------------


def test_a_complete_case_is_screened_and_its_address_given(
    client: TestClient, seeded: Seeded, desk: Desk
) -> None:
    response = client.post(
        f"{BASE}/cases",
        headers=seeded.auth("preparer"),
        json={"case": COMPLETE_JSON, "client_ref": "C-8", "client_name": "Jane Doe"},
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["location"] == f"{BASE}/cases/{made['id']}"
    assert made["outcome"] == "go" and made["missing_facts"] == []
    assert made["decision"] == desk.work.store.get_case(made["id"]).decision
    assert made["decision"]["as_of"] == TODAY.isoformat()
    assert FULL_SSN not in response.text
    shown = client.get(response.headers["location"], headers=seeded.auth("preparer"))
    assert shown.status_code == 200  # a preparer's new case is theirs
    assert shown.json()["client_ref"] == "C-8"


def test_a_case_that_lacks_facts_is_kept_to_complete(client: TestClient, seeded: Seeded) -> None:
    case = {"cocflow_case": 1, "worker": {"kind": "employee"}, "employer": {"name": "Acme"}}
    response = client.post(f"{BASE}/cases", headers=seeded.auth("owner"), json={"case": case})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["outcome"] == "incomplete" and made["decision"] is None
    assert [m["path"] for m in made["missing_facts"]] == [
        "worker.residence",
        "employer.country",
        "engagements",
    ]
    check = client.get(f"{BASE}/cases/{made['id']}/check", headers=seeded.auth("owner"))
    problem(check, 409, "case-incomplete")
    prepared = client.post(f"{BASE}/cases/{made['id']}/requests", headers=seeded.auth("owner"))
    assert problem(prepared, 422, "not-ready").get("errors") is None


def test_a_case_file_that_breaks_a_rule_answers_each_problem_with_its_pointer(
    client: TestClient, seeded: Seeded
) -> None:
    case = json.loads(json.dumps(COMPLETE_JSON))
    case["engagements"][0]["end"] = "2027-02-01"  # before its start
    case["person"]["ssn"] = "912-34-5678"
    case["person"]["date_of_birth"] = "1988-13-12"
    case["wroker"] = {}
    response = client.post(f"{BASE}/cases", headers=seeded.auth("owner"), json={"case": case})
    body = problem(response, 422, "invalid-input")
    found = {e["pointer"]: e for e in body["errors"]}
    assert set(found) == {"/case/engagements/0", "/case/person/date_of_birth", "/case/wroker"}
    assert found["/case/wroker"]["code"] == "UNKNOWN_KEY"
    assert "1988-13-12" not in response.text  # a date of birth is never echoed
    for error in body["errors"]:
        assert set(error) == {"path", "pointer", "code", "message", "fix"}


BAD_ENVELOPES: list[tuple[Any, str, str]] = [
    ({}, "/case", "REQUIRED"),
    ({"case": []}, "/case", "NOT_A_CASE"),
    ({"case": MINIMAL, "client_ref": ""}, "/client_ref", "BAD_TEXT"),
    ({"case": MINIMAL, "client_ref": "C\x1b[31m"}, "/client_ref", "BAD_TEXT"),
    ({"case": MINIMAL, "client_name": 7}, "/client_name", "NOT_TEXT"),
    ({"case": MINIMAL, "client_name": "x" * 201}, "/client_name", "TOO_LONG"),
    ({"case": MINIMAL, "assignee": "me"}, "/assignee", "UNKNOWN_KEY"),
    ({"case": MINIMAL, "client_ref": "SSN 123-45-6789"}, "/client_ref", "LOOKS_LIKE_SSN"),
    ({"case": MINIMAL, "client_name": "Jo 123456789"}, "/client_name", "LOOKS_LIKE_SSN"),
    ({"case": {**MINIMAL, "label": "123 45 6789"}}, "/case/label", "LOOKS_LIKE_SSN"),
    ([MINIMAL], "", "NOT_AN_OBJECT"),
]


def test_a_body_that_breaks_the_envelope_answers_422(client: TestClient, seeded: Seeded) -> None:
    for body, pointer, code in BAD_ENVELOPES:
        response = client.post(f"{BASE}/cases", headers=seeded.auth("owner"), json=body)
        (error,) = problem(response, 422, "invalid-input")["errors"]
        assert (error["pointer"], error["code"]) == (pointer, code), body
        assert "123" not in response.text


def test_a_reference_is_one_case_s(client: TestClient, seeded: Seeded, desk: Desk) -> None:
    before = len(desk.work.cases())
    response = client.post(
        f"{BASE}/cases", headers=seeded.auth("owner"), json={"case": MINIMAL, "client_ref": "C-7"}
    )
    problem(response, 409, "reference-taken")
    assert len(desk.work.cases()) == before  # nothing was stored


NOT_JSON: list[tuple[str | None, bytes]] = [
    ("application/x-www-form-urlencoded", b"case=x"),
    ("text/plain", b'{"case": {}}'),
    ("multipart/form-data; boundary=x", b"--x--"),
    ("application/json; charset=latin-1", b'{"case": {}}'),
    (None, b'{"case": {}}'),
]


def test_a_body_that_is_not_json_answers_415_and_stores_nothing(
    client: TestClient, seeded: Seeded, desk: Desk
) -> None:
    paths = ("/cases", f"/cases/{seeded.case_id}/requests", f"/cases/{seeded.case_id}/sign-off")
    for content_type, content in NOT_JSON:
        headers = seeded.auth("owner") | ({"Content-Type": content_type} if content_type else {})
        for path in paths:
            response = client.post(BASE + path, headers=headers, content=content)
            problem(response, 415, "unsupported-media-type")
    assert len(desk.work.cases()) == 2 and len(desk.work.entries(seeded.case_id)) == 1


NOT_WELL_FORMED = [
    b"",
    b"{",
    b'{"case": {}, "case": {}}',
    b'{"case": NaN}',
    b"\xff\xfe",
    b"[" * 100_000,
]


def test_a_body_that_is_not_well_formed_answers_400(client: TestClient, seeded: Seeded) -> None:
    headers = seeded.auth("owner") | {"Content-Type": "application/json"}
    for content in NOT_WELL_FORMED:
        response = client.post(f"{BASE}/cases", headers=headers, content=content)
        problem(response, 400, "malformed-json")


def test_a_body_over_one_mebibyte_answers_413(client: TestClient, seeded: Seeded) -> None:
    big = json.dumps({"case": {"label": "x" * (1024 * 1024)}}).encode()
    headers = seeded.auth("owner") | {"Content-Type": "application/json"}
    problem(client.post(f"{BASE}/cases", headers=headers, content=big), 413, "content-too-large")


def test_a_role_that_does_not_create_cases_is_refused(client: TestClient, seeded: Seeded) -> None:
    response = client.post(f"{BASE}/cases", headers=seeded.auth("auditor"), json={"case": MINIMAL})
    assert "auditor" in problem(response, 403, "forbidden")["detail"]


# --- the check, the request and its sign-off -------------------------------------------------


def test_the_check_of_a_complete_case(client: TestClient, seeded: Seeded) -> None:
    response = client.get(f"{BASE}/cases/{seeded.case_id}/check", headers=seeded.auth("auditor"))
    assert response.status_code == 200
    assert response.json() == {"ready": True, "findings": []}


def test_a_request_is_prepared_then_approved_by_another_member(
    client: TestClient, seeded: Seeded
) -> None:
    case = seeded.case_id
    sign_off = f"{BASE}/cases/{case}/sign-off"
    state = client.get(sign_off, headers=seeded.auth("auditor")).json()
    assert state == {
        "state": "none",
        "request_json_mac": None,
        "preparer": None,
        "reviewer": None,
        "why": None,
    }
    problem(client.post(sign_off, headers=seeded.auth("reviewer")), 409, "no-request")

    prepared = client.post(f"{BASE}/cases/{case}/requests", headers=seeded.auth("preparer"))
    assert prepared.status_code == 201, prepared.text
    entry = prepared.json()["entry"]
    assert entry["kind"] == "request_prepared"
    assert entry["payload"]["by"] == {"id": seeded.team.preparer.user_id, "name": "Ben Okafor"}
    waiting = prepared.json()["sign_off"]
    assert waiting["state"] == "waiting" and waiting["preparer"]["name"] == "Ben Okafor"

    own = client.post(sign_off, headers=seeded.auth("preparer"))
    assert "preparer" in problem(own, 403, "forbidden")["detail"]  # the role, first

    approved = client.post(sign_off, headers=seeded.auth("reviewer"), json={})
    assert approved.status_code == 201, approved.text
    assert approved.json()["entry"]["kind"] == "request_approved"
    state = client.get(sign_off, headers=seeded.auth("owner")).json()
    assert state["state"] == "approved" and state["reviewer"]["name"] == "Dee Novak"
    assert state["request_json_mac"] == waiting["request_json_mac"]


def test_the_member_who_prepared_a_request_cannot_approve_it(
    client: TestClient, seeded: Seeded
) -> None:
    case = seeded.case_id
    assert (
        client.post(f"{BASE}/cases/{case}/requests", headers=seeded.auth("owner")).status_code
        == 201
    )
    own = client.post(f"{BASE}/cases/{case}/sign-off", headers=seeded.auth("owner"))
    problem(own, 403, "own-request")


def test_a_request_that_is_not_ready_answers_422_with_the_check_s_errors(
    client: TestClient, seeded: Seeded
) -> None:
    case = json.loads(json.dumps(COMPLETE_JSON))
    del case["person"]["ssn"]
    made = client.post(f"{BASE}/cases", headers=seeded.auth("owner"), json={"case": case}).json()
    response = client.post(f"{BASE}/cases/{made['id']}/requests", headers=seeded.auth("owner"))
    body = problem(response, 422, "not-ready")
    assert body["errors"] and all(
        set(e) == {"path", "code", "message", "fix"} for e in body["errors"]
    )
    assert "person.ssn" in {e["path"] for e in body["errors"]}
    events = client.get(f"{BASE}/cases/{made['id']}/events", headers=seeded.auth("owner"))
    assert [e["kind"] for e in events.json()["events"]] == ["screened"]  # nothing recorded


def test_an_operation_without_a_body_takes_none_or_an_empty_object(
    client: TestClient, seeded: Seeded
) -> None:
    response = client.post(
        f"{BASE}/cases/{seeded.case_id}/requests",
        headers=seeded.auth("owner"),
        json={"channel": "fax"},
    )
    assert problem(response, 422, "invalid-input")["errors"][0]["code"] == "NO_BODY_EXPECTED"


# --- the proof file --------------------------------------------------------------------------


def test_the_events_and_their_verification(client: TestClient, seeded: Seeded, desk: Desk) -> None:
    owner = seeded.auth("owner")
    client.post(f"{BASE}/cases/{seeded.case_id}/requests", headers=seeded.auth("preparer"))
    events = client.get(f"{BASE}/cases/{seeded.case_id}/events", headers=owner).json()["events"]
    assert [(e["seq"], e["kind"]) for e in events] == [(1, "screened"), (2, "request_prepared")]
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert set(events[0]) == {"seq", "kind", "at", "payload", "prev_hash", "hash"}
    assert events[0]["payload"]["by"]["name"] == "Ana Rivera"
    verified = client.get(f"{BASE}/cases/{seeded.case_id}/verify", headers=owner)
    assert verified.json() == {"ok": True, "entry": None, "problem": None}

    with desk.work.store.engine.begin() as connection:  # the stored decision rewritten
        connection.execute(
            text(
                "UPDATE cases SET decision = replace(decision, '\"go\"', '\"no_go\"') WHERE id = :c"
            ),
            {"c": seeded.case_id},
        )
    broken = client.get(f"{BASE}/cases/{seeded.case_id}/verify", headers=owner).json()
    assert broken["ok"] is False and broken["entry"] == 1 and broken["problem"]


# --- the error shape -------------------------------------------------------------------------


def test_an_unknown_address_method_or_parameter_are_problems(
    client: TestClient, seeded: Seeded
) -> None:
    problem(client.get(f"{BASE}/clients", headers=seeded.auth("owner")), 404, "not-found")
    response = client.get(f"{BASE}/cases/{seeded.case_id}?fields=ssn", headers=seeded.auth("owner"))
    assert problem(response, 422, "invalid-input")["errors"][0]["code"] == "UNKNOWN_PARAMETER"
    response = client.delete(f"{BASE}/cases/{seeded.case_id}", headers=seeded.auth("owner"))
    problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET, HEAD"
    assert (
        client.put(f"{BASE}/cases", headers=seeded.auth("owner")).headers["allow"]
        == "GET, HEAD, POST"
    )


def test_an_unexpected_failure_answers_500_with_a_correlation_id_only(
    client: TestClient,
    seeded: Seeded,
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError(f"SELECT ssn FROM case_secrets -- /srv/cocflow/db {FULL_SSN}")

    monkeypatch.setattr(desk, "board", boom)
    with caplog.at_level(logging.ERROR, logger="cocflow.web.api"):
        response = client.get(f"{BASE}/cases", headers=seeded.auth("owner"))
    body = problem(response, 500, "internal-error")
    assert set(body) == {"type", "title", "status", "detail", "correlation_id"}
    for leak in ("SELECT", "/srv", FULL_SSN, "RuntimeError", "File "):
        assert leak not in response.text
    assert body["correlation_id"] in caplog.text and "RuntimeError" in caplog.text
    assert FULL_SSN not in caplog.text and "XXX-XX-6789" in caplog.text  # masked in the log too


def test_the_last_resort_answers_a_problem_when_handling_itself_fails() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("the handler of errors failed")

    client = TestClient(LastResort(broken), raise_server_exceptions=False)  # no lifespan
    response = client.get("/anything")
    problem(response, 500, "internal-error")
    assert "handler of errors" not in response.text


def test_a_refused_submission_maps_to_409() -> None:
    """NotApproved (recording a submission before the sign-off) has no operation of its own
    yet; the one handler maps it, for the operations that will record proof."""
    response = handle(
        None, NotApproved("The request cannot be recorded as filed before a reviewer approves it.")
    )
    assert response.status_code == 409
    assert json.loads(bytes(response.body))["type"] == PROBLEM_BASE + "not-approved"


# --- no full SSN -----------------------------------------------------------------------------


def test_no_answer_ever_holds_the_full_ssn(client: TestClient, seeded: Seeded) -> None:
    """Every operation, successes and refusals, on cases that hold the SSN 123-45-6789 (one
    as the person's, one in a record, one mistyped), for members of every role."""
    answers: list[httpx2.Response] = []
    bad = json.loads(json.dumps(COMPLETE_JSON))
    bad["person"]["ssn"] = "123-45-678"  # one digit short: refused, and not echoed
    bad["records"][1]["ssn"] = FULL_SSN + "0"
    for who in ("owner", "preparer", "colleague", "reviewer", "auditor", "outsider"):
        auth = seeded.auth(who)
        answers.append(client.post(f"{BASE}/cases", headers=auth, json={"case": COMPLETE_JSON}))
        answers.append(client.post(f"{BASE}/cases", headers=auth, json={"case": bad}))
        answers.append(client.post(f"{BASE}/cases", headers=auth, content=FULL_SSN.encode()))
        as_json = auth | {"Content-Type": "application/json"}
        answers.append(client.post(f"{BASE}/cases", headers=as_json, content=FULL_SSN.encode()))
        answers.append(
            client.post(f"{BASE}/cases", headers=auth, json={"case": bad, "client_ref": FULL_SSN})
        )
        taken = {"case": MINIMAL, "client_ref": "C-7"}  # the owner's organisation's
        answers.append(client.post(f"{BASE}/cases", headers=auth, json=taken))
        mistyped = {**bad, "person": {**bad["person"], "date_of_birth": FULL_SSN}}
        answers.append(client.post(f"{BASE}/cases", headers=auth, json={"case": mistyped}))
        for case_id in (seeded.case_id, seeded.foreign_id, FULL_SSN):
            for suffix in ("", "/check", "/sign-off", "/events", "/verify"):
                answers.append(client.get(f"{BASE}/cases/{case_id}{suffix}", headers=auth))
            for suffix in ("/requests", "/sign-off"):
                answers.append(client.post(f"{BASE}/cases/{case_id}{suffix}", headers=auth))
        answers.append(client.get(f"{BASE}/cases?q={FULL_SSN}", headers=auth))
        answers.append(client.get(f"{BASE}/cases", headers=auth))
    answers.append(client.get(f"{BASE}/openapi.json"))
    assert {a.status_code for a in answers} >= {200, 201, 400, 403, 404, 409, 415, 422}
    for answer in answers:
        for shape in (FULL_SSN, "123456789", "123 45 6789", "123-45-678"):
            assert shape not in answer.text, (
                answer.request.method,
                answer.request.url,
                answer.text[:300],
            )


def test_the_problem_handler_masks_an_ssn_in_a_message() -> None:
    from cocflow.errors import InputError, Problem

    refused = InputError([Problem("person.ssn", "X", f"got {FULL_SSN}", "retype 123456789")])
    body = json.loads(bytes(handle(None, refused).body))
    assert body["errors"][0]["message"] == "got XXX-XX-6789"
    assert body["errors"][0]["fix"] == "retype XXX-XX-6789"


def test_only_api_mount_keeps_a_path_with_a_line_break_in_the_api(
    client: TestClient, desk: Desk, accounts: Accounts, seeded: Seeded
) -> None:
    """Starlette's own Mount serves the API too, but hands a path holding a line break to the
    outer app (whose 404 is not a problem); ApiMount (the ``client`` fixture's) keeps it."""
    api = build_api(desk, accounts, today=lambda: TODAY)
    auth = seeded.auth("owner")
    with TestClient(Starlette(routes=[Mount(BASE, app=api)])) as plain:
        assert plain.get(f"{BASE}/cases", headers=auth).status_code == 200
        problem(plain.get(f"{BASE}/cases/nope", headers=auth), 404, "unknown-case")
        escaped = plain.get(f"{BASE}/cases/a%0Ab", headers=auth)
        assert escaped.status_code == 404 and escaped.headers["content-type"] != MEDIA_TYPE
    problem(client.get(f"{BASE}/cases/a%0Ab", headers=auth), 404, "unknown-case")
