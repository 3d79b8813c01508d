"""The owner's page: screen every client again under new rules, follow the run, see whose
answer changed; no one else may start it. On SQLite (worked in the server) and PostgreSQL
(queued for the workers; a worker is run here until the queue is empty)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from cocflow.services import queue
from cocflow.services.access import Actor, Role
from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for
from cocflow.services.team import Desk
from cocflow.store.team import TeamStore
from tests.rescreen.support import TODAY, move, shortened_rules
from tests.team.pages import Site, _csrf, _sign_in


def _clients(site: Site) -> dict[int, str]:
    work = open_casework(site.settings, rules_for(site.settings))
    try:
        team = TeamStore(work.store.engine, work.store.keys)
        user = team.user_by_email("ana@rivera.example")
        assert user is not None
        org = team.orgs_of(user.id)[0]
        owner = Actor(user.id, org, Role.OWNER, True, name=user.name)
        desk = Desk(work, team)
        return {
            months: desk.new_case(owner, move(months), TODAY, client_ref=f"D-{months}")[0]
            for months in (12, 36)
        }
    finally:
        work.close()


def test_the_owner_screens_every_client_again(site: Site, tmp_path: Path) -> None:
    made = _clients(site)
    folder = shortened_rules(tmp_path / "rules")
    changed = Site(replace(site.settings, rules_dir=folder))
    try:
        with changed.client() as owner:
            _sign_in(owner, "ana@rivera.example")
            page = owner.get("/team/rescreen")
            assert page.status_code == 200 and "Screen every client again" in page.text
            started = owner.post(
                "/team/rescreen", data={"csrf_token": _csrf(page.text)}, follow_redirects=False
            )
            assert started.status_code == 303
            if changed.settings.database_url and "postgresql" in changed.settings.database_url:
                queue.run_worker(changed.settings, burst=True)
            deadline = time.monotonic() + 30
            while "Done:" not in (page := owner.get("/team/rescreen")).text:
                assert time.monotonic() < deadline, page.text
                time.sleep(0.2)
            assert "2 screened again" in page.text and "1 changed" in page.text
            assert f"/team/cases/{made[36]}" in page.text  # the longer move flipped
            assert f"/team/cases/{made[12]}" not in page.text
            assert "outcome go -&gt; no_go" in page.text
            assert "nothing to do until they change" in page.text
            again = owner.post(  # the form sent again: the same run, not an empty one
                "/team/rescreen", data={"csrf_token": _csrf(page.text)}, follow_redirects=True
            )
            assert "2 screened again" in again.text and "1 changed" in again.text
        with changed.client() as preparer_less:  # the other organisation's owner
            _sign_in(preparer_less, "zoe@elsewhere.example")
            page = preparer_less.get("/team/rescreen")
            assert "Done:" not in page.text  # another organisation's run is not shown
    finally:
        changed.close()
