"""A roster file between the import's steps: kept sealed for the session that sent it, replaced
by its next file, gone after a day, and after a key rotation (which ends every session)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocflow.services.cases import Casework
from cocflow.store.models import UploadRow
from cocflow.store.team import TeamStore


def test_a_session_s_file_is_kept_sealed_replaced_and_expires(team_work: Casework) -> None:
    team = TeamStore(team_work.store.engine, team_work.store.keys)
    org = team.create_org("Rivera & Co")
    team.keep_upload("s1", org, "clients.csv", b"Client ID;Name\nC-1;Ana Lima\n")
    team.keep_upload("s2", org, "other.csv", b"Client ID\nC-9\n")
    assert team.upload("s1") == ("clients.csv", b"Client ID;Name\nC-1;Ana Lima\n")
    team.keep_upload("s1", org, "again.csv", b"Client ID\nC-2\n")  # the next file replaces it
    assert team.upload("s1") == ("again.csv", b"Client ID\nC-2\n")
    with Session(team.engine) as session:
        stored = list(session.scalars(select(UploadRow.data)))
    assert len(stored) == 2 and not any(b"Client ID" in data for data in stored)
    with Session(team.engine) as session, session.begin():
        session.execute(
            update(UploadRow)
            .where(UploadRow.session_digest == "s2")
            .values(created_at="2020-01-01T00:00:00+00:00")
        )
    assert team.upload("s2") is None  # a day old: not given out
    team.keep_upload("s3", org, "new.csv", b"x")  # and removed at the next upload
    with Session(team.engine) as session:
        names = set(session.scalars(select(UploadRow.session_digest)))
    assert names == {"s1", "s3"}
    team.drop_upload("s1")
    assert team.upload("s1") is None
    team.rewrap()  # a key rotation ends every session, and their files with them
    assert team.upload("s3") is None
