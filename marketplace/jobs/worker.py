"""The worker: Huey's consumer running the app's jobs, and the sweep beside it.

``datamarket worker`` runs one in the foreground (Ctrl-C finishes the jobs in hand, then
stops; SIGTERM stops at once, and the sweep of another worker, or of this one when it comes
back, puts the jobs it was running back on the queue). Tests start one on threads with
:meth:`Worker.start` and end it with :meth:`Worker.stop`.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from huey.consumer import Consumer

from marketplace.db import get_engine, new_session
from marketplace.jobs import services
from marketplace.jobs.queue import get_queue
from marketplace.jobs.signals import announce_failed

log = logging.getLogger(__name__)


class _Consumer(Consumer):
    """Huey's consumer, which leaves the process's signal handlers alone when it runs on
    threads inside another program (a test)."""

    def __init__(self, *args, handle_signals: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._handle_signals = handle_signals

    def _set_signal_handlers(self) -> None:
        if self._handle_signals:
            super()._set_signal_handlers()


class Worker:
    """A consumer of ``app``'s queue with ``JOBS_WORKERS`` threads, and its sweeper."""

    def __init__(self, app: Flask, *, handle_signals: bool = True):
        queue = get_queue(app)
        if queue.settings.immediate:
            raise RuntimeError("JOBS_IMMEDIATE is set: jobs run where they are asked, and a "
                               "worker has nothing to do; unset it to run a worker.")
        self.app = app
        self.queue = queue
        # Polls an idle SQLite queue at most a second apart (Huey's default is ten); Redis
        # blocks on the list instead.
        self.consumer = _Consumer(queue.huey, workers=queue.settings.workers, periodic=False,
                                  initial_delay=0.05, backoff=1.5, max_delay=1.0,
                                  worker_type="thread", handle_signals=handle_signals)
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_until_stopped, daemon=True,
                                         name="job sweeper")

    def sweep_once(self) -> services.Swept:
        """Put back the jobs of dead workers, and ask for the periodic jobs that are due."""
        with self.app.app_context(), new_session(get_engine(self.app)) as session:
            swept = services.sweep(session, self.queue)
            services.enqueue_periodic(session, self.app.config)
        for notice in swept.failed:
            announce_failed(self.app, notice)
        return swept

    def _sweep_until_stopped(self) -> None:
        while True:
            try:
                self.sweep_once()
            except Exception:  # the database is away for a moment: sweep again next time
                log.exception("the job sweep failed")
            if self._stop.wait(self.queue.settings.sweep_seconds):
                return

    def start(self) -> Worker:
        """Start the consumer's threads and the sweeper, and return."""
        self.consumer.start()
        self._sweeper.start()
        return self

    def stop(self) -> None:
        """Stop taking jobs, let the jobs in hand finish, and stop every thread."""
        self._stop.set()
        self.consumer.stop(graceful=True)
        self._sweeper.join()

    def run(self) -> None:
        """Run in the foreground until a signal stops it (the ``datamarket worker`` command)."""
        log.info("job worker: %s threads on %s", self.queue.settings.workers, self.queue.backend)
        self._sweeper.start()
        try:
            self.consumer.run()
        finally:
            self._stop.set()
