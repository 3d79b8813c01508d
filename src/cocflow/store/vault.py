"""The proof file's content-addressed store: every document is kept once, named by its SHA-256.

A document (the request, SSA's approval e-mail, the certificate, proof of delivery) is streamed
into a nameless file in ``root/tmp/`` while it is hashed (and, with a key, encrypted: a
certificate carries the SSN), fsynced, then named ``root/objects/<2 hex>/<62 hex>`` after the
SHA-256 of its plaintext, and the folder is fsynced. The same document is therefore stored once,
a stored object can be decrypted and re-hashed at any time (:meth:`Vault.verify`), and a crash
leaves nothing behind.

Only five kinds of document are accepted (:data:`MEDIA_TYPES`). The kind is sniffed from the
content and must agree with the file's extension (or the declared media type); the source's
name is otherwise never used, neither as a path nor as stored data. Every rejection is an
:class:`~cocflow.errors.InputError` with one :class:`~cocflow.errors.Problem` at path ``FILE``,
and leaves nothing behind. Folders are created 0700 and objects written 0600.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cocflow.errors import InputError, Problem
from cocflow.io.atomic import StagedFile, atomic_write, remove_stale
from cocflow.store.crypto import DecryptError
from cocflow.store.sealed import MAGIC, SealedWriter, is_sealed, open_ring, open_sealed, seal

__all__ = ["MEDIA_TYPES", "StoredFile", "Vault"]

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EML, TXT = "message/rfc822", "text/plain"
MEDIA_TYPES: dict[str, str] = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", EML: "EML", TXT: "TXT"}
"""Accepted media types and the short name used in messages."""

EXTENSIONS = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".eml": EML, ".txt": TXT}
CHUNK = 8 * 1024 * 1024
SNIFF = 64 * 1024  # the e-mail header block is looked for in the first 64 KiB
MAIL_FIELDS = frozenset({"from", "date", "subject", "message-id", "received"})
_FIELD = re.compile(r"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredFile:
    """A document in the vault: its SHA-256 (lowercase hex), size in bytes and media type."""

    sha256: str
    size: int
    media_type: str


def _reject(code: str, message: str, fix: str) -> InputError:
    return InputError([Problem("FILE", code, message, fix)])


def _looks_like_mail(head: bytes) -> bool:
    """True if the first non-empty lines are header fields and one names a mail field."""
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = text.lstrip("\r\n").splitlines()
    if len(head) >= SNIFF and lines:
        lines.pop()  # cut by the sniff window
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if not line:
            break
        if line[0] in " \t":
            if index == 0:
                return False
            continue
        match = _FIELD.match(line)
        if match is None:
            return False
        seen.add(match.group(1).lower())
    return bool(seen & MAIL_FIELDS)


def _sniff(head: bytes) -> str | None:
    """The most specific media type the first bytes show; text is provisional (see _Text)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if b"\0" in head:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return EML if _looks_like_mail(head) else TXT


class _Text:
    """Checks, chunk by chunk, that a text document is valid UTF-8 without NUL bytes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: memoryview | bytes, final: bool = False) -> None:
        chunk = bytes(chunk)
        try:
            if b"\0" in chunk:
                raise ValueError
            self._decoder.decode(chunk, final=final)
        except ValueError:  # UnicodeDecodeError is a ValueError
            raise _reject(
                "FILE_TYPE_NOT_ALLOWED",
                "The text is not valid UTF-8 (or contains NUL bytes).",
                "Save the document as UTF-8 text, or as PDF.",
            ) from None


def _agree(claimed: str, content: str | None, what: str) -> str:
    """The media type to store, or the rejection when the content disagrees with the claim."""
    if content is None:
        raise _reject(
            "FILE_TYPE_NOT_ALLOWED",
            f"The content is none of the accepted kinds ({', '.join(MEDIA_TYPES.values())}).",
            "Convert the document to PDF (or PNG/JPEG for a picture) and add it again.",
        )
    if content == claimed or (claimed == TXT and content == EML):
        return claimed  # an e-mail saved as .txt is still valid text
    raise _reject(
        "FILE_TYPE_MISMATCH",
        f"The {what} says {MEDIA_TYPES[claimed]} but the content is {MEDIA_TYPES[content]}.",
        f"Check that this is the right document; if so, give it the {MEDIA_TYPES[content]} "
        "extension.",
    )


def _too_large(limit: int) -> InputError:
    return _reject(
        "FILE_TOO_LARGE",
        f"The file is larger than the {limit / (1024 * 1024):g} MB limit.",
        "Reduce it (scan at a lower resolution, or split it) and add it again.",
    )


def _empty() -> InputError:
    return _reject("FILE_EMPTY", "The file is empty.", "Choose the saved document, not a blank.")


def _writer(fd: int) -> Callable[[bytes | memoryview], None]:
    def write_all(data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    return write_all


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Vault:
    """A content-addressed document store under ``root``; files over ``max_bytes`` are refused."""

    def __init__(
        self,
        root: Path,
        max_bytes: int = 25 * 1024 * 1024,
        key: bytes | None = None,
        retired: Sequence[bytes] = (),
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.key = key  # with a key, objects are encrypted at rest (sealed.py)
        self.retired = tuple(retired)  # keys it replaced: they still open older objects

    # -- reading ------------------------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        """Where the object ``sha256`` (64 lowercase hex digits) is or would be stored."""
        if not isinstance(sha256, str) or _HEX64.fullmatch(sha256) is None:
            raise ValueError(f"not a SHA-256 in lowercase hex: {sha256!r}")
        return self.root / "objects" / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def _open(self, sha256: str) -> BinaryIO:
        """The stored form of the object (FileNotFoundError if there is none)."""
        return open(self.path(sha256), "rb")

    def raw(self, sha256: str) -> bytes:
        """The object as stored (encrypted when the vault has a key), for backups."""
        with self._open(sha256) as handle:
            return handle.read()

    def put_raw(self, sha256: str, data: bytes) -> None:
        """Put back an object as :meth:`raw` gave it (restoring a backup)."""
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(target, data)

    def names(self) -> list[str]:
        """The names of every stored object."""
        root = self.root / "objects"
        found = [f"{p.parent.name}{p.name}" for p in root.rglob("*") if p.is_file()]
        return sorted(n for n in found if _HEX64.fullmatch(n))

    def reseal(self, name: str) -> bool:
        """Seal the object again with the current key if another key sealed it (after a key
        rotation); True when it was."""
        if self.key is None:
            return False
        data = self.raw(name)
        if not is_sealed(data[: len(MAGIC)]):
            return False
        try:
            for _ in open_sealed(self.key, io.BytesIO(data)):
                pass
            return False  # the current key opens it already
        except DecryptError:
            pass
        try:
            plain = b"".join(open_ring(self.retired, io.BytesIO(data)))
        except DecryptError:
            return False  # no key opens it: left as it is, for its proof file to report
        self._replace_raw(name, seal(self.key, plain))
        return True

    def _replace_raw(self, sha256: str, data: bytes) -> None:
        atomic_write(self.path(sha256), data)  # a new file renamed over the old one

    def signature(self, sha256: str) -> tuple[int, int]:
        """What changes when the stored object is replaced: (size, modification time), or
        (-1, -1) when it is missing."""
        try:
            info = self.path(sha256).stat()
        except OSError:
            return (-1, -1)
        return (info.st_size, info.st_mtime_ns)

    def _plain(self, sha256: str) -> Iterator[bytes]:
        """The document's bytes, chunk by chunk (decrypted when it was stored encrypted)."""
        with self._open(sha256) as handle:
            if is_sealed(handle.read(len(MAGIC))):
                if self.key is None:
                    raise DecryptError("The stored file is encrypted and no key was given.")
                yield from open_ring((self.key, *self.retired), handle)
                return
            handle.seek(0)
            while chunk := handle.read(CHUNK):
                yield chunk

    def read(self, sha256: str) -> bytes:
        """The document; FileNotFoundError if there is no such object, DecryptError if its
        encrypted form was changed."""
        return b"".join(self._plain(sha256))

    def verify(self, sha256: str, named: Callable[[bytes], str] | None = None) -> bool:
        """Decrypt and re-hash the stored object; False if it is missing, was changed, or no
        longer has the SHA-256 it is stored under (or, for an object stored under a keyed name,
        the name ``named`` gives its bytes)."""
        if named is not None:
            try:
                return named(self.read(sha256)) == sha256
            except (FileNotFoundError, DecryptError):
                return False
        digest = hashlib.sha256()
        try:
            for chunk in self._plain(sha256):
                digest.update(chunk)
        except (FileNotFoundError, DecryptError):
            return False
        return digest.hexdigest() == sha256

    # -- storing ------------------------------------------------------------------------------

    def ingest(self, source: Path) -> StoredFile:
        """Store the document at ``source`` (a regular file, not a symlink) and describe it."""
        claimed = EXTENSIONS.get(Path(source).suffix.lower())
        try:
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            raise _reject(
                "FILE_NOT_FOUND", "There is no such file.", "Check the file's name and folder."
            ) from None
        except OSError as exc:  # ELOOP: the path is a symlink
            if os.path.islink(source):
                raise self._not_regular() from None
            raise _reject(
                "FILE_NOT_READABLE",
                f"The file cannot be opened ({exc.strerror}).",
                "Check that you may read it.",
            ) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self._not_regular()
        except BaseException:
            os.close(fd)
            raise
        with io.FileIO(fd, "r") as handle:
            if info.st_size > self.max_bytes:
                raise _too_large(self.max_bytes)
            if claimed is None:
                raise _reject(
                    "FILE_TYPE_NOT_ALLOWED",
                    "The file's extension is not one of .pdf, .png, .jpg, .jpeg, .eml, .txt.",
                    "Convert the document to PDF (or PNG/JPEG for a picture) and add it again.",
                )
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            return self._store(handle, claimed, "name")

    def ingest_bytes(self, data: bytes, media_type: str, name: str | None = None) -> StoredFile:
        """Store a document cocflow generated; ``media_type`` must agree with the content.

        ``name`` (64 lowercase hex digits) stores it under a keyed digest instead of its
        SHA-256: a generated letter holds an SSN and could be rebuilt, so a plain hash of it
        would let someone holding only the files test guesses."""
        if media_type not in MEDIA_TYPES:
            raise _reject(
                "FILE_TYPE_NOT_ALLOWED",
                f"The media type {media_type!r} is not accepted.",
                f"Use one of {', '.join(MEDIA_TYPES)}.",
            )
        if len(data) > self.max_bytes:
            raise _too_large(self.max_bytes)
        if name is not None:
            self.path(name)  # refuses a name that is not 64 lowercase hex digits
        return self._store(io.BytesIO(data), media_type, "declared type", name)

    @staticmethod
    def _not_regular() -> InputError:
        return _reject(
            "FILE_NOT_REGULAR",
            "The path is not a regular file (a folder, link or device).",
            "Choose the document itself.",
        )

    def _begin(
        self, source: io.RawIOBase | io.BytesIO, claimed: str, what: str
    ) -> tuple[bytearray, int, str, _Text | None]:
        """The first chunk read and checked: the buffer, its length, the media type sniffed
        from it (it must agree with ``claimed``) and a text checker for text kinds."""
        limit = self.max_bytes
        buffer = bytearray(min(CHUNK, limit + 1))
        first = source.readinto(buffer) or 0
        if first == 0:
            raise _empty()
        if first > limit:
            raise _too_large(limit)
        media_type = _agree(claimed, _sniff(bytes(buffer[: min(first, SNIFF)])), what)
        return buffer, first, media_type, (_Text() if media_type in (TXT, EML) else None)

    def _dir(self, path: Path) -> bool:
        """Create ``path`` 0700 if missing; True if it was created."""
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            return False
        os.chmod(path, 0o700)  # whatever the umask
        return True

    def _store(
        self,
        source: io.RawIOBase | io.BytesIO,
        claimed: str,
        what: str,
        name: str | None = None,
    ) -> StoredFile:
        """Copy ``source`` into the vault, hashing and checking it; the shared storage path."""
        buffer, first, media_type, text = self._begin(source, claimed, what)
        if not self.root.is_dir():
            self.root.parent.mkdir(parents=True, exist_ok=True)
        for folder in (self.root, self.root / "tmp", self.root / "objects"):
            self._dir(folder)
        remove_stale(self.root / "tmp", "*.tmp")  # left by a killed process
        staged = StagedFile(self.root / "tmp", "ingest", 0o600)  # nameless until complete
        try:
            sha, size = self._copy(source, _writer(staged.fd), buffer, first, text)
            staged.sync()  # durable before it gets its name
            sha = name or sha
            target = self.path(sha)
            if not target.exists():
                created = self._dir(target.parent)
                staged.publish(target)
                _fsync_dir(target.parent)
                if created:
                    _fsync_dir(target.parent.parent)
        finally:
            staged.discard()
            staged.close()
        return StoredFile(sha256=sha, size=size, media_type=media_type)

    def _copy(
        self,
        source: io.RawIOBase | io.BytesIO,
        write_all: Callable[[bytes | memoryview], None],
        buffer: bytearray,
        n: int,
        text: _Text | None,
    ) -> tuple[str, int]:
        """Hash and write ``buffer[:n]`` then the rest of ``source`` through ``write_all``,
        encrypted when the vault has a key; (sha256 of the plaintext, size)."""
        sealer = SealedWriter(self.key, write_all) if self.key is not None else None
        sink = sealer.write if sealer is not None else write_all
        view = memoryview(buffer)
        limit = self.max_bytes
        digest = hashlib.sha256()
        size = 0
        while n:
            chunk = view[:n]
            size += n
            if size > limit:
                raise _too_large(limit)
            digest.update(chunk)
            if text is not None:
                text.feed(chunk)
            sink(chunk)
            n = source.readinto(view[: min(len(buffer), limit - size + 1)]) or 0
        if text is not None:
            text.feed(b"", final=True)
        if sealer is not None:
            sealer.finish()
        return digest.hexdigest(), size
