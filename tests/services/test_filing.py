"""The filing services: the pre-submit check, the request documents, writing them out, and
recording the prepared request in a stored case's proof file."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cocflow.errors import InputError
from cocflow.filing.packet import Channel
from cocflow.io.casefile import read_case
from cocflow.rules.loader import RuleBook
from cocflow.services import filing
from cocflow.services.cases import Casework

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COMPLETE = read_case(EXAMPLES / "filing-complete.yaml")
MISTAKES = read_case(EXAMPLES / "filing-with-mistakes.yaml")
TODAY = date(2026, 11, 25)
DOCUMENTS = {
    "request-letter.pdf",
    "fax-cover.pdf",
    "online-worksheet.txt",
    "filing-checklist.md",
    "request.json",
}


def _ready(rules: RuleBook) -> filing.RequestResult:
    return filing.prepare_request(COMPLETE, TODAY, rules)


# --- check_case ------------------------------------------------------------------------------


def test_the_complete_example_is_ready_with_no_finding(rules: RuleBook) -> None:
    report = filing.check_case(COMPLETE, TODAY, rules)
    assert report.ready
    assert list(report.findings) == []


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("person.ssn", "SSN_IS_ITIN"),
        ("engagements[0].start", "DATE_DIFFERS"),
        ("business.legal_name", "BUSINESS_IS_CLIENT"),
        ("business.nature_of_activity", "ACTIVITY_VAGUE"),
        ("engagements[0].country", "WORK_COUNTRY_DIFFERS"),
        ("person.full_legal_name", "TEXT_INVISIBLE_CHAR"),
        ("person.full_legal_name", "NAME_DIFFERS"),
    ],
)
def test_the_example_with_mistakes_is_not_ready_and_names_each_error(
    rules: RuleBook, path: str, code: str
) -> None:
    report = filing.check_case(MISTAKES, TODAY, rules)
    assert not report.ready
    errors = {(f.path, f.code) for f in report.findings if f.severity == "error"}
    assert (path, code) in errors


def test_warnings_alone_do_not_stop_a_filing(rules: RuleBook) -> None:
    report = filing.check_case(MISTAKES, TODAY, rules)
    warnings = [f for f in report.findings if f.severity == "warning"]
    assert warnings and all(f.code == "ACTIVITY_DIFFERS" for f in warnings)
    assert "912-70" not in " ".join(f.message for f in report.findings)


# --- prepare_request -------------------------------------------------------------------------


def test_a_case_with_errors_is_not_prepared_and_the_report_comes_with_the_refusal(
    rules: RuleBook,
) -> None:
    with pytest.raises(filing.NotReady) as caught:
        filing.prepare_request(MISTAKES, TODAY, rules)
    report = caught.value.report
    assert not report.ready
    errors = sum(1 for f in report.findings if f.severity == "error")
    assert errors == 7 and f"{errors} error(s)" in str(caught.value)


def test_a_ready_case_gives_the_five_documents_as_bytes(rules: RuleBook) -> None:
    result = _ready(rules)
    assert set(result.data) == DOCUMENTS
    assert all(isinstance(data, bytes) and data for data in result.data.values())
    assert result.data["request-letter.pdf"].startswith(b"%PDF")
    assert result.data["fax-cover.pdf"].startswith(b"%PDF")
    assert result.report.ready


def test_request_json_is_the_data_filed(rules: RuleBook) -> None:
    result = _ready(rules)
    filed = json.loads(result.data["request.json"])
    assert (filed["period_start"], filed["period_end"]) == ("2027-03-01", "2027-12-31")
    assert filed["ssn"] == "123-45-6789"
    assert filed["full_legal_name"] == "Jane Quinn Doe"
    assert filed["file_by"] == "2026-12-17"
    assert filed["channel"] == result.channel.channel == "online"
    assert filed["rules_version"] == rules.version
    assert filed["channel_advice"] == result.channel.as_dict()
    assert result.packet.period_start == date(2027, 3, 1)


@pytest.mark.parametrize("channel", ["online", "mail", "fax"])
def test_the_channel_asked_for_is_the_one_filed(rules: RuleBook, channel: Channel) -> None:
    result = filing.prepare_request(COMPLETE, TODAY, rules, channel=channel)
    assert result.channel.channel == channel
    assert json.loads(result.data["request.json"])["channel"] == channel


def test_the_processing_window_moves_the_file_by_date_of_the_request(rules: RuleBook) -> None:
    result = filing.prepare_request(COMPLETE, TODAY, rules, processing_days=30)
    assert result.packet.file_by == date(2027, 1, 16)
    assert json.loads(result.data["request.json"])["file_by"] == "2027-01-16"


# --- write_request ---------------------------------------------------------------------------


def test_the_documents_are_written_into_a_new_folder_for_the_owner_only(
    rules: RuleBook, tmp_path: Path
) -> None:
    result = _ready(rules)
    out = tmp_path / "new" / "filing"
    written = filing.write_request(out, result)
    assert {p.name for p in written} == DOCUMENTS
    for path in written:
        assert path.parent == out
        assert path.read_bytes() == result.data[path.name]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_given_as_the_folder_is_refused_and_kept(rules: RuleBook, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder\n")
    with pytest.raises(InputError) as caught:
        filing.write_request(out, _ready(rules))
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == ("--out", "NOT_A_FOLDER")
    assert out.read_text() == "not a folder\n"


def test_writing_is_all_or_nothing(rules: RuleBook, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "request-letter.pdf").write_bytes(b"the earlier letter")
    (out / "request.json").mkdir()  # one name cannot be written
    with pytest.raises(InputError) as caught:
        filing.write_request(out, _ready(rules))
    assert caught.value.problems[0].code == "CANNOT_WRITE"
    assert sorted(p.name for p in out.iterdir()) == ["request-letter.pdf", "request.json"]
    assert (out / "request-letter.pdf").read_bytes() == b"the earlier letter"


# --- request ---------------------------------------------------------------------------------


def test_without_a_stored_case_nothing_is_recorded(rules: RuleBook, tmp_path: Path) -> None:
    filed = filing.request(COMPLETE, tmp_path / "out", TODAY, rules)
    assert filed.entry is None and filed.case_id is None
    assert {p.name for p in filed.files} == DOCUMENTS


def test_a_stored_case_records_the_prepared_request(
    work: Casework, rules: RuleBook, tmp_path: Path
) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    filed = filing.request(
        COMPLETE, tmp_path / "out", TODAY, rules, channel="fax", casework=work, case_id=case_id[:5]
    )
    assert filed.case_id == case_id
    assert filed.entry is not None and filed.entry.kind == "request_prepared"
    assert [e.kind for e in work.entries(case_id)] == ["screened", "request_prepared"]
    payload = json.loads(filed.entry.payload)
    assert payload["ready"] is True and payload["channel"] == "fax"
    assert (payload["period_start"], payload["period_end"]) == ("2027-03-01", "2027-12-31")
    assert payload["file_by"] == "2026-12-17"
    assert "123-45-6789" not in filed.entry.payload
    assert work.verify(case_id) is None


def test_a_stored_case_with_other_facts_is_refused_before_anything_is_written(
    work: Casework, rules: RuleBook, tmp_path: Path
) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    assert COMPLETE.person is not None
    other = replace(COMPLETE, person=replace(COMPLETE.person, phone="+1 512 555 0199"))
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        filing.request(other, out, TODAY, rules, casework=work, case_id=case_id, source="b.yaml")
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == ("--case", "NOT_THIS_CASE")
    assert "person.phone" in problem.message and "b.yaml" in problem.message
    assert not out.exists()
    assert [e.kind for e in work.entries(case_id)] == ["screened"]


def test_a_filing_with_errors_on_a_stored_case_writes_and_records_nothing(
    work: Casework, rules: RuleBook, tmp_path: Path
) -> None:
    case_id, _ = work.new_case(MISTAKES, TODAY)
    out = tmp_path / "out"
    with pytest.raises(filing.NotReady):
        filing.request(MISTAKES, out, TODAY, rules, casework=work, case_id=case_id)
    assert not out.exists()
    assert [e.kind for e in work.entries(case_id)] == ["screened"]
