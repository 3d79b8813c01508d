"""A case's pages once its answer is go: the request's documents, filing and proof, the timeline
and the proof bundle, in process (TestClient) and in a real browser (chromium, axe).

Every HTML response these tests receive is checked for the full SSN: only the downloads hold it.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.services.cases import Casework, open_casework
from cocflow.services.filing import prepare_request
from cocflow.services.screening import rules_for
from cocflow.web.routes import proof
from tests.web.conftest import BASE_URL
from tests.web.support import LiveServer, check_a11y, make_app, new_token, running, screenshot

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = ROOT / "examples" / "filing-complete.yaml"
MISTAKES = ROOT / "examples" / "filing-with-mistakes.yaml"
TODAY = date(2026, 12, 2)
FULL_SSN = ("123-45-6789", "123456789")
DOCUMENTS = ("request-letter.pdf", "fax-cover.pdf", "online-worksheet.txt", "request.json")
DASH = " \u2013 "  # the page title's separator
PDF = b"%PDF-1.4\n% a scanned document\n"


def _no_full_ssn(response: httpx.Response) -> None:
    if response.headers.get("content-type", "").startswith("text/html"):
        body = response.read().decode()
        for form in FULL_SSN:
            assert form not in body, f"the full SSN is on {response.request.url}"


@pytest.fixture
def proof_app(settings: Settings, token: str) -> Iterator[Starlette]:
    app = make_app(settings, token, routes=proof.routes())
    work = open_casework(settings, rules_for(settings))
    app.state.work = work
    app.state.today = TODAY
    yield app
    work.close()


@pytest.fixture
def work(proof_app: Starlette) -> Casework:
    stored = proof_app.state.work
    assert isinstance(stored, Casework)
    return stored


@pytest.fixture
def web(proof_app: Starlette, token: str) -> Iterator[TestClient]:
    with TestClient(proof_app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        assert client.get(f"/?token={token}").status_code == 200
        client.event_hooks["response"] = [_no_full_ssn]
        yield client


@pytest.fixture
def case_id(work: Casework) -> str:
    return work.new_case(read_case(COMPLETE), TODAY)[0]


def _csrf(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert found, f"no form on {url}"
    return found.group(1)


def _prepare(client: TestClient, case_id: str, channel: str = "online") -> httpx.Response:
    url = f"/cases/{case_id}/documents"
    data = {"csrf_token": _csrf(client, url), "channel": channel}
    return client.post(url, data=data, follow_redirects=False)


def _record(
    client: TestClient,
    case_id: str,
    record: str,
    fields: dict[str, str],
    file: tuple[str, bytes] | None = ("document.pdf", PDF),
) -> httpx.Response:
    url = f"/cases/{case_id}/proof"
    data = {"csrf_token": _csrf(client, url), "record": record, **fields}
    files = {"file": (file[0], file[1], "application/octet-stream")} if file else None
    return client.post(url, data=data, files=files, follow_redirects=False)


def _kinds(work: Casework, case_id: str) -> list[str]:
    return [e.kind for e in work.entries(case_id)]


# --- the request's documents ----------------------------------------------------------------


def test_a_ready_case_offers_to_prepare_the_request(web: TestClient, case_id: str) -> None:
    response = web.get(f"/cases/{case_id}/documents")
    assert response.status_code == 200
    text = response.text
    assert f"<title>Prepare the request{DASH}cocflow</title>" in text
    assert f'href="/cases/{case_id}" class="back-link"' in text
    assert text.count("<h1") == 1
    assert "Online is the usual way" in text
    assert "Mail or fax is the fallback" in text
    assert "free" in text
    assert "File by 17 December 2026." in text
    assert '<button type="submit" class="button button--primary">Prepare the request</button>' in (
        text
    )
    assert 'value="online" checked' in text
    assert "request-letter.pdf" not in text  # nothing prepared yet


def test_preparing_records_the_request_and_lists_the_documents(
    web: TestClient, work: Casework, case_id: str
) -> None:
    response = _prepare(web, case_id, "mail")
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case_id}/documents?prepared=1"
    assert _kinds(work, case_id) == ["screened", "request_prepared"]
    assert json.loads(work.entries(case_id)[-1].payload)["channel"] == "mail"

    page = web.get(response.headers["location"]).text
    assert f"<title>The request documents{DASH}cocflow</title>" in page
    assert "The request is prepared and recorded in the proof file." in page
    assert "recorded in the case's proof file" in page
    assert "(entry 2)" in page
    assert "XXX-XX-6789" in page
    assert "full number" in page
    for name in DOCUMENTS:
        assert f'href="/cases/{case_id}/documents/{name}" download' in page
        assert f'href="/cases/{case_id}/documents/{name}/view"' in page
    assert f'href="/cases/{case_id}/proof"' in page
    assert "Prepare the request</button>" not in page


def test_each_download_is_the_document_recorded(
    web: TestClient, work: Casework, case_id: str
) -> None:
    _prepare(web, case_id)
    expected = prepare_request(read_case(COMPLETE), TODAY, work.rules).data
    web.app.state.today = date(2027, 1, 20)  # another day: the documents are those of the 2nd
    for name in DOCUMENTS:
        response = web.get(f"/cases/{case_id}/documents/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert response.headers["cache-control"] == "no-store"
        assert response.content == expected[name], name
    letter = web.get(f"/cases/{case_id}/documents/request-letter.pdf")
    assert letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF-")
    kept = json.loads(work.entries(case_id)[-1].payload)["letter_file"]["mac"]
    assert letter.content == work.vault.read(kept)  # the letter kept in the proof file
    data = web.get(f"/cases/{case_id}/documents/request.json")
    assert data.headers["content-type"] == "application/json"
    assert json.loads(data.content)["ssn"] == "123-45-6789"  # the download holds it in full
    worksheet = web.get(f"/cases/{case_id}/documents/online-worksheet.txt")
    assert worksheet.headers["content-type"] == "text/plain; charset=utf-8"


def test_the_html_views_show_the_masked_ssn_only(web: TestClient, case_id: str) -> None:
    _prepare(web, case_id)
    titles = {
        "request-letter.pdf": "Request letter",
        "fax-cover.pdf": "Fax cover sheet",
        "online-worksheet.txt": "Online form worksheet",
        "request.json": "Data filed",
    }
    for name, title in titles.items():
        response = web.get(f"/cases/{case_id}/documents/{name}/view")
        assert response.status_code == 200, name
        text = response.text
        assert f"<title>{title}{DASH}cocflow</title>" in text
        assert f'href="/cases/{case_id}/documents" class="back-link"' in text
        assert re.findall(r"<h(\d)", text)[0] == "1"
        assert f'href="/cases/{case_id}/documents/{name}" download' in text
        if name != "fax-cover.pdf":
            assert "XXX-XX-6789" in text
            assert "The download holds the full" in text
    letter = web.get(f"/cases/{case_id}/documents/request-letter.pdf/view").text
    assert "Dear Sir or Madam," in letter
    assert '<dt class="summary-list__key">Full legal name</dt>' in letter


def test_the_documents_of_a_case_changed_since_must_be_prepared_again(
    web: TestClient, work: Casework, case_id: str
) -> None:
    _prepare(web, case_id)
    case = work.case(case_id)
    assert case.person is not None
    changed = replace(case, person=replace(case.person, phone="+1 512 555 0199"))
    work.update_case(case_id, changed, TODAY)
    page = web.get(f"/cases/{case_id}/documents").text
    assert f"<title>Prepare the request{DASH}cocflow</title>" in page
    assert "The request prepared before" in page
    kept = web.get(f"/cases/{case_id}/documents/request-letter.pdf")
    assert kept.status_code == 200  # the letter prepared then is kept
    assert web.get(f"/cases/{case_id}/documents/request.json").status_code == 404
    assert web.get(f"/cases/{case_id}/documents/request-letter.pdf/view").status_code == 404


def test_a_case_with_mistakes_says_what_to_fix(web: TestClient, work: Casework) -> None:
    case_id = work.new_case(read_case(MISTAKES), TODAY)[0]
    response = web.get(f"/cases/{case_id}/documents")
    assert response.status_code == 200
    text = response.text
    assert f"<title>The request cannot be prepared yet{DASH}cocflow</title>" in text
    assert "What to fix" in text
    assert "Fix:" in text
    assert f'<a class="link" href="/cases/{case_id}">Go back to the case' in text
    assert "Prepare the request</button>" not in text
    url = f"/cases/{case_id}/documents"
    data = {"csrf_token": _csrf(web, f"/cases/{case_id}/proof"), "channel": "online"}
    refused = web.post(url, data=data, follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"] == url
    assert "request_prepared" not in _kinds(work, case_id)


def test_documents_are_not_served_before_the_request_is_prepared(
    web: TestClient, case_id: str
) -> None:
    for path in ("request-letter.pdf", "request.json/view"):
        response = web.get(f"/cases/{case_id}/documents/{path}")
        assert response.status_code == 404
        assert "This document is not ready" in response.text
    assert web.get(f"/cases/{case_id}/documents/filing-checklist.md").status_code == 404
    assert web.get(f"/cases/{case_id}/documents/..%2Fkey").status_code == 404


# --- filing and proof -----------------------------------------------------------------------


def test_an_online_submission_needs_its_control_number(
    web: TestClient, work: Casework, case_id: str
) -> None:
    _prepare(web, case_id)
    response = _record(web, case_id, "submission", {"channel": "online", "date": "2026-12-03"})
    assert response.status_code == 400  # the page again, with the error summary
    text = response.text
    assert f"<title>Error: Filing and proof{DASH}cocflow</title>" in text
    summary = text[text.index("error-summary") : text.index("<h1")]
    assert '<a href="#submission-control-number">' in summary
    assert "An online request has a control number" in summary
    field = re.search(r'<input[^>]*id="submission-control-number"[^>]*>', text)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="submission-control-number-hint submission-control-number-error"' in (
        field.group(0)
    )
    assert 'id="submission-control-number-error"' in text
    assert 'value="2026-12-03"' in text  # what was typed is kept
    assert re.search(
        r'id="submission-channel" name="channel" type="radio" value="online"[^>]*'
        r"checked",
        text,
    )
    assert "Choose the file again" in text
    assert "submitted" not in _kinds(work, case_id)


def test_service_problems_are_shown_on_their_fields(web: TestClient, case_id: str) -> None:
    response = _record(
        web,
        case_id,
        "certificate",
        {"country": "Atlantis", "period_start": "2027-02-30", "period_end": ""},
        file=None,
    )
    assert response.status_code == 400
    text = response.text
    assert '<a href="#certificate-file">' in text  # a certificate needs its file
    response = _record(
        web,
        case_id,
        "certificate",
        {"country": "Atlantis", "period_start": "2027-02-30", "period_end": ""},
    )
    assert response.status_code == 400
    assert '<a href="#certificate-country">' in response.text
    assert '<a href="#certificate-period-start">' in response.text
    wrong_type = _record(web, case_id, "approval", {}, file=("approval.pdf", b"plain text\n"))
    assert wrong_type.status_code == 400
    assert '<a href="#approval-file">' in wrong_type.text


def test_from_the_submission_to_relying_on_the_exemption(
    web: TestClient, work: Casework, case_id: str
) -> None:
    page = web.get(f"/cases/{case_id}/proof").text
    assert f"<title>Filing and proof{DASH}cocflow</title>" in page
    assert f'href="/cases/{case_id}" class="back-link"' in page
    assert "Rely on the exemption: not yet" in page
    assert _prepare(web, case_id).status_code == 303

    steps = [
        (
            "submission",
            {"channel": "online", "date": "2026-12-03", "control_number": "A1B2C3"},
            "The submission is recorded in the proof file.",
        ),
        (
            "certificate",
            {"country": "PT", "period_start": "2027-03-01", "period_end": "2027-12-31"},
            "The certificate is kept in the proof file.",
        ),
        (
            "delivery",
            {"to": "Lisboa Design Lda", "channel": "email", "date": "2027-02-01"},
            "The delivery is recorded in the proof file.",
        ),
    ]
    for record, fields, banner in steps:
        response = _record(web, case_id, record, fields)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/cases/{case_id}/proof?added={record}"
        assert banner in web.get(response.headers["location"]).text

    assert work.status(case_id, TODAY).rely is True
    page = web.get(f"/cases/{case_id}/proof").text
    assert "Rely on the exemption: yes" in page
    assert page.count("tag--done") == 4
    assert _kinds(work, case_id)[-3:] == ["submitted", "certificate_received", "delivered"]
    submitted = json.loads(work.entries(case_id)[-3].payload)
    assert submitted["control_number"] == "A1B2C3"
    assert submitted["file"]["media_type"] == "application/pdf"


def test_uploads_leave_no_temporary_file(
    web: TestClient, case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))  # apart from other test runs
    assert _record(web, case_id, "approval", {}).status_code == 303
    assert _record(web, case_id, "approval", {}, file=("a.pdf", b"not a pdf")).status_code == 400
    assert list(private.iterdir()) == []


def test_an_upload_is_kept_private_under_its_suffix_only(
    web: TestClient, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, int, bytes]] = []

    def record_proof(
        work: Any, case: str, kind: str, file: Path, details: Any, *, original_name: str
    ) -> None:
        mode, folder = file.stat().st_mode & 0o777, file.parent.stat().st_mode & 0o777
        seen.append((file.name, mode, folder, file.read_bytes()))
        names.append(original_name)

    names: list[str] = []

    monkeypatch.setattr("cocflow.services.documents.record_proof", record_proof)
    response = _record(web, case_id, "approval", {}, file=("Jane Doe SSN 123-45-6789.PDF", PDF))
    assert response.status_code == 303
    assert seen == [("upload.pdf", 0o600, 0o700, PDF)]
    assert names == ["Jane Doe SSN 123-45-6789.PDF"]  # kept encrypted; masked wherever shown


def test_a_form_without_its_token_is_refused(web: TestClient, work: Casework, case_id: str) -> None:
    response = web.post(f"/cases/{case_id}/documents", data={"channel": "online"})
    assert response.status_code == 403
    refused = web.post(
        f"/cases/{case_id}/proof",
        data={"record": "approval"},
        files={"file": ("approval.pdf", PDF, "application/pdf")},
    )
    assert refused.status_code == 403
    assert _kinds(work, case_id) == ["screened"]


def test_an_unknown_case_is_not_found(web: TestClient) -> None:
    for path in (
        "documents",
        "documents/request-letter.pdf",
        "documents/request-letter.pdf/view",
        "proof",
        "timeline",
        "timeline/download",
        "export",
    ):
        for case_id in ("0123456789abcdef", "not-a-case-id"):
            response = web.get(f"/cases/{case_id}/{path}")
            assert response.status_code == 404, path
            assert "Page not found" in response.text


def test_a_case_not_confirmed_yet_says_to_answer_its_questions(
    web: TestClient, work: Casework
) -> None:
    case_id = work.start_case()
    for path in ("documents", "proof", "timeline"):
        response = web.get(f"/cases/{case_id}/{path}")
        assert response.status_code == 200
        assert "Answer the case&#39;s questions first" in response.text
        assert f'href="/cases/{case_id}"' in response.text
    refused = web.post(
        f"/cases/{case_id}/proof",
        data={"csrf_token": _csrf(web, "/_preview/form"), "record": "approval"},
        files={"file": ("approval.pdf", PDF, "application/pdf")},
    )
    assert refused.status_code == 409
    assert work.entries(case_id) == []


# --- the timeline and the proof bundle ------------------------------------------------------


def test_the_timeline_page_and_its_file(web: TestClient, case_id: str) -> None:
    _prepare(web, case_id)
    page = web.get(f"/cases/{case_id}/timeline")
    assert page.status_code == 200
    text = page.text
    assert f"<title>Proof file timeline{DASH}cocflow</title>" in text
    assert f'href="/cases/{case_id}" class="back-link"' in text
    assert "Screened: go as of 2026-12-02" in text
    assert "Request prepared, to send online" in text
    assert "Rely on the exemption: not yet" in text
    download = web.get(f"/cases/{case_id}/timeline/download")
    assert download.status_code == 200
    expected = f'attachment; filename="cocflow-timeline-{case_id[:8]}.html"'
    assert download.headers["content-disposition"] == expected
    assert b"Request prepared, to send online" in download.content


def test_the_proof_bundle_downloads_as_a_zip(web: TestClient, case_id: str) -> None:
    _prepare(web, case_id)
    _record(web, case_id, "approval", {"date": "2026-12-20"})
    response = web.get(f"/cases/{case_id}/export")
    assert response.status_code == 200
    expected = f'attachment; filename="cocflow-proof-{case_id[:8]}.zip"'
    assert response.headers["content-disposition"] == expected
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        names = bundle.namelist()
        manifest = json.loads(bundle.read("manifest.json"))
    assert {"SHA256SUMS", "manifest.json", "chain.json", "timeline.html"} <= set(names)
    assert manifest["case"] == case_id
    originals = [f["original_name"] for f in manifest["files"] if f["original_name"]]
    assert originals == ["document.pdf"]  # as the person named it (SSN-like numbers masked)


# --- in a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def proof_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings.from_env({"COCFLOW_HOME": str(tmp_path_factory.mktemp("proof") / "h")})
    token = new_token()
    app = make_app(settings, token, routes=proof.routes())
    work = open_casework(settings, rules_for(settings))
    app.state.work = work
    app.state.today = TODAY
    try:
        with running(app, token) as live:
            yield live
    finally:
        work.close()


@pytest.fixture
def proof_page(browser: Any, proof_server: LiveServer, console: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda exc: console.append(str(exc)))
    opened.goto(proof_server.login_url)
    try:
        yield opened
    finally:
        context.close()


def _html_has_no_full_ssn(page: Any) -> None:
    content = page.content()
    for form in FULL_SSN:
        assert form not in content


def test_the_pages_in_a_browser(
    proof_page: Any, proof_server: LiveServer, console: list[str]
) -> None:
    page = proof_page
    work = proof_server.app.state.work
    case_id = work.new_case(read_case(COMPLETE), TODAY)[0]
    base = f"{proof_server.url}/cases/{case_id}"

    page.goto(f"{base}/documents")
    assert page.title() == "Prepare the request \u2013 cocflow"
    check_a11y(page)
    screenshot(page, "proof-documents-ready")
    page.get_by_role("button", name="Prepare the request").click()
    page.wait_for_url("**/documents?prepared=1")
    assert page.locator("h1").inner_text() == "The request documents"
    check_a11y(page)
    _html_has_no_full_ssn(page)
    screenshot(page, "proof-documents-prepared")

    page.get_by_role("link", name="Read the request letter on this page").click()
    page.wait_for_url("**/request-letter.pdf/view")
    assert page.locator("h1").inner_text() == "Request letter"
    check_a11y(page)
    _html_has_no_full_ssn(page)
    screenshot(page, "proof-letter-view")
    for name in ("online-worksheet.txt", "request.json", "fax-cover.pdf"):
        page.goto(f"{base}/documents/{name}/view")
        check_a11y(page)
        _html_has_no_full_ssn(page)
        screenshot(page, f"proof-view-{name.split('.')[0]}")

    page.goto(f"{base}/proof")
    page.locator("#submission-channel").check()
    page.locator("#submission-file").set_input_files(
        files=[{"name": "confirmation.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Record the submission").click()
    page.wait_for_load_state()
    assert page.title() == "Error: Filing and proof \u2013 cocflow"
    focused = page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert focused is True
    check_a11y(page)
    screenshot(page, "proof-submission-error")
    page.locator(".error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "submission-control-number"

    page.locator("#submission-control-number").fill("A1B2C3")
    page.locator("#submission-file").set_input_files(
        files=[{"name": "confirmation.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Record the submission").click()
    page.wait_for_url("**/proof?added=submission")
    assert "The submission is recorded" in page.locator("[role=status]").inner_text()
    check_a11y(page)
    screenshot(page, "proof-submission-recorded")

    page.goto(f"{base}/timeline")
    check_a11y(page)
    _html_has_no_full_ssn(page)
    screenshot(page, "proof-timeline")
    # Nothing refused by the content security policy, no script error; the browser notes only
    # that the page with the error summary came with status 400.
    assert [m for m in console if "status of 400" not in m] == []


@pytest.mark.parametrize("path", ["documents", "proof", "timeline"])
def test_the_pages_fit_a_small_screen(proof_page: Any, proof_server: LiveServer, path: str) -> None:
    work = proof_server.app.state.work
    case_id = work.new_case(read_case(COMPLETE), TODAY)[0]
    proof_page.set_viewport_size({"width": 320, "height": 640})
    proof_page.goto(f"{proof_server.url}/cases/{case_id}/{path}")
    assert proof_page.evaluate("document.documentElement.scrollWidth") <= 320
    check_a11y(proof_page)
    screenshot(proof_page, f"proof-{path}-320")


def test_the_pages_work_without_javascript(browser: Any, proof_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(proof_server.login_url)
        work = proof_server.app.state.work
        case_id = work.new_case(read_case(COMPLETE), TODAY)[0]
        page.goto(f"{proof_server.url}/cases/{case_id}/documents")
        page.get_by_role("button", name="Prepare the request").click()
        page.wait_for_url("**/documents?prepared=1")
        assert page.locator("h1").inner_text() == "The request documents"
    finally:
        context.close()
