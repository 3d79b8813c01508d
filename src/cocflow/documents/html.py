"""The request's documents as HTML a screen reader can use: real headings, the items as a
definition list, the letter's paragraphs. A PDF cannot be read that way; these say the same.

Pure: a packet (or the filed data) in, an HTML fragment out, to be placed under a page's ``h1``
(the fragments start at ``h2``). Every text is escaped, and every SSN is shown masked
(``XXX-XX-6789``): only the downloaded documents hold the full number. The class names are the
web face's (``templates/macros``), so the fragments look like the pages around them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cocflow.documents.pdf import letter_paragraph as letter_opening
from cocflow.documents.pdf import long_date
from cocflow.filing.packet import FilingPacket, Item, OnlineField
from cocflow.filing.ssn import mask

__all__ = [
    "fax_cover_html",
    "letter_html",
    "masked",
    "request_data_html",
    "worksheet_html",
]

_SSN_LABEL = "Social Security number"


def masked(text: str, ssn: str) -> str:
    """``text`` with the SSN ``ssn`` masked wherever it appears, whatever its separators."""
    digits = re.sub(r"\D", "", ssn)
    if len(digits) != 9:
        return text
    pattern = rf"(?<!\d){digits[:3]}[-\s.]?{digits[3:5]}[-\s.]?{digits[5:]}(?!\d)"
    return re.sub(pattern, mask(digits), text)


class _Writer:
    """Escapes every text and masks the SSN in it: nothing reaches the HTML otherwise."""

    def __init__(self, ssn: str) -> None:
        self.ssn = ssn

    def text(self, value: object) -> str:
        return html.escape(masked(_plain(value), self.ssn), quote=True)

    def lines(self, values: Iterable[object]) -> str:
        return "<br>".join(self.text(v) for v in values)

    def heading(self, level: int, text: str) -> str:
        size = ' class="heading-m"' if level == 2 else ""
        return f"<h{level}{size}>{self.text(text)}</h{level}>"

    def para(self, text: str) -> str:
        return f'<p class="body">{self.text(text)}</p>'

    def rows(self, rows: Sequence[tuple[str, str]]) -> str:
        """A definition list; each value is already HTML."""
        body = "".join(
            f'<div class="summary-list__row"><dt class="summary-list__key">{key}</dt>'
            f'<dd class="summary-list__value">{value}</dd></div>'
            for key, value in rows
        )
        return f'<dl class="summary-list">{body}</dl>'

    def items(self, items: Sequence[Item]) -> str:
        return self.rows([(self.text(i.label), self.text(i.value)) for i in items])


def _plain(value: object) -> str:
    if value is None:
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def letter_html(packet: FilingPacket) -> str:
    """The request letter: who writes to whom, the subject, the paragraphs, every item."""
    w = _Writer(packet.ssn)
    sender = [packet.full_legal_name, *packet.sender_address]
    head = [("From", w.lines(sender))]
    if packet.email:
        head.append(("E-mail", w.text(packet.email)))
    if packet.phone:
        head.append(("Phone", w.text(packet.phone)))
    head += [("Date", w.text(long_date(packet.prepared_on))), ("To", w.lines(packet.ssa_address))]
    out = [
        w.heading(2, "Sender and recipient"),
        w.rows(head),
        w.heading(2, "The letter"),
        f'<p class="body"><strong>{w.text(packet.subject)}</strong></p>',
        w.para("Dear Sir or Madam,"),
        w.para(letter_opening(packet)),
        w.heading(3, "The details of the request"),
        w.items(packet.items),
    ]
    if packet.extras:
        out += [
            w.heading(3, f"Items required under the agreement with {packet.agreement_name}"),
            w.items(packet.extras),
        ]
    out.append(w.heading(3, "Closing"))
    if packet.ask_email_confirmation and packet.email:
        out.append(
            w.para(
                "Where possible, please send the e-mail confirmation of approval to "
                f"{packet.email}."
            )
        )
    out += [
        w.para("Thank you for your help."),
        w.para("Sincerely,"),
        w.para("Signature: a line to sign on the printed letter."),
        w.para("Date: a line to write the date when you sign."),
        w.para(packet.full_legal_name),
    ]
    return "\n".join(out)


def fax_cover_html(packet: FilingPacket, pages: int) -> str:
    """The fax cover sheet; ``pages`` counts the cover too."""
    w = _Writer(packet.ssn)
    rows = [
        ("To", w.lines(packet.ssa_address[:2] or ("Social Security Administration",))),
        ("Fax", w.text(packet.ssa_fax)),
        ("From", w.text(packet.full_legal_name)),
    ]
    if packet.phone:
        rows.append(("Phone", w.text(packet.phone)))
    if packet.email:
        rows.append(("E-mail", w.text(packet.email)))
    rows += [
        ("Date", w.text(long_date(packet.prepared_on))),
        ("Pages (including this cover)", w.text(pages)),
        ("Subject", w.text(packet.subject)),
    ]
    return "\n".join(
        [
            w.heading(2, "What the cover sheet says"),
            w.rows(rows),
            w.para(
                "The request follows this cover. This fax carries personal data (a Social "
                "Security number) and is meant for SSA only."
            ),
        ]
    )


def _field_value(w: _Writer, field: OnlineField) -> str:
    limit = (
        f"{len(field.value)} characters; the form's limit is {field.limit}"
        if field.limit is not None
        else f"{len(field.value)} characters; no known limit"
    )
    value = f'{w.text(field.value)}<br><span class="hint">{w.text(limit)}</span>'
    if field.cut is not None:
        value += (
            '<br><strong class="error-message">'
            + w.text(
                f"Longer than the limit: the form would keep only the first {field.limit} "
                f'characters, "{field.cut}".'
            )
            + "</strong>"
        )
    return value


def worksheet_html(packet: FilingPacket) -> str:
    """The online worksheet: each field of SSA's online form, its value and its length."""
    w = _Writer(packet.ssn)
    url = w.text(packet.online_url)
    where = (
        f'<a class="link" href="{url}">{url}</a>'
        if packet.online_url.startswith("https://")
        else url  # only a web address becomes a link
    )
    rows = [
        (w.text(f"{number}. {field.label}"), _field_value(w, field))
        for number, field in enumerate(packet.online_fields, start=1)
    ]
    return "\n".join(
        [
            w.heading(2, "Where to file"),
            f'<p class="body">File at {where}. '
            "Type each value into the form field with the same label.</p>",
            w.heading(2, "The fields of the online form"),
            w.rows(rows),
            w.para(
                "The length limits are cocflow's assumptions, because SSA publishes none. "
                "Check what the form kept before you submit it."
            ),
        ]
    )


# request.json: exactly the data filed, every value shown, nested values as nested lists.

_LABELS = {
    "cocflow_request": "Format version",
    "rules_version": "Rules version",
    "ssn": _SSN_LABEL,
    "ssa_address": "SSA's address",
    "ssa_fax": "SSA's fax number",
    "online_url": "SSA's online service",
    "items": "Required items",
    "extras": "The agreement's own items",
    "online_fields": "Fields of the online form",
    "channel_advice": "How to send it",
    "timing_note": "When to file",
    "file_by": "File by",
    "ask_email_confirmation": "Ask for an e-mail confirmation",
    "email": "E-mail",
}


def _label(key: str) -> str:
    return _LABELS.get(key) or key.replace("_", " ").capitalize()


def _nested(value: Any) -> bool:
    return isinstance(value, Mapping) or (
        isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value)
    )


def _inline(w: _Writer, value: Any) -> str:
    """A value inside a list's entry or a definition: lines, never a nested list."""
    if isinstance(value, Mapping):
        return "<br>".join(
            f"<strong>{w.text(_label(str(k)))}:</strong> {_inline(w, v)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return "<br>".join(_inline(w, v) for v in value) if value else w.text("none")
    return w.text(value)


def _labelled(w: _Writer, entry: Mapping[str, Any]) -> str:
    more = [
        f"{_label(str(k))}: {_plain(v)}" for k, v in entry.items() if k not in ("label", "value")
    ]
    extra = f'<br><span class="hint">{w.text("; ".join(more))}</span>' if more else ""
    return w.text(entry["value"]) + extra


def _section(w: _Writer, key: str, value: Any, level: int) -> list[str]:
    """A nested value under its own heading: a mapping's plain values as a definition list
    (its nested ones as sub-sections), labelled entries as a definition list, other lists as
    a bulleted list."""
    out = [w.heading(level, _label(key))]
    if isinstance(value, Mapping):
        flat = [(w.text(_label(str(k))), _inline(w, v)) for k, v in value.items() if not _nested(v)]
        if flat:
            out.append(w.rows(flat))
        for k, v in value.items():
            if _nested(v):
                out += _section(w, str(k), v, min(level + 1, 4))
    elif all(isinstance(v, Mapping) and "label" in v and "value" in v for v in value):
        out.append(w.rows([(w.text(v["label"]), _labelled(w, v)) for v in value]))
    else:
        entries = "".join(f"<li>{_inline(w, v)}</li>" for v in value)
        out.append(f'<ul class="bullets">{entries}</ul>')
    return out


def request_data_html(data: Mapping[str, Any], ssn: str) -> str:
    """``request.json`` (the data filed): the plain values as a definition list, then each
    nested value under its own heading."""
    w = _Writer(ssn)
    flat = [(w.text(_label(str(k))), _inline(w, v)) for k, v in data.items() if not _nested(v)]
    out = [w.heading(2, "The request"), w.rows(flat)]
    for key, value in data.items():
        if _nested(value):
            out += _section(w, str(key), value, 2)
    return "\n".join(out)
