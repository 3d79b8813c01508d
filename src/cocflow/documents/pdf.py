"""Render a :class:`~cocflow.filing.packet.FilingPacket` as the documents a person sends to SSA.

Everything here is pure: values in, bytes or text out. The PDFs use fpdf2's core
Helvetica font, so all text passes through :func:`to_latin1` first; user text is
always written as plain text (never markdown or HTML), and outputs are deterministic:
the creation date is the packet's ``prepared_on`` at 00:00 UTC and the PDF file ID is
a hash of the content, so two renders of the same packet are byte-identical.

The SSN is printed only where the packet's items carry it; it never goes into PDF
metadata, headers or footers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from pypdf import PdfReader

from cocflow.dates import long_date
from cocflow.documents.latin1 import to_latin1
from cocflow.filing.packet import FilingPacket, Item, OnlineField

__all__ = [
    "ChangeLetter",
    "extract_text",
    "letter_paragraph",
    "long_date",
    "page_count",
    "render_change_letter",
    "render_fax_cover",
    "render_letter",
    "render_worksheet",
    "to_latin1",
]

_SSA_NAME = "Social Security Administration"
_SSN_LABEL = "Social Security number"

# Layout, in millimetres, on a U.S. Letter page (215.9 x 279.4).
_MARGIN = 25.4
_TOP = 20.0
_BOTTOM = 25.0
_LINE = 5.2
_LABEL_W = 64.0
_GUTTER = 5.0


def _one_line(text: str) -> str:
    return " ".join(to_latin1(text).split())


@dataclass(frozen=True, slots=True)
class ChangeLetter:
    """A follow-up letter to SSA: an extension or a correction of an earlier request."""

    prepared_on: date
    full_legal_name: str
    sender_address: tuple[str, ...]
    ssa_address: tuple[str, ...]
    subject: str
    paragraphs: tuple[str, ...]
    items: tuple[Item, ...]


class _Doc(FPDF):
    """A U.S. Letter page in Helvetica with an optional "Page X of Y" footer."""

    def __init__(self, packet: FilingPacket | ChangeLetter, *, total_pages: int | None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="letter")
        self.alias_nb_pages("")  # "{nb}" in user text must stay literal text
        self.total_pages = total_pages
        self.footer_name = _one_line(packet.full_legal_name)
        self.set_margins(_MARGIN, _TOP, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_BOTTOM)
        self.set_title(_one_line(packet.subject))
        self.set_author(self.footer_name)
        self.set_creator("cocflow")
        self.set_producer("cocflow")
        d = packet.prepared_on
        self.set_creation_date(datetime(d.year, d.month, d.day, tzinfo=UTC))
        self.set_font("Helvetica", size=10.5)

    def footer(self) -> None:
        if self.total_pages is None:
            return
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.set_text_color(110)
        self.set_draw_color(180)
        self.line(self.l_margin, self.get_y() - 1.5, self.w - self.r_margin, self.get_y() - 1.5)
        self.cell(self.epw / 2, 4, self.footer_name, align="L")
        self.cell(self.epw / 2, 4, f"Page {self.page_no()} of {self.total_pages}", align="R")
        self.set_text_color(0)

    def text_line(self, text: str, *, style: str = "", size: float = 10.5) -> None:
        """One paragraph of user-supplied or fixed text, wrapped to the text width."""
        self.set_font("Helvetica", style=style, size=size)
        self.multi_cell(0, _LINE, to_latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def lines(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.text_line(text)

    def room_left(self) -> float:
        return self.h - self.b_margin - self.get_y()

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` millimetres fit on this one."""
        if self.room_left() < height:
            self.add_page()

    def _wrapped(self, width: float, text: str, style: str, size: float) -> list[str]:
        self.set_font("Helvetica", style=style, size=size)
        result = self.multi_cell(
            width, _LINE, text, align="L", dry_run=True, output=MethodReturnValue.LINES
        )
        return list(result)  # type: ignore[arg-type]  # LINES output is a list[str]

    def rows(self, items: Sequence[Item], *, size: float = 10.5, line: float = _LINE) -> None:
        """Labels in a left column, values wrapped in a right column."""
        value_w = self.epw - _LABEL_W - _GUTTER
        for item in items:
            label = to_latin1(item.label).strip() + ":"
            value = to_latin1(item.value).strip()
            height = line * max(
                len(self._wrapped(_LABEL_W, label, "B", size)),
                len(self._wrapped(value_w, value, "", size)),
            )
            self.need(height + 1.5)
            top = self.get_y()
            self.set_font("Helvetica", style="B", size=size)
            self.multi_cell(_LABEL_W, line, label, align="L")
            self.set_xy(self.l_margin + _LABEL_W + _GUTTER, top)
            self.set_font("Helvetica", size=size)
            self.multi_cell(value_w, line, value, align="L")
            self.set_xy(self.l_margin, top + height + 1.5)

    def gap(self, height: float) -> None:
        self.set_y(self.get_y() + height)


def letter_paragraph(packet: FilingPacket) -> str:
    kind = "self-employment" if packet.worker_kind == "self_employed" else "employment"
    until = (
        f"to {long_date(packet.period_end)}"
        if packet.period_end is not None
        else "with no end date yet"
    )
    text = (
        f"I am writing to ask for a certificate of U.S. coverage for my {kind} in "
        f"{packet.work_country_name}, from {long_date(packet.coverage_from)} {until}. "
    )
    if packet.coverage_from != packet.period_start:
        text += (
            f"The work began on {long_date(packet.period_start)}; I ask for coverage from "
            f"{long_date(packet.coverage_from)}. "
        )
    return text + "The details of my request are as follows."


def _letter_body(pdf: _Doc, packet: FilingPacket) -> None:
    pdf.add_page()
    pdf.text_line(packet.full_legal_name, style="B", size=12)
    pdf.gap(0.8)
    pdf.lines(packet.sender_address)
    if packet.email:
        pdf.text_line(f"E-mail: {packet.email}")
    if packet.phone:
        pdf.text_line(f"Phone: {packet.phone}")
    pdf.gap(8)
    pdf.text_line(long_date(packet.prepared_on))
    pdf.gap(8)
    pdf.lines(packet.ssa_address)
    pdf.gap(8)
    pdf.text_line(packet.subject, style="B")
    pdf.gap(5)
    pdf.text_line("Dear Sir or Madam,")
    pdf.gap(3)
    pdf.text_line(letter_paragraph(packet))
    pdf.gap(4)
    pdf.rows(packet.items)
    if packet.extras:
        pdf.gap(3)
        pdf.need(_LINE * 3 + 4)
        pdf.text_line(f"Items required under the agreement with {packet.agreement_name}", style="B")
        pdf.gap(2.5)
        pdf.rows(packet.extras)
    pdf.gap(3)
    if packet.ask_email_confirmation and packet.email:
        pdf.text_line(
            f"Where possible, please send the e-mail confirmation of approval to {packet.email}."
        )
        pdf.gap(3)
    pdf.text_line("Thank you for your help.")
    pdf.gap(5)
    pdf.need(_LINE * 6 + 14)  # keep the closing and the signature lines together
    _sign_off(pdf, packet.full_legal_name)


def _sign_off(pdf: _Doc, name: str) -> None:
    pdf.text_line("Sincerely,")
    pdf.gap(12)
    pdf.text_line("Signature: " + "_" * 38)
    pdf.gap(5)
    pdf.text_line("Date: " + "_" * 24)
    pdf.gap(5)
    pdf.text_line(name)


def _two_pass(document: FilingPacket | ChangeLetter, body: Callable[[_Doc], None]) -> bytes:
    """Render once to count the pages, then again with "Page X of Y" in the footer."""
    draft = _Doc(document, total_pages=0)
    body(draft)
    pdf = _Doc(document, total_pages=draft.pages_count)
    body(pdf)
    return bytes(pdf.output())


def render_letter(packet: FilingPacket) -> bytes:
    """The request as a U.S. Letter PDF to mail or fax to SSA."""
    return _two_pass(packet, lambda pdf: _letter_body(pdf, packet))


def _change_body(pdf: _Doc, letter: ChangeLetter) -> None:
    pdf.add_page()
    pdf.text_line(letter.full_legal_name, style="B", size=12)
    pdf.gap(0.8)
    pdf.lines(letter.sender_address)
    pdf.gap(8)
    pdf.text_line(long_date(letter.prepared_on))
    pdf.gap(8)
    pdf.lines(letter.ssa_address)
    pdf.gap(8)
    pdf.text_line(letter.subject, style="B")
    pdf.gap(5)
    pdf.text_line("Dear Sir or Madam,")
    for paragraph in letter.paragraphs:
        pdf.gap(3)
        pdf.text_line(paragraph)
    pdf.gap(4)
    pdf.rows(letter.items)
    pdf.gap(5)
    pdf.need(_LINE * 6 + 14)
    _sign_off(pdf, letter.full_legal_name)


def render_change_letter(letter: ChangeLetter) -> bytes:
    """An extension or correction letter as a U.S. Letter PDF."""
    return _two_pass(letter, lambda pdf: _change_body(pdf, letter))


def render_fax_cover(packet: FilingPacket, pages: int) -> bytes:
    """A one-page fax cover sheet; ``pages`` counts this cover too."""
    pdf = _Doc(packet, total_pages=None)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=26)
    pdf.cell(0, 12, "FAX", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.set_line_width(0.2)
    pdf.gap(10)
    to = "\n".join(packet.ssa_address[:2]) if packet.ssa_address else _SSA_NAME
    rows = [Item("To", to), Item("Fax", packet.ssa_fax), Item("From", packet.full_legal_name)]
    if packet.phone:
        rows.append(Item("Phone", packet.phone))
    if packet.email:
        rows.append(Item("E-mail", packet.email))
    rows += [
        Item("Date", long_date(packet.prepared_on)),
        Item("Pages (including this cover)", str(pages)),
        Item("Subject", packet.subject),
    ]
    pdf.rows(rows, size=12, line=6.4)
    pdf.gap(2)
    pdf.gap(8)
    pdf.set_draw_color(120)
    top = pdf.get_y()
    pdf.set_x(pdf.l_margin + 4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(
        pdf.epw - 8,
        6.0,
        "The request follows this cover. This fax carries personal data (a Social "
        "Security number) and is meant for SSA only.",
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
        padding=(3, 0),
    )
    pdf.rect(pdf.l_margin, top, pdf.epw, pdf.get_y() - top)
    return bytes(pdf.output())


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def extract_text(pdf: bytes) -> str:
    """The text of every page, pages separated by a blank line."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n\n".join(page.extract_text() for page in reader.pages)


def _mask_ssn(text: str, ssn: str) -> str:
    digits = "".join(c for c in ssn if c.isdigit())
    masked = f"***-**-{digits[-4:]}"
    for form in {ssn, digits} - {""}:
        text = text.replace(form, masked)
    return text


def _field_block(number: int, field: OnlineField, ssn: str) -> list[str]:
    value = field.value if field.label == _SSN_LABEL else _mask_ssn(field.value, ssn)
    limit = f"of limit {field.limit}" if field.limit is not None else "(no known limit)"
    block = [
        f"{number}. {field.label}",
        f"   Value:  {value}",
        f"   length {len(field.value)} {limit}",
    ]
    if field.cut is not None:
        kept = field.cut if field.label == _SSN_LABEL else _mask_ssn(field.cut, ssn)
        block.append(
            f"   WARNING: longer than the limit; the form would keep only the first "
            f'{field.limit} characters: "{kept}"'
        )
    return block


def render_worksheet(packet: FilingPacket) -> str:
    """Plain text to copy from, field by field, when filing at ``packet.online_url``."""
    title = "Worksheet for filing online"
    out = [
        title,
        "=" * len(title),
        packet.subject,
        f"Prepared on {long_date(packet.prepared_on)} for {packet.full_legal_name}",
        f"File at: {packet.online_url}",
        "",
        "Type each value into the form field with the same label.",
        "",
    ]
    for number, field in enumerate(packet.online_fields, start=1):
        out += [*_field_block(number, field, packet.ssn), ""]
    out.append(
        "Note: the length limits are cocflow's assumptions, because SSA publishes none. "
        "Check what the form kept before you submit it."
    )
    return "\n".join(out) + "\n"
