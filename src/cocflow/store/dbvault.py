"""The proof file's documents kept in the database, so every member of a team reaches them.

A team shares one PostgreSQL database but not one disk: a document stored in one person's
folder was missing for everyone else, and their ``proof verify`` called the proof file tampered
with. :class:`DatabaseVault` keeps each document's encrypted form (the same sealed format as the
folder vault, :mod:`cocflow.store.sealed`) in the ``vault_objects`` table under the same name,
after the same checks. A document that an older version left in the folder is still read from
there, and copied into the database the first time it is read.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocflow.store.models import ObjectRow
from cocflow.store.repo import now
from cocflow.store.vault import StoredFile, Vault

__all__ = ["DatabaseVault"]


class DatabaseVault(Vault):
    """A :class:`Vault` whose objects live in the database (``root`` is only read, for
    documents stored there before)."""

    def __init__(
        self,
        engine: Engine,
        root: Path,
        max_bytes: int = 25 * 1024 * 1024,
        key: bytes | None = None,
        retired: Sequence[bytes] = (),
    ) -> None:
        super().__init__(root, max_bytes, key, retired)
        self.engine = engine

    def names(self) -> list[str]:
        """Every object in the database and any an older version left in the folder."""
        with Session(self.engine) as session:
            stored = set(session.scalars(select(ObjectRow.name)))
        return sorted(stored | set(super().names()))

    def _replace_raw(self, sha256: str, data: bytes) -> None:
        self._open(sha256)  # an object still in the folder is copied in first
        with Session(self.engine) as session, session.begin():
            session.execute(update(ObjectRow).where(ObjectRow.name == sha256).values(data=data))

    def exists(self, sha256: str) -> bool:
        self.path(sha256)  # refuses a malformed name
        with Session(self.engine) as session:
            if session.get(ObjectRow, sha256) is not None:
                return True
        return super().exists(sha256)

    def _open(self, sha256: str) -> BinaryIO:
        self.path(sha256)
        with Session(self.engine) as session:
            row = session.get(ObjectRow, sha256)
            if row is not None:
                return io.BytesIO(row.data)
        data = super().raw(sha256)  # FileNotFoundError when it is nowhere
        self.put_raw(sha256, data)
        return io.BytesIO(data)

    def put_raw(self, sha256: str, data: bytes) -> None:
        self.path(sha256)
        try:
            with Session(self.engine) as session, session.begin():
                if session.get(ObjectRow, sha256) is None:
                    session.add(ObjectRow(name=sha256, data=data, created_at=now()))
        except IntegrityError:
            return  # another member stored the same document at the same moment

    def signature(self, sha256: str) -> tuple[int, int]:
        """Objects in the database are never replaced: their stored size says it all."""
        with Session(self.engine) as session:
            size = session.scalar(
                select(func.length(ObjectRow.data)).where(ObjectRow.name == sha256)
            )
        return (int(size), 0) if size is not None else super().signature(sha256)

    def _store(
        self,
        source: io.RawIOBase | io.BytesIO,
        claimed: str,
        what: str,
        name: str | None = None,
    ) -> StoredFile:
        buffer, first, media_type, text = self._begin(source, claimed, what)
        sealed = bytearray()
        sha, size = self._copy(source, sealed.extend, buffer, first, text)
        sha = name or sha
        self.put_raw(sha, bytes(sealed))
        return StoredFile(sha256=sha, size=size, media_type=media_type)
