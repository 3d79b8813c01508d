"""The request's documents as HTML (documents/html.py), and the service that prepares, records
and reads back the request of a stored case (services/documents.py)."""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cocflow.documents.html import (
    fax_cover_html,
    letter_html,
    masked,
    request_data_html,
    worksheet_html,
)
from cocflow.documents.pdf import extract_text
from cocflow.filing.packet import FilingPacket, Item
from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services import documents as service
from cocflow.services.cases import Casework, open_casework
from cocflow.services.filing import NotReady, RequestResult, prepare_request
from cocflow.services.screening import rules_for

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = ROOT / "examples" / "filing-complete.yaml"
MISTAKES = ROOT / "examples" / "filing-with-mistakes.yaml"
DAY = date(2026, 12, 2)
FULL_SSN = ("123-45-6789", "123456789")
HOSTILE = "<script>alert('x')</script> Doe & Sons"


@pytest.fixture(scope="module")
def result(rules: RuleBook) -> RequestResult:
    return prepare_request(read_case(COMPLETE), DAY, rules)


@pytest.fixture(scope="module")
def packet(result: RequestResult) -> FilingPacket:
    return result.packet


def _every_view(packet: FilingPacket, result: RequestResult) -> dict[str, str]:
    return {
        "letter": letter_html(packet),
        "fax cover": fax_cover_html(packet, 2),
        "worksheet": worksheet_html(packet),
        "data": request_data_html(json.loads(result.data["request.json"]), packet.ssn),
    }


def _text(fragment: str) -> str:
    """What a reader hears: the tags dropped, the entities read, the spaces joined."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# --- documents/html.py ------------------------------------------------------------------------


def test_every_view_masks_the_ssn(packet: FilingPacket, result: RequestResult) -> None:
    for name, fragment in _every_view(packet, result).items():
        for form in FULL_SSN:
            assert form not in fragment, name
    views = _every_view(packet, result)
    for name in ("letter", "worksheet", "data"):
        assert "XXX-XX-6789" in views[name], name


def test_an_ssn_written_inside_another_value_is_masked_too(packet: FilingPacket) -> None:
    sneaky = replace(
        packet,
        items=(*packet.items, Item("Note", "my number is 123 45 6789, or 123456789")),
        phone="123.45.6789",
    )
    fragment = letter_html(sneaky)
    assert "123 45 6789" not in fragment
    assert "123.45.6789" not in fragment
    assert "123456789" not in fragment
    assert fragment.count("XXX-XX-6789") >= 4
    assert masked("call 1123456789 or 123-45-67890", "123-45-6789") == (
        "call 1123456789 or 123-45-67890"  # longer numbers are other numbers
    )


def test_text_is_escaped(packet: FilingPacket, result: RequestResult) -> None:
    hostile = replace(
        packet,
        full_legal_name=HOSTILE,
        items=(Item("Full legal name", HOSTILE), *packet.items[1:]),
        sender_address=('"><img src=x onerror=alert(1)>', *packet.sender_address),
        online_fields=(replace(packet.online_fields[0], value=HOSTILE),),
    )
    data = json.loads(result.data["request.json"]) | {"full_legal_name": HOSTILE}
    for fragment in (
        letter_html(hostile),
        fax_cover_html(hostile, 2),
        worksheet_html(replace(hostile, online_url='javascript:alert("x")"')),
        request_data_html(data, packet.ssn),
    ):
        assert "<script>" not in fragment
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Doe &amp; Sons" in fragment
    assert "<img" not in letter_html(hostile)
    not_a_link = worksheet_html(replace(packet, online_url='javascript:alert("x")'))
    assert "href" not in not_a_link
    assert "File at javascript:alert(&quot;x&quot;)." in not_a_link


def test_the_letter_holds_every_item_and_says_what_the_pdf_says(
    packet: FilingPacket, result: RequestResult
) -> None:
    with_extras = replace(packet, extras=(Item("The work is temporary", "Yes, confirmed."),))
    fragment = letter_html(with_extras)
    heard = _text(fragment)
    for item in (*packet.items, *with_extras.extras):
        value = masked(item.value, packet.ssn)
        assert f"{item.label} {value}" in heard, item.label
    assert "Items required under the agreement with Portugal" in heard
    headings = re.findall(r"<h(\d)", fragment)
    assert headings[0] == "2"
    assert all(int(b) - int(a) <= 1 for a, b in itertools.pairwise(headings))
    assert "<dl" in fragment

    pdf = " ".join(extract_text(result.data["request-letter.pdf"]).split())
    letter = letter_html(packet)
    paragraphs = [_text(p) for p in re.findall(r'<p class="body">(.*?)</p>', letter)]
    for paragraph in paragraphs:
        if paragraph.startswith(("Signature", "Date:")):
            continue  # the PDF has lines to fill in there
        assert paragraph in pdf, paragraph
    assert packet.subject in _text(letter)
    assert packet.subject in pdf


def test_the_fax_cover_the_worksheet_and_the_data(
    packet: FilingPacket, result: RequestResult
) -> None:
    cover = _text(fax_cover_html(packet, 3))
    assert f"Fax {packet.ssa_fax}" in cover
    assert "Pages (including this cover) 3" in cover
    assert f"Subject {packet.subject}" in cover

    worksheet = _text(worksheet_html(packet))
    for number, field in enumerate(packet.online_fields, start=1):
        assert f"{number}. {field.label} {masked(field.value, packet.ssn)}" in worksheet
    long = replace(packet.online_fields[0], value="A" * 70, limit=60)
    cut = _text(worksheet_html(replace(packet, online_fields=(long,))))
    assert "Longer than the limit: the form would keep only the first 60 characters" in cut

    data = json.loads(result.data["request.json"])
    view = _text(request_data_html(data, packet.ssn))
    for item in data["items"]:
        assert f"{item['label']} {masked(item['value'], packet.ssn)}" in view
    for note in data["channel_advice"]["notes"]:
        assert note["text"] in view
    assert "Rules version" in view
    assert "File by 2026-12-17" in view
    assert "How to send it" in view


# --- services/documents.py --------------------------------------------------------------------


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Casework]:
    settings = Settings.from_env({"COCFLOW_HOME": str(tmp_path / "home")})
    opened = open_casework(settings, rules_for(settings))
    yield opened
    opened.close()


def test_a_request_is_prepared_recorded_and_read_back_as_it_was(work: Casework) -> None:
    case_id = work.new_case(read_case(COMPLETE), DAY)[0]
    before = service.documents(work, case_id, DAY)
    assert before.ready
    assert before.recorded is None
    assert before.preview is not None
    assert before.advice is before.preview

    result, entry = service.prepare_and_record(work, case_id, DAY, channel="fax")
    assert entry.kind == "request_prepared"
    assert json.loads(entry.payload)["channel"] == "fax"

    later = service.documents(work, case_id, date(2027, 2, 10))  # another day
    recorded = later.recorded
    assert recorded is not None
    assert recorded.current
    assert recorded.entry.seq == entry.seq
    assert recorded.result is not None
    assert recorded.result.packet.prepared_on == DAY
    for name in service.DOCUMENTS:
        assert recorded.data(name) == result.data[name], name
    assert recorded.data("filing-checklist.md") is None
    view = service.document_view(recorded.result, "fax-cover.pdf")
    assert "Pages (including this cover)" in view
    with pytest.raises(KeyError):
        service.document_view(recorded.result, "secret.txt")


def test_a_request_of_a_case_changed_since_keeps_only_its_letter(work: Casework) -> None:
    case_id = work.new_case(read_case(COMPLETE), DAY)[0]
    result, _ = service.prepare_and_record(work, case_id, DAY)
    case = work.case(case_id)
    assert case.person is not None
    work.update_case(case_id, replace(case, person=replace(case.person, email=None)), DAY)
    recorded = service.recorded_request(work, case_id)
    assert recorded is not None
    assert not recorded.current
    assert recorded.data("request-letter.pdf") == result.data["request-letter.pdf"]
    assert recorded.data("request.json") is None
    state = service.documents(work, case_id, DAY)
    assert state.preview is not None  # ready to prepare again
    assert state.advice is state.preview


def test_a_case_with_mistakes_is_not_prepared(work: Casework) -> None:
    case_id = work.new_case(read_case(MISTAKES), DAY)[0]
    state = service.documents(work, case_id, DAY)
    assert not state.ready
    assert state.preview is None
    assert any(f.severity == "error" for f in state.report.findings)
    with pytest.raises(NotReady):
        service.prepare_and_record(work, case_id, DAY)
    assert [e.kind for e in work.entries(case_id)] == ["screened"]


def test_a_case_not_confirmed_has_nothing_to_file(work: Casework) -> None:
    case_id = work.start_case()
    for call in (
        lambda: service.documents(work, case_id, DAY),
        lambda: service.prepare_and_record(work, case_id, DAY),
        lambda: service.proof_overview(work, case_id, DAY),
        lambda: service.export_bundle(work, case_id),
        lambda: service.record_proof(work, case_id, "other", None, {"note": "early"}),
    ):
        with pytest.raises(service.CaseNotConfirmed):
            call()


def test_the_proof_file_in_words_as_a_page_and_as_a_bundle(work: Casework) -> None:
    case_id = work.new_case(read_case(COMPLETE), DAY)[0]
    service.prepare_and_record(work, case_id, DAY)
    overview = service.proof_overview(work, case_id, DAY)
    assert [r.seq for r in overview.records] == [1, 2]
    assert overview.records[1].sentence.startswith("Request prepared, to send online")
    assert overview.head == work.entries(case_id)[-1].hash
    assert not overview.status.rely
    page = service.timeline_file(work, case_id, DAY)
    assert b"Request prepared, to send online" in page
    with zipfile.ZipFile(io.BytesIO(service.export_bundle(work, case_id))) as bundle:
        assert json.loads(bundle.read("manifest.json"))["case"] == case_id
        assert any(n.endswith("-request-letter.pdf") for n in bundle.namelist())
