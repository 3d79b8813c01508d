"""The command line on a team's store: every command that reads or changes a case runs as the
member named by COCFLOW_TOKEN (a personal access token), and the role table applies to it as
it does to the pages and the API. A single person's store needs no token, as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cocflow.accounts.tokens import token_digest
from cocflow.cli.app import app
from cocflow.io.casefile import read_case
from cocflow.services.access import PERMISSIONS, Action, Actor, Role
from cocflow.services.accounts import Accounts, SignedIn
from cocflow.services.cases import Casework
from cocflow.services.team import Desk
from cocflow.store.team import TeamStore
from tests.team.support import Team, make_team

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "filing-complete.yaml"
AS_OF = date(2026, 12, 2)
ROLES = ("owner", "preparer", "assigned", "reviewer", "auditor", "outsider")
NO_TOKEN = "This store belongs to a team"
FIX = "set COCFLOW_TOKEN to a personal access token from your Account page on the team server"


@dataclass
class Crew:
    """A team with a case assigned to its preparer Ben, a second preparer (Fay) who is not
    assigned it, a case of the organisation nobody is assigned, and a case of another
    organisation; a working token for each of them."""

    work: Casework
    team: TeamStore
    members: Team
    actors: dict[str, Actor]
    tokens: dict[str, str]
    case: str  # the organisation's case assigned to Ben
    spare: str  # the organisation's case assigned to nobody
    foreign: str  # the other organisation's case
    env: dict[str, str]

    def run(self, who: str | None, *args: str, token: str | None = None) -> Result:
        env = dict(self.env)
        secret = token if token is not None else (self.tokens[who] if who else None)
        if secret is not None:
            env["COCFLOW_TOKEN"] = secret
        return CliRunner().invoke(app, list(args), env=env)

    def entries(self, case_id: str) -> list[dict[str, object]]:
        return [json.loads(e.payload) for e in self.work.entries(case_id)]

    def state(self, case_id: str) -> tuple[int, int, str]:
        """What a command could change: the proof log's length, the trips, the facts' date."""
        summary = self.work.store.get_case(case_id)
        return (
            len(self.work.entries(case_id)),
            len(self.work.store.trips(case_id)),
            (summary.updated_at),
        )

    def audit(self, who: str) -> list[tuple[str, str | None, str]]:
        user = self.actors[who].user_id
        return [
            (e.action, e.target, e.outcome) for e in self.team.audit_entries() if e.actor == user
        ]


def _token(accounts: Accounts, actor: Actor) -> str:
    assert actor.user_id is not None
    user = accounts.store.user(actor.user_id)
    assert user is not None
    return accounts.new_access_token(SignedIn(actor, user, "", False, ""), "command line")


@pytest.fixture
def crew(
    team_work: Casework, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Crew]:
    for name in ("COCFLOW_KEY", "COCFLOW_RULES_DIR", "COCFLOW_TOKEN", "COCFLOW_PROCESSING_DAYS"):
        monkeypatch.delenv(name, raising=False)
    team = TeamStore(team_work.store.engine, team_work.store.keys)
    members = make_team(team)
    fay = team.create_user("fay@rivera.example", "Fay Lindqvist", None)
    team.add_member(members.org, fay, Role.PREPARER.value)
    actors = {
        "owner": members.owner,
        "preparer": Actor(fay, members.org, Role.PREPARER, name="Fay Lindqvist"),
        "assigned": members.preparer,
        "reviewer": members.reviewer,
        "auditor": members.auditor,
        "outsider": members.outsider,
    }
    desk = Desk(team_work, team)
    facts = read_case(EXAMPLE)
    case, _ = desk.new_case(members.owner, facts, AS_OF)
    desk.assign(members.owner, case, members.preparer.user_id)
    spare, _ = desk.new_case(members.owner, facts, AS_OF)
    foreign, _ = desk.new_case(members.outsider, facts, AS_OF)
    accounts = Accounts(team)
    tokens = {role: _token(accounts, actor) for role, actor in actors.items()}
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}
    yield Crew(team_work, team, members, actors, tokens, case, spare, foreign, env)


# --- who may do what ------------------------------------------------------------------------

READ, WRITE = "ok hidden ok ok ok hidden", "ok hidden ok denied denied hidden"
COMMANDS = [  # the command ({id}: the case, {out}: a fresh path, {file}: a note), action, outcomes
    ("case show {id}", Action.CASE_READ, READ),
    ("status {id} --as-of 2026-12-02", Action.CASE_READ, READ),
    ("proof list {id}", Action.CASE_READ, READ),
    ("trips list --case {id}", Action.CASE_READ, READ),
    ("proof verify {id}", Action.PROOF_VERIFY, READ),
    ("proof export {id} --out {out}", Action.PROOF_EXPORT, READ),
    ("proof add {id} {file} --kind other --note called", Action.PROOF_ADD, WRITE),
    ("trips add PT 2027-03-02 --case {id}", Action.CASE_EDIT, WRITE),
    (f"case update {{id}} {EXAMPLE} --as-of 2026-12-02", Action.CASE_EDIT, WRITE),
    ("watch {id} --as-of 2026-12-02", Action.CASE_EDIT, WRITE),
    (f"request {EXAMPLE} --out {{out}} --case {{id}} --as-of 2026-12-02", Action.REQUEST_PREPARE,
     WRITE),
]  # fmt: skip


def test_the_table_above_is_the_role_table() -> None:
    """Each row's outcomes are what services/access.py says (hidden: a case the member does not
    see, whatever the role), so the command test below checks the CLI against the services."""
    seen = {"owner": True, "preparer": False, "assigned": True, "reviewer": True,
            "auditor": True, "outsider": False}  # fmt: skip
    role = {"owner": Role.OWNER, "preparer": Role.PREPARER, "assigned": Role.PREPARER,
            "reviewer": Role.REVIEWER, "auditor": Role.AUDITOR, "outsider": Role.OWNER}  # fmt: skip
    for _, action, outcomes in COMMANDS:
        for who, outcome in zip(ROLES, outcomes.split(), strict=True):
            wanted = (
                "hidden"
                if not seen[who]
                else ("ok" if role[who] in PERMISSIONS[action] else "denied")
            )
            assert outcome == wanted, (action, who)


@pytest.mark.parametrize(("command", "action", "outcomes"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_each_role_may_do_what_the_role_table_says(
    crew: Crew, tmp_path: Path, command: str, action: Action, outcomes: str
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Called SSA about the request.\n")
    for who, outcome in zip(ROLES, outcomes.split(), strict=True):
        out = tmp_path / f"out-{who}"
        args = command.format(id=crew.case, out=out, file=note).split()
        before, audited = crew.state(crew.case), len(crew.audit(who))
        result = crew.run(who, *args)
        said = result.stdout + result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit), said
        assert "Traceback" not in said
        if outcome == "ok":
            assert result.exit_code == 0, (who, said)
            written = crew.entries(crew.case)[before[0] :]
            name = crew.actors[who].name
            assert all(e["by"] == {"id": crew.actors[who].user_id, "name": name} for e in written)
            continue
        assert result.exit_code == 2, (who, said)
        if outcome == "hidden":
            assert f"There is no case '{crew.case}' that you can see." in said, (who, said)
        else:
            assert f"Your role ({crew.actors[who].role.value}) does not allow this" in said, said
        assert crew.state(crew.case) == before, f"{who}: a refused command changed the case"
        assert not out.exists(), f"{who}: a refused command wrote {out}"
        refusals = crew.audit(who)[: len(crew.audit(who)) - audited]
        assert (f"denied:{action.value}", crew.case, "denied") in refusals, (who, refusals)


def test_what_members_write_names_them_and_is_audited(crew: Crew, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Called SSA.\n")
    note = crew.run("assigned", "proof", "add", crew.case, str(tmp_path / "note.txt"),
                    "--kind", "other")  # fmt: skip
    assert note.exit_code == 0, note.stderr
    last = crew.work.entries(crew.case)[-1]
    assert last.kind == "document"
    assert json.loads(last.payload)["by"] == {
        "id": crew.actors["assigned"].user_id,
        "name": "Ben Okafor",
    }
    assert ("proof.add", crew.case, "ok") in crew.audit("assigned")
    filed = crew.run("owner", "request", str(EXAMPLE), "--out", str(tmp_path / "filing"),
                     "--case", crew.case, "--as-of", "2026-12-02")  # fmt: skip
    assert filed.exit_code == 0, filed.stderr
    prepared = crew.work.entries(crew.case)[-1]
    assert prepared.kind == "request_prepared"
    assert json.loads(prepared.payload)["by"]["id"] == crew.actors["owner"].user_id
    assert ("cli:request.prepare", crew.case, "ok") in crew.audit("owner")
    stay = crew.run("assigned", "trips", "add", "PT", "2027-03-02", "--case", crew.case[:6])
    assert stay.exit_code == 0, stay.stderr
    assert ("cli:case.edit", crew.case, "ok") in crew.audit("assigned")
    export = crew.run("auditor", "proof", "export", crew.case, "--out", str(tmp_path / "p.zip"))
    assert export.exit_code == 0 and (tmp_path / "p.zip").is_file(), export.stderr
    assert ("proof.export", crew.case, "ok") in crew.audit("auditor")


def test_a_new_case_belongs_to_the_members_organisation(crew: Crew) -> None:
    made = crew.run("assigned", "case", "new", str(EXAMPLE), "--as-of", "2026-12-02",
                    "--format", "json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    case_id = json.loads(made.stdout)["id"]
    placed = crew.team.team_case(case_id)
    assert placed is not None and placed.org_id == crew.members.org
    assert placed.assignee_id == crew.actors["assigned"].user_id  # a preparer's own case
    assert crew.entries(case_id)[0]["by"]["name"] == "Ben Okafor"
    assert ("case.create", case_id, "ok") in crew.audit("assigned")
    text = crew.run("assigned", "case", "new", str(EXAMPLE), "--as-of", "2026-12-02")
    assert text.exit_code == 0, text.stderr
    assert crew.case in text.stdout  # the same SSN: on the case Ben sees...
    assert crew.spare not in text.stdout and crew.foreign not in text.stdout  # ...only
    count = len(crew.work.cases())
    refused = crew.run("auditor", "case", "new", str(EXAMPLE), "--as-of", "2026-12-02")
    assert refused.exit_code == 2 and "Your role (auditor) does not allow this" in refused.stderr
    assert len(crew.work.cases()) == count
    assert ("denied:case.create", None, "denied") in crew.audit("auditor")


def _listed(crew: Crew, who: str) -> list[str]:
    result = crew.run(who, "case", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [c["id"] for c in json.loads(result.stdout)]


def test_a_member_lists_only_the_cases_they_see(crew: Crew) -> None:
    ours = [crew.case, crew.spare]
    assert _listed(crew, "owner") == ours
    assert _listed(crew, "reviewer") == ours and _listed(crew, "auditor") == ours
    assert _listed(crew, "assigned") == [crew.case]
    assert _listed(crew, "preparer") == []
    assert _listed(crew, "outsider") == [crew.foreign]
    due = crew.run("assigned", "reminders", "--as-of", "2026-12-02", "--format", "json")
    assert due.exit_code == 0, due.stderr
    assert {r["case"] for r in json.loads(due.stdout)} == {crew.case}
    assert crew.run("preparer", "watch", "--as-of", "2026-12-02").exit_code == 0


def test_a_case_is_found_among_the_members_cases_only(crew: Crew) -> None:
    shown = crew.run("assigned", "case", "show", crew.case[:5])
    assert shown.exit_code == 0 and crew.case in shown.stdout, shown.stderr
    only = crew.run("assigned", "trips", "list")  # the one case Ben sees
    assert only.exit_code == 0, only.stderr
    several = crew.run("owner", "trips", "list")
    assert several.exit_code == 2 and "say which one" in several.stderr
    prefix = crew.foreign[:6]
    hidden = crew.run("owner", "case", "show", prefix)
    assert hidden.exit_code == 2, hidden.stderr
    assert f"There is no case '{prefix}' that you can see." in hidden.stderr
    assert crew.foreign not in hidden.stdout + hidden.stderr
    assert ("denied:case.read", None, "denied") in crew.audit("owner")


# --- without a working token ------------------------------------------------------------------


def _refused_for_the_token(crew: Crew, result: Result, before: tuple[int, int, str]) -> None:
    said = result.stdout + result.stderr
    assert result.exit_code == 2, said
    assert result.exception is None or isinstance(result.exception, SystemExit), said
    assert "Traceback" not in said and NO_TOKEN in said and FIX in said, said
    assert crew.state(crew.case) == before


def test_without_a_token_a_teams_store_is_refused(crew: Crew) -> None:
    before = crew.state(crew.case)
    commands = [
        ("case", "list"),
        ("proof", "add", crew.case, "--kind", "other"),
        ("trips", "add", "PT", "2027-03-02", "--case", crew.case),
        ("reminders",),
    ]
    for args in commands:
        result = crew.run(None, *args)
        _refused_for_the_token(crew, result, before)
        assert "none is set" in result.stderr
    blank = crew.run(None, "case", "list", token="  ")
    _refused_for_the_token(crew, blank, before)


def test_a_token_that_does_not_work_is_refused(crew: Crew, tmp_path: Path) -> None:
    before = crew.state(crew.case)
    old = Accounts(crew.team, clock=lambda: datetime.now(UTC) - timedelta(days=400))
    expired = _token(old, crew.actors["owner"])
    revoked = _token(Accounts(crew.team), crew.actors["owner"])
    crew.team.revoke_token(token_digest(crew.team.keys.mac_key, revoked))
    crew.team.remove_member(crew.members.org, crew.actors["reviewer"].user_id or "")
    calendar = Accounts(crew.team)  # a calendar feed's secret is not an access token
    user = crew.team.user(crew.actors["owner"].user_id or "")
    assert user is not None
    feed = calendar.feed_address(SignedIn(crew.actors["owner"], user, "", False, ""), "team")
    for token in ("cfpat_" + "x" * 43, expired, revoked, crew.tokens["reviewer"], feed,
                  "cfpat_" + "x" * 300, "cfpat_ünïcode"):  # fmt: skip
        result = crew.run(None, "proof", "add", crew.case, "--kind", "other", token=token)
        _refused_for_the_token(crew, result, before)
        assert "does not work" in result.stderr and "expired" in result.stderr
    assert crew.run("owner", "case", "show", crew.case).exit_code == 0  # the others still work


# --- a single person's store ------------------------------------------------------------------


def test_a_single_persons_store_needs_no_token(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COCFLOW_TOKEN", raising=False)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    made = run("case", "new", str(EXAMPLE), "--as-of", "2026-12-02", "--format", "json")
    case_id = json.loads(made.stdout)["id"]
    (tmp_path / "note.txt").write_text("Called SSA.\n")
    run("proof", "add", case_id[:6], str(tmp_path / "note.txt"), "--kind", "other")
    run("trips", "add", "PT", "2027-03-02")  # the only case
    assert case_id in run("case", "list").stdout
    junk = {"COCFLOW_TOKEN": "not a token at all"}  # ignored: there is no team
    run("proof", "verify", case_id, env=junk)
    run("request", str(EXAMPLE), "--out", str(tmp_path / "filing"), "--case", case_id,
        "--as-of", "2026-12-02", env=junk)  # fmt: skip
    listed = json.loads(run("proof", "list", case_id, "--format", "json").stdout)
    assert [e["kind"] for e in listed] == ["screened", "document", "request_prepared"]
    assert all("by" not in e["payload"] for e in listed)
    gone = runner.invoke(app, ["case", "show", "ffffffffffffffff"])
    assert gone.exit_code == 2 and "there is no case 'ffffffffffffffff'" in gone.stderr
