from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocflow.errors import CocflowError
from cocflow.store.crypto import (
    DecryptError,
    KeyProblem,
    Keys,
    blind_index,
    decrypt,
    encrypt,
    load_keys,
    new_key_text,
)

KEYS = Keys.from_master(bytes(range(32)))
OTHER = Keys.from_master(bytes(range(1, 33)))
SSN = "123-45-6789"
PLACE = {"table": "people", "column": "ssn", "row_id": "p-1"}
BLOB = encrypt(KEYS, SSN, **PLACE)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip() -> None:
    assert decrypt(KEYS, BLOB, **PLACE) == SSN
    dob = encrypt(KEYS, "1980-02-29", table="people", column="dob", row_id="p-1")
    assert decrypt(KEYS, dob, table="people", column="dob", row_id="p-1") == "1980-02-29"


def test_unicode_and_empty_round_trip() -> None:
    for text in ("", "Zoë 日本"):
        assert decrypt(KEYS, encrypt(KEYS, text, **PLACE), **PLACE) == text


def test_same_plaintext_encrypts_differently() -> None:
    blobs = {encrypt(KEYS, SSN, **PLACE) for _ in range(20)}
    assert len(blobs) == 20
    assert all(SSN.encode() not in blob for blob in blobs)


def test_blob_layout() -> None:
    assert BLOB[0] == 1
    assert len(BLOB) == 1 + 12 + len(SSN.encode()) + 16


@pytest.mark.parametrize(
    "moved",
    [
        {"table": "people", "column": "ssn", "row_id": "p-2"},
        {"table": "people", "column": "dob", "row_id": "p-1"},
        {"table": "spouses", "column": "ssn", "row_id": "p-1"},
        # the associated data must not be ambiguous when fields are concatenated
        {"table": "peoples", "column": "sn", "row_id": "p-1"},
        {"table": "people", "column": "ssnp", "row_id": "-1"},
    ],
)
def test_value_moved_elsewhere_fails(moved: dict[str, str]) -> None:
    with pytest.raises(DecryptError):
        decrypt(KEYS, BLOB, **moved)


@given(position=st.integers(min_value=0, max_value=len(BLOB) - 1), bit=st.integers(0, 7))
def test_any_flipped_byte_fails(position: int, bit: int) -> None:
    tampered = bytearray(BLOB)
    tampered[position] ^= 1 << bit
    with pytest.raises(DecryptError):
        decrypt(KEYS, bytes(tampered), **PLACE)


@given(length=st.integers(min_value=0, max_value=len(BLOB) - 1))
def test_truncated_blob_fails(length: int) -> None:
    with pytest.raises(DecryptError):
        decrypt(KEYS, BLOB[:length], **PLACE)


def test_unknown_version_fails() -> None:
    with pytest.raises(DecryptError, match="unknown format"):
        decrypt(KEYS, b"\x02" + BLOB[1:], **PLACE)


def test_different_key_fails() -> None:
    with pytest.raises(DecryptError) as caught:
        decrypt(OTHER, BLOB, **PLACE)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert isinstance(caught.value, CocflowError)


def test_derived_keys_are_distinct() -> None:
    assert KEYS.data_key != KEYS.index_key
    assert len(KEYS.data_key) == len(KEYS.index_key) == 32
    assert bytes(range(32)) not in (KEYS.data_key, KEYS.index_key)
    assert Keys.from_master(bytes(range(32))) == KEYS


def test_blind_index() -> None:
    first = blind_index(KEYS, SSN)
    assert first == blind_index(KEYS, SSN)
    assert len(first) == 64
    assert first != blind_index(OTHER, SSN)
    assert first != blind_index(KEYS, "123-45-6780")
    assert first != hashlib.sha256(SSN.encode()).hexdigest()


def test_repr_and_str_show_no_key_bytes() -> None:
    shown = repr(KEYS) + str(KEYS) + repr([KEYS]) + f"{KEYS}"
    for key in (KEYS.data_key, KEYS.index_key):
        for form in (
            key.hex(),
            key.hex().upper(),
            base64.b64encode(key).decode(),
            base64.urlsafe_b64encode(key).decode(),
            repr(key),
        ):
            assert form not in shown
            assert form[:16] not in shown


def test_new_key_text() -> None:
    text = new_key_text()
    assert len(text) == 44
    assert len(base64.urlsafe_b64decode(text)) == 32
    assert text != new_key_text()


# --- key file --------------------------------------------------------------------------------


@posix_only
def test_key_file_created_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "cocflow.key"
    keys = load_keys(path, None, data_exists=False)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    text = path.read_text()
    assert text.endswith("\n")
    assert len(base64.urlsafe_b64decode(text.strip())) == 32
    assert load_keys(path, None, data_exists=True) == keys


@posix_only
def test_open_key_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "cocflow.key"
    load_keys(path, None, data_exists=False)
    path.chmod(0o644)
    with pytest.raises(KeyProblem, match="chmod 600") as caught:
        load_keys(path, None, data_exists=True)
    assert str(path) in str(caught.value)
    path.chmod(0o640)
    with pytest.raises(KeyProblem, match="chmod 600"):
        load_keys(path, None, data_exists=True)


def test_missing_key_with_existing_data_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "cocflow.key"
    with pytest.raises(KeyProblem, match="restore the key file from your backup"):
        load_keys(path, None, data_exists=True)
    assert not path.exists()
    assert not path.parent.exists()


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not a key\n",
        base64.urlsafe_b64encode(os.urandom(31)).decode() + "\n",
        base64.urlsafe_b64encode(os.urandom(33)).decode() + "\n",
    ],
)
def test_malformed_key_file_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cocflow.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(KeyProblem, match="does not hold a key"):
        load_keys(path, None, data_exists=True)
    assert path.read_text() == content


@pytest.mark.parametrize(
    "env",
    [
        "",
        "short",
        base64.urlsafe_b64encode(os.urandom(16)).decode(),
        base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "!" * 44,
        "é" * 44,
        new_key_text()[:-1] + "!",
    ],
)
def test_malformed_env_key_refused(tmp_path: Path, env: str) -> None:
    path = tmp_path / "cocflow.key"
    with pytest.raises(KeyProblem, match="COCFLOW_KEY") as caught:
        load_keys(path, env, data_exists=False)
    assert "44-character" in str(caught.value)
    assert not path.exists()


def test_env_key_wins_over_file(tmp_path: Path) -> None:
    path = tmp_path / "cocflow.key"
    from_file = load_keys(path, None, data_exists=False)
    master = os.urandom(32)
    env = base64.urlsafe_b64encode(master).decode()
    keys = load_keys(path, f"{env}\n", data_exists=True)
    assert keys == Keys.from_master(master)
    assert keys != from_file


def test_standard_base64_alphabet_accepted(tmp_path: Path) -> None:
    master = b"\xfb\xff" * 16
    for text in (base64.b64encode(master).decode(), base64.urlsafe_b64encode(master).decode()):
        assert load_keys(tmp_path / "k", text, data_exists=True) == Keys.from_master(master)


def test_env_key_needs_no_file(tmp_path: Path) -> None:
    path = tmp_path / "cocflow.key"
    env = new_key_text()
    keys = load_keys(path, env, data_exists=True)
    assert keys == load_keys(path, env, data_exists=False)
    assert not path.exists()


def test_keys_reject_wrong_lengths() -> None:
    with pytest.raises(ValueError):
        Keys.from_master(b"x" * 31)
    with pytest.raises(ValueError):
        Keys(data_key=b"x" * 32, index_key=b"x" * 16, mac_key=b"x" * 32)


def _first_run(args: tuple[str, object]) -> str:
    """One process's first run: wait for the others, then load (or create) the key."""
    import hashlib

    from cocflow.store.crypto import load_keys

    path, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    try:
        keys = load_keys(Path(path), None, data_exists=False)
    except Exception as exc:  # reported as a value: an exception may not cross processes
        return f"failed: {exc}"
    return hashlib.sha256(keys.data_key).hexdigest()


def test_first_runs_at_once_agree_on_one_key(tmp_path: Path) -> None:
    # Eight processes released together each used to save their own key: the last one won and
    # the data the others had encrypted became unreadable.
    import multiprocessing

    context = multiprocessing.get_context("fork")
    path = tmp_path / "config" / "key"
    for _ in range(3):
        path.unlink(missing_ok=True)
        with context.Manager() as manager:
            barrier = manager.Barrier(8)
            with context.Pool(8) as pool:
                digests = pool.map_async(_first_run, [(str(path), barrier)] * 8).get(60)
        assert len(set(digests)) == 1, digests
        assert not digests[0].startswith("failed")
        assert _first_run((str(path), _NoWait())) == digests[0]
    assert not [p for p in path.parent.iterdir() if p.name != "key"]  # no temporary left


class _NoWait:
    def wait(self) -> None:
        return None


def test_a_key_backup_restores_the_key_and_nothing_else(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cocflow.cli.app import app

    runner = CliRunner()
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    example = Path(__file__).parent.parent / "examples" / "filing-complete.yaml"
    made = runner.invoke(app, ["case", "new", str(example)], env=env)
    assert "created a new key at" in made.stderr and "key backup" in made.stderr
    again = runner.invoke(app, ["case", "list"], env=env)
    assert "created a new key" not in again.stderr
    backup = tmp_path / "key-backup.json"
    phrase = "correct horse battery staple\n"
    done = runner.invoke(app, ["key", "backup", "--out", str(backup)], env=env, input=phrase)
    assert done.exit_code == 0, done.stderr
    key_file = next((tmp_path / "home").glob("key"), None) or next((tmp_path / "cfg").rglob("key"))
    original = key_file.read_text()
    assert original.strip() not in backup.read_text()
    short = runner.invoke(
        app, ["key", "backup", "--out", str(tmp_path / "b2")], env=env, input="short\n"
    )
    assert short.exit_code == 2
    key_file.unlink()
    wrong = runner.invoke(
        app, ["key", "restore", str(backup)], env=env, input="wrong phrase here\n"
    )
    assert wrong.exit_code == 2 and "passphrase does not open" in wrong.stderr
    right = runner.invoke(app, ["key", "restore", str(backup)], env=env, input=phrase)
    assert right.exit_code == 0, right.stderr
    assert key_file.read_text() == original
    assert runner.invoke(app, ["case", "list"], env=env).exit_code == 0
