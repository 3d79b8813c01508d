"""The key services: a backup of the key sealed with a passphrase, and putting it back."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest

from cocflow.errors import InputError
from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.services.cases import open_casework
from cocflow.services.keys import backup_key, check_new_file, read_backup, restore_key
from cocflow.services.screening import rules_for
from cocflow.store.crypto import KeyProblem, new_key_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSPHRASE = "correct horse battery staple"


def _settings(home: Path, **env: str) -> Settings:
    return Settings.from_env({"COCFLOW_HOME": str(home), **env})


@pytest.fixture
def sealed(home: Path, tmp_path: Path) -> bytes:
    """The ``home`` fixture's key, backed up with PASSPHRASE and read back."""
    return read_backup(backup_key(_settings(home), tmp_path / "key.backup", PASSPHRASE))


def test_check_new_file_refuses_a_file_that_exists(tmp_path: Path) -> None:
    check_new_file(tmp_path / "new.backup")  # a new name: no error
    taken = tmp_path / "taken.backup"
    taken.write_text("keep me\n")
    with pytest.raises(InputError) as caught:
        check_new_file(taken)
    assert caught.value.problems[0].code == "FILE_EXISTS"


def test_a_backup_is_an_owner_only_file_without_the_key_in_it(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "key.backup"
    assert backup_key(_settings(home), out, PASSPHRASE) == out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_bytes())
    assert data["cocflow_key_backup"] == 1 and data["kdf"] == "scrypt"
    key = (home / "key").read_text().strip()
    assert key not in out.read_text()


@pytest.mark.parametrize("passphrase", ["", "short", "elevenchars"])
def test_a_short_passphrase_is_refused_and_nothing_written(
    home: Path, tmp_path: Path, passphrase: str
) -> None:
    out = tmp_path / "key.backup"
    with pytest.raises(InputError) as caught:
        backup_key(_settings(home), out, passphrase)
    assert caught.value.problems[0].code == "TOO_SHORT"
    assert not out.exists()


def test_a_backup_never_replaces_a_file(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "key.backup"
    out.write_text("an older backup\n")
    with pytest.raises(InputError):
        backup_key(_settings(home), out, PASSPHRASE)
    assert out.read_text() == "an older backup\n"


def test_there_is_no_backup_without_a_key(tmp_path: Path) -> None:
    out = tmp_path / "key.backup"
    with pytest.raises(KeyProblem, match="no key file"):
        backup_key(_settings(tmp_path / "empty"), out, PASSPHRASE)
    assert not out.exists()


def test_a_key_given_in_the_environment_is_backed_up(tmp_path: Path) -> None:
    key = new_key_text()
    out = backup_key(_settings(tmp_path / "h", COCFLOW_KEY=key), tmp_path / "k.backup", PASSPHRASE)
    assert restore_key(_settings(tmp_path / "fresh"), read_backup(out), PASSPHRASE)
    assert (tmp_path / "fresh" / "key").read_text().strip() == key


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [("missing.backup", None, "NO_SUCH_FILE"), ("huge.backup", b"x" * 70_000, "TOO_LARGE")],
)
def test_read_backup_refuses_what_cannot_be_a_backup(
    tmp_path: Path, name: str, data: bytes | None, code: str
) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_backup(path)
    assert caught.value.problems[0].code == code


@pytest.mark.parametrize(
    ("blob", "passphrase", "message"),
    [
        (None, "the wrong passphrase", "passphrase does not open"),
        (b'{"hello": "world"}', PASSPHRASE, "not a cocflow key backup"),
        (b"\x00\xff not json", PASSPHRASE, "not a cocflow key backup"),
    ],
    ids=["wrong passphrase", "other json", "not json"],
)
def test_a_backup_that_does_not_open_is_refused(
    sealed: bytes, tmp_path: Path, blob: bytes | None, passphrase: str, message: str
) -> None:
    fresh = tmp_path / "fresh"
    with pytest.raises(InputError) as caught:
        restore_key(_settings(fresh), sealed if blob is None else blob, passphrase)
    (problem,) = caught.value.problems
    assert problem.code == "NOT_OPENED" and message in problem.message
    assert not (fresh / "key").exists()


def test_restoring_the_key_in_place_changes_nothing(home: Path, sealed: bytes) -> None:
    before = (home / "key").read_bytes()
    assert restore_key(_settings(home), sealed, PASSPHRASE) is False
    assert (home / "key").read_bytes() == before


def test_restoring_into_an_empty_home_puts_the_key_file_there(
    home: Path, sealed: bytes, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh"
    assert restore_key(_settings(fresh), sealed, PASSPHRASE) is True
    key = fresh / "key"
    assert key.read_bytes() == (home / "key").read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_different_key_in_place_is_never_replaced(sealed: bytes, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    (other / "key").write_text(new_key_text() + "\n")
    (other / "key").chmod(0o600)
    before = (other / "key").read_bytes()
    with pytest.raises(KeyProblem, match="different key"):
        restore_key(_settings(other), sealed, PASSPHRASE)
    assert (other / "key").read_bytes() == before


def test_a_lost_key_restored_from_its_backup_reads_the_stored_cases(
    home: Path, tmp_path: Path
) -> None:
    settings = _settings(home)
    work = open_casework(settings, rules_for(settings))
    case_id, _ = work.new_case(read_case(EXAMPLES / "filing-complete.yaml"), date(2026, 11, 25))
    work.close()
    backup = backup_key(settings, tmp_path / "key.backup", PASSPHRASE)
    (home / "key").unlink()
    with pytest.raises(KeyProblem, match="missing"):
        open_casework(settings, rules_for(settings))
    assert restore_key(settings, read_backup(backup), PASSPHRASE) is True
    work = open_casework(settings, rules_for(settings))
    try:
        person = work.case(case_id).person
        assert person is not None and person.ssn == "123-45-6789"
        assert work.verify(case_id) is None
    finally:
        work.close()
