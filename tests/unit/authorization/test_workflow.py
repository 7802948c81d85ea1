"""The application state machine: every state against every decision, allowed or refused, and
what a merchant's or admin's narrower decision may contain."""

from __future__ import annotations

import pytest

from marketplace.authorization.models import ApplicationState as S
from marketplace.authorization.requests import (
    RequestableOperation,
    clean_narrowing,
    clean_request,
)
from marketplace.authorization.workflow import (
    DECISION_VERBS,
    EVENT_LABELS,
    STATE_LABELS,
    Decision,
    allowed_decisions,
    next_state,
)
from marketplace.errors import InvalidTransition, ValidationFailed

D = Decision
ALLOWED = {
    (S.SUBMITTED, D.APPROVE): S.APPROVED,
    (S.SUBMITTED, D.NARROW): S.APPROVED,
    (S.APPROVED, D.NARROW): S.APPROVED,
    (S.SUBMITTED, D.REJECT): S.REJECTED,
    (S.PENDING_ADMIN, D.ADMIN_APPROVE): S.APPROVED,
    (S.PENDING_ADMIN, D.ADMIN_REJECT): S.REJECTED,
    (S.SUBMITTED, D.WITHDRAW): S.WITHDRAWN,
    (S.PENDING_ADMIN, D.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, D.REVOKE): S.REVOKED,
    (S.SUBMITTED, D.EXPIRE): S.EXPIRED,
    (S.PENDING_ADMIN, D.EXPIRE): S.EXPIRED,
    (S.APPROVED, D.EXPIRE): S.EXPIRED,
}
EVERY_MOVE = [(state, decision) for state in S for decision in D]


@pytest.mark.parametrize(("state", "decision"), EVERY_MOVE)
def test_every_move_is_allowed_or_refused_as_the_table_says(state, decision):
    if (state, decision) in ALLOWED:
        assert next_state(state, decision) == ALLOWED[(state, decision)]
        assert decision in allowed_decisions(state)
    else:
        with pytest.raises(InvalidTransition) as refused:
            next_state(state, decision)
        assert str(STATE_LABELS[state]) in str(refused.value)
        assert decision not in allowed_decisions(state)


@pytest.mark.parametrize("decision", [D.APPROVE, D.NARROW])
def test_a_merchants_approval_of_a_level_4_product_waits_for_an_admin(decision):
    assert next_state(S.SUBMITTED, decision, level=4) == S.PENDING_ADMIN
    assert next_state(S.SUBMITTED, decision, level=3) == S.APPROVED
    # Narrowing what is approved takes rights away: no second admin approval.
    assert next_state(S.APPROVED, D.NARROW, level=4) == S.APPROVED
    assert next_state(S.PENDING_ADMIN, D.ADMIN_APPROVE, level=4) == S.APPROVED


def test_final_states_allow_nothing():
    for state in (S.REJECTED, S.WITHDRAWN, S.REVOKED, S.EXPIRED):
        assert allowed_decisions(state) == []


def test_every_state_and_decision_has_words_for_people():
    assert set(STATE_LABELS) == set(S)
    assert set(DECISION_VERBS) == set(D)
    assert {d.value for d in D} | {"submitted"} == set(EVENT_LABELS)


# -- what may be asked and approved ------------------------------------------------------------

SCORE = RequestableOperation("ai_models", "credit_risk_score", "", ("risk_level", "score"))
SCAN = RequestableOperation("governance_tools", "pii_scan", "", ())


def test_a_request_names_operations_of_the_product_and_their_fields():
    scope = clean_request([SCORE, SCAN], {SCORE.ref: ["score"], SCAN.ref: None})
    assert scope == {"operations": {SCORE.ref: {"fields": ["score"], "masking": {}},
                                    SCAN.ref: {"fields": None, "masking": {}}}}
    # None for an operation with known fields: every one of them, written out.
    assert clean_request([SCORE], {SCORE.ref: None})["operations"][SCORE.ref]["fields"] == [
        "risk_level", "score"]


@pytest.mark.parametrize(("chosen", "message"), [
    ({}, "at least one operation"),
    ({"other.op": None}, "not an operation of this product"),
    ({SCORE.ref: ["name"]}, "no output field name"),
    ({SCORE.ref: []}, "at least one output field"),
])
def test_a_request_outside_the_product_is_refused(chosen, message):
    with pytest.raises(ValidationFailed) as refused:
        clean_request([SCORE, SCAN], chosen)
    assert message in " ".join(refused.value.field_errors["operations"])


ASKED = {"operations": {SCORE.ref: {"fields": ["risk_level", "score"], "masking": {}},
                        SCAN.ref: {"fields": None, "masking": {}}}}


def test_narrowing_keeps_fewer_operations_and_fields_with_masking():
    scope = clean_narrowing(ASKED, {SCORE.ref: ["score"]}, {SCORE.ref: {"score": "truncate"}},
                            ["truncate", "full_mask"])
    assert scope == {"operations": {SCORE.ref: {"fields": ["score"],
                                                "masking": {"score": "truncate"}}}}


@pytest.mark.parametrize(("chosen", "masking", "key", "message"), [
    ({"x.y": None}, {}, "operations", "was not asked for"),
    ({SCORE.ref: ["score", "secret"]}, {}, "operations", "only the fields asked for"),
    ({SCORE.ref: []}, {}, "operations", "keep at least one field"),
    ({}, {}, "operations", "Approve at least one operation"),
    ({SCORE.ref: ["score"]}, {SCORE.ref: {"score": "rot13"}}, "masking", "not a masking"),
    ({SCORE.ref: ["score"]}, {SCORE.ref: {"risk_level": "truncate"}}, "masking",
     "masked but not approved"),
])
def test_narrowing_cannot_widen_or_mask_unknown_ways(chosen, masking, key, message):
    with pytest.raises(ValidationFailed) as refused:
        clean_narrowing(ASKED, chosen, masking, ["truncate"])
    assert message in " ".join(refused.value.field_errors[key])


def test_narrowing_an_approval_again_keeps_its_masking():
    approved = {"operations": {SCORE.ref: {"fields": ["risk_level", "score"],
                                           "masking": {"score": "truncate"}}}}
    scope = clean_narrowing(approved, {SCORE.ref: None}, {SCORE.ref: {}}, ["truncate"])
    assert scope["operations"][SCORE.ref]["masking"] == {"score": "truncate"}
    # A field narrowed out takes its masking with it.
    scope = clean_narrowing(approved, {SCORE.ref: ["risk_level"]}, {}, ["truncate"])
    assert scope["operations"][SCORE.ref] == {"fields": ["risk_level"], "masking": {}}
