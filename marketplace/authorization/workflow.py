"""An authorization application's states and the decisions that move it, as one table.

``submitted -> (approved | pending_admin | rejected | withdrawn)``; a level 4 product's
approval by the merchant waits for an admin (``pending_admin -> approved | rejected``); an
approved application can be narrowed again, revoked, or expire at the end of its period.
Every move goes through :func:`next_state`, so an impossible step fails the same way whoever
attempts it.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from marketplace.authorization.models import ApplicationState as S
from marketplace.errors import InvalidTransition


class Decision(StrEnum):
    APPROVE = "approve"
    NARROW = "narrow"
    REJECT = "reject"
    ADMIN_APPROVE = "admin_approve"
    ADMIN_REJECT = "admin_reject"
    WITHDRAW = "withdraw"
    REVOKE = "revoke"
    EXPIRE = "expire"


MOVES: dict[Decision, dict[S, S]] = {
    Decision.APPROVE: {S.SUBMITTED: S.APPROVED},
    # Approved with fewer operations or fields, or masking: at first, or later on.
    Decision.NARROW: {S.SUBMITTED: S.APPROVED, S.APPROVED: S.APPROVED},
    Decision.REJECT: {S.SUBMITTED: S.REJECTED},
    Decision.ADMIN_APPROVE: {S.PENDING_ADMIN: S.APPROVED},
    Decision.ADMIN_REJECT: {S.PENDING_ADMIN: S.REJECTED},
    Decision.WITHDRAW: {S.SUBMITTED: S.WITHDRAWN, S.PENDING_ADMIN: S.WITHDRAWN},
    Decision.REVOKE: {S.APPROVED: S.REVOKED},
    Decision.EXPIRE: {S.SUBMITTED: S.EXPIRED, S.PENDING_ADMIN: S.EXPIRED,
                      S.APPROVED: S.EXPIRED},
}

#: The merchant's decisions (an admin's are ``ADMIN_*``; ``REVOKE`` is either's).
MERCHANT_DECISIONS = frozenset({Decision.APPROVE, Decision.NARROW, Decision.REJECT})
ADMIN_DECISIONS = frozenset({Decision.ADMIN_APPROVE, Decision.ADMIN_REJECT})
#: Decisions the other side must be told the reason of.
REASON_REQUIRED = frozenset({Decision.REJECT, Decision.ADMIN_REJECT, Decision.REVOKE})
#: Classification levels whose applications a platform admin approves after the merchant.
ADMIN_LEVELS = frozenset({4})

STATE_LABELS = {
    S.SUBMITTED: _l("Waiting for the merchant"),
    S.PENDING_ADMIN: _l("Waiting for a platform admin"),
    S.APPROVED: _l("Approved"),
    S.REJECTED: _l("Rejected"),
    S.WITHDRAWN: _l("Withdrawn"),
    S.REVOKED: _l("Revoked"),
    S.EXPIRED: _l("Expired"),
}

#: What each event in an application's history says happened.
EVENT_LABELS = {
    "submitted": _l("Applied"),
    "approve": _l("Approved by the merchant"),
    "narrow": _l("Approved with a narrower scope"),
    "reject": _l("Rejected by the merchant"),
    "admin_approve": _l("Approved by a platform admin"),
    "admin_reject": _l("Rejected by a platform admin"),
    "withdraw": _l("Withdrawn by the buyer"),
    "revoke": _l("Revoked"),
    "expire": _l("Expired at the end of its period"),
}


def next_state(state: str, decision: Decision, level: int = 1) -> S:
    """The state ``decision`` leads to from ``state``; a merchant's approval of a level 4
    product waits for an admin.

    :raises InvalidTransition: the decision is not possible from ``state``.
    """
    try:
        to = MOVES[Decision(decision)][S(state)]
    except KeyError:
        raise InvalidTransition(_l(
            "This application is “%(state)s”: it cannot be %(decision)s now.",
            state=STATE_LABELS[S(state)], decision=DECISION_VERBS[Decision(decision)])) from None
    if to == S.APPROVED and state == S.SUBMITTED and level in ADMIN_LEVELS:
        return S.PENDING_ADMIN
    return to


DECISION_VERBS = {
    Decision.APPROVE: _l("approved"),
    Decision.NARROW: _l("narrowed"),
    Decision.REJECT: _l("rejected"),
    Decision.ADMIN_APPROVE: _l("approved by an admin"),
    Decision.ADMIN_REJECT: _l("rejected by an admin"),
    Decision.WITHDRAW: _l("withdrawn"),
    Decision.REVOKE: _l("revoked"),
    Decision.EXPIRE: _l("expired"),
}


def allowed_decisions(state: str) -> list[Decision]:
    """The decisions possible from ``state``, in declaration order."""
    return [decision for decision, moves in MOVES.items() if S(state) in moves]
