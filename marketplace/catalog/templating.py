"""The catalog's words in every template: value labels, plan summaries, prices, Markdown, and
the language version of merchants' text that the page's language calls for."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale

from marketplace.catalog import localized
from marketplace.catalog.content import render_markdown
from marketplace.catalog.labels import label, plan_details, plan_headline
from marketplace.money import format_money


def listing_text(listing: Any, field: str) -> localized.LocalText:
    """``field`` of ``listing`` in the page's language, with the fallback marked."""
    return localized.listing_text(listing, field, get_locale())


def in_page_language(chinese: str | None, english: str | None) -> localized.LocalText:
    """The Chinese or English version of a merchant's text (a title kept on a report row, say)
    that the page's language calls for, with the fallback marked."""
    return localized.choose(chinese, english, get_locale())


def field_description(field: dict[str, Any]) -> localized.LocalText:
    """A data dictionary field's description in the page's language."""
    return localized.field_description(field, get_locale())


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals.update(label=label, plan_headline=plan_headline,
                                 plan_details=plan_details, listing_text=listing_text,
                                 in_page_language=in_page_language,
                                 field_description=field_description)
