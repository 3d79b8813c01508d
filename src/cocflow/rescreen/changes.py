"""What changed between a stored decision and the same case screened again under other rules:
the outcome, each segment's coverage and certificate, the reasons added and removed, the file-by
date. Decisions are compared as the decision JSON (``Decision.as_dict()``); the rules version
and the wording of texts are not changes by themselves. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PROVENANCE", "Changes", "changes", "changes_from_dict"]

# Reasons that say where the rules came from, not what they decide: a run under rules being
# reviewed (COCFLOW_RULES_DIR) adds one to every case, which is not a change of the case.
PROVENANCE = frozenset({"RULES_NOT_SHIPPED"})


@dataclass(frozen=True, slots=True)
class Changes:
    """``outcome``: (before, after) when it changed; ``segments``: each segment (country and
    dates) whose coverage or certificate changed, appeared or went, as (segment, before,
    after); ``reasons_added``/``reasons_removed``: reason codes; ``file_by``: (before, after)."""

    outcome: tuple[str, str] | None
    segments: tuple[tuple[str, str, str], ...]
    reasons_added: tuple[str, ...]
    reasons_removed: tuple[str, ...]
    file_by: tuple[str | None, str | None] | None

    @property
    def any(self) -> bool:
        return bool(
            self.outcome
            or self.segments
            or self.reasons_added
            or self.reasons_removed
            or self.file_by
        )

    @property
    def reopens(self) -> bool:
        """A case that was go and no longer is: its exemption may not be relied on."""
        return self.outcome is not None and self.outcome[0] == "go"

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": list(self.outcome) if self.outcome else None,
            "segments": [{"segment": s, "before": b, "after": a} for s, b, a in self.segments],
            "reasons_added": list(self.reasons_added),
            "reasons_removed": list(self.reasons_removed),
            "file_by": list(self.file_by) if self.file_by else None,
        }

    def summary(self) -> str:
        """One line for people: "outcome go -> pause; PT 2027-03-01..: us -> foreign; ..."."""
        parts = []
        if self.outcome:
            parts.append(f"outcome {self.outcome[0]} -> {self.outcome[1]}")
        parts += [f"{s}: {b} -> {a}" for s, b, a in self.segments]
        if self.reasons_added:
            parts.append("reasons added: " + ", ".join(self.reasons_added))
        if self.reasons_removed:
            parts.append("reasons removed: " + ", ".join(self.reasons_removed))
        if self.file_by:
            parts.append(f"file by {self.file_by[0] or 'none'} -> {self.file_by[1] or 'none'}")
        return "; ".join(parts) or "no change"


def _segments(decision: dict[str, Any]) -> dict[str, str]:
    found = {}
    for segment in decision.get("segments") or []:
        name = f"{segment.get('country')} {segment.get('start')}..{segment.get('end') or ''}"
        found[name] = f"{segment.get('coverage')}/{segment.get('certificate')}"
    return found


def _reasons(decision: dict[str, Any]) -> set[str]:
    codes = {str(r.get("code")) for r in decision.get("reasons") or []}
    for segment in decision.get("segments") or []:
        codes |= {str(r.get("code")) for r in segment.get("reasons") or []}
    return codes - PROVENANCE


def changes(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """What changed from ``before`` to ``after`` (two decision JSONs of one case)."""
    old_outcome, new_outcome = str(before.get("outcome")), str(after.get("outcome"))
    old_segments, new_segments = _segments(before), _segments(after)
    segments = tuple(
        (name, old_segments.get(name, "none"), new_segments.get(name, "none"))
        for name in sorted(old_segments.keys() | new_segments.keys())
        if old_segments.get(name) != new_segments.get(name)
    )
    old_reasons, new_reasons = _reasons(before), _reasons(after)
    old_file_by, new_file_by = before.get("file_by"), after.get("file_by")
    return Changes(
        (old_outcome, new_outcome) if old_outcome != new_outcome else None,
        segments,
        tuple(sorted(new_reasons - old_reasons)),
        tuple(sorted(old_reasons - new_reasons)),
        (old_file_by, new_file_by) if old_file_by != new_file_by else None,
    )


def changes_from_dict(data: dict[str, Any]) -> Changes:
    """:meth:`Changes.as_dict` read back."""
    outcome, file_by = data.get("outcome"), data.get("file_by")
    return Changes(
        (str(outcome[0]), str(outcome[1])) if outcome else None,
        tuple((s["segment"], s["before"], s["after"]) for s in data.get("segments") or []),
        tuple(data.get("reasons_added") or ()),
        tuple(data.get("reasons_removed") or ()),
        (file_by[0], file_by[1]) if file_by else None,
    )
