"""Parts of storefront pages that every visitor sees alike, rendered once per index generation.

A busy storefront renders the same result grids and product sections over and over; rendering
them (Jinja macros, translations, prices) is most of a page's time. Each part is kept, in the
server process, under a key that names everything it depends on: the page and its address, the
language, the kind of visitor where that changes it, and the generation of the search index.

Every change that alters what these parts show (a listing published, suspended or retired, a
new version, a merchant's name, a rating, a sale) writes a search outbox row in its own
transaction and changes the index's generation once applied. While any outbox row waits, the
parts are rendered afresh from the database (and not kept), so a suspended product disappears
from every page the moment its suspension commits, as it does without the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Flask, current_app, g, render_template
from flask_babel import get_locale
from markupsafe import Markup

from marketplace.db import get_session
from marketplace.search import get_index
from marketplace.search.outbox import has_pending

T = TypeVar("T")
EXTENSION_KEY = "datamarket.page_parts"
CACHES_KEY = "datamarket.page_caches"
SIZE = 2048


class PageParts:
    def __init__(self, size: int = SIZE):
        self.size = size
        self._parts: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()

    def get(self, key: Hashable | None, render: Callable[[], T]) -> T:
        """What ``render`` makes (rendered markup, or a tuple of it), kept under ``key``;
        ``key`` None renders it every time (a part holding one visitor's form tokens)."""
        generation = _current_generation() if key is not None else None
        if generation is None:
            return render()
        full_key = (key, str(get_locale()), generation)
        with self._lock:
            found = self._parts.get(full_key)
            if found is not None:
                self._parts.move_to_end(full_key)
                return found  # type: ignore[return-value]
        part = render()
        with self._lock:
            self._parts[full_key] = part
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)
        return part


def _current_generation() -> int | None:
    """The index generation the database agrees with, or None while changes wait for it;
    asked once per request."""
    if "page_parts_generation" not in g:
        g.page_parts_generation = (None if has_pending(get_session())
                                   else get_index().generation())
    return g.page_parts_generation


def init_app(app: Flask) -> None:
    parts = PageParts()
    app.extensions[EXTENSION_KEY] = parts
    app.extensions.setdefault(CACHES_KEY, []).append(parts.clear)


def page_part(key: Hashable | None, render: Callable[[], T]) -> T:
    """A page part of the current app (see :class:`PageParts`)."""
    return current_app.extensions[EXTENSION_KEY].get(key, render)


def rendered(template: str, **context) -> Markup:
    return Markup(render_template(template, **context))
