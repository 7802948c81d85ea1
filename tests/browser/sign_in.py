"""Signing in as a person would in the browser: the login form, and for an admin the
second factor's page with the current code of their authenticator."""

from __future__ import annotations

import re

from marketplace.accounts.second_factor import current_code


def log_in(page, base: str, email: str, password: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("main form button[type=submit]").click()
    if totp_secret is not None:  # an admin: the second factor's page comes next
        page.wait_for_url(re.compile(rf"^{re.escape(base)}/login/second-factor"))
        page.get_by_label("Code").fill(current_code(totp_secret))
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/?$"))
