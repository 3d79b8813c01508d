"""A whole store in one encrypted file, and back: every table's rows and every vault object.

The backup is a zip (``tables.json`` and ``objects/<sha256>``, the objects as stored, i.e.
encrypted) sealed as a whole with the store's data key (:mod:`cocflow.store.sealed`). It can be read
only with the same key, so back up the key apart from it. :func:`restore` refuses a store that
already holds cases, writes every row in one transaction, and checks every proof file with the
same verification as ``cocflow proof verify``.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, select, text
from sqlalchemy.orm import Session

from cocflow.errors import InputError, Problem
from cocflow.io.atomic import atomic_write
from cocflow.io.inputs import read_input_bytes
from cocflow.store.crypto import DecryptError
from cocflow.store.models import Base, CaseRow, DraftRow, EventRow, FileRow, SecretRow, TripRow
from cocflow.store.sealed import SealedWriter, open_sealed

__all__ = ["BACKUP_FORMAT", "backup", "restore"]

BACKUP_FORMAT = 1
MAX_BACKUP_BYTES = 64 * 1024 * 1024 * 1024
_TABLES: tuple[type[Base], ...] = (CaseRow, SecretRow, DraftRow, FileRow, EventRow, TripRow)


def _row(row: Base) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        if isinstance(column.type, LargeBinary) and value is not None:
            value = base64.b64encode(value).decode("ascii")
        out[column.key] = value
    return out


def _unrow(model: type[Base], data: dict[str, Any]) -> Base:
    values = {}
    for column in model.__table__.columns:
        value = data.get(column.key)
        if isinstance(column.type, LargeBinary) and value is not None:
            value = base64.b64decode(value)
        values[column.key] = value
    return model(**values)


def backup(work: Any, out: Path) -> tuple[int, int]:
    """Write the store behind ``work`` (a Casework) to ``out``; (cases, documents) saved."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with Session(work.store.reader) as session:
        for model in _TABLES:
            rows = session.scalars(select(model)).all()
            tables[model.__tablename__] = [_row(r) for r in rows]
    members = io.BytesIO()
    with zipfile.ZipFile(members, "w", zipfile.ZIP_STORED) as archive:
        head = {"cocflow_backup": BACKUP_FORMAT, "tables": tables}
        archive.writestr("tables.json", json.dumps(head, sort_keys=True))
        for file in tables["files"]:
            archive.writestr(f"objects/{file['sha256']}", work.vault.raw(file["sha256"]))
    sealed: list[bytes] = []
    writer = SealedWriter(work.store.keys.data_key, sealed.append)
    writer.write(members.getvalue())
    writer.finish()
    atomic_write(out, b"".join(sealed))
    return len(tables["cases"]), len(tables["files"])


def _refuse(code: str, message: str, fix: str) -> InputError:
    return InputError([Problem("BACKUP", code, message, fix)])


def restore(work: Any, source: Path) -> list[tuple[str, tuple[int, str] | None]]:
    """Restore ``source`` into the empty store behind ``work``; each case with its verification
    (``None`` when its proof file checks out)."""
    data = read_input_bytes(source, "the backup", MAX_BACKUP_BYTES)
    try:
        plain = b"".join(open_sealed(work.store.keys.data_key, io.BytesIO(data)))
    except DecryptError:
        raise _refuse(
            "NOT_READABLE",
            "the backup cannot be read with this store's key (another key, or a changed file).",
            "use the key the backup was made with (COCFLOW_KEY or the key file).",
        ) from None
    if work.store.list_cases():
        raise _refuse(
            "STORE_NOT_EMPTY",
            "this store already holds cases; a restore would mix two stores.",
            "restore into a new COCFLOW_HOME (or database), then check it.",
        )
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        head = json.loads(archive.read("tables.json"))
        if head.get("cocflow_backup") != BACKUP_FORMAT:
            raise _refuse("BAD_FORMAT", "the file is not a cocflow backup.", "check the file.")
        tables = head["tables"]
        for file in tables["files"]:
            work.vault.put_raw(file["sha256"], archive.read(f"objects/{file['sha256']}"))
    with Session(work.store.engine) as session, session.begin():
        for model in _TABLES:
            for row in tables.get(model.__tablename__, []):
                session.add(_unrow(model, row))
            session.flush()
        if session.get_bind().dialect.name == "postgresql":  # numbering continues after them
            for table in ("events", "trips"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
    return [(c["id"], work.verify(c["id"])) for c in tables["cases"]]
