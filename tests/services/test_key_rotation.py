"""Replacing the key: everything stored is encrypted again with the new key (the old one alone
reads nothing any more), proof logs that verify are signed again, the old key stays as retired to
check the digests older entries hold, and an interrupted rotation loses nothing.

On SQLite (documents in the folder) and PostgreSQL (documents in the database).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocflow.errors import InputError
from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.accounts import Accounts
from cocflow.services.cases import Casework, open_casework
from cocflow.services.documents import prepare_and_record
from cocflow.services.keys import backup_key, finish, read_backup, restore_key, rotate
from cocflow.store.crypto import DecryptError, Keys, decrypt, read_ring, replace_ring
from cocflow.store.models import DraftRow, SecretRow
from cocflow.store.repo import Store
from cocflow.store.sealed import open_sealed
from cocflow.store.team import TeamStore
from tests.vaults import rewrite, stored_names

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = ROOT / "examples" / "filing-complete.yaml"
TODAY = date(2026, 11, 25)
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}
    return Settings.from_env(env)


_OPENED: list[Casework] = []


def _open(settings: Settings, rules: RuleBook) -> Casework:
    work = open_casework(settings, rules)
    _OPENED.append(work)
    return work


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


def _seed(settings: Settings, rules: RuleBook) -> dict[str, str]:
    """A case with an SSN and a prepared request (a letter in the vault), a case still being
    answered (a working copy), an owner with a sign-in code secret and an access token."""
    work = _open(settings, rules)
    try:
        case_id, _ = work.new_case(read_case(COMPLETE), TODAY)
        prepare_and_record(work, case_id, TODAY)
        draft = work.start_case(read_case(COMPLETE))
        team = TeamStore(work.store.engine, work.store.keys)
        accounts = Accounts(team)
        owner = accounts.create_organisation("Rivera & Co", "ana@rivera.example", "Ana", PASSWORD)
        assert owner.user_id is not None
        team.set_totp(owner.user_id, "JBSWY3DPEHPK3PXP")
        signed_in = accounts.sign_in("ana@rivera.example", PASSWORD)
        assert signed_in is not None
        signed = accounts.session(signed_in.cookie)
        assert signed is not None
        token = accounts.new_access_token(signed, "script")
        return {"case": case_id, "draft": draft, "user": owner.user_id, "token": token}
    finally:
        work.close()


def _blobs(work: Casework) -> dict[str, bytes]:
    with Session(work.store.engine) as session:
        secrets = session.scalars(select(SecretRow).where(SecretRow.ssn.is_not(None)))
        found = {f"secret:{r.case_id}": r.ssn or b"" for r in secrets}
        found |= {f"draft:{r.case_id}": r.data for r in session.scalars(select(DraftRow))}
    return found | {f"object:{n}": work.vault.raw(n) for n in stored_names(work)}


def test_rotation_encrypts_everything_again_and_keeps_the_old_key_retired(
    settings: Settings, rules: RuleBook
) -> None:
    seeded = _seed(settings, rules)
    (old,) = read_ring(settings.key_path)
    before = _blobs(_open(settings, rules))
    done = rotate(settings, rules)
    new, retired = read_ring(settings.key_path)
    assert retired == old and new != old
    assert (done.values, done.drafts, done.codes, done.signed) == (2, 1, 1, 1)  # 2 cases
    assert done.documents == len(stored_names(_open(settings, rules))) >= 1
    assert done.not_verified == ()

    work = _open(settings, rules)
    after = _blobs(work)
    assert after.keys() == before.keys()
    assert all(after[k] != before[k] for k in before)  # every value sealed again
    only_new, only_old = Keys.from_master(new), Keys.from_master(old)
    with Session(work.store.engine) as session:
        row = session.get(SecretRow, seeded["case"])
        assert row is not None and row.ssn is not None
        where = {"table": "case_secrets", "column": "ssn", "row_id": seeded["case"]}
        assert decrypt(only_new, row.ssn, **where) == "123-45-6789"
        with pytest.raises(DecryptError):
            decrypt(only_old, row.ssn, **where)  # the old key alone reads nothing now
    for name in stored_names(work):
        with pytest.raises(DecryptError):
            b"".join(open_sealed(only_old.data_key, io.BytesIO(work.vault.raw(name))))
        assert b"".join(open_sealed(only_new.data_key, io.BytesIO(work.vault.raw(name))))
    assert work.verify(seeded["case"]) is None
    assert work.store.find_by_ssn("123456789") == [seeded["case"]]
    seq, digest, mac = work.store.head(seeded["case"])
    assert seq is not None and digest is not None
    assert Store(work.store.engine, only_new).head_mac(seeded["case"], seq, digest) == mac
    assert TeamStore(work.store.engine, work.store.keys).totp_secret(seeded["user"]) == (
        "JBSWY3DPEHPK3PXP"
    )
    accounts = Accounts(TeamStore(work.store.engine, work.store.keys))
    assert accounts.token_actor(seeded["token"]) is not None  # made before, still valid
    assert done.sessions == 1  # everyone signs in again


def test_the_retired_key_is_what_checks_entries_made_before(
    settings: Settings, rules: RuleBook
) -> None:
    """Without the retired key, the digests older entries hold no longer check out: the key
    file keeps it, and so must a backup."""
    seeded = _seed(settings, rules)
    rotate(settings, rules)
    new, old = read_ring(settings.key_path)
    replace_ring(settings.key_path, [new])
    work = _open(settings, rules)
    assert work.verify(seeded["case"]) is not None
    work.close()
    replace_ring(settings.key_path, [new, old])
    assert _open(settings, rules).verify(seeded["case"]) is None


def test_an_interrupted_rotation_loses_nothing_and_finishes(
    settings: Settings, rules: RuleBook
) -> None:
    seeded = _seed(settings, rules)
    (old,) = read_ring(settings.key_path)
    replace_ring(settings.key_path, [b"\x07" * 32, old])  # the new key file, then a crash
    work = _open(settings, rules)
    assert work.verify(seeded["case"]) is None  # everything still opens, with the retired key
    assert work.working_copy(seeded["draft"]) == read_case(COMPLETE)
    work.close()
    done = finish(settings, rules)
    assert done.signed == 1 and done.not_verified == ()
    assert done.values == 2 and done.drafts == 1 and done.documents >= 1
    replace_ring(settings.key_path, [b"\x07" * 32])  # the new key alone now opens everything
    work = _open(settings, rules)
    assert work.working_copy(seeded["draft"]) == read_case(COMPLETE)
    assert work.store.secrets(seeded["case"])["ssn"] == "123-45-6789"
    assert all(work.vault.read(n) for n in stored_names(work))
    work.close()
    replace_ring(settings.key_path, [b"\x07" * 32, old])
    again = finish(settings, rules)  # safe to run twice: nothing left to seal again
    assert again.documents == 0 and again.signed == 1


def test_a_proof_file_that_does_not_verify_is_not_signed_again(
    settings: Settings, rules: RuleBook
) -> None:
    seeded = _seed(settings, rules)
    work = _open(settings, rules)
    (letter,) = stored_names(work)
    work.close()
    done = rotate(settings, rules)  # the letter is sealed again with the new key
    work = _open(settings, rules)
    rewrite(work, letter, lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    work.close()
    later = finish(settings, rules)
    assert done.not_verified == ()
    assert [case for case, _, _ in later.not_verified] == [seeded["case"]]
    assert _open(settings, rules).verify(seeded["case"]) is not None


def test_a_key_from_the_environment_is_rotated_by_its_owner(
    settings: Settings, rules: RuleBook
) -> None:
    seeded = _seed(settings, rules)
    (old,) = read_ring(settings.key_path)
    text = base64.urlsafe_b64encode(old).decode()
    with pytest.raises(InputError) as caught:
        rotate(replace(settings, env_key=text), rules)
    assert caught.value.problems[0].code == "KEY_FROM_ENVIRONMENT"
    assert read_ring(settings.key_path) == [old]  # nothing changed
    new = base64.urlsafe_b64encode(b"\x09" * 32).decode()
    moved = replace(settings, env_key=new, env_retired_keys=text)
    done = finish(moved, rules)
    assert done.values == 2 and done.not_verified == ()
    assert _open(moved, rules).verify(seeded["case"]) is None


def test_a_key_backup_after_rotation_holds_the_retired_keys(
    settings: Settings, rules: RuleBook, tmp_path: Path
) -> None:
    _seed(settings, rules)
    rotate(settings, rules)
    ring = read_ring(settings.key_path)
    sealed = read_backup(backup_key(settings, tmp_path / "key.backup", PASSWORD))
    elsewhere = Settings.from_env({"COCFLOW_HOME": str(tmp_path / "elsewhere")})
    assert restore_key(elsewhere, sealed, PASSWORD)
    assert read_ring(elsewhere.key_path) == ring


def test_the_command_rotates_and_says_to_back_up_again(
    home: Path, rules: RuleBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cocflow.cli.app import app

    settings = Settings.from_env({"COCFLOW_HOME": str(home)})
    work = _open(settings, rules)
    work.new_case(read_case(COMPLETE), TODAY)
    work.close()
    (old,) = read_ring(settings.key_path)
    result = CliRunner().invoke(app, ["key", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Proof files signed again: 1." in result.stdout
    assert "cocflow key backup" in result.stdout
    assert read_ring(settings.key_path)[1] == old
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    monkeypatch.setenv("COCFLOW_KEY", base64.urlsafe_b64encode(old).decode())
    refused = CliRunner().invoke(app, ["key", "rotate"])
    assert refused.exit_code == 2
    assert "COCFLOW_RETIRED_KEYS" in refused.stderr and "Traceback" not in refused.output
