"""No page shows an SSN in full: every page reachable from a case with a complete filing, its
proof file and its log is fetched, and every HTML body is searched for the number in any
spacing. Downloads that must hold it (the request documents, the case file, the bundle) are
named on their pages as holding it; they are attachments, never pages."""

from __future__ import annotations

import re
from collections import deque
from datetime import date
from pathlib import Path

from starlette.testclient import TestClient

from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.services import filing
from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for
from tests.web.conftest import BASE_URL
from tests.web.support import make_app, new_token

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "filing-complete.yaml"
FULL = re.compile(r"123[- ]?45[- ]?6789")
TODAY = date(2026, 12, 2)


def test_no_page_reachable_from_a_case_shows_the_full_ssn(tmp_path: Path) -> None:
    settings = Settings.from_env({"COCFLOW_HOME": str(tmp_path / "home")})
    token = new_token()
    app = make_app(settings, token)
    work = open_casework(settings, rules_for(settings))
    app.state.work, app.state.today = work, TODAY
    case = read_case(EXAMPLE)
    case_id, _ = work.new_case(case, TODAY)
    filing.request(case, tmp_path / "out", TODAY, work.rules, casework=work, case_id=case_id)
    receipt = tmp_path / "receipt.txt"
    receipt.write_text("received")
    work.add(case_id, "submission", receipt, {"channel": "mail"})
    work.save_draft(case_id, case)  # a working copy holding the SSN too
    seen: set[str] = set()
    pages = 0
    with TestClient(app, base_url=BASE_URL) as client:
        assert client.get(f"/?token={token}").status_code == 200
        queue = deque(["/cases", f"/cases/{case_id}"])
        while queue:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            if "text/html" not in response.headers.get("content-type", ""):
                assert "attachment" in response.headers.get("content-disposition", ""), url
                continue
            pages += 1
            assert not FULL.search(response.text), url
            for link in re.findall(r'href="(/[^"#]*)', response.text):
                if link.startswith(("/cases", "/reminders")) and link not in seen:
                    queue.append(link.replace("&amp;", "&"))
    work.close()
    assert pages >= 25, pages  # the interview, filing, documents, proof and log pages
