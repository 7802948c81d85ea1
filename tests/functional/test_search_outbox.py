"""The index follows the database across crashes and several writing processes.

Each scenario runs real processes of the platform against the test database (SQLite, or
PostgreSQL under ``.ci/run``) and one index folder: a process killed at a failpoint right after
its commit, and two processes changing products at the same time, each applying the outbox to
the index whenever it commits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Listing, ListingState
from marketplace.search import get_index, get_updater
from marketplace.search.models import SearchOutbox
from marketplace.search.query import SearchRequest
from marketplace.search.services import find, search
from tests.factories import forget, make_listing, make_merchant, make_user

ROOT = Path(__file__).resolve().parents[2]

# A process of the platform: the app with the test's settings, then ``body`` in its context.
PROCESS = """
import json, sys, time
from marketplace import create_app
from marketplace.db import get_engine, new_session
settings = json.loads(sys.argv[1])
app = create_app(settings["config"])
with app.test_request_context():
    session = new_session(get_engine(app))
{body}
    session.close()
"""


def run_process(app, body: str, *, failpoint: str = "", background: bool = False,
                **params) -> subprocess.Popen | subprocess.CompletedProcess:
    config = {key: app.config[key] for key in ("DATABASE_URL", "SECRET_KEY", "MAIL_FOLDER",
                                               "SEARCH_INDEX_DIR", "STRIPE_API_BASE")}
    config.update(TESTING=True, INSTANCE_PATH=app.instance_path, SMTP_HOST="",
                  SEARCH_POLL_SECONDS=0)
    script = PROCESS.format(body=textwrap.indent(textwrap.dedent(body), " " * 4))
    env = {**os.environ, "DATAMARKET_FAILPOINTS": failpoint}
    args = [sys.executable, "-c", script, json.dumps({"config": config, **params})]
    if background:
        return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def index_ids(app, query: str = "") -> list[int]:
    hits, _request = find(get_index(app), SearchRequest(q=query, per_page=100))
    return hits.product_ids


def outbox(db) -> list[SearchOutbox]:
    forget(db)
    return list(db.exec(select(SearchOutbox)))


def live_ids(db) -> list[int]:
    forget(db)
    return sorted(db.exec(select(Listing.product_id).where(
        Listing.state == ListingState.PUBLISHED)).all())


# ---------------------------------------------------------------------------- a crash


SUSPEND = """
    from marketplace.accounts.models import User
    from marketplace.catalog import services as catalog
    from marketplace.catalog.models import Listing
    listing = session.get(Listing, settings["listing_id"])
    catalog.suspend(session, session.get(User, settings["admin_id"]), listing, "Fraud report.")
    session.commit()  # the updater applies the outbox here: the failpoint kills the process
    print("survived")
"""


def test_a_process_killed_after_its_commit_leaves_the_outbox_to_replay(app, db):
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                           title="Harbour crane telemetry")
    assert index_ids(app, "crane") == [listing.product_id] and outbox(db) == []

    done = run_process(app, SUSPEND, failpoint="search_apply_start", listing_id=listing.id,
                       admin_id=admin.id)
    assert done.returncode == 75, done.stderr
    assert "survived" not in done.stdout

    # Committed, not applied: the row waits, the index is stale, search shows nothing.
    assert [row.product_id for row in outbox(db)] == [listing.product_id]
    assert index_ids(app, "crane") == [listing.product_id]
    assert search(db, get_index(app), SearchRequest(q="crane")).items == []

    # A process starting up (or any later commit, or the updater's poll) replays it.
    assert get_updater(app).apply() == 1
    assert index_ids(app, "crane") == [] and outbox(db) == []


PUBLISH = """
    from marketplace.accounts.models import User
    from marketplace.catalog import services as catalog
    from marketplace.catalog.models import Listing
    listing = session.get(Listing, settings["listing_id"])
    catalog.reinstate(session, session.get(User, settings["admin_id"]), listing)
    session.commit()
    print("survived")
"""


def test_a_process_killed_between_index_and_outbox_is_replayed_without_duplicates(app, db):
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    listing = make_listing(db, merchant, org, state=ListingState.SUSPENDED, admin=admin,
                           title="Harbour crane telemetry")
    assert index_ids(app, "crane") == []

    done = run_process(app, PUBLISH, failpoint="search_after_index_commit",
                       listing_id=listing.id, admin_id=admin.id)
    assert done.returncode == 75, done.stderr
    # The index has the product, and the row that asked for it is still there.
    assert index_ids(app, "crane") == [listing.product_id]
    assert len(outbox(db)) == 1

    assert get_updater(app).apply() == 1
    assert index_ids(app, "crane") == [listing.product_id]  # once, not twice
    assert find(get_index(app), SearchRequest(q="crane"))[0].total == 1
    assert outbox(db) == []


# ---------------------------------------------------------------------------- two writers


CHURN = """
    from marketplace.accounts.models import User
    from marketplace.catalog import services as catalog
    from marketplace.catalog.models import Listing
    from marketplace.search import get_index
    from marketplace.search.query import SearchRequest
    from marketplace.search.services import find
    admin = session.get(User, settings["admin_id"])
    started = time.time()
    searches = 0
    for round_number in range(settings["rounds"]):
        for listing_id in settings["listing_ids"]:
            listing = session.get(Listing, listing_id)
            catalog.suspend(session, admin, listing, "Checking a report.")
            session.commit()
            catalog.reinstate(session, admin, listing)
            session.commit()
            find(get_index(), SearchRequest(q="telemetry"))
            searches += 1
    for listing_id in settings["listing_ids"][::2]:
        catalog.retire(session, admin, session.get(Listing, listing_id), "Replaced.")
        session.commit()
    print(json.dumps({"started": started, "ended": time.time(), "searches": searches}))
"""


def test_two_processes_write_the_index_at_the_same_time(app, db):
    admin = make_user(db, Role.ADMIN)
    groups = []
    for _ in range(2):
        merchant, org = make_merchant(db)
        groups.append([make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                                    title=f"Harbour telemetry {org.id}-{n}").id
                       for n in range(5)])
    reader_errors: list[BaseException] = []
    stop = threading.Event()

    def read_while_they_write() -> None:
        with app.app_context():
            while not stop.is_set():
                try:
                    find(get_index(app), SearchRequest(q="telemetry"))
                except BaseException as exc:  # noqa: BLE001 - any failure fails the test
                    reader_errors.append(exc)
                    return

    reader = threading.Thread(target=read_while_they_write)
    reader.start()
    try:
        processes = [run_process(app, CHURN, background=True, admin_id=admin.id,
                                 listing_ids=ids, rounds=3) for ids in groups]
        outputs = [process.communicate(timeout=300) for process in processes]
    finally:
        stop.set()
        reader.join(timeout=30)
    for process, (_stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    first, second = (json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs)
    assert first["started"] < second["ended"] and second["started"] < first["ended"], (
        "the two processes did not overlap")
    assert reader_errors == []

    # Every change reached the index exactly once: it holds what is on sale, and nothing else.
    assert outbox(db) == []
    on_sale = live_ids(db)
    hits, _request = find(get_index(app), SearchRequest(per_page=100))
    assert sorted(hits.product_ids) == on_sale and hits.total == len(on_sale)
    retired = {listing_id for ids in groups for listing_id in ids[::2]}
    assert len(on_sale) == 10 - len(retired)
    forget(db)
    assert all(db.get(Listing, listing_id).state == ListingState.RETIRED
               for listing_id in retired)


def test_the_updater_thread_applies_what_another_process_left(app, db):
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                           title="Harbour crane telemetry")
    done = run_process(app, SUSPEND, failpoint="search_apply_start", listing_id=listing.id,
                       admin_id=admin.id)
    assert done.returncode == 75, done.stderr
    assert len(outbox(db)) == 1

    # A server process: its updater thread polls, and applies the row with no request for it.
    updater = get_updater(app)
    updater.poll_seconds = 0.1
    updater.start()
    try:
        deadline = time.monotonic() + 30
        while outbox(db) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        updater.stop()
    assert outbox(db) == []
    assert index_ids(app, "crane") == []
