"""The rules data: the shipped files load, and broken files fail with pinned messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cocflow.errors import RulesError
from cocflow.rules.loader import RuleBook, default_rules_dir, load_agreement_file, load_rules

BROKEN = Path(__file__).parent / "rules_broken"

# The 30 U.S. agreements in force and the U.S.-Quebec understanding (SSA, 2026).
IN_FORCE = {
    "AT",
    "AU",
    "BE",
    "BR",
    "CA",
    "CA-QC",
    "CH",
    "CL",
    "CZ",
    "DE",
    "DK",
    "ES",
    "FI",
    "FR",
    "GB",
    "GR",
    "HU",
    "IE",
    "IS",
    "IT",
    "JP",
    "KR",
    "LU",
    "NL",
    "NO",
    "PL",
    "PT",
    "SE",
    "SI",
    "SK",
    "UY",
}


def test_every_agreement_is_shipped(rules: RuleBook) -> None:
    in_force = {k for k, a in rules.agreements.items() if a.status == "in_force"}
    assert in_force == IN_FORCE
    assert rules.agreements["MX"].status == "signed_not_in_force"


def test_every_value_has_a_source_and_a_verification_date(rules: RuleBook) -> None:
    for agreement in rules.agreements.values():
        facts = [
            agreement.entry_into_force,
            agreement.foreign_certificate_issuer,
            agreement.us_certificate_use,
            *agreement.employee,
            *agreement.self_employed,
            *agreement.request_extras,
        ]
        for fact in facts:
            if fact is not None:
                assert fact.sources, agreement.id
                assert all(s.url.startswith("http") and s.verified for s in fact.sources)


def test_quebec_is_a_subdivision_of_canada(rules: RuleBook) -> None:
    ids = [a.id for a in rules.for_country("CA")]
    assert ids == ["CA", "CA-QC"]


def test_version_changes_with_the_data(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    before = load_rules(copy).version
    path = copy / "de.yaml"
    path.write_text(path.read_text() + "\n# edited\n")
    assert load_rules(copy).version != before


BROKEN_CASES = [
    ("unknown-key", "zz.yaml: self_employd: unknown key"),
    ("duplicate-key", "zz.yaml: name: duplicate key (line 4)"),
    ("bad-date", "zz.yaml: entry_into_force.value: '2001-02-30' is not a real calendar date"),
    ("not-iso-date", "zz.yaml: entry_into_force.value: '01/01/2001' is not a date written as"),
    ("empty-sources", "zz.yaml: employee[0].sources: Tuple should have at least 1 item"),
    ("missing-sources", "zz.yaml: self_employed[0].sources: required key is missing"),
    ("source-without-date", "zz.yaml: entry_into_force.sources[0].verified: required key"),
    ("limit-on-residence", "zz.yaml: self_employed[0]: rule 'residence' takes no limit_months"),
    ("detachment-without-limit", "zz.yaml: employee[0]: rule 'detachment' needs limit_months"),
    (
        "conflicting-without-readings",
        "zz.yaml: self_employed[0]: a conflicting rule lists at least two readings",
    ),
    ("bad-confidence", "zz.yaml: self_employed[0].confidence: Input should be 'high'"),
    ("id-not-file-name", "zz.yaml: id: 'ZY' does not match the file name"),
    ("overlapping-entries", "zz.yaml: (top level): self_employed entries overlap"),
    ("not-yaml", "zz.yaml: (file): not readable YAML"),
    (
        "document-without-not-issued",
        "zz.yaml: self_employed[0]: foreign_document is for foreign_certificate: not_issued",
    ),
    (
        "later-in-force-without-date",
        "zz.yaml: later_agreements[0]: a later agreement in force needs entry_into_force",
    ),
]


@pytest.mark.parametrize(("folder", "message"), BROKEN_CASES)
def test_broken_file_is_refused_with_its_file_and_key(folder: str, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        load_agreement_file(BROKEN / folder / "zz.yaml")
    assert str(caught.value).startswith(message)


def test_broken_files_all_have_a_test() -> None:
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()} - {"valid"}
    assert folders == {folder for folder, _ in BROKEN_CASES}


def test_the_valid_base_of_the_broken_files_loads() -> None:
    assert load_agreement_file(BROKEN / "valid" / "zz.yaml").name == "Testland"


def test_a_broken_file_stops_the_whole_book(tmp_path: Path) -> None:
    shutil.copy(default_rules_dir() / "network.yaml", tmp_path)
    shutil.copy(default_rules_dir() / "process.yaml", tmp_path)
    shutil.copy(BROKEN / "bad-date" / "zz.yaml", tmp_path)
    with pytest.raises(RulesError, match=r"zz\.yaml: entry_into_force\.value"):
        load_rules(tmp_path)


def test_missing_network_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"network.yaml: \(file\): missing"):
        load_rules(tmp_path)
