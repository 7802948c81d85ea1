"""Telling a plugin's owner what the plugin runtime reported about it: the plugin did not load,
or an operation of it is paused by its circuit breaker. The admins' notices
(:mod:`~marketplace.notifications.plugin_notices`) are unchanged.

The owner is every active merchant of the organization whose unified social credit code the
plugin's manifest names; the platform's own plugins, and codes no organization registered, have
no one to tell. Each notice links to the owner's "Your plugins" page.

- A paused operation is told at once (a request saw it), in a session of the listener's own, as
  the admins are told: once per breaker opening in each server process.
- A plugin that did not load is noticed when the platform records what it discovered, often at
  a process's start and outside any request: the listener only asks for a job; the job tells
  the owner once per plugin, version and reason (an effect claimed under that key), whichever
  process starts first and however many start, and asks for the outbox's delivery.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Flask
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from marketplace import jobs
from marketplace.accounts.models import MerchantOrganization, User
from marketplace.accounts.services import members
from marketplace.db import get_engine, new_session
from marketplace.notifications.plugin_notices import _app_context
from marketplace.notifications.services import notify
from marketplace.plugins.signals import BreakerOpened, LoadFailed, breaker_opened, load_failed

log = logging.getLogger(__name__)

OWNER_PAGE = "/merchant/plugins"
LOAD_FAILED_JOB = "notifications.tell_plugin_owner_load_failed"
#: Characters of a plugin's error kept in a notice (the page shows it whole).
ERROR_SHOWN = 500


def init_app(app: Flask) -> None:
    """Listen to ``app``'s plugin runtime for the owners."""
    breaker_opened.connect(tell_owner_paused, sender=app)
    load_failed.connect(ask_to_tell_owner_load_failed, sender=app)


def owners(session: Session, credit_code: str) -> list[User]:
    """The active merchants of the organization registered under ``credit_code``."""
    if not credit_code:
        return []
    organization = session.exec(select(MerchantOrganization).where(
        MerchantOrganization.credit_code == credit_code)).first()
    if organization is None or organization.id is None:
        return []
    return [user for user in members(session, organization.id)
            if user.is_merchant and user.is_active]


def tell_owner_paused(app: Flask, notice: BreakerOpened) -> None:
    """Notify the owner that an operation of its plugin is paused (kind ``plugin.owner_paused``),
    with the error that opened the breaker."""
    if not notice.merchant:
        return
    try:
        with _app_context(app), new_session(get_engine(app)) as session:
            users = owners(session, notice.merchant)
            if users:
                notify(session, users, "plugin.owner_paused",
                       {"plugin": notice.plugin, "operation": notice.operation,
                        "faults": notice.faults, "seconds": notice.cooldown_seconds,
                        "error": notice.error[:ERROR_SHOWN]},
                       link=f"{OWNER_PAGE}#operation-{notice.plugin}-{notice.operation}")
                session.commit()
    except DBAPIError:
        log.exception("could not tell the owner that %s.%s is paused", notice.plugin,
                      notice.operation)


def ask_to_tell_owner_load_failed(app: Flask, notice: LoadFailed) -> None:
    """Ask for the job that tells the owner its plugin did not load."""
    if not notice.merchant:
        return
    try:
        with _app_context(app), new_session(get_engine(app)) as session:
            jobs.enqueue(session, LOAD_FAILED_JOB, plugin=notice.plugin, version=notice.version,
                         merchant=notice.merchant, error=notice.error)
            session.commit()
    except DBAPIError:
        log.exception("could not ask to tell the owner that plugin %s did not load",
                      notice.plugin)


def load_failed_key(plugin: str, version: str, error: str) -> str:
    """The effect's key: one notice per plugin, version and reason."""
    digest = hashlib.sha256(error.encode()).hexdigest()[:24]
    return f"plugin.load_failed:{plugin}:{version}:{digest}"


@jobs.job(LOAD_FAILED_JOB)
def tell_owner_load_failed(job: jobs.RunningJob, plugin: str, version: str, merchant: str,
                           error: str) -> None:
    """Notify the owner's merchants that their plugin did not load (kind
    ``plugin.load_failed``), once per plugin, version and reason, then ask for the mail."""
    session = job.session
    users = owners(session, merchant)
    if not users or not jobs.effect_once(session, load_failed_key(plugin, version, error),
                                         job.id):
        return
    notify(session, users, "plugin.load_failed",
           {"plugin": plugin, "version": version, "error": error[:ERROR_SHOWN]},
           link=f"{OWNER_PAGE}#plugin-{plugin}")
    jobs.enqueue(session, "notifications.deliver_outbox")
