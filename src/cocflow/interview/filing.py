"""The filing details: the questions a request needs once the answer is go, as data.

They are asked only for what the pre-submit check finds missing (its ``REQUIRED_FOR_FILING`` and
``AGREEMENT_ITEM_MISSING`` findings), plus the person's own records the request is checked
against (the Social Security card, the passport), so the same checks as ``cocflow check`` run on
the answers. The terminal asks them after ``cocflow new``; the web pages render them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from cocflow.case import Case
from cocflow.interview.questions import QUESTIONS, Question, current

__all__ = ["FILING_QUESTIONS", "RECORD_QUESTIONS", "filing_questions"]

_CARD = "The request is checked against your own documents before it goes to SSA."

FILING_QUESTIONS: tuple[Question, ...] = (
    Question(
        "full_legal_name",
        "person.full_legal_name",
        "What is your full legal name, as on your Social Security card?",
        "SSA finds you in its records by the name on the card. A middle initial where your "
        "passport spells out the middle name is fine.",
        "text",
        example="Jane Quinn Doe",
    ),
    Question(
        "ssn",
        "person.ssn",
        "What is your Social Security number?",
        "It identifies you at SSA. cocflow keeps it encrypted and shows only its last four digits.",
        "ssn",
        example="###-##-####",
    ),
    Question(
        "date_of_birth",
        "person.date_of_birth",
        "What is your date of birth?",
        "SSA asks for it with the number; it is kept encrypted.",
        "date",
        example="1988-04-12",
    ),
    Question(
        "place_of_birth",
        "person.place_of_birth",
        "Where were you born (city, state or region, country)?",
        "SSA's request form asks for it.",
        "text",
        example="Dayton, Ohio, United States",
    ),
    Question(
        "business_name",
        "business.legal_name",
        "What is your business's legal name (your own name for a sole proprietorship)?",
        "The certificate names the business whose self-employment it covers.",
        "text",
        example="Jane Quinn Doe",
    ),
    Question(
        "business_address",
        "business.address",
        "What is your business's address in the United States?",
        "SSA writes to it and prints it on the certificate.",
        "address",
    ),
    Question(
        "activity",
        "business.nature_of_activity",
        "What work do you do, in a few words?",
        "The request says what the self-employment is.",
        "text",
        example="UX research and interface design",
    ),
    Question(
        "employer_address",
        "employer.address",
        "What is your employer's address?",
        "The certificate names the employer and is sent there.",
        "address",
    ),
    Question(
        "host_address",
        "employer.host_address",
        "Where will you work abroad (the host company's address)?",
        "The request names the place of work abroad.",
        "address",
    ),
    Question(
        "place_of_hire",
        "employer.place_of_hire",
        "Where were you hired (city, state)?",
        "A posting keeps U.S. coverage for a job taken in the United States.",
        "text",
        example="Austin, Texas",
    ),
)

RECORD_QUESTIONS: tuple[Question, ...] = (
    Question(
        "card_name",
        "records[ssn_card].full_legal_name",
        "What name is printed on your Social Security card (copy it exactly)?",
        _CARD,
        "text",
    ),
    Question(
        "card_ssn",
        "records[ssn_card].ssn",
        "What number is printed on your Social Security card (copy it exactly)?",
        _CARD + " Typing it twice catches a slip of the finger.",
        "ssn",
    ),
    Question(
        "passport_name",
        "records[passport].full_legal_name",
        "What name is printed in your passport (leave empty if you have none)?",
        _CARD,
        "text",
        optional=True,
    ),
)


def filing_questions(
    case: Case, missing_paths: Iterable[str], extras: Mapping[str, str]
) -> tuple[Question, ...]:
    """The questions for the facts the request still lacks, then the records not yet given.

    ``missing_paths``: the paths of the check's ``REQUIRED_FOR_FILING`` and
    ``AGREEMENT_ITEM_MISSING`` findings; ``extras``: item id -> the agreement's words."""
    by_path = {q.path: q for q in (*FILING_QUESTIONS, *QUESTIONS)}
    out: list[Question] = []
    for path in dict.fromkeys(missing_paths):
        if path in by_path:
            question = by_path[path]
            out.append(replace(question, optional=False))
        elif path.startswith("extras.") and path[7:] in extras:
            out.append(
                Question(
                    f"extra:{path[7:]}",
                    path,
                    f"For this agreement, the request needs: {extras[path[7:]]} Your answer?",
                    "The agreement asks for this item in a request for a certificate.",
                    "text",
                )
            )
    out += [q for q in RECORD_QUESTIONS if current(case, q) is None]
    return tuple(out)
