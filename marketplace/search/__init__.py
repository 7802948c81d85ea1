"""Search: a Whoosh index of the products on sale, in Chinese and English, kept up to date
from the database through a durable outbox.

- :mod:`.analysis` makes words of Chinese and English text (jieba, stemming, pinyin);
- :mod:`.schema` and :mod:`.documents` say what a product's document holds;
- :mod:`.index` is the index on disk (one writer, many readers, several processes);
- :mod:`.models` and :mod:`.outbox` carry changes from the database to the index;
- :mod:`.updater` applies them in each server process;
- :mod:`.doctable`, :mod:`.query` and :mod:`.highlight` answer a query;
- :mod:`.services` is what the storefront and the API call; :mod:`.commands` is
  ``datamarket reindex``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from marketplace import changes
from marketplace.db import get_engine
from marketplace.search import analysis, outbox
from marketplace.search.index import SearchIndex
from marketplace.search.updater import IndexUpdater

EXTENSION_KEY = "datamarket.search"


def init_app(app: Flask) -> None:
    """Open (lazily) the app's index and have every change announced in this process reach it.

    The updater's thread starts with the first request, so CLI commands never start one.
    """
    analysis.configure(Path(app.instance_path) / "jieba")
    folder = app.config.get("SEARCH_INDEX_DIR") or Path(app.instance_path) / "search"
    updater = IndexUpdater(app, SearchIndex(Path(folder)),
                           float(app.config.get("SEARCH_POLL_SECONDS", 0) or 0))
    app.extensions[EXTENSION_KEY] = updater
    changes.subscribe(outbox.record)
    outbox.register_waker(get_engine(app), updater.wake)
    if updater.background:
        app.before_request(updater.start)


def get_updater(app: Flask | None = None) -> IndexUpdater:
    return (app or current_app).extensions[EXTENSION_KEY]


def get_index(app: Flask | None = None) -> SearchIndex:
    """The search index of ``app`` (the current app by default)."""
    return get_updater(app).index
