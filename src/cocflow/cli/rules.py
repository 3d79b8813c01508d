"""The rules data's commands: ``rules diff OLD NEW`` and ``rules stale``.

``OLD``, ``NEW`` are folders of rules data (validated as ``COCFLOW_RULES_DIR`` is), or the word
``shipped`` for the data shipped with cocflow (``./shipped`` is a folder of that name). A folder
that is missing or whose data is invalid stops the command with exit status 2 and says which
file and key, and how to fix it. Paths of values: see :mod:`cocflow.services.rulesdiff`.

``rules diff --format json`` prints one object::

    {
      "cocflow_rules_diff": 1,
      "old": {"data": "shipped" | "/abs/folder", "version": "2026.12.02+1a2b3c4d5e6f"},
      "new": {"data": ..., "version": ...},
      "summary": {"changed": 0, "added": 0, "removed": 0, "sources": 0, "reverified": 0,
                  "agreements_added": 0, "agreements_removed": 0},
      "agreements_added": [{"id": "NZ", "name": "New Zealand", "status": "in_force"}],
      "agreements_removed": [...],
      "changes": [
        {"path": "agreements.DE.self_employed[1996-05-01].limit_months",
         "kind": "changed",            # changed | added | removed | sources | reverified
         "agreement": "DE",            # null for network.* and process.*
         "old": {"value": 60, "sources": ["https://..."], "last_verified": "2026-12-02"},
         "new": {"value": 48, "sources": ["https://..."], "last_verified": "2026-12-02"}}
      ]
    }

``old`` is null for ``added``, ``new`` null for ``removed``. ``value`` is the value as in the
data (a number, text, a date as ``YYYY-MM-DD``, a list, or for a part added or removed whole,
a mapping without its empty keys and without its own ``sources``, which are given apart).
``sources`` are the URLs of the value's sources and ``last_verified`` the newest date they were
checked (null for a value without sources). For ``sources`` (the list of sources changed) and
``reverified`` (only their ``verified`` dates changed), ``path`` is the list's own path (it
ends in ``sources``, ``_sources`` or is ``network.agreements_list``) and ``value`` is the list:
``[{"url", "title", "section"?, "verified"}]``. Changes come in the order of the data:
agreements by id, then ``network``, then ``process``. Agreements added or removed are listed
apart, not value by value.

``rules stale --format json`` prints one object::

    {
      "cocflow_rules_stale": 1,
      "rules": {"data": "shipped" | "/abs/folder", "version": "..."},
      "as_of": "2026-12-08",
      "days": 365,
      "count": 1,
      "stale": [
        {"path": "agreements.DE.entry_into_force", "agreement": "DE",
         "last_verified": "2024-05-01", "age_days": 951, "sources": ["https://..."]}
      ]
    }

``stale`` holds every value whose last-verified date is more than ``days`` days before
``as_of``, oldest first (the same day: in the order of the data).
"""

from __future__ import annotations

import shutil
import textwrap
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cocflow.cli.common import Format, FormatOpt, _as_of, _dump, _run
from cocflow.errors import clip

if TYPE_CHECKING:
    from cocflow.services.rulesdiff import Change, RulesDiff, Side, StaleValue

__all__ = ["diff_text", "rules_app", "stale_text"]

rules_app = typer.Typer(
    help="Review the rules data: what changed between two versions, what to verify again.",
    no_args_is_help=True,
)

FolderArg = "A folder of rules data, or the word 'shipped' for the data shipped with cocflow."
KIND_LABEL = {
    "changed": "changed",
    "added": "added",
    "removed": "removed",
    "sources": "sources changed",
    "reverified": "re-verified",
}
# The summary's parts: the first of each group names what it counts ("3 values changed, 1
# added; 1 agreement removed"). Re-sourced: the list of a value's sources changed.
SUMMARY = (
    (("changed", "changed"), ("added", "added"), ("removed", "removed")),
    (("sources", "re-sourced"), ("reverified", "re-verified")),
)
FIRST_KEYS = ("id", "from", "to", "value")
STATUS = {"in_force": "in force", "signed_not_in_force": "signed, not in force"}


def _width() -> int:
    return max(40, min(shutil.get_terminal_size().columns, 100) - 1)


def _wrap(text: str, width: int, indent: str, hang: str | None = None) -> list[str]:
    """``text`` wrapped to ``width``; a word longer than the line (a URL, a path) is kept whole
    so that it can be copied."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent if hang is None else hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value)
    if isinstance(value, str):
        return " ".join(value.split())
    return str(value)


def _nested(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict) for v in value)
    )


def _field(label: str, value: Any, indent: str, width: int) -> list[str]:
    """``label: value``, wrapped under the value; a mapping or a list of them, one key a line."""
    if not _nested(value):
        return _wrap(f"{label}: {_scalar(value)}", width, indent, indent + " " * (len(label) + 2))
    return [f"{indent}{label}:", *_block(value, indent + "  ", width)]


def _block(value: Any, indent: str, width: int) -> list[str]:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: FIRST_KEYS.index(k) if k in FIRST_KEYS else 9)
        return [line for k in keys for line in _field(str(k), value[k], indent, width)]
    if isinstance(value, list) and _nested(value):
        lines: list[str] = []
        for item in value:
            inner = _block(item, indent + "  ", width) if _nested(item) else []
            if not inner:
                inner = _wrap(_scalar(item), width, indent + "  ")
            lines += [indent + "- " + inner[0][len(indent) + 2 :], *inner[1:]]
        return lines
    return _wrap(_scalar(value), width, indent)


def _sources(label: str, side: Side, indent: str) -> list[str]:
    if not side.urls:
        return [f"{indent}{label}: none (this value has no sources in the data)"]
    head = f"{indent}{label}, verified {side.last_verified}:"
    return [head, *(f"{indent}  {url}" for url in side.urls)]


def _source_lines(source: dict[str, Any], mark: str, indent: str, width: int) -> list[str]:
    about = "; ".join(
        [*(str(source[k]) for k in ("title", "section") if source.get(k)), "verified"]
    )
    about += f" {source['verified']}"
    return [f"{indent}{mark} {source['url']}", *_wrap(about, width, indent + "  ")]


def _change_lines(c: Change, width: int) -> list[str]:
    lines = [f"  {KIND_LABEL[c.kind]}: {clip(c.path)}"]
    pad = "    "
    old, new = c.old, c.new
    if c.kind == "reverified" and old and new:
        before = {s["url"]: s["verified"] for s in old.value}
        for s in new.value:
            if before.get(s["url"]) != s["verified"]:
                lines += [
                    f"{pad}{s['url']}",
                    f"{pad}  verified {before.get(s['url'])}, now {s['verified']}",
                ]
        return lines
    if c.kind == "sources":
        gone = [s for s in (old.value if old else []) if s not in (new.value if new else [])]
        came = [s for s in (new.value if new else []) if s not in (old.value if old else [])]
        for s in gone:
            lines += _source_lines(s, "-", pad, width)
        for s in came:
            lines += _source_lines(s, "+", pad, width)
        return lines
    if old and new:
        lines += _field("old", old.value, pad, width) + _field("new", new.value, pad, width)
        same = old.urls == new.urls and old.last_verified == new.last_verified
        if same:
            lines += _sources("sources", new, pad)
        else:
            lines += _sources("old sources", old, pad) + _sources("new sources", new, pad)
        return lines
    side = new or old
    assert side is not None
    return lines + _field("value", side.value, pad, width) + _sources("sources", side, pad)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _summary(counts: dict[str, int]) -> str:
    """``3 values changed, 1 added, 2 re-sourced; 1 agreement added``."""
    values = [(counts[key], words) for group in SUMMARY for key, words in group if counts[key]]
    agreements = [
        (counts[f"agreements_{key}"], key)
        for key in ("added", "removed")
        if counts[f"agreements_{key}"]
    ]
    said = []
    for items, one, many in ((values, "value", "values"), (agreements, "agreement", "agreements")):
        if items:
            (n, words), *rest = items
            said.append(
                ", ".join([f"{_count(n, one, many)} {words}", *(f"{m} {w}" for m, w in rest)])
            )
    return "; ".join(said) + "." if said else "No differences."


def _heading(group: str, result: RulesDiff) -> str:
    if group == "network":
        return "network.yaml (the network of agreements)"
    if group == "process":
        return "process.yaml (how SSA takes requests)"
    return f"{result.names.get(group, group)} ({group})"


def diff_text(result: RulesDiff, width: int = 79) -> str:
    """The differences for people: a one-line summary, the two books, then the agreements
    added or removed and each change, grouped by agreement."""
    summary = _summary(result.counts())
    lines = _wrap(summary, width, "")
    lines += _wrap(f"Old: {clip(result.old.label)} (version {result.old.version})", width, "", "  ")
    lines += _wrap(f"New: {clip(result.new.label)} (version {result.new.version})", width, "", "  ")
    for title, agreements in (
        ("Agreements added:", result.agreements_added),
        ("Agreements removed:", result.agreements_removed),
    ):
        if agreements:
            lines += ["", title]
            lines += [f"  {a.id:<6} {a.name}, {STATUS.get(a.status, a.status)}" for a in agreements]
    group = None
    for c in result.changes:
        here = c.agreement or c.path.split(".")[0]
        if here != group:
            group = here
            lines += ["", _heading(here, result)]
        lines += _change_lines(c, width)
    return "\n".join(lines)


def _when(days: int) -> str:
    return "a year" if days == 365 else _count(days, "day", "days")


def stale_text(
    found: tuple[StaleValue, ...], label: str, version: str, as_of: str, days: int, width: int
) -> str:
    """The stale values for people: a one-line summary, then each, oldest first, with its
    sources."""
    when = _when(days)
    if not found:
        lines = [f"Nothing verified over {when} ago."]
    else:
        n = len(found)
        first = found[0].last_verified
        summary = (
            f"1 value last verified over {when} ago, on {first}."
            if n == 1
            else f"{n} values last verified over {when} ago, oldest {first}."
        )
        lines = _wrap(summary, width, "")
    lines += _wrap(f"Rules: {clip(label)} (version {version}), as of {as_of}.", width, "", "  ")
    for v in found:
        age = _count(v.age_days, "day", "days")
        lines += ["", f"{v.last_verified} ({age} ago): {clip(v.path)}"]
        lines += [f"    {url}" for url in v.urls]
    if found:
        advice = (
            "Check each value at its sources again, then update their 'verified' dates in its "
            "file (docs/rules.md)."
        )
        lines += ["", *_wrap(advice, width, "")]
    return "\n".join(lines)


@rules_app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help=FolderArg)],
    new: Annotated[str, typer.Argument(help=FolderArg)],
    format: FormatOpt = Format.text,
) -> None:
    """Show what changed in the rules data, value by value, with each side's sources.

    Example: cocflow rules diff shipped ./rules-draft
    """
    from cocflow.services import rulesdiff

    before = _run(lambda: rulesdiff.load_book(old, "OLD"))
    after = _run(lambda: rulesdiff.load_book(new, "NEW"))
    result = _run(lambda: rulesdiff.diff_rules(before, after))
    if format is Format.json:
        _dump(result.as_dict())
    else:
        typer.echo(diff_text(result, _width()))


@rules_app.command("stale")
def stale(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="Count the age as on this date."),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=0, help="List values verified more than N days ago.")
    ] = 365,
    format: FormatOpt = Format.text,
) -> None:
    """List every value of the rules in use last verified over a year ago, oldest first.

    The rules in use: the folder in COCFLOW_RULES_DIR, else the shipped data.

    Example: cocflow rules stale --as-of 2027-06-30 --days 180
    """
    from cocflow.io.settings import Settings
    from cocflow.services import rulesdiff

    day = _as_of(as_of)
    rules = _run(lambda: rulesdiff.current_rules(Settings.from_env()))
    found = _run(lambda: rulesdiff.stale(rules, day, days))
    book = rulesdiff.BookInfo.of(rules)
    if format is Format.json:
        _dump(
            {
                "cocflow_rules_stale": 1,
                "rules": book.as_dict(),
                "as_of": day.isoformat(),
                "days": days,
                "count": len(found),
                "stale": [v.as_dict() for v in found],
            }
        )
    else:
        typer.echo(stale_text(found, book.label, book.version, day.isoformat(), days, _width()))
