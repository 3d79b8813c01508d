"""The reviewer's sign-off of a team's request, and the check that guards recording it as filed.

An approval is a ``request_approved`` entry in the case's proof log holding the keyed digest of
the exact ``request.json`` it approves (the same digest the ``request_prepared`` entry holds),
recorded by a member other than the one who prepared it. It stands while that request is the
case's last and no fact of the case changed after it. A case of an organisation cannot have its
submission recorded while its sign-off does not stand, whichever face records it: the check is
installed on :class:`~cocflow.services.cases.Casework` itself (:func:`guard`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cocflow.errors import CocflowError
from cocflow.proof.chain import ChainEntry
from cocflow.services.cases import Casework
from cocflow.store.team import TeamStore

__all__ = ["Approval", "NotApproved", "approval", "approval_of", "guard"]


class NotApproved(CocflowError):
    """The request was not approved by a reviewer (or the approval no longer holds)."""


@dataclass(frozen=True, slots=True)
class Approval:
    """Where a case's sign-off stands: ``state`` is "none" (no request prepared), "waiting",
    "approved" or "void" (approved, then the facts changed)."""

    state: str
    request_mac: str | None = None
    preparer: str | None = None
    reviewer: str | None = None
    why: str = ""


def _last(
    entries: Sequence[ChainEntry],
    kind: str,
    keep: Callable[[dict[str, Any]], bool],
    after: ChainEntry | None = None,
) -> ChainEntry | None:
    """The last entry of ``kind`` whose payload ``keep`` accepts (only after ``after``)."""
    for entry in reversed(entries):
        if after is not None and entry.seq <= after.seq:
            return None
        if entry.kind == kind and keep(json.loads(entry.payload)):
            return entry
    return None


def approval(work: Casework, case_id: str) -> Approval:
    """Where the sign-off of the case's last prepared request stands."""
    return approval_of(work.entries(case_id))


def approval_of(entries: Sequence[ChainEntry]) -> Approval:
    """Where the sign-off stands, from the case's proof log ``entries``."""
    request = _last(entries, "request_prepared", lambda p: "purpose" not in p)
    if request is None:
        return Approval("none")
    payload = json.loads(request.payload)
    mac = payload.get("request_json_mac")
    preparer = (payload.get("by") or {}).get("id")
    approved = _last(
        entries, "request_approved", lambda p: p.get("request_json_mac") == mac, after=request
    )
    if approved is None:
        return Approval("waiting", mac, preparer)
    reviewer = (json.loads(approved.payload).get("by") or {}).get("id")
    if _last(entries, "facts_changed", lambda _: True, after=approved) is not None:
        return Approval("void", mac, preparer, reviewer, "the facts changed after approval")
    return Approval("approved", mac, preparer, reviewer)


def guard(work: Casework) -> Callable[[str, str], None]:
    """The check :meth:`Casework.add` runs first: recording a team case's submission needs its
    sign-off to stand. A case of no organisation (a single person's) is not checked."""
    team = TeamStore(work.store.engine, work.store.keys)

    def check(case_id: str, kind: str) -> None:
        if kind != "submission":
            return
        place = team.case_place(case_id)
        if place is None or place[0] is None:
            return
        state = approval(work, case_id)
        if state.state != "approved":
            raise NotApproved(
                "The request cannot be recorded as filed before a reviewer approves it"
                + (f" ({state.why}: approve it again)." if state.why else ".")
            )

    return check
