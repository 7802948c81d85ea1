"""Signed, expiring download links (itsdangerous, the app's secret, a salt of their own).

A link's token binds the buyer, the entitlement, the format and a download id (a random
nonce, also the request id of the download's usage record, so one link is one download). The
token proves only that the platform issued it and when: everything else (the signed-in user,
the entitlement's state, the download limit) is checked again when the link is followed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from marketplace.errors import DomainError

SALT = "datamarket.download-link"


class BadDownloadLink(DomainError):
    """A link that is forged, damaged or too old (a sentence the buyer can act on)."""

    def __init__(self, expired: bool) -> None:
        self.status_code = 410 if expired else 404
        super().__init__(
            _l("This download link has expired; ask for a new one from your account page.")
            if expired else
            _l("This download link is not valid; ask for a new one from your account page."))


@dataclass(frozen=True)
class DownloadLink:
    """What a download link is bound to."""

    buyer_id: int
    entitlement_id: int
    fmt: str
    download_id: str
    #: The file was prepared by a background job (already counted when it was made).
    prepared: bool = False


def new_download_id() -> str:
    return uuid.uuid4().hex


def _serializer(secret_key: str, issued_at: float | None = None) -> URLSafeTimedSerializer:
    if issued_at is None:
        return URLSafeTimedSerializer(secret_key, salt=SALT)
    stamp = int(issued_at)

    class IssuedAt(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=IssuedAt)


def sign(secret_key: str, link: DownloadLink, *, issued_at: float | None = None) -> str:
    """The token of ``link`` (``issued_at``: a Unix time other than now, for tests)."""
    return _serializer(secret_key, issued_at).dumps(
        {"b": link.buyer_id, "e": link.entitlement_id, "f": link.fmt, "d": link.download_id,
         "p": link.prepared})


def read(secret_key: str, token: str, max_age: int) -> DownloadLink:
    """The link a token names, if the platform signed it less than ``max_age`` seconds ago.

    :raises BadDownloadLink: forged, damaged or expired.
    """
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadDownloadLink(expired=True) from None
    except BadSignature:
        raise BadDownloadLink(expired=False) from None
    try:
        return DownloadLink(int(data["b"]), int(data["e"]), str(data["f"]), str(data["d"]),
                            bool(data.get("p")))
    except (KeyError, TypeError, ValueError):
        raise BadDownloadLink(expired=False) from None
