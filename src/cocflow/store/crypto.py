"""Encryption at rest for Social Security numbers and dates of birth.

One 32-byte master key (the ``COCFLOW_KEY`` environment variable, or a key file readable by its
owner only) yields three keys through HKDF-SHA256: ``data_key`` encrypts values with AES-256-GCM,
``index_key`` computes blind indexes (HMAC-SHA256) so a person can be found by SSN without
storing the SSN or a plain hash of it, and ``mac_key`` signs the proof log's head and keys the
digests of files that hold an SSN.

A stored value is ``version (1 byte) + nonce (12 bytes) + ciphertext and tag``. The associated
data binds the value to its table, column and row id, so a value copied to another place fails
to decrypt. Only the key-file functions touch the file system.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cocflow.errors import CocflowError
from cocflow.io.atomic import atomic_write, fsync_folder

__all__ = [
    "DecryptError",
    "KeyProblem",
    "Keys",
    "blind_index",
    "decrypt",
    "digest_matches",
    "encrypt",
    "export_key",
    "import_key",
    "install_key",
    "keyed_digest",
    "load_keys",
    "new_key_text",
    "read_master",
    "read_ring",
    "replace_ring",
]

KEY_BYTES = 32
KEY_TEXT_CHARS = 44  # urlsafe base64 of 32 bytes, with one "=" of padding
FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
_DATA_INFO = b"cocflow/v1/data-key/aes-256-gcm"
_INDEX_INFO = b"cocflow/v1/index-key/hmac-sha256"
_MAC_INFO = b"cocflow/v1/mac-key/hmac-sha256"
_NEW_KEY_HINT = 'python -c "from cocflow.store.crypto import new_key_text; print(new_key_text())"'


class KeyProblem(CocflowError):
    """The key is missing, unreadable, malformed or readable by others. Says how to fix it."""

    def __init__(self, message: str, fix: str, path: Path | None = None) -> None:
        self.detail = message
        self.fix = fix
        self.path = path
        super().__init__(f"{message} Fix: {fix}")


class DecryptError(CocflowError):
    """A stored value failed authentication: tampered, wrong key, or moved to another place."""


@dataclass(frozen=True)
class Keys:
    """The two working keys. Their bytes never appear in ``repr`` or ``str``."""

    data_key: bytes = field(repr=False)
    index_key: bytes = field(repr=False)
    mac_key: bytes = field(repr=False)
    # Keys this one replaced (newest first): they still open what was written with them and
    # check the keyed digests the proof logs hold; nothing new is written with them.
    retired: tuple[Keys, ...] = field(default=(), repr=False, compare=False)

    @property
    def ring(self) -> tuple[Keys, ...]:
        """This key, then the keys it replaced."""
        return (self, *self.retired)

    def __post_init__(self) -> None:
        if {len(self.data_key), len(self.index_key), len(self.mac_key)} != {KEY_BYTES}:
            raise ValueError("Keys needs three 32-byte keys")

    def __repr__(self) -> str:
        return "Keys(<redacted>)"

    @classmethod
    def from_master(cls, master: bytes, retired: Sequence[bytes] = ()) -> Keys:
        """Derive the three keys from a 32-byte master key with HKDF-SHA256 and distinct
        labels; ``retired``: the master keys it replaced, newest first."""
        if len(master) != KEY_BYTES:
            raise ValueError("the master key must be 32 bytes")
        return cls(
            data_key=_hkdf(master, _DATA_INFO),
            index_key=_hkdf(master, _INDEX_INFO),
            mac_key=_hkdf(master, _MAC_INFO),
            retired=tuple(cls.from_master(old) for old in retired if old != master),
        )


def _hkdf(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


def new_key_text() -> str:
    """A fresh random master key as 44 characters of urlsafe base64, e.g. for COCFLOW_KEY."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _decode_key(text: str) -> bytes | None:
    """The 32 key bytes of ``text`` (urlsafe base64), or None when it is not such a key.

    The standard alphabet (``+/``, e.g. ``openssl rand -base64 32``) is accepted too: both
    spell the same bytes unambiguously.
    """
    text = text.strip()
    if len(text) != KEY_TEXT_CHARS:
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if len(raw) == KEY_BYTES else None


def read_master(key_path: Path, env_key: str | None, env_retired: str | None = None) -> list[bytes]:
    """The master keys themselves (for a key backup): the key, then the keys it replaced;
    from COCFLOW_KEY and COCFLOW_RETIRED_KEYS, else the key file."""
    if env_key is not None:
        master = _decode_key(env_key)
        if master is None:
            raise KeyProblem(
                "COCFLOW_KEY is not a key: it must be 44 characters of urlsafe base64.",
                "set it to the key you use, or unset it to use the key file.",
            )
        return [master, *_retired_from_env(env_retired)]
    if not os.path.lexists(key_path):
        raise KeyProblem(
            f"There is no key file at {key_path} yet.",
            "store a case first (a key is made then), or restore a key backup.",
            key_path,
        )
    return read_ring(key_path)


_BACKUP_FORMAT = 1
_RING_FORMAT = 2  # a key with the keys it replaced
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _passphrase_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def export_key(master: bytes | Sequence[bytes], passphrase: str) -> bytes:
    """The master key (or the ring: the key, then the keys it replaced) sealed with a
    passphrase (scrypt, then AES-256-GCM), as JSON text."""
    ring = [master] if isinstance(master, bytes) else list(master)
    master = b"".join(ring)
    if len(passphrase) < 12:
        raise ValueError("the passphrase needs at least 12 characters")
    salt, nonce = os.urandom(16), os.urandom(NONCE_BYTES)
    wrap = _passphrase_key(passphrase, salt, **_SCRYPT)
    sealed = AESGCM(wrap).encrypt(nonce, master, b"cocflow-key-backup")
    data = {
        "cocflow_key_backup": _BACKUP_FORMAT if len(ring) == 1 else _RING_FORMAT,
        "kdf": "scrypt",
        **_SCRYPT,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "sealed": base64.b64encode(sealed).decode(),
    }
    return (json.dumps(data, indent=2) + "\n").encode("ascii")


def import_key(blob: bytes, passphrase: str) -> list[bytes]:
    """The keys of a key backup: the key, then any it replaced; :class:`DecryptError` for a
    wrong passphrase or file."""
    try:
        data = json.loads(blob)
        formats = (_BACKUP_FORMAT, _RING_FORMAT)
        if data.get("cocflow_key_backup") not in formats or data.get("kdf") != "scrypt":
            raise ValueError("not a key backup")
        salt, nonce = base64.b64decode(data["salt"]), base64.b64decode(data["nonce"])
        sealed = base64.b64decode(data["sealed"])
        n, r, p = int(data["n"]), int(data["r"]), int(data["p"])
        if not (2**14 <= n <= 2**20 and r <= 16 and p <= 4):
            raise ValueError("unexpected scrypt parameters")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise DecryptError("The file is not a cocflow key backup.") from None
    try:
        master = AESGCM(_passphrase_key(passphrase, salt, n, r, p)).decrypt(
            nonce, sealed, b"cocflow-key-backup"
        )
    except InvalidTag:
        raise DecryptError("The passphrase does not open this key backup.") from None
    if not master or len(master) % KEY_BYTES:
        raise DecryptError("The file is not a cocflow key backup.")
    return [master[i : i + KEY_BYTES] for i in range(0, len(master), KEY_BYTES)]


def install_key(key_path: Path, master: bytes | Sequence[bytes]) -> bool:
    """Make ``master`` (or a ring: the key, then the keys it replaced) the key file; False
    when those keys are there already. A different key already in place is never replaced (it
    may be the one the data needs)."""
    ring = [master] if isinstance(master, bytes) else list(master)
    if os.path.lexists(key_path):
        held = read_ring(key_path)
        if held == ring:
            return False
        if held[0] == ring[0]:  # the same key: add the keys it replaced that were missing
            replace_ring(key_path, [*held, *(k for k in ring if k not in held)])
            return True
        raise KeyProblem(
            f"A different key is already at {key_path}.",
            "move it away first if you are sure the stored data does not need it.",
            key_path,
        )
    _create_key_file(key_path, ring[0])
    if len(ring) > 1:
        replace_ring(key_path, ring)
    return True


def load_keys(
    key_path: Path,
    env_key: str | None,
    *,
    data_exists: bool,
    on_create: Callable[[Path], None] | None = None,
    env_retired: str | None = None,
) -> Keys:
    """The keys from ``env_key`` (COCFLOW_KEY, with the keys it replaced in
    ``env_retired``: COCFLOW_RETIRED_KEYS) if given, else from ``key_path`` (its first line the
    key, any further lines the keys it replaced, newest first).

    A missing key file is created with a new random key only when ``data_exists`` is False:
    a new key can never read existing encrypted data, so it is never made over it.
    """
    if env_key is not None:
        master = _decode_key(env_key)
        if master is None:
            raise KeyProblem(
                "COCFLOW_KEY is not a key: it must be 44 characters of urlsafe base64 (32 bytes).",
                f"set COCFLOW_KEY to the 44-character key printed by {_NEW_KEY_HINT}, "
                "or to the key you used before; unset it to use the key file instead.",
            )
        return Keys.from_master(master, _retired_from_env(env_retired))
    if os.path.lexists(key_path):  # a dangling symlink is read (and refused), not replaced
        master, *retired = read_ring(key_path)
        return Keys.from_master(master, retired)
    if data_exists:
        raise KeyProblem(
            f"The key file {key_path} is missing, but encrypted data already exists.",
            "restore the key file from your backup (or set COCFLOW_KEY to the key): without "
            "it the stored SSNs and dates of birth cannot be read. A new key is not created "
            "because it could not read them either.",
            key_path,
        )
    keys = Keys.from_master(_create_key_file(key_path))
    if on_create is not None:
        on_create(key_path)
    return keys


def _retired_from_env(text: str | None) -> list[bytes]:
    keys = []
    for part in (text or "").replace(",", " ").split():
        master = _decode_key(part)
        if master is None:
            raise KeyProblem(
                "COCFLOW_RETIRED_KEYS holds something that is not a key.",
                "list the keys your key replaced (44 characters each), separated by commas.",
            )
        keys.append(master)
    return keys


def _read_key_file(path: Path) -> bytes:
    return read_ring(path)[0]


def read_ring(path: Path) -> list[bytes]:
    """The key file's keys: the key, then the keys it replaced (newest first)."""
    try:
        info = path.stat()
        if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
            raise KeyProblem(
                f"The key file {path} can be read or changed by other users "
                f"(mode {stat.S_IMODE(info.st_mode):03o}).",
                f"chmod 600 {path}",
                path,
            )
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(
            f"The key file {path} cannot be read ({type(exc).__name__}).",
            f"make {path} a regular file readable by you (chmod 600 {path}), or restore it "
            "from your backup.",
            path,
        ) from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    ring = [_decode_key(line) for line in lines]
    if not ring or any(master is None for master in ring):
        raise KeyProblem(
            f"The key file {path} does not hold a key (44 characters of urlsafe base64 on "
            "each line).",
            "restore the key file from your backup: without it the stored SSNs and dates of "
            "birth cannot be read. If nothing was ever encrypted, delete it to get a new key.",
            path,
        )
    return [m for m in ring if m is not None]


def replace_ring(path: Path, ring: Sequence[bytes]) -> None:
    """Make ``ring`` the key file's keys (the key first), replacing the file in one step."""
    text = b"".join(base64.urlsafe_b64encode(master) + b"\n" for master in ring)
    try:
        atomic_write(path, text, mode=0o600)
    except OSError as exc:
        raise KeyProblem(
            f"The key file {path} cannot be replaced ({type(exc).__name__}).",
            f"make {path.parent} writable by you, then run the command again.",
            path,
        ) from None


def _create_key_file(path: Path, master: bytes | None = None) -> bytes:
    """Create the key file exclusively; when another process won the race, use its key.

    The new key is written and synced under a temporary name, then hard-linked to ``path``,
    which fails if ``path`` exists: exactly one process's key becomes the key file, and every
    other process reads that one back instead of saving its own over it.
    """
    master = os.urandom(KEY_BYTES) if master is None else master
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(parents=True, mode=0o700, exist_ok=True)
            folder.chmod(0o700)  # mkdir's mode is reduced by the umask
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(base64.urlsafe_b64encode(master) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                return _read_key_file(path)  # another process created it first: use that key
        finally:
            Path(tmp).unlink(missing_ok=True)
        fsync_folder(folder)
    except OSError as exc:
        raise KeyProblem(
            f"A new key file {path} cannot be created ({type(exc).__name__}).",
            f"make {folder} writable by you, or set COCFLOW_KEY to the 44-character key "
            f"printed by {_NEW_KEY_HINT}.",
            path,
        ) from None
    return master


def _associated_data(table: str, column: str, row_id: str) -> bytes:
    # JSON of a list is unambiguous: ("a,b", "c") and ("a", "b,c") encode differently.
    return json.dumps([FORMAT_VERSION, table, column, row_id], ensure_ascii=True).encode("ascii")


def encrypt(keys: Keys, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
    """AES-256-GCM of ``plaintext``, bound to ``table``, ``column`` and ``row_id``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keys.data_key).encrypt(
        nonce, plaintext.encode("utf-8"), _associated_data(table, column, row_id)
    )
    return bytes([FORMAT_VERSION]) + nonce + sealed


def decrypt(keys: Keys, blob: bytes, *, table: str, column: str, row_id: str) -> str:
    """The plaintext of ``blob``; DecryptError if it is not authentic for this place and key."""
    where = f"{table}.{column} of row {row_id!r}"
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
        raise DecryptError(f"The encrypted value in {where} is truncated.")
    if blob[0] != FORMAT_VERSION:
        raise DecryptError(f"The encrypted value in {where} has unknown format {blob[0]}.")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    for key in keys.ring:
        try:
            plain = AESGCM(key.data_key).decrypt(
                nonce, sealed, _associated_data(table, column, row_id)
            )
            return plain.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            continue
    raise DecryptError(
        f"The encrypted value in {where} failed authentication: it was changed, "
        "encrypted with another key, or copied from another row or column."
    ) from None


def keyed_digest(keys: Keys, purpose: str, data: bytes) -> str:
    """HMAC-SHA256 hex of ``data`` for ``purpose`` with the MAC key (never stored with the data).

    Used wherever a digest would otherwise let someone holding only the database test guesses:
    files that hold an SSN (``request.json``, the letter), and the proof log's signed head.
    """
    message = purpose.encode("utf-8") + b"\0" + data
    return hmac.new(keys.mac_key, message, hashlib.sha256).hexdigest()


def digest_matches(keys: Keys, purpose: str, data: bytes, expected: str) -> bool:
    """Whether ``expected`` is the keyed digest of ``data`` under this key or one it replaced
    (an entry recorded before a rotation holds a digest made with the key of its day)."""
    return any(hmac.compare_digest(keyed_digest(key, purpose, data), expected) for key in keys.ring)


def blind_index(keys: Keys, value: str) -> str:
    """HMAC-SHA256 hex of ``value`` with the index key: find a person by SSN without storing it."""
    return hmac.new(keys.index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
