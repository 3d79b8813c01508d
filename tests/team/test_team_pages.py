"""The team server's pages through HTTP: signing in, the gate, members and invitations, a
roster imported and fixed in the page, batch preparation, the reviewer's sign-off, a client's
questionnaire link, and another organisation's cases staying invisible."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for
from cocflow.store.team import TeamStore
from tests.team.pages import BASE, PASSWORD, Site, _csrf, _post, _sign_in

ROSTER = (
    "Client ID;Name;Worker type;Host country;Start date;End date;Lives in;Partner\n"
    "C-1;Ana Lima;Self-employed;UK;02/18/2027;06/30/2027;US;JB\n"
    "C-2;Tom de Vries;self employed;Holland;03/01/2027;12/31/2027;US;JB\n"
    "C-3;Kim Min;Self-employed;Atlantis;04/01/2027;;US;MK\n"
)


def _upload(client: TestClient, text: str) -> tuple[Any, dict[str, str]]:
    """Send a roster on the Import page: the review page, and its form's fields as given
    (the suggested mapping, the MDY date order, "check")."""
    page = client.get("/import")
    review = client.post(
        "/import",
        data={"csrf_token": _csrf(page.text)},
        files={"roster": ("clients.csv", text.encode(), "text/csv")},
    )
    fields = {"csrf_token": _csrf(review.text), "date_order": "MDY", "action": "check"}
    for heading, chosen in re.findall(
        r'name="map:([^"]+)"[^>]*>.*?<option value="([a-z_]*)" selected', review.text, re.S
    ):
        fields[f"map:{heading}"] = chosen
    return review, fields


def test_the_gate_sends_strangers_to_sign_in_and_refuses_their_forms(site: Site) -> None:
    with site.client() as client:
        page = client.get("/board", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fboard"
        assert client.post("/board/new", follow_redirects=False).status_code in {401, 403}
        assert client.get("/login").status_code == 200


def test_signing_in_gives_a_strict_http_only_cookie_and_wrong_details_one_answer(
    site: Site,
) -> None:
    with site.client() as client:
        page = client.get("/login")
        wrong = client.post(
            "/login",
            data={
                "email": "ana@rivera.example",
                "password": "x" * 20,
                "csrf_token": _csrf(page.text),
            },
        )
        nobody = client.post(
            "/login",
            data={
                "email": "no@rivera.example",
                "password": PASSWORD,
                "csrf_token": _csrf(page.text),
            },
        )
        assert wrong.status_code == nobody.status_code == 400
        message = "The e-mail address or the password is not right"
        assert message in wrong.text and message in nobody.text
        right = client.post(
            "/login",
            data={
                "email": "ana@rivera.example",
                "password": PASSWORD,
                "csrf_token": _csrf(page.text),
            },
            follow_redirects=False,
        )
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert client.get("/board").status_code == 200


def test_over_https_the_cookies_are_host_prefixed_and_secure(site: Site) -> None:
    with site.client("https://team.example") as client:
        page = client.get("/login")
        assert "__Host-cocflow-form=" in page.headers["set-cookie"]
        right = client.post(
            "/login",
            data={
                "email": "ana@rivera.example",
                "password": PASSWORD,
                "csrf_token": _csrf(page.text),
            },
            follow_redirects=False,
        )
        cookie = right.headers["set-cookie"]
        assert cookie.startswith("__Host-cocflow=") and "Secure" in cookie and "Path=/" in cookie


def test_an_owner_invites_and_the_link_leaves_the_address_bar(site: Site) -> None:
    with site.client() as owner:
        _sign_in(owner, "ana@rivera.example")
        page = owner.get("/members")
        made = owner.post(
            "/members",
            data={
                "action": "invite",
                "email": "ben@rivera.example",
                "name": "Ben Okafor",
                "role": "preparer",
                "csrf_token": _csrf(page.text),
            },
        )
        link = re.search(r"(http://team\.example/join\?token=[\w-]+)", made.text)
        assert link, made.text
    with site.client() as ben:
        moved = ben.get(link.group(1).removeprefix(BASE), follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == "/join"
        form = ben.get("/join")
        assert "ben@rivera.example" in form.text
        joined = ben.post(
            "/join",
            data={
                "password": "another long passphrase here",
                "name": "Ben Okafor",
                "csrf_token": _csrf(form.text),
            },
            follow_redirects=False,
        )
        assert joined.status_code == 303 and joined.headers["location"] == "/board"
        assert "Ben Okafor" in ben.get("/board").text
        assert ben.get("/members").status_code == 403  # a preparer does not manage members


def test_a_roster_is_imported_fixed_in_the_page_prepared_and_signed_off(site: Site) -> None:
    with site.client() as owner:
        _sign_in(owner, "ana@rivera.example")
        review, fields = _upload(owner, ROSTER)
        assert review.status_code == 200 and "Atlantis" in review.text
        fields["fix:4:Host country"] = "Spain"
        checked = owner.post("/import/review", data=fields)
        assert "Problems:" not in checked.text, checked.text
        fields["action"] = "apply"
        imported = owner.post("/import/review", data=fields)
        assert "3 new" in imported.text
        board = owner.get("/board?sort=reference")
        assert board.text.index("C-1") < board.text.index("C-2") < board.text.index("C-3")
        ids = re.findall(r'name="case" value="([0-9a-f]{16})"', board.text)
        assert len(ids) == 3
        prepared = owner.post("/board/prepare", data={"case": ids, "csrf_token": _csrf(board.text)})
        assert prepared.status_code == 200
        csv = owner.get("/board.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert "C-1" in csv.text


def test_another_organisation_s_case_is_not_found(site: Site) -> None:
    with site.client() as zoe:
        _sign_in(zoe, "zoe@elsewhere.example")
        made = _post(zoe, "/board/new", {}, follow_redirects=False)
        foreign = made.headers["location"].split("/")[-1]
    with site.client() as ana:
        _sign_in(ana, "ana@rivera.example")
        assert ana.get(f"/cases/{foreign}").status_code == 404
        assert ana.get(f"/team/cases/{foreign}").status_code == 404
        assert ana.get(f"/cases/{foreign}/export").status_code == 404
        assert foreign not in ana.get("/board").text
        mine = _post(ana, "/board/new", {}, follow_redirects=False)
        own = mine.headers["location"].split("/")[-1]
        ana.get(f"/cases/{own}/case-file")
        ana.get(f"/cases/{own}/export")
        assert ana.get("/cases", follow_redirects=False).headers["location"] == "/board"
    work = open_casework(site.settings, rules_for(site.settings))
    try:
        entries = TeamStore(work.store.engine, work.store.keys).audit_entries()
    finally:
        work.close()
    reads = [(e.action, e.target) for e in entries if e.target == own]
    assert ("sensitive_read", own) in reads and ("proof.export", own) in reads
    refused = [e for e in entries if e.outcome == "denied" and e.target == foreign]
    assert len(refused) == 3  # each look at the other organisation's case


def test_a_client_opens_a_questionnaire_link_and_sees_only_their_case(site: Site) -> None:
    with site.client() as ana:
        _sign_in(ana, "ana@rivera.example")
        made = _post(ana, "/board/new", {}, follow_redirects=False)
        case_id = made.headers["location"].split("/")[-1]
        other = _post(ana, "/board/new", {}, follow_redirects=False)
        other_id = other.headers["location"].split("/")[-1]
        panel = ana.get(f"/team/cases/{case_id}")
        sent = ana.post(
            f"/team/cases/{case_id}",
            data={"action": "questionnaire", "csrf_token": _csrf(panel.text)},
        )
        link = re.search(r"http://team\.example(/welcome\?token=[\w-]+)", sent.text)
        assert link
    with site.client() as client:
        assert client.get(link.group(1), follow_redirects=False).headers["location"] == "/welcome"
        start = client.get("/welcome")
        opened = client.post(
            "/welcome", data={"csrf_token": _csrf(start.text)}, follow_redirects=False
        )
        assert opened.headers["location"] == f"/cases/{case_id}"
        assert client.get(f"/cases/{case_id}").status_code == 200
        assert client.get(f"/cases/{other_id}").status_code == 404
        assert client.get("/board").status_code == 403
    with site.client() as again:  # the link worked once
        again.get(link.group(1))
        start = again.get("/welcome")
        used = again.post("/welcome", data={"csrf_token": _csrf(start.text)})
        assert used.status_code == 400 and "already used" in used.text


def test_the_team_calendar_names_the_client_and_the_action(site: Site) -> None:
    from datetime import date as day

    from cocflow.io.casefile import read_case
    from cocflow.services.access import Actor, Role
    from cocflow.services.team import Desk

    work = open_casework(site.settings, rules_for(site.settings))
    try:
        store = TeamStore(work.store.engine, work.store.keys)
        ana = store.user_by_email("ana@rivera.example")
        assert ana is not None
        owner = Actor(ana.id, store.orgs_of(ana.id)[0], Role.OWNER, True, name="Ana Rivera")
        root = Path(__file__).resolve().parents[2]
        Desk(work, store).new_case(
            owner,
            read_case(root / "examples" / "filing-complete.yaml"),
            day(2026, 11, 25),
            client_ref="C-9",
            client_name="Jane Doe",
        )
    finally:
        work.close()
    with site.client() as client:
        _sign_in(client, "ana@rivera.example")
        page = client.get("/account")
        made = client.post("/account", data={"action": "feed-team", "csrf_token": _csrf(page.text)})
        address = re.search(r"http://team\.example(/calendar/feed\.ics\?feed=[\w-]+)", made.text)
        assert address
    with site.client() as calendar_app:  # no session: the address is the key
        feed = calendar_app.get(address.group(1))
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        text = feed.text.replace("\r\n ", "")
        assert "C-9 Jane Doe" in text and "SUMMARY:" in text
        assert "123-45-6789" not in text and "6789" not in text
        assert calendar_app.get(address.group(1) + "x").status_code == 404
    with site.client() as client:
        _sign_in(client, "ana@rivera.example")
        page = client.get("/account")
        client.post("/account", data={"action": "feed-team", "csrf_token": _csrf(page.text)})
        assert client.get(address.group(1)).status_code == 404  # replaced by the new one


def test_one_address_trying_many_sign_ins_is_slowed(site: Site) -> None:
    from cocflow.web.team.limits import RateLimit

    with site.client() as client:
        client.app.state.sign_in_limit = RateLimit(3, 600)
        token = _csrf(client.get("/login").text)
        statuses = [
            client.post(
                "/login",
                data={
                    "email": f"guess{i}@rivera.example",
                    "password": "x" * 16,
                    "csrf_token": token,
                },
            ).status_code
            for i in range(4)
        ]
        assert statuses == [400, 400, 400, 429]


def test_the_api_is_served_with_tokens_not_cookies(site: Site) -> None:
    with site.client() as client:
        _sign_in(client, "ana@rivera.example")
        page = client.get("/account")
        made = client.post(
            "/account", data={"action": "token", "label": "payroll", "csrf_token": _csrf(page.text)}
        )
        token = re.search(r"(cfpat_[\w-]+)", made.text)
        assert token
    with site.client() as api:
        assert api.get("/api/v1/cases").status_code == 401
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        assert api.get("/api/v1/cases", headers=headers).status_code == 200
        created = api.post(
            "/api/v1/cases",
            headers=headers,
            json={
                "case": {
                    "cocflow_case": 1,
                    "worker": {
                        "kind": "self_employed",
                        "residence": [{"country": "US", "from": "2015-01-01"}],
                    },
                    "engagements": [{"country": "PT", "start": "2027-01-15", "end": "2027-12-31"}],
                },
                "client_ref": "API-1",
            },
        )
        assert created.status_code == 201, created.text
        assert api.get("/api/v1/openapi.json").json()["openapi"].startswith("3.")


def test_the_board_shows_a_hundred_clients_a_page(site: Site) -> None:
    rows = "".join(
        f"P-{i:03};Client {i};Self-employed;Portugal;03/01/2027;12/31/2027;US;\n"
        for i in range(130)
    )
    text = "Client ID;Name;Worker type;Host country;Start date;End date;Lives in;Partner\n" + rows
    with site.client() as owner:
        _sign_in(owner, "ana@rivera.example")
        _, fields = _upload(owner, text)
        fields["action"] = "apply"
        assert "130 new" in owner.post("/import/review", data=fields).text
        first = owner.get("/board?sort=reference")
        assert first.text.count('name="case"') == 100 and "Page 1 of 2" in first.text
        second = owner.get("/board?sort=reference&page=2")
        assert second.text.count('name="case"') == 30 and "P-129" in second.text
        assert "P-129" not in first.text
        assert owner.get("/board?page=99").text.count('name="case"') == 30  # the last page
        assert len(owner.get("/board.csv").text.strip().splitlines()) == 1 + 130


def test_an_import_goes_on_in_another_server_process(site: Site) -> None:
    """The file sent to one server process is reached by another (kept in the database,
    sealed), and removed once imported."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cocflow.store.models import UploadRow

    with site.client() as first, site.client() as second:
        _sign_in(first, "ana@rivera.example")
        review, fields = _upload(first, ROSTER)
        assert review.status_code == 200
        work = open_casework(site.settings, rules_for(site.settings))
        try:
            with Session(work.store.engine) as session:
                (stored,) = session.scalars(select(UploadRow.data))
            assert b"Atlantis" not in stored and b"Client ID" not in stored
            second.cookies = first.cookies
            fields["action"] = "apply"
            fields["fix:4:Host country"] = "Spain"
            assert "3 new" in second.post("/import/review", data=fields).text
            with Session(work.store.engine) as session:
                assert session.scalars(select(UploadRow)).all() == []
        finally:
            work.close()
        again = second.post("/import/review", data=fields, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == "/import"


def test_the_board_says_when_clients_are_still_being_brought_up_to_date(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    import cocflow.services.team as desk_module
    from cocflow.store.models import ProgressRow
    from cocflow.web.team.app import catch_up_in_background

    with site.client() as owner:
        _sign_in(owner, "ana@rivera.example")
        _post(owner, "/board/new", {}, follow_redirects=False)
        work = open_casework(site.settings, rules_for(site.settings))
        with Session(work.store.engine) as session, session.begin():
            session.execute(delete(ProgressRow))
        work.close()
        monkeypatch.setattr(desk_module, "INLINE", 0)
        assert "still being brought up to date" in owner.get("/board").text
        said: list[str] = []
        catch_up_in_background(site.apps[-1], said.append).join(timeout=60)
        assert said == ["The board is up to date: worked out again for 1 client."]
        assert "still being brought up to date" not in owner.get("/board").text
