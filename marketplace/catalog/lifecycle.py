"""The listing lifecycle as one state machine.

``draft -> submitted -> (changes_requested | approved | rejected) -> published ->
(suspended | retired)``; a published version becomes ``superseded`` when a newer approved version
of the same product is published. Every state change in the platform goes through
:func:`next_state`, so an impossible step fails the same way wherever it is attempted.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from marketplace.catalog.models import ListingState as S
from marketplace.errors import InvalidTransition


class Transition(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    PUBLISH = "publish"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    RETIRE = "retire"
    SUPERSEDE = "supersede"


TRANSITIONS: dict[Transition, dict[S, S]] = {
    Transition.SUBMIT: {S.DRAFT: S.SUBMITTED, S.CHANGES_REQUESTED: S.SUBMITTED},
    Transition.APPROVE: {S.SUBMITTED: S.APPROVED},
    Transition.REJECT: {S.SUBMITTED: S.REJECTED},
    Transition.REQUEST_CHANGES: {S.SUBMITTED: S.CHANGES_REQUESTED},
    Transition.PUBLISH: {S.APPROVED: S.PUBLISHED},
    Transition.SUSPEND: {S.PUBLISHED: S.SUSPENDED},
    Transition.REINSTATE: {S.SUSPENDED: S.PUBLISHED},
    Transition.RETIRE: {S.PUBLISHED: S.RETIRED, S.SUSPENDED: S.RETIRED},
    Transition.SUPERSEDE: {S.PUBLISHED: S.SUPERSEDED, S.SUSPENDED: S.SUPERSEDED},
}

# Transitions whose decision must be explained to the merchant in writing.
REASON_REQUIRED = frozenset({Transition.REJECT, Transition.REQUEST_CHANGES, Transition.SUSPEND})

EDITABLE_STATES = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
# States in which a version is still on its way to buyers; a product has at most one.
IN_PROGRESS_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED})
VISIBLE_TO_BUYERS = frozenset({S.PUBLISHED})

STATE_LABELS = {
    S.DRAFT: _l("Draft"),
    S.SUBMITTED: _l("Submitted for review"),
    S.CHANGES_REQUESTED: _l("Changes requested"),
    S.APPROVED: _l("Approved"),
    S.REJECTED: _l("Rejected"),
    S.PUBLISHED: _l("Published"),
    S.SUSPENDED: _l("Suspended"),
    S.RETIRED: _l("Retired"),
    S.SUPERSEDED: _l("Superseded by a newer version"),
}


def allowed_transitions(state: str) -> list[Transition]:
    """The transitions possible from ``state``, in declaration order."""
    return [t for t, moves in TRANSITIONS.items() if S(state) in moves]


def next_state(state: str, transition: Transition) -> S:
    """The state ``transition`` leads to from ``state``.

    :raises InvalidTransition: when the step is not allowed from ``state``.
    """
    moves = TRANSITIONS[Transition(transition)]
    try:
        return moves[S(state)]
    except KeyError:
        raise InvalidTransition(
            _l(
                "A listing that is “%(state)s” cannot be moved by “%(transition)s”.",
                state=STATE_LABELS[S(state)],
                transition=Transition(transition).value.replace("_", " "),
            )
        ) from None
