"""The team's casework: who recorded each proof entry, the reviewer's sign-off tied to the
exact request data, the board, an SSN read and its audit entry."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cocflow.io.casefile import read_case
from cocflow.services.access import Denied
from cocflow.services.signoff import NotApproved
from cocflow.services.team import Desk
from tests.team.support import Team

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
COMPLETE = ROOT / "examples" / "filing-complete.yaml"


def _fax(tmp_path: Path) -> Path:
    path = tmp_path / "fax.txt"
    path.write_bytes(b"Fax sent OK, 3 pages\n")
    return path


def test_every_entry_names_the_member_who_recorded_it(desk: Desk, team: Team) -> None:
    case_id, _ = desk.new_case(team.preparer, read_case(COMPLETE), TODAY, client_ref="C-1")
    (prepared,) = desk.prepare(team.preparer, [case_id], TODAY)
    assert prepared.ok, prepared.why
    by = [json.loads(e.payload).get("by") for e in desk.work.entries(case_id)]
    assert by == [{"id": team.preparer.user_id, "name": "Ben Okafor"}] * 2
    from cocflow.proof.sentences import entry_sentence

    last = desk.work.entries(case_id)[-1]
    assert entry_sentence(last.kind, json.loads(last.payload)).endswith("Recorded by Ben Okafor.")


def test_a_request_is_filed_only_after_another_member_approves_it(
    desk: Desk, team: Team, tmp_path: Path
) -> None:
    case_id, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY)
    assert desk.approval(case_id).state == "none"
    desk.prepare(team.owner, [case_id], TODAY)
    assert desk.approval(case_id).state == "waiting"
    details = {"channel": "fax", "date": "2026-12-01"}
    with pytest.raises(NotApproved):
        desk.add_proof(team.owner, case_id, "submission", _fax(tmp_path), details)
    with pytest.raises(Denied):  # the owner prepared it: four eyes
        desk.approve(team.owner, case_id)
    with pytest.raises(Denied):  # a preparer's role does not approve
        desk.approve(team.colleague, case_id)
    desk.approve(team.reviewer, case_id)
    state = desk.approval(case_id)
    assert state.state == "approved" and state.reviewer == team.reviewer.user_id
    desk.add_proof(team.owner, case_id, "submission", _fax(tmp_path), details)
    assert desk.verify(team.auditor, case_id) is None


def test_a_change_of_the_facts_after_approval_voids_it(
    desk: Desk, team: Team, tmp_path: Path
) -> None:
    case = read_case(COMPLETE)
    case_id, _ = desk.new_case(team.colleague, case, TODAY)
    desk.prepare(team.colleague, [case_id], TODAY)
    desk.approve(team.reviewer, case_id)
    end = date(2027, 11, 30)  # the work and its contract end a month earlier
    moved = replace(
        case,
        engagements=(replace(case.engagements[0], end=end),),
        records=tuple(replace(r, end=end) if r.kind == "contract" else r for r in case.records),
    )
    desk.update(team.colleague, case_id, moved, TODAY)
    assert desk.approval(case_id).state == "void"
    with pytest.raises(NotApproved, match="facts changed"):
        desk.add_proof(team.colleague, case_id, "submission", _fax(tmp_path), {"channel": "fax"})
    (again,) = desk.prepare(team.colleague, [case_id], TODAY)  # a new request: a new sign-off
    assert again.ok, again.why
    assert desk.approval(case_id).state == "waiting"
    desk.approve(team.reviewer, case_id)
    assert desk.approval(case_id).state == "approved"


def test_batch_preparation_prepares_the_ready_and_says_why_not_for_the_rest(
    desk: Desk, team: Team
) -> None:
    ready, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY)
    complete = read_case(COMPLETE)
    assert complete.person is not None
    bare = replace(complete, person=replace(complete.person, ssn=None))
    unchecked, _ = desk.new_case(team.owner, bare, TODAY)
    done = {p.case_id: p for p in desk.prepare(team.owner, [ready, unchecked], TODAY)}
    assert done[ready].ok
    assert not done[unchecked].ok and done[unchecked].why
    assert any("SSN" in line or "Social Security" in line for line in done[unchecked].problems)
    assert desk.approval(unchecked).state == "none"


def test_the_board_shows_outcome_file_by_next_step_and_flags(desk: Desk, team: Team) -> None:
    case_id, decision = desk.new_case(
        team.owner, read_case(COMPLETE), TODAY, client_ref="C-7", client_name="=HYPERLINK(1)"
    )
    desk.assign(team.owner, case_id, team.preparer.user_id)
    (row,) = desk.board(team.owner, TODAY)
    assert row.outcome == decision.outcome == "go"
    assert row.file_by == decision.file_by and row.reference == "C-7"
    assert row.next_step and row.assignee == "Ben Okafor" and row.sign_off == "none"
    assert decision.file_by is not None
    late = desk.board(team.owner, date.fromordinal(decision.file_by.toordinal() + 1))
    assert late[0].overdue and late[0].flag == "overdue"
    soon = desk.board(team.owner, date.fromordinal(decision.file_by.toordinal() - 10))
    assert soon[0].due_soon and not soon[0].overdue
    text = desk.board_csv(late).decode()
    assert "'=HYPERLINK(1)" in text  # a formula is never live in the export
    assert text.splitlines()[0].startswith("case,reference,client,label,outcome,file_by")
    desk.team.set_client(case_id, "Jane Q. Doe")  # a re-import renames the client
    assert desk.board(team.owner, TODAY)[0].client == "Jane Q. Doe"


def test_reading_the_full_ssn_is_audited_without_the_number(desk: Desk, team: Team) -> None:
    case_id, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY)
    assert desk.reveal_ssn(team.owner, case_id) == "123-45-6789"
    with pytest.raises(Denied):
        desk.reveal_ssn(team.reviewer, case_id)
    entries = desk.team.audit_entries(team.org)
    (read,) = [e for e in entries if e.action == "sensitive_read"]
    assert read.actor == team.owner.user_id and read.target == case_id
    assert "6789" not in json.dumps([e.detail for e in entries])
    assert desk.team.audit_break() is None


def test_a_reference_already_used_stores_nothing(desk: Desk, team: Team) -> None:
    from cocflow.errors import InputError

    desk.new_case(team.owner, read_case(COMPLETE), TODAY, client_ref="C-1")
    before = len(desk.work.cases())
    with pytest.raises(InputError) as taken:
        desk.new_case(team.owner, read_case(COMPLETE), TODAY, client_ref="C-1")
    assert taken.value.problems[0].code == "DUPLICATE_REFERENCE"
    assert len(desk.work.cases()) == before  # no case left behind without its organisation


def test_signing_off_one_s_own_request_says_why(desk: Desk, team: Team) -> None:
    from cocflow.services.team import OwnRequest

    case_id, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY)
    desk.prepare(team.owner, [case_id], TODAY)
    with pytest.raises(OwnRequest, match="You prepared this request"):
        desk.approve(team.owner, case_id)
    desk.approve(team.reviewer, case_id)
    from cocflow.errors import InputError

    with pytest.raises(InputError, match="signed off already"):
        desk.approve(team.owner, case_id)
