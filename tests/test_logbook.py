"""The travel log, the watcher and the reminders from the command line, on the drift example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from icalendar import Calendar

from cocflow.documents.pdf import extract_text

from .conftest import cli

ROOT = Path(__file__).resolve().parent.parent


def _drifting_case(tmp_path: Path) -> str:
    case_id: str = json.loads(
        cli(
            "case",
            "new",
            str(ROOT / "examples" / "drift-case.yaml"),
            "--format",
            "json",
            "--as-of",
            "2026-11-25",
        )
    )["id"]
    cert = tmp_path / "certificate.pdf"
    cert.write_bytes(b"%PDF-1.4 certificate GB 2027-03-01 to 2027-06-30\n")
    cli(
        "proof",
        "add",
        case_id,
        str(cert),
        "--kind",
        "certificate",
        "--period-start",
        "2027-03-01",
        "--period-end",
        "2027-06-30",
        "--country",
        "GB",
        "--control-number",
        "X",
    )
    return case_id


def test_import_is_all_or_nothing(home: Path, tmp_path: Path) -> None:
    _drifting_case(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "country,start,end,purpose,note\nGB,2027-03-01,2027-03-05,work,\n"
        "Atlantis,2027-04-01,,work,\nFR,2027-02-30,,work,\n"
    )
    out = cli("trips", "import", str(bad), code=2)
    assert "line 3" in out and "line 4" in out
    assert json.loads(cli("trips", "list", "--format", "json")) == []


def test_days_and_flags(home: Path, tmp_path: Path) -> None:
    _drifting_case(tmp_path)
    out = cli("trips", "import", str(ROOT / "examples" / "drift-trips.csv"))
    assert "Added 5 stay(s)" in out
    days = json.loads(cli("trips", "days", "--year", "2027", "--format", "json"))
    assert days["calendar"]["IE"] == {"days": 7, "work_days": 7}
    assert "count as days present" in days["rule"]
    overlap = cli("trips", "add", "FR", "2027-03-10", "2027-03-12")
    assert "FLAG overlap" in overlap


def test_watch_flags_drift_drafts_the_letter_and_records_it(home: Path, tmp_path: Path) -> None:
    case_id = _drifting_case(tmp_path)
    cli("trips", "import", str(ROOT / "examples" / "drift-trips.csv"))
    letters = tmp_path / "letters"
    out = cli("watch", "--letters", str(letters), "--as-of", "2027-05-15", code=1)
    for code in ("NEW_WORK_COUNTRY", "WORK_OUTSIDE_CERTIFICATE", "CERTIFICATE_ENDING"):
        assert code in out
    (letter,) = letters.iterdir()
    text = extract_text(letter.read_bytes())
    assert "extend" in text and "30 June 2027" in text and "Rivera" in text
    kinds = [e["kind"] for e in json.loads(cli("proof", "list", case_id, "--format", "json"))]
    assert kinds[-1] == "watch_findings"
    assert "OK" in cli("proof", "verify", case_id)


def test_watch_quiet_when_nothing_changed(home: Path, tmp_path: Path) -> None:
    _drifting_case(tmp_path)
    cli("trips", "add", "GB", "2027-03-01", "2027-04-30")
    assert "nothing changed" in cli("watch", "--as-of", "2027-03-15")


def test_reminders_feed_has_stable_uids(home: Path, tmp_path: Path) -> None:
    _drifting_case(tmp_path)
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    cli("reminders", "--ics", str(first))
    cli("reminders", "--ics", str(second))

    def uids(path: Path) -> list[str]:
        calendar = Calendar.from_ical(path.read_bytes())
        return sorted(str(e["UID"]) for e in calendar.walk("VEVENT"))

    assert uids(first) == uids(second) and len(uids(first)) >= 3
    listing = cli("reminders")
    assert "moved to the business day before" in listing  # 2027-05-01 is a Saturday
    assert "UK Self Assessment" in listing


def test_watch_sees_case_facts_outside_the_certificate(home: Path, tmp_path: Path) -> None:
    early = tmp_path / "early.yaml"
    early.write_text(
        (ROOT / "examples" / "drift-case.yaml")
        .read_text()
        .replace("start: 2027-03-01", "start: 2027-01-10")
    )
    case_id = json.loads(
        cli("case", "new", str(early), "--format", "json", "--as-of", "2026-11-25")
    )["id"]
    cert = tmp_path / "c.pdf"
    cert.write_bytes(b"%PDF-1.4 certificate")
    cli(
        "proof",
        "add",
        case_id,
        str(cert),
        "--kind",
        "certificate",
        "--period-start",
        "2027-03-01",
        "--period-end",
        "2027-06-30",
        "--country",
        "gb",
    )
    out = cli("watch", case_id, "--as-of", "2027-02-01", code=1)
    assert "WORK_OUTSIDE_CERTIFICATE" in out and "2027-01-10" in out


def test_reminders_use_the_uk_tax_year_and_recorded_dates(home: Path, tmp_path: Path) -> None:
    early = tmp_path / "uk.yaml"
    early.write_text(
        (ROOT / "examples" / "drift-case.yaml")
        .read_text()
        .replace("start: 2027-03-01", "start: 2027-01-10")
        .replace("end: 2027-06-30", "end: 2027-03-31")
    )
    case_id = json.loads(
        cli("case", "new", str(early), "--format", "json", "--as-of", "2026-11-25")
    )["id"]
    sub = tmp_path / "sub.txt"
    sub.write_text("fax sent\n")
    cli("proof", "add", case_id, str(sub), "--kind", "submission")  # no --date
    items = json.loads(cli("reminders", "--format", "json", "--as-of", "2026-11-25"))
    kinds = {i["kind"]: i for i in items}
    assert kinds["uk_self_assessment"]["due"] == "2027-10-05"  # tax year 2026-27
    assert "follow_up" in kinds and "file_by" not in kinds


def test_one_damaged_case_does_not_hide_the_others_reminders(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: one case dated 9999 made 'reminders' fail for every case.
    from cocflow.services.tracking import Logbook

    good = _drifting_case(tmp_path)
    bad = json.loads(
        cli("case", "new", str(ROOT / "examples" / "drift-case.yaml"), "--format", "json")
    )["id"]
    real = Logbook.obligations

    def damaged(self: Logbook, case_id: str, *args: object) -> object:
        if case_id == bad:
            raise OverflowError("date value out of range")
        return real(self, case_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Logbook, "obligations", damaged)
    listing = cli("reminders")
    assert f"Check case {bad}" in listing and good[:8] in listing
