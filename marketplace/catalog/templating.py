"""The catalog's words in every template: value labels, plan summaries, prices and Markdown."""

from __future__ import annotations

from flask import Flask

from marketplace.catalog.content import render_markdown
from marketplace.catalog.labels import label, plan_details, plan_headline
from marketplace.money import format_money


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals.update(label=label, plan_headline=plan_headline,
                                 plan_details=plan_details)
