"""The filing packet: exactly what a certificate request says, ready to render.

Built by :mod:`cocflow.filing.build` from a checked case; rendered by :mod:`cocflow.documents.pdf`.
Everything here is plain text and dates, so renderers never look anything up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

__all__ = ["Channel", "FilingPacket", "Item", "OnlineField", "PostalAddress"]

Channel = Literal["online", "mail", "fax"]


@dataclass(frozen=True, slots=True)
class PostalAddress:
    line1: str
    city: str
    country: str  # English name, for printing
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None

    def lines(self) -> tuple[str, ...]:
        """The address as printed lines."""
        locality = " ".join(
            p
            for p in (self.city + ("," if self.region else ""), self.region, self.postal_code)
            if p
        )
        return tuple(x for x in (self.line1, self.line2, locality, self.country) if x)


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled statement of the request (``label``: ``value``)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class OnlineField:
    """A field of SSA's online form: its value and the (assumed) length limit."""

    label: str
    value: str
    limit: int | None

    @property
    def cut(self) -> str | None:
        """What the form would keep, when the value is longer than the limit."""
        if self.limit is None or len(self.value) <= self.limit:
            return None
        return self.value[: self.limit]


@dataclass(frozen=True, slots=True)
class FilingPacket:
    """A U.S. certificate of coverage request, as filed."""

    prepared_on: date
    channel: Channel
    worker_kind: Literal["self_employed", "employee"]
    agreement_name: str  # "Germany", "Quebec"
    work_country_name: str  # "Germany"
    full_legal_name: str
    ssn: str  # 123-45-6789: the request needs it in full; never printed elsewhere
    period_start: date
    period_end: date | None
    coverage_from: date  # the start, or the actual start when the work has begun
    items: tuple[Item, ...]  # every required item, in the order SSA lists them
    extras: tuple[Item, ...]  # the agreement's own extra items
    ssa_address: tuple[str, ...]
    ssa_fax: str
    online_url: str
    sender_address: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    ask_email_confirmation: bool = False
    file_by: date | None = None
    timing_note: str | None = None
    online_fields: tuple[OnlineField, ...] = field(default_factory=tuple)

    @property
    def ssn_last4(self) -> str:
        return self.ssn[-4:]

    @property
    def subject(self) -> str:
        return (
            f"Request for a U.S. certificate of coverage under the U.S.-"
            f"{self.agreement_name} social security agreement"
        )
