"""API keys: how a buyer's programs call the delivery gateway.

A key reads ``dmk_<prefix>_<secret>``. The prefix is stored as is (unique, indexed) to find the
key; the whole key is stored only as an HMAC-SHA256 under a key derived from the app's
``SECRET_KEY``, so a leaked table reveals no usable key and checking one costs microseconds on
every call (a password hash such as Argon2id would cost tens of milliseconds per call, and a
random 32-byte secret needs no stretching). The key is shown once, when it is made.

A key covers the entitlements it names, or every entitlement of its buyer (now and later) when
it names none; it may be limited to some networks, and it may expire. Rotating makes a new key
with the same limits and lets the old one work for an overlap the buyer picks (at most a week),
so that programs can switch without downtime. Every change is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.delivery.models import ApiKey, Entitlement
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import moment

TOKEN_PREFIX = "dmk"
#: The longest overlap a rotation may give the old key.
MAX_OVERLAP = timedelta(days=7)
#: ``last_used_at`` is written at most this often per key (not on every call).
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NETWORKS = 20
_TOKEN = re.compile(r"^dmk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,64})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _digest(secret_key: str, token: str) -> str:
    key = hmac.new(secret_key.encode(), b"datamarket api key", hashlib.sha256).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A key just made: the row, and the token to show once."""

    key: ApiKey
    token: str


@dataclass(frozen=True)
class KeyActor:
    """A request made with an API key, as the policy sees it: the buyer's identity and the
    key's limits. It is never an admin or a merchant, whatever its buyer is."""

    key_id: int
    buyer_id: int
    entitlement_ids: frozenset[int]
    is_active: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_admin: bool = False
    is_merchant: bool = False
    role: str = "api_key"
    locale: str | None = None  # the request's Accept-Language decides
    organization_id: int | None = None
    #: When the key was last recorded as used, as read with it (see :func:`touch`).
    last_used_at: datetime | None = field(default=None, compare=False)
    #: A sandbox key's trial (:mod:`.trials`); such a key covers no entitlement at all.
    trial_id: int | None = None

    def get_id(self) -> str:
        return f"key:{self.key_id}"

    def covers(self, entitlement: Entitlement) -> bool:
        """Whether this key may use ``entitlement``: its buyer's, and named (or none named);
        never for a sandbox key."""
        return self.trial_id is None and entitlement.buyer_id == self.buyer_id and (
            not self.entitlement_ids or entitlement.id in self.entitlement_ids)

    @classmethod
    def of(cls, key: ApiKey) -> KeyActor:
        return cls(key.id, key.buyer_id, frozenset(key.entitlement_ids or ()),
                   last_used_at=key.last_used_at, trial_id=key.trial_id)


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of :func:`authenticate`: an actor, or the status and sentence of a refusal."""

    actor: KeyActor | None = None
    status: int = 401
    refusal: str = ""


def parse_networks(lines: Iterable[str]) -> list[str]:
    """Allowed networks (``10.0.0.0/8``, ``2001:db8::/32``, single addresses) as stored.

    :raises ValidationFailed: on ``networks``, naming the entry that is not a network.
    """
    found = []
    for raw in lines:
        text = str(raw).strip()
        if not text:
            continue
        try:
            found.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise ValidationFailed({"networks": [str(_l(
                "“%(value)s” is not an IP address or network such as 203.0.113.0/24.",
                value=text[:60]))]}) from None
    if len(found) > MAX_NETWORKS:
        raise ValidationFailed({"networks": [str(_l("At most %(count)d networks per key.",
                                                    count=MAX_NETWORKS))]})
    return sorted(set(found))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or _CONTROL.search(name):
        raise ValidationFailed({"name": [str(_l(
            "Give the key a name of 1 to 100 characters, such as “billing server”."))]})
    return name


def _own_entitlements(session: Session, buyer_id: int, ids: Iterable[int]) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    held = set(session.exec(select(Entitlement.id).where(
        Entitlement.buyer_id == buyer_id, col(Entitlement.id).in_(wanted))).all())
    if missing := [i for i in wanted if i not in held]:
        raise ValidationFailed({"entitlement_ids": [str(_l(
            "You hold no entitlement %(ids)s.", ids=", ".join(f"#{i}" for i in missing)))]})
    return wanted


def issue(session: Session, secret_key: str, token: str | None = None, **values) -> NewKey:
    """A new key row with ``values`` (checked by the caller), flushed; not audited."""
    if token is None:
        prefix = secrets.token_hex(4)
        token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    else:  # a fixed key (the demo's); it must read like any other
        prefix = _TOKEN.match(token).group(1)
    key = ApiKey(prefix=prefix, secret_hash=_digest(secret_key, token), **values)
    session.add(key)
    session.flush()
    return NewKey(key, token)


def create(session: Session, secret_key: str, buyer_id: int, *, name: str,
           entitlement_ids: Iterable[int] = (), networks: Iterable[str] = (),
           expires_at: datetime | None = None, token: str | None = None) -> NewKey:
    """Make a key for ``buyer_id`` (the caller has asked the policy), audited.

    ``token``: a fixed key instead of a random one (the demo data's only).

    :raises ValidationFailed: a bad name, an entitlement not the buyer's, a bad network, an
        expiry in the past.
    """
    name = _check_name(name)
    ids = _own_entitlements(session, buyer_id, entitlement_ids)
    allowed = parse_networks(networks)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed({"expires_at": [str(_l("Choose an expiry in the future."))]})
    new = issue(session, secret_key, token, buyer_id=buyer_id, name=name, entitlement_ids=ids,
                 allowed_networks=allowed, expires_at=expires_at)
    audit.record(session, actor_id=buyer_id, action="api_key.create", subject_type="api_key",
                 subject_id=new.key.id, details={"prefix": new.key.prefix, "name": name,
                                                 "entitlements": ids, "networks": allowed,
                                                 "expires_at": expires_at})
    return new


def rotate(session: Session, secret_key: str, key: ApiKey, *, overlap: timedelta,
           actor_id: int) -> NewKey:
    """Replace ``key`` by a new one with the same limits; the old one keeps working for
    ``overlap`` (0 to 7 days), then is refused.

    :raises Conflict: the key is revoked, expired or already replaced.
    :raises ValidationFailed: an overlap outside 0 to 7 days.
    """
    now = utcnow()
    if not usable(key, now) or key.replaced_by_id is not None:
        raise Conflict(_l("This key is revoked, expired or already rotated; create a new one."))
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise ValidationFailed({"overlap_hours": [str(_l(
            "The old key may keep working for 0 to %(hours)d hours.",
            hours=int(MAX_OVERLAP.total_seconds() // 3600)))]})
    new = issue(session, secret_key, buyer_id=key.buyer_id, name=key.name,
                 entitlement_ids=list(key.entitlement_ids),
                 allowed_networks=list(key.allowed_networks), expires_at=key.expires_at,
                 trial_id=key.trial_id)
    ends = now + overlap
    key.expires_at = min(key.expires_at, ends) if key.expires_at else ends
    key.replaced_by_id = new.key.id
    session.add(key)
    audit.record(session, actor_id=actor_id, action="api_key.rotate", subject_type="api_key",
                 subject_id=key.id, details={"prefix": key.prefix, "new_key": new.key.id,
                                             "new_prefix": new.key.prefix,
                                             "old_key_until": key.expires_at})
    return new


def revoke(session: Session, key: ApiKey, *, actor_id: int) -> bool:
    """Refuse ``key`` from now on, audited; False if it was revoked already."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    session.add(key)
    audit.record(session, actor_id=actor_id, action="api_key.revoke", subject_type="api_key",
                 subject_id=key.id, details={"prefix": key.prefix})
    return True


def suspend(session: Session, key: ApiKey, reason: str, *, actor_id: int | None) -> bool:
    """Refuse ``key`` with ``reason`` until an admin lifts it, audited; False if it was
    suspended already. ``actor_id`` None: the platform's abnormal-use detection."""
    if key.suspended_at is not None:
        return False
    key.suspended_at = utcnow()
    key.suspension_reason = reason[:500]
    session.add(key)
    audit.record(session, actor_id=actor_id, action="api_key.suspend", subject_type="api_key",
                 subject_id=key.id, details={"prefix": key.prefix, "reason": reason[:500]})
    return True


def lift_suspension(session: Session, key: ApiKey, *, actor_id: int) -> bool:
    """Let a suspended key work again, audited; False if it was not suspended."""
    if key.suspended_at is None:
        return False
    audit.record(session, actor_id=actor_id, action="api_key.unsuspend", subject_type="api_key",
                 subject_id=key.id, details={"prefix": key.prefix,
                                             "reason": key.suspension_reason})
    key.suspended_at = None
    key.suspension_reason = ""
    session.add(key)
    return True


def usable(key: ApiKey, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return key.revoked_at is None and (key.expires_at is None or now < key.expires_at)


def for_buyer(session: Session, buyer_id: int) -> list[ApiKey]:
    """A buyer's keys, newest first."""
    return list(session.exec(select(ApiKey).where(ApiKey.buyer_id == buyer_id)
                             .order_by(col(ApiKey.id).desc())))


def find(session: Session, token: str, secret_key: str) -> ApiKey | None:
    """The key ``token`` is, or None (malformed, unknown prefix, or a wrong secret)."""
    found = _find_with_buyer(session, token, secret_key)
    return found[0] if found else None


#: A key with whether its buyer's account is active, built once (it is read on every call).
_KEY_WITH_BUYER = (select(ApiKey, User.is_active).join(User, User.id == ApiKey.buyer_id)
                   .where(ApiKey.prefix == bindparam("prefix")))


def _find_with_buyer(session: Session, token: str,
                     secret_key: str) -> tuple[ApiKey, bool] | None:
    """The key and whether its buyer's account is active, read in one statement."""
    match = _TOKEN.match(token or "")
    if match is None:
        return None
    row = session.exec(_KEY_WITH_BUYER, params={"prefix": match.group(1)}).first()
    if row is None or not hmac.compare_digest(row[0].secret_hash, _digest(secret_key, token)):
        return None
    return row[0], bool(row[1])


def _address_allowed(key: ApiKey, remote_addr: str | None) -> bool:
    if not key.allowed_networks:
        return True
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in key.allowed_networks)


def authenticate(session: Session, token: str, secret_key: str,
                 remote_addr: str | None) -> KeyCheck:
    """Check a presented key: valid, not revoked or expired, its buyer's account open, from an
    allowed address.

    The refusal names what is wrong, without saying whether an unknown key exists.
    """
    found = _find_with_buyer(session, token, secret_key)
    if found is None:
        return KeyCheck(refusal=str(_l("This API key is not valid. Check that you copied the "
                                       "whole key, or create a new one under Account → API "
                                       "keys.")))
    key, buyer_active = found
    now = utcnow()
    if key.revoked_at is not None:
        return KeyCheck(refusal=str(_l("This API key was revoked on %(when)s.",
                                       when=moment(key.revoked_at))))
    if key.expires_at is not None and now >= key.expires_at:
        reason = (_l("This API key was replaced by a rotation and stopped working on "
                     "%(when)s; use the new key.", when=moment(key.expires_at))
                  if key.replaced_by_id else
                  _l("This API key expired on %(when)s.", when=moment(key.expires_at)))
        return KeyCheck(refusal=str(reason))
    if key.suspended_at is not None:
        return KeyCheck(status=403, refusal=str(_l(
            "This API key is suspended since %(when)s: %(reason)s. Contact the platform to "
            "have it reviewed.", when=key.suspended_at.strftime("%Y-%m-%d %H:%M UTC"),
            reason=key.suspension_reason or "—")))
    if not buyer_active:
        return KeyCheck(refusal=str(_l("The account this API key belongs to is closed.")))
    if not _address_allowed(key, remote_addr):
        return KeyCheck(status=403, refusal=str(_l(
            "This API key may not be used from %(address)s; its allowed networks are set "
            "under Account → API keys.", address=remote_addr or "?")))
    return KeyCheck(actor=KeyActor.of(key))


def touch(session: Session, key_id: int, now: datetime | None = None, *,
          last_used_at: datetime | None = None) -> None:
    """Record that a key was used: at most one write a minute per key, not one per call.

    :param last_used_at: the value read with the key in this request; when it is recent, no
        statement is sent at all (on SQLite even an UPDATE that changes nothing takes the
        database's write lock).
    """
    now = now or utcnow()
    if last_used_at is not None and last_used_at >= now - LAST_USED_RESOLUTION:
        return
    session.exec(update(ApiKey).where(
        ApiKey.id == key_id,
        or_(col(ApiKey.last_used_at).is_(None),
            col(ApiKey.last_used_at) < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now).execution_options(synchronize_session=False))
