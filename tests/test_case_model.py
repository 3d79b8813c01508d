"""The one case model: what is missing, its title, and the case file written back from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocflow.case import Case, Employer, Engagement, Residence, Worker, missing
from cocflow.errors import InputError
from cocflow.io.casefile import case_data, parse_case, read_case
from cocflow.services.screening import check_complete

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def paths(case: Case) -> list[str]:
    return [m.path for m in missing(case)]


def test_an_empty_case_lacks_the_four_facts_screening_needs() -> None:
    assert paths(Case()) == ["worker.kind", "worker.residence", "engagements"]


def test_an_employee_needs_the_employer_but_not_the_hiring_date() -> None:
    worker = Worker("employee", (Residence("US", date(2010, 1, 1)),))
    stay = (Engagement("DE", date(2027, 1, 1), date(2027, 12, 31)),)
    assert paths(Case(worker, stay)) == ["employer.name", "employer.country"]
    assert paths(Case(worker, stay, employer=Employer("Acme Inc.", "US"))) == []


def test_screening_an_incomplete_case_names_every_missing_fact() -> None:
    with pytest.raises(InputError) as caught:
        check_complete(Case(Worker("self_employed")))
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("worker.residence", "MISSING_FACT"),
        ("engagements", "MISSING_FACT"),
    ]


def test_the_kind_of_an_unanswered_case_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match=r"worker\.kind"):
        _ = Case().kind


def test_the_title_prefers_the_label_and_adds_the_client_reference() -> None:
    case = read_case(EXAMPLES / "filing-complete.yaml")
    assert Case(label="Lisbon 2027", client_ref="C-17").title == "Lisbon 2027 [C-17]"
    assert case.title.startswith(case.person.full_legal_name if case.person else "?")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_survives_writing_and_reading_back(path: Path) -> None:
    case = read_case(path)
    assert parse_case(case_data(case)).to_case() == case


countries = st.sampled_from(["US", "PT", "DE", "FR", "JP"])
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@given(
    st.sampled_from(["self_employed", "employee"]),
    st.lists(st.tuples(countries, days), min_size=1, max_size=3),
    st.lists(st.tuples(countries, days, st.none() | st.integers(0, 4000)), min_size=1, max_size=4),
    st.none()
    | st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t and t.isprintable()),
)
def test_generated_cases_survive_writing_and_reading_back(
    kind: str,
    homes: list[tuple[str, date]],
    stays: list[tuple[str, date, int | None]],
    label: str | None,
) -> None:
    from datetime import timedelta

    case = Case(
        Worker(kind, tuple(Residence(c, d) for c, d in homes)),  # type: ignore[arg-type]
        tuple(
            Engagement(c, d, None if n is None else min(d + timedelta(n), date(2099, 12, 31)))
            for c, d, n in stays
        ),
        employer=Employer("Acme Inc.", "US", date(2015, 1, 1)) if kind == "employee" else None,
        label=label,
    )
    assert parse_case(case_data(case)).to_case() == case
