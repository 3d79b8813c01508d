"""The key that encrypts every stored SSN, date of birth and document: its backup and restore.

The backup is the key sealed with a passphrase (scrypt and AES-GCM, see
:mod:`cocflow.store.crypto`), written owner-only; restoring it checks the passphrase first and
never replaces a different key already in place.
"""

from __future__ import annotations

from pathlib import Path

from cocflow.errors import InputError, Problem
from cocflow.io.atomic import atomic_write
from cocflow.io.inputs import read_input_bytes
from cocflow.io.settings import Settings
from cocflow.store.crypto import DecryptError, export_key, import_key, install_key, read_master

__all__ = [
    "MAX_BACKUP_BYTES",
    "backup_key",
    "check_new_file",
    "read_backup",
    "restore_key",
]

MAX_BACKUP_BYTES = 64 * 1024


def check_new_file(out: Path) -> None:
    """Refuse a backup target that exists (asked before the passphrase is typed)."""
    if out.exists():
        raise InputError(
            [Problem("--out", "FILE_EXISTS", f"{out} exists already.", "name a new file.")]
        )


def backup_key(settings: Settings, out: Path, passphrase: str) -> Path:
    """Write the key, sealed with ``passphrase``, to the new file ``out``."""
    master = read_master(settings.key_path, settings.env_key)
    check_new_file(out)
    try:
        sealed = export_key(master, passphrase)
    except ValueError as exc:
        raise InputError(
            [Problem("passphrase", "TOO_SHORT", f"{exc}.", "choose a longer one.")]
        ) from None
    atomic_write(out, sealed, 0o600)
    return out


def read_backup(source: Path) -> bytes:
    """The sealed key in ``source`` (read before the passphrase is asked)."""
    return read_input_bytes(source, "the key backup", MAX_BACKUP_BYTES)


def restore_key(settings: Settings, blob: bytes, passphrase: str) -> bool:
    """Put the key sealed in ``blob`` in place; ``False`` when it is there already."""
    try:
        master = import_key(blob, passphrase)
    except DecryptError as exc:
        raise InputError(
            [Problem("BACKUP", "NOT_OPENED", str(exc), "check the file and the passphrase.")]
        ) from None
    return install_key(settings.key_path, master)
