"""Stepping through the first run's set-up steps, for browser tests about something else."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def skip_set_up(page: Page, base: str) -> None:
    """The three set-up steps after the intake (tests/browser/test_first_run.py walks them), each skipped."""
    expect(page).to_have_url(base + "/start/time-zone")
    page.get_by_role("button", name="Skip for now").click()
    page.get_by_role("button", name="Keep it as it is").click()
    page.get_by_role("button", name="Not now").click()
    expect(page).to_have_url(base + "/today")
