"""Two colleagues on one PostgreSQL database, each with their own computer (their own
COCFLOW_HOME) and the team's key: each verifies and exports the proof file the other made.
Before the documents lived in the database, each saw the other's proof file as tampered with."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.cases import open_casework
from cocflow.store.crypto import new_key_text
from tests.vaults import stored_names

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)


def test_a_colleague_verifies_and_exports_a_proof_file_made_elsewhere(
    database_url: str, tmp_path: Path, rules: RuleBook
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("a team shares a PostgreSQL database")
    key = new_key_text()
    first, second = (
        open_casework(
            Settings.from_env(
                {
                    "COCFLOW_HOME": str(tmp_path / who),
                    "COCFLOW_DATABASE_URL": database_url,
                    "COCFLOW_KEY": key,
                }
            ),
            rules,
        )
        for who in ("ana", "ben")
    )
    try:
        case_id, _ = first.new_case(read_case(ROOT / "examples" / "filing-complete.yaml"), TODAY)
        fax = tmp_path / "fax.txt"
        fax.write_bytes(b"Fax sent OK, 3 pages\n")
        first.add(case_id, "submission", fax, {"channel": "fax", "date": "2026-12-01"})
        assert not (tmp_path / "ana" / "files" / "objects").exists()  # nothing on one disk
        assert len(stored_names(first)) == 1
        assert second.verify(case_id) is None
        out = second.export(case_id, tmp_path / "ben-proof.zip")
        with zipfile.ZipFile(out) as archive:
            sent = [n for n in archive.namelist() if n.endswith("fax.txt")]
            assert sent and archive.read(sent[0]) == b"Fax sent OK, 3 pages\n"
    finally:
        first.close()
        second.close()
