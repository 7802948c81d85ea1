"""Languages: English and Simplified Chinese, chosen by the user and remembered.

Product content is shown as the merchant wrote it; only the platform's own text is translated.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale
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


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["html_lang"] = html_lang
