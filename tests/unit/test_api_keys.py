"""API keys: the token's form, its keyed hash, networks, rotation bounds and the throttled
last-used time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from marketplace.base import utcnow
from marketplace.delivery import keys
from marketplace.delivery.models import ApiKey
from marketplace.errors import Conflict, ValidationFailed
from tests.factories import make_user

SECRET = "unit-secret"


def test_a_key_is_shown_once_and_stored_only_as_a_keyed_hash(db):
    buyer = make_user(db)
    made = keys.create(db, SECRET, buyer.id, name="billing server")
    db.commit()
    assert made.token.startswith(f"dmk_{made.key.prefix}_") and len(made.token) > 50
    stored = db.exec(select(ApiKey)).one()
    assert made.token not in (stored.secret_hash, stored.prefix, stored.name)
    assert keys.find(db, made.token, SECRET).id == stored.id
    assert keys.find(db, made.token, "another-secret") is None  # the hash is keyed
    assert keys.find(db, made.token[:-1] + ("A" if made.token[-1] != "A" else "B"),
                     SECRET) is None
    assert keys.find(db, "dmk_short", SECRET) is None


def test_names_networks_and_entitlements_are_validated(db):
    buyer = make_user(db)
    with pytest.raises(ValidationFailed) as bad_name:
        keys.create(db, SECRET, buyer.id, name=" \x00 ")
    assert "name" in bad_name.value.field_errors
    with pytest.raises(ValidationFailed) as bad_network:
        keys.create(db, SECRET, buyer.id, name="k", networks=["10.0.0.0/8", "not-an-ip"])
    assert "not-an-ip" in bad_network.value.field_errors["networks"][0]
    with pytest.raises(ValidationFailed) as not_theirs:
        keys.create(db, SECRET, buyer.id, name="k", entitlement_ids=[12345])
    assert "#12345" in not_theirs.value.field_errors["entitlement_ids"][0]
    assert keys.parse_networks(["10.1.2.3/16", " ", "2001:db8::1"]) == [
        "10.1.0.0/16", "2001:db8::1/128"]


def test_allowed_networks_decide_the_addresses(db):
    buyer = make_user(db)
    made = keys.create(db, SECRET, buyer.id, name="k", networks=["10.0.0.0/8"])
    db.commit()
    assert keys.authenticate(db, made.token, SECRET, "10.9.8.7").actor is not None
    refused = keys.authenticate(db, made.token, SECRET, "192.0.2.1")
    assert refused.actor is None and refused.status == 403


def test_rotation_overlap_is_bounded_and_a_key_rotates_once(db):
    buyer = make_user(db)
    made = keys.create(db, SECRET, buyer.id, name="k")
    with pytest.raises(ValidationFailed):
        keys.rotate(db, SECRET, made.key, overlap=timedelta(days=8), actor_id=buyer.id)
    new = keys.rotate(db, SECRET, made.key, overlap=timedelta(0), actor_id=buyer.id)
    db.commit()
    assert keys.authenticate(db, made.token, SECRET, "127.0.0.1").actor is None
    assert keys.authenticate(db, new.token, SECRET, "127.0.0.1").actor.key_id == new.key.id
    with pytest.raises(Conflict):
        keys.rotate(db, SECRET, made.key, overlap=timedelta(hours=1), actor_id=buyer.id)


def test_last_used_is_written_at_most_once_a_minute(db):
    buyer = make_user(db)
    made = keys.create(db, SECRET, buyer.id, name="k")
    db.commit()
    start = utcnow()
    keys.touch(db, made.key.id, start)
    keys.touch(db, made.key.id, start + timedelta(seconds=30))
    db.commit()
    db.refresh(made.key)
    assert made.key.last_used_at == start
    keys.touch(db, made.key.id, start + timedelta(seconds=61))
    db.commit()
    db.refresh(made.key)
    assert made.key.last_used_at == start + timedelta(seconds=61)


def test_a_key_read_as_recently_used_costs_no_statement(db):
    buyer = make_user(db)
    made = keys.create(db, SECRET, buyer.id, name="k")
    db.commit()
    start = utcnow()
    sent: list[str] = []
    engine = db.get_bind()
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        keys.touch(db, made.key.id, start + timedelta(seconds=30), last_used_at=start)
        assert sent == []
        keys.touch(db, made.key.id, start + timedelta(seconds=61), last_used_at=start)
        assert len(sent) == 1 and sent[0].lstrip().upper().startswith("UPDATE")
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_a_usage_query_covers_at_most_a_year_and_a_reversed_one_no_day():
    from datetime import date

    from marketplace.delivery import usage
    today = date(2026, 12, 7)
    assert usage.span(None, None, today) == (date(2026, 11, 8), today)
    assert usage.span(date(2000, 1, 1), None, today) == (date(2025, 12, 7), today)
    start, end = usage.span(date(2027, 1, 1), None, today)
    assert start > end
