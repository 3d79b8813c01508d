"""The case store and proof file on SQLite and PostgreSQL: the same tests on both."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from cocflow.errors import InputError
from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.cases import Casework, open_casework
from cocflow.store.crypto import DecryptError, decrypt
from tests.vaults import rewrite, stored_names

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = ROOT / "examples" / "filing-complete.yaml"
TODAY = date(2026, 11, 25)


@pytest.fixture
def work(database_url: str, tmp_path: Path, rules: RuleBook) -> Iterator[Casework]:
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}
    opened = open_casework(Settings.from_env(env), rules)
    yield opened
    opened.close()


def _file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _disable_append_only(work: Casework) -> None:
    with work.store.engine.begin() as c:
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("DROP TRIGGER events_no_update")
            c.exec_driver_sql("DROP TRIGGER events_no_delete")
        else:
            c.exec_driver_sql("DROP TRIGGER events_append_only ON events")


def test_case_round_trip(work: Casework) -> None:
    case_id, decision = work.new_case(read_case(COMPLETE), TODAY)
    assert decision.outcome == "go"
    assert [c.id for c in work.cases()] == [case_id]
    shown = work.show(case_id)
    assert shown["facts"]["person"]["ssn"] == "XXX-XX-6789"
    assert shown["facts"]["person"]["date_of_birth"] == "(on file)"
    restored = work.case(case_id)
    assert restored.person is not None and restored.person.ssn == "123-45-6789"
    assert restored == read_case(COMPLETE)


def test_personal_data_is_encrypted_and_bound_to_its_row(work: Casework) -> None:
    first, _ = work.new_case(read_case(COMPLETE), TODAY)
    second, _ = work.new_case(read_case(COMPLETE), TODAY)
    with work.store.engine.connect() as c:
        rows = dict(c.execute(text("SELECT case_id, ssn FROM case_secrets")).all())
        facts = c.execute(text("SELECT facts FROM cases")).scalars().all()
    assert b"123-45-6789" not in rows[first] and b"123456789" not in rows[first]
    assert all("123-45-6789" not in f and "1988-04-12" not in f for f in facts)
    with pytest.raises(DecryptError):
        decrypt(work.store.keys, rows[first], table="case_secrets", column="ssn", row_id=second)
    assert sorted(work.store.find_by_ssn("123-45-6789")) == sorted([first, second])
    assert sorted(work.store.find_by_ssn("123 45 6789")) == sorted([first, second])


def test_update_records_what_changed(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    changed_file = _file(
        tmp_path,
        "c.yaml",
        COMPLETE.read_text()
        .encode()
        .replace(b"end: 2027-12-31\n    client", b"end: 2028-06-30\n    client")
        .replace(b"ssn: 123-45-6789\n  date", b"ssn: 123-45-6780\n  date"),
    )
    changed, decision = work.update_case(case_id, read_case(changed_file), TODAY)
    assert "engagements[0].end" in changed and "person.ssn" in changed
    assert decision.outcome == "go"
    kinds = [e.kind for e in work.entries(case_id)]
    assert kinds == ["screened", "facts_changed", "screened"]
    assert work.verify(case_id) is None


def test_unknown_case_and_bad_files_write_nothing(work: Casework, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        work.add("nope", "other", _file(tmp_path, "a.txt", b"hello"), {})
    assert caught.value.problems[0].code == "UNKNOWN_CASE"
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    for name, content, code in (
        ("fake.pdf", b"\x89PNG\r\n\x1a\nxx", "FILE_TYPE_MISMATCH"),
        ("x.exe", b"MZ", "FILE_TYPE_NOT_ALLOWED"),
        ("empty.txt", b"", "FILE_EMPTY"),
    ):
        with pytest.raises(InputError) as caught:
            work.add(case_id, "other", _file(tmp_path, name, content), {})
        assert caught.value.problems[0].code == code
    assert len(work.entries(case_id)) == 1
    assert stored_names(work) == []


def _chain(work: Casework, tmp_path: Path) -> str:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    work.add(
        case_id,
        "submission",
        _file(tmp_path, "fax.txt", b"Fax sent OK, 3 pages\n"),
        {"channel": "fax", "date": "2026-12-01"},
    )
    work.add(
        case_id,
        "approval",
        _file(
            tmp_path,
            "ok.eml",
            b"From: SSA\nSubject: Approved\nDate: Mon, 1 Feb 2027 10:00:00 +0000\n\nOK\n",
        ),
        {},
    )
    work.add(case_id, "other", _file(tmp_path, "note.txt", b"a note\n"), {})
    assert work.verify(case_id) is None
    return case_id


def test_append_only_in_the_database(work: Casework, tmp_path: Path) -> None:
    case_id = _chain(work, tmp_path)
    with pytest.raises(Exception, match="append-only"), work.store.engine.begin() as c:
        c.execute(text("UPDATE events SET kind = 'x' WHERE case_id = :c"), {"c": case_id})
    with pytest.raises(Exception, match="append-only"), work.store.engine.begin() as c:
        c.execute(text("DELETE FROM events WHERE case_id = :c"), {"c": case_id})


@pytest.mark.parametrize(
    ("sql", "seq"),
    [
        ("UPDATE events SET payload = replace(payload, 'fax', 'mail') WHERE seq = 2", 2),
        ("UPDATE events SET at = '2026-01-01T00:00:00+00:00' WHERE seq = 3", 3),
        ("DELETE FROM events WHERE seq = 2", 3),
        ("DELETE FROM events WHERE seq = 4", 4),
        ("UPDATE events SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)", 3),
    ],
    ids=[
        "payload changed",
        "time changed",
        "entry removed",
        "last entry removed",
        "entries reordered",
    ],
)
def test_verify_names_the_first_bad_entry(
    work: Casework, tmp_path: Path, sql: str, seq: int
) -> None:
    case_id = _chain(work, tmp_path)
    _disable_append_only(work)
    with work.store.engine.begin() as c:
        if "SET seq" in sql:  # swap through a free number: (case_id, seq) is unique
            c.execute(
                text("UPDATE events SET seq = 99 WHERE seq = 2 AND case_id = :c"), {"c": case_id}
            )
            c.execute(
                text("UPDATE events SET seq = 2 WHERE seq = 3 AND case_id = :c"), {"c": case_id}
            )
            c.execute(
                text("UPDATE events SET seq = 3 WHERE seq = 99 AND case_id = :c"), {"c": case_id}
            )
        else:
            c.execute(text(sql + " AND case_id = :c"), {"c": case_id})
    broken = work.verify(case_id)
    assert broken is not None and broken[0] == seq


def test_verify_detects_a_changed_file(work: Casework, tmp_path: Path) -> None:
    case_id = _chain(work, tmp_path)
    payload = json.loads(work.entries(case_id)[2].payload)

    def flip(data: bytes) -> bytes:
        return data[:5] + bytes([data[5] ^ 1]) + data[6:]

    rewrite(work, payload["file"]["sha256"], flip)
    assert work.verify(case_id) == (
        3,
        f"its file {payload['file']['sha256'][:12]}... is missing or changed",
    )


def test_the_same_file_is_stored_once(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    for name in ("a.txt", "b.txt"):
        work.add(case_id, "other", _file(tmp_path, name, b"same bytes\n"), {})
    assert len(stored_names(work)) == 1


def test_checkpoints_in_order(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    period = {"period_start": "2027-03-01", "period_end": "2027-12-31", "country": "PT"}
    cert = _file(tmp_path, "c.pdf", b"%PDF-1.4 certificate")
    work.add(case_id, "certificate", cert, period)
    assert [p.done for p in work.checkpoints(case_id, TODAY)] == [True, False, False, False]
    work.record(
        case_id,
        "request_prepared",
        {"ready": True, "period_start": "2027-03-01", "period_end": "2027-12-31"},
    )
    work.add(case_id, "submission", _file(tmp_path, "f.txt", b"fax ok"), {"channel": "fax"})
    points = work.checkpoints(case_id, TODAY)
    assert [p.done for p in points] == [True, True, False, False]  # certificate came before
    work.add(case_id, "certificate", cert, period)
    work.add(case_id, "delivery", None, {"to": "client"})
    points = work.checkpoints(case_id, TODAY)
    assert [p.done for p in points] == [True, True, True, False]
    assert "no written proof of receipt" in points[3].evidence
    work.add(case_id, "delivery", _file(tmp_path, "r.txt", b"received, thanks"), {"to": "client"})
    assert all(p.done for p in work.checkpoints(case_id, TODAY))
    # After the work has ended, the certificate still proves the exemption for its days.
    assert work.checkpoints(case_id, date(2028, 1, 1))[2].done


@pytest.mark.parametrize(
    "period",
    [
        {"period_start": "2027-03-01", "period_end": "2027-12-31", "country": "ES"},
        {"period_start": "2027-04-01", "period_end": "2027-12-31", "country": "PT"},
        {"period_start": "2027-03-01", "period_end": "2027-10-31", "country": "PT"},
    ],
    ids=["other country", "starts late", "ends early"],
)
def test_a_certificate_that_does_not_cover_the_work_is_not_enough(
    work: Casework, tmp_path: Path, period: dict[str, str]
) -> None:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    work.record(
        case_id,
        "request_prepared",
        {"ready": True, "period_start": "2027-03-01", "period_end": "2027-12-31"},
    )
    work.add(case_id, "submission", _file(tmp_path, "f.txt", b"fax ok"), {})
    work.add(case_id, "certificate", _file(tmp_path, "c.pdf", b"%PDF-1.4 x"), period)
    work.add(case_id, "delivery", _file(tmp_path, "r.txt", b"received"), {"to": "client"})
    points = work.checkpoints(case_id, TODAY)
    assert [p.done for p in points] == [True, True, False, False]
    assert "does not cover the work" in points[2].evidence


def test_a_request_for_other_dates_does_not_count(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    work.record(
        case_id,
        "request_prepared",
        {"ready": True, "period_start": "2027-01-15", "period_end": "2027-06-30"},
    )
    work.add(case_id, "submission", _file(tmp_path, "f.txt", b"fax ok"), {})
    assert [p.done for p in work.checkpoints(case_id, TODAY)][:2] == [True, False]


def test_a_certificate_needs_its_country_and_period(work: Casework, tmp_path: Path) -> None:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    with pytest.raises(InputError) as caught:
        work.add(case_id, "certificate", _file(tmp_path, "c.pdf", b"%PDF-1.4 x"), {})
    assert {p.path for p in caught.value.problems} == {"--country", "--period-start"}
    entry = work.add(
        case_id,
        "certificate",
        _file(tmp_path, "c.pdf", b"%PDF-1.4 x"),
        {"country": "pt", "period_start": "2027-03-01"},
    )
    assert json.loads(entry.payload)["country"] == "PT"


def test_export_checks_with_sha256sum(work: Casework, tmp_path: Path) -> None:
    case_id = _chain(work, tmp_path)
    bundle = work.export(case_id, tmp_path / "bundle.zip")
    target = tmp_path / "unzipped"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(target)
    done = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=target, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["entries"] == 4 and manifest["chain_intact"] is True
    assert len(manifest["files"]) == 3
    assert "<script" not in (target / "timeline.html").read_text().lower()


def test_a_wrong_key_is_refused_before_writing(
    work: Casework, tmp_path: Path, database_url: str, rules: RuleBook
) -> None:
    from cocflow.store.crypto import KeyProblem, new_key_text

    work.new_case(read_case(COMPLETE), TODAY)
    env = {
        "COCFLOW_HOME": str(tmp_path / "home"),
        "COCFLOW_DATABASE_URL": database_url,
        "COCFLOW_KEY": new_key_text(),
    }
    with pytest.raises(KeyProblem, match="cannot read"):
        open_casework(Settings.from_env(env), rules)
    assert len(work.cases()) == 1


def test_a_new_home_and_its_database_are_private(tmp_path: Path) -> None:
    # The folder 0700 and the SQLite file (with its -wal and -shm) 0600, whatever the umask.
    from cocflow.io.settings import Settings
    from cocflow.rules.loader import load_rules
    from cocflow.services.cases import open_casework

    home = tmp_path / "home"
    old = os.umask(0o022)
    try:
        work = open_casework(Settings.from_env({"COCFLOW_HOME": str(home)}), load_rules())
        work.store.list_cases()
        work.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for path in home.glob("cocflow.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def _open_at_once(args: tuple[str, object]) -> str:
    from cocflow.store.db import open_engine

    url, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    try:
        open_engine(url).dispose()
    except Exception as exc:  # reported as a value: an exception may not cross processes
        return f"failed: {str(exc)[:200]}"
    return "ok"


def test_first_runs_at_once_set_up_the_schema_once(database_url: str) -> None:
    # Concurrent first runs on one empty database each used to create the same tables.
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        barrier = manager.Barrier(8)
        with context.Pool(8) as pool:
            results = pool.map_async(_open_at_once, [(database_url, barrier)] * 8).get(120)
    assert results == ["ok"] * 8


def test_opening_a_current_store_does_not_migrate(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store at the newest version is only read, so a read-only or full store still opens.
    from alembic import command

    from cocflow.store.db import open_engine

    open_engine(database_url).dispose()

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("upgrade ran on a current store")

    monkeypatch.setattr(command, "upgrade", refuse)
    engine = open_engine(database_url)
    statements: list[str] = []
    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", lambda c, cur, st, *a: statements.append(st))
    from cocflow.store.crypto import Keys
    from cocflow.store.repo import Store

    Store(engine, Keys.from_master(b"k" * 32)).list_cases()
    engine.dispose()
    assert not any("IMMEDIATE" in s for s in statements)


def _forge(work: Casework, case_id: str, seq: int, payload: dict[str, object]) -> None:
    """What someone who can write the database (but holds no key) can do: rewrite an entry and
    recompute every hash after it, and the head."""
    from cocflow.proof.chain import canonical, entry_hash

    _disable_append_only(work)
    entries = work.entries(case_id)
    prev = entries[seq - 2].hash if seq > 1 else "0" * 64
    with work.store.engine.begin() as c:
        for entry in entries[seq - 1 :]:
            body = canonical(payload) if entry.seq == seq else entry.payload
            digest = entry_hash(entry.seq, case_id, entry.kind, entry.at, body, prev)
            c.execute(
                text(
                    "UPDATE events SET payload = :p, prev_hash = :v, hash = :h "
                    "WHERE case_id = :c AND seq = :s"
                ),
                {"p": body, "v": prev, "h": digest, "c": case_id, "s": entry.seq},
            )
            prev = digest
        c.execute(text("UPDATE cases SET head_hash = :h WHERE id = :c"), {"h": prev, "c": case_id})


def test_a_rewritten_chain_without_the_key_fails_verify(work: Casework, tmp_path: Path) -> None:
    case_id = _chain(work, tmp_path)
    _forge(work, case_id, 2, {"channel": "online", "date": "2026-11-01", "note": "forged"})
    broken = work.verify(case_id)
    assert broken is not None and "not signed with this store's key" in broken[1]


def test_changed_case_facts_or_decision_fail_verify(work: Casework, tmp_path: Path) -> None:
    case_id = _chain(work, tmp_path)
    with work.store.engine.begin() as c:
        c.execute(
            text(
                "UPDATE cases SET facts = REPLACE(facts, '2027-12-31', '2029-12-31') WHERE id = :c"
            ),
            {"c": case_id},
        )
    broken = work.verify(case_id)
    assert broken is not None and "case facts" in broken[1]
    case_two = _chain(work, tmp_path)
    with work.store.engine.begin() as c:
        c.execute(
            text(
                "UPDATE cases SET decision = REPLACE(decision, '\"go\"', '\"no_go\"') WHERE id = :c"
            ),
            {"c": case_two},
        )
    broken = work.verify(case_two)
    assert broken is not None and "decision" in broken[1]


def test_the_database_alone_holds_no_plain_hash_of_a_file_with_the_ssn(
    tmp_path: Path, rules: RuleBook
) -> None:
    # With a plain SHA-256 of request.json in the log, rebuilding the file and trying SSNs took
    # half a second; the log keeps keyed digests only.
    import hashlib

    from typer.testing import CliRunner

    from cocflow.cli.app import app

    home = tmp_path / "home"
    env = {"COCFLOW_HOME": str(home)}
    runner = CliRunner()
    made = runner.invoke(app, ["case", "new", str(COMPLETE), "--format", "json"], env=env)
    case_id = json.loads(made.stdout)["id"]
    out = tmp_path / "out"
    done = runner.invoke(
        app,
        ["request", str(COMPLETE), "--out", str(out), "--case", case_id, "--as-of", "2026-11-25"],
        env=env,
    )
    assert done.exit_code == 0, done.stderr
    stored = b"".join(p.read_bytes() for p in home.glob("cocflow.db*"))
    for name in ("request.json", "request-letter.pdf"):
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest().encode()
        assert digest not in stored, name
        stored_names = {f"{p.parent.name}{p.name}" for p in (home / "files").rglob("*")}
        assert digest.decode() not in stored_names, name  # the vault names it by a keyed digest
    # The letter that was sent is kept (encrypted, under a keyed name) and exported as sent.
    bundle = tmp_path / "proof.zip"
    assert (
        runner.invoke(app, ["proof", "export", case_id, "--out", str(bundle)], env=env).exit_code
        == 0
    )
    import zipfile

    with zipfile.ZipFile(bundle) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("-request-letter.pdf")]
        assert archive.read(name) == (out / "request-letter.pdf").read_bytes()
    assert b"%PDF" not in b"".join(
        p.read_bytes() for p in (home / "files").rglob("*") if p.is_file()
    )


def _trip(country: str, start: str, end: str) -> dict[str, object]:
    return {"country": country, "start": start, "end": end, "purpose": "work", "note": None,
            "origin": "typed"}  # fmt: skip


def test_backup_and_restore_keep_every_proof_file_verifiable(
    database_url: str, tmp_path: Path, rules: RuleBook
) -> None:
    from cocflow.store import backup

    key = "a" * 43 + "="
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url,
           "COCFLOW_KEY": key}  # fmt: skip
    work = open_casework(Settings.from_env(env), rules)
    case_id = _chain(work, tmp_path)
    work.store.add_trips(case_id, [_trip("DE", "2027-01-01", "2027-01-05")])
    saved = tmp_path / "store.cfbackup"
    assert backup.backup(work, saved) == (1, 3)
    assert b"123-45-6789" not in saved.read_bytes() and b"Fax sent" not in saved.read_bytes()
    with pytest.raises(InputError, match="already holds cases"):
        backup.restore(work, saved)
    work.close()

    fresh = tmp_path / "fresh"
    other = {"COCFLOW_HOME": str(fresh), "COCFLOW_KEY": key}
    restored = open_casework(Settings.from_env(other), rules)
    assert backup.restore(restored, saved) == [(case_id, None)]
    assert restored.case(case_id).person.ssn == "123-45-6789"  # type: ignore[union-attr]
    assert len(restored.store.trips(case_id)) == 1
    restored.store.add_trips(case_id, [_trip("FR", "2027-02-01", "2027-02-02")])
    restored.close()

    wrong = {"COCFLOW_HOME": str(tmp_path / "third"), "COCFLOW_KEY": "b" * 43 + "="}
    stranger = open_casework(Settings.from_env(wrong), rules)
    with pytest.raises(InputError, match="cannot be read with this store's key"):
        backup.restore(stranger, saved)
    stranger.close()


def test_a_unique_prefix_names_a_case(work: Casework) -> None:
    first, _ = work.new_case(read_case(COMPLETE), TODAY)
    assert work.resolve(first) == first
    assert work.resolve(first[:6]) == first
    second, _ = work.new_case(read_case(COMPLETE), TODAY)
    common = next(i for i in range(len(first)) if first[i] != second[i])
    if common:
        with pytest.raises(InputError, match="starts 2 case ids"):
            work.resolve(first[:common])
    with pytest.raises(InputError, match="there is no case"):
        work.resolve("zzzz-no-such-case")


def test_the_export_keeps_original_file_names_the_database_does_not(
    work: Casework, tmp_path: Path
) -> None:
    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    named = _file(tmp_path, "Jane-Quinn-Doe approval.txt", b"Approved, 2027-02-01\n")
    work.add(case_id, "approval", named, {})
    with work.store.engine.connect() as c:
        payloads = " ".join(r[0] for r in c.execute(text("SELECT payload FROM events")))
    assert "Jane-Quinn-Doe" not in payloads
    out = work.export(case_id, tmp_path / "bundle.zip")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert any(
        n.startswith("files/002-") and n.endswith("-Jane-Quinn-Doe approval.txt") for n in names
    )
    assert manifest["files"][0]["original_name"] == "Jane-Quinn-Doe approval.txt"


def test_the_timeline_is_a_page_an_inspector_can_read(work: Casework, tmp_path: Path) -> None:
    case_id = _chain(work, tmp_path)
    with zipfile.ZipFile(work.export(case_id, tmp_path / "bundle.zip")) as archive:
        page = archive.read("timeline.html").decode()
    assert "<style>" in page and "<script" not in page and "http" not in page.split("</style>")[0]
    assert "Request submitted by fax on 2026-12-01." in page
    assert "Rely on the exemption: not yet" in page and "Coverage confirmed" in page


def test_the_kept_letter_is_verified_like_any_file(work: Casework, tmp_path: Path) -> None:
    from cocflow.services import filing

    case = read_case(COMPLETE)
    case_id, _ = work.new_case(case, TODAY)
    filed = filing.request(
        case, tmp_path / "out", TODAY, work.rules, casework=work, case_id=case_id
    )
    assert filed.entry is not None and work.verify(case_id) is None
    name = json.loads(filed.entry.payload)["letter_file"]["mac"]
    rewrite(work, name, lambda _: b"not the letter")
    assert work.verify(case_id) == (filed.entry.seq, "its letter is missing or changed")


def test_a_number_like_an_ssn_in_a_file_name_is_masked_in_the_export(
    work: Casework, tmp_path: Path
) -> None:
    import zipfile

    case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
    named = _file(tmp_path, "Jane SSN 123-45-6789 approval.pdf", b"%PDF-1.4 approval")
    work.add(case_id, "approval", named, {})
    out = tmp_path / "proof.zip"
    work.export(case_id, out)
    with zipfile.ZipFile(out) as archive:
        names = " ".join(archive.namelist()) + archive.read("manifest.json").decode()
    assert "123-45-6789" not in names and "XXX-XX-6789 approval.pdf" in names
