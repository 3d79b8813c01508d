"""Channel advice: online by default, mail and fax as fallbacks, sources where they disagree."""

from __future__ import annotations

from cocflow.filing.channel import choose_channel
from cocflow.rules.loader import RuleBook


def test_self_employed_may_file_online_without_a_warning(rules: RuleBook) -> None:
    # https://www-origin.ssa.gov/international/CoC_link.html: "Now, employers and
    # self-employed individuals can request certificates on line."
    advice = choose_channel("self_employed", rules.for_country("DE"), rules.process)
    assert advice.channel == advice.recommended == "online"
    assert advice.allowed == ("online", "mail", "fax")
    assert not advice.verify
    assert advice.as_dict()["status"] == "sources agree"
    assert not any("verify" in text.lower() for text, _ in advice.notes)
    assert all(sources for _, sources in advice.notes)


def test_the_old_mail_or_fax_claim_is_recorded_as_superseded(rules: RuleBook) -> None:
    (claim,) = [c for c in rules.process.superseded if c.id == "self_employed_mail_or_fax_only"]
    assert "self-employed" in claim.replaced_by
    assert any("ssa.gov" in s.url for s in claim.current_sources)


def test_the_person_chooses(rules: RuleBook) -> None:
    advice = choose_channel("self_employed", rules.for_country("DE"), rules.process, "fax")
    assert advice.channel == "fax" and advice.recommended == "online"


def test_employees_cannot_use_the_online_form_themselves(rules: RuleBook) -> None:
    advice = choose_channel("employee", rules.for_country("SE"), rules.process)
    assert any("employee cannot use the online form" in t for t, _ in advice.notes)


def test_hungary_refuses_an_employees_own_request(rules: RuleBook) -> None:
    advice = choose_channel("employee", rules.for_country("HU"), rules.process)
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
