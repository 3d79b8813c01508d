"""A process killed while writing leaves nothing behind: no hidden file with the SSN in it,
no temporary copy of a certificate. The death is simulated with ``os._exit`` at the worst
moment (the data written, not yet named), which skips every cleanup, as SIGKILL does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SSN_DOCUMENT = b'{"ssn": "123-45-6789"}' + b" " * 1_000


def _die_while_writing(script: str, tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import os, sys
        from cocflow.io import atomic
        def die(self):
            os._exit(9)  # killed: no finally, no cleanup

        atomic.StagedFile.sync = die
        """
    ) + textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
    assert done.returncode == 9


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE (Linux)")
def test_a_killed_document_write_leaves_no_file(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    _die_while_writing(
        """
        from pathlib import Path
        document = b'{"ssn": "123-45-6789"}' + b" " * 1_000_000
        atomic.atomic_write_all(Path(sys.argv[1]) / "out", {"request.json": document})
        """,
        tmp_path,
    )
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE (Linux)")
def test_a_killed_proof_add_leaves_no_temporary_copy(tmp_path: Path) -> None:
    _die_while_writing(
        """
        from pathlib import Path
        from cocflow.store.vault import Vault
        Vault(Path(sys.argv[1]) / "files", max_bytes=10_000_000).ingest_bytes(
            b"%PDF-1.4 certificate 123-45-6789" + b" " * 1_000_000, "application/pdf"
        )
        """,
        tmp_path,
    )
    left = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert left == []


def test_temporary_files_of_a_killed_write_are_removed_later(tmp_path: Path) -> None:
    # Where O_TMPFILE is missing, a hidden temporary file can survive a kill: the next write of
    # the same file removes it once it is clearly stale.
    from cocflow.io.atomic import STALE_AFTER_SECONDS, atomic_write

    leftover = tmp_path / ".request.json.abc123.tmp"
    leftover.write_bytes(SSN_DOCUMENT)
    old = leftover.stat().st_mtime - STALE_AFTER_SECONDS - 10
    os.utime(leftover, (old, old))
    atomic_write(tmp_path / "request.json", b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["request.json"]
