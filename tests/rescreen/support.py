"""Cases and rules for re-screening tests: business moves to Germany of known lengths, and a
copy of the shipped rules whose German self-employment limit is shortened from 60 months to 24
(POMS RS 02001.115 gives 60; the copy is a rules change, as a new package version would be)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from cocflow.case import Case
from cocflow.io.casefile import read_case

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "src" / "cocflow" / "rules" / "data"
GERMANY = ROOT / "examples" / "germany-business-move-3-years.yaml"
SHORT_LIMIT = 24
TODAY = date(2026, 11, 25)


def shortened_rules(folder: Path) -> Path:
    """The shipped rules with the German self-employment limit at SHORT_LIMIT months."""
    shutil.copytree(SHIPPED, folder)
    text = (folder / "de.yaml").read_text(encoding="utf-8")
    at = text.index("self_employed:")
    changed = text[at:].replace("limit_months: 60", f"limit_months: {SHORT_LIMIT}", 1)
    assert changed != text[at:]
    (folder / "de.yaml").write_text(text[:at] + changed, encoding="utf-8")
    return folder


def move(months: int, start: date = date(2027, 6, 1)) -> Case:
    """The example's business move to Germany, lasting ``months`` whole months."""
    base = read_case(GERMANY)
    year, month = divmod(start.month - 1 + months, 12)
    end = date(start.year + year, month + 1, 1) - timedelta(days=1)
    engagement = replace(base.engagements[0], start=start, end=end)
    worker = replace(base.worker, residence=(base.worker.residence[0],))
    return replace(base, engagements=(engagement,), worker=worker)


def over_the_short_limit(case: Case) -> bool:
    """Computed apart from the engine: the move lasts more than SHORT_LIMIT whole months."""
    engagement = case.engagements[0]
    assert engagement.end is not None
    months = (engagement.end.year - engagement.start.year) * 12 + (
        engagement.end.month - engagement.start.month
    )
    months += 1 if (engagement.end + timedelta(days=1)).day == 1 else 0
    return months > SHORT_LIMIT
