"""The listing state machine, exhaustively: every (state, transition) pair is either the
documented move or an InvalidTransition."""

from __future__ import annotations

import itertools

import pytest

from marketplace.catalog.lifecycle import (
    REASON_REQUIRED,
    TRANSITIONS,
    Transition,
    allowed_transitions,
    next_state,
)
from marketplace.catalog.models import ListingState as S
from marketplace.errors import InvalidTransition

# The documented lifecycle, written out independently of TRANSITIONS so that an accidental edit of
# the table (a new edge, a wrong target) fails here.
DOCUMENTED: dict[tuple[S, Transition], S] = {
    (S.DRAFT, Transition.SUBMIT): S.SUBMITTED,
    (S.CHANGES_REQUESTED, Transition.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, Transition.APPROVE): S.APPROVED,
    (S.SUBMITTED, Transition.REJECT): S.REJECTED,
    (S.SUBMITTED, Transition.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.APPROVED, Transition.PUBLISH): S.PUBLISHED,
    (S.PUBLISHED, Transition.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, Transition.REINSTATE): S.PUBLISHED,
    (S.PUBLISHED, Transition.RETIRE): S.RETIRED,
    (S.SUSPENDED, Transition.RETIRE): S.RETIRED,
    (S.PUBLISHED, Transition.SUPERSEDE): S.SUPERSEDED,
    (S.SUSPENDED, Transition.SUPERSEDE): S.SUPERSEDED,
}

ALL_PAIRS = list(itertools.product(S, Transition))
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in DOCUMENTED]


def test_transition_table_is_the_documented_lifecycle():
    table = {(state, t): target for t, moves in TRANSITIONS.items() for state, target in
             moves.items()}
    assert table == DOCUMENTED


def test_every_transition_has_a_row_in_the_table():
    assert set(TRANSITIONS) == set(Transition)


@pytest.mark.parametrize(("state", "transition"), list(DOCUMENTED), ids=lambda v: str(v))
def test_allowed_transition_gives_documented_state(state, transition):
    assert next_state(state, transition) == DOCUMENTED[(state, transition)]
    # The stored state is a plain string; next_state accepts it too.
    assert next_state(state.value, transition.value) == DOCUMENTED[(state, transition)]


@pytest.mark.parametrize(("state", "transition"), FORBIDDEN, ids=lambda v: str(v))
def test_every_other_pair_raises_invalid_transition(state, transition):
    with pytest.raises(InvalidTransition) as excinfo:
        next_state(state, transition)
    # The message names the state so the merchant understands why.
    assert str(excinfo.value)


def test_the_matrix_is_exhaustive():
    assert len(DOCUMENTED) + len(FORBIDDEN) == len(S) * len(Transition)


@pytest.mark.parametrize("state", [S.REJECTED, S.RETIRED, S.SUPERSEDED])
def test_terminal_states_allow_nothing(state):
    assert allowed_transitions(state) == []


def test_unknown_state_or_transition_is_not_silently_accepted():
    with pytest.raises(ValueError):
        next_state("deleted", Transition.SUBMIT)
    with pytest.raises(ValueError):
        next_state(S.DRAFT, "teleport")


def test_reason_required_for_decisions_the_merchant_must_understand():
    assert REASON_REQUIRED == {Transition.REJECT, Transition.REQUEST_CHANGES, Transition.SUSPEND}


@pytest.mark.parametrize("state", list(S), ids=str)
def test_allowed_transitions_lists_exactly_the_table_moves_in_declaration_order(state):
    expected = [t for t in Transition if (state, t) in DOCUMENTED]
    assert allowed_transitions(state) == expected
    assert allowed_transitions(state.value) == expected


def test_allowed_transitions_examples():
    assert allowed_transitions(S.SUBMITTED) == [
        Transition.APPROVE, Transition.REJECT, Transition.REQUEST_CHANGES
    ]
    assert allowed_transitions(S.PUBLISHED) == [
        Transition.SUSPEND, Transition.RETIRE, Transition.SUPERSEDE
    ]
