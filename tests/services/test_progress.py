"""Where a case stands, section by section; worked out again whenever anything it rests on
changes (facts, proof log, working copy, a stored file on disk, the day)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from cocflow.case import Case, Engagement, Residence, Worker
from cocflow.io.casefile import read_case
from cocflow.services import filing
from cocflow.services.cases import Casework
from cocflow.services.progress import case_progress

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = date(2026, 12, 2)


def statuses(work: Casework, case_id: str, day: date = TODAY) -> dict[str, str]:
    return {s.key: s.status for s in case_progress(work, case_id, day).sections}


def test_a_new_case_unlocks_in_order(work: Casework) -> None:
    case_id = work.start_case()
    assert statuses(work, case_id) == {
        "work": "not_started", "home": "not_started", "stays": "not_started",
        "answer": "cannot_start_yet", "details": "cannot_start_yet",
        "documents": "cannot_start_yet", "proof": "cannot_start_yet",
        "delivery": "cannot_start_yet",
    }  # fmt: skip
    complete = Case(
        Worker("self_employed", (Residence("US", date(2015, 1, 1)),)),
        (Engagement("FR", date(2027, 1, 15)),),
    )
    work.save_draft(case_id, complete)
    assert statuses(work, case_id)["answer"] == "not_started"
    work.confirm(case_id, TODAY)  # a pause: France needs an end date and a statement
    now = statuses(work, case_id)
    assert now["answer"] == "needs_information" and now["stays"] == "needs_information"
    assert now["details"] == "cannot_start_yet"


def test_the_task_list_follows_every_change(work: Casework, tmp_path: Path) -> None:
    case = read_case(EXAMPLES / "filing-complete.yaml")
    case_id, _ = work.new_case(case, TODAY)
    assert statuses(work, case_id)["documents"] == "not_started"
    filing.request(case, tmp_path / "out", TODAY, work.rules, casework=work, case_id=case_id)
    assert statuses(work, case_id)["documents"] == "done"  # a proof entry
    assert statuses(work, case_id)["proof"] == "not_started"
    proof = tmp_path / "confirmation.txt"
    proof.write_text("received")
    work.add(case_id, "submission", proof, {"channel": "mail"})
    assert statuses(work, case_id)["proof"] == "in_progress"
    work.save_draft(case_id, replace(case, label="Lisbon"))  # the working copy
    assert statuses(work, case_id)["answer"] == "in_progress"
    assert case_progress(work, case_id, TODAY).unconfirmed


def test_a_changed_file_on_disk_is_seen(work: Casework, tmp_path: Path) -> None:
    case = read_case(EXAMPLES / "filing-complete.yaml")
    case_id, _ = work.new_case(case, TODAY)
    filing.request(case, tmp_path / "out", TODAY, work.rules, casework=work, case_id=case_id)
    for kind, details in (
        ("submission", {"channel": "mail"}),
        ("certificate", {"country": "PT", "period_start": "2027-03-01",
                         "period_end": "2027-12-31"}),
        ("delivery", {"to": "client"}),
    ):  # fmt: skip
        path = tmp_path / f"{kind}.txt"
        path.write_text(f"the {kind}")
        work.add(case_id, kind, path, details)
    assert case_progress(work, case_id, TODAY).rely
    stored = work.entries(case_id)[-1]
    import json

    name = json.loads(stored.payload)["file"]["sha256"]
    target = work.vault.path(name)
    target.write_bytes(b"changed")
    os.utime(target, ns=(1, 1))
    assert not case_progress(work, case_id, TODAY).rely


def test_a_change_by_another_process_is_seen(work: Casework, tmp_path: Path) -> None:
    from cocflow.io.settings import Settings
    from cocflow.services.cases import open_casework
    from cocflow.services.progress import known_progress
    from cocflow.services.screening import rules_for

    case = read_case(EXAMPLES / "filing-complete.yaml")
    case_id, _ = work.new_case(case, TODAY)
    before = case_progress(work, case_id, TODAY)
    assert known_progress(work, case_id, TODAY) is before  # nothing changed: at once
    settings = Settings.from_env()
    other = open_casework(settings, rules_for(settings))  # as the command line would
    try:
        other.save_draft(case_id, replace(case, label="Changed elsewhere"))
    finally:
        other.close()
    assert known_progress(work, case_id, TODAY) is None
    assert case_progress(work, case_id, TODAY).case.label == "Changed elsewhere"


def test_documents_prepared_before_a_change_of_the_filed_facts_are_out_of_date(
    work: Casework, tmp_path: Path
) -> None:
    case = read_case(EXAMPLES / "filing-complete.yaml")
    case_id, _ = work.new_case(case, TODAY)
    filing.request(case, tmp_path / "out", TODAY, work.rules, casework=work, case_id=case_id)
    assert statuses(work, case_id)["documents"] == "done"
    assert case.person is not None
    moved = replace(case, person=replace(case.person, phone="+1 512 555 0100"))
    work.update_case(case_id, moved, TODAY)
    assert statuses(work, case_id)["documents"] == "not_started"  # prepare it again
    work.update_case(case_id, replace(moved, label="Lisbon"), TODAY)  # a name is no change
    filing.request(
        replace(moved, label="Lisbon"), tmp_path / "again", TODAY, work.rules,
        casework=work, case_id=case_id,
    )  # fmt: skip
    assert statuses(work, case_id)["documents"] == "done"


def test_a_rewritten_proof_log_is_not_relied_on_even_when_cached(
    work: Casework, tmp_path: Path
) -> None:
    from sqlalchemy import text

    from cocflow.services.progress import known_progress

    case = read_case(EXAMPLES / "filing-complete.yaml")
    case_id, _ = work.new_case(case, TODAY)
    filing.request(case, tmp_path / "out", TODAY, work.rules, casework=work, case_id=case_id)
    for kind, details in (
        ("submission", {"channel": "mail"}),
        ("certificate", {"country": "PT", "period_start": "2027-03-01",
                         "period_end": "2027-12-31"}),
        ("delivery", {"to": "client"}),
    ):  # fmt: skip
        path = tmp_path / f"{kind}.txt"
        path.write_text(f"the {kind}")
        work.add(case_id, kind, path, details)
    assert case_progress(work, case_id, TODAY).rely
    assert known_progress(work, case_id, TODAY) is not None
    with work.store.engine.begin() as c:  # someone who can write the database, not the key
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("DROP TRIGGER events_no_update")
        c.execute(
            text("UPDATE events SET payload = :p WHERE case_id = :c AND kind = 'delivered'"),
            {"p": '{"to":"someone else"}', "c": case_id},
        )
    assert known_progress(work, case_id, TODAY) is None
    assert not case_progress(work, case_id, TODAY).rely
