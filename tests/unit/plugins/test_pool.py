"""The pool of started threads that trusted plugins' calls run on."""

from __future__ import annotations

import threading
import time

import pytest

from marketplace.plugins.pool import CallTimeout, ThreadPool


def later(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def test_calls_reuse_the_pools_threads():
    pool = ThreadPool(2)
    names = {pool.run(lambda: threading.current_thread().name, later()) for _ in range(20)}
    assert names <= {"trusted plugin call 1", "trusted plugin call 2"}
    assert pool.started == 2
    pool.close()


def test_an_exception_reaches_the_caller():
    pool = ThreadPool(1)
    with pytest.raises(ZeroDivisionError):
        pool.run(lambda: 1 / 0, later())
    assert pool.run(lambda: "still serving", later()) == "still serving"
    pool.close()


def test_a_call_past_its_deadline_times_out_and_hung_threads_do_not_block_others():
    pool = ThreadPool(1)
    release = threading.Event()
    with pytest.raises(CallTimeout):
        pool.run(release.wait, time.monotonic() + 0.05)
    # The only pool thread is still held by the hung call: this one runs on a thread of its own.
    assert pool.run(lambda: threading.current_thread().name, later()).endswith("(extra)")
    release.set()
    pool.close()
