"""The proof file's hash chain: each entry holds the hash of the one before.

Pure functions over plain values. An entry's hash covers its position, case, kind, time,
payload and the previous hash, as canonical JSON, so changing any byte of an entry, removing
one or reordering them breaks the chain at the first entry affected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["GENESIS", "ChainEntry", "canonical", "entry_hash", "first_break"]

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text for one value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ChainEntry:
    seq: int
    case_id: str
    kind: str
    at: str  # ISO 8601, UTC
    payload: str  # canonical JSON
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """The entry for people and exports, its payload parsed."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "at": self.at,
            "payload": json.loads(self.payload),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def entry_hash(  # noqa: PLR0917 - the fields of an entry, in their order
    seq: int, case_id: str, kind: str, at: str, payload: str, prev_hash: str
) -> str:
    body = canonical(
        {"seq": seq, "case": case_id, "kind": kind, "at": at, "payload": payload, "prev": prev_hash}
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def first_break(entries: Sequence[ChainEntry]) -> tuple[int, str] | None:
    """``None`` when the chain is whole, else (seq of the first bad entry, what is wrong)."""
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            return entry.seq, f"entry {expected_seq} is missing or out of order"
        if entry.prev_hash != prev:
            return entry.seq, "it does not follow the entry before it"
        recomputed = entry_hash(
            entry.seq, entry.case_id, entry.kind, entry.at, entry.payload, entry.prev_hash
        )
        if recomputed != entry.hash:
            return entry.seq, "its content was changed after it was written"
        try:
            json.loads(entry.payload)
        except ValueError:
            return entry.seq, "its payload is not readable"
        prev = entry.hash
    return None
