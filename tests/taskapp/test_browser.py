"""The front end in real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.support.tools import require
from tests.taskapp.support import Server, running_server

pytestmark = pytest.mark.chromium
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require("chromium", "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = {"TASKAPP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"}
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        yield server


@pytest.fixture
def context_options() -> dict[str, Any]:
    return {}


@pytest.fixture
def page(browser: Browser, server: Server, context_options: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], errors


def test_add_complete_rename_delete(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_text("No tasks yet.")).to_be_visible()

    page.get_by_label("New task").fill("Buy milk")
    page.keyboard.press("Enter")
    item = page.get_by_role("listitem").filter(has_text="Buy milk")
    expect(item).to_be_visible()
    expect(page.get_by_label("New task")).to_have_value("")

    page.get_by_role("checkbox", name="Buy milk").check()
    expect(page.get_by_role("checkbox", name="Buy milk")).to_be_checked()
    expect(page.get_by_role("listitem").filter(has_text="Buy milk")).to_have_class(
        re.compile(r"\bdone\b")
    )

    page.get_by_role("button", name="Rename Buy milk").click()
    rename = page.get_by_label("New title for Buy milk")
    expect(rename).to_be_focused()
    rename.fill("Buy oat milk")
    rename.press("Enter")
    expect(page.get_by_role("checkbox", name="Buy oat milk")).to_be_checked()

    page.reload()  # the server kept every change
    expect(page.get_by_role("checkbox", name="Buy oat milk")).to_be_checked()

    page.get_by_role("button", name="Delete Buy oat milk").click()
    expect(page.get_by_role("listitem")).to_have_count(0)
    expect(page.get_by_text("No tasks yet.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("listitem")).to_have_count(0)


def test_invalid_title_shows_the_api_error(page: Page) -> None:
    page.goto("/")
    page.get_by_label("New task").fill("   ")
    page.get_by_role("button", name="Add").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Title cannot be empty.")
    expect(page.get_by_role("listitem")).to_have_count(0)

    page.get_by_label("New task").fill("x" * 501)
    page.get_by_role("button", name="Add").click()
    expect(alert).to_have_text("Title must be at most 500 characters long.")

    page.get_by_label("New task").fill("Valid now")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("listitem")).to_have_count(1)
    expect(alert).to_be_hidden()


def _titles(server: Server) -> list[str]:
    return [task["title"] for task in httpx.get(f"{server.url}/api/tasks").json()]


def test_double_click_on_add_creates_one_task(page: Page, server: Server) -> None:
    page.goto("/")
    page.get_by_label("New task").fill("Only once")

    # Slow the POST down, so the second click lands while the first request is in flight.
    def slowly(route: Route) -> None:
        page.wait_for_timeout(300)
        route.continue_()

    page.route("**/api/tasks", slowly)
    page.get_by_role("button", name="Add").dblclick()
    expect(page.get_by_role("listitem")).to_have_count(1)
    page.get_by_label("New task").press("Enter")  # the field is empty again: a 422, no task
    expect(page.get_by_role("alert")).to_have_text("Title cannot be empty.")
    assert _titles(server) == ["Only once"]


def test_done_filter_says_where_a_new_task_went(page: Page, server: Server) -> None:
    page.goto("/")
    page.get_by_label("New task").fill("Already open")
    page.keyboard.press("Enter")
    expect(page.get_by_role("listitem")).to_have_count(1)

    page.get_by_label("Done").check()
    expect(page.get_by_role("listitem")).to_have_count(0)
    expect(page.get_by_text("No done tasks.")).to_be_visible()
    expect(page.get_by_text("No tasks yet.")).to_have_count(0)

    page.get_by_label("New task").fill("Fresh one")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text('Added Fresh one. It is not shown while "Done" is selected.')
    ).to_be_visible()
    expect(page.get_by_role("listitem")).to_have_count(0)
    assert sorted(_titles(server)) == ["Already open", "Fresh one"]

    page.get_by_label("Open").check()
    expect(page.get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#notice")).to_be_hidden()


@pytest.mark.parametrize("context_options", [{"viewport": {"width": 390, "height": 844}}])
def test_rename_row_fits_a_390_px_phone(page: Page) -> None:
    page.goto("/")
    page.get_by_label("New task").fill("A task with a rather long title to rename on a phone")
    page.keyboard.press("Enter")
    page.get_by_role("button", name=re.compile("^Rename ")).click()
    cancel = page.get_by_role("button", name="Cancel")
    expect(cancel).to_be_visible()
    box = cancel.bounding_box()
    assert box is not None
    width = page.evaluate("document.documentElement.clientWidth")
    assert box["x"] + box["width"] <= width, (box, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


_CONTRAST = """(element) => {
  const rgb = (css) => css.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (css) => {
    const [r, g, b] = rgb(css).map((v) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let back = element;
  while (getComputedStyle(back).backgroundColor === "rgba(0, 0, 0, 0)") back = back.parentElement;
  const a = luminance(getComputedStyle(element).color);
  const b = luminance(getComputedStyle(back).backgroundColor);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize(
    "context_options", [{"color_scheme": "dark"}, {"color_scheme": "light"}], ids=["dark", "light"]
)
def test_buttons_meet_wcag_aa_contrast(page: Page) -> None:
    page.goto("/")
    page.get_by_label("New task").fill("Contrast")
    page.keyboard.press("Enter")
    for name in ("Delete Contrast", "Rename Contrast", "Add"):
        ratio = page.get_by_role("button", name=name).evaluate(_CONTRAST)
        assert ratio >= 4.5, (name, ratio)


def test_docs_work_offline(page: Page, server: Server) -> None:
    elsewhere: list[str] = []

    def only_this_server(route: Route) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto("/docs")
    expect(page.get_by_text("/api/tasks/{id}").first).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("TaskApp"))).to_be_visible()
    assert elsewhere == []
