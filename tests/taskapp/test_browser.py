"""The front end in real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

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
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
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
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("title")
    expect(page.get_by_role("listitem")).to_have_count(0)

    page.get_by_label("New task").fill("x" * 501)
    page.get_by_role("button", name="Add").click()
    expect(alert).to_contain_text("at most 500 characters")

    page.get_by_label("New task").fill("Valid now")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("listitem")).to_have_count(1)
    expect(alert).to_be_hidden()
