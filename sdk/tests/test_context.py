"""Context, Scope and Dataset: what a call may know, read-only, and how it crosses processes."""

import json
import logging
import pickle
import time
from types import MappingProxyType

import pytest
from pydantic import BaseModel

from datamarket_sdk import (
    Context,
    Dataset,
    DeadlineExceeded,
    EntitlementEvent,
    ListingSnapshot,
    NotFound,
    OrderPaid,
    Scope,
)

COMPANIES = [
    {"credit_code": "91110000100000000A", "name": "Acme", "status": "active"},
    {"credit_code": "91110000100000001B", "name": "Beta", "status": "dishonest"},
    {"credit_code": "91110000100000002C", "name": "Gamma", "status": "active"},
]


class Settings(BaseModel):
    region: str = "110000"
    strict: bool = False


def companies() -> Dataset:
    return Dataset.from_dicts("companies", COMPANIES)


# Scope

def test_a_scope_accepts_any_iterable_and_keeps_frozensets():
    scope = Scope(operations=["verify", "verify"], fields={"name"})
    assert scope.operations == frozenset({"verify"})
    assert scope.fields == frozenset({"name"})


def test_a_scope_without_fields_allows_every_field():
    assert Scope().allows_field("anything")
    assert Scope(fields=frozenset({"name"})).allows_field("name")
    assert not Scope(fields=frozenset({"name"})).allows_field("id_number")


# Dataset

def test_a_dataset_iterates_read_only_rows():
    dataset = companies()

    assert len(dataset) == 3
    assert dataset.columns == ("credit_code", "name", "status")
    rows = list(dataset)
    assert all(isinstance(row, MappingProxyType) for row in rows)
    assert [dict(row) for row in rows] == COMPANIES
    with pytest.raises(TypeError):
        rows[0]["status"] = "active"


def test_nothing_reachable_from_a_dataset_changes_its_data():
    dataset = companies()

    with pytest.raises(AttributeError, match="read-only"):
        dataset._rows = ()
    with pytest.raises(AttributeError, match="read-only"):
        dataset.name = "other"
    with pytest.raises(AttributeError, match="read-only"):
        del dataset._columns
    with pytest.raises(TypeError):
        dataset.lookup("status", "dishonest")[0]["status"] = "active"
    assert [row["status"] for row in dataset] == ["active", "dishonest", "active"]


def test_a_dataset_does_not_share_the_lists_it_was_built_from():
    rows = [["a", 1]]
    dataset = Dataset("d", ["k", "v"], rows)
    rows[0][1] = 2
    rows.append(["b", 3])

    assert [dict(row) for row in dataset] == [{"k": "a", "v": 1}]


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, {1}, object()])
def test_a_dataset_holds_only_immutable_scalars(value):
    with pytest.raises(TypeError, match="datasets hold only text, numbers, booleans and None"):
        Dataset("d", ["k"], [[value]])


def test_a_dataset_refuses_rows_of_the_wrong_length():
    with pytest.raises(ValueError, match="dataset 'd' row 2 has 1 values for 2 columns"):
        Dataset("d", ["a", "b"], [[1, 2], [3]])


def test_from_dicts_takes_every_key_in_first_seen_order():
    dataset = Dataset.from_dicts("d", [{"a": 1}, {"b": 2, "a": 3}])
    assert dataset.columns == ("a", "b")
    assert [dict(row) for row in dataset] == [{"a": 1, "b": None}, {"a": 3, "b": 2}]


def test_lookup_finds_every_matching_row_and_none_for_no_match():
    dataset = companies()

    assert [row["name"] for row in dataset.lookup("status", "active")] == ["Acme", "Gamma"]
    assert dataset.lookup("name", "Beta")[0]["credit_code"] == "91110000100000001B"
    assert dataset.lookup("name", "Nobody") == []


def test_lookup_stays_fast_on_a_large_dataset():
    dataset = Dataset("big", ["id", "group"], ([str(n), n % 10] for n in range(200_000)))
    dataset.lookup("id", "0")  # builds the index once

    started = time.perf_counter()
    for n in range(0, 200_000, 200):
        assert dataset.lookup("id", str(n))[0]["group"] == n % 10
    assert time.perf_counter() - started < 0.5


def test_lookup_on_an_unknown_column_names_the_columns():
    with pytest.raises(KeyError, match="dataset 'companies' has no column 'phone'; its columns "
                                       "are credit_code, name, status"):
        companies().lookup("phone", "1")


def test_a_dataset_round_trips_through_json_and_pickle():
    dataset = companies()
    dataset.lookup("name", "Acme")

    assert Dataset.from_wire(json.loads(json.dumps(dataset.to_wire()))) == dataset
    copy = pickle.loads(pickle.dumps(dataset))
    assert copy == dataset
    assert copy.lookup("name", "Acme")[0]["status"] == "active"


# Context

def make(**overrides) -> Context:
    fields = dict(buyer="b-42", scope=Scope(operations=frozenset({"verify"})), settings=None,
                  logger=logging.getLogger("test"), deadline=time.monotonic() + 5,
                  datasets={"companies": companies()})
    return Context(**{**fields, **overrides})


def test_a_context_lends_its_datasets_read_only():
    source = {"companies": companies()}
    context = make(datasets=source)
    source["other"] = companies()

    assert list(context.datasets) == ["companies"]
    with pytest.raises(TypeError):
        context.datasets["other"] = companies()
    assert context.dataset("companies").lookup("name", "Beta")[0]["status"] == "dishonest"


def test_an_unknown_dataset_is_not_found_by_name():
    with pytest.raises(NotFound, match="^no dataset named 'people' is available to this "
                                       "product$"):
        make().dataset("people")


def test_remaining_counts_down_to_zero():
    assert 4 < make().remaining() <= 5
    assert make(deadline=time.monotonic() - 1).remaining() == 0.0


def test_check_deadline_raises_once_the_deadline_passes():
    make().check_deadline()
    with pytest.raises(DeadlineExceeded, match=r"the call ran \d+\.\d{3} s past its deadline"):
        make(deadline=time.monotonic() - 0.5).check_deadline()


def test_the_wire_form_is_json_and_round_trips_everything_but_the_logger():
    context = make(settings={"region": "310000"},
                   scope=Scope(operations=frozenset({"a", "b"}), fields=frozenset({"name"})))
    wire = json.loads(json.dumps(context.to_wire()))
    worker_logger = logging.getLogger("worker")

    copy = Context.from_wire(wire, worker_logger)

    assert copy.logger is worker_logger
    assert (copy.buyer, copy.scope, copy.settings) == (context.buyer, context.scope,
                                                       context.settings)
    assert copy.datasets == context.datasets
    assert copy.deadline == pytest.approx(context.deadline, abs=0.05)
    assert copy.dataset("companies").lookup("name", "Gamma")[0]["status"] == "active"


def test_settings_models_travel_as_json_and_come_back_as_models():
    context = make(settings=Settings(region="440000", strict=True))
    wire = json.loads(json.dumps(context.to_wire()))
    assert wire["settings"] == {"region": "440000", "strict": True}

    copy = Context.from_wire(wire, logging.getLogger("worker"), settings_model=Settings)
    assert copy.settings == Settings(region="440000", strict=True)


def test_the_deadline_travels_as_time_remaining():
    wire = make(deadline=time.monotonic() + 2).to_wire()
    assert 1.5 < wire["remaining"] <= 2
    assert make(deadline=time.monotonic() - 3).to_wire()["remaining"] == 0.0


def test_a_context_pickles_with_its_datasets():
    context = make(settings=Settings())
    copy = pickle.loads(pickle.dumps(context))

    assert copy == context
    with pytest.raises(TypeError):
        copy.datasets["x"] = companies()


# Events

def test_events_round_trip_through_json():
    scope = Scope(operations=frozenset({"verify"}), fields=None)
    events = [
        OrderPaid(order_id=1, buyer="b-1", product_id=2, plan="monthly", amount=9900,
                  currency="CNY"),
        EntitlementEvent(entitlement_id=3, buyer="b-1", product_id=2, scope=scope),
        ListingSnapshot(listing_id=4, product_id=2, title="企业黑名单", product_type="api",
                        classification_level=2, data_dictionary=[{"name": "credit_code"}],
                        sample_rows=[{"credit_code": "91110000100000000A"}]),
    ]
    for event in events:
        wire = json.loads(json.dumps(event.to_wire()))
        assert type(event).from_wire(wire) == event
    assert events[1].to_wire()["scope"] == {"operations": ["verify"], "fields": None}
