"""Reaching into a vault's stored objects the way an attacker with the disk or the database
could: the folder vault's files, or the rows of the database vault."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocflow.services.cases import Casework
from cocflow.store.dbvault import DatabaseVault
from cocflow.store.models import ObjectRow


def stored_names(work: Casework) -> list[str]:
    """The names of the objects stored (in the database, or the folder)."""
    if isinstance(work.vault, DatabaseVault):
        with Session(work.store.engine) as session:
            return list(session.scalars(select(ObjectRow.name)))
    root = work.vault.root / "objects"
    return [f"{p.parent.name}{p.name}" for p in root.rglob("*") if p.is_file()]


def rewrite(work: Casework, name: str, change: Callable[[bytes], bytes]) -> None:
    """Replace a stored object's bytes (as stored, encrypted or not) by ``change`` of them."""
    if isinstance(work.vault, DatabaseVault):
        data = change(work.vault.raw(name))
        with Session(work.store.engine) as session, session.begin():
            session.execute(update(ObjectRow).where(ObjectRow.name == name).values(data=data))
        return
    path = work.vault.path(name)
    path.chmod(0o600)
    path.write_bytes(change(path.read_bytes()))
