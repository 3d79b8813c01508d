"""The interview's pages through the app (no browser): one question per page, answers kept,
errors summarised and linked, the task list honest, and the answer first."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cocflow.io.settings import Settings
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for
from tests.web.conftest import BASE_URL
from tests.web.support import make_app, new_token

TODAY = date(2026, 12, 2)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Casework]]:
    settings = Settings.from_env({"COCFLOW_HOME": str(tmp_path / "home")})
    token = new_token()
    app: Starlette = make_app(settings, token)
    work = open_casework(settings, rules_for(settings))
    app.state.work, app.state.today = work, TODAY
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=True) as client:
        assert client.get(f"/?token={token}").status_code == 200
        yield client, work
    work.close()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form"
    return found[1]


class Walk:
    """A person answering pages: each answer a GET then a POST of that page's form."""

    def __init__(self, client: TestClient) -> None:
        self.client, self.pages = client, 0

    def answer(self, url: str, **fields: str) -> str:
        form = self.client.get(url)
        assert form.status_code == 200, (url, form.text[:300])
        done = self.client.post(url, data={"csrf_token": _csrf(form.text), **fields},
                                follow_redirects=False)  # fmt: skip
        assert done.status_code == 303, (url, done.status_code, _text(done.text)[:400])
        self.pages += 1
        return str(done.headers["location"])


def _text(html: str) -> str:
    main = html.split("<main", 1)[-1].split(">", 1)[-1].split("</main>", 1)[0]
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip())


def _start(client: TestClient) -> str:
    listing = client.get("/cases")
    made = client.post("/cases/new", data={"csrf_token": _csrf(listing.text)},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    return str(made.headers["location"])


def test_the_simplest_case_reaches_its_answer_in_few_pages(
    site: tuple[TestClient, Casework],
) -> None:
    client, work = site
    walk = Walk(client)
    url = _start(client)
    case_id = url.split("/")[2]
    url = walk.answer(url, answer="self_employed")
    url = walk.answer(url, answer="US")
    url = walk.answer(url, answer="2019-06-01")
    url = client.get(url, follow_redirects=False).headers["location"]  # the first home
    url = walk.answer(url, country="United States", start="2015-01-01", end="")
    url = client.get(url, follow_redirects=False).headers["location"]  # the first stay
    url = walk.answer(url, country="Portugal", start="2027-03-01", end="2027-07-31",
                      client_name="Müller GmbH", client_country="Germany")  # fmt: skip
    assert url.endswith("/check")
    url = walk.answer(url)  # confirm
    answer = _text(client.get(url).text)
    assert walk.pages <= 8, walk.pages
    assert answer.startswith("Go Request a U.S. certificate of coverage now, by 2026-12-17.")
    assert "secure.ssa.gov" in client.get(url).text  # every reason with its source
    assert [e.kind for e in work.entries(case_id)] == ["screened"]
    hub = _text(client.get(f"/cases/{case_id}").text)
    assert "Your answer Go, no go, pause or not needed Done" in hub
    assert "Filing details What SSA's request needs Not started" in hub
    assert "Documents The letter and the worksheet Cannot start yet" in hub


def test_answers_are_kept_on_refresh_and_back(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    walk = Walk(client)
    url = _start(client)
    walk.answer(url, answer="employee")
    page = client.get(url).text
    assert re.search(r'value="employee"\s+checked', page)
    after = walk.answer(url.replace("/kind", "/citizenship"), answer="US, IT")
    assert after.endswith("/q/employer_name")
    back = client.get(after).text
    assert 'href="' + url.replace("/kind", "/citizenship") + '"' in back  # the back link
    assert 'value="US IT"' in client.get(url.replace("/kind", "/citizenship")).text


def test_a_wrong_answer_is_summarised_and_linked_to_its_field(
    site: tuple[TestClient, Casework],
) -> None:
    client, _ = site
    url = _start(client).replace("/kind", "/operating_since")
    form = client.get(url)
    bad = client.post(url, data={"csrf_token": _csrf(form.text), "answer": "03/01/2027"})
    assert bad.status_code == 400
    assert 'class="error-summary"' in bad.text and 'href="#answer"' in bad.text
    assert "<title>Error: " in bad.text
    assert 'aria-invalid="true"' in bad.text and 'value="03/01/2027"' in bad.text  # kept


def test_confirming_too_early_names_what_is_missing(site: tuple[TestClient, Casework]) -> None:
    client, work = site
    url = _start(client)
    case_id = url.split("/")[2]
    check = f"/cases/{case_id}/check"
    refused = client.post(check, data={"csrf_token": _csrf(client.get(check).text)})
    assert refused.status_code == 400
    assert 'href="#check-work"' in refused.text and 'href="#check-stays"' in refused.text
    assert work.entries(case_id) == []


def test_a_pause_then_answered_by_removing_a_holiday(site: tuple[TestClient, Casework]) -> None:
    client, work = site
    walk = Walk(client)
    case_id = _start(client).split("/")[2]
    base = f"/cases/{case_id}"
    walk.answer(f"{base}/q/kind", answer="self_employed")
    walk.answer(f"{base}/home/edit?row=new", country="US", start="2015-01-01", end="")
    walk.answer(f"{base}/stays/edit?row=new", country="Thailand", start="2027-01-10",
                end="2027-04-30", client_name="", client_country="")  # fmt: skip
    walk.answer(f"{base}/stays/edit?row=new", country="Spain", start="2027-05-01",
                end="2027-12-31", client_name="", client_country="")  # fmt: skip
    walk.answer(f"{base}/check")
    answer = _text(client.get(f"{base}/answer").text)
    assert answer.startswith("Pause") and "no work in Thailand" in answer
    check = client.get(f"{base}/check").text
    assert 'action="' + f"{base}/stays/0/remove" + '"' in check  # "Remove stay 1"
    removed = client.post(f"{base}/stays/0/remove", data={"csrf_token": _csrf(check)},
                          follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303
    walk.answer(f"{base}/check")
    assert _text(client.get(f"{base}/answer").text).startswith("Go")
    assert [e.kind for e in work.entries(case_id)] == ["screened", "facts_changed", "screened"]


def test_a_pause_asks_its_missing_facts(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    walk = Walk(client)
    case_id = _start(client).split("/")[2]
    base = f"/cases/{case_id}"
    walk.answer(f"{base}/q/kind", answer="self_employed")
    walk.answer(f"{base}/home/edit?row=new", country="US", start="2015-01-01", end="")
    walk.answer(f"{base}/stays/edit?row=new", country="France", start="2027-01-15", end="",
                client_name="", client_country="")  # fmt: skip
    walk.answer(f"{base}/check")
    page = client.get(f"{base}/answer").text
    asked = re.findall(rf'href="({base}/q/[^"?]+)\?back=check"', page)
    typed = {"operating_since": "2019-06-01", "end:0": "2027-09-30",
             "statement:private_health_insurance": "yes"}  # fmt: skip
    assert sorted(u.rsplit("/", 1)[1] for u in asked) == sorted(typed), _text(page)
    assert "to the case file" not in _text(page)  # the web asks instead
    for url in asked:
        walk.answer(url + "?back=check", answer=typed[url.rsplit("/", 1)[1]])
    walk.answer(f"{base}/check")
    assert _text(client.get(f"{base}/answer").text).startswith("Go")


def test_unknown_cases_and_questions_are_404(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    assert client.get("/cases/0123456789abcdef").status_code == 404
    case_id = _start(client).split("/")[2]
    assert client.get(f"/cases/{case_id}/q/nope").status_code == 404


def _go_case(walk: Walk, client: TestClient) -> str:
    case_id = _start(client).split("/")[2]
    base = f"/cases/{case_id}"
    walk.answer(f"{base}/q/kind", answer="self_employed")
    walk.answer(f"{base}/q/citizenship", answer="US")
    walk.answer(f"{base}/q/operating_since", answer="2019-06-01")
    walk.answer(f"{base}/home/edit?row=new", country="US", start="2015-01-01", end="")
    walk.answer(f"{base}/stays/edit?row=new", country="PT", start="2027-03-01",
                end="2027-12-31", client_name="", client_country="")  # fmt: skip
    walk.answer(f"{base}/check")
    return base


def test_the_filing_details_are_asked_and_checked(site: tuple[TestClient, Casework]) -> None:
    client, work = site
    walk = Walk(client)
    base = _go_case(walk, client)
    typed = {
        "full_legal_name": {"answer": "Jane Quinn Doe"},
        "ssn": {"answer": "123-45-6789"},
        "date_of_birth": {"answer": "1988-04-12"},
        "place_of_birth": {"answer": "Dayton, Ohio, United States"},
        "business_name": {"answer": "Jane Quinn Doe"},
        "business_address": {"address-line1": "12 Main Street", "address-line2": "",
                             "address-city": "Austin", "address-region": "TX",
                             "address-postal_code": "78701", "address-country": "US"},
        "activity": {"answer": "UX research and interface design"},
        "card_name": {"answer": "Jane Quinn Doe"},
        "card_ssn": {"answer": "123 45 6789"},
    }  # fmt: skip
    bodies = []
    url = client.get(f"{base}/details", follow_redirects=False).headers["location"]
    while "/q/" in url:
        qid = url.split("/q/")[1].split("?")[0]
        bodies.append(client.get(url).text)
        url = walk.answer(url, **typed[qid])
        url = client.get(url, follow_redirects=False).headers.get("location", url)
    summary = client.get(f"{base}/details").text
    bodies.append(summary)
    assert "XXX-XX-6789" in summary and "Confirm the details" in summary
    assert walk.answer(f"{base}/details").endswith("/documents")  # stored, then the documents
    assert work.case(base.split("/")[2]).person is not None
    for body in bodies:  # the number never goes back to the browser
        assert "123-45-6789" not in body and "123456789" not in body
    ssn_page = client.get(f"{base}/q/ssn?back=details").text
    assert "ending 6789 is on file" in ssn_page and "123-45-6789" not in ssn_page
    case = work.working_copy(base.split("/")[2])
    assert case.person is not None and case.person.ssn == "123-45-6789"


def test_an_address_part_missing_is_linked(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    base = _go_case(Walk(client), client)
    url = f"{base}/q/business_address?back=details"
    form = client.get(url)
    bad = client.post(url, data={"csrf_token": _csrf(form.text), "address-line1": "1 Main St",
                                 "address-city": "", "address-country": "US"})  # fmt: skip
    assert bad.status_code == 400 and "City or town: an answer is needed" in _text(bad.text)
    assert 'href="#address-city"' in bad.text  # linked to the city's own field
    assert 'value="1 Main St"' in bad.text  # kept
    both = client.post(
        url,
        data={
            "csrf_token": _csrf(form.text),
            "address-line1": "",
            "address-city": "Austin",
            "address-country": "Atlantis",
        },
    )
    assert 'href="#answer"' in both.text and 'href="#address-country"' in both.text  # all at once


def test_a_finding_of_the_check_links_to_the_answer_it_is_about(
    site: tuple[TestClient, Casework],
) -> None:
    client, work = site
    base = _go_case(Walk(client), client)
    case_id = base.split("/")[2]
    from dataclasses import replace

    from cocflow.io.casefile import read_case

    example = read_case(Path(__file__).resolve().parents[2] / "examples" / "filing-complete.yaml")
    case = work.working_copy(case_id)
    mismatched = tuple(
        replace(r, full_legal_name="Janet Quinn Doe") if r.kind == "ssn_card" else r
        for r in example.records
    )
    work.save_draft(
        case_id,
        replace(case, person=example.person, business=example.business, records=mismatched),
    )
    page = client.get(f"{base}/details")
    assert "Confirm the details" not in page.text
    assert f'href="{base}/q/full_legal_name?back=details">Change this answer' in page.text


def test_the_task_list_page_follows_a_change_made_elsewhere(
    site: tuple[TestClient, Casework],
) -> None:
    client, work = site
    base = _go_case(Walk(client), client)
    case_id = base.split("/")[2]
    first = client.get(base).text
    assert first == client.get(base).text  # nothing changed: the same page
    from dataclasses import replace

    work.save_draft(case_id, replace(work.working_copy(case_id), label="Lisbon, spring"))
    assert "Lisbon, spring" in _text(client.get(base).text)  # a change from another face


def test_an_employee_answers_every_question_and_gets_the_answer(
    site: tuple[TestClient, Casework],
) -> None:
    client, _ = site
    walk = Walk(client)
    base = "/".join(_start(client).split("/")[:3])
    url = walk.answer(f"{base}/q/kind", answer="employee")
    url = walk.answer(url, answer="US")  # citizenship
    assert url.endswith("/q/employer_name")
    url = walk.answer(url, answer="Acme Inc.")
    assert client.get(base).status_code == 200  # the case opens after every answer
    url = walk.answer(url, answer="United States")
    url = walk.answer(url, answer="2019-03-01")
    walk.answer(f"{base}/home/edit?row=new", country="US", start="2015-01-01", end="")
    walk.answer(f"{base}/stays/edit?row=new", country="DE", start="2027-01-04",
                end="2027-12-31", client_name="", client_country="")  # fmt: skip
    walk.answer(f"{base}/check")
    assert _text(client.get(f"{base}/answer").text).startswith("Go")


def test_back_skips_the_questions_that_do_not_apply(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    walk = Walk(client)
    base = "/".join(_start(client).split("/")[:3])
    walk.answer(f"{base}/q/kind", answer="self_employed")
    page = client.get(f"{base}/q/operating_since").text
    assert f'href="{base}/q/citizenship" class="back-link"' in page
    assert (
        f'href="{base}/details?review=1" class="back-link"'
        in client.get(f"{base}/q/operating_since?back=details").text
    )


def test_a_rejected_ssn_is_not_sent_back(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    base = _go_case(Walk(client), client)
    url = f"{base}/q/ssn?back=details"
    refused = client.post(url, data={"csrf_token": _csrf(client.get(url).text),
                                     "answer": "912-45-6789"})  # fmt: skip
    assert refused.status_code == 400 and "912-45-6789" not in refused.text


def test_the_card_number_is_asked_after_the_card_name(site: tuple[TestClient, Casework]) -> None:
    client, work = site
    base = _go_case(Walk(client), client)
    case_id = base.split("/")[2]
    from dataclasses import replace

    from cocflow.case import Record

    case = work.working_copy(case_id)
    work.save_draft(case_id, replace(case, records=(Record("ssn_card", "Jane Quinn Doe"),)))
    from cocflow.services.filing import filing_details_needed

    asked = [q.id for q in filing_details_needed(work.working_copy(case_id), TODAY, work.rules)]
    assert "card_ssn" in asked and "card_name" not in asked


def test_a_no_go_case_shows_the_other_countrys_certificate_to_get(
    site: tuple[TestClient, Casework],
) -> None:
    client, _ = site
    base = _living_in_portugal(client)
    hub = _text(client.get(base).text)
    assert "Get the other country's certificate" in hub
    assert "The other country's certificate Asked for, received and kept Not started" in hub
    assert "Not needed: no U.S. certificate for this work" in hub


def test_a_choice_left_unselected_asks_to_select_one(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    url = _start(client)
    refused = client.post(url, data={"csrf_token": _csrf(client.get(url).text)})
    assert refused.status_code == 400
    assert "Select one of the answers." in _text(refused.text) and "number" not in refused.text


def test_the_answer_says_when_today_s_screening_differs_from_the_recorded_one(
    site: tuple[TestClient, Casework],
) -> None:
    client, work = site
    base = _go_case(Walk(client), client)
    case_id = base.split("/")[2]
    assert "differs from the one in the proof file" not in client.get(f"{base}/answer").text
    import json

    from sqlalchemy import text

    older = {**work.store.get_case(case_id).decision, "outcome": "pause"}  # older rules' answer
    with work.store.engine.begin() as c:
        c.execute(text("UPDATE cases SET decision = :d WHERE id = :i"),
                  {"d": json.dumps(older), "i": case_id})  # fmt: skip
    page = _text(client.get(f"{base}/answer").text)
    assert "the answer differs from the one in the proof file (pause)" in page


def test_a_no_go_case_s_proof_page_names_the_other_country_s_office(
    site: tuple[TestClient, Casework],
) -> None:
    client, _ = site
    base = _living_in_portugal(client)
    proof = _text(client.get(f"{base}/proof").text)
    assert "The certificate the other country's office sent" in proof
    assert "The certificate SSA sent" not in proof


def _living_in_portugal(client: TestClient) -> str:
    """A self-employed person living and working in Portugal, confirmed: a no go."""
    walk = Walk(client)
    base = "/".join(_start(client).split("/")[:3])
    walk.answer(f"{base}/q/kind", answer="self_employed")
    walk.answer(f"{base}/home/edit?row=new", country="PT", start="2020-01-01", end="")
    walk.answer(f"{base}/stays/edit?row=new", country="PT", start="2027-01-10",
                end="2027-12-31", client_name="", client_country="")  # fmt: skip
    walk.answer(f"{base}/check")
    return base
