"""The settings that services read, typed and built once by :func:`marketplace.create_app`.

``app.config`` stays Flask's (extensions read it); services take a :class:`Settings` (or the
part they need, such as :class:`MailSettings`) instead of reaching into ``current_app.config``.
Views and the app's own wiring fetch it with :func:`settings` and pass it down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

EXTENSION_KEY = "datamarket.settings"


@dataclass(frozen=True)
class MailSettings:
    """Where outbound mail goes: SMTP when ``smtp_host`` is set, else files in ``folder``."""

    sender: str
    folder: Path
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(sender=config["MAIL_FROM"], folder=Path(config["MAIL_FOLDER"]),
                   smtp_host=config.get("SMTP_HOST") or "",
                   smtp_port=int(config.get("SMTP_PORT") or 587),
                   smtp_username=config.get("SMTP_USERNAME") or "",
                   smtp_password=config.get("SMTP_PASSWORD") or "",
                   smtp_starttls=bool(config.get("SMTP_STARTTLS", True)))


@dataclass(frozen=True)
class UsageWatchSettings:
    """Thresholds of abnormal-use detection (see ``marketplace/monitoring/detection.py``)."""

    #: The calls a sweep reads: the last this many minutes.
    window_minutes: int = 60
    #: A burst: more calls in the window than ``burst_factor`` × the key's median per window
    #: over the last ``baseline_days``, and more than ``burst_floor``.
    burst_factor: float = 10.0
    burst_floor: int = 300
    baseline_days: int = 7
    #: Enumeration: this many consecutive identifiers among one key's calls in the window.
    enumeration_run: int = 20
    #: Fishing: at least ``fishing_min_calls`` verification answers in the window, of which
    #: more than ``fishing_share`` are no-match.
    fishing_min_calls: int = 30
    fishing_share: float = 0.7
    #: The rules whose alert suspends the key at once.
    suspend_rules: frozenset[str] = frozenset({"enumeration"})
    #: Input keys older than this are cleared.
    input_key_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> UsageWatchSettings:
        default = cls()

        def read(name: str, kind, fallback):
            value = config.get(name)
            return fallback if value is None or value == "" else kind(value)

        rules = config.get("USAGE_SUSPEND_RULES")
        return cls(
            window_minutes=max(1, read("USAGE_WINDOW_MINUTES", int, default.window_minutes)),
            burst_factor=read("USAGE_BURST_FACTOR", float, default.burst_factor),
            burst_floor=read("USAGE_BURST_FLOOR", int, default.burst_floor),
            baseline_days=max(1, read("USAGE_BASELINE_DAYS", int, default.baseline_days)),
            enumeration_run=max(3, read("USAGE_ENUMERATION_RUN", int, default.enumeration_run)),
            fishing_min_calls=max(1, read("USAGE_FISHING_MIN_CALLS", int,
                                          default.fishing_min_calls)),
            fishing_share=read("USAGE_FISHING_SHARE", float, default.fishing_share),
            suspend_rules=(default.suspend_rules if rules is None else frozenset(
                rule.strip() for rule in str(rules).split(",") if rule.strip())),
            input_key_days=max(1, read("USAGE_INPUT_KEY_DAYS", int, default.input_key_days)))


@dataclass(frozen=True)
class JobSettings:
    """The background jobs' queue and its worker (see :mod:`marketplace.jobs`)."""

    #: Huey's SQLite file, used when ``redis_url`` is empty.
    sqlite_file: Path
    #: Redis for the queue when set (the deployment's ``REDIS_URL``).
    redis_url: str = ""
    #: Huey's name: the queue's key prefix in Redis, so two deployments can share a server.
    queue_name: str = "datamarket"
    #: Threads of one worker process.
    workers: int = 2
    #: A running job whose heartbeat is older than this is taken for dead and run again.
    lease_seconds: float = 60.0
    #: How often the worker looks for such jobs.
    sweep_seconds: float = 15.0
    #: A queued job not started this long after it was due is pushed onto the queue again.
    lost_after_seconds: float = 600.0
    #: Tries of a job before it is failed (a job kind may ask for other figures).
    max_attempts: int = 5
    #: The wait before the first retry; each next retry waits twice as long.
    retry_delay: float = 10.0
    #: Run each job at once, in the process that enqueues it (tests, scripts).
    immediate: bool = False
    #: Modules to import for the job kinds they define, beyond the platform's own.
    extra_modules: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JobSettings:
        modules = tuple(name.strip() for name in str(config.get("JOBS_IMPORT") or "").split(",")
                        if name.strip())
        return cls(sqlite_file=Path(config["JOBS_SQLITE_FILE"]),
                   redis_url=str(config.get("REDIS_URL") or ""),
                   queue_name=str(config.get("JOBS_QUEUE_NAME") or "datamarket"),
                   workers=max(1, int(config.get("JOBS_WORKERS") or 2)),
                   lease_seconds=float(config.get("JOBS_LEASE_SECONDS") or 60),
                   sweep_seconds=float(config.get("JOBS_SWEEP_SECONDS") or 15),
                   lost_after_seconds=float(config.get("JOBS_LOST_AFTER_SECONDS") or 600),
                   max_attempts=max(1, int(config.get("JOBS_MAX_ATTEMPTS") or 5)),
                   retry_delay=float(config.get("JOBS_RETRY_DELAY") or 0),
                   immediate=bool(config.get("JOBS_IMMEDIATE", False)),
                   extra_modules=modules)


@dataclass(frozen=True)
class DownloadSettings:
    """Downloads of data packages (see :mod:`marketplace.delivery.downloads`)."""

    #: Seconds a signed download link stays valid.
    link_seconds: int = 900
    #: Downloads one entitlement allows.
    limit: int = 10
    #: A dataset of more rows than this is exported by a background job.
    job_rows: int = 200_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DownloadSettings:
        default = cls()
        return cls(link_seconds=max(1, int(config.get("DOWNLOAD_LINK_SECONDS")
                                           or default.link_seconds)),
                   limit=max(0, int(config.get("DOWNLOAD_LIMIT", default.limit))),
                   job_rows=max(0, int(config.get("DOWNLOAD_JOB_ROWS", default.job_rows))))


@dataclass(frozen=True)
class Settings:
    """What the marketplace's services need to know about this deployment."""

    #: The app's secret; buyer pseudonyms for plugins are keyed with it.
    secret_key: str
    #: The platform's commission in basis points when no admin has set one.
    commission_bp: int
    mail: MailSettings
    jobs: JobSettings
    #: Redis for counters shared by every process (rate limits, quotas, breakers); "" for none.
    redis_url: str = ""
    #: Calls one API key may make through the gateway (a rate string such as "600/minute").
    gateway_rate_limit: str = "600/minute"
    #: Gateway calls whose usage records one audit entry seals (see delivery/usage_audit.py).
    gateway_audit_batch: int = 100
    #: Where ``datamarket audit checkpoint`` appends the signed checkpoints of the audit chain.
    audit_checkpoint_file: Path = Path("audit-checkpoints.jsonl")
    #: Abnormal-use detection's thresholds.
    usage_watch: UsageWatchSettings = UsageWatchSettings()
    #: Downloads of data packages: link lifetime, limit per entitlement, job threshold.
    downloads: DownloadSettings = DownloadSettings()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(secret_key=str(config["SECRET_KEY"]),
                   commission_bp=int(config["COMMERCE_COMMISSION_BP"]),
                   mail=MailSettings.from_config(config),
                   jobs=JobSettings.from_config(config),
                   redis_url=str(config.get("REDIS_URL") or ""),
                   gateway_rate_limit=str(config.get("GATEWAY_RATE_LIMIT") or "600/minute"),
                   gateway_audit_batch=max(1, int(config.get("GATEWAY_AUDIT_BATCH") or 100)),
                   audit_checkpoint_file=Path(config.get("AUDIT_CHECKPOINT_FILE")
                                              or "audit-checkpoints.jsonl"),
                   usage_watch=UsageWatchSettings.from_config(config),
                   downloads=DownloadSettings.from_config(config))


def init_app(app: Flask) -> None:
    """Build the app's settings from its configuration, once, after the configuration is final."""
    app.extensions[EXTENSION_KEY] = Settings.from_config(app.config)


def settings(app: Flask | None = None) -> Settings:
    """The settings of ``app`` (the current app when not given)."""
    return (app or current_app).extensions[EXTENSION_KEY]
