"""The team server in a real browser (Debian's chromium): an owner invites a preparer and a
reviewer, the preparer imports a 300-row roster and fixes it in the page, prepares requests, the
reviewer signs one off and exports a proof file, a client opens a questionnaire link. Every page
is checked with axe (WCAG 2.2 AA) and kept as a screenshot (tests/web/artefacts/team-*.png)."""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.services.access import Actor, Role
from cocflow.services.accounts import Accounts
from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for
from cocflow.services.team import Desk
from cocflow.store.team import TeamStore
from cocflow.web.team.app import create_team_app
from tests.web.support import ARTEFACTS, LiveServer, check_a11y, running

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
OWNER = ("ana@rivera.example", "correct horse battery staple 42")
PREPARER = ("ben@rivera.example", "Ben Okafor", "tulip ledger canoe drizzle 7")
REVIEWER = ("dee@rivera.example", "Dee Novak", "quartz meadow lantern fjord 3")
ROWS = 300
HEADINGS = (
    "Client ID;Name;Worker type;Host country;Start date;End date;Lives in;Citizenship;"
    "In business since;Notes"
)
KINDS = ("Self-employed", "self employed", "Freelancer", "freelance", "Sole proprietor")
COUNTRIES = ("UK", "Holland", "The Netherlands", "Korea", "Portugal", "Germany", "España")
NAMES = ("Ana Lima", "Tom de Vries", "Kim Min-jun", "Jane O'Neil", "Lars Müller", "Zoë Park")
BAD_COUNTRY_ROW, BAD_DATE_ROW = 7, 12  # spreadsheet rows (the header is row 1)
TALLEST = 3000


def roster_csv() -> bytes:
    """A realistic export: ';' separated, month/day/year dates, the usual spellings, an unknown
    country and an impossible date."""
    pick = random.Random(2027)
    lines = [HEADINGS]
    for n in range(1, ROWS + 1):
        start = date(2027, 1, 4) + timedelta(days=pick.randrange(0, 300))
        end = start + timedelta(days=pick.randrange(30, 600))
        country = COUNTRIES[n % len(COUNTRIES)]
        start_text = f"{start:%m/%d/%Y}"
        row = n + 1
        if row == BAD_COUNTRY_ROW:
            country = "Atlantis"
        if row == BAD_DATE_ROW:
            start_text = "02/30/2027"
        since = date(2005, 1, 1) + timedelta(days=pick.randrange(0, 6000))
        note = "" if n % 5 else "Prefers e-mail"
        lines.append(
            f"C-{n:04d};{NAMES[n % len(NAMES)]} {n};{KINDS[n % len(KINDS)]};{country};"
            f"{start_text};{end:%m/%d/%Y};US;US;{since:%m/%d/%Y};{note}"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings.from_env(
        {
            "COCFLOW_HOME": str(tmp_path / "home"),
            "COCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'team.db'}",
        }
    )
    work = open_casework(settings, rules_for(settings))
    Accounts(TeamStore(work.store.engine, work.store.keys)).create_organisation(
        "Rivera & Co", OWNER[0], "Ana Rivera", OWNER[1]
    )
    work.close()
    app = create_team_app(settings, allowed_hosts={"127.0.0.1", "localhost"})
    app.state.today = TODAY
    try:
        with running(app, "") as live:
            yield live
    finally:
        app.state.team.close()


class Look:
    """Runs axe on each page and keeps its screenshot; collects every violation, so that one
    run shows them all. ``narrow``: the page at 320 pixels wide too (WCAG 1.4.10, reflow)."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def __call__(self, page: Any, name: str, *, narrow: bool = False) -> None:
        assert page.locator("h1").count() == 1, page.url
        try:
            check_a11y(page)
        except AssertionError as found:
            self.problems.append(f"team-{name}: {found}")
        _screenshot(page, f"team-{name}")
        if narrow:
            size = page.viewport_size
            page.set_viewport_size({"width": 320, "height": 640})
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                self.problems.append(f"team-{name}-320: the page is {width} pixels wide")
            _screenshot(page, f"team-{name}-320")
            page.set_viewport_size(size)


def _screenshot(page: Any, name: str) -> None:
    """The page from its top, at most TALLEST pixels of it (a 300-row table makes a page
    tens of thousands of pixels tall, slow to take and to look at)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    height = min(page.evaluate("document.documentElement.scrollHeight"), TALLEST)
    clip = {"x": 0, "y": 0, "width": width, "height": height}
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True, clip=clip)


def _go(page: Any, target: Any) -> None:
    """Clicks a link or a form's button and waits for the page it leads to."""
    with page.expect_navigation():
        target.click()


def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    _go(page, page.get_by_role("button", name="Sign in"))


def _invite(page: Any, email: str, name: str, role: str) -> str:
    """The invitation link the Members page shows once."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Name", exact=True).fill(name)
    page.locator(f"#role-{role}").check()
    _go(page, page.get_by_role("button", name="Make an invitation link"))
    link = str(page.locator(".secret").inner_text()).strip()
    assert "/join?token=" in link, link
    return link


def _join(page: Any, link: str, name: str, password: str) -> None:
    page.goto(link)
    assert page.url.endswith("/join")  # the secret left the address bar
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill(password)
    _go(page, page.get_by_role("button", name="Join"))
    assert page.url.endswith("/board")


def _actor(desk: Desk, email: str) -> Actor:
    """The member with this address, as the services know them."""
    user = desk.team.user_by_email(email)
    assert user is not None
    (org,) = desk.team.orgs_of(user.id)
    found = desk.team.member(org, user.id)
    assert found is not None
    return Actor(user.id, org, Role(found.role), found.all_cases, name=user.name)


@dataclass
class Journey:
    """What every step of the journey uses: the server, the services, the checks, and a
    browser of its own for each person."""

    url: str
    desk: Desk
    look: Look
    tmp_path: Path
    browser: Any
    contexts: list[Any] = field(default_factory=list)

    def person(self) -> Any:
        """A new browser context (no cookie), as another person's computer; its page."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.contexts.append(context)
        return context.new_page()


def _owner_signs_in_and_invites(journey: Journey) -> tuple[Any, str, str]:
    from playwright.sync_api import expect

    url, look = journey.url, journey.look
    owner = journey.person()
    owner.goto(f"{url}/login")
    look(owner, "sign-in")
    _sign_in(owner, url, OWNER[0], "not the right password at all")
    expect(owner.locator("[data-error-summary]")).to_be_focused()  # the keyboard starts there
    look(owner, "sign-in-error")
    _sign_in(owner, url, OWNER[0], OWNER[1])
    assert owner.url.endswith("/board")
    look(owner, "board-empty")
    _go(owner, owner.get_by_role("link", name="Members"))
    look(owner, "members")
    preparer_link = _invite(owner, PREPARER[0], PREPARER[1], "preparer")
    look(owner, "members-link")
    reviewer_link = _invite(owner, REVIEWER[0], REVIEWER[1], "reviewer")
    return owner, preparer_link, reviewer_link


def _preparer_joins_and_imports(journey: Journey, link: str) -> Any:
    look = journey.look
    ben = journey.person()
    ben.goto(link)
    look(ben, "join")
    _join(ben, link, PREPARER[1], PREPARER[2])
    _go(ben, ben.get_by_role("link", name="Import", exact=True))
    look(ben, "import")
    roster = journey.tmp_path / "clients.csv"
    roster.write_bytes(roster_csv())
    ben.get_by_label("The client list").set_input_files(str(roster))
    _go(ben, ben.get_by_role("button", name="Upload and check"))
    assert ben.locator("h1").inner_text() == "Check the import"
    look(ben, "review-problems", narrow=True)
    order = ben.locator("#date-order")
    assert "can each be read two ways" in order.inner_text()  # asked once, not once per cell
    ben.get_by_label("month/day/year", exact=False).check()
    ben.get_by_label(f"Correct value for row {BAD_COUNTRY_ROW}, Host country").fill("Portugal")
    ben.get_by_label(f"Correct value for row {BAD_DATE_ROW}, Start date").fill("02/28/2027")
    _go(ben, ben.get_by_role("button", name="Check again"))
    assert ben.locator("#problems").count() == 0, ben.locator("main").inner_text()
    assert f"{ROWS} new clients" in ben.locator("main").inner_text()
    look(ben, "review-checked")
    _go(ben, ben.get_by_role("button", name=f"Import the {ROWS} new and changed clients"))
    assert ben.locator("h1").inner_text() == "Clients imported"
    assert f"{ROWS} new" in ben.locator("main").inner_text()  # the corrections were kept
    look(ben, "imported")
    _go(ben, ben.get_by_role("link", name="Go to the clients"))
    assert ben.locator("tbody tr").count() == min(ROWS, 100)  # a hundred clients a page
    assert f"of {ROWS}." in ben.locator("main").inner_text()  # "Showing 1 to 100 of 300."
    look(ben, "board", narrow=True)
    return ben


def _preparer_prepares_a_batch(journey: Journey, ben: Any) -> None:
    """A roster holds no identity and no records: each request's check fails, and says so."""
    for n in (1, 2, 3):
        ben.get_by_label(f"Prepare the request of C-000{n}", exact=True).check()
    _go(ben, ben.get_by_role("button", name="Prepare the requests of the chosen clients"))
    assert ben.locator("h1").inner_text() == "Requests prepared"
    failed = ben.locator(".team-results__item")
    assert failed.count() == 3
    assert all("not ready" in text for text in failed.all_inner_texts())
    details = failed.first.get_by_role("link", name="Fill in the filing details")
    assert ben.request.get(journey.url + details.get_attribute("href")).ok
    journey.look(ben, "prepared")


def _reviewer_signs_off_and_exports(journey: Journey, link: str) -> None:
    """The preparer's complete case, prepared; another member signs it off and exports its
    proof file."""
    desk, look, url = journey.desk, journey.look, journey.url
    preparer = _actor(desk, PREPARER[0])
    complete = read_case(ROOT / "examples" / "filing-complete.yaml")
    case_id, _ = desk.new_case(preparer, complete, TODAY, client_ref="C-9001")
    (prepared,) = desk.prepare(preparer, [case_id], TODAY)
    assert prepared.ok, prepared.why
    dee = journey.person()
    _join(dee, link, REVIEWER[1], REVIEWER[2])
    dee.goto(f"{url}/team/cases/{case_id}")
    look(dee, "case-waiting")
    _go(dee, dee.get_by_role("button", name="Sign off the request"))
    assert "The request is signed off" in dee.locator("main").inner_text()
    look(dee, "case-signed-off")
    assert desk.approval(case_id).state == "approved"
    dee.goto(f"{url}/cases/{case_id}/proof")
    with dee.expect_download() as downloading:
        dee.get_by_role("link", name="download the proof bundle").click()
    bundle = journey.tmp_path / "bundle.zip"
    downloading.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as opened:
        assert "SHA256SUMS" in {Path(n).name for n in opened.namelist()}
    assert desk.verify(_actor(desk, REVIEWER[0]), case_id) is None


def _owner_sends_a_questionnaire(journey: Journey, owner: Any) -> None:
    """The owner's account and audit log; a questionnaire link the client opens."""
    look, url = journey.look, journey.url
    _go(owner, owner.get_by_role("link", name="Ana Rivera"))
    look(owner, "account")
    _go(owner, owner.get_by_role("link", name="Audit log"))
    look(owner, "audit")
    _go(owner, owner.get_by_role("link", name="Screen again"))
    look(owner, "rescreen")
    _go(owner, owner.get_by_role("button", name="Screen every client again"))
    assert "The last run" in owner.content()
    look(owner, "rescreen-run")
    owner.goto(f"{url}/board?q=C-0004")
    _go(owner, owner.get_by_role("link", name="C-0004"))
    look(owner, "case")
    _go(owner, owner.get_by_role("button", name="Make a questionnaire link"))
    link = str(owner.locator(".secret").inner_text()).strip()
    look(owner, "case-link")
    client = journey.person()
    client.goto(link)
    assert client.url.endswith("/welcome")  # the secret left the address bar
    look(client, "welcome")
    _go(client, client.get_by_role("button", name="Start"))
    assert re.search(r"/cases/[0-9a-f]{16}$", client.url)
    assert "[C-0004]" in client.locator("h1").inner_text()  # their own case
    look(client, "client-case")


def test_the_team_journey(browser: Any, team_server: LiveServer, tmp_path: Path) -> None:
    desk = team_server.app.state.team.get_desk()
    journey = Journey(team_server.url, desk, Look(), tmp_path, browser)
    try:
        owner, preparer_link, reviewer_link = _owner_signs_in_and_invites(journey)
        ben = _preparer_joins_and_imports(journey, preparer_link)
        _preparer_prepares_a_batch(journey, ben)
        _reviewer_signs_off_and_exports(journey, reviewer_link)
        _owner_sends_a_questionnaire(journey, owner)
    finally:
        for context in journey.contexts:
            context.close()
    assert journey.look.problems == [], "\n\n".join(journey.look.problems)
