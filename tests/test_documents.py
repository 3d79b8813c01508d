"""Tests for :mod:`cocflow.documents.pdf`: the letter, the fax cover and the online worksheet.

Golden files under ``tests/golden/`` hold the expected text (``letter.txt`` and
``fax-cover.txt`` are the text extracted from the PDFs; ``worksheet.txt`` is the
worksheet itself). After an intended change, regenerate them and review the diff::

    COCFLOW_UPDATE_GOLDEN=1 pytest tests/test_documents.py
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from cocflow.documents.pdf import (
    extract_text,
    long_date,
    page_count,
    render_fax_cover,
    render_letter,
    render_worksheet,
    to_latin1,
)
from cocflow.filing.packet import FilingPacket, Item, OnlineField

GOLDEN = Path(__file__).resolve().parent / "golden"
SSN = "078-05-1120"
BUSINESS = "Mira Castellanos-Whitfield User Experience Design and Research Studio LLC"


@pytest.fixture
def packet() -> FilingPacket:
    """A self-employed UX designer going to Germany, asking for an e-mail confirmation."""
    return FilingPacket(
        prepared_on=date(2026, 11, 25),
        channel="mail",
        worker_kind="self_employed",
        agreement_name="Germany",
        work_country_name="Germany",
        full_legal_name="Mira Elena Castellanos-Whitfield",
        ssn=SSN,
        period_start=date(2027, 2, 1),
        period_end=date(2028, 7, 31),
        coverage_from=date(2027, 2, 1),
        items=(
            Item("Full legal name", "Mira Elena Castellanos-Whitfield"),
            Item("Social Security number", SSN),
            Item("Date of birth", "14 March 1988"),
            Item("Place of birth", "Santa Fe, New Mexico, United States"),
            Item("Citizenship", "United States"),
            Item("Business name", BUSINESS),
            Item("Nature of the self-employment", "User experience (UX) design and research"),
            Item(
                "Business address in the United States",
                "1420 Calle Redonda, Suite 3, Santa Fe, NM 87505, United States",
            ),
            Item(
                "Address in Germany",
                "Schönhauser Allee 112, 10439 Berlin, Germany",
            ),
            Item("Self-employed in the United States since", "1 September 2019"),
            Item("Work in Germany", "From 1 February 2027 to 31 July 2028"),
            Item(
                "Clients while in Germany",
                "Continuing U.S. clients of the business, served remotely from Berlin; no "
                "client or office in Germany, and no German business registration beyond "
                "the tax number the Berlin tax office requires of every resident freelancer.",
            ),
        ),
        extras=(
            Item("German pension insurance number", "None issued yet"),
            Item("German health insurance", "Techniker Krankenkasse, from 1 February 2027"),
        ),
        ssa_address=(
            "Social Security Administration",
            "Division of Training and Program Support",
            "International Support Branch",
            "P.O. Box 17741",
            "Baltimore, MD 21235-7741",
            "USA",
        ),
        ssa_fax="(410) 966-1861",
        online_url="https://opts.ssa.gov",
        sender_address=("1420 Calle Redonda, Suite 3", "Santa Fe, NM 87505", "United States"),
        email="mira@castellanos-ux.example",
        phone="+1 505 555 0142",
        ask_email_confirmation=True,
        online_fields=(
            OnlineField("Full legal name", "Mira Elena Castellanos-Whitfield", 60),
            OnlineField("Social Security number", SSN, None),
            OnlineField("Business legal name", BUSINESS, 60),
            OnlineField("Address line 1", "1420 Calle Redonda, Suite 3", 35),
            OnlineField("City", "Santa Fe", 30),
            OnlineField("Nature of activity", "User experience (UX) design and research", 120),
        ),
    )


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("COCFLOW_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_letter_golden(packet: FilingPacket) -> None:
    _golden("letter.txt", extract_text(render_letter(packet)) + "\n")


def test_fax_cover_golden(packet: FilingPacket) -> None:
    _golden("fax-cover.txt", extract_text(render_fax_cover(packet, 3)) + "\n")


def test_worksheet_golden(packet: FilingPacket) -> None:
    _golden("worksheet.txt", render_worksheet(packet))


def test_renders_are_byte_identical(packet: FilingPacket) -> None:
    assert render_letter(packet) == render_letter(packet)
    assert render_fax_cover(packet, 3) == render_fax_cover(packet, 3)


def test_markup_like_text_is_printed_literally(packet: FilingPacket) -> None:
    name = "<b>x</b> **bold** {{7*7}} {nb} __u__"
    p = dataclasses.replace(packet, full_legal_name=name, items=(Item("Name", name),))
    for pdf in (render_letter(p), render_fax_cover(p, 2)):
        assert name in extract_text(pdf)


def test_non_latin1_text_degrades_predictably(packet: FilingPacket) -> None:
    name = "Łukasz Żółć \u201cŁuki\u201d \u2014 José Müller 北"
    assert to_latin1(name) == 'Lukasz Zólc "Luki" -- José Müller ?'
    p = dataclasses.replace(packet, full_legal_name=name, items=(Item("Name", name),))
    text = extract_text(render_letter(p))
    assert 'Lukasz Zólc "Luki" -- José Müller ?' in text
    assert "Lukasz Zólc" in extract_text(render_fax_cover(p, 2))


def test_to_latin1_typography() -> None:
    assert to_latin1("a\u00a0b\u2009c \u2018x\u2019 \u2013 \u2026") == "a b c 'x' - ..."
    assert to_latin1("São Paulo, Köln, Élodie") == "São Paulo, Köln, Élodie"
    assert to_latin1("e\u0301") == "é"  # combining accent joined first
    assert to_latin1("tab\there") == "tab here"


def test_long_values_wrap_without_loss(packet: FilingPacket) -> None:
    long_word = "x" * 150
    p = dataclasses.replace(
        packet, items=(*packet.items, Item("A very long label " * 4, long_word))
    )
    pdf = render_letter(p)
    text = _squash(extract_text(pdf))
    for item in (*p.items, *p.extras):
        assert _squash(to_latin1(item.value)) in text, item.label
        assert _squash(to_latin1(item.label)) in text, item.label


def test_many_items_flow_onto_more_pages(packet: FilingPacket) -> None:
    items = tuple(Item(f"Item {n}", f"Value number {n} " * 8) for n in range(40))
    pdf = render_letter(dataclasses.replace(packet, items=items))
    pages = page_count(pdf)
    assert pages >= 2
    text = extract_text(pdf)
    assert f"Page {pages} of {pages}" in text
    for item in items:
        assert _squash(item.value) in _squash(text)


def test_page_count(packet: FilingPacket) -> None:
    assert page_count(render_letter(packet)) == 2
    assert page_count(render_fax_cover(packet, 3)) == 1


def test_ssn_appears_once_in_the_letter(packet: FilingPacket) -> None:
    assert extract_text(render_letter(packet)).count(SSN) == 1
    assert SSN not in extract_text(render_fax_cover(packet, 3))


def test_metadata_has_no_ssn(packet: FilingPacket) -> None:
    for pdf in (render_letter(packet), render_fax_cover(packet, 3)):
        meta = PdfReader(io.BytesIO(pdf)).metadata
        assert meta is not None
        assert meta.title == packet.subject
        assert meta.author == packet.full_legal_name
        assert meta.creation_date is not None
        assert meta.creation_date.date() == packet.prepared_on
        assert all(SSN not in str(v) for v in meta.values())
        assert SSN.encode() not in pdf.split(b"stream")[0]


def test_letter_wording(packet: FilingPacket) -> None:
    text = extract_text(render_letter(packet))
    assert "25 November 2026" in text
    assert _squash("from 1 February 2027 to 31 July 2028") in _squash(text)
    assert "The work began" not in text
    assert "e-mail confirmation of approval" in text
    assert "Items required under the agreement with Germany" in text
    assert "Signature:" in text
    assert "Date:" in text

    open_ended = dataclasses.replace(
        packet,
        period_start=date(2026, 9, 1),
        coverage_from=date(2026, 10, 15),
        period_end=None,
        extras=(),
        ask_email_confirmation=False,
    )
    text = _squash(extract_text(render_letter(open_ended)))
    assert _squash("from 15 October 2026 with no end date yet") in text
    assert _squash("The work began on 1 September 2026") in text
    assert "Itemsrequired" not in text
    assert "Pleaseconfirm" not in text


def test_worksheet_masks_ssn_outside_its_field(packet: FilingPacket) -> None:
    fields = (
        OnlineField("Social Security number", SSN, None),
        OnlineField("Notes", f"SSN {SSN} or 078051120", None),
    )
    text = render_worksheet(dataclasses.replace(packet, online_fields=fields))
    assert text.count(SSN) == 1
    assert "078051120" not in text
    assert "***-**-1120" in text


def test_worksheet_shows_the_cut(packet: FilingPacket) -> None:
    text = render_worksheet(packet)
    assert f'"{BUSINESS[:60]}"' in text
    assert f"length {len(BUSINESS)} of limit 60" in text
    assert "no known limit" in text
    assert "SSA publishes none" in text


def test_long_date() -> None:
    assert long_date(date(2026, 11, 25)) == "25 November 2026"
    assert long_date(date(2027, 1, 1)) == "1 January 2027"
