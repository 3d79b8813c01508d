"""Proof-file records in words: what a person (or a foreign inspector) reads for each entry."""

from __future__ import annotations

from typing import Any

__all__ = ["entry_sentence"]


def entry_sentence(kind: str, p: dict[str, Any]) -> str:
    """A proof-file entry as a sentence a person reads (the dates are the ones recorded),
    naming the team member who recorded it, when one did."""
    said = _sentence(kind, p)
    who = (p.get("by") or {}).get("name") if isinstance(p.get("by"), dict) else None
    return f"{said} Recorded by {who}." if who else said


def _sentence(kind: str, p: dict[str, Any]) -> str:
    on = f" on {p['date']}" if p.get("date") else ""
    channel = p.get("channel")
    by = {"online": " online", "hand": " by hand", None: ""}.get(channel, f" by {channel}")
    file = p.get("file")
    kept = f" [file {file['sha256'][:12]}, {file['media_type']}]" if file else ""
    if kind == "screened":
        codes = ", ".join(p.get("reasons", [])[:3])
        return f"Screened: {p.get('outcome')} as of {p.get('as_of')} ({codes})."
    if kind == "facts_changed":
        return f"The case facts changed: {', '.join(p.get('paths', []))}."
    if kind == "request_prepared":
        end = p.get("period_end") or "open-ended"
        what = {"extension": "Extension request", "correction": "Correction request"}.get(
            p.get("purpose", ""), "Request"
        )
        due = f"; file by {p['file_by']}" if p.get("file_by") else ""
        ready = "" if p.get("ready", True) else " (the check found errors: not counted)"
        return f"{what} prepared, to send{by} ({p.get('period_start')} to {end}){due}{ready}."
    if kind == "submitted":
        ref = f", control number {p['control_number']}" if p.get("control_number") else ""
        track = f", tracking {p['tracking']}" if p.get("tracking") else ""
        return f"Request submitted{by}{on}{ref}{track}.{kept}"
    if kind == "request_approved":
        return "Request signed off by a reviewer (the exact request data prepared)."
    if kind == "approved":
        return f"Approval received{on}.{kept}"
    if kind == "certificate_received":
        return (
            f"Certificate received for {p.get('country', '?')}, {p.get('period_start', '?')} to "
            f"{p.get('period_end', '?')}.{kept}"
        )
    if kind == "delivered":
        proof = "with proof of receipt" if file else "no proof of receipt on file yet"
        return f"Certificate delivered to {p.get('to', '?')}{by}{on}, {proof}.{kept}"
    if kind == "extension_requested":
        return f"Extension requested{by}{on}.{kept}"
    if kind == "watch_findings":
        action = "; action needed" if p.get("needs_action") else ""
        return f"The watcher found: {', '.join(p.get('codes', []))}{action}."
    note = f": {p['note']}" if p.get("note") else ""
    return f"{kind.replace('_', ' ').capitalize()}{on}{note}.{kept}"
