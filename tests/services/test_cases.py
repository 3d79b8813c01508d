"""The case and proof-file services: storing and reading cases, the proof log, its checks, the
checkpoints and the export."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cocflow.case import Case, Residence
from cocflow.errors import CocflowError, InputError
from cocflow.io.casefile import read_case
from cocflow.proof.chain import GENESIS
from cocflow.services.cases import KINDS, Casework

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COMPLETE = read_case(EXAMPLES / "filing-complete.yaml")
THAILAND = read_case(EXAMPLES / "thailand-stay.yaml")
TODAY = date(2026, 11, 25)
PERIOD = {"country": "PT", "period_start": "2027-03-01", "period_end": "2027-12-31"}


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _pdf(tmp_path: Path, name: str = "document.pdf") -> Path:
    return _file(tmp_path, name, b"%PDF-1.4 " + name.encode())


# --- new_case, case, cases -------------------------------------------------------------------


def test_a_new_case_is_stored_with_its_screening_as_the_first_entry(work: Casework) -> None:
    case_id, decision = work.new_case(COMPLETE, TODAY)
    assert len(case_id) == 16 and int(case_id, 16) >= 0
    (entry,) = work.entries(case_id)
    payload = json.loads(entry.payload)
    assert entry.kind == "screened" and entry.seq == 1
    assert payload["outcome"] == decision.outcome == "go"
    assert payload["as_of"] == "2026-11-25" and payload["rules_version"] == decision.rules_version
    (summary,) = work.cases()
    assert (summary.id, summary.outcome, summary.title) == (case_id, "go", COMPLETE.title)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_reads_back_as_stored(work: Casework, path: Path) -> None:
    case = read_case(path)
    case_id, _ = work.new_case(case, TODAY)
    assert work.case(case_id) == case


def test_the_personal_data_reads_back_exactly_as_entered(work: Casework) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    stored = work.case(case_id)
    assert stored.person is not None
    assert stored.person.ssn == "123-45-6789"
    assert stored.person.date_of_birth == date(1988, 4, 12)
    assert [r.ssn for r in stored.records] == [None, "123-45-6789", None, None]
    assert stored.records[0].date_of_birth == date(1988, 4, 12)


# --- resolve ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shorten",
    [lambda i: i, lambda i: i[:6], lambda i: i[:1], lambda i: f"  {i[:6].upper()} "],
    ids=["full id", "prefix", "one character", "upper case with spaces"],
)
def test_a_unique_prefix_names_the_case(work: Casework, shorten: Callable[[str], str]) -> None:
    case_id, _ = work.new_case(THAILAND, TODAY)
    assert work.resolve(shorten(case_id)) == case_id


def test_a_prefix_several_cases_share_is_ambiguous(work: Casework) -> None:
    # Seventeen ids of hexadecimal digits: two of them start with the same digit.
    ids = [work.new_case(THAILAND, TODAY)[0] for _ in range(17)]
    first = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    sharing = sum(i.startswith(first) for i in ids)
    with pytest.raises(InputError) as caught:
        work.resolve(first)
    (problem,) = caught.value.problems
    assert problem.code == "AMBIGUOUS_CASE"
    assert f"starts {sharing} case ids" in problem.message


@pytest.mark.parametrize("given", ["zzzz", "", "0123456789abcdef0"])
def test_an_unknown_id_is_refused(work: Casework, given: str) -> None:
    work.new_case(THAILAND, TODAY)
    with pytest.raises(InputError) as caught:
        work.resolve(given)
    assert caught.value.problems[0].code == "UNKNOWN_CASE"


# --- update_case -----------------------------------------------------------------------------


def _person(**changes: Any) -> Case:
    assert COMPLETE.person is not None
    return replace(COMPLETE, person=replace(COMPLETE.person, **changes))


def _record(index: int, **changes: Any) -> Case:
    records = list(COMPLETE.records)
    records[index] = replace(records[index], **changes)
    return replace(COMPLETE, records=tuple(records))


@pytest.mark.parametrize(
    ("changed", "paths"),
    [
        (COMPLETE, []),
        (replace(COMPLETE, label="Lisbon 2027"), ["label"]),
        (_person(date_of_birth=date(1988, 4, 13)), ["person.date_of_birth"]),
        (_person(ssn="123-45-6780"), ["person.ssn"]),
        (_record(1, ssn="123-45-6780"), ["records[1].ssn"]),
        (_record(3, end=date(2028, 6, 30)), ["records[3].end"]),
        (
            replace(
                COMPLETE,
                worker=replace(
                    COMPLETE.worker,
                    residence=(*COMPLETE.worker.residence, Residence("PT", date(2027, 6, 1))),
                ),
            ),
            ["worker.residence"],
        ),
    ],
    ids=["nothing", "label", "date of birth", "ssn", "record ssn", "record end", "residence"],
)
def test_an_update_records_the_paths_that_changed(
    work: Casework, changed: Case, paths: list[str]
) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    found, decision = work.update_case(case_id, changed, TODAY)
    assert found == paths
    kinds = [e.kind for e in work.entries(case_id)]
    assert kinds == ["screened", *(["facts_changed"] if paths else []), "screened"]
    if paths:
        assert json.loads(work.entries(case_id)[1].payload) == {"paths": paths}
    assert work.case(case_id) == changed
    assert work.verify(case_id) is None
    assert decision.outcome == work.show(case_id)["outcome"]


def test_an_update_that_changes_the_answer_stores_the_new_one(work: Casework) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    moved = replace(COMPLETE, engagements=(replace(COMPLETE.engagements[0], country="TH"),))
    changed, decision = work.update_case(case_id, moved, TODAY)
    assert "engagements[0].country" in changed
    assert decision.outcome == "no_go"
    assert work.show(case_id)["outcome"] == "no_go"
    assert json.loads(work.entries(case_id)[-1].payload)["outcome"] == "no_go"


# --- show ------------------------------------------------------------------------------------


def test_show_masks_the_ssn_and_hides_the_date_of_birth(work: Casework) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    shown = work.show(case_id)
    assert shown["id"] == case_id and shown["outcome"] == "go"
    person = shown["facts"]["person"]
    assert person["ssn"] == "XXX-XX-6789" and person["date_of_birth"] == "(on file)"
    everything = json.dumps(shown)
    assert "123-45-6789" not in everything and "123456789" not in everything
    assert "1988-04-12" not in everything


def test_show_of_a_case_without_personal_data_adds_none(work: Casework) -> None:
    case_id, _ = work.new_case(THAILAND, TODAY)
    shown = work.show(case_id)
    assert "ssn" not in shown["facts"].get("person", {})
    assert shown["decision"]["outcome"] == "no_go"


# --- add -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        ("submission", {"channel": "fax", "date": "2026-12-01"}),
        ("approval", {}),
        ("certificate", PERIOD),
        ("delivery", {"to": "client"}),
        ("extension", {"channel": "mail"}),
        ("other", {}),
    ],
)
def test_each_kind_of_record_is_logged_under_its_event(
    work: Casework, tmp_path: Path, kind: str, details: dict[str, str]
) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    entry = work.add(case_id, kind, _pdf(tmp_path), details)
    assert entry.kind == KINDS[kind] and entry.seq == 2
    payload = json.loads(entry.payload)
    assert payload["file"]["media_type"] == "application/pdf"
    assert "document.pdf" not in entry.payload  # the file's name is kept sealed
    for key, value in details.items():
        assert payload[key] == value
    assert work.verify(case_id) is None


@pytest.mark.parametrize("kind", ["submission", "approval", "certificate", "extension", "other"])
def test_every_kind_but_a_delivery_needs_its_file(work: Casework, kind: str) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, kind, None, PERIOD if kind == "certificate" else {})
    assert caught.value.problems[0].code == "FILE_REQUIRED"
    assert len(work.entries(case_id)) == 1


def test_a_delivery_may_be_logged_before_its_receipt(work: Casework) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    entry = work.add(case_id, "delivery", None, {"to": "payroll", "channel": None})
    assert json.loads(entry.payload) == {"to": "payroll"}


def test_an_unknown_kind_is_refused(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, "receipt", _pdf(tmp_path), {})
    assert caught.value.problems[0].code == "BAD_KIND"
    assert len(work.entries(case_id)) == 1


@pytest.mark.parametrize(
    ("given", "channel"),
    [
        ("Online", "online"),
        ("web", "online"),
        ("E-Mail", "email"),
        ("e mail", "email"),
        ("POST", "mail"),
        (" fax ", "fax"),
        ("in_person", "hand"),
    ],
)
def test_a_channel_is_logged_in_one_spelling(
    work: Casework, tmp_path: Path, given: str, channel: str
) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    entry = work.add(
        case_id, "submission", _pdf(tmp_path), {"channel": given, "control_number": "0042"}
    )
    assert json.loads(entry.payload)["channel"] == channel


def test_an_unknown_channel_is_refused(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, "delivery", None, {"to": "client", "channel": "pigeon"})
    assert caught.value.problems[0].code == "BAD_CHANNEL"
    assert len(work.entries(case_id)) == 1


def test_an_online_submission_needs_its_control_number(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, "submission", _pdf(tmp_path), {"channel": "Web"})
    assert caught.value.problems[0].code == "CONTROL_NUMBER_REQUIRED"
    assert len(work.entries(case_id)) == 1


def test_a_certificate_country_may_be_named(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    entry = work.add(case_id, "certificate", _pdf(tmp_path), {**PERIOD, "country": "Portugal"})
    assert json.loads(entry.payload)["country"] == "PT"


@pytest.mark.parametrize(
    ("details", "problems"),
    [
        ({"period_start": "2027-03-01"}, [("--country", "REQUIRED")]),
        ({"country": "PT"}, [("--period-start", "REQUIRED")]),
        ({**PERIOD, "country": "Atlantis"}, [("--country", "BAD_COUNTRY")]),
        ({**PERIOD, "period_start": "03/01/2027"}, [("--period-start", "BAD_DATE")]),
        ({**PERIOD, "period_end": "2027-02-28"}, [("--period-end", "DATES_OUT_OF_ORDER")]),
        (
            {"country": "Atlantis", "period_end": "2027-13-01"},
            [("--country", "BAD_COUNTRY"), ("--period-start", "REQUIRED"),
             ("--period-end", "BAD_DATE")],
        ),
    ],
    ids=["no country", "no start", "bad country", "bad start", "ends first", "every problem"],
)  # fmt: skip
def test_a_certificate_needs_its_country_and_period(
    work: Casework, tmp_path: Path, details: dict[str, str], problems: list[tuple[str, str]]
) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, "certificate", _pdf(tmp_path), details)
    assert [(p.path, p.code) for p in caught.value.problems] == problems
    assert len(work.entries(case_id)) == 1


def test_a_certificate_with_a_blank_country_is_refused(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, "certificate", _pdf(tmp_path), {**PERIOD, "country": ""})
    assert [(p.path, p.code) for p in caught.value.problems] == [("--country", "REQUIRED")]


def test_a_record_date_that_is_not_a_date_is_refused(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, "submission", _pdf(tmp_path), {"channel": "fax", "date": "2026-13-01"})
    assert [(p.path, p.code) for p in caught.value.problems] == [("--date", "BAD_DATE")]
    assert len(work.entries(case_id)) == 1


# --- entries and verify ----------------------------------------------------------------------


def _logged(work: Casework, tmp_path: Path) -> str:
    """A stored case with a submission, the certificate and its delivery logged."""
    case_id, _ = work.new_case(COMPLETE, TODAY)
    work.add(case_id, "submission", _pdf(tmp_path, "sent.pdf"), {"channel": "fax"})
    work.add(case_id, "certificate", _pdf(tmp_path, "certificate.pdf"), PERIOD)
    work.add(case_id, "delivery", _file(tmp_path, "receipt.txt", b"Received."), {"to": "client"})
    return case_id


def test_entries_are_a_chain_in_the_order_logged(work: Casework, tmp_path: Path) -> None:
    case_id = _logged(work, tmp_path)
    entries = work.entries(case_id)
    kinds = ["screened", "submitted", "certificate_received", "delivered"]
    assert [e.kind for e in entries] == kinds
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert [e.prev_hash for e in entries] == [GENESIS, *(e.hash for e in entries[:-1])]
    assert {e.case_id for e in entries} == {case_id}
    assert work.verify(case_id) is None


def test_the_logs_of_two_cases_are_apart(work: Casework, tmp_path: Path) -> None:
    first = _logged(work, tmp_path)
    second, _ = work.new_case(COMPLETE, TODAY)
    assert [e.kind for e in work.entries(second)] == ["screened"]
    assert len(work.entries(first)) == 4


def test_a_changed_entry_breaks_the_log_and_everything_that_relies_on_it(
    work: Casework, tmp_path: Path
) -> None:
    case_id = _logged(work, tmp_path)
    with work.store.engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER events_no_update")
        c.execute(
            text("UPDATE events SET kind = 'approved' WHERE case_id = :c AND seq = 2"),
            {"c": case_id},
        )
    broken = work.verify(case_id)
    assert broken is not None and broken[0] == 2
    state = work.status(case_id, TODAY)
    assert not state.rely
    assert all(not p.done and "does not verify" in p.evidence for p in state.checkpoints)
    out = tmp_path / "bundle.zip"
    with pytest.raises(CocflowError, match="broken at entry 2"):
        work.export(case_id, out)
    assert not out.exists()


# --- status and guidance ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "first", "next_step"),
    [
        ("filing-complete", True, "request filed with complete details: "),
        ("thailand-stay", False, "coverage confirmed: entry 1: screening says no go"),
        ("spain-then-thailand", False, "coverage confirmed: entry 1: screening says pause"),
        ("portugal-digital-nomad", True, "request for Portugal's certificate of coverage filed"),
    ],
)
def test_a_new_case_has_one_checkpoint_at_most_and_says_what_comes_next(
    work: Casework, example: str, first: bool, next_step: str
) -> None:
    case_id, _ = work.new_case(read_case(EXAMPLES / f"{example}.yaml"), TODAY)
    state = work.status(case_id, TODAY)
    assert [p.done for p in state.checkpoints] == [first, False, False, False]
    assert not state.rely
    assert state.next_step is not None and state.next_step.startswith(next_step)
    assert state.as_dict()["rely"] is False


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("filing-complete", "Portugal: "),
        ("japan-employee-3-years", "Japan: "),
        ("uk-consultant-mexican-client", "United Kingdom: "),
        ("portugal-digital-nomad", "Get Portugal's certificate of coverage from "),
    ],
)
def test_guidance_says_who_receives_the_certificate(
    work: Casework, example: str, expected: str
) -> None:
    case_id, _ = work.new_case(read_case(EXAMPLES / f"{example}.yaml"), TODAY)
    lines = work.guidance(case_id)
    assert lines[0].startswith(expected)
    assert any(
        "proof of where you showed it" in line or "delivery" in line.lower() for line in lines
    )
    assert lines == work.status(case_id, TODAY).guidance


def test_guidance_from_rules_not_sure_says_so_and_cites_the_source(work: Casework) -> None:
    case_id, _ = work.new_case(COMPLETE, TODAY)
    first = work.guidance(case_id)[0]
    assert "(verify for your case)" in first and "[source: https://" in first


# --- export ----------------------------------------------------------------------------------


def test_the_export_holds_the_log_its_files_and_their_sums(work: Casework, tmp_path: Path) -> None:
    case_id = _logged(work, tmp_path)
    out = work.export(case_id, tmp_path / "export" / "bundle.zip")
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    named = {"SHA256SUMS", "manifest.json", "chain.json", "timeline.html"}
    assert named <= set(members)
    files = sorted(set(members) - named)
    assert len(files) == 3 and all(f.startswith("files/") for f in files)
    lines = members["SHA256SUMS"].decode().splitlines()
    sums = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert set(sums) == set(members) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(members[name]).hexdigest() == digest, name
    entries = work.entries(case_id)
    assert json.loads(members["chain.json"]) == [e.as_dict() for e in entries]
    manifest = json.loads(members["manifest.json"])
    assert manifest["case"] == case_id and manifest["head_hash"] == entries[-1].hash
    assert [f["path"] for f in manifest["files"]] == files
    assert [c["done"] for c in manifest["checkpoints"]] == [True, False, False, False]
    assert "Rely on the exemption: not yet" in members["timeline.html"].decode()


def test_an_unknown_case_is_not_exported(work: Casework, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        work.export("0000000000000000", tmp_path / "bundle.zip")
    assert not (tmp_path / "bundle.zip").exists()


# --- same_person -----------------------------------------------------------------------------


def test_the_cases_of_one_person_are_found_by_the_ssn(work: Casework) -> None:
    first, _ = work.new_case(COMPLETE, TODAY)
    second, _ = work.new_case(replace(COMPLETE, label="Second stay"), TODAY)
    other, _ = work.new_case(_person(ssn="123-45-6780"), TODAY)
    without, _ = work.new_case(THAILAND, TODAY)
    assert work.same_person(first) == [second]
    assert work.same_person(second) == [first]
    assert work.same_person(other) == []
    assert work.same_person(without) == []
