"""The child of tests/test_crash.py: writes to one case's proof file until it is killed.

Usage: ``python tests/crash_writer.py HOME CASE_ID ROUND``

It opens the store in ``HOME`` (``COCFLOW_HOME``) as a new process would, prints ``READY``, then
loops forever, alternating ``record(case_id, "note", ...)`` and ``add(case_id, "other", file)`` of
a freshly written, unique .txt file (a few KB, or about 1 MB every eighth file so a kill can land
in the middle of the copy into the vault). After each call returns it prints
``ACK <kind> <entry hash>`` and flushes: a printed hash is one the store acknowledged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cocflow.io.settings import Settings
from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for

BIG_EVERY = 8  # every eighth file is about 1 MB


def _text(round_: int, i: int) -> str:
    size = 1024 * 1024 if (i // 2) % BIG_EVERY == BIG_EVERY - 1 else 2048 + 97 * (i % 31)
    line = f"crash round {round_} call {i}: proof of delivery, page text\n"
    return (line * (size // len(line) + 1))[:size]


def main(argv: list[str]) -> None:
    home, case_id, round_ = Path(argv[1]), argv[2], int(argv[3])
    settings = Settings.from_env({"COCFLOW_HOME": str(home)})
    casework = open_casework(settings, rules_for(settings))
    inbox = home.parent / "inbox"
    inbox.mkdir(exist_ok=True)
    print("READY", flush=True)
    i = 0
    while True:
        if i % 2 == 0:
            entry = casework.record(case_id, "note", {"round": round_, "i": i})
        else:
            source = inbox / f"r{round_}-{i}.txt"
            source.write_text(_text(round_, i), encoding="utf-8")
            entry = casework.add(case_id, "other", source, {})
        print(f"ACK {entry.kind} {entry.hash}", flush=True)
        if i % 2:
            source.unlink()  # the vault has its copy
        i += 1


if __name__ == "__main__":
    main(sys.argv)
