"""A case answered one question at a time: a working copy kept encrypted, confirmed into the
proof log only when screened (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from cocflow.case import Case, Engagement, Residence, Worker
from cocflow.errors import InputError
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.cases import INCOMPLETE, Casework, open_casework
from cocflow.store import backup as saving

TODAY = date(2026, 12, 2)
HOME = (Residence("US", date(2015, 1, 1)),)
STAY = (Engagement("PT", date(2027, 3, 1), date(2027, 12, 31)),)


KEY = "a" * 43 + "="


@pytest.fixture
def work(database_url: str, tmp_path: Path, rules: RuleBook) -> Iterator[Casework]:
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url,
           "COCFLOW_KEY": KEY}  # fmt: skip
    opened = open_casework(Settings.from_env(env), rules)
    yield opened
    opened.close()


def test_answers_are_kept_before_anything_is_confirmed(work: Casework) -> None:
    case_id = work.start_case()
    assert work.working_copy(case_id) == Case()
    assert work.store.get_case(case_id).outcome == INCOMPLETE and work.entries(case_id) == []
    half = Case(Worker("self_employed"))
    work.save_draft(case_id, half)
    assert work.working_copy(case_id) == half and work.has_changes(case_id)
    with pytest.raises(InputError) as caught:
        work.confirm(case_id, TODAY)
    assert {p.path for p in caught.value.problems} == {"worker.residence", "engagements"}
    assert work.entries(case_id) == [] and work.verify(case_id) is None


def test_confirming_begins_the_proof_log_then_records_changes(work: Casework) -> None:
    case_id = work.start_case()
    full = Case(Worker("self_employed", HOME), STAY, label="Lisbon 2027")
    work.save_draft(case_id, full)
    changed, decision = work.confirm(case_id, TODAY)
    assert changed == [] and decision.outcome in ("go", "pause")
    summary = work.store.get_case(case_id)
    assert summary.outcome == decision.outcome and summary.kind == "self_employed"
    assert summary.title == "Lisbon 2027"
    assert [e.kind for e in work.entries(case_id)] == ["screened"]
    assert not work.has_changes(case_id) and work.working_copy(case_id) == full
    longer = replace(full, engagements=(replace(STAY[0], end=date(2028, 2, 29)),))
    work.save_draft(case_id, longer)
    assert work.has_changes(case_id) and work.case(case_id) == full  # not stored yet
    changed, _ = work.confirm(case_id, TODAY)
    assert changed == ["engagements[0].end"]
    assert [e.kind for e in work.entries(case_id)] == ["screened", "facts_changed", "screened"]
    assert work.verify(case_id) is None


def test_the_working_copy_is_encrypted(work: Casework) -> None:
    from cocflow.case import Person

    case_id = work.start_case()
    work.save_draft(case_id, Case(person=Person("Jane Quinn Doe", "123-45-6789")))
    with work.store.engine.connect() as c:
        (blob,) = c.execute(text("SELECT data FROM case_drafts")).one()
    assert b"123-45-6789" not in bytes(blob) and b"Jane" not in bytes(blob)
    person = work.working_copy(case_id).person
    assert person is not None and person.ssn == "123-45-6789"


def test_a_backup_keeps_the_working_copy(work: Casework, tmp_path: Path, rules: RuleBook) -> None:
    case_id = work.start_case(Case(Worker("employee"), label="Berlin"))
    out = tmp_path / "store.backup"
    saving.backup(work, out)
    env = {"COCFLOW_HOME": str(tmp_path / "other"), "COCFLOW_KEY": KEY}
    other = open_casework(Settings.from_env(env), rules)
    try:
        saving.restore(other, out)
        assert other.working_copy(case_id) == Case(Worker("employee"), label="Berlin")
    finally:
        other.close()


def test_confirming_nothing_new_records_nothing(work: Casework) -> None:
    case_id = work.start_case()
    work.save_draft(case_id, Case(Worker("self_employed", HOME), STAY))
    work.confirm(case_id, TODAY)
    before = len(work.entries(case_id))
    changed, _ = work.confirm(case_id, TODAY)  # the answer looked at again
    assert changed == [] and len(work.entries(case_id)) == before
