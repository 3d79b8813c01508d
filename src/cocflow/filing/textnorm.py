"""Text normalisation for comparing a person's data across documents.

Every normaliser starts from the same base: characters are read in NFKC, case-folded
(NFKC, casefold, NFKC) and split into tokens of letters, marks and digits. Decisions:

* Accents are kept: "José" and "Jose" stay different, because a name's spelling matters.
  Case folding is full Unicode folding, so "Strauß" and "Strauss" compare equal.
* Apostrophes (U+0027, U+2018, U+2019, U+02BB, U+02BC, U+0060, U+00B4, U+2032) vanish
  ("O'Brien" == "OBrien"), and so do invisible format characters (zero-width space, soft
  hyphen, bidi controls: all of category Cf, plus fillers and variation selectors), so a
  hidden character can neither split nor change a token. :func:`suspicious_characters`
  reports them separately.
* Periods join runs of single letters ("P.O." -> "po", "L.L.C." -> "llc", "J.R. Smith" ->
  "jr smith"); anywhere else a period separates ("St.Louis" -> "st louis").
* Every other character (hyphens, commas, slashes, "&", spaces, controls, lone surrogates)
  separates tokens: "Mary-Jane" == "Mary Jane", but not "MaryJane".
* Abbreviations are mapped per whole token only, in both directions to one canonical token,
  so "Stanford" never changes. Ambiguous abbreviations ("St" is Street or Saint, "Dr" is
  Drive or Doctor, "Junior" may be a given name) get the same token on both sides of a
  comparison, which is harmless for equality: "St Louis", "St. Louis" and "Saint Louis" are
  all "st louis".
* Each normaliser is repeated until its result no longer changes (one round in practice),
  so ``f(f(x)) == f(x)`` holds; no function raises on any ``str``, lone surrogates included.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping

__all__ = [
    "SPECIFIC_EXAMPLE",
    "is_mixed_script",
    "normalize_address",
    "normalize_company",
    "normalize_name",
    "scripts",
    "similarity",
    "suspicious_characters",
    "vague_activity",
]

SPECIFIC_EXAMPLE = (
    "Interface design and usability testing of a mobile banking app for a retail bank"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_APOSTROPHES = frozenset("'\u2018\u2019\u02bb\u02bc\u0060\u00b4\u2032\uff07")
_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Invisible although not in category Cf: grapheme joiner, Hangul fillers, Khmer inherent
# vowels, Mongolian and Unicode variation selectors.
_INVISIBLE_EXTRA = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)

_STOPWORDS = _words("a an and the of for to in on with by at from as or")

_NAME_TOKENS: Mapping[str, str] = {
    **dict.fromkeys(["jr", "junior", "jnr"], "jr"),
    **dict.fromkeys(["sr", "senior", "snr"], "sr"),
    **{"2nd": "ii", "3rd": "iii", "4th": "iv"},
}


def _canon(table: str) -> dict[str, str]:
    """ "st street saint | rd road" -> each spelling maps to the first word of its group."""
    groups = [group.split() for group in table.split("|")]
    return {word: group[0] for group in groups for word in group}


_ADDRESS_TOKENS = _canon(
    """st street saint str strasse | ave av avenue avenida avda avn | rd road | dr drive
    | blvd boulevard boul | ln lane | ct court | pl place platz | sq square | hwy highway
    | pkwy parkway pky | apt apartment apto | ste suite | fl floor flr | bldg building
    | rm room | no number nr num | n north | s south | e east | w west | ne northeast
    | nw northwest | se southeast | sw southwest"""
)
_ADDRESS_PHRASES = {
    ("post", "office", "box"): ("po", "box"),
    ("p", "o", "box"): ("po", "box"),
    ("pobox",): ("po", "box"),
}
_UNIT_WORDS = frozenset(["apt", "ste", "fl", "bldg", "rm", "unit"])

_LEGAL_FORMS = sorted(
    (
        tuple(form.split())
        for form in [
            *_words(
                """llc inc incorporated corp corporation co company ltd limited plc pllc llp lp
                gmbh ug ag kg ohg kgaa se sarl sàrl sas sa srl spa bv nv bvba lda ltda sl oy
                ab as asa aps kk gk pty pte pvt sro doo kft"""
            ),
            *["l l c", "l l p", "s a", "s l", "s r l", "a s", "p l c", "private limited"],
            *["sa de cv", "sab de cv", "sapi de cv", "s de rl", "s de rl de cv", "sp z oo"],
            *["kabushiki kaisha", "s a de c v"],
        ]
    ),
    key=len,
    reverse=True,
)

_GENERIC = _words(
    """consulting consultant consultants consultancy services service freelance freelancer
    freelancing work works working business businesses professional solutions various
    general misc miscellaneous projects project tasks task support it tech technology
    technologies digital online remote contractor contracting contract contracts self
    employed employment independent activities activity stuff things thing clients client
    customers customer companies company job jobs gig gigs assignment assignments duties
    role roles advisory advice adviser advisor expert expertise specialist help assistance
    provide providing provision offering doing other others etc different multiple several
    some many new also my our their his her i we me us you your"""
)


def _vanishes(ch: str) -> bool:
    """Apostrophes and invisible characters are dropped without separating tokens."""
    return ch in _APOSTROPHES or ord(ch) in _INVISIBLE_EXTRA or unicodedata.category(ch) == "Cf"


def _base_tokens(text: str) -> list[str]:
    """Tokens of ``text`` after the base normalisation described in the module docstring."""
    kept = "".join(ch for ch in text if not _vanishes(ch))
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", kept).casefold())
    chars: list[str] = []
    for ch in folded:
        if _vanishes(ch):
            continue
        category = unicodedata.category(ch)
        chars.append(ch if ch == "." or category[0] in "LMN" else " ")
    tokens: list[str] = []
    for chunk in "".join(chars).split():
        run: list[str] = []  # consecutive single letters between periods: initials
        for piece in [*chunk.split("."), ""]:
            if len(piece) == 1 and piece.isalpha():
                run.append(piece)
                continue
            tokens.extend(["".join(run)] if len(run) > 1 else run)
            run = []
            if piece:
                tokens.append(piece)
    return tokens


def _settled(step: Callable[[str], str], text: str) -> str:
    """Apply ``step`` until the result is a fixed point, so the normaliser is idempotent."""
    out = step(text)
    for _ in range(4):
        again = step(out)
        if again == out:
            break
        out = again
    return out


def _name_step(text: str) -> str:
    return " ".join(_NAME_TOKENS.get(token, token) for token in _base_tokens(text))


def normalize_name(text: str) -> str:
    """Person name for comparison: "Seán O'Brien-Smith, Jr." -> "seán obrien smith jr"."""
    return _settled(_name_step, text)


def _address_step(text: str) -> str:
    text = text.replace("#", " no ").replace("n°", " no ").replace("N°", " no ")
    tokens = _base_tokens(text)
    phrased: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, replacement in _ADDRESS_PHRASES.items():
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                phrased.extend(replacement)
                i += len(phrase)
                break
        else:
            phrased.append(_ADDRESS_TOKENS.get(tokens[i], tokens[i]))
            i += 1
    out: list[str] = []
    for token in phrased:
        if out and out[-1] in _UNIT_WORDS and token == "no":
            continue  # "Apt #4", "Apt No. 4" and "Apt 4" are the same unit
        if out and out[-1] in ("n", "s") and token in ("e", "w"):
            out[-1] += token  # "N E" and "Northeast" -> "ne"
            continue
        out.append(token)
    return " ".join(out)


def normalize_address(text: str) -> str:
    """Address for comparison: "P.O. Box 17741" == "Post Office Box 17741" -> "po box 17741"."""
    return _settled(_address_step, text)


def _company_step(text: str) -> str:
    tokens = _base_tokens(text)
    removed = True
    while removed:
        removed = False
        for form in _LEGAL_FORMS:
            if len(tokens) > len(form) and tuple(tokens[-len(form) :]) == form:
                del tokens[-len(form) :]
                removed = True
                if len(tokens) > 1 and tokens[-1] == "and":
                    del tokens[-1]  # "Smith and Co" == "Smith & Co" == "Smith"
                break
    return " ".join(tokens)


def normalize_company(text: str) -> str:
    """Company name without trailing legal forms: "Acme, Inc." == "ACME Inc" == "Acme".

    A name made only of legal-form words keeps its last one ("The Limited" -> "the").
    """
    return _settled(_company_step, text)


def _code(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def suspicious_characters(text: str) -> list[tuple[int, str, str]]:
    """Invisible, bidi-control and control characters as ``(index, "U+XXXX NAME", kind)``.

    ``index`` counts code points from 0. Kinds: "bidi" (embedding, override, isolate and
    mark characters), "invisible" (other format characters such as zero-width space, soft
    hyphen and BOM, plus fillers and variation selectors), "control" (C0/C1 controls incl.
    tab and newline, line/paragraph separators, lone surrogates).
    """
    found: list[tuple[int, str, str]] = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ord(ch) in _BIDI:
            kind = "bidi"
        elif category == "Cf" or ord(ch) in _INVISIBLE_EXTRA:
            kind = "invisible"
        elif category in ("Cc", "Cs", "Zl", "Zp"):
            kind = "control"
        else:
            continue
        found.append((index, _code(ch), kind))
    return found


_SCRIPT_WORDS = _words(
    """LATIN CYRILLIC GREEK ARMENIAN GEORGIAN ARABIC HEBREW SYRIAC THAANA DEVANAGARI BENGALI
    GURMUKHI GUJARATI ORIYA TAMIL TELUGU KANNADA MALAYALAM SINHALA THAI LAO TIBETAN MYANMAR
    KHMER ETHIOPIC MONGOLIAN CHEROKEE HIRAGANA KATAKANA HANGUL BOPOMOFO YI"""
)
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "COPTIC": "GREEK"}
_SCRIPT_FAMILIES = tuple(
    frozenset(family.split()) for family in ["HAN HIRAGANA KATAKANA", "HAN HANGUL", "HAN BOPOMOFO"]
)


def _script(ch: str) -> str:
    for candidate in (ch, unicodedata.normalize("NFKC", ch)[:1]):
        words = unicodedata.name(candidate, "").replace("-", " ").split()
        words = [w for w in words if w not in ("FULLWIDTH", "HALFWIDTH")][:1]
        if words and words[0] in _SCRIPT_WORDS:
            return words[0]
        if words and words[0] in _SCRIPT_ALIASES:
            return _SCRIPT_ALIASES[words[0]]
    return "OTHER"


def scripts(text: str) -> set[str]:
    """Scripts of the letters in ``text`` ("LATIN", "CYRILLIC", "HAN", ... or "OTHER")."""
    return {_script(ch) for ch in text if unicodedata.category(ch).startswith("L")}


def is_mixed_script(text: str) -> bool:
    """True when the letters mix scripts, like "Ivanov" spelled with a Cyrillic U+0430 "a".

    Japanese (Han, Hiragana, Katakana), Korean (Han, Hangul) and Chinese with Bopomofo are
    allowed; digits, punctuation and spaces are ignored.
    """
    found = scripts(text)
    return len(found) > 1 and not any(found <= family for family in _SCRIPT_FAMILIES)


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the :func:`normalize_name` token sets, stopwords removed.

    Two texts without any token score 0.0: there is nothing that matches.
    """
    left = set(normalize_name(a).split()) - _STOPWORDS
    right = set(normalize_name(b).split()) - _STOPWORDS
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def vague_activity(text: str) -> str | None:
    """None when a work description is specific, else a short reason it is too vague.

    Content words are tokens other than stopwords, generic words (consulting, services,
    IT, ...), bare numbers and single characters; fewer than three of them is vague.
    """
    tokens = [t for t in normalize_name(text).split() if t not in _STOPWORDS]
    if not tokens:
        return "the description is empty"
    content = [t for t in tokens if t not in _GENERIC and len(t) > 1 and not t.isdecimal()]
    if not content:
        return "only generic words: say what the work is, in which field, and for what result"
    if len(content) < 3:
        return "too short: name the task, the field and the product or client sector"
    return None
