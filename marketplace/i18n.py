"""Languages: English and Simplified Chinese, chosen by the user and remembered.

Product content is shown as the merchant wrote it; only the platform's own text is translated.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_skeleton
from flask import Flask, current_app, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    # Browsers say zh-CN / zh-Hans / zh; all of them mean Simplified Chinese here.
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans"], default="en")
    return "zh_Hans" if best.lower().startswith("zh") else "en"


def html_lang() -> str:
    """The current locale as an HTML ``lang`` value (``zh-Hans``, ``en``)."""
    return str(get_locale() or "en").replace("_", "-")


def month_name(value: date) -> str:
    """A month as the locale writes it: "December 2026", "2026年12月" (Babel's ``yMMMM``
    skeleton; a fixed "MMMM y" pattern gives "十二月 2026")."""
    return format_skeleton("yMMMM", value, locale=get_locale() or "en")


def day(value: date | datetime) -> str:
    """A date for a sentence, in the locale's medium pattern ("Jan 6, 2027", "2027年1月6日")."""
    return format_date(value, "medium")


def moment(value: datetime) -> str:
    """A time for a sentence, to the minute, in the locale's pattern and the platform's zone."""
    return format_datetime(value, "medium")


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.filters["monthformat"] = month_name
