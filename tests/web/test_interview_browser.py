"""The interview in a real browser (Debian's chromium): the simplest case from the start page to
its answer, by keyboard where a person would type, every page checked with axe (WCAG 2.2 AA)
and kept as a screenshot."""

from __future__ import annotations

from typing import Any

from tests.web.support import check_a11y, screenshot


def _look(page: Any, name: str) -> None:
    assert page.locator("h1").count() == 1, page.url
    check_a11y(page)
    screenshot(page, f"interview-{name}")


def _fill(page: Any, label: str, value: str) -> None:
    page.get_by_label(label, exact=False).first.fill(value)


def test_a_freelancer_reaches_the_answer(page: Any, console: list[str]) -> None:
    page.get_by_role("link", name="Start now").click()
    page.get_by_role("button", name="Start a new case").click()
    page.wait_for_url("**/q/kind")
    _look(page, "1-kind")
    page.get_by_label("I work for myself").check()
    page.keyboard.press("Enter")  # the form is sent from the keyboard
    page.wait_for_url("**/q/citizenship")
    _look(page, "2-citizenship")
    page.locator("#answer").fill("US")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/q/operating_since")
    page.locator("#answer").fill("01/06/2019")  # the wrong form: refused, said how
    page.get_by_role("button", name="Save and continue").click()
    assert page.title().startswith("Error: ")
    # Focus moves to the error summary (the deferred script does it once the page has loaded:
    # wait for it, up to 5 s, rather than asking before the script ran).
    page.wait_for_function(
        "document.activeElement && document.activeElement.hasAttribute('data-error-summary')",
        timeout=5000,
    )
    _look(page, "3-operating-since-error")
    page.get_by_role("link", name="YYYY-MM-DD", exact=False).click()
    assert page.evaluate("document.activeElement.id") == "answer"  # the link reaches the field
    page.locator("#answer").fill("2019-06-01")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/home/edit**")
    _look(page, "4-home")
    _fill(page, "Country", "United States")
    _fill(page, "Living there since", "2015-01-01")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/stays/edit**")
    _look(page, "5-stay")
    _fill(page, "Country where you will physically do the work", "Portugal")
    _fill(page, "First day of the work there", "2027-03-01")
    _fill(page, "Last day", "2027-07-31")
    _fill(page, "Client or company", "Müller GmbH")
    _fill(page, "The client's country", "Germany")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/check")
    _look(page, "6-check")
    changes = page.locator("a", has_text="Change")
    for i in range(changes.count()):  # every Change link names what it changes
        assert changes.nth(i).inner_text().strip() != "Change"
    page.get_by_role("button", name="Confirm and see the answer").click()
    page.wait_for_url("**/answer")
    _look(page, "7-answer")
    assert page.locator("h1").inner_text() == "Go"
    assert "by 2026-12" in page.locator(".answer__sentence").inner_text()
    page.go_back()  # the browser's Back still works after a post
    page.go_back()
    assert "/cases/" in page.url
    page.goto(page.url.split("/cases/")[0] + "/cases/" + page.url.split("/cases/")[1][:16])
    _look(page, "8-task-list")
    # Only the refused answer's page (status 400) is reported; no script or CSP error.
    assert [m for m in console if "status of 400" not in m] == []


def test_the_interview_fits_a_small_screen(page: Any) -> None:
    """WCAG 1.4.10 (reflow): at 320 pixels wide nothing scrolls sideways."""
    page.set_viewport_size({"width": 320, "height": 640})

    def fits(name: str) -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
        check_a11y(page)
        screenshot(page, f"interview-320-{name}")

    page.get_by_role("link", name="Start now").click()
    page.get_by_role("button", name="Start a new case").click()
    page.wait_for_url("**/q/kind")
    fits("kind")
    page.get_by_label("I work for myself").check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/q/citizenship")
    page.locator("#answer").fill("US")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/q/operating_since")
    page.locator("#answer").fill("2019-06-01")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/home/edit**")
    fits("home")
    page.get_by_label("Country", exact=True).fill("United States")
    page.get_by_label("Living there since").fill("2015-01-01")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/stays/edit**")
    fits("stay")
    page.get_by_label("Country where you will physically do the work").fill("Portugal")
    page.get_by_label("First day of the work there").fill("2027-03-01")
    page.get_by_label("Last day").fill("2027-07-31")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/check")
    fits("check")
    page.get_by_role("button", name="Confirm and see the answer").click()
    page.wait_for_url("**/answer")
    fits("answer")
    page.goto(page.url.rsplit("/", 1)[0])
    fits("task-list")
