"""Case files: every problem named by its path, with what is wrong and how to fix it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cocflow.errors import InputError
from cocflow.io.casefile import load_case, parse_case

BASE: dict[str, Any] = {
    "cocflow_case": 1,
    "worker": {"kind": "self_employed", "residence": [{"country": "US", "from": "2020-01-01"}]},
    "engagements": [{"country": "PT", "start": "2027-01-15", "end": "2027-12-31"}],
}


def _problems(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as caught:
        parse_case(data)
    return [(p.path, p.code) for p in caught.value.problems]


def _with(path: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(BASE))
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    node[parts[-1]] = value
    return data


def test_base_case_is_valid() -> None:
    case = parse_case(BASE).to_case()
    assert case.engagements[0].country == "PT"
    assert case.worker.residence[0].end is None


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("engagements.0.end", "2027-02-30", ("engagements[0].end", "BAD_DATE")),
        ("engagements.0.end", "31/12/2027", ("engagements[0].end", "BAD_DATE")),
        ("engagements.0.end", "2026-01-01", ("engagements[0]", "DATES_OUT_OF_ORDER")),
        ("engagements.0.country", "XX", ("engagements[0].country", "BAD_COUNTRY")),
        ("engagements.0.country", "UK", ("engagements[0].country", "BAD_COUNTRY")),
        ("engagements.0.clinet", {}, ("engagements[0].clinet", "UNKNOWN_KEY")),
        ("worker.kind", "freelancer", ("worker.kind", "NOT_ALLOWED")),
        ("worker.residence", [], ("worker.residence", "EMPTY_LIST")),
        ("engagements", [], ("engagements", "EMPTY_LIST")),
        ("cocflow_case", 2, ("cocflow_case", "NOT_ALLOWED")),
        ("worker.residence.0.to", "2019-01-01", ("worker.residence[0]", "DATES_OUT_OF_ORDER")),
        ("employer", {"name": "Acme", "country": "US"}, ("employer", "EMPLOYER_NOT_ALLOWED")),
        ("engagements.0.region", "QUE", ("engagements[0].region", "BAD_REGION")),
        ("cocflow_case", True, ("cocflow_case", "INVALID")),
    ],
)
def test_bad_value_is_named_by_path(path: str, value: Any, expected: tuple[str, str]) -> None:
    assert expected in _problems(_with(path, value))


def test_employee_needs_an_employer() -> None:
    assert ("employer", "EMPLOYER_REQUIRED") in _problems(_with("worker.kind", "employee"))


def test_every_problem_is_reported_at_once() -> None:
    data = _with("engagements.0.country", "XX")
    data["worker"]["residence"][0]["from"] = "2020-13-01"
    found = _problems(data)
    assert ("engagements[0].country", "BAD_COUNTRY") in found
    assert ("worker.residence[0].from", "BAD_DATE") in found


def test_unknown_key_message_lists_the_allowed_keys() -> None:
    with pytest.raises(InputError) as caught:
        parse_case(_with("worker.nationality", ["US"]))
    problem = caught.value.problems[0]
    assert "citizenship" in problem.fix and problem.path == "worker.nationality"


def test_country_names_are_accepted_and_normalised() -> None:
    case = parse_case(_with("engagements.0.country", "Germany")).to_case()
    assert case.engagements[0].country == "DE"


def test_norway_is_not_false(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "cocflow_case: 1\nworker: {kind: self_employed, residence: [{country: US, from: "
        "2020-01-01}]}\nengagements: [{country: NO, start: 2027-01-01, end: 2027-06-30}]\n"
    )
    assert load_case(path).to_case().engagements[0].country == "NO"


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("dup.yaml", "cocflow_case: 1\ncocflow_case: 1\n", "DUPLICATE_KEY"),
        ("dup.json", '{"cocflow_case": 1, "cocflow_case": 1}', "DUPLICATE_KEY"),
        ("broken.yaml", "worker: [unclosed\n", "NOT_PARSEABLE"),
        ("broken.json", "{", "NOT_PARSEABLE"),
        ("case.txt", "cocflow_case: 1\n", "BAD_FILE_TYPE"),
        ("list.yaml", "- 1\n- 2\n", "NOT_A_CASE"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, text: str, code: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_case(path)
    assert caught.value.problems[0].code == code
    assert caught.value.source == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_case(tmp_path / "nope.yaml")
    assert caught.value.problems[0].code == "NO_SUCH_FILE"


def test_json_case_equals_yaml_case(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(BASE))
    assert load_case(path) == parse_case(BASE)


@pytest.mark.parametrize(("field", "value"), [("ssn", 123456789), ("date_of_birth", "1988-02-30")])
def test_sensitive_values_are_never_echoed(field: str, value: Any) -> None:
    data = dict(BASE, person={field: value})
    with pytest.raises(InputError) as caught:
        parse_case(data)
    text = str(caught.value)
    assert f"person.{field}" in text
    assert str(value) not in text and "6789" not in text


def test_a_real_region_is_accepted() -> None:
    data = _with("engagements.0.country", "CA")
    data["engagements"][0]["region"] = "QC"
    assert parse_case(data).to_case().engagements[0].region == "QC"


@pytest.mark.parametrize(
    ("name", "text", "path"),
    [
        (
            "dup.yaml",
            "cocflow_case: 1\nengagements:\n  - {country: PT, end: 1, end: 2}\n",
            "engagements[0].end",
        ),
        (
            "dup.json",
            '{"engagements": [{"country": "PT", "end": 1, "end": 2}]}',
            "engagements[0].end",
        ),
    ],
)
def test_duplicate_keys_are_named_by_full_path(
    tmp_path: Path, name: str, text: str, path: str
) -> None:
    target = tmp_path / name
    target.write_text(text)
    with pytest.raises(InputError) as caught:
        load_case(target)
    assert caught.value.problems[0].path == path


def test_yaml_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    target = tmp_path / "merge.yaml"
    target.write_text(
        "cocflow_case: 1\nworker: {kind: self_employed, residence: [{country: US, from: "
        "2020-01-01}]}\nengagements:\n  - &stay {country: PT, start: 2027-01-01, end: "
        "2027-03-31}\n  - {<<: *stay, start: 2027-06-01, end: 2027-08-31}\n"
    )
    assert load_case(target).to_case().engagements[1].start.month == 6


def test_label_and_client_ref_name_the_case_and_never_decide(tmp_path: Path) -> None:
    # Contract (December 2026): label and client_ref are optional and never change a decision.
    from typer.testing import CliRunner

    from cocflow.cli.app import app

    example = Path(__file__).resolve().parent.parent / "examples" / "portugal-digital-nomad.yaml"
    labelled = tmp_path / "labelled.yaml"
    names = "cocflow_case: 1\nlabel: Dana Whitfield, Lisbon 2027\nclient_ref: C-0042"
    labelled.write_text(example.read_text().replace("cocflow_case: 1", names, 1))
    plain, named = (
        CliRunner().invoke(app, ["screen", str(p), "--as-of", "2026-12-02", "--format", "json"])
        for p in (example, labelled)
    )
    assert named.exit_code == 0, named.stderr
    assert json.loads(plain.stdout) == json.loads(named.stdout)
    env = {"COCFLOW_HOME": str(tmp_path / "home")}
    CliRunner().invoke(app, ["case", "new", str(labelled)], env=env)
    listing = CliRunner().invoke(app, ["case", "list"], env=env).stdout
    assert "Dana Whitfield, Lisbon 2027 [C-0042]" in listing


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("worker: {kind: self_employd, residence: [{country: US, from: 2020-01-01}]}",
         "did you mean self_employed?"),
        ("worker: {kind: self_employed, residense: [{country: US, from: 2020-01-01}]}",
         "did you mean residence?"),
        ("worker: {kind: self_employed, residence: [{country: Portugl, from: 2020-01-01}]}",
         "did you mean Portugal?"),
        ("worker: [unclosed", "line 3, column 1"),
    ],
)  # fmt: skip
def test_mistakes_get_a_suggestion_or_a_place(tmp_path: Path, text: str, wanted: str) -> None:
    from cocflow.errors import InputError
    from cocflow.io.casefile import load_case

    case = tmp_path / "case.yaml"
    case.write_text(f"cocflow_case: 1\n{text}\nengagements: [{{country: PT, start: 2027-01-01}}]\n")
    with pytest.raises(InputError) as caught:
        load_case(case)
    assert wanted in str(caught.value)
