"""Known SSNs and dates of birth written through every command never appear in plain text:
not in the database files (WAL included), the proof files, the exports, nor on screen."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from cocflow.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
SSN = "123-45-6789"
DOB = "1988-04-12"
NEEDLES = [
    SSN.encode(),
    SSN.replace("-", "").encode(),
    b"123 45 6789",
    DOB.encode(),
    b"12/04/1988",
    b"04/12/1988",
]


def _hits(data: bytes) -> list[bytes]:
    return [n for n in NEEDLES if n in data]


def test_no_plaintext_ssn_or_birth_date_anywhere(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    screens: list[str] = []

    def cli(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(app, list(args), input=stdin)
        assert result.exit_code == 0, result.stdout + result.stderr
        screens.append(result.stdout + result.stderr)
        return result.stdout

    case = str(ROOT / "examples" / "filing-complete.yaml")
    case_id = json.loads(cli("case", "new", case, "--format", "json", "--as-of", "2026-11-25"))[
        "id"
    ]
    cli("case", "list")
    # The SSN is read from standard input, never from the command line.
    assert case_id in cli("case", "list", "--ssn", stdin="123 45 6789\n")
    assert case_id not in cli("case", "list", "--ssn", stdin="123-45-6780\n")
    cli("case", "show", case_id)
    cli("case", "show", case_id, "--format", "json")
    updated = tmp_path / "updated.yaml"
    updated.write_text(Path(case).read_text().replace("2027-12-31", "2027-11-30"))
    cli("case", "update", case_id, str(updated), "--as-of", "2026-11-25")
    cli("check", str(updated), "--as-of", "2026-11-25")
    cli(
        "request",
        str(updated),
        "--out",
        str(tmp_path / "filed"),
        "--case",
        case_id,
        "--as-of",
        "2026-11-25",
    )
    receipt = tmp_path / "receipt.txt"
    receipt.write_text("Received the certificate, thank you.\n")
    cli("proof", "add", case_id, str(receipt), "--kind", "delivery", "--to", "client")
    # A certificate carries the SSN: the vault keeps it encrypted.
    certificate = tmp_path / "certificate.txt"
    certificate.write_text(f"U.S. Certificate of Coverage for SSN {SSN}\n")
    cli("proof", "add", case_id, str(certificate), "--kind", "other")
    cli("proof", "list", case_id)
    cli("proof", "list", case_id, "--format", "json")
    cli("proof", "verify", case_id)
    cli("status", case_id)
    cli("proof", "export", case_id, "--out", str(tmp_path / "bundle.zip"))

    stored = [p for p in home.rglob("*") if p.is_file() and p.name != "key"]
    assert any(p.name.endswith("-wal") for p in stored) or any(p.suffix == ".db" for p in stored)
    for path in stored:
        assert not _hits(path.read_bytes()), path
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        documents = [n for n in archive.namelist() if n.startswith("files/")]
        for name in set(archive.namelist()) - set(documents):
            assert not _hits(archive.read(name)), name
        # the bundle is what the person hands over: the certificate in it is readable
        assert any(SSN.encode() in archive.read(n) for n in documents)
    for screen in screens:
        assert not _hits(screen.encode()), screen
        assert not re.search(r"\b\d{3}-\d{2}-\d{4}\b", screen)
    # the filing itself must carry the SSN: SSA needs it
    assert SSN.encode() in (tmp_path / "filed" / "request.json").read_bytes()
