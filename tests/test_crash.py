"""Crash consistency of the proof file, in the style of SQLite's crash tests.

One case is created, then for many rounds a child process (tests/crash_writer.py) appends to
its proof file as fast as it can (notes, and documents copied into the vault, some about 1 MB)
and prints the hash of each entry the store acknowledged. After a random delay the parent kills
it with SIGKILL, wherever it is: in SQLite's commit, in the middle of a copy into the vault,
between the copy and the log entry. After every kill, as a new process would, the parent checks:

- SQLite's ``PRAGMA integrity_check`` says ``ok`` (and there is no foreign-key violation);
- the entries of earlier rounds are unchanged, and every acknowledged hash is there, in order,
  right after them (at most one more entry: committed, killed before it was printed);
- ``verify(case_id)`` is None: the chain is intact and every file it names re-hashes;
- every file under ``files/objects/`` re-hashes to its name, each file row of the database has
  its object, and nothing but ``tmp/`` and ``objects/`` is in the vault. ``files/tmp/`` may hold
  a killed copy's leftovers: they are never visible.

A SIGKILL leaves the operating system's caches intact, so this tests the order of writes and
renames and SQLite's recovery, not the fsyncs (a power cut would be needed for those).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.proof.chain import ChainEntry
from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for
from cocflow.store.crypto import load_keys
from cocflow.store.vault import Vault

from .conftest import AS_OF, ROOT

pytestmark = pytest.mark.skipif(
    os.name != "posix", reason="kills the writer with SIGKILL, which only POSIX has"
)

ROUNDS = 50
MIN_DELAY, MAX_DELAY = 0.020, 0.300  # seconds between the writer's READY and the kill
WRITER = Path(__file__).with_name("crash_writer.py")
EXAMPLE = ROOT / "examples" / "filing-complete.yaml"
HEX = frozenset("0123456789abcdef")


@dataclass
class Tally:
    rounds: int = 0
    killed_after_ack: int = 0
    acknowledged: int = 0
    unacknowledged_commits: int = 0
    files_added: int = 0
    mid_copy: int = 0  # kills that left a new temporary file: in the middle of a copy
    before_log: int = 0  # kills between a file's arrival in the vault and its log entry
    leftovers: int = 0
    orphans: int = 0
    totals: list[int] = field(default_factory=list)


def _settings(home: Path) -> Settings:
    return Settings.from_env({"COCFLOW_HOME": str(home)})


def _kill_writer(home: Path, case_id: str, round_: int, delay: float, log: Path) -> list[str]:
    """Start the writer, kill it ``delay`` s after it is ready; the entry hashes it printed."""
    with log.open("ab") as errors:
        child = subprocess.Popen(
            [sys.executable, str(WRITER), str(home), case_id, str(round_)],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert child.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout or ()))
    with child, child.stdout:
        try:
            first = child.stdout.readline()
            if first != "READY\n":
                pytest.fail(f"the writer did not start: {first!r}\n{log.read_text()}")
            reader.start()
            time.sleep(delay)
            exited = child.poll()
        finally:
            child.send_signal(signal.SIGKILL)  # no-op if it has already exited
            code = child.wait()
            if reader.is_alive():
                reader.join()
    assert exited is None, f"the writer stopped by itself:\n{log.read_text()}"
    assert code == -signal.SIGKILL, code
    # A line cut by the kill has no newline: its entry may be committed, it was not acknowledged.
    acks = [line.split() for line in lines if line.endswith("\n")]
    assert all(len(a) == 3 and a[0] == "ACK" for a in acks), lines
    return [a[2] for a in acks]


def _check_database(home: Path) -> None:
    with closing(sqlite3.connect(home / "cocflow.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _check_vault(home: Path) -> tuple[set[str], int]:
    """The objects (all decrypted and re-hashed to their names) and how many leftovers tmp/
    holds."""
    files = home / "files"
    settings = _settings(home)
    vault = Vault(files, key=load_keys(settings.key_path, None, data_exists=True).data_key)
    objects: set[str] = set()
    leftovers = 0
    for path in sorted(files.rglob("*")):
        parts = path.relative_to(files).parts
        if parts[0] == "tmp":
            leftovers += len(parts) > 1
            continue
        assert parts[0] == "objects", f"unexpected in the vault: {path}"
        assert all(set(p) <= HEX for p in parts[1:]), f"not an object's name: {path}"
        if len(parts) < 3:
            assert path.is_dir() and (len(parts) == 1 or len(parts[1]) == 2), path
            continue
        name = parts[1] + parts[2]
        assert len(parts) == 3 and len(name) == 64 and path.is_file(), path
        assert vault.verify(name), f"partial or changed object: {path}"
        objects.add(name)
    with closing(sqlite3.connect(home / "cocflow.db")) as db:
        rows = {sha for (sha,) in db.execute("SELECT sha256 FROM files")}
    assert rows <= objects, f"file rows without their object: {sorted(rows - objects)}"
    return objects, leftovers


def _named(entries: list[ChainEntry]) -> set[str]:
    files = (json.loads(e.payload).get("file") for e in entries)
    return {f["sha256"] for f in files if f}


def _check_round(
    home: Path, case_id: str, before: list[ChainEntry], acks: list[str], tally: Tally
) -> list[ChainEntry]:
    """All the checks after one kill; the entries now in the proof file."""
    _check_database(home)
    settings = _settings(home)
    casework = open_casework(settings, rules_for(settings))  # a fresh engine, as after a restart
    try:
        entries = casework.entries(case_id)
        assert casework.verify(case_id) is None
    finally:
        casework.store.engine.dispose()
    assert entries[: len(before)] == before, "an earlier entry changed or disappeared"
    new = entries[len(before) :]
    assert [e.hash for e in new[: len(acks)]] == acks, "an acknowledged entry is missing"
    assert len(new) - len(acks) in (0, 1), "more entries than calls"
    objects, leftovers = _check_vault(home)
    orphans = len(objects - _named(entries))
    tally.mid_copy += leftovers > tally.leftovers
    tally.before_log += orphans > tally.orphans
    tally.leftovers, tally.orphans = leftovers, orphans
    tally.rounds += 1
    tally.killed_after_ack += bool(acks)
    tally.acknowledged += len(acks)
    tally.unacknowledged_commits += len(new) - len(acks)
    tally.files_added += sum(e.kind == "document" for e in new)
    tally.totals.append(len(entries))
    return entries


def test_kill_writer_anywhere_leaves_store_consistent(tmp_path: Path) -> None:
    start = time.monotonic()
    home = tmp_path / "home"
    settings = _settings(home)
    casework = open_casework(settings, rules_for(settings))
    try:
        case_id, _ = casework.new_case(read_case(EXAMPLE), AS_OF)
        entries = casework.entries(case_id)
    finally:
        casework.store.engine.dispose()
    assert len(entries) == 1
    key = (home / "key").read_bytes()

    chance = random.Random(1234)
    tally = Tally()
    log = tmp_path / "writer-stderr.log"
    for round_ in range(ROUNDS):
        delay = chance.uniform(MIN_DELAY, MAX_DELAY)
        acks = _kill_writer(home, case_id, round_, delay, log)
        entries = _check_round(home, case_id, entries, acks, tally)

    assert (home / "key").read_bytes() == key
    seconds = time.monotonic() - start
    print(
        f"\ncrash test: {tally.rounds} rounds, {tally.killed_after_ack} killed after an ack, "
        f"{tally.mid_copy} mid-copy, {tally.before_log} between vault and log, "
        f"{tally.unacknowledged_commits} between commit and ack; {tally.acknowledged} entries "
        f"acknowledged ({tally.files_added} documents), {len(entries)} in all, "
        f"{tally.leftovers} tmp leftovers, {seconds:.1f} s"
    )
    assert tally.rounds == ROUNDS
    assert tally.killed_after_ack >= 40, tally
    assert tally.totals == sorted(tally.totals), "the proof file shrank"
    assert tally.totals[-1] >= 1 + tally.acknowledged
    assert tally.totals[-1] > tally.totals[len(tally.totals) // 2] > 1, tally.totals
    shutil.rmtree(home / "files")  # about 150 MB; kept when the test fails
