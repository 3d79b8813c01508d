"""Channel advice: online by default, mail and fax as fallbacks, sources where they disagree."""

from __future__ import annotations

from cocflow.channel import choose_channel
from cocflow.rules.loader import RuleBook


def test_self_employed_may_file_online_but_must_verify(rules: RuleBook) -> None:
    advice = choose_channel("self_employed", False, rules.for_country("DE"), rules.process)
    assert advice.channel == advice.recommended == "online"
    assert advice.allowed == ("online", "mail", "fax")
    assert advice.verify
    assert any("Verify before filing" in text and sources for text, sources in advice.notes)
    assert all(sources for _, sources in advice.notes)


def test_performers_are_not_caught_by_the_old_rule(rules: RuleBook) -> None:
    advice = choose_channel("self_employed", True, rules.for_country("FR"), rules.process)
    assert not advice.verify


def test_the_person_chooses(rules: RuleBook) -> None:
    advice = choose_channel("self_employed", False, rules.for_country("DE"), rules.process, "fax")
    assert advice.channel == "fax" and advice.recommended == "online"


def test_employees_cannot_use_the_online_form_themselves(rules: RuleBook) -> None:
    advice = choose_channel("employee", False, rules.for_country("SE"), rules.process)
    assert any("employee cannot use the online form" in t for t, _ in advice.notes)


def test_hungary_refuses_an_employees_own_request(rules: RuleBook) -> None:
    advice = choose_channel("employee", False, rules.for_country("HU"), rules.process)
    assert any(t.startswith("Hungary:") for t, _ in advice.notes)


def test_who_may_file_is_not_an_item_of_the_request(rules: RuleBook) -> None:
    hungary = rules.for_country("HU")[0]
    assert any(x.id == "requester_employer_only" for x in hungary.request_extras)
    assert all(x.id != "requester_employer_only" for x in hungary.extras_for("employee", ("US",)))
    italy = rules.for_country("IT")[0]
    only_italians = {x.id for x in italy.request_extras if x.only_for_nationals_of_the_country}
    assert only_italians
    assert not only_italians & {x.id for x in italy.extras_for("employee", ("US",))}
    assert only_italians <= {x.id for x in italy.extras_for("employee", ("US", "IT"))}
