"""The concurrency suite's one server stack, started once for the session (``make
test-concurrency``): PostgreSQL, localstripe and gunicorn with 4 workers x 4 threads.

The database is made from ``DATAMARKET_TEST_DATABASE_URL`` (default: the ``dm`` role's
server on 127.0.0.1) with ``_concurrency`` appended to its name. pyproject's pytest options
leave this folder out of ``make test``; name it on the command line to run it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.concurrency.stack import DEFAULT_DATABASE_URL, Marketplace


@pytest.fixture(scope="session")
def market(tmp_path_factory) -> Iterator[Marketplace]:
    base_url = os.environ.get("DATAMARKET_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL
    stack = Marketplace(tmp_path_factory.mktemp("marketplace"), base_url, suffix="concurrency",
                        workers=4, threads=4)
    try:
        yield stack.start()
    finally:
        stack.stop()
