"""Text normalisation: names, addresses, companies, hidden characters, scripts, vagueness."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocflow.filing.textnorm import (
    SPECIFIC_EXAMPLE,
    is_mixed_script,
    normalize_address,
    normalize_company,
    normalize_name,
    scripts,
    similarity,
    suspicious_characters,
    vague_activity,
)

# Arbitrary text including lone surrogates, controls and unassigned code points.
any_text = st.text(
    alphabet=st.one_of(st.characters(), st.characters(categories=["Cs", "Cc", "Cf", "Cn"]))
)
NORMALISERS: list[Callable[[str], str]] = [normalize_name, normalize_address, normalize_company]

STOPWORDS = {
    "a",
    "an",
    "and",
    "the",
    "of",
    "for",
    "to",
    "in",
    "on",
    "with",
    "by",
    "at",
    "from",
    "as",
    "or",
}
CYRILLIC_A = "\u0430"
GREEK_ALPHA = "\u0391"
FULLWIDTH_JOSE = "\uff2a\uff4f\uff53\uff45"
ZWSP = "\u200b"
RLO = "\u202e"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("O'Brien", "OBrien"),
        ("O\u2019Brien", "obrien"),
        ("Mary-Jane Smith", "Mary Jane Smith"),
        ("Mary\u2013Jane  Smith", "mary jane smith"),
        ("John Smith Jr.", "John Smith Junior"),
        ("John Smith, Jr", "JOHN SMITH JUNIOR"),
        ("John Smith Sr.", "John Smith Senior"),
        ("John Smith III", "john smith iii"),
        ("John Smith \u2162", "John Smith III"),  # ROMAN NUMERAL THREE
        ("J.R. Smith", "JR Smith"),
        ("José", "JOSÉ"),
        ("Jose\u0301", "José"),  # decomposed accent composes under NFKC
        (FULLWIDTH_JOSE, "Jose"),  # fullwidth letters
        ("Iva\u200bnov", "Ivanov"),  # hidden zero-width space vanishes
        ("Strauß", "Strauss"),
    ],
)
def test_names_equal(left: str, right: str) -> None:
    assert normalize_name(left) == normalize_name(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("José", "Jose"),
        ("Müller", "Muller"),
        ("Ivanov", f"Iv{CYRILLIC_A}nov"),
        ("John Smith Jr", "John Smith Sr"),
        ("John Smith II", "John Smith III"),
        ("Mary-Jane", "MaryJane"),
    ],
)
def test_names_different(left: str, right: str) -> None:
    assert normalize_name(left) != normalize_name(right)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Seán   O'Brien-Smith,  Jr. ", "seán obrien smith jr"),
        ("ANNE-MARIE d'ARC", "anne marie darc"),
        ("Robert Jones IV", "robert jones iv"),
        ("Robert Jones 3rd", "robert jones iii"),
        ("", ""),
        (" .,-' ", ""),
    ],
)
def test_name_exact(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Apt 4B", "Apartment 4B"),
        ("Apt #4B", "Apartment 4B"),
        ("Apt. No. 4B", "apt 4b"),
        ("P.O. Box 17741", "PO Box 17741"),
        ("P. O. Box 17741", "Post Office Box 17741"),
        ("POBox 17741", "PO Box 17741"),
        ("12 Main St.", "12 Main Street"),
        ("12 Main St, Ste 200", "12 MAIN STREET SUITE 200"),
        ("5 Oak Ave", "5 Oak Avenue"),
        ("Av. Paulista 1000", "Avenida Paulista 1000"),
        ("1 Elm Rd", "1 Elm Road"),
        ("1 Sunset Blvd", "1 Sunset Boulevard"),
        ("7 Lake Dr", "7 Lake Drive"),
        ("3 Rose Ln", "3 Rose Lane"),
        ("9 King Ct", "9 King Court"),
        ("2 Park Pl", "2 Park Place"),
        ("1 Union Sq", "1 Union Square"),
        ("100 Coast Hwy", "100 Coast Highway"),
        ("8 Garden State Pkwy", "8 Garden State Parkway"),
        ("Bldg 5, Fl 3, Rm 301", "Building 5 Floor 3 Room 301"),
        ("No. 5 Rua Augusta", "Number 5 Rua Augusta"),
        ("#5 Rua Augusta", "Nº 5 Rua Augusta"),
        ("100 N Main St", "100 North Main Street"),
        ("100 S Main St", "100 South Main Street"),
        ("100 E 5th St", "100 East 5th Street"),
        ("100 W 5th St", "100 West 5th Street"),
        ("200 NE 2nd Ave", "200 Northeast 2nd Avenue"),
        ("200 N.E. 2nd Ave", "200 NE 2nd Ave"),
        ("200 NW 2nd Ave", "200 Northwest 2nd Avenue"),
        ("200 SE 2nd Ave", "200 Southeast 2nd Avenue"),
        ("200 SW 2nd Ave", "200 Southwest 2nd Avenue"),
        ("St Louis", "St. Louis"),
        ("St Louis", "Saint Louis"),  # Saint and Street share a token: harmless for equality
        ("Berliner Str. 5", "Berliner Straße 5"),
    ],
)
def test_addresses_equal(left: str, right: str) -> None:
    assert normalize_address(left) == normalize_address(right)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("450 Serra Mall, Stanford", "450 serra mall stanford"),  # whole tokens only
        ("1 Drury Lane", "1 drury ln"),
        ("P.O. Box 17741", "po box 17741"),
        ("Apartment #4B", "apt 4b"),
    ],
)
def test_address_exact(text: str, expected: str) -> None:
    assert normalize_address(text) == expected


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("12 Main St", "12 Main Ave"),
        ("Apt 4B", "Apt 4C"),
        ("100 N Main St", "100 S Main St"),
    ],
)
def test_addresses_different(left: str, right: str) -> None:
    assert normalize_address(left) != normalize_address(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Lisboa Design Lda", "Lisboa Design, Lda."),
        ("Acme, Inc.", "ACME Inc"),
        ("Acme, Inc.", "Acme"),
        ("Acme Corporation", "Acme Corp."),
        ("Acme L.L.C.", "Acme LLC"),
        ("Acme Holdings Pty Ltd", "Acme Holdings"),
        ("Müller GmbH & Co. KG", "Müller"),
        ("Smith & Co.", "Smith and Company"),
        ("Grupo Norte, S.A. de C.V.", "Grupo Norte"),
        ("Grupo Norte SAPI de CV", "Grupo Norte"),
        ("Rossi S.r.l.", "Rossi SRL"),
        ("Rossi S.p.A.", "Rossi"),
        ("Dupont SARL", "Dupont SAS"),
        ("Nordic AB", "Nordic Oy"),
        ("Fjord AS", "Fjord ApS"),
        ("Van Dijk B.V.", "Van Dijk N.V."),
        ("Tanaka K.K.", "Tanaka"),
        ("Iberia S.L.", "Iberia SL"),
        ("Thames PLC", "Thames Limited"),
        ("Law Partners PLLC", "Law Partners LLP"),
        ("Fund LP", "Fund"),
        ("Start UG", "Start AG"),
    ],
)
def test_companies_equal(left: str, right: str) -> None:
    assert normalize_company(left) == normalize_company(right)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lisboa Design, Lda.", "lisboa design"),
        ("Coca Cola Company", "coca cola"),
        ("Incorporated Co Inc", "incorporated"),  # never empties a name
        ("Inc", "inc"),
        ("Co-operative Bank plc", "co operative bank"),  # hyphen separates; "co" not at end
        ("Acme Inc Europe", "acme inc europe"),  # legal forms only at the end
    ],
)
def test_company_exact(text: str, expected: str) -> None:
    assert normalize_company(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Iva{ZWSP}nov", [(3, "U+200B ZERO WIDTH SPACE", "invisible")]),
        (f"Ann{RLO}nalo", [(3, "U+202E RIGHT-TO-LEFT OVERRIDE", "bidi")]),
        ("Mary\u00adJane", [(4, "U+00AD SOFT HYPHEN", "invisible")]),
        ("\ufeffJohn", [(0, "U+FEFF ZERO WIDTH NO-BREAK SPACE", "invisible")]),
        ("a\u200db", [(1, "U+200D ZERO WIDTH JOINER", "invisible")]),
        ("a\u2060b", [(1, "U+2060 WORD JOINER", "invisible")]),
        ("a\u200fb", [(1, "U+200F RIGHT-TO-LEFT MARK", "bidi")]),
        (
            "a\u2066b\u2069",
            [
                (1, "U+2066 LEFT-TO-RIGHT ISOLATE", "bidi"),
                (3, "U+2069 POP DIRECTIONAL ISOLATE", "bidi"),
            ],
        ),
        ("\u061c", [(0, "U+061C ARABIC LETTER MARK", "bidi")]),
        ("John\tSmith", [(4, "U+0009", "control")]),
        ("John\nSmith\x00", [(4, "U+000A", "control"), (10, "U+0000", "control")]),
        ("x\ud800", [(1, "U+D800", "control")]),
        ("José Ivanov-Smith, Jr.", []),
        ("", []),
    ],
)
def test_suspicious_characters(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert suspicious_characters(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ivanov", {"LATIN"}),
        ("Иванов", {"CYRILLIC"}),
        (f"Iv{CYRILLIC_A}nov", {"LATIN", "CYRILLIC"}),
        (f"{GREEK_ALPHA}lpha", {"GREEK", "LATIN"}),
        ("山田 はなこ カタカナ", {"HAN", "HIRAGANA", "KATAKANA"}),
        ("김민준 金", {"HANGUL", "HAN"}),
        ("محمد", {"ARABIC"}),
        ("דוד", {"HEBREW"}),
        ("देव", {"DEVANAGARI"}),
        ("สมชาย", {"THAI"}),
        ("\U0001d400\U0001d401", {"LATIN"}),  # mathematical bold letters fall back to NFKC
        (FULLWIDTH_JOSE, {"LATIN"}),
        ("123 - ,. ", set()),
    ],
)
def test_scripts(text: str, expected: set[str]) -> None:
    assert scripts(text) == expected


@pytest.mark.parametrize(
    ("text", "mixed"),
    [
        ("Ivanov", False),
        ("José O'Brien-Smith 3rd", False),
        (f"Iv{CYRILLIC_A}nov", True),
        (f"{GREEK_ALPHA}lpha", True),
        ("Иванов", False),
        ("山田はなこ", False),
        ("ヤマダ 山田 はなこ", False),
        ("김민준 金", False),
        ("Yamada 山田", True),
        ("Иванов Ivanov", True),
        ("", False),
    ],
)
def test_is_mixed_script(text: str, mixed: bool) -> None:
    assert is_mixed_script(text) is mixed


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("John Smith", "Smith, John", 1.0),
        ("The Bank of Lisbon", "Lisbon Bank", 1.0),
        ("John Smith", "John Smyth", 1 / 3),
        ("John Smith Jr.", "John Smith Junior", 1.0),
        ("José", "Jose", 0.0),
        ("", "", 0.0),
        ("the of and", "", 0.0),
    ],
)
def test_similarity(left: str, right: str, expected: float) -> None:
    assert similarity(left, right) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "consulting",
        "Consulting.",
        "freelance services",
        "IT work",
        "IT consulting services",
        "Various projects for clients",
        "Software consulting",
        "Self-employed independent contractor",
        "Project 1 2 3",
    ],
)
def test_vague_activity_is_vague(text: str) -> None:
    reason = vague_activity(text)
    assert reason is not None
    assert reason.strip()


@pytest.mark.parametrize(
    "text",
    [
        "UX research and interface design for mobile banking apps",
        "Supply-chain cost review of the client's London distribution subsidiary",
        "Backend development of a booking platform (Python, PostgreSQL)",
        SPECIFIC_EXAMPLE,
    ],
)
def test_vague_activity_specific(text: str) -> None:
    assert vague_activity(text) is None


@pytest.mark.parametrize("normalise", NORMALISERS)
@given(text=any_text)
def test_normalisers_idempotent_and_total(normalise: Callable[[str], str], text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert suspicious_characters(once) == []
    assert once == " ".join(once.split())


@given(any_text)
def test_other_functions_never_raise(text: str) -> None:
    scripts(text)
    is_mixed_script(text)
    suspicious_characters(text)
    reason = vague_activity(text)
    assert reason is None or reason


@given(any_text, any_text)
def test_similarity_symmetric_and_bounded(a: str, b: str) -> None:
    score = similarity(a, b)
    assert score == similarity(b, a)
    assert 0.0 <= score <= 1.0


@given(any_text)
def test_similarity_with_itself(text: str) -> None:
    has_tokens = bool(set(normalize_name(text).split()) - STOPWORDS)
    assert similarity(text, text) == (1.0 if has_tokens else 0.0)


@given(any_text, st.data())
def test_zero_width_space_found_where_inserted(text: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    spiked = text[:position] + ZWSP + text[position:]
    assert (position, "U+200B ZERO WIDTH SPACE", "invisible") in suspicious_characters(spiked)
