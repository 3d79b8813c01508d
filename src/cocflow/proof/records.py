"""What a proof record may say: its kind, its channel in one spelling, a certificate's country
and period checked. Pure: details in, the payload to record (or every problem) out."""

from __future__ import annotations

from typing import Any

from cocflow.countries import normalize_country
from cocflow.errors import InputError, Problem
from cocflow.isodate import parse_iso_date
from cocflow.text import control_character

__all__ = ["CHANNELS", "KINDS", "certificate_details", "normalize_channel", "record_details"]

# proof add --kind  ->  event kind
KINDS = {
    "submission": "submitted",
    "approval": "approved",
    "certificate": "certificate_received",
    "delivery": "delivered",
    "extension": "extension_requested",
    "other": "document",
}

CHANNELS = {
    "online": "online",
    "web": "online",
    "mail": "mail",
    "post": "mail",
    "letter": "mail",
    "fax": "fax",
    "email": "email",
    "e-mail": "email",
    "e mail": "email",
    "hand": "hand",
    "in person": "hand",
}


def normalize_channel(given: str) -> str:
    """One spelling per channel ("E-Mail", "e-mail" and "email" are one)."""
    key = " ".join(given.strip().lower().replace("_", " ").split())
    if key in CHANNELS:
        return CHANNELS[key]
    raise InputError(
        [
            Problem(
                "--channel",
                "BAD_CHANNEL",
                f"'{given}' is not a channel.",
                f"use one of {', '.join(sorted(set(CHANNELS.values())))}.",
            )
        ]
    )


def certificate_details(details: dict[str, Any]) -> dict[str, Any]:
    """A certificate's country and period are what the checkpoints and the watcher compare."""
    problems = []
    country = (details.get("country") or "").strip() or None
    try:
        code = normalize_country(country) if country else None
    except ValueError as exc:
        code = None
        problems.append(
            Problem(
                "--country",
                "BAD_COUNTRY",
                f"{exc}.",
                "use an ISO code such as PT, as printed on the certificate.",
            )
        )
    if country is None:
        problems.append(
            Problem(
                "--country",
                "REQUIRED",
                "a certificate needs its country.",
                "add --country as printed on the certificate.",
            )
        )
    if not details.get("period_start"):
        problems.append(
            Problem(
                "--period-start",
                "REQUIRED",
                "a certificate needs the first day it covers.",
                "add --period-start YYYY-MM-DD.",
            )
        )
    dates = {}
    for key in ("period_start", "period_end"):
        if details.get(key):
            try:
                dates[key] = parse_iso_date(details[key]).isoformat()
            except ValueError as exc:
                problems.append(
                    Problem(
                        f"--{key.replace('_', '-')}", "BAD_DATE", f"{exc}.", "write YYYY-MM-DD."
                    )
                )
    if len(dates) == 2 and dates["period_end"] < dates["period_start"]:
        problems.append(
            Problem(
                "--period-end",
                "DATES_OUT_OF_ORDER",
                "the period ends before it starts.",
                "copy both dates from the certificate.",
            )
        )
    if problems:
        raise InputError(problems)
    return {"country": code, **dates}


def record_details(details: dict[str, Any]) -> dict[str, Any]:
    """The details of any record, checked: its date is a real date, its texts hold no control
    characters, its channel has one spelling. Values left out are not recorded."""
    payload = {k: v for k, v in details.items() if v is not None}
    problems: list[Problem] = []
    if "date" in payload:
        try:
            payload["date"] = parse_iso_date(str(payload["date"])).isoformat()
        except ValueError as exc:
            problems.append(Problem("--date", "BAD_DATE", f"{exc}.", "write YYYY-MM-DD."))
    for key, value in payload.items():
        bad = control_character(value) if isinstance(value, str) else None
        if bad is not None:
            problems.append(
                Problem(
                    f"--{key.replace('_', '-')}",
                    "CONTROL_CHARACTER",
                    f"the text holds a control character ({bad}).",
                    "type it again without it.",
                )
            )
    if problems:
        raise InputError(problems)
    if "channel" in payload:
        payload["channel"] = normalize_channel(str(payload["channel"]))
    return payload
