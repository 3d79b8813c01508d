"""How to file: online by default, mail or fax as the fallback, each with its sources.

Employers and self-employed people may request online (SSA's online service page); the older
claim that the self-employed must mail or fax is recorded in ``process.yaml`` as superseded.
Employees cannot use the online form themselves. "Verify before filing" is shown only when the
online service's own facts are not firm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cocflow.filing.packet import Channel
from cocflow.rules.model import EMPLOYER_ONLY, Agreement
from cocflow.rules.process import Process

__all__ = ["CHANNELS", "ChannelAdvice", "choose_channel"]

CHANNELS: tuple[Channel, ...] = ("online", "mail", "fax")


@dataclass(frozen=True, slots=True)
class ChannelAdvice:
    channel: Channel  # the one to use (the person's choice, or the recommendation)
    recommended: Channel
    allowed: tuple[Channel, ...]
    verify: bool  # sources disagree: "verify before filing"
    notes: tuple[tuple[str, tuple[str, ...]], ...]  # (text, source URLs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "recommended": self.recommended,
            "allowed": list(self.allowed),
            "status": "verify before filing" if self.verify else "sources agree",
            "notes": [{"text": t, "sources": list(s)} for t, s in self.notes],
        }


def choose_channel(
    kind: str,
    agreements: tuple[Agreement, ...],
    process: Process,
    chosen: Channel | None = None,
) -> ChannelAdvice:
    """The channel advice for a worker of ``kind`` under ``agreements``."""
    notes: list[tuple[str, tuple[str, ...]]] = []
    online = process.online
    notes.append((f"Online at {online.value}: {online.note or ''}".strip(), online.urls))
    notes.append(
        (
            f"By mail to {', '.join(process.mail.value)}, or by fax to {process.fax.value}.",
            process.mail.urls + process.fax.urls,
        )
    )
    verify = online.confidence not in ("high", "medium")
    if kind == "employee":
        notes.append(
            (
                "An employee cannot use the online form: the employer requests online, "
                "or anyone may write by mail or fax.",
                online.urls,
            )
        )
        for agreement in agreements:
            for extra in agreement.request_extras:
                if extra.id == EMPLOYER_ONLY:
                    notes.append((f"{agreement.name}: {extra.text}", extra.urls))
    return ChannelAdvice(chosen or "online", "online", CHANNELS, verify, tuple(notes))
