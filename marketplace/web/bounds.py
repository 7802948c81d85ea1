"""Bounded integers: every number that becomes an id or a page fits the database's column.

PostgreSQL keeps ids in 32-bit signed integers (SQLite in 64-bit ones); a larger number
reaching a query is a database error (a 500) instead of "no such thing". The URL converter
registered as ``int`` answers 404 for a segment outside 1..2**31-1
(:data:`marketplace.base.MAX_ID`); forms and JSON schemas use
:data:`ID_RANGE` and :func:`page_arg` so that such input is a 422 or a 404, never a 500.
"""

from __future__ import annotations

from flask import Flask, abort, request
from marshmallow import validate
from werkzeug.routing import IntegerConverter

from marketplace.base import MAX_ID

#: Pages past this are empty anyway; the offset they would need could overflow.
MAX_PAGE = 100_000

ID_RANGE = validate.Range(1, MAX_ID, error="Use a whole number from {min} to {max}.")


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` for ids: 1 to :data:`~marketplace.base.MAX_ID`, anything else does not match
    (404).

    Too many digits fail the pattern itself, before any rule is picked: a value that only the
    range check refuses makes Werkzeug answer 405 where a GET and a POST rule share a path.
    """

    regex = rf"\d{{1,{len(str(MAX_ID))}}}"

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def page_arg(name: str = "page", values=None) -> int:
    """The page number asked for in the query string (or ``values``): 1 when missing or not a
    number, and never more than :data:`MAX_PAGE`."""
    raw = (request.args if values is None else values).get(name, "")
    page = int(raw) if raw.isdigit() and len(raw) <= 9 else 1
    return min(max(page, 1), MAX_PAGE)


def api_page(page: int) -> int:
    """A paginated API's ``page`` argument, refused with a 422 past :data:`MAX_PAGE`."""
    if page > MAX_PAGE:
        abort(422, f"The page must be a number from 1 to {MAX_PAGE}.")
    return page


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
