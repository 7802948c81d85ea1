"""Telling users about decisions that concern them: under the bell, and by e-mail.

:func:`notify` writes the notification and an outbox e-mail in the caller's transaction, so a
rolled-back change never sends mail; :func:`deliver_outbox` sends what was committed, through
SMTP when configured or into the mail folder otherwise, so nothing is lost in development.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from marketplace.accounts.models import User
from marketplace.base import utcnow
from marketplace.notifications.models import Notification, OutboundEmail
from marketplace.settings import MailSettings

log = logging.getLogger(__name__)

#: Tries to send one e-mail before it stays in the outbox for an operator to look at.
MAX_SEND_ATTEMPTS = 5

MESSAGES = {
    "listing.submitted": _l("“%(title)s” (version %(version)s) was submitted for review."),
    "quote.requested": _l("A buyer asked for a quote on “%(title)s”."),
    "quote.sent": _l("The merchant sent you a quote for “%(title)s”."),
    "listing.approved": _l("Your listing “%(title)s” was approved."),
    "listing.published": _l("Your listing “%(title)s” is now published."),
    "listing.rejected": _l("Your listing “%(title)s” was rejected: %(reason)s"),
    "listing.changes_requested": _l("Changes were requested on “%(title)s”: %(reason)s"),
    "listing.suspended": _l("Your listing “%(title)s” was suspended: %(reason)s"),
    "listing.reinstated": _l("Your listing “%(title)s” is on sale again."),
    "listing.retired": _l("The listing “%(title)s” was retired."),
    "organization.submitted": _l("%(name)s applied to become a verified merchant."),
    "organization.verified": _l("Your organization %(name)s is verified: you can now publish."),
    "organization.rejected": _l("Verification of %(name)s was refused: %(reason)s"),
    "organization.renamed": _l("The verified organization %(old)s renamed itself %(name)s; "
                               "check the new name against its credit code."),
    "role.changed": _l("Your role is now: %(role)s."),
    "payment.duplicate_refunded": _l("Order %(number)s was charged twice (%(amount)s); the "
                                     "second charge was refunded to your card."),
    "payment.flagged": _l("Order %(number)s needs a look: %(problem)s"),
    "application.submitted": _l("A buyer applied for authorization to use “%(title)s” "
                                "(application %(id)s)."),
    "application.approved": _l("Authorization application %(id)s for “%(title)s” was "
                               "approved."),
    "application.narrowed": _l("Authorization application %(id)s for “%(title)s” was approved "
                               "with a narrower scope. %(reason)s"),
    "application.pending_admin": _l("Authorization application %(id)s for the level 4 product "
                                    "“%(title)s” was approved by the merchant and awaits a "
                                    "platform admin."),
    "application.rejected": _l("Authorization application %(id)s for “%(title)s” was "
                               "rejected: %(reason)s"),
    "application.withdrawn": _l("The buyer withdrew authorization application %(id)s for "
                                "“%(title)s”."),
    "application.revoked": _l("Authorization application %(id)s for “%(title)s” was revoked: "
                              "%(reason)s"),
    "application.expired": _l("Authorization application %(id)s for “%(title)s” expired at "
                              "the end of its period."),
    "product.new_version": _l("“%(title)s” has a new version %(version)s (was %(previous)s). "
                              "Data dictionary — added: %(added)s; removed: %(removed)s; "
                              "changed: %(changed)s."),
    "usage.alert": _l("Abnormal use of API key %(prefix)s: %(rule)s (alert %(id)s)."),
    "refund_request.created": _l("A buyer asks for %(amount)s back on “%(title)s” of order "
                                 "%(number)s (refund request %(id)s)."),
    "refund_request.admins_turn": _l("Refund request %(id)s on order %(number)s (%(amount)s "
                                     "for “%(title)s”) was not decided by the merchant within "
                                     "three working days: a platform admin may decide it now."),
    "refund_request.approved": _l("Refund request %(id)s on order %(number)s was approved: "
                                  "%(amount)s is refunded."),
    "refund_request.rejected": _l("Refund request %(id)s on order %(number)s was refused: "
                                  "%(reason)s"),
    "invoice.requested": _l("%(company)s asks for an invoice of %(amount)s for order "
                            "%(number)s (invoice request %(id)s)."),
    "invoice.issued": _l("The invoice for order %(number)s (%(amount)s) was issued; download "
                         "it from the order page."),
    "plugin.paused": _l("The operation “%(operation)s” of plugin %(plugin)s failed "
                        "%(faults)s times in a row and is paused for %(seconds)s seconds."),
    "plugin.owner_paused": _l("The operation “%(operation)s” of your plugin %(plugin)s failed "
                              "%(faults)s times in a row and is paused for %(seconds)s "
                              "seconds. The last error: %(error)s"),
    "plugin.load_failed": _l("Your plugin %(plugin)s did not load, so none of its operations "
                             "can be sold or called until a fixed version loads: %(error)s"),
    "job.failed": _l("Background job %(id)s (%(kind)s) failed after %(attempts)s tries: "
                     "%(error)s"),
}


def render(kind: str, params: dict[str, Any]) -> str:
    """The notification's text in the current locale (a listing's English title, ``title_en``,
    where there is one and the locale is English)."""
    template = MESSAGES.get(kind)
    if template is None:
        return kind
    if params.get("title_en") and str(get_locale() or "").startswith("en"):
        params = {**params, "title": params["title_en"]}
    return str(template) % params if "%(" in str(template) else str(template)


def notify(
    session: Session, users: Iterable[User], kind: str, params: dict[str, Any], link: str = ""
) -> None:
    """Notify each user, in the app and by e-mail in the user's own language."""
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    for user in users:
        session.add(Notification(user_id=user.id, kind=kind, params=params, link=link))
        with force_locale(user.locale or "en"):
            text = render(kind, params)
            subject = str(_l("Datamarket: %(text)s", text=text[:200]))
        session.add(OutboundEmail(to_address=user.email, subject=subject, body=text))
    # Tells the web layer to send the outbox once the caller has committed.
    session.info["outbox_pending"] = True


def send_mail(session: Session, to_address: str, subject: str, body: str) -> None:
    """Queue one e-mail in the caller's transaction; it is sent once the caller commits."""
    session.add(OutboundEmail(to_address=to_address, subject=subject, body=body))
    session.info["outbox_pending"] = True


def unread_count(session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    ).one()


def recent(session: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all of the user's) as read; returns how many changed."""
    query = select(Notification).where(
        Notification.user_id == user_id, col(Notification.read_at).is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    rows = session.exec(query).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
        session.add(row)
    return len(rows)


def deliver_outbox(session: Session, mail_settings: MailSettings | Mapping[str, Any],
                   limit: int = 100) -> int:
    """Send committed, unsent e-mails; returns how many were sent. Failures stay for a retry.

    :param mail_settings: where mail goes (the app's ``settings().mail``); a Flask-style
        configuration mapping is read into :class:`MailSettings` first.
    """
    if not isinstance(mail_settings, MailSettings):
        mail_settings = MailSettings.from_config(mail_settings)
    pending = session.exec(
        select(OutboundEmail)
        .where(col(OutboundEmail.sent_at).is_(None), OutboundEmail.attempts < MAX_SEND_ATTEMPTS)
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    sent = 0
    for mail in pending:
        # Claim this try first, so that two deliveries at once (two workers) never both send it.
        claimed = session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == mail.id, col(OutboundEmail.sent_at).is_(None),
                   OutboundEmail.attempts == mail.attempts)
            .values(attempts=OutboundEmail.attempts + 1)
            .returning(OutboundEmail.id)).first()
        session.commit()
        if claimed is None:
            continue
        session.refresh(mail)
        message = EmailMessage()
        message["From"] = mail_settings.sender
        message["To"] = mail.to_address
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain="datamarket.localhost")
        message.set_content(mail.body)
        try:
            if mail_settings.smtp_host:
                _send_smtp(message, mail_settings)
            else:
                _write_to_folder(message, mail_settings.folder, mail.id)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("could not send e-mail %s: %s", mail.id, exc)
            mail.last_error = str(exc)[:1000]
        else:
            mail.sent_at = utcnow()
            mail.last_error = ""
            sent += 1
        session.add(mail)
        session.commit()
    return sent


def _send_smtp(message: EmailMessage, mail_settings: MailSettings) -> None:
    with smtplib.SMTP(mail_settings.smtp_host, mail_settings.smtp_port, timeout=10) as smtp:
        if mail_settings.smtp_starttls:
            smtp.starttls()
        if mail_settings.smtp_username:
            smtp.login(mail_settings.smtp_username, mail_settings.smtp_password)
        smtp.send_message(message)


def _write_to_folder(message: EmailMessage, folder: Path, mail_id: int | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    (folder / f"{stamp}-{mail_id:08d}.eml").write_bytes(bytes(message))
