"""The key that encrypts every stored SSN, date of birth and document: its backup, restore and
rotation.

The backup is the key sealed with a passphrase (scrypt and AES-GCM, see
:mod:`cocflow.store.crypto`), written owner-only; restoring it checks the passphrase first and
never replaces a different key already in place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cocflow.errors import InputError, Problem
from cocflow.io.atomic import atomic_write
from cocflow.io.inputs import read_input_bytes
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.store.crypto import (
    KEY_BYTES,
    DecryptError,
    export_key,
    import_key,
    install_key,
    read_master,
    replace_ring,
)

__all__ = [
    "MAX_BACKUP_BYTES",
    "Rewrapped",
    "backup_key",
    "check_new_file",
    "finish",
    "read_backup",
    "restore_key",
    "rotate",
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
    master = read_master(settings.key_path, settings.env_key, settings.env_retired_keys)
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


@dataclass(frozen=True, slots=True)
class Rewrapped:
    """What a rotation did: values, working copies, documents and sign-in code secrets
    encrypted again with the new key; proof logs signed again; those left as they were
    because they do not verify (they keep saying so); sessions ended."""

    values: int
    drafts: int
    documents: int
    codes: int
    signed: int
    not_verified: tuple[tuple[str, int, str], ...]
    sessions: int


def rotate(settings: Settings, rules: RuleBook) -> Rewrapped:
    """Replace the key: a new random key becomes the key file's first line, the old one is kept
    below it as retired (it still checks the digests older proof entries hold), then every
    stored secret is encrypted again with the new key (:func:`finish`).

    The new key file is written first, in one step, so an interruption leaves data the key file
    still opens all of; :func:`finish` (``cocflow key rotate --finish``) completes it."""
    if settings.env_key is not None:
        raise InputError(
            [
                Problem(
                    "COCFLOW_KEY",
                    "KEY_FROM_ENVIRONMENT",
                    "The key comes from COCFLOW_KEY, which cocflow cannot change.",
                    "put a new key in COCFLOW_KEY and the current one in COCFLOW_RETIRED_KEYS "
                    "(newest first, separated by commas), restart the server, then run "
                    "'cocflow key rotate --finish'.",
                )
            ]
        )
    ring = read_master(settings.key_path, None)  # refuses a missing or unreadable key file
    replace_ring(settings.key_path, [os.urandom(KEY_BYTES), *ring])
    return finish(settings, rules)


def finish(settings: Settings, rules: RuleBook) -> Rewrapped:
    """Encrypt every stored secret again with the current key, each opened with whichever key
    of the ring sealed it; sign again every proof log that verifies. Safe to run again."""
    from cocflow.services.cases import open_casework
    from cocflow.store.team import TeamStore

    work = open_casework(settings, rules)
    try:
        documents = sum(1 for name in work.vault.names() if work.vault.reseal(name))
        values, drafts = work.store.rewrap()
        codes, sessions = TeamStore(work.store.engine, work.store.keys).rewrap()
        signed, broken = 0, []
        for summary in work.store.list_cases():
            problem = work.verify(summary.id)
            if problem is None:
                signed += work.store.sign_head(summary.id)
            else:
                broken.append((summary.id, *problem))
        return Rewrapped(values, drafts, documents, codes, signed, tuple(broken), sessions)
    finally:
        work.close()
