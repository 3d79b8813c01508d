"""The web interview and the command line give the same case and the same answer; a no_go
shows the foreign path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cocflow.cli.app import app as cli_app
from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for
from tests.web.conftest import BASE_URL
from tests.web.support import make_app, new_token
from tests.web.test_interview_pages import Walk, _start, _text

TODAY = date(2026, 12, 2)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Casework]]:
    settings = Settings.from_env({"COCFLOW_HOME": str(tmp_path / "home")})
    token = new_token()
    app = make_app(settings, token)
    work = open_casework(settings, rules_for(settings))
    app.state.work, app.state.today = work, TODAY
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=True) as client:
        assert client.get(f"/?token={token}").status_code == 200
        yield client, work
    work.close()


def _web(client: TestClient, home: str, stay: tuple[str, str, str]) -> str:
    walk = Walk(client)
    base = "/".join(_start(client).split("/")[:3])
    walk.answer(f"{base}/q/kind", answer="self_employed")
    walk.answer(f"{base}/q/citizenship", answer="US")
    walk.answer(f"{base}/q/operating_since", answer="2019-06-01")
    walk.answer(f"{base}/home/edit?row=new", country=home, start="2015-01-01", end="")
    walk.answer(f"{base}/stays/edit?row=new", country=stay[0], start=stay[1], end=stay[2],
                client_name="", client_country="")  # fmt: skip
    walk.answer(f"{base}/check")
    return base.split("/")[2]


@pytest.mark.parametrize(
    ("home", "stay", "outcome"),
    [("US", ("PT", "2027-03-01", "2027-07-31"), "go"),
     ("PT", ("PT", "2027-01-10", "2027-12-31"), "no_go"),
     ("US", ("TH", "2027-01-10", "2027-04-30"), "no_go")],
)  # fmt: skip
def test_the_web_and_the_command_line_agree(
    site: tuple[TestClient, Casework], tmp_path: Path, home: str, stay: tuple[str, ...],
    outcome: str,
) -> None:  # fmt: skip
    client, work = site
    case_id = _web(client, home, (stay[0], stay[1], stay[2]))
    out = tmp_path / "case.yaml"
    typed = f"1\nUS\n{home}\n2015-01-01\n2019-06-01\n{stay[0]}\n{stay[1]}\n{stay[2]}\n\n"
    made = CliRunner().invoke(cli_app, ["new", str(out), "--as-of", "2026-12-02"], input=typed)
    assert made.exit_code == 0, made.stderr
    assert read_case(out) == work.case(case_id)  # the same case
    screened = CliRunner().invoke(
        cli_app, ["screen", str(out), "--as-of", "2026-12-02", "--format", "json"]
    )
    stored = work.store.get_case(case_id).decision
    assert json.loads(screened.stdout) == stored  # the same decision, word for word
    assert stored["outcome"] == outcome


def test_a_no_go_shows_the_foreign_path(site: tuple[TestClient, Casework]) -> None:
    client, _ = site
    case_id = _web(client, "Portugal", ("Portugal", "2027-01-10", "2027-12-31"))
    answer = _text(client.get(f"/cases/{case_id}/answer").text)
    assert answer.startswith("No go")
    assert "The other country's certificate Get Portugal's certificate of coverage" in answer
    assert "Schedule SE" in answer
    assert "if you lived in the United States for the whole time" in answer  # what would change
