"""Keeping the index up to date in each server process.

A commit that wrote outbox rows wakes the app's :class:`IndexUpdater`. In a server process a
thread of the updater's own applies them at once (the request that made the change does not
wait), and also looks every ``SEARCH_POLL_SECONDS`` for rows other processes left: written by a
CLI command, left by a crash, or waiting while another process held the write lock. Without that
thread (``SEARCH_POLL_SECONDS = 0``: tests, CLI commands) the commit applies them itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref

from flask import Flask, has_app_context

from marketplace.db import get_engine
from marketplace.search.index import IndexBusy, SearchIndex
from marketplace.search.outbox import apply_pending, rebuild

log = logging.getLogger(__name__)
#: How long a committing thread waits for another writer when it applies rows itself.
SYNCHRONOUS_WAIT = 10.0
#: How long the updater's thread keeps retrying while another process writes.
BUSY_RETRY = 0.1


class IndexUpdater:
    def __init__(self, app: Flask, index: SearchIndex, poll_seconds: float):
        self._app = weakref.ref(app)
        self.index = index
        self.poll_seconds = poll_seconds
        self._event = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()

    @property
    def background(self) -> bool:
        return self.poll_seconds > 0

    def start(self) -> None:
        """Start the updater's thread (once; does nothing when polling is off). Its first
        round builds the index if this process finds none."""
        if not self.background or self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._stopped.clear()
                self._thread = threading.Thread(
                    target=_run, args=(weakref.ref(self), self._event, self._stopped,
                                       self.poll_seconds),
                    name="search-index-updater", daemon=True)
                self._thread.start()
                self._event.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the updater's thread (it finishes the round it is in)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopped.set()
            self._event.set()
            thread.join(timeout)

    def wake(self) -> None:
        """Some commit wrote outbox rows: apply them now, here or in the updater's thread."""
        if self._thread is not None:
            self._event.set()
            return
        try:
            self.apply(wait=SYNCHRONOUS_WAIT)
        except Exception:  # the change is committed; the outbox keeps the rows for later
            log.exception("the search index could not be updated; the outbox keeps the work")

    def apply(self, wait: float = 0.0) -> int:
        """Apply pending outbox rows (after rebuilding the index if this process found it
        missing or out of date); :class:`IndexBusy` when another process is at it."""
        app = self._app()
        if app is None:
            return 0
        with contextlib.nullcontext() if has_app_context() else app.app_context():
            # (An app context: the documents name catalog values in every language.)
            self.index.generation()  # opens the index, creating it if it is missing
            if self.index.fresh:
                log.info("building the search index from the database")
                rebuild(get_engine(app), self.index, wait=wait)
                self.index.fresh = False
            return apply_pending(get_engine(app), self.index, wait=wait)

    def apply_quietly(self) -> None:
        deadline = time.monotonic() + max(self.poll_seconds, BUSY_RETRY)
        while True:
            try:
                self.apply()
                return
            except IndexBusy:
                if time.monotonic() >= deadline:
                    return  # the holder applies our rows, or the next poll does
                time.sleep(BUSY_RETRY)
            except Exception:
                log.exception("the search index could not be updated; retrying later")
                return


def _run(updater_ref: weakref.ref, event: threading.Event, stopped: threading.Event,
         interval: float) -> None:
    """The updater's thread: it ends when stopped, or once its app (and updater) is gone."""
    while True:
        event.wait(interval)
        event.clear()
        updater = updater_ref()
        if updater is None or stopped.is_set():
            return
        updater.apply_quietly()
        del updater
