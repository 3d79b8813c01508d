"""A whole case from the first question to "Rely on the exemption: yes", and the extension loop.

Once through the services (what every face calls), once through the command line (what a person
types). The filing details a person adds after the interview are those of
examples/filing-complete.yaml: a U.S.-resident designer working in Lisbon.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from cocflow.case import Case
from cocflow.interview import questions as interview
from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services import filing
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for, screen_case
from cocflow.services.tracking import Logbook
from tests.conftest import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 12, 2)
ANSWERS = {
    "kind": "self_employed",
    "citizenship": ("US",),
    "home": "US",
    "home_since": date(2015, 1, 1),
    "operating_since": date(2019, 6, 1),
    "work_country": "PT",
    "work_start": date(2027, 3, 1),
    "work_end": date(2027, 12, 31),
    "label": "Lisbon 2027",
}


def _with_filing_details(case: Case) -> Case:
    """The person, the business and the records, as the filing-details questions fill them."""
    details = read_case(EXAMPLES / "filing-complete.yaml")
    stay = replace(case.engagements[0], client=details.engagements[0].client)
    stay = replace(stay, description=details.engagements[0].description)
    return replace(
        case,
        engagements=(stay,),
        person=details.person,
        business=replace(details.business, operating_since=case.business_operating_since)
        if details.business
        else None,
        records=details.records,
    )


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def work(home: Path) -> Casework:
    settings = Settings.from_env()
    return open_casework(settings, rules_for(settings))


def test_from_the_first_question_to_relying_on_the_exemption(
    work: Casework, rules: RuleBook, tmp_path: Path
) -> None:
    answers: dict[str, object] = {}
    while (question := interview.next_question(answers)) is not None:
        answers[question.id] = ANSWERS.get(question.id)
    case = interview.build(answers)
    assert screen_case(case, TODAY, rules).outcome == "go"
    case = _with_filing_details(case)
    assert filing.check_case(case, TODAY, rules).ready

    case_id, decision = work.new_case(case, TODAY)
    assert decision.outcome == "go" and decision.file_by is not None
    assert not work.status(case_id, TODAY).rely
    filed = filing.request(case, tmp_path / "out", TODAY, rules, casework=work, case_id=case_id[:6])
    assert filed.entry is not None and filed.case_id == case_id
    assert {p.name for p in filed.files} >= {"request-letter.pdf", "request.json"}
    state = work.status(case_id, TODAY)
    assert [p.done for p in state.checkpoints] == [True, False, False, False]
    assert state.next_step is not None and "no clean check" not in state.next_step

    confirmation = _file(tmp_path, "confirmation.pdf", b"%PDF-1.4 submitted, control 0042")
    work.add(case_id, "submission", confirmation, {"channel": "web", "control_number": "0042"})
    cert = _file(tmp_path, "certificate.pdf", b"%PDF-1.4 certificate PT 2027")
    period = {"country": "PT", "period_start": "2027-03-01", "period_end": "2027-12-31"}
    work.add(case_id, "certificate", cert, period)
    assert [p.done for p in work.status(case_id, TODAY).checkpoints] == [True, True, True, False]
    receipt = _file(tmp_path, "receipt.txt", b"Received the certificate, thank you.")
    work.add(case_id, "delivery", receipt, {"to": "Lisboa Design Lda"})
    state = work.status(case_id, TODAY)
    assert state.rely and state.next_step is None
    assert work.verify(case_id) is None


def _stored_and_certified(work: Casework, rules: RuleBook, tmp_path: Path) -> tuple[str, Case]:
    case = _with_filing_details(interview.build(ANSWERS))
    case_id, _ = work.new_case(case, TODAY)
    filing.request(case, tmp_path / "out", TODAY, rules, casework=work, case_id=case_id)
    work.add(
        case_id,
        "submission",
        _file(tmp_path, "c.pdf", b"%PDF-1.4 ok"),
        {"channel": "online", "control_number": "0042"},
    )
    period = {"country": "PT", "period_start": "2027-03-01", "period_end": "2027-12-31"}
    work.add(case_id, "certificate", _file(tmp_path, "cert1.pdf", b"%PDF-1.4 one"), period)
    work.add(case_id, "delivery", _file(tmp_path, "r1.txt", b"got it"), {"to": "client"})
    assert work.status(case_id, TODAY).rely
    return case_id, case


def test_the_extension_loop_closes(work: Casework, rules: RuleBook, tmp_path: Path) -> None:
    case_id, case = _stored_and_certified(work, rules, tmp_path)
    # The stay is extended by six months, and the contract with it.
    longer = replace(case.engagements[0], end=date(2028, 6, 30))
    records = tuple(
        replace(r, end=date(2028, 6, 30)) if r.kind == "contract" else r for r in case.records
    )
    changed, decision = work.update_case(
        case_id, replace(case, engagements=(longer,), records=records), TODAY
    )
    assert decision.outcome == "go"
    assert set(changed) == {"engagements[0].end", "records[3].end"}
    state = work.status(case_id, TODAY)
    assert not state.rely
    assert state.next_step is not None and "2028-01-01 to 2028-06-30" in state.next_step

    log = Logbook(work)
    watched = log.watch(case_id, date(2027, 11, 15), tmp_path / "letters")
    assert "END_DATE_MOVED" in {f.code for f in watched.findings}
    assert [p.name for p in watched.letters] == [f"extension-letter-{case_id}.pdf"]
    prepared = work.entries(case_id)[-2]  # the letter as a request, then the findings
    assert prepared.kind == "request_prepared" and '"purpose":"extension"' in prepared.payload
    assert '"period_start":"2028-01-01"' in prepared.payload

    letter = _file(tmp_path, "mailed.pdf", b"%PDF-1.4 certified mail receipt")
    work.add(case_id, "submission", letter, {"channel": "mail"})
    assert [p.done for p in work.status(case_id, TODAY).checkpoints][:2] == [True, True]
    second = {"country": "PT", "period_start": "2028-01-01", "period_end": "2028-06-30"}
    work.add(case_id, "certificate", _file(tmp_path, "cert2.pdf", b"%PDF-1.4 two"), second)
    state = work.status(case_id, TODAY)
    assert [p.done for p in state.checkpoints] == [True, True, True, False]
    assert state.next_step is not None and "deliver it too" in state.next_step
    work.add(case_id, "delivery", _file(tmp_path, "r2.txt", b"got the second"), {"to": "client"})
    state = work.status(case_id, TODAY)
    assert state.rely, state.checkpoints
    assert "each of the 2 certificates" in state.checkpoints[3].evidence
    quiet = log.watch(case_id, date(2028, 2, 1), None)
    assert not {"WORK_OUTSIDE_CERTIFICATE", "END_DATE_MOVED"} & {f.code for f in quiet.findings}


def test_a_change_of_the_filed_data_voids_the_earlier_request(
    work: Casework, rules: RuleBook, tmp_path: Path
) -> None:
    case_id, case = _stored_and_certified(work, rules, tmp_path)
    assert case.person is not None
    renamed = replace(case, person=replace(case.person, phone="+1 512 555 0199"))
    work.update_case(case_id, renamed, TODAY)
    state = work.status(case_id, TODAY)
    assert [p.done for p in state.checkpoints] == [True, False, False, False]


def test_the_extension_letter_reads_as_a_person_writes(
    work: Casework, rules: RuleBook, tmp_path: Path
) -> None:
    case_id, case = _stored_and_certified(work, rules, tmp_path)
    longer = replace(case.engagements[0], end=date(2028, 6, 30))
    work.update_case(case_id, replace(case, engagements=(longer,)), TODAY)
    log = Logbook(work)
    follow = log._follow_up(case_id, "extension", [], TODAY)
    letter = follow.letter
    assert letter.sender_address == (
        "12 Main Street",
        "Apt 4B",
        "Austin, TX 78701",
        "United States",
    )
    text = " ".join(letter.paragraphs)
    assert "You issued a certificate of U.S. coverage for my work in Portugal" in text
    assert "control number 0042" in text and "1 January 2028 to 30 June 2028" in text
    assert (follow.period_start, follow.period_end) == (date(2028, 1, 1), date(2028, 6, 30))


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _typed_case(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """``cocflow new`` then ``cocflow details``, answered in the terminal: no YAML written."""
    from typer.testing import CliRunner

    from cocflow.cli.app import app

    case_file = tmp_path / "lisbon.yaml"
    typed = "1\nUS\nUS\n2015-01-01\n2019-06-01\nPortugal\n2027-03-01\n2027-12-31\nLisbon 2027\n"
    result = CliRunner().invoke(app, ["new", str(case_file), "--as-of", "2026-12-02"], input=typed)
    assert result.exit_code == 0 and "Answer: GO." in result.stdout
    answers = [
        "Jane Quinn Doe", "123-45-6789", "1988-04-12", "Dayton, Ohio, United States",
        "Jane Quinn Doe", "12 Main Street", "Apt 4B", "Austin", "TX", "78701", "US",
        "UX research and interface design", "Jane Quinn Doe", "123-45-6789", "JANE QUINN DOE",
    ]  # fmt: skip
    result = CliRunner().invoke(
        app, ["details", str(case_file), "--as-of", "2026-12-02"], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0 and "finds 0 error(s)" in result.stdout, result.stdout
    return case_file, yaml.safe_load(case_file.read_text())


def test_the_same_walk_through_the_command_line(home: Path, tmp_path: Path) -> None:
    case_file, data = _typed_case(tmp_path)
    assert "Next: cocflow request" in cli("check", str(case_file), "--as-of", "2026-12-02")
    stored = cli("case", "new", str(case_file), "--as-of", "2026-12-02")
    match = re.search(r"Case ([0-9a-f]+) stored", stored)
    assert match, stored
    short = match[1][:6]
    out = cli(
        "request", str(case_file), "--out", str(tmp_path / "filing"), "--case", short,
        "--as-of", "2026-12-02",
    )  # fmt: skip
    assert "Recorded as entry" in out and f"cocflow proof add {short}" in out
    confirmation = _file(tmp_path, "confirmation.pdf", b"%PDF-1.4 ok")
    cli("proof", "add", short, str(confirmation), "--kind", "submission", "--channel", "Online",
        "--control-number", "0042")  # fmt: skip
    cert = _file(tmp_path, "certificate.pdf", b"%PDF-1.4 certificate")
    cli("proof", "add", short, str(cert), "--kind", "certificate", "--country", "Portugal",
        "--period-start", "2027-03-01", "--period-end", "2027-12-31")  # fmt: skip
    assert "Rely on the exemption: not yet" in cli("status", short)
    receipt = _file(tmp_path, "receipt.txt", b"Received, thanks")
    cli("proof", "add", short, str(receipt), "--kind", "delivery", "--to", "Lisboa Design Lda")
    shown = cli("status", short)
    assert "Rely on the exemption: yes" in shown and "Next:" not in shown
    listing = cli("proof", "list", short)
    assert "Certificate received for PT" in listing

    # The extension loop, from the command line: the stay's end moves, and with it a contract
    # that still says 2027 (the letter then does not count until the contract is corrected).
    data["engagements"][0]["end"] = "2028-06-30"
    data["records"].append({"kind": "contract", "country": "PT", "start": "2027-03-01",
                            "end": "2027-12-31"})  # fmt: skip
    case_file.write_text(yaml.safe_dump(data, sort_keys=False))
    cli("case", "update", short, str(case_file), "--as-of", "2026-12-02")
    assert "Rely on the exemption: not yet" in cli("status", short)
    letters = tmp_path / "letters"
    watched = cli("watch", short, "--as-of", "2027-11-15", "--letters", str(letters), code=1)
    assert "not counted as a request yet" in watched  # the contract still ends in 2027
    data["records"][-1]["end"] = "2028-06-30"
    case_file.write_text(yaml.safe_dump(data, sort_keys=False))
    cli("case", "update", short, str(case_file), "--as-of", "2026-12-02")
    watched = cli("watch", short, "--as-of", "2027-11-15", "--letters", str(letters), code=1)
    assert "draft letter" in watched and "not counted" not in watched
    (letter,) = letters.iterdir()
    text = _pdf_text(letter)
    assert "Request to extend my certificate" in text and "Austin, TX 78701" in text
    cli("proof", "add", short, str(receipt), "--kind", "extension", "--channel", "mail")
    cert2 = _file(tmp_path, "certificate2.pdf", b"%PDF-1.4 certificate two")
    cli("proof", "add", short, str(cert2), "--kind", "certificate", "--country", "PT",
        "--period-start", "2028-01-01", "--period-end", "2028-06-30")  # fmt: skip
    receipt2 = _file(tmp_path, "receipt2.txt", b"Received the second, thanks")
    cli("proof", "add", short, str(receipt2), "--kind", "delivery", "--to", "Lisboa Design Lda")
    assert "Rely on the exemption: yes" in cli("status", short)
