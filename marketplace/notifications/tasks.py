"""The outbox's delivery as a background job, asked for after a request that wrote e-mail."""

from __future__ import annotations

from sqlmodel import col, func, select

from marketplace import jobs
from marketplace.notifications.models import OutboundEmail
from marketplace.notifications.services import MAX_SEND_ATTEMPTS, deliver_outbox
from marketplace.settings import settings


class MailNotSent(RuntimeError):
    """Some committed e-mails could not be sent yet; the job is retried with backoff."""


@jobs.job("notifications.deliver_outbox")
def deliver(job: jobs.RunningJob) -> None:
    """Send what the outbox holds; fail (and so be retried later) while some mail could not
    be sent and has tries left."""
    deliver_outbox(job.session, settings(job.app).mail)
    waiting = job.session.exec(
        select(func.count(), func.max(OutboundEmail.last_error)).select_from(OutboundEmail)
        .where(col(OutboundEmail.sent_at).is_(None), OutboundEmail.last_error != "",
               OutboundEmail.attempts < MAX_SEND_ATTEMPTS)).one()
    if waiting[0]:
        raise MailNotSent(f"{waiting[0]} e-mail(s) could not be sent yet: {waiting[1]}")
