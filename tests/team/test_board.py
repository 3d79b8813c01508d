"""The client board kept as each case's progress: one query however many clients, worked out
again when a case changes by any face, and the same answer as working it out from the proof log.

The database's filters, counts and sort are checked against a plain-Python reading of the same
rows on random boards (hypothesis), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cocflow.io.casefile import read_case
from cocflow.proof.chain import ChainEntry
from cocflow.services import roster
from cocflow.services.board import _holds, progress_of, refresh
from cocflow.services.documents import prepare_and_record
from cocflow.services.team import Desk
from cocflow.store.models import CaseRow, ProgressRow
from cocflow.store.progress import BoardFilter, BoardLine, Progress
from tests.team.support import Team
from tests.vaults import rewrite, stored_names

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
COMPLETE = ROOT / "examples" / "filing-complete.yaml"


def _kept(desk: Desk) -> dict[str, tuple[object, ...]]:
    with Session(desk.work.store.engine) as session:
        return {
            r.case_id: (r.head_hash, r.updated_at, r.file_by, r.next_step, r.sent, r.sign_off)
            for r in session.scalars(select(ProgressRow))
        }


def _forget(desk: Desk) -> None:
    with Session(desk.work.store.engine) as session, session.begin():
        session.execute(delete(ProgressRow))


def test_a_write_by_another_face_shows_on_the_next_read(desk: Desk, team: Team) -> None:
    case_id, decision = desk.new_case(team.owner, read_case(COMPLETE), TODAY)
    (row,) = desk.board(team.owner, TODAY)
    assert row.outcome == "go" and row.file_by == decision.file_by
    assert row.next_step == "Not done yet: request filed with complete details"
    assert row.sign_off == "none"
    prepare_and_record(desk.work, case_id, TODAY)  # as the CLI does: not through the desk
    (row,) = desk.board(team.owner, TODAY)
    assert row.sign_off == "waiting"
    before = _kept(desk)
    _forget(desk)  # derived data: deleted, it is worked out again
    assert desk.board(team.owner, TODAY) == [row]
    assert _kept(desk) == before


def test_a_proof_file_that_does_not_verify_says_so(desk: Desk, team: Team) -> None:
    case_id, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY)
    desk.prepare(team.owner, [case_id], TODAY)  # stores the request letter
    (letter,) = stored_names(desk.work)
    rewrite(desk.work, letter, lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    _forget(desk)
    (row,) = desk.board(team.owner, TODAY)
    assert row.next_step.startswith("Restore the proof file: entry ")
    assert row.due_soon  # the request cannot be shown as sent: still flagged


def test_kept_progress_is_what_the_proof_log_gives(desk: Desk, team: Team) -> None:
    """Stored in one transaction per chunk, each new case's progress (worked out from the
    entries just written) is the one its stored log gives; the audit chain holds."""
    text = ROSTER.encode()
    plan = roster.preview(desk, team.preparer, text, "clients.csv", date_order="MDY")
    done = roster.apply(desk, team.preparer, plan, TODAY)
    assert len(done.created) == 5 and done.skipped == ("C-3",)
    kept = _kept(desk)
    assert set(kept) == set(done.created)
    assert all(desk.work.verify(case_id) is None for case_id in done.created)
    refresh(desk.work, desk.progress, done.created, TODAY)
    assert _kept(desk) == kept
    assert desk.team.audit_break() is None
    made = [e.target for e in desk.team.audit_entries(team.org) if e.action == "case.create"]
    assert sorted(made) == sorted(done.created)


def test_a_reference_taken_meanwhile_skips_that_client_only(
    desk: Desk, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster, "CHUNK", 2)
    plan = roster.preview(desk, team.preparer, ROSTER.encode(), "clients.csv", date_order="MDY")
    known = desk.team.cases_by_ref(team.org)
    monkeypatch.setattr(desk.team, "cases_by_ref", lambda org: known)  # read before...
    desk.new_case(team.owner, read_case(COMPLETE), TODAY, client_ref="C-2")  # ...this
    done = roster.apply(desk, team.preparer, plan, TODAY)
    assert set(done.skipped) == {"C-2", "C-3"}
    refs = {c.client_ref for c in desk.cases(team.owner)}
    assert refs == {"C-1", "C-2", "C-4", "C-5", "C-6"}
    assert len(desk.cases(team.owner)) == 5  # C-2 once: the case made meanwhile


def test_the_days_progress_holds_for_turn_on_a_document_s_last_day() -> None:
    def entry(seq: int, payload: dict[str, object]) -> ChainEntry:
        return ChainEntry(seq, "c", "certificate", "", json.dumps(payload), "", f"h{seq}")

    entries = [
        entry(1, {"period_end": "2026-11-20"}),
        entry(2, {"period_end": "2026-12-31"}),
        entry(3, {"period_end": "2027-03-01"}),
        entry(4, {"period_end": None}),
        entry(5, {}),
    ]
    assert _holds(entries, TODAY) == ("2026-11-21", "2027-01-01")
    assert _holds(entries, date(2026, 11, 20)) == (None, "2026-11-21")
    assert _holds(entries[3:], TODAY) == (None, None)


ROSTER = """Client ID;Name;Worker type;Host country;Start date;End date;Lives in
C-1;Ana Lima;Self-employed;UK;02/18/2027;06/30/2027;US
C-2;Tom de Vries;self employed;Holland;03/01/2027;12/31/2027;US
C-3;Kim Min;Self-employed;Atlantis;13/45/2027;;US
C-4;Lee Joon;Freelancer;Korea;04/01/2027;09/30/2027;
C-5;Eva Berg;Self-employed;Germany;01/10/2027;03/31/2027;US
C-6;Ola Nordmann;Freelancer;Norway;02/01/2027;10/31/2027;US
"""

# --- the database's board against a plain reading of the same rows -------------------------

OUTCOMES = ("go", "no_go", "pause", "not_needed", "incomplete")
TEXT = st.text(alphabet="abcAB-_%1 ", max_size=4)
LINE = st.tuples(
    st.sampled_from(OUTCOMES),
    st.one_of(st.none(), st.sampled_from((-31, -1, 0, 1, 29, 30, 31, 60))),  # file-by, days on
    st.booleans(),  # sent
    TEXT,  # reference ("" is none)
    TEXT,  # client name
)


def _store_board(desk: Desk, org: str, lines: list[tuple[str, int | None, bool, str, str]]) -> None:
    with Session(desk.work.store.engine) as session, session.begin():
        session.execute(delete(ProgressRow))
        session.execute(delete(CaseRow).where(CaseRow.head_hash.is_(None)))
        for n, (outcome, days, sent, ref, name) in enumerate(lines):
            case_id = f"{n:016x}"
            stamp = f"2026-01-01T00:00:{n:02d}.000000+00:00"
            file_by = (TODAY + timedelta(days=days)).isoformat() if days is not None else None
            session.add(
                CaseRow(
                    id=case_id,
                    created_at=stamp,
                    updated_at=stamp,
                    kind="self_employed",
                    title=f"Case {n}",
                    facts="{}",
                    decision="{}",
                    outcome=outcome,
                    rules_version="",
                    org_id=org,
                    client_ref=f"{ref}#{n}" if ref else None,  # unique in the organisation
                    client_name=name or None,
                )
            )
            session.flush()
            session.add(
                ProgressRow(
                    case_id=case_id,
                    head_hash=None,
                    updated_at=stamp,
                    rules_version="",
                    file_by=file_by,
                    next_step="",
                    sent=sent,
                    sign_off="none",
                    valid_from=None,
                    recheck_on=None,
                )
            )


def _expected(lines: list[BoardLine], chosen: BoardFilter, ids: dict[str, int]) -> list[str]:
    def flag(line: BoardLine) -> str:
        if line.outcome != "go" or line.sent or line.file_by is None:
            return ""
        if line.file_by < TODAY.isoformat():
            return "overdue"
        soon = (TODAY + timedelta(days=chosen.due_soon)).isoformat()
        return "due soon" if line.file_by <= soon else ""

    needle = chosen.q.strip().lower()
    kept = [
        line
        for line in lines
        if (not chosen.outcome or line.outcome == chosen.outcome)
        and (not chosen.flag or flag(line) == chosen.flag)
        and (not needle or needle in line.reference.lower() or needle in line.client.lower())
    ]
    keys = {
        "file_by": lambda r: (r.file_by is None, r.file_by or "", ids[r.case_id]),
        "reference": lambda r: (r.reference == "", r.reference.lower(), r.case_id),
        "client": lambda r: (r.client.lower(), r.reference.lower(), r.case_id),
        "outcome": lambda r: (OUTCOMES.index(r.outcome), r.reference.lower(), r.case_id),
        "created": lambda r: (ids[r.case_id], r.case_id),
    }
    return [line.case_id for line in sorted(kept, key=keys[chosen.sort])]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(LINE, max_size=25),
    chosen=st.builds(
        BoardFilter,
        outcome=st.sampled_from(("", *OUTCOMES)),
        flag=st.sampled_from(("", "overdue", "due soon")),
        q=TEXT,
        sort=st.sampled_from(("file_by", "reference", "client", "outcome", "created")),
        due_soon=st.sampled_from((0, 30)),
    ),
    offset=st.integers(0, 10),
    limit=st.one_of(st.none(), st.integers(1, 10)),
)
def test_the_database_filters_counts_and_sorts_as_the_rows_say(
    desk: Desk,
    team: Team,
    *,
    lines: list[tuple[str, int | None, bool, str, str]],
    chosen: BoardFilter,
    offset: int,
    limit: int | None,
) -> None:
    _store_board(desk, team.org, lines)
    every, total = desk.progress.page(team.org, TODAY, BoardFilter(sort="created"))
    assert total == len(lines) == len(every)
    ids = {line.case_id: n for n, line in enumerate(every)}
    expected = _expected(every, chosen, ids)
    found, matching = desk.progress.page(team.org, TODAY, chosen, offset=offset, limit=limit)
    assert matching == len(expected)
    end = None if limit is None else offset + limit
    assert [line.case_id for line in found] == expected[offset:end]
    count, counts, outcomes = desk.progress.summary(team.org, TODAY, due_soon=chosen.due_soon)
    assert count == len(lines)
    for name in ("overdue", "due soon"):
        assert counts[name] == len(
            _expected(every, BoardFilter(flag=name, due_soon=chosen.due_soon, sort="created"), ids)
        )
    assert outcomes == sorted({line[0] for line in lines})
    assert not desk.progress.page(team.other_org, TODAY, chosen)[0]  # never another org's


def test_progress_of_a_case_still_being_answered(desk: Desk, team: Team) -> None:
    case_id, _ = desk.new_case(team.owner, read_case(COMPLETE).__class__(), TODAY)
    summary = desk.work.store.get_case(case_id)
    kept = progress_of(desk.work, summary, [], TODAY, head_hash=None)
    assert kept == Progress(
        None,
        summary.updated_at,
        desk.work.rules.version,
        None,
        "Answer the questions",
        False,
        "none",
        None,
        None,
    )


def test_a_board_request_works_out_a_few_and_the_catch_up_the_rest(
    desk: Desk, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade or new rules every kept row is out of date: a board request works out
    only INLINE of them (and says how many are behind); catch_up does the rest."""
    import cocflow.services.team as desk_module
    from cocflow.services.board import catch_up

    plan = roster.preview(desk, team.owner, ROSTER.encode(), "clients.csv", date_order="MDY")
    roster.apply(desk, team.owner, plan, TODAY)
    before = _kept(desk)
    _forget(desk)
    monkeypatch.setattr(desk_module, "INLINE", 2)
    page = desk.board_page(team.owner, TODAY)
    assert page.behind == 3 and len(page.rows) == 2 and page.total == 2
    assert catch_up(desk.work, desk.progress, TODAY, chunk=2) == 3
    page = desk.board_page(team.owner, TODAY)
    assert page.behind == 0 and len(page.rows) == 5
    assert _kept(desk) == before


def test_a_calendar_asked_again_is_given_as_made_until_a_case_changes(
    desk: Desk, team: Team
) -> None:
    case_id, _ = desk.new_case(team.owner, read_case(COMPLETE), TODAY, client_ref="C-7")
    first = desk.calendar(team.owner, TODAY, mine=False)
    assert b"C-7" in first
    assert desk.calendar(team.owner, TODAY, mine=False) is first  # nothing changed: as made
    reads = [e for e in desk.team.audit_entries(team.org) if e.action == "calendar.read"]
    assert len(reads) == 2  # every read is audited, made or not
    desk.prepare(team.owner, [case_id], TODAY)  # its proof log changed: made again
    again = desk.calendar(team.owner, TODAY, mine=False)
    assert again is not first
    assert desk.calendar(team.owner, TODAY + timedelta(days=1), mine=False) is not again
    desk.team.set_client(case_id, "Jane Q. Doe")  # renamed: the events name the client anew
    assert b"Jane Q. Doe" in desk.calendar(team.owner, TODAY, mine=False)
