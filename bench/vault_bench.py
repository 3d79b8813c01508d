"""Vault ingest speed, measured against `sha256sum` on the same file in the same run.

A file of --size bytes (default 1 GiB) with a PDF header is written to a temporary folder, then
`Vault.ingest` (read, hash, write, fsync, rename, fsync the folder) and `sha256sum FILE` (read
and hash only) are each timed twice; the better run counts (the first read warms the page cache
for both). Goal: the ingest rate is 80% or more of the sha256sum rate.

Run: .venv/bin/python bench/vault_bench.py [--size BYTES]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cocflow.store.vault import Vault

BLOCK = 64 * 1024 * 1024
GOAL = 0.80
MIB = 1024 * 1024


def build_file(path: Path, size: int) -> str:
    """Write ``size`` bytes (a PDF header, then a repeated random block); return the sha256."""
    block = bytearray(os.urandom(min(BLOCK, size)))
    block[:9] = b"%PDF-1.7\n"[: len(block)]
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        left = size
        while left:
            piece = memoryview(block)[: min(left, len(block))]
            handle.write(piece)
            digest.update(piece)
            left -= len(piece)
            block[:9] = os.urandom(9)  # later copies of the block differ from the first
        handle.flush()
        os.fsync(handle.fileno())  # its write-back must not slow the timed runs
    return digest.hexdigest()


def time_ingest(
    source: Path, work: Path, size: int, expected: str, key: bytes | None = None
) -> float:
    root = work / "vault"
    shutil.rmtree(root, ignore_errors=True)  # a fresh store each run: no dedup shortcut
    vault = Vault(root, max_bytes=size + 1, key=key)
    start = time.perf_counter()
    stored = vault.ingest(source)
    elapsed = time.perf_counter() - start
    if stored.sha256 != expected or stored.size != size:
        sys.exit(f"ingest stored the wrong bytes: {stored}")
    shutil.rmtree(root)
    return elapsed


def time_sha256sum(source: Path, expected: str) -> float:
    start = time.perf_counter()
    out = subprocess.run(["sha256sum", str(source)], check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.stdout.split()[0] != expected:
        sys.exit("sha256sum disagrees with the expected digest")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024 * MIB, help="file size in bytes")
    args = parser.parse_args()
    size: int = args.size
    with tempfile.TemporaryDirectory(prefix="vault-bench-") as folder:
        work = Path(folder)
        source = work / "document.pdf"
        start = time.perf_counter()
        expected = build_file(source, size)
        print(f"wrote {size / MIB:.0f} MiB in {time.perf_counter() - start:.2f} s")
        key = os.urandom(32)  # the product encrypts every object at rest
        sealed, plain, hashes = [], [], []
        for _ in range(2):  # interleaved, so that none gets the only warm cache
            sealed.append(time_ingest(source, work, size, expected, key))
            plain.append(time_ingest(source, work, size, expected))
            hashes.append(time_sha256sum(source, expected))
        hashing = min(hashes)
        hash_rate = size / MIB / hashing
        print("runs (s): encrypted " + ", ".join(f"{t:.3f}" for t in sealed), end="; ")
        print("plain " + ", ".join(f"{t:.3f}" for t in plain), end="; ")
        print("sha256sum " + ", ".join(f"{t:.3f}" for t in hashes))
        print(f"sha256sum              : {hashing:7.3f} s  {hash_rate:8.1f} MiB/s")
        for label, runs in (("Vault.ingest encrypted", sealed), ("Vault.ingest plain    ", plain)):
            rate = size / MIB / min(runs)
            ratio = rate / hash_rate
            verdict = "ok" if ratio >= GOAL else "BELOW GOAL"
            print(
                f"{label} : {min(runs):7.3f} s  {rate:8.1f} MiB/s  = {ratio:.0%} of sha256sum "
                f"(goal >= {GOAL:.0%}): {verdict}"
            )


if __name__ == "__main__":
    main()
