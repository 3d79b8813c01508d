"""Screening stored cases again under new rules, in this process: exactly the cases the rules
change flips, each flip recorded in its proof file, one result per case and rules version
however often a range is worked, and a case that cannot be screened reported and left alone.

On SQLite and PostgreSQL. The expected flips are computed apart from the engine
(tests/rescreen/support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services import rescreen
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for
from cocflow.store.models import CaseRow
from cocflow.store.rescreen import RescreenStore
from tests.rescreen.support import TODAY, move, over_the_short_limit, shortened_rules

LENGTHS = (6, 12, 18, 23, 25, 30, 36, 48, 60)


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}


@pytest.fixture
def stored(env: dict[str, str], rules: RuleBook) -> dict[str, int]:
    """One case per length, screened under the shipped rules: case id -> months."""
    settings = Settings.from_env(env)
    work = open_casework(settings, rules)
    try:
        made = {}
        for months in LENGTHS:
            case_id, decision = work.new_case(move(months), TODAY)
            assert decision.outcome == "go"  # 60 months or less: the business move rule
            made[case_id] = months
        return made
    finally:
        work.close()


@pytest.fixture
def changed(env: dict[str, str], tmp_path: Path) -> Iterator[Casework]:
    """The store opened with the shortened rules."""
    settings = Settings.from_env({**env, "COCFLOW_RULES_DIR": str(shortened_rules(tmp_path / "r"))})
    work = open_casework(settings, rules_for(settings))
    yield work
    work.close()


def test_a_shorter_limit_flips_exactly_the_longer_moves(
    stored: dict[str, int], changed: Casework
) -> None:
    expected = {c for c, months in stored.items() if over_the_short_limit(move(months))}
    assert expected and expected != set(stored)
    run = rescreen.plan(changed, size=4)
    assert (run.cases, run.ranges) == (len(stored), 3)
    done = rescreen.run_here(changed, run)
    assert done.done and done.screened == len(stored) and done.failed == 0
    results = RescreenStore(changed.store).results(run.id, changed_only=False)
    flipped = {r.case_id for r in results if r.changes["outcome"]}
    assert flipped == expected
    for case_id in stored:
        kinds = [e.kind for e in changed.entries(case_id)]
        summary = changed.store.get_case(case_id)
        if case_id in expected:
            assert summary.outcome == "no_go" and kinds == ["screened", "screened"]
            assert summary.rules_version == changed.rules.version
            first = changed.checkpoints(case_id, TODAY)[0]
            assert first.name != "Coverage confirmed"  # no longer the U.S. path
        else:
            assert summary.outcome == "go"
        assert changed.verify(case_id) is None  # the proof file still checks out
    assert sorted(changed.store.list_cases(), key=lambda s: s.id)  # nothing lost
    counts = RescreenStore(changed.store).decisions_for(changed.rules.version)
    assert dict(counts) == dict.fromkeys(stored, 1)  # one result each


def test_a_range_done_twice_changes_nothing_twice(
    stored: dict[str, int], changed: Casework
) -> None:
    run = rescreen.plan(changed, size=100)
    ((first, last),) = RescreenStore(changed.store).waiting(run.id)
    assert rescreen.work_range(changed, run.id, first, last) is not None
    logs = {c: len(changed.entries(c)) for c in stored}
    assert rescreen.work_range(changed, run.id, first, last) is None  # done already
    again = rescreen.run_here(changed, rescreen.plan(changed, size=100))  # a new run
    assert again.screened == 0  # every case has its result for these rules
    assert {c: len(changed.entries(c)) for c in stored} == logs
    counts = RescreenStore(changed.store).decisions_for(changed.rules.version)
    assert dict(counts) == dict.fromkeys(stored, 1)


def test_a_case_that_cannot_be_screened_is_reported_and_left(
    stored: dict[str, int], changed: Casework
) -> None:
    broken = next(iter(stored))
    with Session(changed.store.engine) as session, session.begin():
        session.execute(update(CaseRow).where(CaseRow.id == broken).values(facts="{}"))
    run = rescreen.run_here(changed, rescreen.plan(changed))
    assert run.failed == 1 and run.screened == len(stored)
    (result,) = [r for r in RescreenStore(changed.store).results(run.id) if r.failed]
    assert result.case_id == broken and result.outcome_after is None and result.failed
    assert [e.kind for e in changed.entries(broken)] == ["screened"]
    assert changed.store.get_case(broken).outcome == "go"


def test_the_same_rules_change_nothing(stored: dict[str, int], env: dict[str, str]) -> None:
    settings = Settings.from_env(env)
    work = open_casework(settings, rules_for(settings))
    try:
        run = rescreen.run_here(work, rescreen.plan(work))
        assert run.screened == len(stored) and run.changed == 0
        assert RescreenStore(work.store).results(run.id) == []
    finally:
        work.close()


def test_a_filed_case_that_flips_may_no_longer_be_relied_on(
    env: dict[str, str], rules: RuleBook, tmp_path: Path
) -> None:
    """Every checkpoint done under the old rules: the exemption was relied on. The shorter
    limit makes Germany cover the work: "Rely on the exemption" is "not yet" again."""
    from dataclasses import replace

    from cocflow.io.casefile import read_case
    from cocflow.services import filing
    from tests.rescreen.support import ROOT

    complete = read_case(ROOT / "examples" / "filing-complete.yaml")
    moved = move(36)
    engagement = moved.engagements[0]
    contract = replace(
        complete.records[3],
        client_name=engagement.client.name if engagement.client else None,
        country="DE",
        start=engagement.start,
        end=engagement.end,
    )
    records = (*complete.records[:3], contract)
    case = replace(
        moved, person=complete.person, business=complete.business, records=records, label="Berlin"
    )
    work = open_casework(Settings.from_env(env), rules)
    try:
        case_id, decision = work.new_case(case, TODAY)
        assert decision.outcome == "go"
        filing.request(case, tmp_path / "out", TODAY, rules, casework=work, case_id=case_id)
        for kind, details in (
            ("submission", {"channel": "mail"}),
            ("certificate", {"country": "DE", "period_start": "2027-06-01",
                             "period_end": "2030-05-31"}),
            ("delivery", {"to": "client"}),
        ):  # fmt: skip
            path = tmp_path / f"{kind}.txt"
            path.write_text(f"the {kind}")
            work.add(case_id, kind, path, details)
        assert work.status(case_id, TODAY).rely
    finally:
        work.close()
    settings = Settings.from_env({**env, "COCFLOW_RULES_DIR": str(shortened_rules(tmp_path / "r"))})
    changed = open_casework(settings, rules_for(settings))
    try:
        run = rescreen.run_here(changed, rescreen.plan(changed))
        assert run.changed == 1
        state = changed.status(case_id, TODAY)
        assert not state.rely
        last = changed.entries(case_id)[-1]
        assert last.kind == "screened" and '"because":"the rules changed"' in last.payload
        assert changed.verify(case_id) is None
    finally:
        changed.close()


def test_a_worker_with_other_rules_leaves_the_range_for_another(
    stored: dict[str, int], changed: Casework, env: dict[str, str], rules: RuleBook
) -> None:
    run = rescreen.plan(changed, size=100)
    ((first, last),) = RescreenStore(changed.store).waiting(run.id)
    other = open_casework(Settings.from_env(env), rules)  # the shipped rules
    try:
        with pytest.raises(rescreen.OtherRules):
            rescreen.work_range(other, run.id, first, last)
    finally:
        other.close()
    assert RescreenStore(changed.store).waiting(run.id) == [(first, last)]  # untouched
    if env["COCFLOW_DATABASE_URL"].startswith("postgresql"):
        from cocflow.services import queue

        task = queue.queue_app(Settings.from_env(env)).tasks[queue.TASK]
        assert rescreen.OtherRules in task.retry_strategy.retry_exceptions  # queued again


def test_the_board_marks_the_clients_whose_answer_the_rules_changed(
    env: dict[str, str], rules: RuleBook, tmp_path: Path
) -> None:
    from cocflow.services.board import BoardFilter
    from cocflow.services.team import Desk
    from cocflow.store.team import TeamStore
    from tests.team.support import make_team

    work = open_casework(Settings.from_env(env), rules)
    try:
        desk = Desk(work, TeamStore(work.store.engine, work.store.keys))
        team = make_team(desk.team)
        moved, _ = desk.new_case(team.owner, move(36), TODAY, client_ref="M-36")
        desk.new_case(team.owner, move(12), TODAY, client_ref="M-12")
        assert not any(r.rules_changed for r in desk.board(team.owner, TODAY))
    finally:
        work.close()
    settings = Settings.from_env({**env, "COCFLOW_RULES_DIR": str(shortened_rules(tmp_path / "r"))})
    changed = open_casework(settings, rules_for(settings))
    try:
        rescreen.run_here(changed, rescreen.plan(changed))
        desk = Desk(changed, TeamStore(changed.store.engine, changed.store.keys))
        rows = {r.reference: r for r in desk.board(team.owner, TODAY)}
        assert rows["M-36"].rules_changed and rows["M-36"].flag == "answer changed"
        assert not rows["M-12"].rules_changed
        page = desk.board_page(team.owner, TODAY, BoardFilter(flag="answer changed"))
        assert [r.reference for r in page.rows] == ["M-36"]
        assert page.counts["answer changed"] == 1
        changed.record(moved, "note", {"text": "told the client"})  # someone acted on it
        assert not {r.reference: r for r in desk.board(team.owner, TODAY)}["M-36"].rules_changed
    finally:
        changed.close()


def test_the_reminders_ask_to_review_a_case_the_rules_changed(
    stored: dict[str, int], changed: Casework
) -> None:
    from cocflow.services.tracking import Logbook

    rescreen.run_here(changed, rescreen.plan(changed))
    log = Logbook(changed)
    days = changed.rules.process.processing_days.value
    for case_id, months in stored.items():
        found = [o for o in log.obligations(case_id, days, TODAY) if o.kind == "rules_changed"]
        if over_the_short_limit(move(months)):
            (review,) = found
            assert "went from go to no go" in review.detail
            assert review.title.startswith("Review the answer the rules changed: ")
        else:
            assert found == []
    flipped = next(c for c, n in stored.items() if over_the_short_limit(move(n)))
    changed.record(flipped, "note", {"text": "reviewed"})
    assert not [o for o in log.obligations(flipped, days, TODAY) if o.kind == "rules_changed"]


def test_the_review_reminder_is_in_the_calendar(stored: dict[str, int], changed: Casework) -> None:
    from cocflow.services.tracking import Logbook
    from cocflow.tracking.reminders import schedule, to_ics

    rescreen.run_here(changed, rescreen.plan(changed))
    days = changed.rules.process.processing_days.value
    found = [o for c in stored for o in Logbook(changed).obligations(c, days, TODAY)]
    from datetime import UTC, datetime

    text = to_ics(schedule(found), stamp=datetime(2026, 12, 8, tzinfo=UTC)).decode()
    assert text.count("Review the answer the rules changed") >= 2
