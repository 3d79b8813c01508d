"""Files encrypted at rest, written and read as a stream (certificates carry the SSN).

Format: ``b"CFV1"``, a random 16-byte file id, then chunks of up to :data:`SEAL_CHUNK` bytes
of plaintext, each stored as ``nonce (12) + AES-256-GCM ciphertext and tag``. Each chunk's
associated data names the file id, the chunk's index and whether it is the last one, so a
chunk moved, dropped, reordered or cut off at the end fails to decrypt. The last chunk is
always written, empty if need be, so a file cut at a chunk boundary fails too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cocflow.store.crypto import DecryptError

__all__ = ["MAGIC", "SEAL_CHUNK", "SealedWriter", "is_sealed", "open_ring", "open_sealed", "seal"]

MAGIC = b"CFV1"
SEAL_CHUNK = 1024 * 1024
_ID = 16
_NONCE = 12
_TAG = 16


def _aad(file_id: bytes, index: int, last: bool) -> bytes:
    return json.dumps(["cocflow-vault", 1, file_id.hex(), index, last]).encode("ascii")


def is_sealed(head: bytes) -> bool:
    return head[: len(MAGIC)] == MAGIC


class SealedWriter:
    """Encrypts what is written to it and passes the result to ``out``, chunk by chunk."""

    def __init__(self, key: bytes, out: Callable[[bytes], None]) -> None:
        self._aead = AESGCM(key)
        self._out = out
        self._id = os.urandom(_ID)
        self._index = 0
        self._pending = bytearray()
        out(MAGIC + self._id)

    def write(self, data: bytes | memoryview) -> None:
        self._pending += data
        while len(self._pending) > SEAL_CHUNK:  # keep one chunk back: it may be the last
            self._seal(bytes(self._pending[:SEAL_CHUNK]), last=False)
            del self._pending[:SEAL_CHUNK]

    def finish(self) -> None:
        self._seal(bytes(self._pending), last=True)
        self._pending.clear()

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, chunk, _aad(self._id, self._index, last))
        self._out(nonce + sealed)
        self._index += 1


def _read_exactly(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    return data if data is not None else b""


def open_sealed(key: bytes, handle: BinaryIO) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk; :class:`DecryptError` if it was changed,
    cut short or encrypted with another key."""
    aead = AESGCM(key)
    header = _read_exactly(handle, len(MAGIC) + _ID)
    if len(header) != len(MAGIC) + _ID or not is_sealed(header):
        raise DecryptError("The stored file is not an encrypted cocflow file.")
    file_id = header[len(MAGIC) :]
    index = 0
    block = _read_exactly(handle, _NONCE + SEAL_CHUNK + _TAG)
    while True:
        following = _read_exactly(handle, _NONCE + SEAL_CHUNK + _TAG) if block else b""
        last = not following
        if len(block) < _NONCE + _TAG:
            raise DecryptError("The stored file is cut short.")
        nonce, sealed = block[:_NONCE], block[_NONCE:]
        try:
            yield aead.decrypt(nonce, sealed, _aad(file_id, index, last))
        except InvalidTag:
            raise DecryptError(
                "The stored file failed authentication: it was changed, cut short or "
                "encrypted with another key."
            ) from None
        if last:
            return
        block, index = following, index + 1


def open_ring(keys: Sequence[bytes], handle: BinaryIO) -> Iterator[bytes]:
    """:func:`open_sealed` with the first of ``keys`` that opens the file (a file sealed before
    a key rotation opens with the key it was sealed with)."""
    for n, key in enumerate(keys):
        handle.seek(0)
        chunks = open_sealed(key, handle)
        try:
            first = next(chunks, None)
        except DecryptError:
            if n == len(keys) - 1:
                raise
            continue
        if first is not None:
            yield first
        yield from chunks
        return
    raise DecryptError("The stored file is encrypted and no key was given.")


def seal(key: bytes, data: bytes) -> bytes:
    """``data`` sealed whole."""
    out: list[bytes] = []
    writer = SealedWriter(key, out.append)
    writer.write(data)
    writer.finish()
    return b"".join(out)
