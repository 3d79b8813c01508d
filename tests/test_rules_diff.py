"""`cocflow rules diff` and `cocflow rules stale`: the rules data compared value by value, and the
values due a fresh look. Each test copies the shipped data to a folder and edits it as a rules
editor would; what it expects is read from the data it edits, so new data does not break it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from cocflow.cli.rules import rules_app
from cocflow.io.yamlio import load_yaml
from cocflow.rules.loader import default_rules_dir, load_rules
from cocflow.services.rulesdiff import (
    AgreementInfo,
    Change,
    RulesDiff,
    Side,
    diff_rules,
    load_book,
    sourced_values,
    stale,
)

AS_OF = date(2026, 12, 8)
runner = CliRunner()
Data = dict[str, Any]


def _copy(tmp_path: Path, name: str = "rules") -> Path:
    folder = tmp_path / name
    shutil.copytree(default_rules_dir(), folder)
    return folder


def _edit(folder: Path, file: str, change: Callable[[Data], None]) -> Data:
    """Read ``file`` as the loader does, let ``change`` edit it, write it back; return what
    it held before the edit."""
    path = folder / file
    data = load_yaml(path.read_text(encoding="utf-8"))
    before = json.loads(json.dumps(data))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dict(before)


def _urls(sources: list[Data]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s["url"] for s in sources))


def _latest(sources: list[Data]) -> date:
    return max(date.fromisoformat(s["verified"]) for s in sources)


def _diff(old: Path | str, new: Path | str) -> RulesDiff:
    return diff_rules(load_book(str(old)), load_book(str(new)))


def _invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(
        rules_app, list(args), env={"COLUMNS": "80", **(env or {})}, terminal_width=80
    )


def _unwrapped(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines())


def _fits(text: str, width: int = 80) -> None:
    """Every line fits ``width``, but a URL or a path, kept whole so that it can be copied."""
    for line in text.splitlines():
        assert len(line) <= width or " " not in line.strip(), line


# -- diff: the core ---------------------------------------------------------------------------


def test_identical_data_has_no_differences(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    result = _diff("shipped", copy)
    assert result.empty
    assert result.changes == () and result.agreements_added == result.agreements_removed == ()
    assert result.old.label == "shipped" and result.new.label == str(copy.resolve())
    assert result.old.version == result.new.version == load_rules().version


def test_a_shortened_limit_is_one_change_with_the_sources_of_each_side(tmp_path: Path) -> None:
    copy = _copy(tmp_path)

    def shorten(data: Data) -> None:
        data["self_employed"][-1]["limit_months"] -= 12

    before = _edit(copy, "de.yaml", shorten)
    entry = before["self_employed"][-1]
    sources = _urls(entry["sources"]), _latest(entry["sources"])
    result = _diff("shipped", copy)
    assert result.changes == (
        Change(
            f"agreements.DE.self_employed[{entry['from']}].limit_months",
            "changed",
            Side(entry["limit_months"], *sources),
            Side(entry["limit_months"] - 12, *sources),
            "DE",
        ),
    )
    assert result.counts()["changed"] == 1 and sum(result.counts().values()) == 1
    assert result.old.version != result.new.version


def test_a_changed_source_url_is_a_change_of_sources(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    moved = "https://www.ssa.gov/international/moved-page.html"

    def move(data: Data) -> None:
        data["employee"][-1]["sources"][0]["url"] = moved

    before = _edit(copy, "de.yaml", move)
    entry = before["employee"][-1]
    old_sources = entry["sources"]
    new_sources = [{**old_sources[0], "url": moved}, *old_sources[1:]]
    (change,) = _diff("shipped", copy).changes
    assert change.path == f"agreements.DE.employee[{entry['from']}].sources"
    assert change.kind == "sources"
    assert change.old == Side(old_sources, _urls(old_sources), _latest(old_sources))
    assert change.new == Side(new_sources, _urls(new_sources), _latest(new_sources))


def test_a_new_verified_date_alone_is_a_reverification(tmp_path: Path) -> None:
    copy = _copy(tmp_path)

    def reverify(data: Data) -> None:
        for source in data["entry_into_force"]["sources"]:
            source["verified"] = "2026-12-07"

    before = _edit(copy, "de.yaml", reverify)
    (change,) = _diff("shipped", copy).changes
    assert change.path == "agreements.DE.entry_into_force.sources"
    assert change.kind == "reverified"
    assert change.old is not None and change.new is not None
    assert change.old.last_verified == _latest(before["entry_into_force"]["sources"])
    assert change.new.last_verified == date(2026, 12, 7)
    assert change.old.urls == change.new.urls


def test_a_value_changed_with_its_sources_reverified_shows_both_dates(tmp_path: Path) -> None:
    copy = _copy(tmp_path)

    def edit(data: Data) -> None:
        data["entry_into_force"]["confidence"] = "medium"
        for source in data["entry_into_force"]["sources"]:
            source["verified"] = "2026-12-07"

    before = _edit(copy, "de.yaml", edit)
    changed, reverified = _diff("shipped", copy).changes
    assert (changed.path, changed.kind) == ("agreements.DE.entry_into_force.confidence", "changed")
    assert changed.old is not None and changed.new is not None
    assert (changed.old.value, changed.new.value) == (
        before["entry_into_force"]["confidence"],
        "medium",
    )
    assert changed.old.last_verified == _latest(before["entry_into_force"]["sources"])
    assert changed.new.last_verified == date(2026, 12, 7)
    assert reverified.kind == "reverified"


def test_agreements_added_and_removed_are_listed_not_value_by_value(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    mexico = load_rules().agreements["MX"]
    (copy / "mx.yaml").unlink()
    shutil.copy(copy / "de.yaml", copy / "li.yaml")

    def liechtenstein(data: Data) -> None:
        data.update(id="LI", country="LI", name="Liechtenstein")

    _edit(copy, "li.yaml", liechtenstein)
    result = _diff("shipped", copy)
    assert result.agreements_added == (AgreementInfo("LI", "Liechtenstein", "in_force"),)
    assert result.agreements_removed == (AgreementInfo("MX", mexico.name, mexico.status),)
    assert result.changes == ()
    counts = result.counts()
    assert (counts["agreements_added"], counts["agreements_removed"]) == (1, 1)
    # And the other way round.
    back = _diff(copy, "shipped")
    assert [a.id for a in back.agreements_added] == ["MX"]
    assert [a.id for a in back.agreements_removed] == ["LI"]


def test_an_item_removed_whole_is_one_change_and_leaves_the_others_paths(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    before = _edit(copy, "fr.yaml", lambda data: data["request_extras"].pop(0))
    removed = before["request_extras"][0]
    assert len(before["request_extras"]) > 1  # the others must keep their paths
    (change,) = _diff("shipped", copy).changes
    assert change.path == f"agreements.FR.request_extras[{removed['id']}]"
    assert change.kind == "removed" and change.new is None and change.old is not None
    assert change.old.value["text"] == removed["text"]
    assert "sources" not in change.old.value  # given apart, as the value's sources
    assert change.old.urls == _urls(removed["sources"])
    assert change.old.last_verified == _latest(removed["sources"])


def test_a_note_added_takes_the_sources_of_its_value(tmp_path: Path) -> None:
    copy = _copy(tmp_path)

    def annotate(data: Data) -> None:
        data["foreign_certificate_issuer"]["note"] = "Checked again by phone."

    before = _edit(copy, "de.yaml", annotate)
    assert "note" not in before["foreign_certificate_issuer"]
    sources = before["foreign_certificate_issuer"]["sources"]
    assert _diff("shipped", copy).changes == (
        Change(
            "agreements.DE.foreign_certificate_issuer.note",
            "added",
            None,
            Side("Checked again by phone.", _urls(sources), _latest(sources)),
            "DE",
        ),
    )


def test_a_dated_entry_inserted_does_not_rename_the_others(tmp_path: Path) -> None:
    copy = _copy(tmp_path)

    def new_rule(data: Data) -> None:
        last = data["employee"][-1]
        data["employee"].append({**last, "from": "2030-01-01", "limit_months": 36})
        last["to"] = "2029-12-31"

    before = _edit(copy, "de.yaml", new_rule)
    start = before["employee"][-1]["from"]
    changes = _diff("shipped", copy).changes
    assert [(c.path, c.kind) for c in changes] == [
        (f"agreements.DE.employee[{start}].to", "added"),
        ("agreements.DE.employee[2030-01-01]", "added"),
    ]
    assert changes[0].new is not None and changes[0].new.value == "2029-12-31"
    added = changes[1].new
    assert added is not None and added.value["limit_months"] == 36
    assert added.urls == _urls(before["employee"][-1]["sources"])


def test_network_and_process_values_have_their_own_sources(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    network = _edit(copy, "network.yaml", lambda data: data["united_states"].remove("MP"))
    process = _edit(copy, "process.yaml", lambda data: data.update(buffer_days=10))
    us_sources = network["united_states_sources"]
    assert _diff("shipped", copy).changes == (
        Change(
            "network.united_states",
            "changed",
            Side(network["united_states"], _urls(us_sources), _latest(us_sources)),
            Side(
                [c for c in network["united_states"] if c != "MP"],
                _urls(us_sources),
                _latest(us_sources),
            ),
        ),
        # A value without sources in the data: compared, with none to show.
        Change(
            "process.buffer_days",
            "changed",
            Side(process["buffer_days"], (), None),
            Side(10, (), None),
        ),
    )


# -- stale: the core --------------------------------------------------------------------------


def _redate(node: Any, day: str) -> None:
    """Set every source's ``verified`` under ``node`` to ``day``."""
    if isinstance(node, dict):
        if "url" in node and "verified" in node:
            node["verified"] = day
        for value in node.values():
            _redate(value, day)
    elif isinstance(node, list):
        for item in node:
            _redate(item, day)


@pytest.fixture
def dated(tmp_path: Path) -> Path:
    """The shipped data with every value verified on 2026-11-28, but three values: DE's entry
    into force (2025-01-10), FR's newest self-employed rule (2024-05-01) and the fax number
    (2025-06-01); and one with a fresh source beside old ones (AT's entry into force)."""
    copy = _copy(tmp_path)
    for path in copy.glob("*.yaml"):
        _edit(copy, path.name, lambda data: _redate(data, "2026-11-28"))
    _edit(copy, "de.yaml", lambda data: _redate(data["entry_into_force"], "2025-01-10"))
    _edit(copy, "fr.yaml", lambda data: _redate(data["self_employed"][-1], "2024-05-01"))
    _edit(copy, "process.yaml", lambda data: _redate(data["fax"], "2025-06-01"))

    def one_fresh(data: Data) -> None:
        _redate(data["entry_into_force"], "2020-01-01")
        data["entry_into_force"]["sources"][-1]["verified"] = "2026-11-28"

    _edit(copy, "at.yaml", one_fresh)
    return copy


def test_stale_lists_the_values_verified_over_a_year_ago_oldest_first(dated: Path) -> None:
    rules = load_book(str(dated))
    fr_start = rules.agreements["FR"].self_employed[-1].start
    found = stale(rules, AS_OF)
    assert [(v.path, v.last_verified, v.age_days, v.agreement) for v in found] == [
        (f"agreements.FR.self_employed[{fr_start}]", date(2024, 5, 1), 951, "FR"),
        ("agreements.DE.entry_into_force", date(2025, 1, 10), 697, "DE"),
        ("process.fax", date(2025, 6, 1), 555, None),
    ]
    assert found[0].urls == rules.agreements["FR"].self_employed[-1].urls
    entry_into_force = rules.agreements["DE"].entry_into_force
    assert entry_into_force is not None and found[1].urls == entry_into_force.urls
    assert found[2].urls == rules.process.fax.urls


def test_stale_respects_the_number_of_days(dated: Path) -> None:
    rules = load_book(str(dated))
    fr_start = rules.agreements["FR"].self_employed[-1].start
    assert [v.path for v in stale(rules, AS_OF, days=600)] == [
        f"agreements.FR.self_employed[{fr_start}]",
        "agreements.DE.entry_into_force",
    ]
    assert stale(rules, AS_OF, days=1000) == ()
    # Every value was verified at least 10 days before AS_OF.
    assert len(stale(rules, AS_OF, days=9)) == len(sourced_values(rules))
    # The rest were verified exactly 10 days before: not *more* than 10 days.
    assert stale(rules, AS_OF, days=10) == stale(rules, AS_OF)
    with pytest.raises(ValueError, match="negative"):
        stale(rules, AS_OF, days=-1)


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """The shipped data with DE's self-employed limit shortened by a year, a long note, a source
    moved, its entry into force verified again, and Mexico removed."""
    copy = _copy(tmp_path)

    def edit(data: Data) -> None:
        data["self_employed"][-1]["limit_months"] = 48
        data["employee"][-1]["note"] = "A rewritten note. " * 12
        data["employee"][-1]["sources"][0]["url"] = "https://www.ssa.gov/international/moved.html"
        _redate(data["entry_into_force"], "2026-12-07")

    _edit(copy, "de.yaml", edit)
    (copy / "mx.yaml").unlink()
    return copy


def test_diff_text_leads_with_a_summary_and_fits_80_columns(edited: Path) -> None:
    result = _invoke("diff", "shipped", str(edited))
    assert result.exit_code == 0, result.output
    text = result.stdout
    lines = text.splitlines()
    assert lines[0] == "2 values changed, 1 re-sourced, 1 re-verified; 1 agreement removed."
    version = load_rules().version
    header = _unwrapped(text.split("\n\n")[0])
    assert f"Old: shipped (version {version})" in header
    assert f"New: {edited.resolve()} (version {load_book(str(edited)).version})" in header
    start = load_rules().agreements["DE"].self_employed[-1].start
    block = text.split(f"  changed: agreements.DE.self_employed[{start}].limit_months\n")[1]
    assert block.startswith("    old: 60\n    new: 48\n    sources, verified ")
    assert "Agreements removed:\n  MX     Mexico, signed, not in force" in text
    assert "\nGermany (DE)\n  re-verified: agreements.DE.entry_into_force.sources\n" in text
    assert "    + https://www.ssa.gov/international/moved.html\n" in text
    _fits(text)
    note = lines.index("    new: A rewritten note. A rewritten note. A rewritten note. A rewritten")
    assert lines[note + 1].startswith(" " * 9 + "note. A rewritten note.")  # wrapped under it


def test_diff_text_says_when_there_are_no_differences(tmp_path: Path) -> None:
    result = _invoke("diff", "shipped", str(_copy(tmp_path)))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "No differences."


def test_diff_json_has_the_documented_shape(edited: Path) -> None:
    result = _invoke("diff", "shipped", str(edited), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "cocflow_rules_diff",
        "old",
        "new",
        "summary",
        "agreements_added",
        "agreements_removed",
        "changes",
    ]
    rules = load_rules()
    assert data["old"] == {"data": "shipped", "version": rules.version}
    assert data["new"]["data"] == str(edited.resolve())
    assert data["summary"] == {
        "changed": 2,
        "added": 0,
        "removed": 0,
        "sources": 1,
        "reverified": 1,
        "agreements_added": 0,
        "agreements_removed": 1,
    }
    assert data["agreements_removed"] == [
        {"id": "MX", "name": "Mexico", "status": "signed_not_in_force"}
    ]
    entry = rules.agreements["DE"].self_employed[-1]
    side = {"sources": list(entry.urls), "last_verified": entry.last_verified.isoformat()}
    path = f"agreements.DE.self_employed[{entry.start}].limit_months"
    assert [c for c in data["changes"] if c["path"] == path] == [
        {
            "path": path,
            "kind": "changed",
            "agreement": "DE",
            "old": {"value": 60, **side},
            "new": {"value": 48, **side},
        }
    ]
    assert [c["kind"] for c in data["changes"]] == ["reverified", "sources", "changed", "changed"]


def test_stale_text_and_json(dated: Path) -> None:
    env = {"COCFLOW_RULES_DIR": str(dated)}
    result = _invoke("stale", "--as-of", "2026-12-08", env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "3 values last verified over a year ago, oldest 2024-05-01."
    version = load_book(str(dated)).version
    header = _unwrapped(result.stdout.split("\n\n")[0])
    assert f"Rules: {dated.resolve()} (version {version}), as of 2026-12-08." in header
    first = result.stdout.split("\n\n")[1].splitlines()
    fr_start = load_book(str(dated)).agreements["FR"].self_employed[-1].start
    assert first[0] == f"2024-05-01 (951 days ago): agreements.FR.self_employed[{fr_start}]"
    assert first[1].startswith("    https://")
    assert [line.split(":")[0] for line in lines if line[:2] == "20"] == [
        "2024-05-01 (951 days ago)",
        "2025-01-10 (697 days ago)",
        "2025-06-01 (555 days ago)",
    ]
    _fits(result.stdout)

    shorter = _invoke("stale", "--as-of", "2026-12-08", "--days", "600", env=env)
    assert shorter.stdout.splitlines()[0] == (
        "2 values last verified over 600 days ago, oldest 2024-05-01."
    )
    one = _invoke("stale", "--as-of", "2026-12-08", "--days", "900", env=env)
    assert one.stdout.splitlines()[0] == "1 value last verified over 900 days ago, on 2024-05-01."
    none = _invoke("stale", "--as-of", "2026-12-01", "--days", "1000", env=env)
    assert none.stdout.splitlines()[0] == "Nothing verified over 1000 days ago."

    as_json = _invoke("stale", "--as-of", "2026-12-08", "--format", "json", env=env)
    data = json.loads(as_json.stdout)
    assert list(data) == ["cocflow_rules_stale", "rules", "as_of", "days", "count", "stale"]
    assert (data["as_of"], data["days"], data["count"]) == ("2026-12-08", 365, 3)
    assert data["rules"]["data"] == str(dated.resolve())
    fax = load_book(str(dated)).process.fax
    assert data["stale"][2] == {
        "path": "process.fax",
        "agreement": None,
        "last_verified": "2025-06-01",
        "age_days": 555,
        "sources": list(fax.urls),
    }


def test_stale_without_a_rules_folder_reads_the_shipped_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COCFLOW_RULES_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = _invoke("stale", "--as-of", "2099-12-31", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rules"] == {"data": "shipped", "version": load_rules().version}
    assert data["count"] == len(sourced_values(load_rules())) > 100
    # Again, as the rules in use may then come from a compiled cache: the same answer.
    assert _invoke("stale", "--as-of", "2099-12-31", "--format", "json").stdout == result.stdout


def _refused(result: Result, *said: str) -> None:
    """Exit status 2 with a message for people, and no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and result.stdout == ""
    for words in said:
        assert words in result.stderr, result.stderr


def test_a_missing_or_broken_folder_exits_2_with_the_path_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    _refused(
        _invoke("diff", "shipped", str(missing)),
        str(missing),
        "NEW: there is no such folder",
        "fix:",
    )
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    _refused(_invoke("diff", str(a_file), "shipped"), "OLD: this is a file, not a folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused(_invoke("diff", "shipped", str(empty)), "network.yaml: missing", "'shipped'")

    broken = _copy(tmp_path, "broken")
    _edit(broken, "de.yaml", lambda data: data["employee"][0].update(limit_months=0))
    _refused(
        _invoke("diff", str(broken), "shipped", "--format", "json"),
        str(broken),
        "de.yaml: employee[0].limit_months: Input should be greater than 0",
        "fix: correct 'employee[0].limit_months' in de.yaml",
    )
    _refused(
        _invoke("stale", env={"COCFLOW_RULES_DIR": str(missing)}),
        "COCFLOW_RULES_DIR: there is no such folder",
        "unset COCFLOW_RULES_DIR",
    )


def test_bad_options_exit_2() -> None:
    _refused(_invoke("stale", "--as-of", "2026-13-01"), "--as-of")
    assert _invoke("stale", "--days", "-1").exit_code == 2
    assert _invoke("diff", "shipped").exit_code == 2
