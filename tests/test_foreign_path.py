"""A no_go whose work the other country covers has a plan of its own: the foreign certificate or
the document that replaces it, its checkpoints, and a watcher that reports only real changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cocflow.io.casefile import parse_case
from cocflow.isodate import parse_iso_date
from cocflow.rules.loader import RuleBook, default_rules_dir
from cocflow.screening.screen import screen

from .conftest import cli

POSTED_TOO_LONG = """\
cocflow_case: 1
worker: {kind: employee, citizenship: [US], residence: [{country: US, from: 2015-01-01}]}
employer: {name: Acme Analytics Inc., country: US, hired: 2019-03-01}
engagements: [{country: DE, start: 2027-03-01, end: 2033-02-28}]
"""

POSTED_ONE_YEAR = """\
cocflow_case: 1
worker: {kind: employee, citizenship: [US], residence: [{country: US, from: 2015-01-01}]}
employer: {name: Acme Analytics Inc., country: US, hired: 2019-03-01}
engagements: [{country: DE, start: 2027-03-01, end: 2028-02-29}]
"""


def _store(tmp_path: Path, text: str) -> str:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    out = cli("case", "new", str(path), "--format", "json", "--as-of", "2026-12-02")
    case_id: str = json.loads(out)["id"]
    return case_id


def _screen(text: str, rules: RuleBook, as_of: str = "2026-12-02") -> dict[str, object]:
    from cocflow.io.yamlio import load_yaml

    case = parse_case(load_yaml(text)).to_case()
    return screen(case, rules, parse_iso_date(as_of)).as_dict()


def test_no_go_shows_the_foreign_checkpoints_not_the_us_ones(home: Path, tmp_path: Path) -> None:
    case_id = _store(tmp_path, POSTED_TOO_LONG)
    status = json.loads(cli("status", case_id, "--as-of", "2026-12-02", "--format", "json"))
    names = [c["name"] for c in status["checkpoints"]]
    assert names[0] == "Foreign coverage confirmed"
    assert "Germany's certificate of coverage" in names[1]
    assert [c["done"] for c in status["checkpoints"]] == [True, False, False, False]
    assert not status["rely"]
    assert any("Get Germany's certificate of coverage from" in g for g in status["guidance"])
    # The foreign certificate, once requested, received and shown to payroll, completes it.
    cert = tmp_path / "d-usa-101.pdf"
    cert.write_bytes(b"%PDF-1.4 D/USA 101")
    receipt = tmp_path / "payroll.pdf"
    receipt.write_bytes(b"%PDF-1.4 payroll receipt")
    letter = tmp_path / "request.pdf"
    letter.write_bytes(b"%PDF-1.4 request to the sickness fund")
    cli("proof", "add", case_id, str(letter), "--kind", "submission", "--channel", "mail")
    cli(
        "proof", "add", case_id, str(cert), "--kind", "certificate", "--country", "DE",
        "--period-start", "2027-03-01", "--period-end", "2033-02-28",
    )  # fmt: skip
    cli("proof", "add", case_id, str(receipt), "--kind", "delivery", "--to", "payroll")
    status = json.loads(cli("status", case_id, "--as-of", "2027-04-01", "--format", "json"))
    assert [c["done"] for c in status["checkpoints"]] == [True, True, True, True]
    assert status["rely"]


def test_watch_does_not_report_a_change_that_never_happened(home: Path, tmp_path: Path) -> None:
    _store(tmp_path, POSTED_TOO_LONG)
    out = cli("watch", "--as-of", "2026-12-15")
    assert "DECISION_CHANGED" not in out


def test_watch_reports_a_rules_change_that_flips_a_go(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(tmp_path, POSTED_ONE_YEAR)
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    de = rules / "de.yaml"
    de.write_text(de.read_text().replace("limit_months: 60", "limit_months: 6"))
    monkeypatch.setenv("COCFLOW_RULES_DIR", str(rules))
    out = cli("watch", "--as-of", "2026-12-15", code=1)
    assert "DECISION_CHANGED" in out and "stored case said go" in out


def test_australia_no_go_names_the_letter_of_exemption(rules: RuleBook) -> None:
    # RS 02002.045 and RS 02002.048: a letter of exemption from SSA, a copy with Schedule SE.
    decision = _screen(
        """\
cocflow_case: 1
worker: {kind: self_employed, citizenship: [US], residence: [{country: AU, from: 2024-01-01}]}
engagements: [{country: AU, start: 2027-01-01, end: 2029-12-31}]
""",
        rules,
    )
    actions = " ".join(decision["next_actions"])  # type: ignore[arg-type]
    assert "letter of exemption" in actions and "Schedule SE" in actions
    assert "local employer" not in actions and "Australia's certificate" not in actions


def test_mixed_postings_still_name_the_certificate_for_the_us_stay(rules: RuleBook) -> None:
    decision = _screen(
        """\
cocflow_case: 1
worker: {kind: employee, citizenship: [US], residence: [{country: US, from: 2015-01-01}]}
employer: {name: Acme Analytics Inc., country: US, hired: 2019-03-01}
engagements:
  - {country: DE, start: 2027-01-01, end: 2029-12-31}
  - {country: DE, start: 2030-06-01, end: 2032-05-31}
""",
        rules,
    )
    assert decision["outcome"] == "no_go"
    actions = decision["next_actions"]
    assert any("2027-01-01 to 2029-12-31 keeps U.S. coverage" in a for a in actions)  # type: ignore[union-attr]
    assert any("Stop the U.S. certificate path for Germany (2030-06-01" in a for a in actions)  # type: ignore[union-attr]


def test_australia_foreign_path_asks_ssa_for_the_letter(home: Path, tmp_path: Path) -> None:
    case_id = _store(
        tmp_path,
        """\
cocflow_case: 1
worker: {kind: self_employed, citizenship: [US], residence: [{country: AU, from: 2024-01-01}]}
engagements: [{country: AU, start: 2027-01-01, end: 2029-12-31}]
""",
    )
    status = json.loads(cli("status", case_id, "--as-of", "2026-12-02", "--format", "json"))
    assert "letter of exemption" in status["checkpoints"][1]["name"]
    guidance = " ".join(status["guidance"])
    assert "from SSA, by mail or fax" in guidance and "Schedule SE" in guidance


def test_a_forged_log_never_lets_anyone_rely_on_the_exemption(home: Path, tmp_path: Path) -> None:
    # Dropping the append-only trigger and recomputing the hashes used to give "verify OK" and
    # "Rely on the exemption: yes"; the head's signature needs the key the database lacks.
    import sqlite3

    from cocflow.proof.chain import canonical, entry_hash

    case_id = _store(tmp_path, POSTED_TOO_LONG)
    letter = tmp_path / "request.pdf"
    letter.write_bytes(b"%PDF-1.4 request to the sickness fund")
    cli("proof", "add", case_id, str(letter), "--kind", "submission", "--channel", "mail")
    db = sqlite3.connect(home / "cocflow.db")
    db.execute("DROP TRIGGER events_no_update")
    rows = db.execute(
        "SELECT seq, kind, at, payload FROM events WHERE case_id = ? ORDER BY seq", (case_id,)
    ).fetchall()
    prev = "0" * 64
    for seq, kind, at, stored in rows:
        body = (
            canonical({**json.loads(stored), "date": "2026-01-01"})
            if kind == "submitted"
            else stored
        )
        digest = entry_hash(seq, case_id, kind, at, body, prev)
        db.execute(
            "UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?",
            (body, prev, digest, case_id, seq),
        )
        prev = digest
    db.execute("UPDATE cases SET head_hash = ? WHERE id = ?", (prev, case_id))
    db.commit()
    db.close()
    assert "not signed" in cli("proof", "verify", case_id, code=1)
    status = json.loads(cli("status", case_id, "--as-of", "2027-04-01", "--format", "json"))
    assert not status["rely"]
    assert all("does not verify" in c["evidence"] for c in status["checkpoints"])


def test_proof_records_are_strict_and_read_as_sentences(home: Path, tmp_path: Path) -> None:
    case_id = _store(tmp_path, POSTED_TOO_LONG)
    sent = tmp_path / "sent.pdf"
    sent.write_bytes(b"%PDF-1.4 sent")
    assert "Missing option '--kind'" in cli("proof", "add", case_id[:6], str(sent), code=2)
    online = ["proof", "add", case_id, str(sent), "--kind", "submission", "--channel", "Online"]
    assert "control number" in cli(*online, code=2)
    cli(*online, "--control-number", "A1B2C3", "--date", "2026-12-02")
    cli("proof", "add", case_id, str(sent), "--kind", "delivery", "--to", "payroll",
        "--channel", "E-Mail")  # fmt: skip
    assert "is not a channel" in cli(
        "proof", "add", case_id, str(sent), "--kind", "other", "--channel", "pigeon", code=2
    )
    listing = cli("proof", "list", case_id)
    assert "Screened: no_go as of 2026-12-02" in listing
    assert "Request submitted online on 2026-12-02, control number A1B2C3." in listing
    assert "Certificate delivered to payroll by email" in listing


def test_reminders_name_the_case_mark_overdue_and_follow_the_foreign_path(
    home: Path, tmp_path: Path
) -> None:
    labelled = POSTED_TOO_LONG.replace("cocflow_case: 1", "cocflow_case: 1\nlabel: Sam, Munich")
    _store(tmp_path, labelled)
    listing = cli("reminders", "--as-of", "2027-04-01")
    line = next(x for x in listing.splitlines() if "Germany's certificate of coverage" in x)
    assert line.startswith("2027-03-01  OVERDUE Get Germany's certificate of coverage: Sam, Munich")
    due = json.loads(cli("reminders", "--as-of", "2027-01-01", "--format", "json"))
    assert [r["overdue"] for r in due if r["kind"] == "foreign_certificate"] == [False]
