"""The pages in a real browser (Debian's chromium through Playwright): what a person sees, the
keyboard, accessibility (axe, WCAG 2.2 AA), with and without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.support import LiveServer, check_a11y, screenshot


def _focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName, id: e.id, text: (e.textContent || '').trim(),"
        " summary: e.hasAttribute('data-error-summary') ? 'yes' : 'no'}; }"
    )


def test_the_start_page(page: Any, console: list[str]) -> None:
    assert page.title() == "Avoid paying social security twice \u2013 cocflow"
    assert page.locator("h1").count() == 1
    assert "twice on the same earnings" in page.locator("h1").inner_text()
    assert "This is not legal advice" in page.locator(".notice").inner_text()
    assert "free" in page.locator("main").inner_text()
    start = page.get_by_role("link", name="Start now")
    assert start.get_attribute("href") == "/cases"
    check_a11y(page)
    screenshot(page, "start-1280")
    start.click()
    page.wait_for_url("**/cases")
    assert page.locator("h1").inner_text() == "Your cases"
    check_a11y(page)
    assert console == []  # nothing refused by the content security policy, no script error


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "start-320"),
        ("/cases", "cases-320"),
        ("/_preview/question?error=1", "question-error-320"),
        ("/_preview/radios?error=1", "radios-error-320"),
        ("/_preview/tasks", "tasks-320"),
        ("/_preview/answers", "answers-320"),
        ("/no-such-page", "not-found-320"),
    ],
)
def test_every_page_fits_a_small_screen(
    page: Any, live_server: LiveServer, path: str, name: str
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    check_a11y(page)
    screenshot(page, name)


def test_the_skip_link_comes_first_and_moves_focus_to_main(page: Any) -> None:
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert (focused["tag"], focused["text"]) == ("A", "Skip to main content")
    box = page.locator(".skip-link").bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["height"] > 10  # shown when focused
    screenshot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Start now"  # the next stop is inside main
    screenshot(page, "start-button-focused")


def test_the_token_link_leaves_a_cookie_and_no_token(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(f"{live_server.url}/cases?token={live_server.token}")
        assert response is not None
        assert response.status == 200
        assert page.url == f"{live_server.url}/cases"
        (cookie,) = context.cookies()
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["value"] != live_server.token
        assert page.evaluate("document.cookie") == ""  # no script can read it
        page.go_back()
        assert page.url == "about:blank"  # the token address is not kept in the history
    finally:
        context.close()


def test_without_the_link_the_page_says_how_to_open_it(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(f"{live_server.url}/")
        assert response is not None
        assert response.status == 403
        assert page.locator("h1").inner_text() == "Open cocflow with the link it printed"
        assert "cocflow serve" in page.locator("main").inner_text()
        check_a11y(page)
        screenshot(page, "not-signed-in")
    finally:
        context.close()


def test_the_error_page_is_accessible(page: Any, live_server: LiveServer) -> None:
    response = page.goto(f"{live_server.url}/no-such-page")
    assert response is not None
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    check_a11y(page)


def test_a_question_page(page: Any, live_server: LiveServer, console: list[str]) -> None:
    page.goto(f"{live_server.url}/_preview/question")
    field = page.get_by_label("What is your full name?")
    assert field.get_attribute("id") == "full-name"
    described = field.get_attribute("aria-describedby")
    assert described == "full-name-hint full-name-why"
    assert "SSA matches the request" in page.locator("#full-name-why").inner_text()
    assert page.locator("#full-name-why").is_visible()
    check_a11y(page)
    screenshot(page, "question")
    assert console == []


def test_a_question_with_an_error(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/_preview/question?error=1")
    assert page.title().startswith("Error: ")
    summary = page.locator("[data-error-summary]")
    assert summary.get_attribute("role") == "alert"
    assert _focused(page)["summary"] == "yes"  # the script moved focus to the summary
    field = page.locator("#full-name")
    assert field.get_attribute("aria-invalid") == "true"
    assert "full-name-error" in (field.get_attribute("aria-describedby") or "")
    check_a11y(page)
    screenshot(page, "question-error")
    summary.get_by_role("link", name="Enter your full name").click()
    assert _focused(page)["id"] == "full-name"


def test_radios_with_an_error(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/_preview/radios?error=1")
    group = page.get_by_role("group", name="How are you paid for this work?")
    assert group.count() == 1
    assert page.get_by_role("radio").count() == 2
    check_a11y(page)
    page.locator("[data-error-summary] a").click()
    assert _focused(page)["id"] == "worker-kind"  # the first choice
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("By my own business").is_checked()


def test_the_task_list(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/_preview/tasks")
    statuses = page.locator(".task-list__status").all_inner_texts()
    assert statuses == [
        "Done",
        "In progress",
        "Needs information",
        "Not started",
        "Cannot start yet",
    ]
    assert page.get_by_role("link", name="Send it to SSA").count() == 0  # cannot start yet
    link = page.get_by_role("link", name="How you are paid")
    assert link.get_attribute("aria-describedby") == "task-1-3-status task-1-3-hint"
    check_a11y(page)
    screenshot(page, "tasks")


def test_check_your_answers(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/_preview/answers")
    for name in ("Change full name", "Change date of birth", "Change Work country"):
        assert page.get_by_role("link", name=name).count() == 1
    assert page.get_by_role("link", name="Change", exact=True).count() == 0  # each names its answer
    check_a11y(page)
    screenshot(page, "answers")
    page.get_by_role("link", name="Back").click()
    page.wait_for_url("**/_preview/tasks")


def test_a_form_is_sent_with_its_token(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/_preview/form")
    page.get_by_label("What is your full name?").fill("Ada <b>Lovelace</b>")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("main p").inner_text() == "Received: Ada <b>Lovelace</b>"


def test_pages_work_without_javascript(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.login_url)
        assert "twice" in page.locator("h1").inner_text()
        page.goto(f"{live_server.url}/_preview/form")
        page.get_by_role("button", name="Continue").click()
        assert page.locator(".error-summary").is_visible()  # shown, even if not focused
        page.get_by_label("What is your full name?").fill("Ada")
        page.get_by_role("button", name="Continue").click()
        assert page.locator("main p").inner_text() == "Received: Ada"
    finally:
        context.close()
