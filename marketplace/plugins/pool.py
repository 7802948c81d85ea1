"""The started threads that trusted plugins' calls run on, each call within its deadline.

Starting a thread per call cost about 95 µs of a trusted call's time; a pool's threads are
started once and reused. A thread cannot be killed, so a call that misses its deadline keeps
its thread until it returns: the caller gets a timeout at once, and while every pool thread is
held by such calls, new calls run on a thread of their own (as before the pool), so a hung
plugin never makes other calls wait for a free thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

_STOP = object()


class _Call:
    __slots__ = ("function", "done", "answer", "error")

    def __init__(self, function: Callable[[], Any]):
        self.function = function
        self.done = threading.Event()
        self.answer: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.answer = self.function()
        except BaseException as exc:  # handed to the caller, never lost in a thread
            self.error = exc

    def run_alone(self) -> None:
        self.run()
        self.done.set()


class CallTimeout(Exception):
    """The call did not finish before its deadline (it may still be running)."""


class ThreadPool:
    """``size`` daemon threads, started on first use, that run calls handed to :meth:`run`."""

    def __init__(self, size: int, name: str = "trusted plugin call"):
        self.size = max(1, size)
        self.name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def _start(self) -> None:
        with self._lock:
            if self._threads or self._closed:
                return
            for number in range(self.size):
                thread = threading.Thread(target=self._serve, daemon=True,
                                          name=f"{self.name} {number + 1}")
                self._threads.append(thread)
                self._idle += 1
                thread.start()

    def _serve(self) -> None:
        while True:
            call = self._queue.get()
            if call is _STOP:
                return
            call.run()
            with self._lock:
                self._idle += 1  # idle again before the caller hears back, for its next call
            call.done.set()

    def _claim_idle(self) -> bool:
        with self._lock:
            if self._idle > 0 and not self._closed:
                self._idle -= 1
                return True
            return False

    def run(self, function: Callable[[], Any], deadline: float) -> Any:
        """``function()``'s result, run on a pool thread (or a thread of its own when none is
        idle), waiting until ``deadline`` (a ``time.monotonic()`` value).

        :raises CallTimeout: it was still running at the deadline.
        """
        if not self._threads:
            self._start()
        call = _Call(function)
        if self._claim_idle():
            self._queue.put(call)
        else:
            threading.Thread(target=call.run_alone, daemon=True,
                             name=f"{self.name} (extra)").start()
        if not call.done.wait(max(0.0, deadline - time.monotonic())):
            raise CallTimeout
        if call.error is not None:
            raise call.error
        return call.answer

    @property
    def started(self) -> int:
        """How many pool threads are running."""
        return sum(thread.is_alive() for thread in self._threads)

    def close(self) -> None:
        """Let the threads end once their current call (if any) is done."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, []
        for _thread in threads:
            self._queue.put(_STOP)
