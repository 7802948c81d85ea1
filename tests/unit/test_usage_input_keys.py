"""What the gateway keeps of a call's input for detection: the identifier's last digits and a
keyed digest of the rest, in two readings (with and without a check character); and the
verification outcome read from an answer."""

from __future__ import annotations

import datetime as dt

from datamarket_sdk import synthetic

from marketplace.delivery.input_keys import input_key, readings
from marketplace.delivery.outcomes import verification_outcome
from marketplace.monitoring.detection import longest_run

SECRET = "test-secret"


def _numbers(key, group_label):
    return [r.number for r in readings(key) if r.group.startswith(group_label)]


def test_sequential_resident_ids_read_as_consecutive_numbers_without_keeping_the_id():
    ids = [synthetic.resident_id("110105", dt.date(1990, 3, 14), n) for n in range(100, 110)]
    keys = [input_key({"id_number": value, "name": "张三"}, SECRET) for value in ids]
    groups = {r.group for key in keys for r in readings(key) if r.group.startswith("b")}
    assert len(groups) == 1  # the same leading part
    assert longest_run([n for key in keys for n in _numbers(key, "b")]) == (10, 314100)
    for value, key in zip(ids, keys, strict=True):
        assert value not in key and value[:12] not in key and "张三" not in key
        assert len(key) <= 64


def test_plain_numbers_and_the_field_with_the_longest_digit_run():
    assert _numbers(input_key({"customer": 1001}, SECRET), "a") == [1001]
    key = input_key({"order": "A-12", "account": "6222021234567890123"}, SECRET)
    assert _numbers(key, "a") == [890123]


def test_the_digest_depends_on_the_secret_and_the_leading_part():
    one = readings(input_key({"id": "4401001234"}, SECRET))[0].group
    assert one != readings(input_key({"id": "4401001234"}, "other"))[0].group
    assert one != readings(input_key({"id": "4402001234"}, SECRET))[0].group


def test_inputs_without_identifiers_keep_nothing():
    assert input_key({"values": ["138 0013 8000"], "flag": True}, SECRET) is None
    assert input_key({"name": "Li", "code": "123"}, SECRET) is None
    assert input_key(["4401001234"], SECRET) is None
    assert readings(None) == [] and readings("garbage") == []


def test_verification_outcomes():
    assert verification_outcome({"match": True}) == "match"
    assert verification_outcome({"is_match": False}) == "no_match"
    assert verification_outcome({"result": " Mismatch "}) == "no_match"
    assert verification_outcome({"result": "consistent"}) == "match"
    assert verification_outcome({"listed": False}) is None
    assert verification_outcome({"match": "yes"}) is None
    assert verification_outcome(None) is None


def test_longest_run():
    assert longest_run([]) == (0, 0)
    assert longest_run([5, 3, 4, 4, 9, 10]) == (3, 3)
